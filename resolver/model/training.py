"""`resolver train`: registry → Splink training → threshold → versioned artefact."""

from __future__ import annotations

import csv
import io
import platform
from pathlib import Path
from typing import Any

import splink
import structlog

from resolver.matching.engine import Matcher, Query
from resolver.matching.pairs import pair_rows, read_pairs
from resolver.matching.scorer import CompiledModel, Floor, tf_columns, tf_table
from resolver.model.artefact import ModelArtefact, write_artefact
from resolver.model.threshold import threshold_at_fpr
from resolver.model.train import registry_rows, train
from resolver.names import prepare_name
from resolver.registry.errors import IngestError
from resolver.registry.parsers._common import read_text
from resolver.registry.store import RegistryStore

log = structlog.get_logger(__name__)


def _held_out(path: Path) -> set[str]:
    """Held-out names, compared after normalisation so that spelling noise cannot leak them back."""
    names = {prepare_name(line).norm for line in read_text(path).splitlines() if line.strip()}
    names.discard(None)
    return {n for n in names if n}


def run_training(
    store: RegistryStore,
    out: Path,
    *,
    exclude_names: Path | None = None,
    tune_pairs: Path | None = None,
    u_max_pairs: float = 5e6,
    seed: int = 1,
    max_fpr: float = 0.05,
    tune_negatives: Path | None = None,
    max_flagged: float = 0.004,
) -> ModelArtefact:
    # Every input file is read before training starts: a bad line fails in seconds, not after it.
    held_out = _held_out(exclude_names) if exclude_names else set()
    labelled = read_labelled_pairs(tune_pairs) if tune_pairs is not None else None
    parties = read_parties(tune_negatives) if tune_negatives is not None else None

    def exclude(names: list[str]) -> bool:
        return any(prepare_name(n).norm in held_out for n in names)

    rows, info = registry_rows(store, exclude=exclude if held_out else None)
    model = train(rows, entities=info["entities"], u_max_pairs=u_max_pairs, seed=seed)
    tf = {column: tf_table(rows, column) for column in tf_columns(model)}
    threshold, source = 0.0, "default: match weight 0 (even odds), no labelled pairs given"
    if tune_pairs is not None and labelled is not None:
        scorer = CompiledModel(model, tf)
        weights = [scorer.weight(left, right) for left, right, _ in labelled]
        labels = [label for _, _, label in labelled]
        threshold, recall, fpr = threshold_at_fpr(weights, labels, max_fpr)
        source = (
            f"lowest weight flagging <= {max_fpr:.1%} of the {labels.count(False)} non-matching pairs of "
            f"{tune_pairs.name} (recall {recall:.4f}, false-positive rate {fpr:.4f})"
        )
    if tune_negatives is not None and parties is not None:
        threshold, note = _raise_for_false_alarms(model, tf, rows, parties, tune_negatives.name, threshold, max_flagged)
        source += f"; {note}"
    ceiling = same_words_weight(model) - 1e-6
    if threshold > ceiling:
        threshold = ceiling
        source += (
            f"; capped at {ceiling:.6f} so that a name that is, word for word, a listed name is always flagged "
            "(a screening rule: the officer must see it, whatever the tuning data say)"
        )
    return write_artefact(
        out,
        model,
        threshold_match_weight=round(threshold, 6),
        term_frequencies=tf,
        provenance={
            "splink_version": splink.__version__,
            "python": platform.python_version(),
            "trained_on": info,
            "held_out_names_file": exclude_names.name if exclude_names else None,
            "held_out_names": len(held_out),
            "threshold_source": source,
            "tune_negatives_file": tune_negatives.name if tune_negatives else None,
            "u_max_pairs": u_max_pairs,
            "seed": seed,
            "prior": "1 / entities in the training snapshot: one query against the whole registry",
        },
    )


def read_labelled_pairs(path: Path) -> list[tuple[dict[str, Any], dict[str, Any], bool]]:
    """(left row, right row, is a match) for each pair of a CSV with name1, name2, label (0/1); pairs
    where a name has no letters or digits are left out (they cannot be scored)."""
    out = []
    for line, row in read_pairs(path):
        if row.get("label") not in ("0", "1"):
            raise IngestError(path, f"line {line}", f"label must be 0 or 1, not {row.get('label')!r}")
        left, right = pair_rows(row, line, path)
        if left["name_norm"] is not None and right["name_norm"] is not None:
            out.append((left, right, row["label"] == "1"))
    return out


def read_parties(path: Path) -> list[Query]:
    """A CSV of parties (columns name, and optionally kind, birth_date, country)."""
    parties = []
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    if "name" not in (reader.fieldnames or []):
        raise IngestError(path, "line 1", "missing column: name")
    for row in reader:
        kind = (row.get("kind") or "").strip().lower() or None
        if kind not in (None, "person", "organization", "vessel", "aircraft"):
            raise IngestError(path, f"line {reader.line_num}", f"unknown kind {kind!r}")
        dob, country = (row.get("birth_date") or "").strip(), (row.get("country") or "").strip()
        parties.append(Query(row["name"], kind, [dob] if dob else [], [country] if country else []))
    return parties


def _raise_for_false_alarms(
    model: dict[str, Any],
    tf: dict[str, dict[Any, float]],
    rows: list[dict[str, Any]],
    parties: list[Query],
    file_name: str,
    threshold: float,
    max_flagged: float,
) -> tuple[float, str]:
    """Raise the threshold until at most ``max_flagged`` of a population that is on no list (e.g. the
    tuning half of a synthetic-negatives file) would be flagged against the training registry."""
    artefact = ModelArtefact(model, "provisional", threshold, {}, tf)
    matcher = Matcher(rows, artefact)
    best = []
    for party in parties:
        matches, _ = matcher.resolve(party, limit=1, explain=False)
        if matches:
            best.append(matches[0].match_weight)
    allowed = int(max_flagged * len(parties))
    if len(best) > allowed:
        threshold = sorted(best, reverse=True)[allowed] + 1e-6
    flagged = sum(1 for w in best if w >= threshold)
    return threshold, (
        f"raised to flag <= {max_flagged:.2%} of {len(parties)} parties of {file_name} "
        f"({flagged} flagged, {len(best)} at the pair threshold)"
    )


def same_words_weight(model: dict[str, Any]) -> float:
    """The weight of a name-only pair whose words are those of a listed name, in any order: the
    prior plus the "same words, any order" level (term frequencies aside)."""
    scorer = CompiledModel(model, {column: {} for column in tf_columns(model)})
    name = next(c for c in scorer.comparisons if c.name == "name")
    level = next(lv for lv in name.levels if lv.similarity_floor == Floor("jw", "name_sorted", 1.0))
    return scorer.prior_weight + level.weight
