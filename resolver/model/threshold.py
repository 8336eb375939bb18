"""Choosing the decision threshold from labelled pairs: the match weight with the best F1."""

from __future__ import annotations

from collections.abc import Sequence


def best_f1_threshold(weights: Sequence[float], labels: Sequence[bool]) -> tuple[float, float]:
    """(threshold, F1): predicting "match" for weight >= threshold maximises F1 on these pairs.

    The threshold is placed halfway between the chosen weight and the next lower one, so that it
    does not sit exactly on a training pair's weight."""
    if len(weights) != len(labels) or not weights:
        raise ValueError("need as many labels as weights, and at least one")
    order = sorted(range(len(weights)), key=lambda i: -weights[i])
    positives = sum(labels)
    tp = fp = 0
    best = (float("inf"), 0.0)
    for rank, i in enumerate(order):
        if labels[i]:
            tp += 1
        else:
            fp += 1
        nxt = weights[order[rank + 1]] if rank + 1 < len(order) else float("-inf")
        if nxt == weights[i]:
            continue  # a threshold cannot split tied weights
        f1 = 2 * tp / (tp + fp + positives) if positives else 0.0
        if f1 > best[1]:
            cut = (weights[i] + nxt) / 2 if nxt != float("-inf") else weights[i] - 1.0
            best = (cut, f1)
    return best


def threshold_at_fpr(weights: Sequence[float], labels: Sequence[bool], max_fpr: float) -> tuple[float, float, float]:
    """(threshold, recall, fpr): the lowest threshold that flags at most ``max_fpr`` of the non-matches.

    Best-F1 is useless when matches dominate the labelled pairs (flagging everything scores well);
    a bound on false alarms is what an officer's workload is about."""
    negatives = sorted((w for w, label in zip(weights, labels, strict=True) if not label), reverse=True)
    positives = sorted((w for w, label in zip(weights, labels, strict=True) if label), reverse=True)
    if not negatives or not positives:
        raise ValueError("need both matches and non-matches")
    allowed = int(max_fpr * len(negatives))  # this many non-matches may score >= the threshold
    # just above the (allowed+1)-th highest non-match weight
    cut = negatives[allowed] + 1e-6 if allowed < len(negatives) else negatives[-1]
    recall = sum(1 for w in positives if w >= cut) / len(positives)
    fpr = sum(1 for w in negatives if w >= cut) / len(negatives)
    return cut, recall, fpr
