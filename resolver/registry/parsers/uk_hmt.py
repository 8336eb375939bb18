"""UK HMT / OFSI consolidated list, CSV: one row per name, rows grouped into listings by Group ID.

An optional first line "Last Updated,dd/mm/yyyy,..." carries the publisher's date; the header
follows. A listing's other rows repeat its details once per name and per date of birth, so every
value is de-duplicated within the group.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from resolver.registry.errors import IngestError
from resolver.registry.parsers._common import clean, country_code, parse_date, read_csv_header, read_text
from resolver.registry.records import (
    NAME_ALIAS,
    NAME_FORMER,
    NAME_PRIMARY,
    NAME_WEAK,
    ORGANIZATION,
    PERSON,
    UNKNOWN,
    VESSEL,
    Address,
    BirthDate,
    Country,
    Entity,
    Identifier,
    Name,
    ParsedSource,
)

FORMAT = "uk_hmt"
DESCRIPTION = "UK HMT/OFSI consolidated sanctions list (CSV, one row per name, Group ID)"
DEFAULT_SOURCE = "gb_hmt"

REQUIRED = ["Name 6", "Group ID", "Group Type", "Alias Type"]
_GIVEN = ["Name 1", "Name 2", "Name 3", "Name 4", "Name 5"]
_ADDRESS = ["Address 1", "Address 2", "Address 3", "Address 4", "Address 5", "Address 6"]
_KINDS = {"individual": PERSON, "entity": ORGANIZATION, "ship": VESSEL}
_ALIAS_KINDS = {
    "prime alias": NAME_PRIMARY,
    "primary name": NAME_PRIMARY,
    "aka": NAME_ALIAS,
    "alias": NAME_ALIAS,
    "primary name variation": NAME_ALIAS,
    "fka": NAME_FORMER,
    "former name": NAME_FORMER,
}
# When one name appears under several alias types, the strongest wins.
_RANK = {NAME_PRIMARY: 0, NAME_ALIAS: 1, NAME_FORMER: 2, NAME_WEAK: 3}
_NUMBERED = re.compile(r"\(\d+\)\s*")  # "(1) Afghan (2) Pakistani"
_UN_REF = re.compile(r"UN Ref\)?\s*:?\s*([A-Z]{2}[a-z]\.\d+)")
_UK_REF = re.compile(r"UK Sanctions List Ref\)?\s*:?\s*([A-Z]{2,4}\d{3,5})")


def sniff(path: Path, head: str) -> bool:
    # The header is the first line, or the second after "Last Updated,...".
    for line in head.splitlines()[:2]:
        fields = {f.strip() for f in next(csv.reader([line]), [])}
        if "Name 6" in fields and "Group ID" in fields:
            return True
    return False


@dataclass
class _Group:
    path: Path
    first_line: int
    entity: Entity
    names: dict[tuple[str, str | None], Name] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def parse(paths: list[Path], source: str | None = None) -> ParsedSource:
    result = ParsedSource(source=source or DEFAULT_SOURCE, format=FORMAT, files=list(paths))
    groups: dict[str, _Group] = {}
    for path in paths:
        published, skip = _last_updated(path)
        if published and (result.publisher_date is None or published > result.publisher_date):
            result.publisher_date = published
        for line, row in read_csv_header(path, REQUIRED, skip_lines=skip):
            row = {k: clean(v) or "" for k, v in row.items()}
            group_id = row["Group ID"]
            if not group_id:
                raise IngestError(path, f"line {line}", "empty Group ID")
            kind = _KINDS.get(row["Group Type"].lower(), UNKNOWN)
            group = groups.get(group_id)
            if group is None:
                group = groups[group_id] = _Group(path, line, Entity(group_id, kind, [], topics=["sanction"]))
                result.entities.append(group.entity)
            elif group.entity.kind != kind:
                # Mixed types under one Group ID mean the grouping itself is wrong.
                raise IngestError(path, f"line {line}", f"Group ID {group_id} is {group.entity.kind} and {kind}")
            _row(group, row)
    for group in groups.values():
        _finish(group)
    return result


def _last_updated(path: Path) -> tuple[str | None, int]:
    """The publisher date and the number of lines before the header."""
    text = read_text(path)  # strict: a bad byte fails here, with its line
    first = next(csv.reader([text.split("\n", 1)[0]]), [])
    if first and first[0].strip() == "Last Updated":
        return (parse_date(first[1]) if len(first) > 1 else None), 1
    return None, 0


def _row(group: _Group, row: dict[str, str]) -> None:
    entity = group.entity
    whole = clean(" ".join(row.get(c, "") for c in [*_GIVEN, "Name 6"]))
    if whole:
        kind = _ALIAS_KINDS.get(row["Alias Type"].lower(), NAME_ALIAS)
        quality = row.get("Alias Quality") or None
        if kind == NAME_ALIAS and quality and "low" in quality.lower():
            kind = NAME_WEAK
        _add_name(group, Name(whole, kind, quality=quality.lower() if quality else None))
    script = row.get("Name Non-Latin Script")
    if script:
        lang = row.get("Non-Latin Script Language") or row.get("Non-Latin Script Type") or None
        _add_name(group, Name(script, NAME_ALIAS, lang=lang))

    dob = row.get("DOB")
    if dob and all(b.raw != dob for b in entity.birth_dates):
        entity.birth_dates.append(BirthDate(dob, parse_date(dob)))
    town, birth_country = row.get("Town of Birth"), row.get("Country of Birth")
    place = ", ".join(p for p in (town, birth_country) if p)
    if place and place not in entity.birth_places:
        entity.birth_places.append(place)
    _add_country(entity, birth_country, "birth")
    for nationality in _split(row.get("Nationality")):
        _add_country(entity, nationality, "nationality")

    _add_ids(entity, "Passport", row.get("Passport Number"), row.get("Passport Details"))
    _add_ids(entity, "National ID", row.get("National Identification Number"), row.get("NI Details"))
    other = row.get("Other Information") or ""
    for scheme, pattern in (("UN reference", _UN_REF), ("UK sanctions list reference", _UK_REF)):
        for ref in pattern.findall(other):
            _add_ids(entity, scheme, ref, None)

    parts = [row.get(c) for c in [*_ADDRESS, "Post/Zip Code", "Country"]]
    full = ", ".join(p for p in parts if p)
    if full and all(a.full != full for a in entity.addresses):
        code = _country_code(row["Country"]) if row.get("Country") else None
        entity.addresses.append(Address(full, postal_code=row.get("Post/Zip Code") or None, country=code))
    _add_country(entity, row.get("Country"), "address")

    regime = row.get("Regime")
    if regime and regime not in entity.programs:
        entity.programs.append(regime)
    listed = parse_date(row.get("Listed On") or row.get("UK Sanctions List Date Designated"))
    if listed and (entity.listing_date is None or listed < entity.listing_date):
        entity.listing_date = listed
    # Titles stay out of the name (they defeat matching) but are kept for the officer.
    for label, column in (("Title", "Title"), ("Position", "Position"), (None, "Other Information")):
        value = row.get(column)
        text = f"{label}: {value}" if label and value else value
        if text and text not in group.notes:
            group.notes.append(text)


def _add_name(group: _Group, name: Name) -> None:
    key = (name.value.casefold(), name.lang)
    known = group.names.get(key)
    if known is None:
        group.names[key] = name
    elif _RANK[name.kind] < _RANK[known.kind]:
        known.kind, known.quality = name.kind, name.quality


def _finish(group: _Group) -> None:
    entity = group.entity
    names = list(group.names.values())
    if not names:
        raise IngestError(group.path, f"line {group.first_line}", f"Group ID {entity.source_id} has no name")
    # names[0] is the first "Prime Alias"; without one, the first strongest name stands in.
    first = min(range(len(names)), key=lambda i: (_RANK[names[i].kind], i))
    primary = names.pop(first)
    for name in names:
        if name.kind == NAME_PRIMARY:
            name.kind = NAME_ALIAS  # a second prime alias spelling is an alias
    primary.kind = NAME_PRIMARY
    entity.names = [primary, *names]
    entity.notes = "\n".join(group.notes) or None


def _split(value: str | None) -> list[str]:
    if not value:
        return []
    return [p.strip() for p in _NUMBERED.split(value) if p.strip()]


def _add_ids(entity: Entity, scheme: str, numbers: str | None, details: str | None) -> None:
    values, notes = _split(numbers), _split(details)
    for i, value in enumerate(values):
        # Numbered details line up with numbered numbers; otherwise keep the whole text.
        note = notes[i] if len(notes) == len(values) else details or None
        if all((x.scheme, x.value) != (scheme, value) for x in entity.identifiers):
            entity.identifiers.append(Identifier(scheme, value, note=note))


def _country_code(raw: str) -> str | None:
    code = country_code(raw)
    if code is not None and code == raw.lower():
        # "Pakistan (location as at May 2008)": retry without the qualifier before giving up.
        code = country_code(re.sub(r"\(.*?\)", "", raw)) or code
    return code


def _add_country(entity: Entity, raw: str | None, role: str) -> None:
    code = _country_code(raw) if raw else None
    if code is not None and all((c.code, c.role) != (code, role) for c in entity.countries):
        entity.countries.append(Country(code, role, raw))
