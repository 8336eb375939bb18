"""EU Financial Sanctions Files (FSF) XML: <export xmlns="http://eu.europa.ec/fpi/fsd/export">.

source_id is the sanctionEntity logicalId. Entries that repeat a logicalId are merged into one
entity (the deriv-com sample lists 5468 twice, the second time with an extra name), so no name is
dropped and the store never sees two entities under one id.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from resolver.registry.errors import IngestError
from resolver.registry.parsers._common import (
    children,
    clean,
    country_code,
    element_location,
    local,
    parse_date,
    parse_xml,
)
from resolver.registry.records import (
    AIRCRAFT,
    NAME_ALIAS,
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

FORMAT = "eu_xml"
DESCRIPTION = "EU Financial Sanctions Files consolidated list (XML, fsd/export namespace)"
DEFAULT_SOURCE = "eu_fsf"
NAMESPACE = "http://eu.europa.ec/fpi/fsd/export"

_KINDS = {
    "person": PERSON,
    "enterprise": ORGANIZATION,
    "organisation": ORGANIZATION,
    "organization": ORGANIZATION,
    "vessel": VESSEL,
    "aircraft": AIRCRAFT,
}
_GENDERS = {"m": "male", "f": "female"}
_COMMENTS = re.compile(r"<!--.*?-->", re.DOTALL)
_FIRST_TAG = re.compile(r"<(?![?!])([\w.:-]+)([^>]*)>")


def sniff(path: Path, head: str) -> bool:
    # The first element is the root: it must be <export> and declare the EU namespace.
    match = _FIRST_TAG.search(_COMMENTS.sub("", head))
    return match is not None and match.group(1).rsplit(":", 1)[-1] == "export" and NAMESPACE in match.group(2)


def parse(paths: list[Path], source: str | None = None) -> ParsedSource:
    result = ParsedSource(source=source or DEFAULT_SOURCE, format=FORMAT, files=list(paths))
    by_id: dict[str, Entity] = {}
    for path in paths:
        root = parse_xml(path)
        if local(root.tag) != "export" or etree.QName(root).namespace != NAMESPACE:
            raise IngestError(path, element_location(root), f"root element is not <export xmlns={NAMESPACE!r}>")
        generated = parse_date(root.get("generationDate"))
        if generated and (result.publisher_date is None or generated > result.publisher_date):
            result.publisher_date = generated
        for el in children(root, "sanctionEntity"):
            entity = _entity(path, el)
            known = by_id.get(entity.source_id)
            if known is None:
                by_id[entity.source_id] = entity
                result.entities.append(entity)
            elif known.kind != entity.kind:
                raise IngestError(
                    path, element_location(el), f"logicalId {entity.source_id} listed as {known.kind} and {entity.kind}"
                )
            else:
                _merge(known, entity)
    return result


def _attr(el: etree._Element, name: str) -> str | None:
    value = clean(el.get(name))
    return None if value == "-" else value  # the FSF writes "-" for an unknown city


def _country(iso2: str | None, description: str | None) -> str | None:
    # "00" / "UNKNOWN" is the FSF's way of saying there is no country.
    if iso2 and iso2 != "00":
        return country_code(iso2)
    if description and description.upper() != "UNKNOWN":
        return country_code(description)
    return None


def _entity(path: Path, el: etree._Element) -> Entity:
    source_id = _attr(el, "logicalId")
    if source_id is None:
        raise IngestError(path, element_location(el), "sanctionEntity without logicalId")
    subject = children(el, "subjectType")
    code = (_attr(subject[0], "code") or "").lower() if subject else ""
    entity = Entity(source_id=source_id, kind=_KINDS.get(code, UNKNOWN), names=[], topics=["sanction"])
    entity.listing_date = parse_date(_attr(el, "designationDate"))
    for scheme, attr in (("EU reference", "euReferenceNumber"), ("UN reference", "unitedNationId")):
        value = _attr(el, attr)
        if value:
            entity.identifiers.append(Identifier(scheme, value))

    notes: list[str] = []
    for reg in children(el, "regulation"):
        programme = _attr(reg, "programme")
        if programme and programme not in entity.programs:
            entity.programs.append(programme)
    for alias in children(el, "nameAlias"):
        _name(entity, alias, notes)
    for cit in children(el, "citizenship"):
        description = _attr(cit, "countryDescription")
        _add_country(entity, _country(_attr(cit, "countryIso2Code"), description), "citizenship", description)
    for dob in children(el, "birthdate"):
        _birth(entity, dob)
    for ident in children(el, "identification"):
        _identification(entity, ident)
    for addr in children(el, "address"):
        _address(entity, addr)
    # Remarks sit on the entity and on its parts (an address remark holds an Italian fiscal code).
    for remark in el.iter():
        if isinstance(remark.tag, str) and local(remark.tag) == "remark":
            text = clean(remark.text)
            if text and text not in notes:
                notes.append(text)
    entity.notes = "\n".join(notes) or None

    if not entity.names:
        raise IngestError(path, element_location(el), f"sanctionEntity {source_id} has no name")
    _choose_primary(entity)
    return entity


def _name(entity: Entity, el: etree._Element, notes: list[str]) -> None:
    whole = _attr(el, "wholeName")
    if whole is None:
        whole = clean(" ".join(filter(None, (_attr(el, a) for a in ("firstName", "middleName", "lastName")))))
    if whole:
        weak = (_attr(el, "strong") or "true").lower() == "false"
        name = Name(whole, NAME_WEAK if weak else NAME_ALIAS, _attr(el, "nameLanguage"), "weak" if weak else "strong")
        key = (whole.casefold(), name.lang)
        if all((n.value.casefold(), n.lang) != key for n in entity.names):
            entity.names.append(name)
    gender = _GENDERS.get((_attr(el, "gender") or "").lower())
    if gender and entity.gender is None:
        entity.gender = gender
    for label, attr in (("Function", "function"), ("Title", "title")):
        value = _attr(el, attr)
        if value and f"{label}: {value}" not in notes:
            notes.append(f"{label}: {value}")


def _choose_primary(entity: Entity) -> None:
    """The FSF marks no primary name: take the first strong one without a language, else the first strong one."""
    names = entity.names
    first = min(range(len(names)), key=lambda i: (names[i].kind == NAME_WEAK, bool(names[i].lang), i))
    primary = names.pop(first)
    primary.kind = NAME_PRIMARY
    names.insert(0, primary)


def _add_country(entity: Entity, code: str | None, role: str, raw: str | None = None) -> None:
    if code is not None and all((c.code, c.role) != (code, role) for c in entity.countries):
        entity.countries.append(Country(code, role, raw))


def _birth(entity: Entity, el: etree._Element) -> None:
    circa = (_attr(el, "circa") or "").lower() == "true"
    full = _attr(el, "birthdate")
    year, month, day = _attr(el, "year"), _attr(el, "monthOfYear"), _attr(el, "dayOfMonth")
    start, end = _attr(el, "yearRangeFrom"), _attr(el, "yearRangeTo")
    date: str | None
    if full:
        value: str | None = full
        date = parse_date(full)
    elif year:
        value = "-".join([year] + ([month.zfill(2)] if month else []) + ([day.zfill(2)] if month and day else []))
        date = parse_date(value)
    elif start and end:
        value, date = f"{start}-{end}", None  # a range is not one date; the raw text keeps it
    else:
        value = date = None
    if value:
        raw = f"circa {value}" if circa else value
        if all(b.raw != raw for b in entity.birth_dates):
            entity.birth_dates.append(BirthDate(raw, date))

    iso2, description = _attr(el, "countryIso2Code"), _attr(el, "countryDescription")
    code = _country(iso2, description)
    country = description if code else None
    place = ", ".join(
        dict.fromkeys(p for p in (_attr(el, "place"), _attr(el, "city"), _attr(el, "region"), country) if p)
    )
    if place and place not in entity.birth_places:
        entity.birth_places.append(place)
    _add_country(entity, code, "birth", description)


def _identification(entity: Entity, el: etree._Element) -> None:
    number = _attr(el, "number") or _attr(el, "latinNumber")
    if number is None:
        return
    scheme = _attr(el, "identificationTypeDescription") or _attr(el, "identificationTypeCode") or "Document"
    code = _country(_attr(el, "countryIso2Code"), _attr(el, "countryDescription"))
    flags = ("diplomatic", "knownExpired", "knownFalse", "reportedLost", "revokedByIssuer")
    detail = [f for f in flags if (_attr(el, f) or "").lower() == "true"]
    for label, attr in (("issued by", "issuedBy"), ("name on document", "nameOnDocument")):
        value = _attr(el, attr)
        if value:
            detail.append(f"{label} {value}")
    detail += [t for t in (clean(r.text) for r in children(el, "remark")) if t]
    if all((i.scheme, i.value, i.country) != (scheme, number, code) for i in entity.identifiers):
        entity.identifiers.append(Identifier(scheme, number, code, "; ".join(detail) or None))


def _address(entity: Entity, el: etree._Element) -> None:
    street, city = _attr(el, "street"), _attr(el, "city")
    postal, region, place = _attr(el, "zipCode"), _attr(el, "region"), _attr(el, "place")
    po_box, description = _attr(el, "poBox"), _attr(el, "countryDescription")
    code = _country(_attr(el, "countryIso2Code"), description)
    country = description if code else None
    parts = [street, f"PO Box {po_box}" if po_box else None, place, city, region, postal, country]
    full = ", ".join(p for p in parts if p)
    if not full:
        return
    if all(a.full != full for a in entity.addresses):
        entity.addresses.append(Address(full, street, city, postal, region, code))
    _add_country(entity, code, "address", description)


def _merge(into: Entity, other: Entity) -> None:
    """Fold a repeated sanctionEntity into the first one, keeping every distinct value."""
    for name in other.names:
        key = (name.value.casefold(), name.lang)
        if all((n.value.casefold(), n.lang) != key for n in into.names):
            name.kind = NAME_WEAK if name.kind == NAME_WEAK else NAME_ALIAS
            into.names.append(name)
    for attr in ("programs", "identifiers", "birth_dates", "birth_places", "countries", "addresses"):
        mine = getattr(into, attr)
        mine.extend(v for v in getattr(other, attr) if v not in mine)
    into.listing_date = min(filter(None, (into.listing_date, other.listing_date)), default=None)
    into.gender = into.gender or other.gender
    if other.notes and other.notes != into.notes:
        into.notes = f"{into.notes}\n{other.notes}" if into.notes else other.notes
