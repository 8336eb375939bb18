"""The scorers compared: rapidfuzz token_sort_ratio, OpenSanctions' logic-v2, and `resolver compare`.

Each is a `metrics.Scorer`: (name_a, name_b, entity_type) rows in, float scores out, higher = more alike.
logic-v2 runs in its own virtualenv (benchmarks/.venv-nomenklatura) through a subprocess, so nomenklatura
never enters the project's dependencies; its scores are cached under benchmarks/.cache/. The resolver is
scored through its real command line, as a user would run it.
"""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from rapidfuzz import fuzz

from benchmarks.accuracy.metrics import Pair

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / "benchmarks"
NOMENKLATURA_VENV = BENCH_DIR / ".venv-nomenklatura"
CACHE_DIR = BENCH_DIR / ".cache"
WORKER = Path(__file__).with_name("logic_v2_worker.py")
RESOLVER_BIN = ROOT / ".venv" / "bin" / "resolver"

# Pair entity types to FollowTheMoney schemata (what `resolver compare` and logic-v2 both take). "unknown" and the
# two aircraft pairs go to LegalEntity, the schema for a party of unknown kind.
SCHEMA = {"person": "Person", "organization": "Organization", "unknown": "LegalEntity", "vessel": "Vessel"}


def schema_of(entity_type: str) -> str:
    return SCHEMA.get(entity_type, "LegalEntity")


def pair_key(pair: Pair) -> str:
    """A stable id for a pair's content (schema and both names).

    Caches and CLI round-trips key on content rather than the file's pair_id, so ad-hoc pairs (the cross-script
    list) work too and a regenerated pairs file can never be served another pair's cached score.
    """
    name_a, name_b, entity_type = pair
    digest = hashlib.sha256(f"{schema_of(entity_type)}\x1f{name_a}\x1f{name_b}".encode()).hexdigest()
    return digest[:24]


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def token_sort_ratio(pairs: Sequence[Pair]) -> list[float]:
    """Baseline: rapidfuzz token_sort_ratio (0-100) on the raw names, lower-cased, nothing else."""
    return [float(fuzz.token_sort_ratio(a.lower(), b.lower())) for a, b, _ in pairs]


