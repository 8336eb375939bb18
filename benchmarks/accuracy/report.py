"""The accuracy report: every scorer on the held-out test split, per slice, at thresholds chosen on train.

    python -m benchmarks.accuracy [--sample N] [--skip-logic-v2] [--skip-populations] [--max-fpr F] [--write]

Prints markdown to stdout (progress to stderr). --write replaces the "Matching accuracy" section of
benchmarks/RESULTS.md, and only when `resolver compare` worked: a results section without the resolver's own
numbers would be a baseline report filed under the resolver's name.

Operating points, all chosen on train and applied unchanged to test: the best-F1 threshold, and the lowest
threshold whose train false-positive rate stays within --max-fpr. The second exists because 90% of train pairs are
matches, so flagging every pair already scores F1 0.95 and the best-F1 threshold of a weak scorer is its minimum;
a false-alarm budget is also how screening is tuned. ROC AUC per slice is the threshold-free view.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from benchmarks.accuracy import populations as pop
from benchmarks.accuracy import tradeoff
from benchmarks.accuracy.metrics import (
    SLICES,
    Counts,
    Pair,
    Row,
    Scorer,
    as_pairs,
    best_f1_threshold,
    counts_at,
    counts_from_decisions,
    fpr_threshold,
    labels_of,
    roc_auc,
)
from benchmarks.accuracy.scorers import LogicV2, ResolverCompare, ResolverUnavailable, token_sort_ratio
from benchmarks.accuracy.split import SPLITS, Split, SplitCounts, load_splits, shared_data_dir

SECTION = "Matching accuracy"
CROSS_SCRIPT_FILE = Path("pairs") / "cross_script_pairs.csv"
BEST_F1 = "best F1 on train"


@dataclass
class Scored:
    """One scorer's results: scores per split, its train thresholds, and (resolver only) its shipped decisions."""

    name: str
    scorer: Scorer
    note: str = ""
    decide: Callable[[Sequence[Pair]], list[bool]] | None = None
    scores: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    decisions: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)
    thresholds: dict[str, tuple[float, Counts]] = field(default_factory=dict)  # operating point -> (t, train counts)
    seconds: float = 0.0

    def threshold(self, point: str) -> float:
        return self.thresholds[point][0]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def sample_rows(rows: list[Row], n: int) -> list[Row]:
    """A deterministic sample: the n pairs with the smallest sha256(pair_id), independent of file order."""
    return sorted(rows, key=lambda r: hashlib.sha256(r["pair_id"].encode()).hexdigest())[:n]


def fmt(x: float, digits: int = 3) -> str:
    return "–" if math.isnan(x) else f"{x:.{digits}f}"


def fmt_threshold(t: float) -> str:
    return "–" if math.isnan(t) else f"{t:.4g}"


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def fpr_point(max_fpr: float) -> str:
    return f"train FPR <= {max_fpr:g}"


def split_summary(counts: SplitCounts, rows: dict[Split, list[Row]], sample: int | None) -> str:
    held, groups = len(counts.heldout_groups), len(counts.groups)
    lines = [
        f"Listing groups in the pairs file: {groups:,}; held out (sha256(group_id) % 5 == 0): {held:,} "
        f"({pct(held, groups)}). A pair is in test iff both its groups are held out, in train iff neither is; "
        "pairs straddling the split are dropped.",
        "",
        "| split | pairs | match | non-match |",
        "|---|---|---|---|",
    ]
    for split in (*SPLITS, "dropped"):
        pos, neg = counts.pairs[(split, "1")], counts.pairs[(split, "0")]
        label = "dropped (groups on both sides)" if split == "dropped" else split
        lines.append(f"| {label} | {pos + neg:,} | {pos:,} | {neg:,} |")
    if sample:
        lines += ["", f"Sampled: {', '.join(f'{len(rows[s]):,} {s}' for s in SPLITS)} pairs (`--sample {sample}`)."]
    return "\n".join(lines)


def rounded(scores: Sequence[float]) -> npt.NDArray[np.float64]:
    # logic-v2 gives 0.9 and 0.8999999999999999 for equally good pairs (float sums): rounding keeps one-ulp
    # differences from becoming separate thresholds that split identical scores into match and non-match.
    return np.asarray(scores, dtype=np.float64).round(9)


