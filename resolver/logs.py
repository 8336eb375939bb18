"""structlog, configured once: JSON lines in production, readable console output in a terminal.

Logs always go to stderr so that command output on stdout (e.g. ``--json``) stays clean.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog


class _StderrLogger:
    """Writes each line to the sys.stderr of the moment (not the one of configuration time): a test runner or
    a CLI runner that swaps and closes stderr must not leave the logger writing to a closed file."""

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warn = warning = error = err = critical = exception = fatal = failure = msg


def _stderr_logger(*args: Any) -> _StderrLogger:
    return _StderrLogger()


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A StreamHandler on the sys.stderr of the moment (see _StderrLogger)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(log_format: str = "auto", level: str = "info") -> None:
    """Set up structlog (and route stdlib logging, e.g. Splink's, through the same renderer)."""
    use_console = log_format == "console" or (log_format == "auto" and sys.stderr.isatty())
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer() if use_console else structlog.processors.JSONRenderer()
    )
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping()[level.upper()]),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    handler = _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def configure_logging_from_env() -> None:
    """``configure_logging`` with the format and level of the environment (RESOLVER_LOG_FORMAT, ...): for the
    processes `resolver serve` spawns, which start with a fresh interpreter."""
    from resolver.settings import Settings

    settings = Settings.from_env()
    configure_logging(settings.log_format, settings.log_level)
