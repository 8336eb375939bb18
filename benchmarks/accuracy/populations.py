"""Flag rates of populations that are (almost surely) on no list: every flag is a false alarm an officer clears.

A screen takes a batch of parties and returns, per party, the registry name that flagged it with its score, or None
(`Screen`). The baseline screen is rapidfuzz token_sort_ratio against every registry name; `resolver_screen` is the
resolver itself, in process, against the full latest registry at its shipped threshold.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from rapidfuzz import fuzz, process

from benchmarks.accuracy.split import GROUPS_FILE, is_tuning_negative, shared_data_dir

if TYPE_CHECKING:
    from resolver.matching.engine import Matcher

# FtM schemata of the UK donation parties that are screened (Address and Payment records are not parties).
UK_DONATION_KINDS = {"Person": "person", "Company": "organization", "Organization": "organization"}


class Party(NamedTuple):
    """A party as a declaration gives it: a name, a kind, and what else the population file states."""

    name: str
    kind: str
    birth_dates: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # codes or country names, as the file writes them


@dataclass(frozen=True)
class Flag:
    """Why a party was flagged: the registry name it matched and the screen's score for that pair."""

    matched: str
    score: float


Screen = Callable[[Sequence[Party]], list[Flag | None]]


@dataclass(frozen=True)
class Population:
    name: str
    parties: list[Party]


@dataclass(frozen=True)
class FlagRate:
    population: str
    kind: str
    screened: int
    flagged: int
    examples: list[str]  # the highest-scoring flags ("query → registry name (score)"), to judge the false alarms

    @property
    def rate(self) -> float:
        return self.flagged / self.screened if self.screened else float("nan")


