"""The UK FCA's combined US/UK/EU sanctions file (CSV, header surname,forename,middle_names,full_name,...).

The FCA flattened every list into one row per name *and* per value combination: an entity with three
dates of birth and two addresses repeats its names on several rows. An entity is the group
(sanction_list, list_internal_id); its first row gives the primary name, every other distinct name
(Cyrillic and other scripts included) is an alias, and the other columns are the union over the
group's rows. source_id is "<list code>:<list_internal_id>" (e.g. "eu_fsf:EU.7792.75").

No row of the 2022-05-05 file has an empty list_internal_id (the BIS lists carry the FCA's own sha1
ids). Should one appear, it is grouped by a hash of (list, full name, address), which keeps it stable
across versions; aliases of such a row then stay separate entities because nothing else links them.

The list codes, topics, kind rules and the OFAC "value, Type" id parsing here are shared with the CSL
parser, which names the same US lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from resolver.registry.errors import IngestError
from resolver.registry.parsers._common import clean, country_code, iter_csv, parse_date
from resolver.registry.parsers.bis_dpl import looks_like_organization, stable_id
from resolver.registry.records import (
    AIRCRAFT,
    NAME_ALIAS,
    NAME_PRIMARY,
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

FORMAT = "fca_combined"
DESCRIPTION = "UK FCA combined US/UK/EU sanctions CSV (surname,forename,middle_names,full_name,...)"
DEFAULT_SOURCE = "gb_fca_combined"

_HEADER_START = "surname,forename,middle_names,full_name"
# The file's whole header; every column is read, so every one is required.
_COLUMNS = (
    "surname,forename,middle_names,full_name,title,entity_type,DOB,day_DOB,month_DOB,year_DOB,birth_location,"
    "birth_country,position,nationality,citizenship,date_added,regime,address,address_country,personal_id,"
    "list_internal_id,sanction_list"
).split(",")

# The abbreviation the US lists put in brackets ("Entity List (EL) - Bureau of ..."), and the UK/EU labels.
LIST_CODES = {
    "SDN": "us_ofac_sdn",
    "EU": "eu_fsf",
    "UK Cons": "gb_hmt",
    "UK Inv": "gb_hmt_invest",
    "EL": "us_bis_el",
    "SSI": "us_ofac_ssi",
    "DTC": "us_ddtc_debarred",
    "DPL": "us_bis_dpl",
    "ISN": "us_state_isn",
    "CAP": "us_ofac_capta",
    "CMIC": "us_ofac_cmic",
    "UVL": "us_bis_uvl",
    "PLC": "us_ofac_plc",
    "NS-MBS": "us_ofac_nsmbs",
    "MEU": "us_bis_meu",
    "FSE": "us_ofac_fse",
}
_LIST_ABBREV = re.compile(r"\(([A-Z][A-Za-z-]*)(?: List)?\)")
_EXPORT_CONTROL = {"us_bis_el", "us_bis_dpl", "us_bis_uvl", "us_bis_meu", "us_ddtc_debarred"}
_DEBARMENT = {"us_bis_dpl", "us_ddtc_debarred"}
# Lists whose unlabelled entries are companies or institutions (BIS end-user lists).
_ORG_LISTS = {"us_bis_el", "us_bis_uvl", "us_bis_meu"}
# Debarment lists that mix people and companies without saying which: decided from the name.
_MIXED_LISTS = {"us_bis_dpl", "us_ddtc_debarred"}
# Lists that write ids the OFAC way: "CC, value, Type; value, Type".
_OFAC_ID_LISTS = {
    "us_ofac_sdn",
    "us_ofac_ssi",
    "us_ofac_capta",
    "us_ofac_cmic",
    "us_ofac_plc",
    "us_ofac_nsmbs",
    "us_ofac_fse",
}
_KINDS = {
    "individual": PERSON,
    "person": PERSON,
    "entity": ORGANIZATION,
    "enterprise": ORGANIZATION,
    "vessel": VESSEL,
    "ship": VESSEL,
    "aircraft": AIRCRAFT,
}
# "(1) Russia (2) Israel", "(a) Maulavi, (b) Mullah", "1. Qari, 2. Alhaj", "(1) to (6) Algeria (7) Morocco"
_NUMBERED = re.compile(
    r"\(\s*(?:\d+(?:\s*-\s*\d+)?|[a-h])\s*\)(?:\s*(?:to|-)\s*\(\s*\d+\s*\))?|(?:^|(?<=[\s,]))\d{1,2}\.\s"
)
_NO_VALUE = {"-", "unknown", "n/a"}  # not "na": that is Namibia
# Types in the OFAC id field that are remarks, dates or directives rather than identifiers.
_NOT_AN_ID = re.compile(r"[:-]$|Date|Type|Flag|Model|Information|Directive|Gender", re.IGNORECASE)
_COUNTRY_PREFIX = re.compile(r"^[A-Z]{2}$")
_COUNTRY_NOW = re.compile(r"\b(?:now|currently)\s+([^()]+?)\s*\)?\s*$", re.IGNORECASE)
_COUNTRY_NOTE = re.compile(r"\s*\((?:as at|was|former)[^)]*\)|[.,]?\s*\bformer(?:ly)?\s+USSR\b", re.IGNORECASE)
_COUNTRY_PAREN = re.compile(r"^(.+?)\s*\(([^)]+)\)$")
_PASSPORT_DOTS = re.compile(r"\.\s+")


def list_code(label: str) -> str:
    """Short code for a list label; an unknown label becomes a slug so nothing is dropped."""
    label = clean(label) or ""
    if label in LIST_CODES:
        return LIST_CODES[label]
    for abbrev in _LIST_ABBREV.findall(label):
        if abbrev in LIST_CODES:
            return LIST_CODES[abbrev]
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "unknown"


def list_topics(code: str) -> list[str]:
    if code in _EXPORT_CONTROL:
        return ["export.control", "debarment"] if code in _DEBARMENT else ["export.control"]
    return ["sanction"]


def entity_kind(raw_type: str | None, code: str, name: str) -> str:
    kind = _KINDS.get((clean(raw_type) or "").lower())
    if kind is not None:
        return kind
    if code in _ORG_LISTS:
        return ORGANIZATION
    if code in _MIXED_LISTS:
        return ORGANIZATION if looks_like_organization(name) else PERSON
    return UNKNOWN


@lru_cache(maxsize=65536)
def split_numbered(raw: str | None) -> tuple[str, ...]:
    """'(1) Russia. (2) Israel' -> ('Russia', 'Israel'); text without numbering stays one value."""
    value = clean(raw)
    if value is None:
        return ()
    parts = [clean(p.strip(" .,;")) for p in _NUMBERED.split(value)]
    return tuple(p for p in parts if p and p.lower() not in _NO_VALUE)


@lru_cache(maxsize=65536)
def split_list(raw: str | None, sep: str = ";") -> tuple[str, ...]:
    if not raw:
        return ()
    return tuple(v for v in (clean(p) for p in raw.split(sep)) if v)


@lru_cache(maxsize=4096)
def resolve_country(raw: str) -> str | None:
    """country_code, also reading the UK list's notes: "Former USSR, now Ukraine", "Georgia (former USSR)",
    "Russian Federation (as at November 2010)", "Congo (Democratic Republic)"."""
    value = clean(raw)
    if value is None or value.lower() in _NO_VALUE:
        return None
    code = country_code(value)
    if code != value.lower():
        return code
    candidates = []
    if m := _COUNTRY_NOW.search(value):
        candidates.append(m[1])
    stripped = clean(_COUNTRY_NOTE.sub("", value).strip(" .,"))
    if stripped and stripped != value:
        candidates.append(stripped)
    if m := _COUNTRY_PAREN.match(value):
        candidates.append(f"{m[2]} of {m[1]}")
    for candidate in candidates:
        found = country_code(candidate)
        if found and found != candidate.lower():
            return found
    return code


def parse_ofac_ids(raw: str | None) -> tuple[list[Identifier], str | None]:
    """The OFAC id field: "RU, 7702235133, Tax ID No.; Male, Gender; ..." -> identifiers and gender.

    Remarks that share the field (directives, "Secondary sanctions risk:", dates, target types) are
    not identifiers and are left out.
    """
    ids: list[Identifier] = []
    gender = None
    for part in split_list(raw):
        pieces = [p.strip() for p in part.split(", ")]
        if len(pieces) < 2:
            continue
        scheme = pieces[-1]
        if scheme == "Gender":
            gender = pieces[0].lower()
            continue
        if _NOT_AN_ID.search(scheme):
            continue
        country = None
        if len(pieces) >= 3 and _COUNTRY_PREFIX.match(pieces[0]):
            country = country_code(pieces[0])
            pieces = pieces[1:]
        value = clean(", ".join(pieces[:-1]))
        if value:
            ids.append(Identifier(scheme, value, country))
    return ids, gender


def us_address(raw: str) -> Address:
    """A US-list address "street, city, postal, CC": the trailing two letters are the country."""
    last = raw.rsplit(",", 1)[-1].strip()
    country = country_code(last) if _COUNTRY_PREFIX.match(last) else None
    return Address(full=raw, country=country)


def add_name(names: list[Name], value: str | None, kind: str = NAME_ALIAS) -> None:
    value = clean(value)
    if value is None:
        return
    folded = value.casefold()
    if any(n.value.casefold() == folded for n in names):
        return
    names.append(Name(value, NAME_PRIMARY if not names else kind))


def add_country(entity: Entity, raw: str, role: str) -> None:
    code = resolve_country(raw)
    if code and all(c.code != code or c.role != role for c in entity.countries):
        entity.countries.append(Country(code, role, raw))


def add_unique(items: list[str], values: Iterable[str]) -> None:
    for v in values:
        if v and v not in items:
            items.append(v)


def sniff(path: Path, head: str) -> bool:
    return head.lstrip("\ufeff").startswith(_HEADER_START)


def parse(paths: list[Path], source: str | None = None) -> ParsedSource:
    return _parse(paths, source)


def _parse(paths: list[Path], source: str | None) -> ParsedSource:
    result = ParsedSource(source=source or DEFAULT_SOURCE, format=FORMAT, files=list(paths))
    for path in paths:
        groups: dict[tuple[str, str], list[list[str]]] = {}
        rows = iter_csv(path)
        col, width = _header(path, rows)
        label_i, id_i = col["sanction_list"], col["list_internal_id"]
        name_i, address_i = col["full_name"], col["address"]
        for line, row in rows:
            if len(row) != width:
                raise IngestError(path, f"line {line}", f"expected {width} columns, found {len(row)}")
            label, internal = row[label_i].strip(), row[id_i].strip()
            if not internal:
                # Not seen in the 2022-05-05 file: without an id, name and address are the only stable key.
                internal = "h" + stable_id(label, row[name_i].strip(), row[address_i].strip())
            key = (label, internal)
            group = groups.get(key)
            if group is None:
                groups[key] = group = []
            group.append(row)
        for (label, internal), group in groups.items():
            result.entities.append(_entity(list_code(label), internal, group, col))
    return result


def _header(path: Path, rows: Iterator[tuple[int, list[str]]]) -> tuple[dict[str, int], int]:
    try:
        line, header = next(rows)
    except StopIteration:
        raise IngestError(path, "line 1", "empty file: no header row") from None
    col = {name.strip(): i for i, name in enumerate(header)}
    missing = [c for c in _COLUMNS if c not in col]
    if missing:
        raise IngestError(path, f"line {line}", f"missing columns: {', '.join(missing)}")
    return col, len(header)


def _distinct(columns: list[tuple[str, ...]], *indexes: int) -> list[Any]:
    """Distinct non-blank values (or value tuples) of some columns, in file order: rows repeat them."""
    if len(indexes) == 1:
        return [v for v in dict.fromkeys(columns[indexes[0]]) if v and not v.isspace()]
    return [v for v in dict.fromkeys(zip(*(columns[i] for i in indexes), strict=True)) if any(v)]


def _entity(code: str, internal: str, rows: list[list[str]], col: dict[str, int]) -> Entity:
    columns = list(zip(*rows, strict=True))  # one tuple per column: the group's values side by side
    names: list[Name] = []
    folded: set[str] = set()
    for full, forename, middle, surname in _distinct(
        columns, col["full_name"], col["forename"], col["middle_names"], col["surname"]
    ):
        name = clean(full) or clean(" ".join((forename, middle, surname)))
        if name and name.casefold() not in folded:
            folded.add(name.casefold())
            names.append(Name(name, NAME_ALIAS if names else NAME_PRIMARY))
    if not names:
        names.append(Name(internal))  # the store needs a name; the id is all this group has
    entity = Entity(
        source_id=f"{code}:{internal}",
        kind=entity_kind(rows[0][col["entity_type"]], code, names[0].value),
        names=names,
        topics=list_topics(code),
        lists=[code],
    )
    for dob in _distinct(columns, col["DOB"], col["year_DOB"], col["month_DOB"], col["day_DOB"]):
        birth = _birth_date(*dob)
        if birth and all((b.raw, b.date) != (birth.raw, birth.date) for b in entity.birth_dates):
            entity.birth_dates.append(birth)
    for location, country in _distinct(columns, col["birth_location"], col["birth_country"]):
        _add_birth_place(entity, location, country)
    for raw in _distinct(columns, col["nationality"]):
        for value in _country_values(raw):
            add_country(entity, value, "nationality")
    for raw in _distinct(columns, col["citizenship"]):
        for value in _country_values(raw):
            add_country(entity, value, "citizenship")
    for raw in _distinct(columns, col["regime"]):
        add_unique(entity.programs, split_list(raw))
    for raw in _distinct(columns, col["date_added"]):
        listed = parse_date(raw)  # "2022-03-15" or "10/03/2022"
        if listed and (entity.listing_date is None or listed < entity.listing_date):
            entity.listing_date = listed
    for address, country in _distinct(columns, col["address"], col["address_country"]):
        _add_addresses(entity, code, address, country)
    for raw in _distinct(columns, col["personal_id"]):
        _add_ids(entity, code, raw)
    notes = [v for v in (clean(p) for p in _distinct(columns, col["position"])) if v]
    notes += [f"title: {v}" for v in (clean(t) for t in _distinct(columns, col["title"])) if v]
    entity.notes = "; ".join(notes) or None
    return entity


def _birth_date(raw_dob: str, year: str, month: str, day: str) -> BirthDate | None:
    raw = clean(raw_dob)
    if raw is None:
        return None
    date = None
    if " to " not in raw:
        date = parse_date(raw)
    if date is None and year.strip().isdigit():
        # The FCA spreads a range ("1951 to 1953") or a bare "3/1948" over the day/month/year columns.
        m, d = _number(month), _number(day)
        y = year.strip()
        date = parse_date(f"{y}-{m:02d}-{d:02d}" if m and d else f"{y}-{m:02d}" if m else y)
    return BirthDate(raw, date)


def _number(raw: str) -> int:
    raw = raw.strip()
    return int(raw) if raw.isdigit() else 0


def _add_birth_place(entity: Entity, location: str, country: str) -> None:
    places = list(split_numbered(location))
    countries = split_numbered(country)
    if places and len(places) == len(countries):
        # "Saratov" + "RUSSIAN FEDERATION": the place alone would lose the country
        places = [p if c.lower() in p.lower() else f"{p}, {c}" for p, c in zip(places, countries, strict=True)]
    add_unique(entity.birth_places, places or countries)
    for raw in countries:
        add_country(entity, raw, "birth")


def _country_values(raw: str | None) -> list[str]:
    out: list[str] = []
    for part in split_numbered(raw):
        out.extend(split_list(part))  # the US lists write "RU; CY"
    return out


def _add_addresses(entity: Entity, code: str, raw_address: str, raw_country: str) -> None:
    raw, country_raw = clean(raw_address), clean(raw_country)
    if code.startswith("us_"):
        new = [us_address(a) for a in split_list(raw)]
    elif raw or country_raw:
        country = resolve_country(country_raw) if country_raw else None
        full = raw if not country_raw or (raw and country_raw.lower() in raw.lower()) else f"{raw}, {country_raw}"
        new = [Address(full=(full or country_raw or "").removeprefix("None, "), country=country)]
    else:
        new = []
    for address in new:
        if all(a.full != address.full for a in entity.addresses):
            entity.addresses.append(address)
            if address.country and not country_raw:
                add_country(entity, address.full.rsplit(",", 1)[-1].strip(), "address")
    if country_raw:
        add_country(entity, country_raw, "address")


def _add_ids(entity: Entity, code: str, raw: str) -> None:
    text = clean(raw)
    if text is None:
        return
    if code in _OFAC_ID_LISTS:
        ids, gender = parse_ofac_ids(text)
        if gender and entity.gender is None:
            entity.gender = gender
    elif code == "eu_fsf":
        label, sep, value = text.partition(": ")  # "National passport: 011090258"
        ids = [Identifier(label, value)] if sep and value else [Identifier("personal_id", text)]
    else:
        ids = [Identifier("personal_id", v) for v in _uk_ids(text)]
    for ident in ids:
        if all((i.scheme, i.value) != (ident.scheme, ident.value) for i in entity.identifiers):
            entity.identifiers.append(ident)


def _uk_ids(raw: str) -> list[str]:
    """'(1) CB982788 (2) 24132276'; '730338534. 604751385' is two numbers, '8208 No. 555627' one."""
    out: list[str] = []
    for part in split_numbered(raw):
        pieces = [p.strip(" .") for p in _PASSPORT_DOTS.split(part)]
        if len(pieces) > 1 and all(p and " " not in p for p in pieces):
            out.extend(pieces)
        else:
            out.append(part.strip(" ."))
    return [v for v in out if v]
