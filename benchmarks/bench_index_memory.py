"""Benchmark: memory, build time and query latency of the candidate index on a synthetic registry.

The registry is SYNTHETIC (no real names): N name records of 2-5 tokens drawn from a 200,000-token
vocabulary with a Zipf(1.0) distribution, so a few tokens sit on a large share of records, as
"mohammad", "al" or "ltd" do in real lists. Each record gets about 6 keys shaped like the real
ones: "s:<sorted tokens>", "t:<token>" per token, "p:<phonetic-like key of the last token>", and
"d:<dob>|<first token>" for the 70% of records with a date of birth.

The queries (10,000 by default, 6 keys each) take up to 5 keys of a random record and fill to 6
with the key of a Zipf-drawn token or of an unknown token, half and half.

Every variant runs in its own process, so its RSS (VmRSS from /proc/self/status) is its own:

- ``generate``: only generates the keys (the floor every build pays: producing the key strings);
- ``dict``: the baseline, a Python ``dict[str, list[int]]`` of the same keys, queried by a loop
  building a ``set`` of ids (unsorted);
- ``index``: ``CandidateIndex.build`` from the same stream, queried with ``candidates(keys, cap)``,
  then saved;
- ``index-mmap``: a fresh process loading the saved index memory-mapped (``CandidateIndex.load``).

Both query loops skip (and count) blocks larger than ``--cap``; the totals must agree, and do.

    python -m benchmarks.bench_index_memory [--records 1000000] [--queries 10000] [--cap 1000]

It prints a markdown table; it does not write benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

VOCAB = 200_000
ZIPF_S = 1.0
DOB_SHARE = 0.7
TOKENS_PER_NAME = (np.array([2, 3, 4, 5]), np.array([0.25, 0.35, 0.30, 0.10]))
WARMUP = 1_000
VARIANTS = ("generate", "dict", "index", "index-mmap")
_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))
_VOWELS = str.maketrans("", "", "aeiouy")


def _status() -> dict[str, int]:
    """VmRSS, VmHWM (peak), RssAnon and RssFile of this process, in KiB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            out[name] = int(value.split()[0])
    return out


