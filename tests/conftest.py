"""Shared fixtures. The real data lives in ../shared/data beside the project and is never copied in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("RESOLVER_SHARED_DATA", ROOT.parent / "shared" / "data"))


def _require_shared_data() -> Path:
    if SHARED_DATA.is_dir():
        return SHARED_DATA
    reason = (
        f"shared data not found at {SHARED_DATA} (set RESOLVER_SHARED_DATA or lay ../shared/data beside the project)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return _require_shared_data()


@pytest.fixture(scope="session")
def registries(shared_data: Path) -> Path:
    return shared_data / "registries"