def _json_lines(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _values(items: object, field: str) -> tuple[str, ...]:
    """The `field` values of a Senzing list attribute ([{"DATE_OF_BIRTH": "1972"}, ...])."""
    if not isinstance(items, list):
        return ()
    return tuple(str(i[field]) for i in items if isinstance(i, dict) and i.get(field))


def load_populations(data_dir: Path | None = None) -> list[Population]:
    """The 50k synthetic negatives, the US Congress members and the UK political-donation parties.

    Each party keeps the date of birth and nationality/country its file gives (screening sees them on a
    declaration too): synthetic negatives have a full date and a country name, Congress members a birth year and
    "us", donation parties a country code and no date.
    """
    base = (data_dir or shared_data_dir()) / "populations"
    with (base / "synthetic_negatives_global.csv").open(newline="", encoding="utf-8") as fh:
        synthetic = [
            Party(
                row["full_name"],
                "person",
                (row["date_of_birth"],) if row["date_of_birth"] else (),
                (row["nationality"],) if row["nationality"] else (),
            )
            for row in csv.DictReader(fh)
        ]
    # The shipped threshold was tuned on one half (benchmarks/train_default.py): report the other apart.
    held_out = [p for p in synthetic if not is_tuning_negative(p.name)]
    congress: list[Party] = []
    for record in _json_lines(base / "us_congress_senzing.json"):
        # Two records are positions ("United States senator", RECORD_TYPE null), not people: not parties.
        if record.get("RECORD_TYPE") != "PERSON":
            continue
        names = record.get("NAMES")
        primary = [n["NAME_FULL"] for n in names if n.get("NAME_TYPE") == "PRIMARY"] if isinstance(names, list) else []
        if primary:
            dates = _values(record.get("DATES"), "DATE_OF_BIRTH")
            congress.append(Party(str(primary[0]), "person", dates, _values(record.get("COUNTRIES"), "NATIONALITY")))
    donations: list[Party] = []
    for entity in _json_lines(base / "uk_donations.ijson"):
        kind = UK_DONATION_KINDS.get(str(entity.get("schema")))
        props = entity.get("properties")
        if kind and isinstance(props, dict) and props.get("name"):
            countries = tuple(str(c) for c in props.get("country") or ())
            donations.append(Party(str(props["name"][0]), kind, (), countries))
    return [
        Population("synthetic negatives (OpenSanctions), all", synthetic),
        Population("synthetic negatives, held-out half (not used to tune)", held_out),
        Population("US Congress members", congress),
        Population("UK political-donation parties", donations),
    ]


def registry_names(data_dir: Path | None = None) -> list[str]:
    """Every distinct name and alias of every listing in name_variant_groups.csv (the registry screened against)."""
    with ((data_dir or shared_data_dir()) / GROUPS_FILE).open(newline="", encoding="utf-8") as fh:
        return sorted({row["name"] for row in csv.DictReader(fh)})


def rapidfuzz_screen(names: Sequence[str], threshold: float, workers: int = 2, block: int = 256) -> Screen:
    """Baseline screen: flagged iff token_sort_ratio (lower-cased) >= threshold against ANY registry name.

    Names only: the baseline has no use for dates or countries. process.cdist in blocks of queries rather than
    extractOne per query: same scorer and cutoff, but cdist runs on `workers` threads and was ~30x faster here
    (extractOne has no workers option). float32, not uint8, so scores are not rounded across the threshold; the
    threshold is cast the same way so equal values stay equal.
    """
    choices = sorted({n.lower() for n in names})
    cutoff = np.float32(threshold)

    def screen(parties: Sequence[Party]) -> list[Flag | None]:
        flags: list[Flag | None] = []
        for start in range(0, len(parties), block):
            batch = [p.name.lower() for p in parties[start : start + block]]
            matrix = process.cdist(
                batch,
                choices,
                scorer=fuzz.token_sort_ratio,
                score_cutoff=threshold,
                dtype=np.float32,
                workers=workers,
            )
            best = matrix.argmax(axis=1)
            scores = matrix[np.arange(len(batch)), best]
            flags.extend(
                Flag(choices[j], float(s)) if s >= cutoff else None
                for j, s in zip(best.tolist(), scores.tolist(), strict=True)
            )
        return flags

    return screen


class ResolverScreen:
    """The resolver in process: `Matcher.resolve` at the shipped default threshold, over the full latest registry.

    Flagged iff resolve returns a match; the flag names the best match's registry name and its match weight. The
    registry is ingested and the matcher built on first use (about 20 s), so building the report without the
    populations costs nothing.
    """

    def __init__(self, data_dir: Path | None = None, floor_below: float = 0.0) -> None:
        self.data_dir = data_dir or shared_data_dir()
        # Resolve down to (shipped threshold - floor_below) and keep each party's best weight (`best`), so one
        # screening run also says what lower thresholds would flag (tradeoff.py). Flags stay at the shipped one.
        self.floor_below = floor_below
        self.best: dict[Party, float] = {}
        self._matcher: Matcher | None = None
        self.description = ""
        self.candidates = 0  # registry names scored over every party screened
        self.capped = 0  # blocks skipped for being over the cap, over every party
        self.screened = 0

    def matcher(self) -> Matcher:
        if self._matcher is None:
            from benchmarks.bench_resolve import code_digest, latest_rows
            from resolver.logs import configure_logging
            from resolver.matching.engine import Matcher
            from resolver.model.artefact import load_artefact

            configure_logging("auto", "warning")  # ingest logs to stderr: stdout carries the markdown report

            rows, info = latest_rows(self.data_dir)
            artefact = load_artefact()
            self._matcher = Matcher(rows, artefact)
            self.description = (
                f"resolver sources {code_digest()}, model {artefact.version}, "
                f"shipped threshold match weight {artefact.threshold_match_weight:g}, "
                f"block cap {self._matcher.block_cap:,}; registry: the latest version of every shared source "
                f"({info['rows']:,} names of {info['entities']:,} entities, snapshot {info['snapshot_digest'][:12]})"
            )
        return self._matcher

    def __call__(self, parties: Sequence[Party]) -> list[Flag | None]:
        from resolver.matching.engine import Query

        matcher = self.matcher()
        shipped = matcher.threshold
        flags: list[Flag | None] = []
        for i, party in enumerate(parties):
            query = Query(party.name, kind=party.kind, birth_dates=party.birth_dates, countries=party.countries)
            matches, stats = matcher.resolve(query, threshold=shipped - self.floor_below, limit=1, explain=False)
            self.candidates += stats.candidates
            self.capped += stats.capped_keys
            if matches:
                self.best[party] = matches[0].match_weight
            hit = matches and matches[0].match_weight >= shipped
            flags.append(Flag(matches[0].matched_name, matches[0].match_weight) if hit else None)
            if (i + 1) % 10_000 == 0:
                print(f"resolver: {i + 1:,} of {len(parties):,} screened", file=sys.stderr, flush=True)
        self.screened += len(parties)
        return flags


def resolver_screen(data_dir: Path | None = None, floor_below: float = 0.0) -> ResolverScreen:
    """The resolver's in-process screen at its shipped default threshold (see ResolverScreen)."""
    return ResolverScreen(data_dir, floor_below)


def flag_rates(screen: Screen, populations: Sequence[Population], examples: int = 10) -> list[FlagRate]:
    """Flagged counts per population and kind of party, with the `examples` highest-scoring flags."""
    rates: list[FlagRate] = []
    for population in populations:
        for kind in sorted({p.kind for p in population.parties}):
            parties = [p for p in population.parties if p.kind == kind]
            flags = screen(parties)
            hits = sorted(
                ((p.name, f) for p, f in zip(parties, flags, strict=True) if f is not None),
                key=lambda hit: (-hit[1].score, hit[0]),
            )
            shown = [f"{name} → {flag.matched} ({flag.score:.4g})" for name, flag in hits[:examples]]
            rates.append(FlagRate(population.name, kind, len(parties), len(hits), shown))
    return rates
