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


@dataclass(frozen=True)
class Settings:
    store: Path
    log_format: str  # "json", "console" or "auto" (console when stderr is a terminal)
    log_level: str

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            store=Path(os.environ.get("RESOLVER_STORE") or _default_store()),
            log_format=os.environ.get("RESOLVER_LOG_FORMAT", "auto"),
            log_level=os.environ.get("RESOLVER_LOG_LEVEL", "info"),
        )


# Where the embedded default registry lives inside the installed package.
EMBEDDED_REGISTRY = Path(__file__).parent / "data" / "registry"
