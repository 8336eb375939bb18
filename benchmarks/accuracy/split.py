"""The held-out split of the labelled alias pairs, by listing group, never by row.

A listing group is one designation's names (group_id in the pairs files). A group is held out iff
sha256(group_id) % 5 == 0, about 20% of groups. A pair is in the test split iff both its groups are held
out, in train iff neither is; pairs straddling the split are dropped. Splitting by row would put
ABRAMOVICH/ABRAMOVIČ in train and ABRAMOVIČ/Абрамович in test, and the test would measure memory of
names, not matching. sha256 (not hash()) so the split is the same in every process and on every machine.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ROOT = Path(__file__).resolve().parents[2]
PAIRS_FILE = Path("pairs") / "alias_pairs_labelled.csv"
GROUPS_FILE = Path("pairs") / "name_variant_groups.csv"

Split = Literal["train", "test"]
SPLITS: tuple[Split, ...] = ("train", "test")


def shared_data_dir() -> Path:
    """The shared data folder: $RESOLVER_SHARED_DATA, else ../shared/data beside the project."""
    return Path(os.environ.get("RESOLVER_SHARED_DATA", ROOT.parent / "shared" / "data"))


def is_heldout(group_id: str) -> bool:
    """True for the ~20% of listing groups whose pairs may only appear in the test split."""
    return int(hashlib.sha256(group_id.encode("utf-8")).hexdigest(), 16) % 5 == 0


def split_of(row: dict[str, str]) -> Split | None:
    """The split of one pair row, or None when its two groups fall on different sides (dropped)."""
    a, b = is_heldout(row["group_a"]), is_heldout(row["group_b"])
    if a and b:
        return "test"
    if not a and not b:
        return "train"
    return None


def iter_pairs(data_dir: Path | None = None) -> Iterator[dict[str, str]]:
    """Stream every labelled pair row (all splits) as the csv module reads it."""
    path = (data_dir or shared_data_dir()) / PAIRS_FILE
    with path.open(newline="", encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


@dataclass
class SplitCounts:
    """What the split did: pairs per split and label, straddling pairs dropped, groups held out."""

    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)  # (split or "dropped", label) -> pairs
    groups: set[str] = field(default_factory=set)
    heldout_groups: set[str] = field(default_factory=set)

    def total(self, split: str) -> int:
        return sum(n for (s, _), n in self.pairs.items() if s == split)


def load_splits(data_dir: Path | None = None) -> tuple[dict[Split, list[dict[str, str]]], SplitCounts]:
    """Both splits in one pass over the CSV, with the counts of what was kept and dropped."""
    rows: dict[Split, list[dict[str, str]]] = {"train": [], "test": []}
    counts = SplitCounts()
    for row in iter_pairs(data_dir):
        split = split_of(row)
        counts.pairs[(split or "dropped", row["label"])] += 1
        for group in (row["group_a"], row["group_b"]):
            counts.groups.add(group)
            if is_heldout(group):
                counts.heldout_groups.add(group)
        if split is not None:
            rows[split].append(row)
    return rows, counts


def load_pairs(split: Split, data_dir: Path | None = None) -> list[dict[str, str]]:
    """The pair rows of one split (dict rows as csv.DictReader gives them)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    return [row for row in iter_pairs(data_dir) if split_of(row) == split]


def heldout_names(data_dir: Path | None = None) -> set[str]:
    """Raw names of every held-out group in name_variant_groups.csv.

    A model trainer drops registry entities carrying any of these names, so no test name leaks into
    training through the registry (the same person is often listed by several authorities).
    """
    path = (data_dir or shared_data_dir()) / GROUPS_FILE
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["name"] for row in csv.DictReader(fh) if is_heldout(row["group_id"])}


def is_tuning_negative(full_name: str) -> bool:
    """Half the synthetic negatives tune the threshold; the other half is for the benchmark only."""
    return int(hashlib.sha256(full_name.encode("utf-8")).hexdigest(), 16) % 2 == 0
