"""Benchmark: candidate recall of the index, against the labelled alias pairs' test split.

    python -m benchmarks.bench_candidates [--split test] [--cap 1000] [--write]

The index holds every name of pairs/name_variant_groups.csv (one record per row: its group_id, name and kind),
keyed with ``prepare_name(name, kind).index_keys()`` and built with ``CandidateIndex.from_key_lists``, as the
matcher builds its own. Each positive pair of the split queries the index with name_a's keys (the pair's kind);
the pair is found when a record of (group_b, name_b) is among the candidates. Two shares are reported:

- of every positive pair (the index's recall of what the labels call a match), and
- of the positive pairs that the resolver's scorer itself matches at the shipped threshold when it scores
  (name_a, name_b) directly, as `resolver compare` does (the model's term frequencies, no blocking). A pair the
  scorer would match but the index never offers is lost by the index alone: that is the index's own loss.

Key sets compared: all keys (what the matcher uses), the model's blocking rules only ("s:" sorted tokens, "p:"
phonetic, "t:" token), all but each fuzzy-recall family that ``index_keys`` makes (e.g. "x:" 4-letter prefix, "m:"
token Metaphone, "k:" consonant skeleton), and all keys with no cap (what the cap costs).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from benchmarks.accuracy.metrics import SLICES
from benchmarks.accuracy.split import GROUPS_FILE, SPLITS, load_pairs, shared_data_dir

SECTION = "Candidate recall"
KINDS = {"person": "person", "organization": "organization", "vessel": "vessel", "aircraft": "aircraft"}


@dataclass(frozen=True)
class KeySet:
    name: str
    keep: Callable[[str], bool]
    capped: bool = True


MODEL_RULES = ("s:", "p:", "t:")  # the Splink model's blocking rules: sorted tokens, phonetic key, one token


def key_sets(query_keys: Sequence[list[str]]) -> list[KeySet]:
    """All keys; the model's rules only; all but each other key family found in the queries; all keys uncapped.

    The families are read from the keys themselves, so a family added to ``index_keys`` is measured too."""
    families = sorted({k[:2] for keys in query_keys for k in keys} - set(MODEL_RULES))
    sets = [
        KeySet("all keys (the matcher's)", lambda k: True),
        KeySet('model blocking rules only ("s:", "p:", "t:")', lambda k: k[:2] in MODEL_RULES),
    ]
    sets += [KeySet(f'all but "{f}"', lambda k, f=f: k[:2] != f) for f in families]  # type: ignore[misc]
    sets.append(KeySet("all keys, no cap", lambda k: True, capped=False))
    return sets


@dataclass
class Outcome:
    found: npt.NDArray[np.bool_]
    candidates: npt.NDArray[np.int64]
    capped_queries: npt.NDArray[np.bool_]  # at least one of the query's blocks was over the cap
    capped_keys: int
    keys_present: int  # query keys that exist in the index (used or capped)
    seconds: float


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def kind_of(entity_type: str) -> str | None:
    return KINDS.get(entity_type)  # "unknown" -> None: the matcher looks for honorifics and legal forms both


def run(
    index: Any, query_keys: Sequence[list[str]], targets: Sequence[npt.NDArray[np.int32]], key_set: KeySet, cap: int
) -> Outcome:
    n = len(query_keys)
    found = np.zeros(n, dtype=bool)
    candidates = np.zeros(n, dtype=np.int64)
    capped_queries = np.zeros(n, dtype=bool)
    capped_keys = keys_present = 0
    started = time.perf_counter()
    for i, keys in enumerate(query_keys):
        result = index.candidates(
            [k for k in keys if key_set.keep(k)], cap=cap if key_set.capped else None, pair_capped=key_set.capped
        )
        ids = result.ids
        candidates[i] = ids.size
        capped_queries[i] = bool(result.capped)
        capped_keys += len(result.capped)
        keys_present += result.blocks + len(result.capped)
        pos = np.searchsorted(ids, targets[i])  # ids are sorted: the target records are in it or not
        found[i] = bool(np.any((pos < ids.size) & (ids[np.minimum(pos, ids.size - 1)] == targets[i])))
    return Outcome(found, candidates, capped_queries, capped_keys, keys_present, time.perf_counter() - started)


def share(mask: npt.NDArray[np.bool_], of: npt.NDArray[np.bool_]) -> str:
    n = int(of.sum())
    return f"{100 * int((mask & of).sum()) / n:.2f}% ({int((mask & of).sum()):,}/{n:,})" if n else "–"


def pct(values: npt.NDArray[np.int64]) -> str:
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return f"{p50:.0f} | {p95:.0f} | {p99:.0f} | {int(values.max()):,} | {values.mean():.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--split", choices=SPLITS, default="test")
    parser.add_argument("--cap", type=int, default=1000)
    parser.add_argument("--examples", type=int, default=10, help="scorer-matched pairs the index missed, listed")
    parser.add_argument("--write", action="store_true", help=f'replace the "{SECTION}" section of RESULTS.md')
    args = parser.parse_args()

    from benchmarks.bench_resolve import code_digest
    from resolver.logs import configure_logging
    from resolver.matching.index import CandidateIndex
    from resolver.matching.pairs import score_pair
    from resolver.matching.scorer import CompiledModel
    from resolver.model.artefact import load_artefact
    from resolver.model.features import model_row
    from resolver.names import prepare_name

    configure_logging("json", "warning")
    started = time.perf_counter()
    data = shared_data_dir()
    with (data / GROUPS_FILE).open(newline="", encoding="utf-8") as fh:
        records = [(r["group_id"], r["name"], kind_of(r["entity_type"])) for r in csv.DictReader(fh)]
    by_name: dict[tuple[str, str], list[int]] = defaultdict(list)
    for rid, (group, name, _) in enumerate(records):
        by_name[(group, name)].append(rid)
    t = time.perf_counter()
    index = CandidateIndex.from_key_lists(prepare_name(name, kind).index_keys() for _, name, kind in records)
    build_s = time.perf_counter() - t
    log(f"index: {index}")

    rows = [r for r in load_pairs(args.split, data) if r["label"] == "1"]
    missing = [r for r in rows if (r["group_b"], r["name_b"]) not in by_name]
    rows = [r for r in rows if (r["group_b"], r["name_b"]) in by_name]
    targets = [np.array(by_name[(r["group_b"], r["name_b"])], dtype=np.int32) for r in rows]
    query_keys = [prepare_name(r["name_a"], kind_of(r["entity_type"])).index_keys() for r in rows]

    # The scorer on each pair directly (no blocking), as `resolver compare` scores it.
    artefact = load_artefact()
    scorer = CompiledModel(artefact.model, artefact.term_frequencies)
    t = time.perf_counter()
    weights = np.empty(len(rows), dtype=np.float64)
    for i, r in enumerate(rows):
        kind = kind_of(r["entity_type"])
        left = model_row("a", None, r["name_a"], kind)
        right = model_row("b", None, r["name_b"], kind)
        weights[i] = score_pair(scorer, artefact, left, right).match_weight
    score_s = time.perf_counter() - t
    matched = weights >= artefact.threshold_match_weight

    outcomes: list[tuple[KeySet, Outcome]] = []
    for key_set in key_sets(query_keys):
        log(f"querying: {key_set.name}")
        outcomes.append((key_set, run(index, query_keys, targets, key_set, args.cap)))
    main_outcome = outcomes[0][1]
    everything = np.ones(len(rows), dtype=bool)

    out = [
        f"Index over every name of `{GROUPS_FILE.as_posix()}`: {len(records):,} records, {index.n_keys:,} keys, "
        f"{index.n_postings:,} postings, {index.nbytes / 2**20:.1f} MiB, built in {build_s:.1f} s (keys of "
        f"`prepare_name(name, kind).index_keys()`). Queries: name_a of every positive pair of the {args.split} "
        f"split ({len(rows):,} pairs; {len(missing):,} more whose (group_b, name_b) is not in the groups file are "
        f"left out), with the pair's kind, cap {args.cap:,} unless stated. Found = a record of (group_b, name_b) "
        "is among the candidates. Scorer-matched = the pair scores at or above the shipped threshold (match "
        f"weight {artefact.threshold_match_weight:g}, model {artefact.version}, resolver sources {code_digest()}) "
        "when the compiled scorer scores "
        "(name_a, name_b) directly, with the model's term frequencies, as `resolver compare` does: "
        f"{int(matched.sum()):,} of {len(rows):,} positive pairs ({100 * matched.mean():.1f}%). Issue target: "
        "the index finds >= 99.5% of the scorer-matched pairs.",
        "",
        "### Recall by key set",
        "",
        "| keys | found: all positives | found: scorer-matched (index's own loss) | candidates p50 | p95 | p99 | "
        "max | mean | queries with a capped block | capped / present keys | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key_set, o in outcomes:
        cap_rate = f"{100 * o.capped_queries.mean():.1f}%" if key_set.capped else "– (no cap)"
        cap_keys = f"{100 * o.capped_keys / o.keys_present:.2f}%" if key_set.capped and o.keys_present else "–"
        out.append(
            f"| {key_set.name} | {share(o.found, everything)} | {share(o.found, matched)} | {pct(o.candidates)} | "
            f"{cap_rate} | {cap_keys} | {o.seconds:.1f} |"
        )
    target_met = main_outcome.found[matched].mean() >= 0.995 if matched.any() else False
    out += [
        "",
        f"Target (>= 99.5% of scorer-matched pairs found, all keys, cap {args.cap:,}): "
        f"{'met' if target_met else '**not met**'}.",
        "",
        f"### By slice (all keys, cap {args.cap:,}; model blocking rules alongside)",
        "",
        "| slice | positive pairs | found: all positives | found: scorer-matched | model rules: all positives | "
        "model rules: scorer-matched | queries with a capped block |",
        "|---|---|---|---|---|---|---|",
    ]
    rules = outcomes[1][1]
    for title, keep in SLICES:
        mask = np.fromiter((keep(r) for r in rows), dtype=bool, count=len(rows))
        capped_share = f"{100 * main_outcome.capped_queries[mask].mean():.1f}%" if mask.any() else "–"
        out.append(
            f"| {title} | {int(mask.sum()):,} | {share(main_outcome.found, mask)} | "
            f"{share(main_outcome.found, mask & matched)} | {share(rules.found, mask)} | "
            f"{share(rules.found, mask & matched)} | {capped_share} |"
        )
    lost = np.flatnonzero(matched & ~main_outcome.found)
    lost = lost[np.argsort(-weights[lost], kind="stable")]
    out += ["", f"### Scorer-matched pairs the index missed ({lost.size:,}; the highest-weighted first)", ""]
    if lost.size:
        out += ["| name_a (query) | name_b (to be found) | kind | weight | capped query keys (block size) |"]
        out += ["|---|---|---|---|---|"]
        for i in lost[: args.examples].tolist():
            r = rows[i]
            res = index.candidates(query_keys[i], cap=args.cap)
            capped = ", ".join(f"`{k}` ({s:,})" for k, s in zip(res.capped, res.capped_sizes, strict=True)) or "none"
            out.append(f"| {r['name_a']} | {r['name_b']} | {r['entity_type']} | {weights[i]:.3g} | {capped} |")
    else:
        out.append("None.")
    total = time.perf_counter() - started
    out += ["", f"Runtime: {total:.0f} s (scoring the pairs directly: {score_s:.1f} s)."]
    body = "\n".join(out)
    command = f"python -m benchmarks.bench_candidates --split {args.split} --cap {args.cap}" + (
        " --write" if args.write else ""
    )
    print(f"## {SECTION}\n\nCommand: `{command}`\n\n{body}")
    if args.write:
        from benchmarks.results import write_section

        write_section(SECTION, command, body)
        log(f'wrote the "{SECTION}" section of benchmarks/RESULTS.md')


if __name__ == "__main__":
    main()
