"""Benchmark: in-process resolve latency (candidate index + compiled scorer), single thread, after warm-up.

    python -m benchmarks.bench_resolve [--queries 2000] [--synthetic-names 1000000] [--baseline-queries 100] [--write]

Two registries, each in its own subprocess so that its RSS (VmRSS from /proc/self/status) is its own:

- ``real``: the latest version of every shared registry (benchmarks/registry_files.py), ingested into a temporary
  store and read with ``registry_rows``, one model row per (entity, name);
- ``synthetic``: SYNTHETIC, the real rows plus made-up rows up to ``--synthetic-names``. Each made-up row copies a
  random real row (its kind, token count, legal form, dates of birth, countries) and replaces every word by a
  word drawn from the real words of the same kind at the same position (first / middle / last), so block sizes
  and token frequencies grow as a registry ten times larger would, with names no list holds. They are generated
  one at a time while ``Matcher.from_rows`` reads them (its build time includes making them up).

Queries (``--queries``, half and half): noisy variants of the registry's own names (one or two of: a typo, two
tokens swapped, a token dropped, transliteration-like spellings such as v/w, ks/x, y/i, kh/h), given the kind of
the name they come from; and synthetic negatives (populations/synthetic_negatives_global.csv, OpenSanctions'
people on no list) as persons. Names only: no dates or countries, so no evidence other than the name lifts a pair.

Measured per query: ``Matcher.resolve`` with explain=False and explain=True at the shipped threshold (limit 10),
and the index alone (``prepare_name().index_keys()`` + ``CandidateIndex.candidates``). The baseline, in the same
process: rapidfuzz ``process.extractOne(query, names, scorer=fuzz.token_sort_ratio)`` over every registry name
(sorted, distinct), a full scan per query, on the first ``--baseline-queries`` queries of each half (it is slow).
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import gc
import hashlib
import json
import pickle
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.accuracy.split import shared_data_dir
from benchmarks.registry_files import latest_registry_paths
from benchmarks.stats import percentiles

SECTION = "Resolve latency (in process)"
WARMUP = 200
STAGES = ("prepare", "index", "prefilter", "score", "rest")  # see "Where resolve's time goes" in the report
NEGATIVES_FILE = Path("populations") / "synthetic_negatives_global.csv"
# Spellings that transliterations of one name swap (Cyrillic and Arabic romanisations, German/English habits).
TRANSLIT = (
    ("v", "w"),
    ("w", "v"),
    ("ks", "x"),
    ("x", "ks"),
    ("y", "i"),
    ("i", "y"),
    ("kh", "h"),
    ("j", "y"),
    ("ou", "u"),
    ("u", "ou"),
    ("ph", "f"),
    ("sh", "sch"),
    ("ch", "tch"),
    ("ie", "iye"),
    ("e", "ye"),
)


def _status() -> dict[str, int]:
    """VmRSS and VmHWM (peak) of this process, in KiB."""
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0])
    return out


def columns_bytes(matcher: Any) -> dict[str, int]:
    """Bytes of the matcher's row columns, per column (numpy arrays and UTF-8 buffers; the distinct values of
    coded columns and the token vocabulary by sys.getsizeof), plus its term-frequency tables."""
    out: dict[str, int] = matcher.rows.nbytes()
    for column, table in matcher.scorer.tf_tables.items():
        out[f"(tf table {column})"] = int(getattr(table, "nbytes", sys.getsizeof(table)))
    return out


def code_digest() -> str:
    """sha256 over the resolver's Python sources (first 12 hex digits): which code state was measured."""
    root = Path(__file__).resolve().parents[1] / "resolver"
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def latest_rows(data_dir: Path | None = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Model rows of the latest version of every shared registry, from a temporary store (ingested afresh)."""
    from resolver.model.train import registry_rows
    from resolver.registry.ingest import parse_all
    from resolver.registry.store import RegistryStore

    registries = (data_dir or shared_data_dir()) / "registries"
    with tempfile.TemporaryDirectory(prefix="bench-resolve-") as tmp:
        store = RegistryStore(Path(tmp) / "registry.duckdb")
        store.ingest(parse_all(latest_registry_paths(registries)))
        return registry_rows(store, index_keys=True)  # as a server reads them (snapshot.load_snapshot)


# -- queries -------------------------------------------------------------------------------------


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 3:
        return word
    i = rng.randrange(1, len(word))  # not the first letter: lists rarely misspell that one
    op = rng.choice(("sub", "del", "ins", "swap"))
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    if op == "sub":
        return word[:i] + letter + word[i + 1 :]
    if op == "del":
        return word[:i] + word[i + 1 :]
    if op == "ins":
        return word[:i] + letter + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def _translit(word: str, rng: random.Random) -> str:
    options = [(a, b) for a, b in TRANSLIT if a in word.lower()]
    if not options:
        return _typo(word, rng)
    a, b = rng.choice(options)
    low = word.lower()
    i = low.index(a)
    return word[:i] + b + word[i + len(a) :]


def noisy_variant(name: str, rng: random.Random) -> str:
    """One or two edits of a registry name: typo, token swap, dropped token, transliteration-like spelling."""
    words = name.split()
    for _ in range(rng.choice((1, 1, 2))):
        edit = rng.choice(("typo", "swap", "drop", "translit"))
        if edit in ("swap", "drop") and len(words) < (2 if edit == "swap" else 3):
            edit = "typo"  # a dropped token must leave two: one word is another name altogether
        if edit == "swap":
            i = rng.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
        elif edit == "drop":
            del words[rng.randrange(len(words))]
        else:
            i = rng.randrange(len(words))
            words[i] = _typo(words[i], rng) if edit == "typo" else _translit(words[i], rng)
    return " ".join(words)


def synthetic_negatives(n: int, data_dir: Path, seed: int) -> list[str]:
    with (data_dir / NEGATIVES_FILE).open(newline="", encoding="utf-8") as fh:
        names = [row["full_name"] for row in csv.DictReader(fh)]
    return random.Random(seed).sample(names, n)


def make_queries(
    columns: dict[str, list[Any]], n: int, data_dir: Path, seed: int, pool: int | None = None
) -> list[tuple[str, str | None, str]]:
    """(name, kind, half) queries: n // 2 noisy variants of registry names, the rest synthetic negatives.

    ``pool``: draw the variants from the first ``pool`` rows only (the real ones, in the synthetic registry)."""
    rng = random.Random(seed)
    names, kinds = columns["name"], columns["kind"]
    picks = rng.sample(range(pool or len(names)), n // 2)
    queries: list[tuple[str, str | None, str]] = [(noisy_variant(names[i], rng), kinds[i], "variant") for i in picks]
    queries += [(q, "person", "negative") for q in synthetic_negatives(n - n // 2, data_dir, seed)]
    return queries


# -- the synthetic registry ----------------------------------------------------------------------


Template = tuple[str | None, int, str | None, tuple[str, ...], tuple[str, ...]]


def synthetic_templates(rows: list[dict[str, Any]]) -> tuple[list[Template], dict[tuple[str | None, str], list[str]]]:
    """What made-up rows are drawn from: (kind, word count, legal form, dates of birth, countries) of every real
    row with a name, and the real words by (kind, place in the name), with repeats (draws follow the frequencies)."""
    words: dict[tuple[str | None, str], list[str]] = defaultdict(list)
    templates: list[Template] = []
    for r in rows:
        if not r["name_norm"]:
            continue
        tokens = r["name_norm"].split()
        for i, token in enumerate(tokens):
            place = "first" if i == 0 else "last" if i == len(tokens) - 1 else "middle"
            words[(r["kind"], place)].append(token)
        dates = tuple(r["dob_dates"] or r["dob_years"] or ())
        templates.append((r["kind"], len(tokens), r["legal_form"], dates, tuple(r["countries"] or ())))
    return templates, dict(words)


def synthetic_rows(
    real: Iterable[dict[str, Any]], real_count: int, templates: list[Template],
    words: dict[tuple[str | None, str], list[str]], total: int, seed: int,
) -> Iterator[dict[str, Any]]:  # fmt: skip
    """The real rows (streamed) plus made-up rows up to ``total`` (see the module docstring), one at a time: the
    matcher is built from the stream, so neither the real nor the made-up rows are ever all alive at once."""
    from resolver.model.features import model_row

    rng = random.Random(seed)
    yield from real
    for n in range(total - real_count):
        kind, size, legal_form, dates, countries = rng.choice(templates)
        parts = []
        for i in range(size):
            place = "first" if i == 0 else "last" if i == size - 1 else "middle"
            parts.append(rng.choice(words[(kind, place)]).title())
        if legal_form:
            parts.append(legal_form.upper())  # prepare_name takes it out again, as from a real name
        name = " ".join(parts)
        yield model_row(f"synthetic-{n}#0", f"synthetic-{n}", name, kind, dates, countries, index_keys=True)


# -- one registry, in a child process ------------------------------------------------------------


def dump_rows(path: Path) -> None:
    """``latest_rows()`` into ``path``: its description, the synthetic templates, then the rows one pickle each."""
    rows, info = latest_rows()
    info["rows"] = len(rows)
    with path.open("wb") as fh:
        pickle.dump(info, fh, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.dump(synthetic_templates(rows), fh, protocol=pickle.HIGHEST_PROTOCOL)
        for row in rows:
            pickle.dump(row, fh, protocol=pickle.HIGHEST_PROTOCOL)


@contextmanager
def rows_from_a_subprocess() -> Iterator[tuple[dict[str, Any], Any, Iterator[dict[str, Any]]]]:
    """(description, synthetic templates, a stream of the rows) of ``latest_rows()``, ingested and read in another
    process: what the ingest leaves in the heap (DuckDB's buffers, parser garbage) is not the matcher's, and the
    rows are read one at a time as the matcher takes them, as a server streams them from its store."""
    with tempfile.TemporaryDirectory(prefix="bench-resolve-rows-") as tmp:
        path = Path(tmp) / "rows.pickle"
        subprocess.run([sys.executable, "-m", "benchmarks.bench_resolve", "--dump-rows", str(path)], check=True)
        with path.open("rb") as fh:
            info = pickle.load(fh)
            templates = pickle.load(fh)

            def stream() -> Iterator[dict[str, Any]]:
                for _ in range(info["rows"]):
                    yield pickle.load(fh)

            yield info, templates, stream()


def _timed(run: Callable[[int], Any], n: int) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Milliseconds of run(i) for each i < n, after one untimed warm-up pass over the first WARMUP."""
    for i in range(min(WARMUP, n)):
        run(i)
    times = np.empty(n, dtype=np.float64)
    for i in range(n):
        start = time.perf_counter_ns()
        run(i)
        times[i] = (time.perf_counter_ns() - start) / 1e6
    return times


def _child(registry: str, args: argparse.Namespace) -> dict[str, Any]:
    from rapidfuzz import fuzz, process

    from resolver.logs import configure_logging
    from resolver.matching.engine import Matcher, Query
    from resolver.model.artefact import load_artefact
    from resolver.names import prepare_name

    configure_logging("json", "warning")  # keep stdout for the JSON result
    data_dir = shared_data_dir()
    result: dict[str, Any] = {"registry": registry, "rss_start_kib": _status()["VmRSS"]}
    started = time.perf_counter()
    with rows_from_a_subprocess() as (info, (templates, words), rows):
        result["real_rows"] = info["rows"]
        result["entities"] = info["entities"]
        result["snapshot_digest"] = info["snapshot_digest"]
        result["load_s"] = time.perf_counter() - started  # the subprocess's ingest; the rows are read in the build
        artefact = load_artefact()
        gc.collect()
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        result["rss_before_build_kib"] = _status()["VmRSS"]
        started = time.perf_counter()
        if registry == "synthetic":
            # made up while the matcher reads them: build_s includes generating them
            stream = synthetic_rows(rows, info["rows"], templates, words, args.synthetic_names, args.seed)
            matcher = Matcher.from_rows(stream, artefact)
            result["generated_in_build"] = True
        else:
            matcher = Matcher.from_rows(rows, artefact)
        del templates, words
    result["build_s"] = time.perf_counter() - started
    result["rss_after_build_kib"] = _status()["VmRSS"]
    result["hwm_after_build_kib"] = _status()["VmHWM"]
    result["names"] = len(matcher.rows)
    result["keys"] = matcher.index.n_keys
    result["postings"] = matcher.index.n_postings
    result["index_bytes"] = matcher.index.nbytes
    del rows  # the spent row stream: what stays is the matcher (columns, tf tables, index)
    gc.collect()
    result["rss_matcher_kib"] = _status()["VmRSS"]
    # CPython keeps freed memory in its arenas and glibc's heap; malloc_trim hands glibc's free pages back, so the
    # RSS after it is closer to what the matcher itself holds.
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    result["rss_trimmed_kib"] = _status()["VmRSS"]
    names_sorted = sorted(set(matcher.rows.columns["name"]))
    result["rss_with_baseline_names_kib"] = _status()["VmRSS"]

    queries = make_queries(matcher.rows.columns, args.queries, data_dir, args.seed, pool=result["real_rows"])
    query_objs = [Query(name, kind=kind) for name, kind, _ in queries]
    halves = np.array([half for _, _, half in queries])
    result["threshold"] = matcher.threshold
    result["model"] = matcher.artefact.version
    result["code"] = code_digest()
    result["block_cap"] = matcher.block_cap

    candidates = np.zeros(len(queries), dtype=np.int64)
    capped = np.zeros(len(queries), dtype=np.int64)
    flagged = np.zeros(len(queries), dtype=bool)

    stages = np.zeros((len(queries), len(STAGES) - 1), dtype=np.float64)  # ms; the rest is the total less these

    def resolve_plain(i: int) -> None:
        matches, stats = matcher.resolve(query_objs[i], explain=False)
        candidates[i], capped[i], flagged[i] = stats.candidates, stats.capped_keys, bool(matches)
        stages[i] = (stats.prepare_s, stats.index_s, stats.prefilter_s, stats.score_s)

    def resolve_explain(i: int) -> None:
        matcher.resolve(query_objs[i], explain=True)

    index_candidates = np.zeros(len(queries), dtype=np.int64)

    def index_only(i: int) -> None:
        name, kind, _ = queries[i]
        index_candidates[i] = len(
            matcher.index.candidates(prepare_name(name, kind).index_keys(), cap=matcher.block_cap, pair_capped=True)
        )

    timings = {
        "index": _timed(index_only, len(queries)),
        "resolve": _timed(resolve_plain, len(queries)),
        "resolve_explain": _timed(resolve_explain, len(queries)),
    }
    result["latency_ms"] = {
        name: {half: percentiles(t[halves == half] if half != "all" else t) for half in ("all", "variant", "negative")}
        for name, t in timings.items()
    }
    result["candidates"] = {
        half: percentiles(candidates[halves == half] if half != "all" else candidates)
        for half in ("all", "variant", "negative")
    }
    stages *= 1000
    rest = timings["resolve"] - stages.sum(axis=1)  # same-words rule, ranking, and the call itself
    result["stages_ms"] = {
        stage: percentiles(values) for stage, values in zip(STAGES, [*stages.T, rest], strict=True)
    } | {"total": percentiles(timings["resolve"])}
    result["index_candidates"] = {
        half: percentiles(index_candidates[halves == half] if half != "all" else index_candidates)
        for half in ("all", "variant", "negative")
    }
    result["queries_capped"] = {
        half: float((capped[halves == half] > 0).mean()) for half in ("variant", "negative")
    } | {"all": float((capped > 0).mean())}
    result["flagged"] = {half: int(flagged[halves == half].sum()) for half in ("variant", "negative")}
    result["queries"] = {half: int((halves == half).sum()) for half in ("variant", "negative")}

    # Baseline: a full token_sort_ratio scan per query, on the first baseline-queries of each half.
    picked = [i for half in ("variant", "negative") for i in np.flatnonzero(halves == half)[: args.baseline_queries]]

    def scan(i: int) -> None:
        process.extractOne(queries[picked[i]][0], names_sorted, scorer=fuzz.token_sort_ratio)

    base = _timed(scan, len(picked))  # its warm-up repeats the first queries: the scan keeps no state anyway
    result["baseline_ms"] = percentiles(base)
    result["baseline_queries"] = len(picked)
    result["baseline_choices"] = len(names_sorted)
    # The resolver on exactly the baseline's queries, for a like-for-like ratio.
    result["resolve_on_baseline_queries_ms"] = percentiles(timings["resolve"][picked])
    result["final"] = _status()
    result["columns_bytes"] = columns_bytes(matcher)  # after the RSS readings: it allocates
    result["mapped"] = _saved_and_mapped(matcher, queries)
    return result


def _saved_and_mapped(matcher: Any, queries: list[Any]) -> dict[str, Any]:
    """Save the matcher (persist.save_matcher, as `resolver ingest` does), then map it in a fresh process and
    resolve the same queries there: what a server that maps a saved matcher costs and holds."""
    from resolver.matching.persist import save_matcher

    with tempfile.TemporaryDirectory(prefix="bench-resolve-") as tmp:  # /tmp is on disk here, not tmpfs
        started = time.perf_counter()
        saved = save_matcher(matcher, Path(tmp) / "matcher")
        save_s = time.perf_counter() - started
        (Path(tmp) / "queries.json").write_text(json.dumps(queries), encoding="utf-8")
        cmd = [sys.executable, "-m", "benchmarks.bench_resolve", "--child-mapped", tmp]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stderr[-5000:])
            raise SystemExit(f"mapped child exited {done.returncode}")
        result = dict(json.loads(done.stdout.strip().splitlines()[-1]))
        result["save_s"] = save_s
        result["bytes"] = sum(f.stat().st_size for f in saved.rglob("*") if f.is_file())
    return result


def _mapped_child(tmp: Path) -> dict[str, Any]:
    from resolver.logs import configure_logging
    from resolver.matching.engine import Query
    from resolver.matching.persist import load_matcher
    from resolver.model.artefact import load_artefact

    configure_logging("json", "warning")
    artefact = load_artefact()
    result: dict[str, Any] = {"rss_before_kib": _status()["VmRSS"]}
    started = time.perf_counter()
    matcher = load_matcher(tmp / "matcher", artefact)
    result["load_s"] = time.perf_counter() - started
    result["rss_loaded_kib"] = _status()["VmRSS"]
    queries = json.loads((tmp / "queries.json").read_text(encoding="utf-8"))
    objs = [Query(name, kind=kind) for name, kind, _ in queries]
    times = _timed(lambda i: matcher.resolve(objs[i], explain=False), len(objs))
    result["latency_ms"] = percentiles(times)
    result["final"] = _status()
    # A fresh process has not prepared the registry's names, so its name-preparation caches start empty (a built
    # matcher's process has them full of registry words): a second pass shows it once they hold the query words.
    result["second_pass_ms"] = percentiles(_timed(lambda i: matcher.resolve(objs[i], explain=False), len(objs)))
    return result


def _run_child(registry: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.bench_resolve", "--child", registry]
    cmd += ["--queries", str(args.queries), "--synthetic-names", str(args.synthetic_names)]
    cmd += ["--baseline-queries", str(args.baseline_queries), "--seed", str(args.seed)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-5000:])
        raise SystemExit(f"{registry}: child exited {done.returncode}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- the report ----------------------------------------------------------------------------------


def _mib(kib: float) -> str:
    return f"{kib / 1024:,.0f} MiB"


def _ms(x: float) -> str:
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:,.0f}"


def _target(ok: bool) -> str:
    return "met" if ok else "**not met**"


def report(runs: dict[str, dict[str, Any]], args: argparse.Namespace) -> str:
    real, synth = runs["real"], runs["synthetic"]
    out = [
        f"Single thread, one process per registry. {real['queries']['variant']:,} noisy variants of registry "
        f"names + {real['queries']['negative']:,} synthetic negatives per registry (names and kinds only; seed "
        f"{args.seed}); model {real['model']}, resolver sources {real['code']} (sha256 of resolver/**/*.py: "
        f"others edit it, so this names the code measured). The first {WARMUP} queries run once untimed (warm-up), "
        "then every query is timed one by one. resolve = "
        f"`Matcher.resolve(Query(name, kind), limit=10)` at the shipped threshold (match weight "
        f"{real['threshold']:g}), block cap {real['block_cap']:,}; index only = `prepare_name(name, kind)"
        ".index_keys()` + `CandidateIndex.candidates(keys, cap)`, the part of resolve before scoring.",
        *(
            [
                f"**The two children measured different resolver sources** (real {real['code']}, synthetic "
                f"{synth['code']}): the code changed during the run."
            ]
            if real["code"] != synth["code"]
            else []
        ),
        "",
        f"- real: the latest version of every shared registry, **{real['names']:,} names** of "
        f"{real['entities']:,} entities (snapshot {real['snapshot_digest'][:12]}); {real['keys']:,} index keys, "
        f"{real['postings']:,} postings.",
        f"- synthetic ({synth['names']:,} names): SYNTHETIC. The {synth['real_rows']:,} real rows plus "
        f"{synth['names'] - synth['real_rows']:,} made-up rows, each a random real row's kind, token count, legal "
        "form, dates of birth and countries with every word replaced by a real word of the same kind at the same "
        "position (first / middle / last) drawn with the real frequencies; one entity per made-up name. Variant "
        f"queries are drawn from the real rows. {synth['keys']:,} index keys, {synth['postings']:,} postings.",
        "",
        "### Latency (ms per query)",
        "",
        "| registry | measure | queries | p50 | p95 | p99 | max | mean |",
        "|---|---|---|---|---|---|---|---|",
    ]
    labels = {"index": "index only", "resolve": "resolve, explain=False", "resolve_explain": "resolve, explain=True"}
    for key, run in (("real", real), ("synthetic", synth)):
        size = f"{key} {run['names']:,}"
        for measure, label in labels.items():
            for half in ("all", "variant", "negative") if measure == "resolve" else ("all",):
                p = run["latency_ms"][measure][half]
                n = sum(run["queries"].values()) if half == "all" else run["queries"][half]
                name = label if half == "all" else f"{label}: {half}s only"
                out.append(
                    f"| {size} | {name} | {n:,} | {_ms(p['p50'])} | {_ms(p['p95'])} | {_ms(p['p99'])} | "
                    f"{_ms(p['max'])} | {_ms(p['mean'])} |"
                )
        b, r = run["baseline_ms"], run["resolve_on_baseline_queries_ms"]
        out.append(
            f"| {size} | baseline: extractOne token_sort_ratio, full scan of {run['baseline_choices']:,} names | "
            f"{run['baseline_queries']:,} | {_ms(b['p50'])} | {_ms(b['p95'])} | {_ms(b['p99'])} | {_ms(b['max'])} | "
            f"{_ms(b['mean'])} |"
        )
        out.append(
            f"| {size} | resolve, explain=False, on the baseline's queries | {run['baseline_queries']:,} | "
            f"{_ms(r['p50'])} | {_ms(r['p95'])} | {_ms(r['p99'])} | {_ms(r['max'])} | {_ms(r['mean'])} |"
        )
    out += [
        "",
        "Ratios on the same queries (baseline / resolve; above 1 = resolve is faster): "
        + "; ".join(
            f"{key}: p50 {run['baseline_ms']['p50'] / run['resolve_on_baseline_queries_ms']['p50']:.1f}x, "
            f"mean {run['baseline_ms']['mean'] / run['resolve_on_baseline_queries_ms']['mean']:.1f}x"
            for key, run in (("real", real), ("synthetic", synth))
        )
        + f". The baseline ran on the first {args.baseline_queries:,} queries of each half only (a full scan is "
        "slow); it returns the single best name by string similarity, no decision, no evidence.",
        "",
        "### Where resolve's time goes",
        "",
        "The timed resolve, explain=False above, split by the times `Matcher.resolve` reports in its `ResolveStats` "
        "(perf_counter around each stage): preparing the query's name, the candidate index (keys and lookup), the "
        "prefilter (the floors of the name levels, over every index candidate), scoring what it kept; rest = the "
        "timed total less these (the same-words rule, ranking, the call). Milliseconds per query; share = the "
        "stage's mean over the total's mean.",
        "",
        "| registry | stage | p50 | p95 | p99 | mean | share |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, run in (("real", real), ("synthetic", synth)):
        total = run["stages_ms"]["total"]["mean"]
        for stage in (*STAGES, "total"):
            t = run["stages_ms"][stage]
            out.append(
                f"| {key} {run['names']:,} | {stage} | {_ms(t['p50'])} | {_ms(t['p95'])} | {_ms(t['p99'])} | "
                f"{_ms(t['mean'])} | {100 * t['mean'] / total:.0f}% |"
            )
    out += [
        "",
        "### Candidates per query (registry names)",
        "",
        "index = records the index returns (`CandidateIndex.candidates`, cap applied); scored = "
        "`ResolveStats.candidates`, the names resolve actually scores (after its own pre-filtering).",
        "",
        "| registry, queries | n | index p50 | p95 | p99 | max | mean | scored p50 | p95 | p99 | max | mean | "
        "queries with a capped block | flagged |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, run in (("real", real), ("synthetic", synth)):
        for half in ("all", "variant", "negative"):
            c, ix = run["candidates"][half], run["index_candidates"][half]
            n = sum(run["queries"].values()) if half == "all" else run["queries"][half]
            flag = "" if half == "all" else f"{run['flagged'][half]:,} ({100 * run['flagged'][half] / n:.1f}%)"
            out.append(
                f"| {key} {run['names']:,}, {half} | {n:,} | {ix['p50']:.0f} | {ix['p95']:.0f} | {ix['p99']:.0f} | "
                f"{ix['max']:.0f} | {ix['mean']:.0f} | {c['p50']:.0f} | {c['p95']:.0f} | {c['p99']:.0f} | "
                f"{c['max']:.0f} | {c['mean']:.0f} | {100 * run['queries_capped'][half]:.1f}% | {flag} |"
            )
    out += [
        "",
        "### Build and memory",
        "",
        "| registry | ingest + registry_rows (in a subprocess) | generate synthetic rows "
        "| Matcher build | RSS before build "
        "| peak RSS (VmHWM) through build | RSS after build, model rows freed | same, after malloc_trim | "
        "matcher's row columns and tf tables (arrays + buffers) | index arrays |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, run in (("real", real), ("synthetic", synth)):
        generate = (
            "streamed, in the build"
            if run.get("generated_in_build")
            else f"{run['generate_s']:.1f} s"
            if "generate_s" in run
            else "–"
        )
        out.append(
            f"| {key} {run['names']:,} | {run['load_s']:.1f} s | {generate} | {run['build_s']:.1f} s | "
            f"{_mib(run['rss_before_build_kib'])} | {_mib(run['hwm_after_build_kib'])} | "
            f"{_mib(run['rss_matcher_kib'])} | {_mib(run['rss_trimmed_kib'])} | "
            f"{sum(run['columns_bytes'].values()) / 2**20:,.0f} MiB | {run['index_bytes'] / 2**20:.1f} MiB |"
        )
    top = sorted(synth["columns_bytes"].items(), key=lambda item: -item[1])[:5]
    out += [
        "",
        "RSS includes Python, numpy, DuckDB, Splink and rapidfuzz (RSS at start of the child: "
        f"{_mib(real['rss_start_kib'])}). The rows are ingested and read by a subprocess and streamed from its pickle "
        "file one at a time as the matcher reads them (in the build's time), as a server streams them from its "
        "store; the synthetic rows' templates are read first. Each row carries its name's index keys, prepared "
        "with the row, as a server's rows do. `Matcher.from_rows` reads the rows once, storing each "
        "column-wise (UTF-8 buffers, numpy codes and token ids) as it goes, and sorts the index's postings in eight "
        "hash ranges, one at a time: the synthetic registry's made-up rows are generated one at a time into it, so "
        "they are never all alive. Largest columns at "
        f"{synth['names']:,} names: " + ", ".join(f"`{c}` {b / 2**20:,.0f} MiB" for c, b in top) + ".",
    ]
    out += [
        "",
        "### Saved and mapped (what a server does)",
        "",
        "The built matcher saved (`persist.save_matcher`, as `resolver ingest` saves a snapshot's), then mapped "
        "read-only in a fresh process (`load_matcher`), which resolves the same queries (explain=False, after the "
        "same warm-up), twice: a fresh process has not prepared the registry's names, so its name-preparation "
        "caches start empty, where the build above filled the measuring process's with every registry word. RSS "
        "counts the mapped pages a process has touched; several processes mapping the same files share one copy.",
        "",
        "| registry | save | on disk | load (map) | RSS before load | RSS after load | RSS after the queries "
        "| peak (VmHWM) | resolve p50 / p99, first pass | second pass |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, run in (("real", real), ("synthetic", synth)):
        m = run["mapped"]
        out.append(
            f"| {key} {run['names']:,} | {m['save_s']:.1f} s | {m['bytes'] / 2**20:,.0f} MiB | {m['load_s']:.2f} s | "
            f"{_mib(m['rss_before_kib'])} | {_mib(m['rss_loaded_kib'])} | {_mib(m['final']['VmRSS'])} | "
            f"{_mib(m['final']['VmHWM'])} | {_ms(m['latency_ms']['p50'])} / {_ms(m['latency_ms']['p99'])} | "
            f"{_ms(m['second_pass_ms']['p50'])} / {_ms(m['second_pass_ms']['p99'])} |"
        )
    p_real, p_syn = real["latency_ms"]["resolve"]["all"], synth["latency_ms"]["resolve"]["all"]
    out += [
        "",
        "### Issue targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
        f"| p50 <= 0.1 ms at ~150k names | {_ms(p_real['p50'])} ms at {real['names']:,} names | "
        f"{_target(p_real['p50'] <= 0.1)} |",
        f"| p99 <= 2 ms at ~150k names | {_ms(p_real['p99'])} ms at {real['names']:,} names | "
        f"{_target(p_real['p99'] <= 2)} |",
        f"| p99 <= 5 ms at 1M names | {_ms(p_syn['p99'])} ms at {synth['names']:,} names | "
        f"{_target(p_syn['p99'] <= 5)} |",
        f"| <= 1 GB at 1M names | {_mib(synth['rss_trimmed_kib'])} after build and malloc_trim "
        f"(peak {_mib(synth['hwm_after_build_kib'])}) "
        f"| {_target(synth['rss_trimmed_kib'] * 1024 <= 1e9)} (after build); "
        f"{_target(synth['hwm_after_build_kib'] * 1024 <= 1e9)} (peak) |",
        f"| <= 1 GB at 1M names, mapped | peak {_mib(synth['mapped']['final']['VmHWM'])} in the process that "
        f"maps the saved matcher | {_target(synth['mapped']['final']['VmHWM'] * 1024 <= 1e9)} |",
    ]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--synthetic-names", type=int, default=1_000_000)
    parser.add_argument("--baseline-queries", type=int, default=100, help="per half (a full scan is slow)")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--write", action="store_true", help=f'replace the "{SECTION}" section of RESULTS.md')
    parser.add_argument("--child", choices=("real", "synthetic"), help=argparse.SUPPRESS)
    parser.add_argument("--dump-rows", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-mapped", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_mapped:
        print(json.dumps(_mapped_child(args.child_mapped)))
        return
    if args.dump_rows:
        dump_rows(args.dump_rows)
        return
    if args.child:
        print(json.dumps(_child(args.child, args)))
        return
    runs = {}
    for registry in ("real", "synthetic"):
        print(f"running {registry} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        runs[registry] = _run_child(registry, args)
        print(f"{registry}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    command = (
        f"python -m benchmarks.bench_resolve --queries {args.queries} --synthetic-names {args.synthetic_names} "
        f"--baseline-queries {args.baseline_queries} --seed {args.seed}" + (" --write" if args.write else "")
    )
    body = report(runs, args)
    print(f"## {SECTION}\n\nCommand: `{command}`  \nPython {platform.python_version()}\n\n{body}")
    if args.write:
        from benchmarks.results import write_section

        write_section(SECTION, command, body)
        print(f'wrote the "{SECTION}" section of benchmarks/RESULTS.md', file=sys.stderr)


if __name__ == "__main__":
    main()
