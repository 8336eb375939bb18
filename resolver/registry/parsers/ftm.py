"""FollowTheMoney entity JSON lines, as OpenSanctions publishes them ({"id", "schema", "properties", ...}).

Parties (Person, Company, Organization, LegalEntity, PublicBody, Vessel, Airplane) become entities;
the other schemas are folded into them or into relations:
- Sanction (entity -> party): its programId (else program) and earliest listingDate/startDate;
- Address (addressEntity on the party) and Passport/Identification (holder) entities;
- Ownership, Control, Directorship, Family, UnknownLink/Associate (and Membership, Employment,
  Representation as associates) become relations. Their ends are FtM ids of the same source; an end
  missing from the file is still kept, the store decides what resolves.

source_id is the FtM id. The default source is the dataset every line names, when they all name the
same one ("eu_fsf" for t1_entities), else "os_" + the file name ("os_zala_entities").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from resolver.registry.errors import IngestError
from resolver.registry.parsers._common import clean, country_code, parse_date, read_text
from resolver.registry.records import (
    AIRCRAFT,
    NAME_ALIAS,
    NAME_FORMER,
    NAME_PRIMARY,
    NAME_WEAK,
    ORGANIZATION,
    PERSON,
    REL_ASSOCIATE,
    REL_CONTROL,
    REL_DIRECTORSHIP,
    REL_FAMILY,
    REL_OWNERSHIP,
    UNKNOWN,
    VESSEL,
    Address,
    BirthDate,
    Country,
    Entity,
    Identifier,
    Name,
    ParsedSource,
    Relation,
)

FORMAT = "ftm"
DESCRIPTION = "FollowTheMoney entity JSON lines (OpenSanctions exports: Person, Company, Sanction, Ownership ...)"

_PARTY_KINDS = {
    "Person": PERSON,
    "Company": ORGANIZATION,
    "Organization": ORGANIZATION,
    "LegalEntity": ORGANIZATION,
    "PublicBody": ORGANIZATION,
    "Vessel": VESSEL,
    "Airplane": AIRCRAFT,
}
# A LegalEntity may be either; FtM uses it when the source does not say.
_UNKNOWN_KIND_SCHEMAS = {"LegalEntity"}
_NAME_PROPS = (("alias", NAME_ALIAS), ("weakAlias", NAME_WEAK), ("previousName", NAME_FORMER))
_ID_PROPS = (
    "idNumber",
    "innCode",
    "ogrnCode",
    "registrationNumber",
    "leiCode",
    "taxNumber",
    "vatCode",
    "okpoCode",
    "dunsCode",
    "bikCode",
    "swiftBic",
    "imoNumber",
    "mmsi",
    "callSign",
    "passportNumber",
    "socialSecurityNumber",
    "uniqueEntityId",
    "permId",
)
_COUNTRY_PROPS = (
    ("nationality", "nationality"),
    ("citizenship", "citizenship"),
    ("jurisdiction", "jurisdiction"),
    ("flag", "jurisdiction"),
    ("birthCountry", "birth"),
    ("country", "other"),
    ("mainCountry", "other"),
)


@dataclass(frozen=True)
class _Link:
    """How one relation schema maps: subject property, object property, kind, the property with the role."""

    subject: str
    object: str
    kind: str
    role: str | None


_LINKS = {
    "Ownership": _Link("owner", "asset", REL_OWNERSHIP, "role"),
    "Control": _Link("controller", "controlled", REL_CONTROL, "role"),
    "Directorship": _Link("director", "organization", REL_DIRECTORSHIP, "role"),
    "Family": _Link("person", "relative", REL_FAMILY, "relationship"),
    "Associate": _Link("person", "associate", REL_ASSOCIATE, "relationship"),
    "UnknownLink": _Link("subject", "object", REL_ASSOCIATE, "role"),
    "Membership": _Link("member", "organization", REL_ASSOCIATE, "role"),
    "Employment": _Link("employee", "employer", REL_ASSOCIATE, "role"),
    "Representation": _Link("agent", "client", REL_ASSOCIATE, "role"),
}

_NUMBER = r"(\d+(?:\.\d+)?)"
_PCT_RANGE = re.compile(rf"^{_NUMBER}\s*(?:-|–|to)\s*{_NUMBER}$")
_PCT_MIN = re.compile(rf"^(?:more than|over|above|greater than|at least|>=?)\s*{_NUMBER}$")
_PCT_MAX = re.compile(rf"^(?:less than|under|below|up to|at most|<=?)\s*{_NUMBER}$")
_PCT_EXACT = re.compile(rf"^{_NUMBER}$")
_STEM = re.compile(r"[^a-z0-9]+")


@dataclass
class _Record:
    line: int
    id: str
    schema: str
    props: dict[str, list[str]]
    datasets: list[str]
    caption: str | None


def sniff(path: Path, head: str) -> bool:
    for line in head.split("\n"):
        line = line.strip()
        if not line:
            continue
        if not line.startswith("{"):
            return False
        try:
            obj = json.loads(line)
        except ValueError:
            # the first line may be cut by the 64 KiB head
            return '"schema"' in line and '"properties"' in line
        return isinstance(obj, dict) and "schema" in obj and "properties" in obj
    return False


def parse_percentage(raw: str | None) -> tuple[float | None, float | None, float | None]:
    """'49', '49%', '25-50', 'More than 50%' -> (exact, min, max); unreadable text gives all None."""
    value = (clean(raw) or "").lower().replace("%", "").replace(",", ".").strip()
    if m := _PCT_EXACT.match(value):
        return _pct(m[1]), None, None
    if m := _PCT_RANGE.match(value):
        return None, _pct(m[1]), _pct(m[2])
    if m := _PCT_MIN.match(value):
        return None, _pct(m[1]), None
    if m := _PCT_MAX.match(value):
        return None, None, _pct(m[1])
    return None, None, None


def _pct(text: str) -> float | None:
    number = float(text)
    return number if 0 <= number <= 100 else None


def parse(paths: list[Path], source: str | None = None) -> ParsedSource:
    records: list[_Record] = []
    for path in paths:
        records.extend(_read(path))
    result = ParsedSource(source=source or _default_source(paths, records), format=FORMAT, files=list(paths))

    by_id = {r.id: r for r in records}
    sanctions: dict[str, list[_Record]] = {}
    held: dict[str, list[_Record]] = {}
    for r in records:
        if r.schema == "Sanction":
            for target in r.props.get("entity", []):
                sanctions.setdefault(target, []).append(r)
        elif r.schema in ("Passport", "Identification"):
            for holder in r.props.get("holder", []):
                held.setdefault(holder, []).append(r)

    for r in records:
        if r.schema in _PARTY_KINDS:
            entity = _entity(r, by_id)
            _add_sanctions(entity, sanctions.get(r.id, []))
            _add_documents(entity, held.get(r.id, []))
            result.entities.append(entity)
        elif r.schema in _LINKS:
            result.relations.extend(_relations(r, _LINKS[r.schema]))
    return result


def _read(path: Path) -> list[_Record]:
    records: list[_Record] = []
    seen: dict[str, int] = {}
    # split on "\n" only: JSON strings may hold U+2028 and other characters str.splitlines() breaks on
    for number, line in enumerate(read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise IngestError(path, where, f"not a JSON object: {exc}") from None
        if not isinstance(obj, dict):
            raise IngestError(path, where, "not a JSON object")
        ident, schema, props = obj.get("id"), obj.get("schema"), obj.get("properties")
        if not isinstance(ident, str) or not ident or not isinstance(schema, str) or not isinstance(props, dict):
            raise IngestError(path, where, 'an FtM entity needs a string "id" and "schema" and a "properties" object')
        if ident in seen:
            raise IngestError(path, where, f"entity id {ident!r} already on line {seen[ident]}")
        seen[ident] = number
        clean_props: dict[str, list[str]] = {}
        for key, values in props.items():
            if isinstance(values, str):
                values = [values]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise IngestError(path, where, f"property {key!r} is not a list of strings")
            kept = [v for v in (clean(v) for v in values) if v]
            if kept:
                clean_props[key] = kept
        datasets = obj.get("datasets") or []
        if not isinstance(datasets, list):
            raise IngestError(path, where, '"datasets" is not a list')
        caption = obj.get("caption")
        records.append(
            _Record(
                number,
                ident,
                schema,
                clean_props,
                [str(d) for d in datasets],
                clean(caption) if isinstance(caption, str) else None,
            )
        )
    return records


def _default_source(paths: list[Path], records: list[_Record]) -> str:
    datasets = {tuple(r.datasets) for r in records}
    if len(datasets) == 1:
        (only,) = datasets
        if len(only) == 1:
            # namespaced: OpenSanctions' copy of a list is not the publisher's own (eu_fsf vs os_eu_fsf)
            return "os_" + only[0]
    stem = paths[0].name.split(".", 1)[0] if paths else "ftm"
    return "os_" + (_STEM.sub("_", stem.lower()).strip("_") or "ftm")


def _entity(r: _Record, by_id: dict[str, _Record]) -> Entity:
    p = r.props
    names: list[Name] = []
    seen: set[str] = set()

    def add(values: Iterable[str], kind: str) -> None:
        for value in values:
            if value not in seen:
                seen.add(value)
                names.append(Name(value, kind))

    main = p.get("name", [])
    # The caption is the name OpenSanctions displays: it leads when it is one of the names.
    if r.caption and r.caption in main:
        main = [r.caption] + [n for n in main if n != r.caption]
    add(main[:1] or ([r.caption] if r.caption else []), NAME_PRIMARY)
    add(main[1:], NAME_ALIAS)
    for prop, kind in _NAME_PROPS:
        add(p.get(prop, []), kind)
    if not names:
        add([r.id], NAME_PRIMARY)  # the store needs a name; the id is all there is
    if names[0].kind != NAME_PRIMARY:
        names[0].kind = NAME_PRIMARY

    kind = UNKNOWN if r.schema in _UNKNOWN_KIND_SCHEMAS else _PARTY_KINDS[r.schema]
    entity = Entity(
        source_id=r.id,
        kind=kind,
        names=names,
        programs=list(dict.fromkeys(p.get("programId", []))),
        topics=list(dict.fromkeys(p.get("topics", []))),
        lists=list(dict.fromkeys(r.datasets)),
        birth_dates=[BirthDate(d, parse_date(d)) for d in dict.fromkeys(p.get("birthDate", []))],
        birth_places=list(dict.fromkeys(p.get("birthPlace", []))),
        gender=_first(p, "gender"),
    )
    for prop in _ID_PROPS:
        for value in dict.fromkeys(p.get(prop, [])):
            entity.identifiers.append(Identifier(prop, value))
    for prop, role in _COUNTRY_PROPS:
        for raw in p.get(prop, []):
            code = country_code(raw)
            if code and all((c.code, c.role) != (code, role) for c in entity.countries):
                entity.countries.append(Country(code, role, raw))
    for ref in p.get("addressEntity", []):
        address = by_id.get(ref)
        if address is not None and address.schema == "Address":
            _add_address(entity, _address(address))
    for full in p.get("address", []):
        _add_address(entity, Address(full=full))
    notes = list(dict.fromkeys(p.get("position", []) + p.get("notes", [])))
    entity.notes = "; ".join(notes) or None
    return entity


def _first(props: dict[str, list[str]], prop: str) -> str | None:
    values = props.get(prop)
    return values[0] if values else None


def _address(r: _Record) -> Address:
    p = r.props
    street, city, postal, region = _first(p, "street"), _first(p, "city"), _first(p, "postalCode"), _first(p, "region")
    country_raw = _first(p, "country")
    full = _first(p, "full") or ", ".join(x for x in (street, city, postal, region, country_raw) if x) or r.id
    return Address(full, street, city, postal, region, country_code(country_raw))


def _add_address(entity: Entity, address: Address) -> None:
    folded = address.full.casefold()
    if all(a.full.casefold() != folded for a in entity.addresses):
        entity.addresses.append(address)
    if address.country and all((c.code, c.role) != (address.country, "address") for c in entity.countries):
        entity.countries.append(Country(address.country, "address"))


def _add_sanctions(entity: Entity, sanctions: list[_Record]) -> None:
    for s in sanctions:
        # programId is the short, stable code ("EU-UKR"); the program text only when there is none
        for program in s.props.get("programId") or s.props.get("program", []):
            if program not in entity.programs:
                entity.programs.append(program)
        for raw in s.props.get("listingDate") or s.props.get("startDate", []):
            listed = parse_date(raw)
            if listed and (entity.listing_date is None or listed < entity.listing_date):
                entity.listing_date = listed


def _add_documents(entity: Entity, documents: list[_Record]) -> None:
    for d in documents:
        p = d.props
        scheme = (p.get("type") or [d.schema])[0]
        country = country_code(_first(p, "country"))
        for value in p.get("number", []) + p.get("passportNumber", []):
            if all((i.scheme, i.value) != (scheme, value) for i in entity.identifiers):
                entity.identifiers.append(Identifier(scheme, value, country))


def _relations(r: _Record, link: _Link) -> list[Relation]:
    p = r.props
    exact = low = high = None
    for raw in p.get("percentage", []):
        exact, low, high = parse_percentage(raw)
        if exact is not None or low is not None or high is not None:
            break
    start = parse_date(_first(p, "startDate"))
    end = parse_date(_first(p, "endDate"))
    role = "; ".join(p.get(link.role, [])) if link.role else None
    pairs = [(s, o) for s in p.get(link.subject, []) for o in p.get(link.object, [])]
    out: list[Relation] = []
    for n, (subject, obj) in enumerate(pairs):
        out.append(
            Relation(
                subject_id=subject,
                kind=link.kind,
                object_id=obj,
                percentage=exact,
                percentage_min=low,
                percentage_max=high,
                start_date=start,
                end_date=end,
                role=role or None,
                # FtM puts one owner and one asset on a link; more would otherwise share its id
                relation_id=r.id if len(pairs) == 1 else f"{r.id}#{n}",
            )
        )
    return out
