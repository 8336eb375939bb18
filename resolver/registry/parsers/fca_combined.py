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
from collections.abc import Iterable
from pathlib import Path

from resolver.registry.parsers._common import clean, country_code, parse_date, read_csv_header
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
_REQUIRED = ["full_name", "entity_type", "list_internal_id", "sanction_list"]

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
_NUMBERED = re.compile(r"\(\s*(?:\d+|[a-h])\s*\)(?:\s*(?:to|-)\s*\(\s*\d+\s*\))?|(?:^|(?<=[\s,]))\d{1,2}\.\s")
_NO_VALUE = {"-", "unknown", "n/a", "na", "none"}
# Types in the OFAC id field that are remarks, dates or directives rather than identifiers.
_NOT_AN_ID = re.compile(r"[:-]$|Date|Type|Flag|Model|Information|Directive|Gender", re.IGNORECASE)
_COUNTRY_PREFIX = re.compile(r"^[A-Z]{2}$")
_COUNTRY_NOTE = re.compile(r"\s*\((?:as at|was|formerly)[^)]*\)\s*$", re.IGNORECASE)
_COUNTRY_NOW = re.compile(r"\(now ([^)]+)\)", re.IGNORECASE)
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


def split_numbered(raw: str | None) -> list[str]:
    """'(1) Russia. (2) Israel' -> ['Russia', 'Israel']; text without numbering stays one value."""
    value = clean(raw)
    if value is None:
        return []
    parts = [clean(p.strip(" .,;")) for p in _NUMBERED.split(value)]
    return [p for p in parts if p and p.lower() not in _NO_VALUE]


def split_list(raw: str | None, sep: str = ";") -> list[str]:
    if not raw:
        return []
    return [v for v in (clean(p) for p in raw.split(sep)) if v]


def resolve_country(raw: str) -> str | None:
    """country_code, also reading "USSR (now Russian Federation)" and "Russia (as at November 2010)"."""
    value = clean(raw)
    if value is None or value.lower() in _NO_VALUE:
        return None
    code = country_code(value)
    if code is None or code != value.lower():
        return code
    if m := _COUNTRY_NOW.search(value):
        return country_code(m[1])
    stripped = _COUNTRY_NOTE.sub("", value)
    return country_code(stripped) if stripped != value else code


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
    result = ParsedSource(source=source or DEFAULT_SOURCE, format=FORMAT, files=list(paths))
    groups: dict[tuple[str, str], list[dict[str, str]]] = {}
    for path in paths:
        for _line, row in read_csv_header(path, _REQUIRED):
            label = row["sanction_list"]
            internal = clean(row["list_internal_id"])
            if internal is None:
                internal = "h" + stable_id(label, row["full_name"].strip(), row.get("address", "").strip())
            rows = groups.get((label, internal))
            if rows is None:
                groups[(label, internal)] = rows = []
            rows.append(row)
    for (label, internal), rows in groups.items():
        result.entities.append(_entity(list_code(label), internal, rows))
    return result


def _full_name(row: dict[str, str]) -> str | None:
    name = clean(row["full_name"])
    if name:
        return name
    parts = (row.get("forename"), row.get("middle_names"), row.get("surname"))
    return clean(" ".join(p for p in parts if p))


def _entity(code: str, internal: str, rows: list[dict[str, str]]) -> Entity:
    first = rows[0]
    names: list[Name] = []
    for row in rows:
        add_name(names, _full_name(row))
    if not names:
        add_name(names, internal)  # the store needs a name; the id is all this group has
    entity = Entity(
        source_id=f"{code}:{internal}",
        kind=entity_kind(first.get("entity_type"), code, names[0].value),
        names=names,
        topics=list_topics(code),
        lists=[code],
    )
    positions: list[str] = []
    titles: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for row in rows:
        # Rows repeat the same values many times over; each distinct combination is read once.
        sig = tuple(row.get(c, "") for c in _VALUE_COLUMNS)
        if sig in seen:
            continue
        seen.add(sig)
        _add_row(entity, code, row)
        add_unique(positions, [clean(row.get("position")) or ""])
        add_unique(titles, [clean(row.get("title")) or ""])
    notes = positions + [f"title: {t}" for t in titles]
    entity.notes = "; ".join(notes) or None
    return entity


