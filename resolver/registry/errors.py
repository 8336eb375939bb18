"""Errors raised while reading a registry file: they always name the file, where, and what."""

from __future__ import annotations

from pathlib import Path


class IngestError(Exception):
    """A file could not be ingested. Nothing has been written when this is raised."""

    def __init__(self, path: Path | str, location: str | None, problem: str) -> None:
        self.path = str(path)
        self.location = location
        self.problem = problem
        where = f"{self.path}:{location}" if location else self.path
        super().__init__(f"{where}: {problem}")
