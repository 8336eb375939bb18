"""Benchmark: chains and verdicts for one party on a SYNTHETIC ownership graph of about a million edges.

    python -m benchmarks.bench_ownership [--edges 1000000] [--queries 2000] [--seed 20261127] [--write]

The graph is SYNTHETIC (real ownership data with percentages is scarce; the real zala and OFAC edges are the
correctness fixtures in tests/ownership). Shaped like corporate registries: companies in layers (holding
structures up to 8 levels deep), each company with 1-4 owners drawn from the layers above with a preferential
bias (a few conglomerates own many subsidiaries), shares that sum to at most 100% (exact 80%, a range 10%,
unknown 10%), 2% of edges control-only, 5% with start/end dates, a sprinkling of cycles (cross-holdings), and
1% of nodes listed under random jurisdictions. Queries are random companies of the bottom half of the layers
(the parties a declaration names are subsidiaries, not the conglomerates), as of one date.

Measured per query: `assess(graph, node, rules, as_of)` (upward subgraph, chains, four rules' fixed points).
Baseline in the same run: the floor of any answer, a plain upward breadth-first walk over the same edges to the
same depth (no dates, no chains, no rules) in Python dicts.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from collections.abc import Sequence

import numpy as np

from resolver.ownership.assess import DEFAULT_DEPTH, assess
from resolver.ownership.graph import EdgeRecord, Node, OwnershipGraph, Share
from resolver.ownership.rules import load_rules

SECTION = "Ownership chains (synthetic graph)"
LAYERS = 8
AS_OF = "2026-11-28"


def synthetic(edges: int, seed: int) -> tuple[list[Node], list[EdgeRecord], list[str]]:
    rng = random.Random(seed)
    n_nodes = edges // 2
    per_layer = [
        max(1, int(n_nodes * w)) for w in np.geomspace(0.01, 0.3, LAYERS) / np.geomspace(0.01, 0.3, LAYERS).sum()
    ]
    lists = ("us_ofac_sdn", "eu_fsf", "gb_hmt", "us_bis_el")
    nodes: list[Node] = []
    layer_ids: list[list[str]] = []
    for layer, count in enumerate(per_layer):
        ids = []
        for i in range(count):
            node_id = f"syn:{layer}:{i}"
            on = tuple(sorted(rng.sample(lists, rng.randint(1, 3)))) if rng.random() < 0.01 else ()
            nodes.append(Node(node_id, f"Company {layer}-{i}", source=on[0] if on else "syn", lists=on))
            ids.append(node_id)
        layer_ids.append(ids)
    out: list[EdgeRecord] = []
    while len(out) < edges:
        layer = rng.randint(1, LAYERS - 1)
        owned = rng.choice(layer_ids[layer])
        remaining = 100.0
        for _ in range(rng.randint(1, 4)):
            up = rng.randint(max(0, layer - 3), layer - 1)
            pool = layer_ids[up]
            owner = (
                pool[min(int(rng.paretovariate(1.2)) - 1, len(pool) - 1)] if rng.random() < 0.5 else rng.choice(pool)
            )
            pct = round(rng.uniform(1, remaining), 1) if remaining > 1 else 0.5
            remaining -= pct
            r = rng.random()
            share = (
                Share(pct)
                if r < 0.8
                else (Share(None, max(0.0, pct - 12.5), min(100.0, pct + 12.5)) if r < 0.9 else Share())
            )
            kind = "control" if rng.random() < 0.02 else "ownership"
            start, end = ("2019-01-01", "2030-12-31") if rng.random() < 0.05 else (None, None)
            out.append(EdgeRecord(owner, owned, kind, share, "synthetic", start, end))
        if rng.random() < 0.002:  # a cross-holding: the owned company holds a little of an owner above
            out.append(EdgeRecord(owned, rng.choice(layer_ids[layer - 1]), "ownership", Share(2.0), "synthetic"))
    queries = [rng.choice(layer_ids[rng.randint(LAYERS // 2, LAYERS - 1)]) for _ in range(100_000)]
    return nodes, out[:edges], queries


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def rss_mib() -> float:
    with open("/proc/self/status", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_ownership", description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    command = " ".join(["python -m benchmarks.bench_ownership", *(sys.argv[1:] if argv is None else argv)])
    rules = load_rules()
    t = time.perf_counter()
    nodes, edges, pool = synthetic(args.edges, args.seed)
    generate_s = time.perf_counter() - t
    before = rss_mib()
    t = time.perf_counter()
    graph = OwnershipGraph.build(nodes, edges, rules)
    build_s = time.perf_counter() - t
    after = rss_mib()
    owners: dict[str, list[str]] = {}
    for e in edges:
        owners.setdefault(e.owned, []).append(e.owner)
    del nodes, edges
    queries = pool[: args.queries]
    for node in queries[:200]:  # warm-up
        assess(graph, node, rules, AS_OF)
    timings, chains, verdict_counts = [], [], {}
    for node in queries:
        started = time.perf_counter()
        result = assess(graph, node, rules, AS_OF)
        timings.append((time.perf_counter() - started) * 1000)
        chains.append(len(result.chains))
        for v in result.verdicts:
            verdict_counts[v.verdict] = verdict_counts.get(v.verdict, 0) + 1
    floor = []
    for node in queries:
        started = time.perf_counter()
        seen, frontier = {node}, [node]
        for _ in range(DEFAULT_DEPTH):
            frontier = [o for n in frontier for o in owners.get(n, ()) if o not in seen]
            seen.update(frontier)
        floor.append((time.perf_counter() - started) * 1000)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [("assess (chains + 4 verdicts)", timings), ("baseline: plain upward walk, dicts", floor)]
    table = ["| measure | queries | p50 ms | p95 ms | p99 ms | max ms | mean ms |", "|---|---|---|---|---|---|---|"]
    for label, values in rows:
        table.append(
            f"| {label} | {len(values):,} | {percentile(values, 50):.3f} | {percentile(values, 95):.3f} | "
            f"{percentile(values, 99):.3f} | {max(values):.2f} | {float(np.mean(values)):.3f} |"
        )
    p99 = percentile(timings, 99)
    body = "\n".join(
        [
            f"SYNTHETIC graph (see the module docstring): {len(graph):,} nodes, {graph.edge_count:,} edges, "
            f"{sum(1 for x in graph.node_lists if x):,} listed nodes; generated in {generate_s:.1f} s, "
            f"`OwnershipGraph.build` in {build_s:.1f} s, graph RSS growth {after - before:,.0f} MiB "
            f"(process peak {peak:,.0f} MiB, including the generator's Python objects). Queries: {len(queries):,} "
            f"random companies of the lower layers, as of {AS_OF}, depth {DEFAULT_DEPTH}, after 200 warm-up queries; "
            f"chains per query p50 {percentile(chains, 50):.0f}, p99 {percentile(chains, 99):.0f}; verdicts "
            + ", ".join(f"{k} {n:,}" for k, n in sorted(verdict_counts.items()))
            + ".",
            "",
            *table,
            "",
            f"Ratio assess / baseline walk: p50 {percentile(timings, 50) / max(percentile(floor, 50), 1e-9):.1f}x, "
            f"p99 {p99 / max(percentile(floor, 99), 1e-9):.1f}x.",
            "",
            "| target | measured | |",
            "|---|---|---|",
            f"| p99 <= 5 ms for one party on a 1M-edge graph | {p99:.3f} ms on {graph.edge_count:,} edges | "
            f"**{'met' if p99 <= 5 and graph.edge_count >= 1_000_000 else 'not met'}** |",
        ]
    )
    print(f"## {SECTION}\n\nCommand: `{command}`\n\n{body}")
    if args.write:
        from benchmarks.results import write_section

        write_section(SECTION, command, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