def score_all(scored: Scored, rows: dict[Split, list[Row]], max_fpr: float) -> None:
    started = time.perf_counter()
    for split in SPLITS:
        pairs = as_pairs(rows[split])
        log(f"{scored.name}: scoring {len(pairs):,} {split} pairs")
        scored.scores[split] = rounded(scored.scorer(pairs))
        if scored.decide is not None:
            scored.decisions[split] = np.asarray(scored.decide(pairs), dtype=bool)
    scored.seconds = time.perf_counter() - started
    train, labels = scored.scores["train"], labels_of(rows["train"])
    scored.thresholds[BEST_F1] = best_f1_threshold(train, labels)
    scored.thresholds[fpr_point(max_fpr)] = fpr_threshold(train, labels, max_fpr)


def threshold_table(results: Sequence[Scored]) -> str:
    out = [
        "| scorer | score | operating point | threshold | train P | train R | train F1 | train FPR |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in results:
        for point, (t, c) in s.thresholds.items():
            out.append(
                f"| {s.name} | {s.note} | {point} | {fmt_threshold(t)} | {fmt(c.precision)} | {fmt(c.recall)} | "
                f"{fmt(c.f1)} | {fmt(c.fpr)} |"
            )
    return "\n".join(out)


def slice_masks(rows: Sequence[Row]) -> list[tuple[str, npt.NDArray[np.bool_]]]:
    return [(title, np.fromiter((keep(r) for r in rows), dtype=bool, count=len(rows))) for title, keep in SLICES]


def auc_table(results: Sequence[Scored], rows: Sequence[Row]) -> str:
    labels = labels_of(rows)
    out = ["| slice | " + " | ".join(s.name for s in results) + " |", "|---|" + "---|" * len(results)]
    for title, mask in slice_masks(rows):
        aucs = [fmt(roc_auc(s.scores["test"][mask], labels[mask])) for s in results]
        out.append(f"| {title} | " + " | ".join(aucs) + " |")
    return "\n".join(out)


def slice_tables(results: Sequence[Scored], rows: Sequence[Row]) -> str:
    labels = labels_of(rows)
    out: list[str] = []
    for title, mask in slice_masks(rows):
        pos, neg = int((labels & mask).sum()), int((~labels & mask).sum())
        caveat = ": no non-matching pairs, so precision and FPR say nothing here" if neg == 0 else ""
        out += [
            f"#### {title}: {pos + neg:,} test pairs ({pos:,} match, {neg:,} non-match){caveat}",
            "",
            "| scorer | operating point | threshold | precision | recall | F1 | FPR | TP | FP | FN |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for s in results:
            lines: list[tuple[str, str, Counts]] = []
            if s.decisions:
                lines.append(("shipped (`match`)", "", counts_from_decisions(s.decisions["test"][mask], labels[mask])))
            for point, (t, _) in s.thresholds.items():
                lines.append((point, fmt_threshold(t), counts_at(s.scores["test"][mask], labels[mask], t)))
            for point, t_text, c in lines:
                out.append(
                    f"| {s.name} | {point} | {t_text} | {fmt(c.precision)} | {fmt(c.recall)} | {fmt(c.f1)} | "
                    f"{fmt(c.fpr)} | {c.tp:,} | {c.fp:,} | {c.fn:,} |"
                )
        out.append("")
    return "\n".join(out).rstrip()


def script_pair_table(results: Sequence[Scored], rows: Sequence[Row], point: str) -> str:
    """Recall on the test positives whose two names are in different scripts, by (unordered) pair of scripts: the
    resolver at its shipped threshold, every scorer at the ``point`` operating point."""
    labels = labels_of(rows)
    pairs = np.array([" / ".join(sorted((r["script_a"], r["script_b"]))) for r in rows])
    cross = labels & np.fromiter((r["script_a"] != r["script_b"] for r in rows), dtype=bool, count=len(rows))
    columns = [(f"{s.name} shipped", s.decisions["test"]) for s in results if s.decisions]
    columns += [(f"{s.name} {point}", s.scores["test"] >= s.threshold(point)) for s in results if point in s.thresholds]
    out = ["| scripts | positives | " + " | ".join(c for c, _ in columns) + " |", "|---|---|" + "---|" * len(columns)]
    found = sorted(set(pairs[cross].tolist()), key=lambda k: (-int((cross & (pairs == k)).sum()), k))
    for key in [*found, "all"]:
        mask = cross & (pairs == key) if key != "all" else cross
        n = int(mask.sum())
        cells = [f"{int((hit & mask).sum()) / n:.3f} ({int((hit & mask).sum()):,})" for _, hit in columns]
        out.append(f"| {key if key != 'all' else '**all cross-script**'} | {n:,} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def cross_script_table(results: Sequence[Scored], data_dir: Path, point: str) -> str:
    """Each query/expected pair of cross_script_pairs.csv, scored by every scorer (yes = at or over `point`)."""
    with (data_dir / CROSS_SCRIPT_FILE).open(newline="", encoding="utf-8") as fh:
        lines = [line for line in fh if line.strip() and not line.lstrip().startswith("#")]
    rows = list(csv.reader(lines))
    pairs: list[Pair] = [(r[0], r[1], "person") for r in rows]
    columns: list[list[str]] = []
    for s in results:
        try:
            scores = list(rounded(s.scorer(pairs)))
        except (ResolverUnavailable, RuntimeError) as exc:
            log(f"{s.name}: cross-script pairs not scored: {exc}")
            scores = [math.nan] * len(pairs)
        t = s.threshold(point)
        columns.append(["–" if math.isnan(x) else f"{x:.3g} ({'yes' if x >= t else 'no'})" for x in scores])
    out = [
        "| query | expected | watchman's min score | " + " | ".join(s.name for s in results) + " |",
        "|---|---|---|" + "---|" * len(results),
    ]
    for i, r in enumerate(rows):
        out.append(f"| {r[0]} | {r[1]} | {r[2]} | " + " | ".join(col[i] for col in columns) + " |")
    hits = [sum(c.endswith("(yes)") for c in col) for col in columns]
    out.append(f"| **matched at {point}** | | | " + " | ".join(f"{h}/{len(rows)}" for h in hits) + " |")
    return "\n".join(out)


def population_table(
    screens: Sequence[tuple[str, pop.Screen]], populations: Sequence[pop.Population]
) -> tuple[str, dict[str, float]]:
    timings: dict[str, float] = {}
    measured: dict[str, list[pop.FlagRate]] = {}
    for name, screen in screens:
        started = time.perf_counter()
        log(f"populations: screening with {name}")
        measured[name] = pop.flag_rates(screen, populations)
        timings[name] = time.perf_counter() - started
    base = next(iter(measured.values()))
    out = [
        "| population | kind | screened | " + " | ".join(f"{n}: flagged" for n, _ in screens) + " |",
        "|---|---|---|" + "---|" * len(screens),
    ]
    for i, rate in enumerate(base):
        cells = [f"{r.flagged:,} ({100 * r.rate:.2f}%)" for r in (measured[name][i] for name, _ in screens)]
        out.append(f"| {rate.population} | {rate.kind} | {rate.screened:,} | " + " | ".join(cells) + " |")
    totals = [sum(r.flagged for r in measured[name]) for name, _ in screens]
    screened = sum(r.screened for r in base)
    out.append(
        f"| **all** | | {screened:,} | " + " | ".join(f"{t:,} ({100 * t / screened:.2f}%)" for t in totals) + " |"
    )
    for name, rates in measured.items():
        for r in rates:
            if r.examples:
                out += ["", f"{name}, {r.population} ({r.kind}): highest-scoring flags, query → registry name (score):"]
                out += [""] + [f"- {e}" for e in r.examples]
    return "\n".join(out), timings


# The resolver's population screen runs this far below its shipped threshold, for the trade-off table.
FLOOR_BELOW = 6.0


def populations_section(
    baseline: Scored, point: str, data_dir: Path, sample: int | None, timings: dict[str, float]
) -> tuple[str, pop.ResolverScreen, list[pop.Population]]:
    started = time.perf_counter()
    populations = pop.load_populations(data_dir)
    if sample:
        populations = [pop.Population(p.name, p.parties[:sample]) for p in populations]
    names = pop.registry_names(data_dir)
    t = baseline.threshold(point)
    resolver = pop.resolver_screen(data_dir, FLOOR_BELOW)
    screens: list[tuple[str, pop.Screen]] = [
        (f"token_sort_ratio >= {fmt_threshold(t)}", pop.rapidfuzz_screen(names, t)),
        ("resolver", resolver),
    ]
    table, screen_times = population_table(screens, populations)
    for name, seconds in screen_times.items():
        timings[f"populations: {name}"] = seconds
    timings["populations: load"] = time.perf_counter() - started - sum(screen_times.values())
    best_f1 = baseline.threshold(BEST_F1)
    per_party = resolver.candidates / resolver.screened if resolver.screened else float("nan")
    text = (
        f"A party is flagged by the baseline if token_sort_ratio (lower-cased) reaches its {point} threshold "
        f"({fmt_threshold(t)}) against ANY of the {len({n.lower() for n in names}):,} distinct registry names in "
        f"name_variant_groups.csv, whatever the kind (at its best-F1 threshold, {fmt_threshold(best_f1)}, "
        f"{'every party would be flagged' if best_f1 <= 0 else 'it was not run'}); it sees names only. "
        "The resolver is flagged when `Matcher.resolve` returns a match at its shipped default threshold "
        f"({resolver.description}); it is given each party's name, kind, and the date of birth and "
        "nationality/country its file states (synthetic negatives: full date and country name; Congress: birth "
        "year and `us`; donations: country code). It scored "
        f"{per_party:,.0f} registry names per party on average (resolving down to {FLOOR_BELOW:g} below the "
        f"shipped threshold, for the trade-off table) and skipped {resolver.capped:,} over-cap blocks in all. "
        "Issue target: at most 0.5% of the synthetic negatives flagged.\n\n" + table
    )
    return text, resolver, populations


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.accuracy", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="a deterministic sample of N pairs per split (and N parties a population)",
    )
    parser.add_argument("--skip-logic-v2", action="store_true", help="leave out the logic-v2 baseline")
    parser.add_argument("--skip-populations", action="store_true", help="leave out the population flag rates")
    parser.add_argument("--max-fpr", type=float, default=0.05, help="false-alarm budget on train (default 0.05)")
    parser.add_argument("--write", action="store_true", help=f'replace the "{SECTION}" section of RESULTS.md')
    args = parser.parse_args(argv)
    command = " ".join(["python -m benchmarks.accuracy", *(sys.argv[1:] if argv is None else argv)])
    started = time.perf_counter()
    data_dir = shared_data_dir()
    timings: dict[str, float] = {}
    budget = fpr_point(args.max_fpr)

    t = time.perf_counter()
    rows, counts = load_splits(data_dir)
    if args.sample:
        rows = {s: sample_rows(rows[s], args.sample) for s in SPLITS}
    timings["load and split the pairs"] = time.perf_counter() - t

    notes: list[str] = []
    results = [Scored("token_sort_ratio", token_sort_ratio, "rapidfuzz, raw names lower-cased, 0-100")]
    logic_v2 = LogicV2()
    if args.skip_logic_v2:
        notes.append("logic-v2: skipped (`--skip-logic-v2`).")
    elif reason := logic_v2.unavailable_reason():
        notes.append(f"logic-v2: NOT SCORED: {reason}")
    else:
        results.append(Scored("logic-v2", logic_v2, f"nomenklatura logic-v2, 0-1 ({logic_v2.version})"))
    resolver = ResolverCompare()
    if reason := resolver.unavailable_reason():
        notes.append(f"resolver: NOT SCORED: `resolver compare` is not available ({reason}).")
    else:
        results.append(Scored("resolver", resolver, "`resolver compare` match_weight", decide=resolver.decisions))

    for scored in list(results):
        try:
            score_all(scored, rows, args.max_fpr)
            timings[f"score train + test: {scored.name}"] = scored.seconds
        except (ResolverUnavailable, RuntimeError) as exc:
            notes.append(f"{scored.name}: NOT SCORED: {exc}")
            results.remove(scored)
    for note in notes:
        log(note)
    resolver_ok = any(s.name == "resolver" for s in results)
    if any(s.name == "logic-v2" for s in results):
        notes.append(
            f"logic-v2 scored every pair of both splits ({logic_v2.scored:,} by nomenklatura in this run, "
            f"{logic_v2.cached:,} from its cache under benchmarks/.cache/); name_a is its query, name_b the candidate."
        )

    t = time.perf_counter()
    cross = cross_script_table(results, data_dir, budget)
    timings["cross-script pairs"] = time.perf_counter() - t
    population_text = "Not measured (`--skip-populations`)."
    tradeoff_text = "Not measured (`--skip-populations`, or the resolver was not scored)."
    if not args.skip_populations:
        population_text, screen, populations = populations_section(results[0], budget, data_dir, args.sample, timings)
        resolver_scored = next((s for s in results if s.name == "resolver"), None)
        held_out = next((p.parties for p in populations if "held-out" in p.name), [])
        if resolver_scored is not None and screen.screened:
            tradeoff_text = tradeoff.tradeoff_table(
                screen.matcher().threshold,
                resolver_scored.scores["test"],
                labels_of(rows["test"]),
                screen.best,
                held_out,
                FLOOR_BELOW,
            )
    t = time.perf_counter()
    ceiling_text = tradeoff.ceiling_section(rows["test"])
    timings["name-content ceiling"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - started
    train_pos = int(labels_of(rows["train"]).sum())

    body = "\n\n".join(
        [
            "Labelled alias pairs (`pairs/alias_pairs_labelled.csv`), split by listing group, never by row "
            "(`benchmarks/accuracy/split.py`). Thresholds are chosen on the train split and applied unchanged to "
            f"test (`score >= threshold` means match): the best F1, and the lowest threshold within a {args.max_fpr:g} "
            f"false-positive rate on train. {pct(train_pos, len(rows['train']))} of train pairs are matches, so "
            f"flagging every pair already scores F1 {fmt(2 * train_pos / (train_pos + len(rows['train'])))}: a "
            "best-F1 threshold at a scorer's minimum score means it cannot beat flagging everything."
            + (" The resolver is also shown at its shipped default (its `match` column)." if resolver_ok else ""),
            "### Split\n\n" + split_summary(counts, rows, args.sample),
            "### Scorers and thresholds\n\n" + threshold_table(results),
            "\n".join(f"- {n}" for n in notes) or "- every scorer ran.",
            "### Test ROC AUC by slice (threshold-free; 0.5 = chance, – = a slice without non-matches)\n\n"
            + auc_table(results, rows["test"]),
            "### Test split by slice\n\n" + slice_tables(results, rows["test"]),
            "### Cross-script recall by pair of scripts (test positives; recall (hits))\n\n"
            + script_pair_table(results, rows["test"], budget),
            "### Name-content ceiling of the test positives\n\n" + ceiling_text,
            "### Resolver thresholds: alias recall against false alarms\n\n"
            "The resolver's test-split scores and its population screen (held-out half of the synthetic "
            "negatives, with their dates of birth and nationalities) at thresholds below the shipped one.\n\n"
            + tradeoff_text,
            f"### Cross-script pairs (`pairs/cross_script_pairs.csv`, scored as Person; yes = at the {budget} "
            "threshold)\n\n" + cross,
            "### Populations on no list: flagged parties are false alarms\n\n" + population_text,
            "### Runtime\n\n| stage | seconds |\n|---|---|\n"
            + "\n".join(f"| {k} | {v:.1f} |" for k, v in timings.items()),
        ]
    )
    print(f"## {SECTION}\n\nCommand: `{command}`\n\n{body}")
    if args.write:
        if not resolver_ok:
            log(f"NOT writing benchmarks/RESULTS.md: the resolver was not scored ({'; '.join(notes)})")
            return 1
        from benchmarks.results import write_section

        write_section(SECTION, command, body)
        log(f'wrote the "{SECTION}" section of benchmarks/RESULTS.md')
    return 0
