"""A party as the matcher sees it: a module of its own, so that request checking needs no matcher."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Query:
    """A party as the matcher sees it."""

    name: str
    kind: str | None = None
    birth_dates: Sequence[str] = ()
    countries: Sequence[str] = ()
    identifiers: Sequence[str] = ()
    aliases: Sequence[str] = ()
