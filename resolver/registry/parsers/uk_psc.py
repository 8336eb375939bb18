"""UK Companies House "persons with significant control" (PSC) data, with the company records it refers to.

Files (one source, "gb_psc", holds them all, as the OFAC trio does):

- ``psc-data-*.json``: PSC snapshot records ``{"company_number", "data": {"kind", "name", "natures_of_control",
  "notified_on", "ceased_on", ...}, "ContentDate"}`` as a JSON array or as JSON lines (the bulk snapshot);
- ``company-data-*.json`` / ``basic-company-data-*.csv``: the "Free Company Data Product" (CompanyName,
  CompanyNumber, RegAddress.*, IncorporationDate ...), as JSON records or the CSV. A CSV that was hard-wrapped
  at a fixed width (the openownership fixture is cut every 118 characters) is re-joined first.

Companies become organizations (id = company number). Each individual / corporate-entity / legal-person PSC
becomes an entity (id ``psc:<Companies House PSC id>``, or the company number when a corporate PSC is itself
registered at Companies House, so that chains join up) and each nature of control one relation PSC -> company:
``ownership-of-shares-*`` and surplus-asset rights are ownership with the band as percentage_min/max, voting
rights, the right to appoint directors and significant influence are control. The store has no flag for an
open or closed end of a range, so the band keeps its nominal ends (25-50, 50-75, 75-100) and the statutory
meaning ("more than 25% and up to 50%") is written into ``role`` with the nature code. PSC statements
("no individual or entity with significant control") and super-secure PSCs become notes on the company.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resolver.registry.errors import IngestError
from resolver.registry.parsers._common import clean, country_code, parse_date, read_text
from resolver.registry.records import (
    NAME_ALIAS,
    NAME_FORMER,
    NAME_PRIMARY,
    ORGANIZATION,
    PERSON,
    REL_CONTROL,
    REL_OWNERSHIP,
    Address,
    BirthDate,
    Country,
    Entity,
    Identifier,
    Name,
    ParsedSource,
    Relation,
)

FORMAT = "uk_psc"
DESCRIPTION = "UK Companies House PSC statements (psc-data JSON) with company data (JSON or basic-company-data CSV)"
DEFAULT_SOURCE = "gb_psc"

_COMPANY_NUMBER = re.compile(r"^(?:[A-Z]{2}\d{6}|\d{1,8})$")
_BAND = re.compile(r"(\d+)-to-(\d+)-percent")
_MORE_THAN = re.compile(r"more-than-(\d+)-percent")
# The statutory bands (Companies Act 2006 Sch. 1A): which end is open differs per band.
_BAND_TEXT = {
    (25, 50): "more than 25% and up to 50%",
    (50, 75): "more than 50% and less than 75%",
    (75, 100): "75% or more",
}
_OWNERSHIP_NATURES = ("ownership-of-shares", "right-to-share-surplus-assets", "part-right-to-share-surplus-assets")
_UK_REGISTERS = ("england", "wales", "scotland", "northern ireland", "united kingdom", "companies house", "uk")
_SEP = "; "


def sniff(path: Path, head: str) -> bool:
    start = head.lstrip()
    if start.startswith(("[", "{")):
        if '"company_number"' in head and "significant-control" in head:
            return True
        return '"CompanyNumber"' in head and '"CompanyName"' in head
    first = start.split("\n", 1)[0]
    return first.startswith("CompanyName,") and "CompanyNumber" in first


def group(paths: list[Path]) -> list[list[Path]]:
    """All PSC and company files are one source: statements refer to the companies by number."""
    return [list(paths)] if paths else []


@dataclass
class _State:
    result: ParsedSource
    companies: dict[str, Entity] = field(default_factory=dict)
    placeholders: set[str] = field(default_factory=set)  # companies known only by number so far
    pscs: dict[str, Entity] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    relation_ids: set[str] = field(default_factory=set)
    content_dates: set[str] = field(default_factory=set)


def parse(paths: list[Path], source: str | None = None) -> ParsedSource:
    state = _State(ParsedSource(source=source or DEFAULT_SOURCE, format=FORMAT, files=list(paths)))
    # Company records first, so that statements find their company's name whatever the file order.
    psc_files = []
    for path in paths:
        text = read_text(path)
        if text.lstrip().startswith(("[", "{")):
            records = list(_json_records(path, text))
            if records and all("CompanyNumber" in r for _, r in records):
                for where, record in records:
                    _company(state, path, where, record)
            else:
                psc_files.append((path, records))
        else:
            for where, record in _csv_records(path, text):
                _company(state, path, where, record)
    for path, records in psc_files:
        for where, record in records:
            _statement(state, path, where, record)
    for number, entity in state.companies.items():
        notes = ([entity.notes] if entity.notes else []) + state.notes.get(number, [])
        entity.notes = _SEP.join(dict.fromkeys(notes)) or None
    state.result.entities = [*state.companies.values(), *state.pscs.values()]
    state.result.publisher_date = max(state.content_dates) if state.content_dates else None
    return state.result


# --- reading ------------------------------------------------------------------------------------


def _json_records(path: Path, text: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(location, record) from a JSON array / object, or from JSON lines (the bulk snapshot's layout)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise IngestError(path, f"line {exc.lineno}", f"malformed JSON: {exc.msg}") from None
        yield from _json_lines(path, text)
        return
    items = data if isinstance(data, list) else [data]
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise IngestError(path, f"element {i}", f"expected a JSON object, found {type(item).__name__}")
        yield f"element {i}", item


def _json_lines(path: Path, text: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for line, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except json.JSONDecodeError as err:
            raise IngestError(path, f"line {line}", f"malformed JSON line: {err.msg}") from None
        if not isinstance(item, dict):
            raise IngestError(path, f"line {line}", "expected a JSON object")
        yield f"line {line}", item


def _csv_records(path: Path, text: str) -> Iterator[tuple[str, dict[str, Any]]]:
    lines, starts = _unwrap(text)
    reader = csv.reader(io.StringIO("\n".join(lines)), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error):
        raise IngestError(path, "line 1", "no header row") from None
    missing = [c for c in ("CompanyName", "CompanyNumber") if c not in header]
    if missing:
        raise IngestError(path, "line 1", f"missing columns: {', '.join(missing)}")
    try:
        for row in reader:
            where = f"line {starts[min(reader.line_num, len(starts)) - 1]}"
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                raise IngestError(path, where, f"expected {len(header)} columns, found {len(row)}")
            yield where, dict(zip(header, row, strict=True))
    except csv.Error as exc:
        raise IngestError(
            path, f"line {starts[min(reader.line_num, len(starts)) - 1]}", f"malformed CSV: {exc}"
        ) from None


def _unwrap(text: str) -> tuple[list[str], list[int]]:
    """Logical lines and the physical line each starts on. A header without IncorporationDate whose first line is
    long means a copy hard-wrapped at that width: a line of exactly that width continues on the next one."""
    physical = text.splitlines()
    if not physical or "IncorporationDate" in physical[0] or len(physical[0]) < 80:
        return physical, list(range(1, len(physical) + 1))
    width = len(physical[0])
    lines: list[str] = []
    starts: list[int] = []
    joining = False
    for number, line in enumerate(physical, 1):
        if joining:
            lines[-1] += line
        else:
            lines.append(line)
            starts.append(number)
        joining = len(line) == width
    return lines, starts


# --- companies ----------------------------------------------------------------------------------


def _company_number(raw: object) -> str | None:
    value = clean(str(raw)) if raw is not None else None
    if value is None:
        return None
    value = value.upper().replace(" ", "")
    if value.isdigit() and len(value) < 8:
        value = value.zfill(8)  # Companies House numbers are eight characters; registers drop leading zeros
    return value


def _company(state: _State, path: Path, where: str, record: dict[str, Any]) -> None:
    number = _company_number(record.get("CompanyNumber"))
    name = clean(_str(record.get("CompanyName")))
    if number is None:
        raise IngestError(path, f"{where}, CompanyNumber", "required value is blank")
    if name is None:
        raise IngestError(path, f"{where}, CompanyName", "required value is blank")
    if number in state.companies and number not in state.placeholders:
        return  # the same company in the JSON and the CSV product: the first record stands
    entity = _placeholder(number)
    entity.names = [Name(name, NAME_PRIMARY)]
    for i in range(1, 11):
        former = clean(_str(record.get(f"PreviousName_{i}.CompanyName")))
        if former and all(n.value != former for n in entity.names):
            entity.names.append(Name(former, NAME_FORMER))
    origin = clean(_str(record.get("CountryOfOrigin")))
    if origin is not None:
        entity.countries = [Country(country_code(origin) or origin.lower(), "jurisdiction", origin)]
    address = _address(
        {
            "care_of": record.get("RegAddress.CareOf"),
            "po_box": record.get("RegAddress.POBox"),
            "address_line_1": record.get("RegAddress.AddressLine1"),
            "address_line_2": record.get("RegAddress.AddressLine2"),
            "locality": record.get("RegAddress.PostTown"),
            "region": record.get("RegAddress.County"),
            "postal_code": record.get("RegAddress.PostCode"),
            "country": record.get("RegAddress.Country"),
        }
    )
    entity.addresses = [address] if address else []
    notes = [
        f"incorporated {d}" if (d := parse_date(_str(record.get("IncorporationDate")))) else None,
        f"dissolved {d}" if (d := parse_date(_str(record.get("DissolutionDate")))) else None,
        clean(_str(record.get("CompanyCategory"))),
        f"status: {s}" if (s := clean(_str(record.get("CompanyStatus")))) else None,
    ]
    entity.notes = _SEP.join(n for n in notes if n) or None
    state.companies[number] = entity
    state.placeholders.discard(number)


def _placeholder(number: str) -> Entity:
    """A company known only by its number (no company record in the files): named by its number."""
    entity = Entity(
        source_id=number,
        kind=ORGANIZATION,
        names=[Name(number, NAME_PRIMARY)],
        identifiers=[Identifier("registrationNumber", number, "gb", "Companies House")],
    )
    # OE numbers are overseas entities on the UK register: their jurisdiction is not the UK.
    if not number.startswith("OE"):
        entity.countries = [Country("gb", "jurisdiction")]
    return entity


def _ensure_company(state: _State, number: str) -> Entity:
    entity = state.companies.get(number)
    if entity is None:
        entity = state.companies[number] = _placeholder(number)
        state.placeholders.add(number)
    return entity


# --- statements ---------------------------------------------------------------------------------


def _statement(state: _State, path: Path, where: str, record: dict[str, Any]) -> None:
    data = record.get("data")
    if not isinstance(data, dict):
        raise IngestError(path, where, "no 'data' object")
    kind = clean(_str(data.get("kind"))) or ""
    if content := parse_date(_str(record.get("ContentDate"))):
        state.content_dates.add(content)
    if kind.startswith("totals#"):
        return  # the snapshot's summary line
    number = _company_number(record.get("company_number"))
    if number is None:
        raise IngestError(path, where, f"a {kind or 'PSC'} record without company_number")
    company = _ensure_company(state, number)
    notified, ceased = parse_date(_str(data.get("notified_on"))), parse_date(_str(data.get("ceased_on")))
    period = f"notified {notified or '?'}" + (f", ceased {ceased}" if ceased else "")
    if kind == "persons-with-significant-control-statement":
        statement = clean(_str(data.get("statement"))) or "unspecified"
        state.notes.setdefault(company.source_id, []).append(f"PSC statement: {statement} ({period})")
        return
    if kind.startswith("super-secure"):
        state.notes.setdefault(company.source_id, []).append(
            "a super-secure PSC (identity withheld by Companies House)" + (" (ceased)" if data.get("ceased") else "")
        )
        return
    if "exemption" in kind:
        state.notes.setdefault(company.source_id, []).append(f"PSC exemption: {kind}")
        return
    if kind.startswith("individual"):
        psc = _person(path, where, data)
    elif kind.startswith(("corporate-entity", "legal-person")):
        psc = _organisation(state, path, where, data)
    else:
        raise IngestError(path, where, f"unknown PSC kind {kind!r}")
    if psc.source_id == number:
        raise IngestError(path, where, f"company {number} is named as its own PSC")
    if psc.source_id not in state.companies:
        state.pscs.setdefault(psc.source_id, psc)
    natures = [n for n in (clean(_str(v)) for v in data.get("natures_of_control") or []) if n]
    # A PSC is by definition a person with significant control: one without a stated nature still controls.
    for nature in natures or ["(no nature of control stated)"]:
        rel_kind, low, high, text = _nature(nature)
        relation_id = f"{psc.source_id}>{number}/{nature}"
        if relation_id in state.relation_ids:
            continue
        state.relation_ids.add(relation_id)
        state.result.relations.append(
            Relation(
                subject_id=psc.source_id,
                kind=rel_kind,
                object_id=number,
                percentage_min=low,
                percentage_max=high,
                start_date=notified,
                end_date=ceased,
                role=f"{nature}: {text}" if text else nature,
                relation_id=relation_id,
            )
        )


def _nature(nature: str) -> tuple[str, float | None, float | None, str | None]:
    """Relation kind, share band and its statutory meaning for a Companies House nature-of-control code."""
    kind = REL_OWNERSHIP if nature.startswith(_OWNERSHIP_NATURES) else REL_CONTROL
    if m := _BAND.search(nature):
        low, high = int(m[1]), int(m[2])
        return kind, float(low), float(high), _BAND_TEXT.get((low, high), f"between {low}% and {high}%")
    if m := _MORE_THAN.search(nature):
        return kind, float(m[1]), 100.0, f"more than {m[1]}%"
    return REL_CONTROL, None, None, None


def _psc_id(path: Path, where: str, data: dict[str, Any]) -> str:
    links = data.get("links")
    link = clean(_str(links.get("self"))) if isinstance(links, dict) else None
    if link:
        return "psc:" + link.rstrip("/").rsplit("/", 1)[-1]
    if etag := clean(_str(data.get("etag"))):
        return "psc:" + etag
    raise IngestError(path, where, "a PSC without links.self or etag: no id to give it")


def _name(path: Path, where: str, data: dict[str, Any]) -> str:
    name = clean(_str(data.get("name")))
    if name is None:
        raise IngestError(path, where, "a PSC without a name")
    return name


def _person(path: Path, where: str, data: dict[str, Any]) -> Entity:
    name = _name(path, where, data)
    entity = Entity(source_id=_psc_id(path, where, data), kind=PERSON, names=[Name(name, NAME_PRIMARY)])
    elements = data.get("name_elements")
    if isinstance(elements, dict):
        # without the title ("Mr", "Dr"), which screening names never carry
        parts = [clean(_str(elements.get(k))) for k in ("forename", "other_forenames", "middle_name", "surname")]
        plain = " ".join(p for p in parts if p)
        if plain and plain != name:
            entity.names.append(Name(plain, NAME_ALIAS))
    dob = data.get("date_of_birth")
    if isinstance(dob, dict) and isinstance(dob.get("year"), int):
        raw = "-".join(f"{dob[k]:02d}" for k in ("year", "month", "day") if isinstance(dob.get(k), int))
        entity.birth_dates.append(BirthDate(raw, parse_date(raw)))
    for part in (_str(data.get("nationality")) or "").split(","):
        if nationality := clean(part):
            entity.countries.append(
                Country(country_code(nationality) or nationality.lower(), "nationality", nationality)
            )
    if residence := clean(_str(data.get("country_of_residence"))):
        entity.countries.append(Country(country_code(residence) or residence.lower(), "residence", residence))
    if address := _address(data.get("address")):
        entity.addresses.append(address)
    return entity


def _organisation(state: _State, path: Path, where: str, data: dict[str, Any]) -> Entity:
    name = _name(path, where, data)
    ident = data.get("identification") if isinstance(data.get("identification"), dict) else {}
    assert isinstance(ident, dict)
    registered = " ".join(filter(None, (clean(_str(ident.get(k))) for k in ("country_registered", "place_registered"))))
    number = _company_number(ident.get("registration_number"))
    uk = any(re.search(rf"\b{u}\b", registered.lower()) for u in _UK_REGISTERS)
    if number is not None and uk and _COMPANY_NUMBER.match(number):
        # registered at Companies House: the PSC is the company node itself, so ownership chains join up
        company = _ensure_company(state, number)
        if number in state.placeholders:
            company.names = [Name(name, NAME_PRIMARY)]
            state.placeholders.discard(number)
        elif all(n.value != name for n in company.names):
            company.names.append(Name(name, NAME_ALIAS))
        return company
    entity = Entity(source_id=_psc_id(path, where, data), kind=ORGANIZATION, names=[Name(name, NAME_PRIMARY)])
    country_raw = clean(_str(ident.get("country_registered")))
    if country_raw:
        entity.countries.append(Country(country_code(country_raw) or country_raw.lower(), "jurisdiction", country_raw))
    if number is not None:
        code = country_code(country_raw) if country_raw else None
        entity.identifiers.append(
            Identifier("registrationNumber", number, code, clean(_str(ident.get("place_registered"))))
        )
    for address in (_address(data.get("address")), _address(data.get("principal_office_address"))):
        if address and all(a.full != address.full for a in entity.addresses):
            entity.addresses.append(address)
    notes = [clean(_str(ident.get("legal_form"))), clean(_str(ident.get("legal_authority")))]
    entity.notes = _SEP.join(n for n in notes if n) or None
    return entity


def _address(raw: object) -> Address | None:
    if not isinstance(raw, dict):
        return None
    get = {k: clean(_str(v)) for k, v in raw.items()}
    street = ", ".join(p for p in (get.get("address_line_1"), get.get("address_line_2")) if p) or None
    parts = [get.get("care_of"), get.get("premises"), get.get("po_box"), street, get.get("locality")]
    parts += [get.get("region"), get.get("postal_code"), get.get("country")]
    full = ", ".join(p for p in parts if p)
    if not full:
        return None
    country = get.get("country")
    return Address(
        full=full,
        street=street,
        city=get.get("locality"),
        postal_code=get.get("postal_code"),
        region=get.get("region"),
        country=country_code(country) if country else None,
    )


def _str(value: object) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)
