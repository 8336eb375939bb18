"""OFAC legacy CSV: the headerless sdn/alt/add/comments files (and cons_* for the consolidated non-SDN list).

One list is one source: its primary file (sdn.csv / cons_prim.csv, 12 columns), aliases (alt, 5),
addresses (add, 6) and Remarks continuations (comments, 2) join on ent_num. Most of an entry's
identity lives in the Remarks mini-language, read by ``ofac_remarks``.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from pathlib import Path

import structlog

from resolver.registry.errors import IngestError
from resolver.registry.parsers._common import clean, iter_csv
from resolver.registry.parsers.ofac_remarks import (
    country,
    normalise_name,
    parse_remarks,
    resolve_links,
    resolved_country,
)
from resolver.registry.records import (
    AIRCRAFT,
    NAME_ALIAS,
    NAME_FORMER,
    NAME_PRIMARY,
    NAME_WEAK,
    ORGANIZATION,
    PERSON,
    UNKNOWN,
    VESSEL,
    Address,
    Country,
    Entity,
    Identifier,
    Name,
    ParsedSource,
)

FORMAT = "ofac_csv"
DESCRIPTION = "OFAC legacy CSV (sdn/alt/add/comments, or cons_prim/cons_alt/cons_add/cons_comments), no header"

SDN_SOURCE = "us_ofac_sdn"
CONS_SOURCE = "us_ofac_cons"

# Role of a file by its column count: the files carry no header.
PRIMARY, ALT, ADD, COMMENTS = "primary", "alt", "add", "comments"
_ROLES = {12: PRIMARY, 5: ALT, 6: ADD, 2: COMMENTS}
_WIDTH = {role: width for width, role in _ROLES.items()}

_KINDS = {"individual": PERSON, "vessel": VESSEL, "aircraft": AIRCRAFT, "entity": ORGANIZATION, "": ORGANIZATION}
_ALT_KINDS = {"aka": NAME_ALIAS, "fka": NAME_FORMER, "nka": NAME_ALIAS}
_NUMERIC = re.compile(r"^\s*\d+\s*$")
# a bare "352332" or "EC3N 1DY" is a postcode, not a city: every word has a digit (or is a 1-3 letter prefix)
_POSTCODE = re.compile(r"^(?=.*\d)(?:[A-Z0-9-]*\d[A-Z0-9-]*|[A-Z]{1,3})(?: (?:[A-Z0-9-]*\d[A-Z0-9-]*|[A-Z]{1,3}))*$")
_EOF = "\x1a"  # DOS end-of-file byte OFAC still appends

log = structlog.get_logger(__name__)


def _cell(value: str) -> str | None:
    """A CSV cell via ``clean``; most cells are OFAC's "-0- " placeholder, so that is checked first."""
    if value == "-0- " or value == "-0-" or not value:
        return None
    return clean(value)


def _list_of(path: Path) -> str:
    """Which OFAC list a file belongs to: consolidated files are named cons_*."""
    return CONS_SOURCE if path.name.lower().startswith("cons_") else SDN_SOURCE


def _rows(text: str, limit: int) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    try:
        for row in reader:
            if row and row != [_EOF]:
                rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        return []
    return rows


def _fits(role: str, row: list[str]) -> bool:
    """A row of the OFAC shape for its role: numeric ent_num, plus what each file always has."""
    if len(row) != _WIDTH[role] or not _NUMERIC.match(row[0]):
        return False
    if role == PRIMARY:
        return clean(row[1]) is not None
    if role == ALT:
        return row[2].strip().lower() in _ALT_KINDS
    if role == ADD:
        return bool(_NUMERIC.match(row[1]))
    return True


def sniff(path: Path, head: str) -> bool:
    """A headerless CSV whose first row, and nearly every row after it, has one OFAC shape."""
    text = head if head.endswith("\n") else head[: head.rfind("\n") + 1]  # the last line may be cut off
    rows = _rows(text, 20)
    if not rows:
        return False
    role = _ROLES.get(len(rows[0]))
    if role is None or not _fits(role, rows[0]):
        return False
    if role == COMMENTS and "comments" not in path.name.lower():
        return False  # (id, text) is too common a shape to claim without the OFAC file name
    # one broken row must fail in parse, naming its line, rather than make the file unrecognisable
    return sum(_fits(role, r) for r in rows) * 5 >= len(rows) * 4


