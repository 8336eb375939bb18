"""Flag rates of populations that are (almost surely) on no list: every flag is a false alarm an officer clears.

A screen is a callable `screen(name, kind) -> flagged` (kind "person" or "organization"), or its batch form
`screen_many(names, kind) -> [flagged, ...]`; `per_name` turns the first into the second. The baseline screen is
rapidfuzz token_sort_ratio against every registry name; `resolver_screen` is the hook for the resolver's own.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from benchmarks.accuracy.split import GROUPS_FILE, shared_data_dir

ScreenFn = Callable[[str, str], bool]
ScreenMany = Callable[[Sequence[str], str], list[bool]]

# FtM schemata of the UK donation parties that are screened (Address and Payment records are not parties).
UK_DONATION_KINDS = {"Person": "person", "Company": "organization", "Organization": "organization"}


@dataclass(frozen=True)
class Population:
    name: str
    parties: list[tuple[str, str]]  # (name as written, kind)


@dataclass(frozen=True)
class FlagRate:
    population: str
    kind: str
    screened: int
    flagged: int
    examples: list[str]  # a few flagged names, to see what the false alarms look like

    @property
    def rate(self) -> float:
        return self.flagged / self.screened if self.screened else float("nan")


def _json_lines(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_populations(data_dir: Path | None = None) -> list[Population]:
    """The 50k synthetic negatives, the US Congress members and the UK political-donation parties."""
    base = (data_dir or shared_data_dir()) / "populations"
    with (base / "synthetic_negatives_global.csv").open(newline="", encoding="utf-8") as fh:
        synthetic = [(row["full_name"], "person") for row in csv.DictReader(fh)]
    congress: list[tuple[str, str]] = []
    for record in _json_lines(base / "us_congress_senzing.json"):
        # Two records are positions ("United States senator", RECORD_TYPE null), not people: not parties.
        if record.get("RECORD_TYPE") != "PERSON":
            continue
        names = record.get("NAMES")
        primary = [n["NAME_FULL"] for n in names if n.get("NAME_TYPE") == "PRIMARY"] if isinstance(names, list) else []
        if primary:
            congress.append((str(primary[0]), "person"))
    donations: list[tuple[str, str]] = []
    for entity in _json_lines(base / "uk_donations.ijson"):
        kind = UK_DONATION_KINDS.get(str(entity.get("schema")))
        props = entity.get("properties")
        if kind and isinstance(props, dict) and props.get("name"):
            donations.append((str(props["name"][0]), kind))
    return [
        Population("synthetic negatives (OpenSanctions)", synthetic),
        Population("US Congress members", congress),
        Population("UK political-donation parties", donations),
    ]


def registry_names(data_dir: Path | None = None) -> list[str]:
    """Every distinct name and alias of every listing in name_variant_groups.csv (the registry screened against)."""
    with ((data_dir or shared_data_dir()) / GROUPS_FILE).open(newline="", encoding="utf-8") as fh:
        return sorted({row["name"] for row in csv.DictReader(fh)})


def per_name(screen: ScreenFn) -> ScreenMany:
    """The batch form of a one-name screen."""
    return lambda names, kind: [screen(name, kind) for name in names]


def rapidfuzz_screen(names: Sequence[str], threshold: float, workers: int = 2, block: int = 256) -> ScreenMany:
    """Baseline screen: flagged iff token_sort_ratio (lower-cased) >= threshold against ANY registry name.

    process.cdist in blocks of queries rather than extractOne per query: same scorer and cutoff, but cdist runs
    on `workers` threads and was ~30x faster here (extractOne has no workers option). float32, not uint8, so
    scores are not rounded across the threshold; the threshold is cast the same way so equal values stay equal.
    """
    choices = sorted({n.lower() for n in names})
    cutoff = np.float32(threshold)

    def screen_many(queries: Sequence[str], kind: str) -> list[bool]:
        flagged: list[bool] = []
        for start in range(0, len(queries), block):
            batch = [q.lower() for q in queries[start : start + block]]
            matrix = process.cdist(
                batch,
                choices,
                scorer=fuzz.token_sort_ratio,
                score_cutoff=threshold,
                dtype=np.float32,
                workers=workers,
            )
            flagged.extend(bool(hit) for hit in matrix.max(axis=1) >= cutoff)
        return flagged

    return screen_many


def resolver_screen() -> ScreenMany | None:
    """HOOK for the resolver's in-process screen; None until it exists, and the report says it was not measured.

    Once the resolver can resolve one party in-process, return its flag at the shipped default threshold, e.g.
    `return per_name(lambda name, kind: bool(resolve(name, schema=...).matches))` (or a batch form if it has one).
    """
    return None


def flag_rates(screen_many: ScreenMany, populations: Sequence[Population], examples: int = 3) -> list[FlagRate]:
    """Flagged counts per population and kind of party."""
    rates: list[FlagRate] = []
    for population in populations:
        for kind in sorted({k for _, k in population.parties}):
            names = [n for n, k in population.parties if k == kind]
            flags = screen_many(names, kind)
            hits = [n for n, f in zip(names, flags, strict=True) if f]
            rates.append(FlagRate(population.name, kind, len(names), len(hits), hits[:examples]))
    return rates
