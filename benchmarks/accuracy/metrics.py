"""Precision, recall and F1 per slice, and the best-F1 threshold found on the train split.

Generic over scorers: a scorer is any function from (name_a, name_b, entity_type) rows to float scores,
higher meaning more alike; `score >= threshold` means match.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Pair = tuple[str, str, str]  # (name_a, name_b, entity_type)
Scorer = Callable[[Sequence[Pair]], list[float]]
Row = dict[str, str]


@dataclass(frozen=True)
class Counts:
    """Confusion counts of one scorer on one slice."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def f1(self) -> float:
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else float("nan")

    @property
    def fpr(self) -> float:
        """Share of the non-matching pairs flagged: the false-alarm side, independent of class balance."""
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else float("nan")


# Slices reported for every scorer. Vessel and aircraft pairs count in "overall" only; cross-script is any pair
# whose two names are in different scripts (so same-script Cyrillic pairs are in neither script slice).
SLICES: list[tuple[str, Callable[[Row], bool]]] = [
    ("overall", lambda r: True),
    ("person", lambda r: r["entity_type"] == "person"),
    ("organization", lambda r: r["entity_type"] == "organization"),
    ("unknown entity type", lambda r: r["entity_type"] == "unknown"),
    ("Latin script (both names)", lambda r: r["script_a"] == "latin" and r["script_b"] == "latin"),
    ("cross-script (scripts differ)", lambda r: r["script_a"] != r["script_b"]),
    ("Russia-related", lambda r: r["russia_related"] == "1"),
]


def as_pairs(rows: Sequence[Row]) -> list[Pair]:
    return [(r["name_a"], r["name_b"], r["entity_type"]) for r in rows]


def labels_of(rows: Sequence[Row]) -> npt.NDArray[np.bool_]:
    return np.fromiter((r["label"] == "1" for r in rows), dtype=bool, count=len(rows))


def counts_from_decisions(decisions: npt.NDArray[np.bool_], labels: npt.NDArray[np.bool_]) -> Counts:
    return Counts(
        tp=int(np.sum(decisions & labels)),
        fp=int(np.sum(decisions & ~labels)),
        fn=int(np.sum(~decisions & labels)),
        tn=int(np.sum(~decisions & ~labels)),
    )


def counts_at(scores: npt.NDArray[np.float64], labels: npt.NDArray[np.bool_], threshold: float) -> Counts:
    return counts_from_decisions(scores >= threshold, labels)


def _sweep(
    scores: npt.NDArray[np.float64], labels: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every distinct score as a threshold, with TP and FP at it, from one sort and two cumulative sums.

    Sorted by score descending, the pairs flagged at threshold t are a prefix; the last index of each run of equal
    scores ends the prefix for that score. Thresholds come out highest first.
    """
    if len(scores) == 0:
        raise ValueError("no scores to choose a threshold from")
    order = np.argsort(-scores, kind="stable")
    ordered, hits = scores[order], labels[order]
    run_end = np.append(ordered[1:] != ordered[:-1], True)
    return ordered[run_end], np.cumsum(hits)[run_end], np.cumsum(~hits)[run_end]


def _counts(tp: int, fp: int, labels: npt.NDArray[np.bool_]) -> Counts:
    positives = int(labels.sum())
    return Counts(tp=tp, fp=fp, fn=positives - tp, tn=len(labels) - positives - fp)


def best_f1_threshold(scores: npt.NDArray[np.float64], labels: npt.NDArray[np.bool_]) -> tuple[float, Counts]:
    """The threshold (one of the distinct scores) with the highest F1; ties go to the highest threshold."""
    thresholds, tp, fp = _sweep(scores, labels)
    f1 = 2 * tp / (tp + fp + int(labels.sum()))  # 2TP / (2TP + FP + FN) with FN = positives - TP
    best = int(np.argmax(f1))
    return float(thresholds[best]), _counts(int(tp[best]), int(fp[best]), labels)


def fpr_threshold(
    scores: npt.NDArray[np.float64], labels: npt.NDArray[np.bool_], max_fpr: float
) -> tuple[float, Counts]:
    """The lowest threshold whose false-positive rate stays within max_fpr (the most recall for that alarm budget).

    When even the top score breaks the budget, the threshold is +inf: nothing is flagged.
    """
    thresholds, tp, fp = _sweep(scores, labels)
    allowed = np.flatnonzero(fp <= max_fpr * int((~labels).sum()))
    if len(allowed) == 0:
        return math.inf, _counts(0, 0, labels)
    last = int(allowed[-1])  # fp only grows as the threshold falls, so the allowed ones are a prefix
    return float(thresholds[last]), _counts(int(tp[last]), int(fp[last]), labels)


def roc_auc(scores: npt.NDArray[np.float64], labels: npt.NDArray[np.bool_]) -> float:
    """ROC AUC (Mann-Whitney U, ties counted half): threshold-free and blind to the 9:1 class balance here."""
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    _, inverse, tie_counts = np.unique(scores, return_inverse=True, return_counts=True)
    ends = np.cumsum(tie_counts)
    mid_ranks = ends - (tie_counts - 1) / 2  # 1-based average rank of each distinct score
    rank_sum = float(mid_ranks[inverse][labels].sum())
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)