_VALUE_COLUMNS = (
    "DOB",
    "day_DOB",
    "month_DOB",
    "year_DOB",
    "birth_location",
    "birth_country",
    "position",
    "nationality",
    "citizenship",
    "date_added",
    "regime",
    "address",
    "address_country",
    "personal_id",
    "title",
)


def _birth_date(row: dict[str, str]) -> BirthDate | None:
    raw = clean(row.get("DOB"))
    if raw is None:
        return None
    # The FCA spreads a range ("1951 to 1953") or a bare "3/1948" over the day/month/year columns.
    year, month, day = (clean(row.get(c)) for c in ("year_DOB", "month_DOB", "day_DOB"))
    date = None
    if " to " not in raw:
        date = parse_date(raw)
    if date is None and year and year.isdigit():
        m, d = _number(month), _number(day)
        date = parse_date(f"{year}-{m:02d}-{d:02d}" if m and d else f"{year}-{m:02d}" if m else year)
    return BirthDate(raw, date)


def _number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() else 0


def _add_row(entity: Entity, code: str, row: dict[str, str]) -> None:
    birth = _birth_date(row)
    if birth and all((b.raw, b.date) != (birth.raw, birth.date) for b in entity.birth_dates):
        entity.birth_dates.append(birth)

    places = split_numbered(row.get("birth_location"))
    birth_countries = split_numbered(row.get("birth_country"))
    if places and len(places) == len(birth_countries):
        places = [p if c.lower() in p.lower() else f"{p}, {c}" for p, c in zip(places, birth_countries, strict=True)]
    add_unique(entity.birth_places, places or birth_countries)
    for raw in birth_countries:
        add_country(entity, raw, "birth")

    for raw in _country_values(row.get("nationality")):
        add_country(entity, raw, "nationality")
    for raw in _country_values(row.get("citizenship")):
        add_country(entity, raw, "citizenship")

    add_unique(entity.programs, split_list(row.get("regime")))
    listed = parse_date(row.get("date_added"))
    if listed and (entity.listing_date is None or listed < entity.listing_date):
        entity.listing_date = listed

    _add_addresses(entity, code, row)
    _add_ids(entity, code, row.get("personal_id"))


def _country_values(raw: str | None) -> list[str]:
    out: list[str] = []
    for part in split_numbered(raw):
        out.extend(split_list(part))  # the US lists write "RU; CY"
    return out


def _add_addresses(entity: Entity, code: str, row: dict[str, str]) -> None:
    raw = clean(row.get("address"))
    country_raw = clean(row.get("address_country"))
    if code.startswith("us_"):
        new = [us_address(a) for a in split_list(raw)]
    elif raw or country_raw:
        country = resolve_country(country_raw) if country_raw else None
        full = raw if not country_raw or (raw and country_raw.lower() in raw.lower()) else f"{raw}, {country_raw}"
        new = [Address(full=full or country_raw or "", country=country)]
    else:
        new = []
    for address in new:
        if all(a.full != address.full for a in entity.addresses):
            entity.addresses.append(address)
    if country_raw:
        add_country(entity, country_raw, "address")


def _add_ids(entity: Entity, code: str, raw: str | None) -> None:
    if not clean(raw):
        return
    if code in _OFAC_ID_LISTS:
        ids, gender = parse_ofac_ids(raw)
        if gender and entity.gender is None:
            entity.gender = gender
    elif code == "eu_fsf":
        # "National passport: 011090258"
        text = clean(raw) or ""
        label, sep, value = text.partition(": ")
        ids = [Identifier(label, value)] if sep and value else [Identifier("personal_id", text)]
    else:
        ids = [Identifier("personal_id", v) for v in _uk_ids(raw)]
    for ident in ids:
        if all((i.scheme, i.value) != (ident.scheme, ident.value) for i in entity.identifiers):
            entity.identifiers.append(ident)


def _uk_ids(raw: str | None) -> list[str]:
    """'(1) CB982788 (2) 24132276'; '730338534. 604751385' is two numbers, '8208 No. 555627' one."""
    out: list[str] = []
    for part in split_numbered(raw):
        pieces = [p.strip(" .") for p in _PASSPORT_DOTS.split(part)]
        if len(pieces) > 1 and all(p and " " not in p for p in pieces):
            out.extend(pieces)
        else:
            out.append(part.strip(" ."))
    return [v for v in out if v]