class LogicV2:
    """OpenSanctions' logic-v2 matcher (nomenklatura), run in its own virtualenv, scores cached per pair."""

    name = "logic-v2"

    def __init__(self, venv: Path = NOMENKLATURA_VENV, cache_dir: Path = CACHE_DIR, processes: int = 2) -> None:
        self.python = venv / "bin" / "python"
        self.cache_dir = cache_dir
        self.processes = processes
        self.version = ""
        self.scored = 0  # pairs scored by nomenklatura in this run (the rest came from the cache)
        self.cached = 0
        self.seconds = 0.0
        self._cache: dict[str, float] | None = None

    def unavailable_reason(self) -> str | None:
        if not self.python.exists():
            return (
                f"{self.python} not found; create it with: python3 -m venv {self.python.parents[1]} && "
                f"{self.python.parent / 'pip'} install nomenklatura"
            )
        done = subprocess.run([str(self.python), str(WORKER), "--version"], capture_output=True, text=True)
        if done.returncode != 0:
            return f"nomenklatura is not usable in {self.python.parents[1]}: {_tail(done.stderr, 5)}"
        self.version = done.stdout.strip()
        return None

    @property
    def cache_path(self) -> Path:
        # The versions are in the name: another nomenklatura release scores differently, so it starts afresh.
        return self.cache_dir / f"logic_v2_{self.version or 'unknown'}.csv"

    def _load_cache(self) -> dict[str, float]:
        if self._cache is None:
            self._cache = {}
            if self.cache_path.exists():
                with self.cache_path.open(newline="", encoding="utf-8") as fh:
                    self._cache = {row["key"]: float(row["score"]) for row in csv.DictReader(fh)}
        return self._cache

    def __call__(self, pairs: Sequence[Pair]) -> list[float]:
        cache = self._load_cache()
        keys = [pair_key(p) for p in pairs]
        todo = {k: p for k, p in zip(keys, pairs, strict=True) if k not in cache}
        self.cached += len(keys) - sum(1 for k in keys if k in todo)
        if todo:
            self._score(todo)
        return [cache[k] for k in keys]

    def _score(self, todo: dict[str, Pair]) -> None:
        """Score the uncached pairs in `processes` worker processes; cache whatever they finish, even on failure."""
        assert self._cache is not None
        started = time.perf_counter()
        items = sorted(todo.items())
        # Each worker spends ~9 s loading nomenklatura's name data: a second one only pays off on a large batch.
        processes = self.processes if len(items) >= 2000 else 1
        chunks = [items[i::processes] for i in range(processes)]  # interleaved: equal work per process
        print(f"logic-v2: scoring {len(items):,} pairs in {len(chunks)} processes", file=sys.stderr, flush=True)
        failures: list[str] = []
        with tempfile.TemporaryDirectory(prefix="logic-v2-") as tmp:
            procs: list[tuple[subprocess.Popen[bytes], Path, Path]] = []
            for i, chunk in enumerate(chunks):
                src, out, err = Path(tmp) / f"in{i}.csv", Path(tmp) / f"out{i}.csv", Path(tmp) / f"err{i}.txt"
                with src.open("w", newline="", encoding="utf-8") as fh:
                    writer = csv.writer(fh)
                    writer.writerow(["key", "schema", "name_a", "name_b"])
                    writer.writerows([k, schema_of(t), a, b] for k, (a, b, t) in chunk)
                with err.open("wb") as err_fh:
                    proc = subprocess.Popen([str(self.python), str(WORKER), str(src), str(out)], stderr=err_fh)
                procs.append((proc, out, err))
            fresh: dict[str, float] = {}
            for proc, out, err in procs:
                if proc.wait() != 0:
                    failures.append(f"exit {proc.returncode}: {_tail(err.read_text(errors='replace'))}")
                if out.exists():
                    with out.open(newline="", encoding="utf-8") as fh:
                        fresh.update((row["key"], float(row["score"])) for row in csv.DictReader(fh) if row["score"])
        self._append_cache(fresh)
        self._cache.update(fresh)
        self.scored += len(fresh)
        self.seconds += time.perf_counter() - started
        if failures:
            raise RuntimeError("logic-v2 worker failed (scores it finished are cached): " + " | ".join(failures))

    def _append_cache(self, fresh: dict[str, float]) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        new_file = not self.cache_path.exists()
        with self.cache_path.open("a", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            if new_file:
                writer.writerow(["key", "score"])
            writer.writerows([k, repr(s)] for k, s in sorted(fresh.items()))


class ResolverUnavailable(RuntimeError):
    """`resolver compare` is missing or failed: the report says so and still shows the baselines."""


class ResolverCompare:
    """The resolver's own scores, through `resolver compare --pairs IN.csv --out OUT.csv`.

    Score = match_weight; decision = the `match` column (the shipped default threshold). One CLI run per new batch
    of pairs fills both, so asking for scores and then decisions of the same pairs runs the command once.
    """

    name = "resolver"

    def __init__(self, exe: Path = RESOLVER_BIN, timeout: float = 3 * 3600) -> None:
        self.exe = exe
        self.timeout = timeout
        self.seconds = 0.0
        self._results: dict[str, tuple[float, bool]] = {}

    def unavailable_reason(self) -> str | None:
        if not self.exe.exists():
            return f"{self.exe} not found (install the project: .venv/bin/pip install -e .)"
        done = subprocess.run([str(self.exe), "compare", "--help"], capture_output=True, text=True)
        if done.returncode != 0:
            return f"`resolver compare --help` exited {done.returncode}: {_tail(done.stderr or done.stdout, 3)}"
        return None

    def __call__(self, pairs: Sequence[Pair]) -> list[float]:
        return self.scores(pairs)

    def scores(self, pairs: Sequence[Pair]) -> list[float]:
        self._ensure(pairs)
        return [self._results[pair_key(p)][0] for p in pairs]

    def decisions(self, pairs: Sequence[Pair]) -> list[bool]:
        self._ensure(pairs)
        return [self._results[pair_key(p)][1] for p in pairs]

    def _ensure(self, pairs: Sequence[Pair]) -> None:
        todo = {pair_key(p): p for p in pairs if pair_key(p) not in self._results}
        if not todo:
            return
        started = time.perf_counter()
        print(f"resolver compare: {len(todo):,} pairs", file=sys.stderr, flush=True)
        env = {**os.environ, "RESOLVER_LOG_FORMAT": "json", "RESOLVER_LOG_LEVEL": "warning"}
        with tempfile.TemporaryDirectory(prefix="resolver-compare-") as tmp:
            src, out = Path(tmp) / "pairs.csv", Path(tmp) / "scored.csv"
            with src.open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(["pair_id", "name1", "name2", "schema"])
                writer.writerows([k, a, b, schema_of(t)] for k, (a, b, t) in sorted(todo.items()))
            cmd = [str(self.exe), "compare", "--pairs", str(src), "--out", str(out)]
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=self.timeout)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise ResolverUnavailable(f"`resolver compare` did not run: {exc}") from exc
            if done.returncode != 0:
                raise ResolverUnavailable(f"`resolver compare` exited {done.returncode}: {_tail(done.stderr)}")
            self._read(out, todo)
        self.seconds += time.perf_counter() - started

    def _read(self, out: Path, todo: dict[str, Pair]) -> None:
        if not out.exists():
            raise ResolverUnavailable(f"`resolver compare` exited 0 but wrote no {out.name}")
        with out.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                try:
                    weight = float(row["match_weight"])
                    match = {"true": True, "false": False, "1": True, "0": False}[row["match"].strip().lower()]
                    self._results[row["pair_id"]] = (weight, match)
                except (KeyError, ValueError) as exc:
                    raise ResolverUnavailable(f"`resolver compare` wrote an unreadable row {row}: {exc!r}") from exc
        missing = [k for k in todo if k not in self._results]
        if missing:
            raise ResolverUnavailable(f"`resolver compare` returned no row for {len(missing):,} of {len(todo):,} pairs")