def _reset_peak() -> bool:
    """Reset VmHWM, so the peak reported is that of the build and queries, not of making the data."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Synthetic:
    """The synthetic registry: numpy arrays of token ranks per record, turned into key strings on demand."""

    def __init__(self, n_records: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        lengths = rng.integers(3, 11, size=VOCAB)
        letters = _LETTERS[rng.integers(0, 26, size=int(lengths.sum()))]
        flat = "".join(letters.tolist())
        cuts = np.concatenate(([0], np.cumsum(lengths))).tolist()
        # A rank suffix keeps tokens distinct; "p:" keys (consonant skeletons) still collide, like phonetic keys.
        self.vocab = [f"{flat[a:b]}{i}" for i, (a, b) in enumerate(pairwise(cuts))]
        self.phonetic = [(t[0] + t[1:].translate(_VOWELS))[:4].upper() for t in self.vocab]
        weights = 1.0 / np.arange(1, VOCAB + 1) ** ZIPF_S
        self.cdf = np.cumsum(weights / weights.sum())
        self.rng = rng
        self.n_tokens = rng.choice(TOKENS_PER_NAME[0], size=n_records, p=TOKENS_PER_NAME[1]).astype(np.int8)
        self.tokens = self.zipf((n_records, int(TOKENS_PER_NAME[0].max())))
        days = rng.integers(0, 66 * 365, size=n_records)  # 1940 .. 2005
        dobs = (np.datetime64("1940-01-01") + days.astype("timedelta64[D]")).astype(str)
        self.dobs = np.where(rng.random(n_records) < DOB_SHARE, dobs, "").tolist()

    def zipf(self, shape: int | tuple[int, ...]) -> np.ndarray[Any, np.dtype[np.int32]]:
        ranks = np.searchsorted(self.cdf, self.rng.random(shape), side="right")
        return np.minimum(ranks, VOCAB - 1).astype(np.int32)

    def keys(self, record: int) -> list[str]:
        vocab = self.vocab
        tokens = [vocab[t] for t in self.tokens[record, : self.n_tokens[record]].tolist()]
        keys = ["s:" + " ".join(sorted(tokens))]
        keys += ["t:" + t for t in tokens]
        keys.append("p:" + self.phonetic[self.tokens[record, self.n_tokens[record] - 1]])
        if dob := self.dobs[record]:
            keys.append(f"d:{dob}|{tokens[0]}")
        return keys

    def records(self) -> Iterator[tuple[int, list[str]]]:
        for record in range(len(self.dobs)):
            yield record, self.keys(record)

    def queries(self, n: int, seed: int) -> list[list[str]]:
        rng = np.random.default_rng(seed + 1)
        picks = rng.integers(0, len(self.dobs), size=n).tolist()
        extra = self.zipf(n).tolist()
        unknown = rng.random(n) < 0.5
        out = []
        for q, record in enumerate(picks):
            keys = self.keys(record)[:5]
            filler = f"t:zz{q}unknown" if unknown[q] else "t:" + self.vocab[extra[q]]
            keys += [filler] * (6 - len(keys))  # a repeated filler is one key: real queries repeat keys too
            out.append(keys)
        return out


def _time_queries(run: Callable[[list[str]], tuple[int, int]], queries: list[list[str]]) -> dict[str, Any]:
    for query in queries[:WARMUP]:
        run(query)
    times = np.empty(len(queries), dtype=np.int64)
    candidates = capped = 0
    for i, query in enumerate(queries):
        start = time.perf_counter_ns()
        n, c = run(query)
        times[i] = time.perf_counter_ns() - start
        candidates += n
        capped += c
    us = times / 1000
    return {
        "p50_us": float(np.percentile(us, 50)),
        "p99_us": float(np.percentile(us, 99)),
        "mean_us": float(us.mean()),
        "candidates": candidates,
        "capped": capped,
    }


def _child(variant: str, args: argparse.Namespace) -> dict[str, Any]:
    from resolver.matching.index import CandidateIndex

    start_kib = _status()["VmRSS"]
    data = Synthetic(args.records, args.seed)
    queries = data.queries(args.queries, args.seed)
    gc.collect()
    result: dict[str, Any] = {"variant": variant, "rss_start_kib": start_kib, "hwm_reset": _reset_peak()}
    result["rss_before_kib"] = _status()["VmRSS"]
    cap = args.cap
    start = time.perf_counter()
    if variant == "generate":
        n_keys = sum(len(keys) for _, keys in data.records())
        result["n_keys"] = n_keys
    elif variant == "dict":
        table: dict[str, list[int]] = {}
        for record, keys in data.records():
            for key in dict.fromkeys(keys):  # a key repeated within a record is posted once, as in the index
                ids = table.get(key)
                if ids is None:
                    table[key] = [record]
                else:
                    ids.append(record)
        result["build_s"] = time.perf_counter() - start
        result["n_blocks"] = len(table)

        def run_dict(query: list[str]) -> tuple[int, int]:
            found: set[int] = set()
            capped = 0
            for key in dict.fromkeys(query):
                ids = table.get(key)
                if ids is None:
                    continue
                if len(ids) > cap:
                    capped += 1
                    continue
                found.update(ids)
            return len(found), capped

        result["after"] = _status()
        result.update(_time_queries(run_dict, queries))
        # Deep size of the structure: dict + key strings + lists + one int per record (ints are shared).
        result["structure_bytes"] = (
            sys.getsizeof(table)
            + sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in table.items())
            + sum(sys.getsizeof(r) for r in range(256, args.records))
        )
    else:
        path = Path(args.workdir) / "index"
        if variant == "index":
            index = CandidateIndex.build(data.records())
            result["build_s"] = time.perf_counter() - start
        else:
            index = CandidateIndex.load(path, mmap=True)
            result["load_s"] = time.perf_counter() - start
        result["after"] = _status()
        result["n_blocks"] = index.n_keys
        result["n_postings"] = index.n_postings
        result["structure_bytes"] = index.nbytes
        result.update(_time_queries(lambda q: (len(r := index.candidates(q, cap)), len(r.capped)), queries))
        sizes = index.block_sizes()
        result["block_sizes"] = {
            "p50": float(np.percentile(sizes, 50)),
            "p99": float(np.percentile(sizes, 99)),
            "max": int(sizes.max()),
            "over_cap": int((sizes > cap).sum()),
        }
        # Name the largest blocks from the keys most likely to be large (the most frequent tokens).
        likely = [f"t:{t}" for t in data.vocab[:200]] + [f"p:{p}" for p in data.phonetic[:200]]
        result["largest"] = index.largest_keys(5, likely)
        if variant == "index":
            save_start = time.perf_counter()
            index.save(path)
            result["save_s"] = time.perf_counter() - save_start
    result["elapsed_s"] = time.perf_counter() - start
    result["final"] = _status()
    return result


def _run_child(variant: str, args: argparse.Namespace, workdir: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.bench_index_memory", "--child", variant, "--workdir", workdir]
    cmd += ["--records", str(args.records), "--queries", str(args.queries), "--cap", str(args.cap)]
    cmd += ["--seed", str(args.seed)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _mib(kib: float) -> str:
    return f"{kib / 1024:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--cap", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args)))
        return

    import numpy

    with tempfile.TemporaryDirectory(prefix="bench-index-") as workdir:
        runs = {}
        for variant in VARIANTS:  # index-mmap reads what index saved, so the order matters
            print(f"running {variant} ...", file=sys.stderr, flush=True)
            runs[variant] = _run_child(variant, args, workdir)
    gen, base, idx, mm = (runs[v] for v in VARIANTS)
    agree = (
        (base["candidates"], base["capped"]) == (idx["candidates"], idx["capped"]) == (mm["candidates"], mm["capped"])
    )

    n_keys = gen["n_keys"]
    print(f"## Candidate index: memory and latency (synthetic, {args.records:,} records)\n")
    print(
        f"Command: `python -m benchmarks.bench_index_memory --records {args.records} --queries {args.queries} "
        f"--cap {args.cap}`  \nPython {platform.python_version()}, numpy {numpy.__version__}, {platform.machine()}\n"
    )
    print(
        f"Synthetic registry (not real names): {args.records:,} records, {n_keys:,} keys "
        f"({n_keys / args.records:.2f} per record), {idx['n_blocks']:,} distinct keys, "
        f"{idx['n_postings']:,} postings after de-duplication. Zipf({ZIPF_S}) tokens over {VOCAB:,}: block size "
        f"p50 {idx['block_sizes']['p50']:.0f}, p99 {idx['block_sizes']['p99']:.0f}, max {idx['block_sizes']['max']:,}; "
        f"{idx['block_sizes']['over_cap']:,} blocks over the cap of {args.cap:,}. Largest: "
        + ", ".join(f"`{k}` {s:,}" for k, s in idx["largest"])
        + ".\n"
    )
    print(
        f"{args.queries:,} queries of 6 keys (after {WARMUP:,} warm-up queries), cap {args.cap:,}. "
        f"Generating the key strings alone (the floor of any build): {gen['elapsed_s']:.2f} s.\n"
    )
    print("| measure | dict[str, list[int]] (baseline) | CandidateIndex (built) | CandidateIndex (mmap load) |")
    print("|---|---|---|---|")
    rows = [
        ("build / load time", f"{base['build_s']:.2f} s", f"{idx['build_s']:.2f} s", f"{mm['load_s'] * 1000:.1f} ms"),
        ("RSS at start (Python, numpy, imports)", *(_mib(r["rss_start_kib"]) + " MiB" for r in (base, idx, mm))),
        (
            "RSS before build (+ synthetic data + queries)",
            *(_mib(r["rss_before_kib"]) + " MiB" for r in (base, idx, mm)),
        ),
        ("RSS after build / load", *(_mib(r["after"]["VmRSS"]) + " MiB" for r in (base, idx, mm))),
        (
            "RSS growth from build / load",
            *(_mib(r["after"]["VmRSS"] - r["rss_before_kib"]) + " MiB" for r in (base, idx, mm)),
        ),
        (
            "peak RSS during build / load + queries (VmHWM)" + ("" if idx["hwm_reset"] else ", incl. data generation"),
            *(_mib(r["final"]["VmHWM"]) + " MiB" for r in (base, idx, mm)),
        ),
        (
            "RSS after queries: anonymous / file-backed (shared)",
            *(f"{_mib(r['final']['RssAnon'])} / {_mib(r['final']['RssFile'])} MiB" for r in (base, idx, mm)),
        ),
        (
            "bytes of the structure",
            f"{base['structure_bytes'] / 2**20:,.0f} MiB (getsizeof, deep)",
            f"{idx['structure_bytes'] / 2**20:,.1f} MiB (arrays)",
            f"{mm['structure_bytes'] / 2**20:,.1f} MiB (mapped files)",
        ),
        ("query p50", *(f"{r['p50_us']:.1f} µs" for r in (base, idx, mm))),
        ("query p99", *(f"{r['p99_us']:.1f} µs" for r in (base, idx, mm))),
        ("query mean", *(f"{r['mean_us']:.1f} µs" for r in (base, idx, mm))),
        ("candidates over all queries", *(f"{r['candidates']:,}" for r in (base, idx, mm))),
        ("capped blocks over all queries", *(f"{r['capped']:,}" for r in (base, idx, mm))),
    ]
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(
        f"\nSame candidates and capped blocks in every variant: {'yes' if agree else 'NO'}. "
        f"Index save: {idx['save_s']:.2f} s. The baseline's set is unsorted; the index returns sorted int32 ids."
    )
    if not agree:
        sys.exit(1)


if __name__ == "__main__":
    main()
