"""The service benchmark's pure helpers: percentiles, client query order, process-tree readings."""

from __future__ import annotations

import argparse
import math
import os

import pytest

from benchmarks.bench_service import MAX_DISTINCT, cpu_seconds, descendants, distinct_count, interleaved, tree_memory
from benchmarks.stats import percentiles


def test_percentiles_of_known_values() -> None:
    p = percentiles([float(x) for x in range(1, 101)])
    assert p["p50"] == 50.5
    assert math.isclose(p["p95"], 95.05)
    assert math.isclose(p["p99"], 99.01)
    assert p["max"] == 100.0
    assert p["mean"] == 50.5


def test_percentiles_of_nothing_are_nan() -> None:
    assert all(math.isnan(v) for v in percentiles([]).values())


def test_clients_interleave_over_the_queries() -> None:
    assert interleaved(5, 0, 2, 4) == [0, 2, 4, 1]
    assert interleaved(5, 1, 2, 4) == [1, 3, 0, 2]
    together = interleaved(6, 0, 3, 2) + interleaved(6, 1, 3, 2) + interleaved(6, 2, 3, 2)
    assert sorted(together) == list(range(6))  # c clients cover the queries once between them


def test_this_process_tree_is_read() -> None:
    me = os.getpid()
    assert descendants(me)[0] == me
    memory = tree_memory(me, set())
    assert memory["rss_kib"] > 0
    assert memory["hwm_kib"] >= memory["rss_kib"]
    assert 0 < memory["pss_kib"] <= memory["rss_kib"]  # shared pages split among their sharers
    assert cpu_seconds([me])[me] > 0


def test_distinct_counts_that_cannot_be_made_are_refused_clearly() -> None:
    assert distinct_count("0") == 0
    assert distinct_count(str(MAX_DISTINCT)) == MAX_DISTINCT
    for bad, says in (("100001", "cannot be made"), ("-1", "cannot be made"), ("1e5", "not a whole number")):
        with pytest.raises(argparse.ArgumentTypeError, match=says):
            distinct_count(bad)
