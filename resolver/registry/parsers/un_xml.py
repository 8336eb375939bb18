"""UN Security Council consolidated list (XML: CONSOLIDATED_LIST with INDIVIDUALS and ENTITIES).

source_id is the permanent REFERENCE_NUMBER ("QDi.369"), falling back to DATAID. Both are unique
in the 2020-11-24 and 2026-02-27 files, but REFERENCE_NUMBER is the steadier key: every DATAID
present in both files keeps its reference number, while KPe.068 (Myohyang Shipping Co, listed
2018-03-30) was re-issued under a new DATAID when its record was amended. The reference number is
also what the EU and UK lists cite. DATAID is kept as an identifier.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from resolver.registry.errors import IngestError
from resolver.registry.parsers._common import (
    child_text,
    children,
    clean,
    country_code,
    element_location,
    local,
    parse_date,
    parse_xml,
)
from resolver.registry.records import (
    NAME_ALIAS,
    NAME_FORMER,
    NAME_PRIMARY,
    NAME_WEAK,
    ORGANIZATION,
    PERSON,
    Address,
    BirthDate,
    Country,
    Entity,
    Identifier,
    Name,
    ParsedSource,
)

FORMAT = "un_xml"
DESCRIPTION = "UN Security Council consolidated sanctions list (XML, CONSOLIDATED_LIST)"
DEFAULT_SOURCE = "un_sc"

_KINDS = {"INDIVIDUAL": PERSON, "ENTITY": ORGANIZATION}
# The UN's alias QUALITY labels; anything else is treated as a plain alias.
_QUALITY_KINDS = {"good": NAME_ALIAS, "a.k.a.": NAME_ALIAS, "low": NAME_WEAK, "f.k.a.": NAME_FORMER}
_RANK = {NAME_PRIMARY: 0, NAME_ALIAS: 1, NAME_FORMER: 2, NAME_WEAK: 3}
_FORMER_NOTE = re.compile(r"\bf\.?k\.?a\b|formerly known as", re.IGNORECASE)
# Placeholders the UN writes where a nationality is not known.
_NO_COUNTRY = {"na", "n/a", "unknown"}
_COMMENTS = re.compile(r"<!--.*?-->", re.DOTALL)
_FIRST_TAG = re.compile(r"<(?![?!])([\w.:-]+)")


def sniff(path: Path, head: str) -> bool:
    # Only the root element counts: other formats may quote UN tags in their text.
    match = _FIRST_TAG.search(_COMMENTS.sub("", head))
    return match is not None and match.group(1) == "CONSOLIDATED_LIST"


def parse(paths: list[Path], source: str | None = None) -> ParsedSource:
    result = ParsedSource(source=source or DEFAULT_SOURCE, format=FORMAT, files=list(paths))
    seen: dict[str, str] = {}
    for path in paths:
        root = parse_xml(path)
        if local(root.tag) != "CONSOLIDATED_LIST":
            raise IngestError(path, element_location(root), "root element is not CONSOLIDATED_LIST")
        generated = parse_date(root.get("dateGenerated"))
        if generated and (result.publisher_date is None or generated > result.publisher_date):
            result.publisher_date = generated
        for group in root:
            for el in group:
                tag = local(el.tag)
                if tag not in _KINDS:
                    continue
                entity = _entity(path, el, _KINDS[tag])
                where = f"{path}:{element_location(el)}"
                if entity.source_id in seen:
                    # A repeated id would silently overwrite a listing in the store.
                    raise IngestError(
                        path,
                        element_location(el),
                        f"duplicate id {entity.source_id} (first at {seen[entity.source_id]})",
                    )
                seen[entity.source_id] = where
                result.entities.append(entity)
    return result


def _entity(path: Path, el: etree._Element, kind: str) -> Entity:
    dataid = child_text(el, "DATAID")
    reference = child_text(el, "REFERENCE_NUMBER")
    source_id = reference or dataid
    if source_id is None:
        raise IngestError(path, element_location(el), "no REFERENCE_NUMBER or DATAID")

    parts = ["FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"] if kind == PERSON else ["FIRST_NAME"]
    primary = clean(" ".join(filter(None, (child_text(el, p) for p in parts))))
    names: list[Name] = []
    if primary:
        names.append(Name(primary, NAME_PRIMARY))
    original = child_text(el, "NAME_ORIGINAL_SCRIPT")
    if original:
        names.append(Name(original, NAME_ALIAS, lang="original script"))

    entity = Entity(source_id=source_id, kind=kind, names=names, topics=["sanction"])
    entity.programs = [p for p in [child_text(el, "UN_LIST_TYPE")] if p]
    entity.listing_date = parse_date(child_text(el, "LISTED_ON"))
    if reference:
        entity.identifiers.append(Identifier("UN reference", reference))
    if dataid:
        entity.identifiers.append(Identifier("UN DATAID", dataid))
    gender = (child_text(el, "GENDER") or "").lower()
    entity.gender = gender if gender in ("male", "female") else None

    notes: list[str] = []
    for alias in children(el, f"{local(el.tag)}_ALIAS"):
        _alias(entity, alias)
    for value in _values(el, "NATIONALITY"):
        if value.lower() not in _NO_COUNTRY:
            _add_country(entity, value, "nationality")
    for addr in children(el, f"{local(el.tag)}_ADDRESS"):
        _address(entity, addr)
    for dob in children(el, "INDIVIDUAL_DATE_OF_BIRTH"):
        _birth_date(entity, dob)
    for pob in children(el, "INDIVIDUAL_PLACE_OF_BIRTH"):
        _birth_place(entity, pob, "CITY", "STATE_PROVINCE", "STREET", "COUNTRY", "NOTE")
    for doc in children(el, "INDIVIDUAL_DOCUMENT"):
        _document(entity, doc, notes)

    if not entity.names:
        raise IngestError(path, element_location(el), f"{source_id} has no name")
    entity.names[0].kind = NAME_PRIMARY  # without FIRST_NAME the first other name stands in
    titles = _values(el, "TITLE")
    designations = _values(el, "DESIGNATION")
    head = [f"Title: {'; '.join(titles)}"] if titles else []
    head += [f"Designation: {'; '.join(designations)}"] if designations else []
    comments = child_text(el, "COMMENTS1")
    entity.notes = "\n".join(head + ([comments] if comments else []) + notes) or None
    return entity


def _values(el: etree._Element, name: str) -> list[str]:
    """The VALUE children of a list element such as NATIONALITY or DESIGNATION."""
    out: list[str] = []
    for holder in children(el, name):
        for value in (clean(c.text) for c in children(holder, "VALUE")):
            if value and value not in out:
                out.append(value)
    return out


def _alias(entity: Entity, alias: etree._Element) -> None:
    value = child_text(alias, "ALIAS_NAME")
    if value is None:  # the UN writes <ALIAS_NAME/> for "no alias"
        return
    quality = child_text(alias, "QUALITY")
    note = child_text(alias, "NOTE")
    kind = _QUALITY_KINDS.get((quality or "").lower(), NAME_ALIAS)
    if note and _FORMER_NOTE.search(note):
        kind = NAME_FORMER
    _add_name(entity, Name(value, kind, quality=quality.lower() if quality else None))
    # Older entries give a DOB / POB per alias (the one on that alias's passport).
    dob = child_text(alias, "DATE_OF_BIRTH")
    if dob:
        _add_birth_date(entity, BirthDate(dob, parse_date(dob)))
    _birth_place(entity, alias, "CITY_OF_BIRTH", "COUNTRY_OF_BIRTH")


def _add_name(entity: Entity, name: Name) -> None:
    key = (name.value.casefold(), name.lang)
    known = next((n for n in entity.names if (n.value.casefold(), n.lang) == key), None)
    if known is None:
        entity.names.append(name)
    elif _RANK[name.kind] < _RANK[known.kind]:
        # the same spelling listed as "Low" and as "Good": the stronger label wins
        known.kind, known.quality = name.kind, name.quality


def _country_code(raw: str) -> str | None:
    code = country_code(raw)
    if code is not None and code == raw.lower():
        # "Indonesia (as at Dec. 2003)": retry without the qualifier before giving up.
        code = country_code(re.sub(r"\(.*?\)", "", raw)) or code
    return code


def _add_country(entity: Entity, raw: str, role: str) -> str | None:
    code = _country_code(raw)
    if code is not None and all((c.code, c.role) != (code, role) for c in entity.countries):
        entity.countries.append(Country(code, role, raw))
    return code


def _address(entity: Entity, el: etree._Element) -> None:
    street, city = child_text(el, "STREET"), child_text(el, "CITY")
    region, postal = child_text(el, "STATE_PROVINCE"), child_text(el, "ZIP_CODE")
    country, note = child_text(el, "COUNTRY"), child_text(el, "NOTE")
    parts = [p for p in (street, city, region, postal, country) if p]
    if not parts:
        return
    full = ", ".join(parts) + (f" ({note})" if note else "")
    code = _add_country(entity, country, "address") if country else None
    if all(a.full != full for a in entity.addresses):
        entity.addresses.append(Address(full, street, city, postal, region, code))


def _birth_date(entity: Entity, el: etree._Element) -> None:
    kind = (child_text(el, "TYPE_OF_DATE") or "").upper()
    note = child_text(el, "NOTE")
    exact, year = child_text(el, "DATE"), child_text(el, "YEAR")
    start, end = child_text(el, "FROM_YEAR"), child_text(el, "TO_YEAR")
    if start and end and start != end:
        value: str | None = f"{start}-{end}"
        date = None  # a range is not one date; the raw text keeps it
    else:
        value = exact or year or start or end
        date = parse_date(value)
    if value is None:
        if note is None:
            return
        # e.g. <NOTE>Nov. 1973</NOTE> with nothing else
        _add_birth_date(entity, BirthDate(note, parse_date(note)))
        return
    raw = f"approximately {value}" if kind == "APPROXIMATELY" else value
    if note:
        raw += f" ({note})"
    _add_birth_date(entity, BirthDate(raw, date))


def _add_birth_date(entity: Entity, dob: BirthDate) -> None:
    if all(b.raw != dob.raw for b in entity.birth_dates):
        entity.birth_dates.append(dob)


def _birth_place(entity: Entity, el: etree._Element, *fields: str) -> None:
    values = {f: child_text(el, f) for f in fields}
    place = ", ".join(dict.fromkeys(v for v in values.values() if v))
    if place and place not in entity.birth_places:
        entity.birth_places.append(place)
    for f, value in values.items():
        if "COUNTRY" in f and value:
            _add_country(entity, value, "birth")


def _document(entity: Entity, el: etree._Element, notes: list[str]) -> None:
    scheme = child_text(el, "TYPE_OF_DOCUMENT") or child_text(el, "TYPE_OF_DOCUMENT2") or "Document"
    number = child_text(el, "NUMBER")
    issuer = child_text(el, "ISSUING_COUNTRY") or child_text(el, "COUNTRY_OF_ISSUE")
    detail = [
        child_text(el, "TYPE_OF_DOCUMENT2"),
        f"issued {child_text(el, 'DATE_OF_ISSUE')}" if child_text(el, "DATE_OF_ISSUE") else None,
        f"in {child_text(el, 'CITY_OF_ISSUE')}" if child_text(el, "CITY_OF_ISSUE") else None,
        child_text(el, "NOTE"),
    ]
    note = "; ".join(d for d in detail if d and d != scheme) or None
    if number is None:
        # The number is often only in the free-text note: keep it for the officer.
        if note:
            notes.append(f"{scheme}: {note}")
        return
    country = _country_code(issuer) if issuer and issuer.lower() not in _NO_COUNTRY else None
    ident = Identifier(scheme, number, country, note)
    if all((i.scheme, i.value, i.country) != (scheme, number, country) for i in entity.identifiers):
        entity.identifiers.append(ident)
