"""OFAC SDN XML (sdn.xml) and the consolidated non-SDN XML (consolidated.xml): same schema, root <sdnList>.

Unlike the legacy CSV, the XML types most fields (akaList with strong/weak category, idList,
dateOfBirthList ...); the short <remarks> left over can still say "(Linked To: X)", which is read
with the same Remarks parser as the CSV.
"""

from __future__ import annotations

import re
from pathlib import Path

import structlog
from lxml import etree

from resolver.registry.errors import IngestError
from resolver.registry.parsers._common import (
    child_text,
    children,
    clean,
    element_location,
    local,
    parse_date,
    parse_xml,
)
from resolver.registry.parsers.ofac_remarks import (
    birth_date,
    country,
    identifier,
    is_note_label,
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

FORMAT = "ofac_xml"
DESCRIPTION = "OFAC SDN / consolidated list XML (<sdnList>, namespace http://tempuri.org/sdnList.xsd)"

SDN_SOURCE = "us_ofac_sdn"
CONS_SOURCE = "us_ofac_cons"

_KINDS = {"individual": PERSON, "entity": ORGANIZATION, "vessel": VESSEL, "aircraft": AIRCRAFT}
_CONSOLIDATED = re.compile(r"(?:^|[^a-z])cons(?:olidated)?(?:[^a-z]|$)")
_ROOT = re.compile(r"<(?:\w+:)?sdnList[\s>]")

log = structlog.get_logger(__name__)


def sniff(path: Path, head: str) -> bool:
    """The <sdnList> root with its entries or publish information."""
    return bool(_ROOT.search(head)) and ("sdnEntry" in head or "publshInformation" in head)


def _default_source(path: Path) -> str:
    return CONS_SOURCE if _CONSOLIDATED.search(path.stem.lower()) else SDN_SOURCE


def _full_name(el: etree._Element) -> str | None:
    """OFAC's own "LAST, First" order, as the CSV writes SDN_Name."""
    last, first = child_text(el, "lastName"), child_text(el, "firstName")
    if last and first:
        return f"{last}, {first}"
    return last or first


def _list_items(entry: etree._Element, list_name: str, item_name: str) -> list[etree._Element]:
    return [item for holder in children(entry, list_name) for item in children(holder, item_name)]


def _add_country(entity: Entity, item: Country | None) -> None:
    if item is not None and not any(c.code == item.code and c.role == item.role for c in entity.countries):
        entity.countries.append(item)


def _names(entity: Entity, entry: etree._Element, path: Path) -> None:
    seen = {normalise_name(entity.names[0].value)}
    for aka in _list_items(entry, "akaList", "aka"):
        value = _full_name(aka)
        if value is None:
            raise IngestError(path, element_location(aka), "aka without lastName or firstName")
        kind_raw = (child_text(aka, "type") or "").lower()
        category = (child_text(aka, "category") or "").lower() or None
        if kind_raw.startswith("f.k.a"):
            kind = NAME_FORMER
        elif category == "weak":
            kind = NAME_WEAK
        else:
            kind = NAME_ALIAS  # a.k.a. strong, and n.k.a. (the current name under another spelling)
        key = normalise_name(value)
        if key not in seen:
            seen.add(key)
            entity.names.append(Name(value=value, kind=kind, quality=category))


def _identifiers(entity: Entity, entry: etree._Element, notes: list[str]) -> None:
    for item in _list_items(entry, "idList", "id"):
        scheme, number = child_text(item, "idType"), child_text(item, "idNumber")
        if not scheme or not number:
            continue
        if scheme.lower() == "gender":
            entity.gender = number.lower()
            continue
        if is_note_label(scheme):
            notes.append(f"{scheme} {number}")  # sanctions information OFAC files under idList
            continue
        ident = identifier(scheme, number) or Identifier(scheme=scheme, value=number)
        if ident.country is None:
            ident.country = resolved_country(child_text(item, "idCountry")) or _raw_country(item, "idCountry")
        dates = [
            f"{label} {value}"
            for label, value in (
                ("issued", child_text(item, "issueDate")),
                ("expires", child_text(item, "expirationDate")),
            )
            if value
        ]
        if dates:
            ident.note = "; ".join([ident.note, *dates] if ident.note else dates)
        entity.identifiers.append(ident)


def _raw_country(el: etree._Element, name: str) -> str | None:
    value = child_text(el, name)
    return value.lower() if value else None


def _addresses(entity: Entity, entry: etree._Element) -> None:
    for item in _list_items(entry, "addressList", "address"):
        street = ", ".join(v for v in (child_text(item, f"address{i}") for i in (1, 2, 3)) if v) or None
        city, region = child_text(item, "city"), child_text(item, "stateOrProvince")
        postal, country_raw = child_text(item, "postalCode"), child_text(item, "country")
        parts = [p for p in (street, city, region, postal, country_raw) if p]
        if not parts:
            continue
        code = (resolved_country(country_raw) or country_raw.lower()) if country_raw else None
        entity.addresses.append(
            Address(full=", ".join(parts), street=street, city=city, postal_code=postal, region=region, country=code)
        )
        if code:
            _add_country(entity, Country(code=code, role="address", raw=country_raw))


def _vessel(entity: Entity, entry: etree._Element, notes: list[str]) -> None:
    for info in children(entry, "vesselInfo"):
        if call_sign := child_text(info, "callSign"):
            entity.identifiers.append(Identifier(scheme="Call Sign", value=call_sign))
        if flag := child_text(info, "vesselFlag"):
            _add_country(entity, country(flag, "jurisdiction"))  # a vessel's flag state
        for label, name in (
            ("Vessel type", "vesselType"),
            ("Tonnage", "tonnage"),
            ("GRT", "grossRegisteredTonnage"),
            ("Vessel owner", "vesselOwner"),
        ):
            if value := child_text(info, name):
                notes.append(f"{label}: {value}")


def _entity(entry: etree._Element, path: Path) -> tuple[Entity, list[str]]:
    where = element_location(entry)
    uid = child_text(entry, "uid")
    if uid is None:
        raise IngestError(path, where, "sdnEntry without uid")
    primary = _full_name(entry)
    if primary is None:
        raise IngestError(path, where, f"sdnEntry {uid} has no lastName")
    kind_raw = (child_text(entry, "sdnType") or "").lower()
    entity = Entity(
        source_id=uid,
        kind=_KINDS.get(kind_raw, UNKNOWN if kind_raw else ORGANIZATION),
        names=[Name(value=primary, kind=NAME_PRIMARY)],
        programs=list(dict.fromkeys(p for el in _list_items(entry, "programList", "program") if (p := clean(el.text)))),
        topics=["sanction"],
    )
    notes: list[str] = []
    if title := child_text(entry, "title"):
        notes.append(f"Title: {title}")
    _names(entity, entry, path)
    _identifiers(entity, entry, notes)
    for item in _list_items(entry, "dateOfBirthList", "dateOfBirthItem"):
        if raw := child_text(item, "dateOfBirth"):
            entity.birth_dates.append(birth_date(raw))
    for item in _list_items(entry, "placeOfBirthList", "placeOfBirthItem"):
        if place := child_text(item, "placeOfBirth"):
            entity.birth_places.append(place)
            last = place.rsplit(",", 1)[-1].strip()
            if code := resolved_country(last):
                _add_country(entity, Country(code=code, role="birth", raw=last))
    for list_name, item_name, role in (
        ("nationalityList", "nationality", "nationality"),
        ("citizenshipList", "citizenship", "citizenship"),
    ):
        for holder in _list_items(entry, list_name, item_name):
            _add_country(entity, country(child_text(holder, "country"), role))
    _addresses(entity, entry)
    _vessel(entity, entry, notes)

    # the remarks are free text, but can carry "(Linked To: X)" and the odd typed fact
    remarks = parse_remarks(child_text(entry, "remarks"))
    seen = {normalise_name(n.value) for n in entity.names}
    for name in remarks.names:
        if normalise_name(name.value) not in seen:
            seen.add(normalise_name(name.value))
            entity.names.append(name)
    entity.identifiers.extend(remarks.identifiers)
    entity.birth_dates.extend(remarks.birth_dates)
    entity.birth_places.extend(remarks.birth_places)
    for found in remarks.countries:
        _add_country(entity, found)
    entity.gender = entity.gender or remarks.gender
    notes.extend(remarks.notes)
    entity.notes = "; ".join(notes) or None
    return entity, remarks.linked_to


def parse(paths: list[Path], source: str | None = None) -> ParsedSource:
    """Read one OFAC XML file into one source."""
    if len(paths) != 1:
        names = ", ".join(str(p) for p in paths) or "<none>"
        raise IngestError(paths[0] if paths else "<none>", None, f"one OFAC XML file per source, got: {names}")
    path = paths[0]
    root = parse_xml(path)
    if local(root.tag) != "sdnList":
        raise IngestError(path, element_location(root), f"root element is <{local(root.tag)}>, expected <sdnList>")
    publisher_date = None
    record_count: str | None = None
    for info in children(root, "publshInformation"):
        record_count = child_text(info, "Record_Count")
        raw = child_text(info, "Publish_Date")
        publisher_date = parse_date(raw, month_first=True)
        if raw and publisher_date is None:
            raise IngestError(path, element_location(info), f"unreadable Publish_Date {raw!r} (expected MM/DD/YYYY)")
    entities: list[Entity] = []
    links: list[tuple[str, str]] = []
    seen: set[str] = set()
    for entry in children(root, "sdnEntry"):
        entity, linked = _entity(entry, path)
        if entity.source_id in seen:
            raise IngestError(path, element_location(entry), f"uid {entity.source_id} appears twice")
        seen.add(entity.source_id)
        entities.append(entity)
        links.extend((entity.source_id, target) for target in linked)
    relations = resolve_links(entities, links)
    if record_count and record_count.isdigit() and int(record_count) != len(entities):
        # an excerpt, or a file cut at an entry boundary: worth a look, not a failure
        log.warning(
            "ofac_xml.record_count_mismatch", path=str(path), record_count=int(record_count), entries=len(entities)
        )
    return ParsedSource(
        source=source or _default_source(path),
        format=FORMAT,
        files=[path],
        publisher_date=publisher_date,
        entities=entities,
        relations=relations,
    )
