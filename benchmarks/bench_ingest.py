"""Benchmark: ingest the latest version of every shared registry into a fresh store.

Each run is a separate process (`resolver ingest ...`), timed wall-clock, with its peak RSS.
The baseline, measured in the same run, is a process that starts Python, imports the resolver
and reads + decodes the same files: the floor any ingest pays.

    python -m benchmarks.bench_ingest [--repeat 3] [--write]

--write replaces the "Registry ingest" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.registry_files import history_commands, latest_registry_paths
from benchmarks.results import write_section

ROOT = Path(__file__).resolve().parents[1]
REGISTRIES = Path(os.environ.get("RESOLVER_SHARED_DATA", ROOT.parent / "shared" / "data")) / "registries"

BASELINE = """
import sys, pathlib
import resolver.cli  # same imports as the real command
n = 0
for arg in sys.argv[1:]:
    p = pathlib.Path(arg)
    for f in ([p] if p.is_file() else sorted(x for x in p.rglob('*') if x.is_file())):
        n += len(f.read_bytes().decode('utf-8', errors='replace'))
print(n)
"""


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MiB) of one child process, plus its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB, max over children so far
    if peak <= before:
        peak = before  # RUSAGE_CHILDREN is a running max: a smaller child cannot be isolated
    return wall, peak / 1024, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    paths = [str(p) for p in latest_registry_paths(REGISTRIES)]
    env = {**os.environ, "RESOLVER_LOG_FORMAT": "json", "RESOLVER_LOG_LEVEL": "warning"}
    # The baseline first: RUSAGE_CHILDREN keeps the max, so the smaller process must run first.
    base_runs = [_run([sys.executable, "-c", BASELINE, *paths], env) for _ in range(args.repeat)]
    ingest_runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            store = str(Path(tmp) / "registry.duckdb")
            ingest_runs.append(_run([sys.executable, "-m", "resolver.cli", "ingest", "--store", store, *paths], env))
            status = subprocess.run(
                [sys.executable, "-m", "resolver.cli", "registry", "status", "--json", "--store", store],
                capture_output=True, text=True, env=env, check=True,
            ).stdout  # fmt: skip
    # Every file under registries/: the history, one command per step, into one store.
    history_runs = []
    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp) / "registry.duckdb")
        for step in history_commands(REGISTRIES):
            history_runs.append(
                _run([sys.executable, "-m", "resolver.cli", "ingest", "--store", store, *map(str, step)], env)
            )
        import duckdb

        with duckdb.connect(store, read_only=True) as con:
            hist = con.execute(
                "SELECT count(*), sum(entities), sum(names), (SELECT count(*) FROM snapshots) FROM source_versions"
            ).fetchone()
            files = con.execute("SELECT count(*) FROM source_files").fetchone()
    assert hist is not None and files is not None
    import json

    summary = json.loads(status)
    base = statistics.median(r[0] for r in base_runs)
    wall = statistics.median(r[0] for r in ingest_runs)
    peak = max(r[1] for r in ingest_runs)
    lines = [
        f"Files: the latest version of every source ({len(paths)} paths, `benchmarks/registry_files.py`): "
        f"{len(summary['sources'])} sources, {summary['entities']:,} entities, {summary['names']:,} names.",
        "",
        "| measure | median of runs |",
        "|---|---|",
        f"| `resolver ingest` wall time (parse + write snapshot, new store) | {wall:.2f} s |",
        f"| baseline: start Python, import resolver, read + decode the same files | {base:.2f} s |",
        f"| ratio ingest / baseline | {wall / base:.1f}x |",
        f"| ingest peak RSS (max over runs) | {peak:.0f} MiB |",
        "",
        f"Every file under `registries/` ({files[0]} files), as a history of {len(history_runs)} ingest commands "
        f"(oldest versions first, `HISTORY` in `benchmarks/registry_files.py`) into one store: {hist[0]} source "
        f"versions, {hist[1]:,} entities, {hist[2]:,} names, {hist[3]} snapshots.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| total wall time of the {len(history_runs)} commands | {sum(r[0] for r in history_runs):.2f} s |",
        f"| per command | {', '.join(f'{r[0]:.2f}' for r in history_runs)} s |",
        f"| peak RSS of any ingest process in this run | {max(r[1] for r in [*ingest_runs, *history_runs]):.0f} MiB |",
        "",
        f"Runs: {args.repeat}; ingest walls {', '.join(f'{r[0]:.2f}' for r in ingest_runs)} s; "
        f"baseline walls {', '.join(f'{r[0]:.2f}' for r in base_runs)} s.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("Registry ingest", "python -m benchmarks.bench_ingest --repeat 3 --write", text)


if __name__ == "__main__":
    main()
