"""Every setting the resolver reads from the environment, in one place (yente-style).

Command-line flags override these; nothing else reads os.environ.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def _default_store() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "resolver" / "registry.duckdb"


def _path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


@dataclass(frozen=True)
class Settings:
    store: Path
    log_format: str  # "json", "console" or "auto" (console when stderr is a terminal)
    log_level: str
    audit_dir: Path | None  # the decision audit log (journals + audit.duckdb); None: "audit" beside the store
    tokens_file: Path | None  # server: caller:token[:Method,...] lines
    tokens: str | None  # server: the same entries, comma-separated (RESOLVER_TOKENS)
    token: str | None  # client (`resolver resolve`): the bearer token to present (RESOLVER_TOKEN)
    address: str  # client: the server to call

    @classmethod
    def from_env(cls) -> Settings:
        store = Path(os.environ.get("RESOLVER_STORE") or _default_store())
        return cls(
            store=store,
            log_format=os.environ.get("RESOLVER_LOG_FORMAT", "auto"),
            log_level=os.environ.get("RESOLVER_LOG_LEVEL", "info"),
            audit_dir=_path("RESOLVER_AUDIT_DIR"),
            tokens_file=_path("RESOLVER_TOKENS_FILE"),
            tokens=os.environ.get("RESOLVER_TOKENS") or None,
            token=os.environ.get("RESOLVER_TOKEN") or None,
            address=os.environ.get("RESOLVER_ADDRESS", "127.0.0.1:50051"),
        )


# Where the embedded default registry lives inside the installed package.
EMBEDDED_REGISTRY = Path(__file__).parent / "data" / "registry"
