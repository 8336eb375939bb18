"""The agency's own watchlist: a strict UTF-8 CSV for people and companies no public list carries (yet).

Format (docs/watchlist-format.md): header ``id,name,aliases,kind,birth_date,nationality,country,topics,
programs,listing_date,identifiers,notes``; id and name are required columns and values, the rest
optional; multi-valued cells are separated by "|"; identifiers are "scheme:value". The reader is strict
because the file is typed by hand: an unknown column, a bad kind or date, a duplicate id is an
IngestError naming the line and column, never a silently dropped value.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from resolver.registry.errors import IngestError
from resolver.registry.parsers._common import clean, country_code, csv_header, first_occurrence, iter_csv_records
from resolver.registry.records import (
    AIRCRAFT,
    NAME_ALIAS,
    NAME_PRIMARY,
    ORGANIZATION,
    PERSON,
    UNKNOWN,
    VESSEL,
    BirthDate,
    Country,
    Entity,
    Identifier,
    Name,
    ParsedSource,
)

FORMAT = "watchlist"
DESCRIPTION = "Agency watchlist CSV (id,name,aliases,kind,birth_date,...; see docs/watchlist-format.md)"

COLUMNS = (
    "id",
    "name",
    "aliases",
    "kind",
    "birth_date",
    "nationality",
    "country",
    "topics",
    "programs",
    "listing_date",
    "identifiers",
    "notes",
)
REQUIRED = ("id", "name")
SEPARATOR = "|"
_KINDS = {PERSON, ORGANIZATION, VESSEL, AIRCRAFT}
_ISO_PREFIX = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_STEM = re.compile(r"[^a-z0-9]+")


def default_source(path: Path) -> str:
    return "watchlist_" + (_STEM.sub("_", path.stem.lower()).strip("_") or "list")


def sniff(path: Path, head: str) -> bool:
    names = csv_header(head)
    return names is not None and set(REQUIRED) <= names and names <= set(COLUMNS)


def parse(paths: list[Path], source: str | None = None) -> ParsedSource:
    result = ParsedSource(source=source or default_source(paths[0]), format=FORMAT, files=list(paths))
    seen: dict[str, str] = {}
    for path in paths:
        for entity, line in _read(path):
            first_occurrence(seen, entity.source_id, path, line, "id", f"duplicate id {entity.source_id!r}")
            result.entities.append(entity)
    return result


def _read(path: Path) -> list[tuple[Entity, int]]:
    return [(_entity(path, line, row), line) for line, row in iter_csv_records(path, COLUMNS, REQUIRED)]


def _entity(path: Path, line: int, row: dict[str, str]) -> Entity:
    def fail(column: str, problem: str) -> IngestError:
        return IngestError(path, f"line {line}, column {column}", problem)

    ident, name = clean(row["id"]), clean(row["name"])
    if ident is None:
        raise fail("id", "required value is blank")
    if name is None:
        raise fail("name", "required value is blank")
    kind = (clean(row.get("kind")) or UNKNOWN).lower()
    if kind != UNKNOWN and kind not in _KINDS:
        raise fail("kind", f"{row['kind']!r} is not one of {', '.join(sorted(_KINDS))} (or blank)")

    names = [Name(name, NAME_PRIMARY)]
    for alias in _split(row.get("aliases")):
        if all(n.value != alias for n in names):
            names.append(Name(alias, NAME_ALIAS))

    birth_dates = []
    for raw in _split(row.get("birth_date")):
        birth = _iso_date(raw)
        if birth is None:
            raise fail("birth_date", _bad_date(raw))
        birth_dates.append(BirthDate(raw, birth))
    listing_date = clean(row.get("listing_date"))
    if listing_date is not None and _iso_date(listing_date) is None:
        raise fail("listing_date", _bad_date(listing_date))

    identifiers = []
    for item in _split(row.get("identifiers")):
        scheme, sep, value = item.partition(":")
        scheme, value = scheme.strip(), value.strip()
        if not sep or not scheme or not value:
            raise fail("identifiers", f"{item!r} is not scheme:value")
        identifiers.append(Identifier(scheme, value))

    countries = [Country(_country(raw), "nationality", raw) for raw in _split(row.get("nationality"))]
    countries += [Country(_country(raw), "other", raw) for raw in _split(row.get("country"))]
    return Entity(
        source_id=ident,
        kind=kind,
        names=names,
        programs=_split(row.get("programs")),
        topics=_split(row.get("topics")),
        listing_date=listing_date,
        identifiers=identifiers,
        birth_dates=birth_dates,
        countries=countries,
        notes=clean(row.get("notes")),
    )


def _split(raw: str | None) -> list[str]:
    if not raw:
        return []
    return list(dict.fromkeys(v for v in (clean(p) for p in raw.split(SEPARATOR)) if v))


def _country(raw: str) -> str:
    return country_code(raw) or raw.lower()


def _iso_date(raw: str) -> str | None:
    """The value itself when it is a valid YYYY, YYYY-MM or YYYY-MM-DD, else None."""
    m = _ISO_PREFIX.match(raw)
    if m is None:
        return None
    year, month, day = int(m[1]), int(m[2] or 1), int(m[3] or 1)
    try:
        date(year, month, day)
    except ValueError:
        return None
    return raw if 1000 <= year <= 2100 else None


def _bad_date(raw: str) -> str:
    return f"{raw!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)"
