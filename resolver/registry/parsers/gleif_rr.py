"""GLEIF level-2 data: relationship records (who consolidates whom), with LEI records for names, JSON or XML.

Files (all GLEIF files given together are one source, "gleif"):

- relationship records (rr): JSON ``[{"Relationship": {"StartNode", "EndNode", "RelationshipType", ...}}]`` or
  XML ``rr:RelationshipData`` (namespace http://www.gleif.org/data/schema/rr/2016);
- LEI records: JSON ``[{"LEI", "Entity": {"LegalName", ...}}]`` or XML ``lei:LEIData``;
- reporting exceptions (repex): JSON ``[{"LEI", "ExceptionCategory", "ExceptionReason"}]`` or XML.

A relationship runs from the child (StartNode) to the parent (EndNode); the store's relation runs from the
controller, so subject = EndNode, object = StartNode. IS_DIRECTLY_CONSOLIDATED_BY and IS_ULTIMATELY_CONSOLIDATED_BY
map to control: consolidation in the accounts (IFRS 10, US GAAP ASC 810) follows control, not a share, and GLEIF
states no share (a RelationshipQuantifier, where present, is kept verbatim in ``role``). IS_INTERNATIONAL_BRANCH_OF
is control too (a branch is part of its head office); the fund relations (IS_FUND-MANAGED_BY, IS_SUBFUND_OF,
IS_FEEDER_TO) are associates. The RELATIONSHIP_PERIOD gives the dates. ANNULLED records (registered in error) are
dropped. Reporting exceptions say why a parent is not reported; they become notes on an LEI already in the source
and are otherwise skipped (no node is made for an LEI known only from an exception).

When the same relationship (start, end, type) or LEI comes from several files (the JSON and XML copies, or a
later full file), the file with the later ContentDate wins; JSON files carry no file date and rank first.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from resolver.registry.errors import IngestError
from resolver.registry.parsers._common import (
    clean,
    country_code,
    element_location,
    local,
    parse_date,
    parse_xml,
    read_text,
)
from resolver.registry.records import (
    NAME_ALIAS,
    NAME_FORMER,
    NAME_PRIMARY,
    ORGANIZATION,
    REL_ASSOCIATE,
    REL_CONTROL,
    Address,
    Country,
    Entity,
    Identifier,
    Name,
    ParsedSource,
    Relation,
)

FORMAT = "gleif_rr"
DESCRIPTION = "GLEIF level-2 relationship records with LEI records and reporting exceptions (JSON or XML)"
DEFAULT_SOURCE = "gleif"

_NAMESPACES = (
    "http://www.gleif.org/data/schema/rr/2016",
    "http://www.gleif.org/data/schema/leidata/2016",
    "http://www.gleif.org/data/schema/repex/2016",
)
_KINDS = {
    "IS_DIRECTLY_CONSOLIDATED_BY": REL_CONTROL,
    "IS_ULTIMATELY_CONSOLIDATED_BY": REL_CONTROL,
    "IS_INTERNATIONAL_BRANCH_OF": REL_CONTROL,
    "IS_FUND-MANAGED_BY": REL_ASSOCIATE,
    "IS_SUBFUND_OF": REL_ASSOCIATE,
    "IS_FEEDER_TO": REL_ASSOCIATE,
}
_FORMER = {"PREVIOUS_LEGAL_NAME"}
_SEP = "; "


def sniff(path: Path, head: str) -> bool:
    start = head.lstrip()
    if start.startswith("<"):
        return any(ns in head[:4096] for ns in _NAMESPACES)
    if not start.startswith(("[", "{")):
        return False
    rr = '"Relationship"' in head and '"StartNode"' in head and '"RelationshipType"' in head
    lei = '"LEI"' in head and ('"LegalName"' in head or '"ExceptionCategory"' in head)
    return rr or lei


def group(paths: list[Path]) -> list[list[Path]]:
    """All GLEIF files are one source: relationships name their ends by LEI, the LEI records give the names."""
    return [list(paths)] if paths else []


# A record read from either syntax, as plain dicts/lists/strings (the JSON shape; XML is converted to it).
@dataclass
class _Record:
    path: Path
    where: str
    data: dict[str, Any]


@dataclass
class _File:
    path: Path
    kind: str  # "rr", "lei", "repex"
    content_date: str | None
    records: list[_Record]


def parse(paths: list[Path], source: str | None = None) -> ParsedSource:
    result = ParsedSource(source=source or DEFAULT_SOURCE, format=FORMAT, files=list(paths))
    files = [_read(path) for path in paths]
    # later ContentDate wins: process in that order and let later records overwrite (JSON, undated, first)
    files.sort(key=lambda f: f.content_date or "")
    relations: dict[tuple[str, str, str], Relation] = {}
    leis: dict[str, Entity] = {}
    exceptions: dict[str, list[str]] = {}
    for f in files:
        for record in f.records:
            if f.kind == "rr":
                _relationship(record, relations)
            elif f.kind == "lei":
                entity = _lei(record)
                leis[entity.source_id] = entity
            else:
                lei, note = _exception(record)
                exceptions.setdefault(lei, [])
                if note not in exceptions[lei]:
                    exceptions[lei].append(note)
    for relation in relations.values():
        for lei in (relation.subject_id, relation.object_id or ""):
            if lei not in leis:
                # a node known only from a relationship: named by its LEI (no LEI record in these files)
                leis[lei] = Entity(
                    lei, ORGANIZATION, [Name(lei, NAME_PRIMARY)], identifiers=[Identifier("leiCode", lei)]
                )
    for lei, notes in exceptions.items():
        if (noted := leis.get(lei)) is not None:
            noted.notes = _SEP.join([*([noted.notes] if noted.notes else []), *notes])
    result.entities = list(leis.values())
    result.relations = list(relations.values())
    dates = [d for f in files if (d := parse_date(f.content_date))]
    result.publisher_date = max(dates) if dates else None
    return result


# --- reading both syntaxes ----------------------------------------------------------------------


def _read(path: Path) -> _File:
    text = read_text(path)
    if text.lstrip().startswith("<"):
        return _read_xml(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IngestError(path, f"line {exc.lineno}", f"malformed JSON: {exc.msg}") from None
    items = data if isinstance(data, list) else [data]
    records = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise IngestError(path, f"element {i}", f"expected a JSON object, found {type(item).__name__}")
        records.append(_Record(path, f"element {i}", item))
    kinds: set[str] = set()
    for r in records:
        found = _kind_of(r)
        if found is None or (kinds and found not in kinds):
            raise IngestError(
                path, r.where, "not a GLEIF relationship, LEI or reporting-exception record like the first"
            )
        kinds.add(found)
    kind = kinds.pop() if kinds else "rr"
    dates = [d for r in records if (d := clean(_text(r.data.get("ContentDate"))))]
    return _File(path, kind, max(dates) if dates else None, records)


def _kind_of(record: _Record) -> str | None:
    if "Relationship" in record.data:
        return "rr"
    if "ExceptionCategory" in record.data:
        return "repex"
    if "Entity" in record.data and "LEI" in record.data:
        return "lei"
    return None


def _read_xml(path: Path) -> _File:
    root = parse_xml(path)
    name = local(root.tag)
    kinds = {"RelationshipData": ("rr", "RelationshipRecord"), "LEIData": ("lei", "LEIRecord")}
    kinds["ReportingExceptionData"] = ("repex", "Exception")
    if name not in kinds:
        raise IngestError(path, element_location(root), f"unexpected root <{name}> for GLEIF data")
    kind, record_tag = kinds[name]
    content_date = None
    records = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        tag = local(el.tag)
        if tag == "ContentDate" and content_date is None:
            content_date = clean(el.text)
        elif tag == record_tag:
            records.append(_Record(path, element_location(el), _to_dict(el)))
    return _File(path, kind, content_date, records)


# Elements that repeat, so that the XML gives the same lists the JSON has.
_LISTS = {"RelationshipPeriods", "RelationshipQualifiers", "RelationshipQuantifiers", "OtherEntityNames"}
_LISTS |= {"TransliteratedOtherEntityNames", "OtherAddresses"}


def _to_dict(el: etree._Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for child in el:
        if not isinstance(child.tag, str):
            continue
        tag = local(child.tag)
        if tag in _LISTS:
            out[tag] = [_value(c) for c in child if isinstance(c.tag, str)]
        else:
            out[tag] = _value(child)
    return out


def _value(el: etree._Element) -> Any:
    if len(el):
        return _to_dict(el)
    text = clean(el.text)
    attrs = {local(k): v for k, v in el.attrib.items() if local(k) == "type"}
    if attrs:  # <OtherEntityName type="PREVIOUS_LEGAL_NAME">, in the JSON shape
        return {"type": attrs["type"], "$": text}
    return text


def _text(value: object) -> str | None:
    """A string value, or the text of a JSON value object ({"$": ...})."""
    if isinstance(value, dict):
        value = value.get("$") or value.get("#text")
    return value if isinstance(value, str) else None


# --- records ------------------------------------------------------------------------------------


def _relationship(record: _Record, relations: dict[tuple[str, str, str], Relation]) -> None:
    rel = record.data.get("Relationship")
    if not isinstance(rel, dict):
        raise IngestError(record.path, record.where, "no Relationship")

    def node(side: str) -> str:
        value = rel.get(side)
        lei = clean(_text(value.get("NodeID"))) if isinstance(value, dict) else None
        if lei is None:
            raise IngestError(record.path, record.where, f"{side} has no NodeID")
        return lei

    child, parent = node("StartNode"), node("EndNode")
    rtype = clean(_text(rel.get("RelationshipType")))
    if rtype is None:
        raise IngestError(record.path, record.where, "no RelationshipType")
    registration = record.data.get("Registration")
    reg_status = clean(_text(registration.get("RegistrationStatus"))) if isinstance(registration, dict) else None
    key = (child, parent, rtype)
    if reg_status == "ANNULLED":
        relations.pop(key, None)  # registered in error: a later annulment removes an earlier record
        return
    start = end = None
    for period in _items(rel.get("RelationshipPeriods")):
        if clean(_text(period.get("PeriodType"))) == "RELATIONSHIP_PERIOD":
            start = parse_date(_text(period.get("StartDate")))
            end = parse_date(_text(period.get("EndDate")))
    role = [rtype]
    status = clean(_text(rel.get("RelationshipStatus")))
    if status and status != "ACTIVE":
        role.append(f"relationship {status}")
    if reg_status and reg_status != "PUBLISHED":
        role.append(f"registration {reg_status}")
    for qualifier in _items(rel.get("RelationshipQualifiers")):
        if category := clean(_text(qualifier.get("QualifierCategory"))):
            role.append(category)
    for q in _items(rel.get("RelationshipQuantifiers")):
        parts = [clean(_text(q.get(k))) for k in ("MeasurementMethod", "QuantifierAmount", "QuantifierUnits")]
        role.append("quantifier " + " ".join(p for p in parts if p))
    relations[key] = Relation(
        subject_id=parent,
        kind=_KINDS.get(rtype, REL_ASSOCIATE),
        object_id=child,
        start_date=start,
        end_date=end,
        role=_SEP.join(role),
        relation_id=f"{child}>{rtype}>{parent}",
    )


def _items(value: object) -> Iterator[dict[str, Any]]:
    """The dicts of a JSON list (or of the XML wrapper converted to one)."""
    if isinstance(value, dict):
        value = [value]
    if isinstance(value, list):
        yield from (v for v in value if isinstance(v, dict))


def _lei(record: _Record) -> Entity:
    lei = clean(_text(record.data.get("LEI")))
    body = record.data.get("Entity")
    if lei is None or not isinstance(body, dict):
        raise IngestError(record.path, record.where, "an LEI record without LEI or Entity")
    legal = clean(_text(body.get("LegalName"))) or lei
    entity = Entity(lei, ORGANIZATION, [Name(legal, NAME_PRIMARY)], identifiers=[Identifier("leiCode", lei)])
    for key in ("OtherEntityNames", "TransliteratedOtherEntityNames"):
        for other in _items(body.get(key)):
            value = clean(_text(other.get("OtherEntityName") or other.get("TransliteratedOtherEntityName") or other))
            kind = NAME_FORMER if other.get("type") in _FORMER else NAME_ALIAS
            if value and all(n.value != value for n in entity.names):
                entity.names.append(Name(value, kind))
    jurisdiction = clean(_text(body.get("LegalJurisdiction")))
    if jurisdiction:
        entity.countries.append(
            Country(country_code(jurisdiction) or jurisdiction.lower(), "jurisdiction", jurisdiction)
        )
    for key in ("LegalAddress", "HeadquartersAddress"):
        address = _address(body.get(key))
        if address and all(a.full != address.full for a in entity.addresses):
            entity.addresses.append(address)
    authority = body.get("RegistrationAuthority")
    if isinstance(authority, dict) and (number := clean(_text(authority.get("RegistrationAuthorityEntityID")))):
        entity.identifiers.append(
            Identifier("registrationNumber", number, note=clean(_text(authority.get("RegistrationAuthorityID"))))
        )
    notes = [
        f"entity {s}" if (s := clean(_text(body.get("EntityStatus")))) and s != "ACTIVE" else None,
        clean(_text(body.get("EntityCategory"))),
        f"created {d}" if (d := parse_date(_text(body.get("EntityCreationDate")))) else None,
    ]
    entity.notes = _SEP.join(n for n in notes if n) or None
    return entity


def _address(raw: object) -> Address | None:
    if not isinstance(raw, dict):
        return None
    street = ", ".join(
        p for p in (clean(_text(raw.get(k))) for k in ("FirstAddressLine", "AdditionalAddressLine")) if p
    )
    city, region = clean(_text(raw.get("City"))), clean(_text(raw.get("Region")))
    postal, country = clean(_text(raw.get("PostalCode"))), clean(_text(raw.get("Country")))
    full = ", ".join(p for p in (street, city, region, postal, country) if p)
    if not full:
        return None
    return Address(full, street or None, city, postal, region, country_code(country) if country else None)


def _exception(record: _Record) -> tuple[str, str]:
    lei = clean(_text(record.data.get("LEI")))
    category = clean(_text(record.data.get("ExceptionCategory")))
    if lei is None or category is None:
        raise IngestError(record.path, record.where, "a reporting exception without LEI or ExceptionCategory")
    reason = clean(_text(record.data.get("ExceptionReason"))) or "no reason given"
    return lei, f"no {category.lower().replace('_', ' ')} reported: {reason}"