def _role(path: Path) -> str:
    """The role of a file, from the width of its first row."""
    for line, row in iter_csv(path):
        if row == [_EOF]:
            continue
        role = _ROLES.get(len(row))
        if role is None:
            raise IngestError(
                path, f"line {line}", f"not an OFAC CSV file: {len(row)} columns (expected 12, 5, 6 or 2)"
            )
        return role
    raise IngestError(path, "line 1", "empty file: no OFAC rows")


def _check_primaries(paths: list[Path], roles: dict[Path, str]) -> None:
    primaries = [p for p in paths if roles[p] == PRIMARY]
    if len(primaries) > 1:
        names = " and ".join(str(p) for p in primaries)
        raise IngestError(
            primaries[1], None, f"two primary files of one OFAC list ({names}): ingest them in separate commands"
        )


def group(paths: list[Path]) -> list[list[Path]]:
    """One group per list: the SDN files together, the consolidated (cons_*) files together."""
    roles = {p: _role(p) for p in paths}
    groups: dict[str, list[Path]] = {}
    for path in paths:
        groups.setdefault(_list_of(path), []).append(path)
    for members in groups.values():
        _check_primaries(members, roles)
    return list(groups.values())


def _read(path: Path, role: str) -> list[tuple[int, list[str]]]:
    width = _WIDTH[role]
    rows: list[tuple[int, list[str]]] = []
    for line, row in iter_csv(path):
        if row == [_EOF]:
            continue
        if len(row) != width:
            raise IngestError(path, f"line {line}", f"expected {width} columns ({role} file), found {len(row)}")
        if not _NUMERIC.match(row[0]):
            raise IngestError(path, f"line {line}", f"ent_num is not a number: {row[0]!r}")
        rows.append((line, row))
    return rows


def _programs(raw: str | None) -> list[str]:
    """ "RUSSIA-EO14024] [UKRAINE-EO13662" or "[SDGT] [IFSR]" -> ["RUSSIA-EO14024", "UKRAINE-EO13662"]."""
    value = clean(raw)
    if value is None:
        return []
    out: list[str] = []
    for part in re.split(r"\]\s*\[", value):
        program = part.strip(" []")
        if program and program not in out:
            out.append(program)
    return out


def _add_country(entity: Entity, item: Country | None) -> None:
    if item is None:
        return
    if any(c.code == item.code and c.role == item.role for c in entity.countries):
        return
    entity.countries.append(item)


def _entity(
    row: list[str], remarks: str | None, alt_names: list[Name], addresses: list[Address], path: Path, line: int
) -> tuple[Entity, list[str]]:
    ent_num = row[0].strip()
    primary = _cell(row[1])
    if primary is None:
        raise IngestError(path, f"line {line}", f"entry {ent_num} has no SDN_Name")
    parsed = parse_remarks(remarks)
    entity = Entity(
        source_id=ent_num,
        kind=_KINDS.get((_cell(row[2]) or "").lower(), UNKNOWN),
        names=[Name(value=primary, kind=NAME_PRIMARY)],
        programs=_programs(row[3]),
        topics=["sanction"],
        gender=parsed.gender,
        birth_dates=parsed.birth_dates,
        birth_places=parsed.birth_places,
        addresses=addresses,
    )
    # listed aliases first; a quoted Remarks a.k.a. is OFAC's weak alias unless it is also listed
    seen = {normalise_name(primary)}
    for name in [*alt_names, *parsed.names]:
        key = normalise_name(name.value)
        if key not in seen:
            seen.add(key)
            entity.names.append(name)
    for item in parsed.countries:
        _add_country(entity, item)
    if flag := _cell(row[9]):
        _add_country(entity, country(flag, "jurisdiction"))  # a vessel's flag state
    for address in addresses:
        if address.country:
            _add_country(entity, Country(code=address.country, role="address"))
    if call_sign := _cell(row[5]):
        entity.identifiers.append(Identifier(scheme="Call Sign", value=call_sign))
    entity.identifiers.extend(parsed.identifiers)
    notes: list[str] = []
    if title := _cell(row[4]):
        notes.append(f"Title: {title}")
    for label, column in (("Vessel type", 6), ("Tonnage", 7), ("GRT", 8), ("Vessel owner", 10)):
        if value := _cell(row[column]):
            notes.append(f"{label}: {value}")
    notes.extend(parsed.notes)
    entity.notes = "; ".join(notes) or None
    return entity, parsed.linked_to


