"""Summaries the benchmarks share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def percentiles(values: Sequence[float] | np.ndarray[Any, Any]) -> dict[str, float]:
    """p50 / p95 / p99 / max / mean of latencies (any unit), NaN for none."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return {k: float("nan") for k in ("p50", "p95", "p99", "max", "mean")}
    return {
        "p50": float(np.percentile(arr, 50)),
        "p95": float(np.percentile(arr, 95)),
        "p99": float(np.percentile(arr, 99)),
        "max": float(arr.max()),
        "mean": float(arr.mean()),
    }
