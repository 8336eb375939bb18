"""resolver: entity resolution and sanctions screening over gRPC."""

import structlog as _structlog

__version__ = "0.1.0"

# Used as a library (benchmarks, notebooks), logs must not land on stdout, where results go:
# until the application configures logging, structlog writes to stderr.
if not _structlog.is_configured():
    from resolver.logs import _stderr_logger

    _structlog.configure(logger_factory=_stderr_logger)
