"""Matching-accuracy benchmark: labelled alias pairs split by listing group, scored by the resolver and baselines.

    python -m benchmarks.accuracy [--sample N] [--skip-logic-v2] [--skip-populations] [--max-fpr F] [--write]

Modules: `split` (the held-out split), `metrics` (P/R/F1, best-F1 threshold), `scorers` (rapidfuzz, OpenSanctions'
logic-v2 in its own virtualenv, `resolver compare`), `populations` (flag rates of people on no list), `report`
(the markdown report and the entry point).
"""
