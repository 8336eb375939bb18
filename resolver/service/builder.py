"""Building a snapshot's matcher in a process of its own.

A serving process that built a matcher itself would hold the GIL for seconds while calls wait, and keep the heap
the build leaves behind. This module imports none of the matching code, so that the supervisor of `resolver serve
--workers N`, which only starts the builder and the workers and folds the audit log, never loads it either.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)


def prepare_matcher_elsewhere(store_path: Path, model_dir: Path | None = None) -> bool:
    """Run snapshot.prepare_matcher in a process of its own (spawned: nothing of this one's threads or locks), on
    every CPU this machine lets it use, and wait for it. False when the process failed (the caller then builds)."""
    context = multiprocessing.get_context("spawn")
    builder = context.Process(target=_prepare_matcher_process, args=(store_path, model_dir), name="matcher-builder")
    builder.start()
    builder.join()
    if builder.exitcode != 0:
        log.warning("the matcher builder failed", exitcode=builder.exitcode)
    return builder.exitcode == 0


def _prepare_matcher_process(store_path: Path, model_dir: Path | None) -> None:
    from resolver.logs import configure_logging_from_env
    from resolver.service.snapshot import prepare_matcher

    configure_logging_from_env()
    with contextlib.suppress(OSError, AttributeError):  # a pinned parent's one CPU is not the builder's
        os.sched_setaffinity(0, range(os.cpu_count() or 1))
    prepare_matcher(store_path, model_dir)
