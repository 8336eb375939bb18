"""Scoring labelled or unlabelled name pairs (``resolver compare``), for benchmarks and tuning."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from resolver.matching.scorer import CompiledModel, probability
from resolver.model.artefact import ModelArtefact
from resolver.model.features import model_row
from resolver.registry.errors import IngestError
from resolver.registry.parsers._common import read_text

# FollowTheMoney schema names (as the benchmark files use them) → the resolver's entity kinds.
SCHEMA_KINDS: dict[str, str | None] = {
    "": None,
    "person": "person",
    "company": "organization",
    "organization": "organization",
    "legalentity": None,
    "vessel": "vessel",
    "airplane": "aircraft",
    "aircraft": "aircraft",
}
REQUIRED = ("name1", "name2")
OPTIONAL = ("schema", "dob1", "dob2", "country1", "country2")


@dataclass(frozen=True)
class PairScore:
    match_weight: float
    match_probability: float
    match: bool


def pair_rows(row: dict[str, str], line: int, path: Path | str) -> tuple[dict[str, Any], dict[str, Any]]:
    schema = (row.get("schema") or "").strip().lower()
    if schema not in SCHEMA_KINDS:
        raise IngestError(
            path,
            f"line {line}",
            f"unknown schema {row.get('schema')!r}; use {', '.join(sorted(k for k in SCHEMA_KINDS if k))}",
        )
    kind = SCHEMA_KINDS[schema]
    sides = []
    for side in ("1", "2"):
        name = row[f"name{side}"]
        if not name or not name.strip():
            raise IngestError(path, f"line {line}", f"name{side} is empty")
        dob = (row.get(f"dob{side}") or "").strip()
        country = (row.get(f"country{side}") or "").strip()
        sides.append(model_row(f"{line}:{side}", None, name, kind, [dob] if dob else [], [country] if country else []))
    return sides[0], sides[1]


def score_pair(
    scorer: CompiledModel, artefact: ModelArtefact, left: dict[str, Any], right: dict[str, Any]
) -> PairScore:
    if left["name_norm"] is None or right["name_norm"] is None:
        # a name with no letters or digits cannot match anything: the lowest weight there is
        weight = float("-inf")
    else:
        weight = scorer.weight(left, right)
    # The matcher's rule: the same words (any order) are a match whatever the weight (see Matcher._same_words).
    same_words = left["name_sorted"] is not None and left["name_sorted"] == right["name_sorted"]
    return PairScore(weight, probability(weight), same_words or weight >= artefact.threshold_match_weight)


def read_pairs(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise IngestError(path, "line 1", f"missing columns: {', '.join(missing)}")
    try:
        for row in reader:
            if None in row:
                raise IngestError(path, f"line {reader.line_num}", "more values than columns")
            yield reader.line_num, row
    except csv.Error as exc:
        raise IngestError(path, f"line {reader.line_num}", f"malformed CSV: {exc}") from None


def compare_file(scorer: CompiledModel, artefact: ModelArtefact, src: Path, dst: Path) -> int:
    """Score every pair of ``src`` into ``dst`` (input columns kept, three added). Returns the count.

    Everything is read and scored before ``dst`` is written: a bad line leaves no partial output."""
    out_rows: list[dict[str, Any]] = []
    header: list[str] = list(REQUIRED)
    for line, row in read_pairs(src):
        header = list(row)
        left, right = pair_rows(row, line, src)
        result = score_pair(scorer, artefact, left, right)
        out_rows.append(
            {
                **row,
                "match_weight": f"{result.match_weight:.6f}",
                "match_probability": f"{result.match_probability:.6f}",
                "match": "true" if result.match else "false",
            }
        )
    with dst.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*header, "match_weight", "match_probability", "match"])
        writer.writeheader()
        writer.writerows(out_rows)
    return len(out_rows)