def _address(row: list[str]) -> Address | None:
    street, city, country_raw, remark = _cell(row[2]), _cell(row[3]), _cell(row[4]), _cell(row[5])
    parts = [p for p in (street, city, country_raw) if p]
    if not parts:
        return None
    full = ", ".join(parts)
    if remark:
        full = f"{full} ({remark})"
    code = None
    if country_raw:
        code = resolved_country(country_raw) or country_raw.lower()
    if city and _POSTCODE.match(city):
        return Address(full=full, street=street, postal_code=city, country=code)
    # OFAC keeps city, state and postcode in one field ("London EC3N 1DY"); it is stored as the city
    return Address(full=full, street=street, city=city, country=code)


def parse(paths: list[Path], source: str | None = None) -> ParsedSource:
    """Read one OFAC list's files (a primary file plus optional alt, add and comments files)."""
    if not paths:
        raise IngestError("<none>", None, "no files given")
    lists = {_list_of(p) for p in paths}
    if len(lists) > 1:
        names = ", ".join(str(p) for p in paths)
        raise IngestError(paths[0], None, f"files of both the SDN and the consolidated (cons_*) list: {names}")
    roles = {p: _role(p) for p in paths}
    _check_primaries(paths, roles)
    primaries = [p for p in paths if roles[p] == PRIMARY]
    if not primaries:
        names = ", ".join(str(p) for p in paths)
        raise IngestError(paths[0], None, f"no primary file (sdn.csv / cons_prim.csv) among {names}")
    primary_path = primaries[0]
    by_role: dict[str, list[Path]] = defaultdict(list)
    for path in paths:
        by_role[roles[path]].append(path)

    primary_rows = _read(primary_path, PRIMARY)
    known = {row[0].strip() for _, row in primary_rows}
    orphans: dict[str, int] = defaultdict(int)

    def rows_of(role: str) -> list[tuple[str, list[str]]]:
        """(ent_num, row) of every file in this role whose entry is in the primary file; others are counted."""
        out: list[tuple[str, list[str]]] = []
        for path in by_role[role]:
            for _, row in _read(path, role):
                ent_num = row[0].strip()
                if ent_num in known:
                    out.append((ent_num, row))
                else:
                    orphans[path.name] += 1
        return out

    # comments continue a Remarks field cut at a fixed length, mid-word: join without a separator
    continuation: dict[str, str] = defaultdict(str)
    for ent_num, row in rows_of(COMMENTS):
        continuation[ent_num] += row[1]
    alt_names: dict[str, list[Name]] = defaultdict(list)
    for ent_num, row in rows_of(ALT):
        if value := _cell(row[3]):
            kind = _ALT_KINDS.get((_cell(row[2]) or "").lower(), NAME_ALIAS)
            if "weak" in (_cell(row[4]) or "").lower():
                kind = NAME_WEAK
            alt_names[ent_num].append(Name(value=value, kind=kind))
    addresses: dict[str, list[Address]] = defaultdict(list)
    for ent_num, row in rows_of(ADD):
        if address := _address(row):
            addresses[ent_num].append(address)

    if orphans:
        # real lists drift: alt/add files from another day name entries the primary file no longer has
        log.warning(
            "ofac_csv.orphan_rows_skipped",
            primary=str(primary_path),
            skipped=dict(orphans),
            total=sum(orphans.values()),
        )

    entities: list[Entity] = []
    seen_ids: set[str] = set()
    links: list[tuple[str, str]] = []
    for line, row in primary_rows:
        ent_num = row[0].strip()
        if ent_num in seen_ids:
            raise IngestError(primary_path, f"line {line}", f"ent_num {ent_num} appears twice")
        seen_ids.add(ent_num)
        remarks = row[11] + continuation[ent_num] if ent_num in continuation else row[11]
        entity, linked = _entity(
            row, remarks, alt_names.get(ent_num, []), addresses.get(ent_num, []), primary_path, line
        )
        entities.append(entity)
        links.extend((ent_num, target) for target in linked)

    return ParsedSource(
        source=source or _list_of(primary_path),
        format=FORMAT,
        files=list(paths),
        entities=entities,
        relations=resolve_links(entities, links),
    )
