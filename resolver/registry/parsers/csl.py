"""US trade.gov Consolidated Screening List (CSV, header source,entity_number,type,programs,name,...).

One row per listed party, multi-valued cells separated by ';'. The Treasury lists give an
entity_number; the BIS and State lists (Entity List, DPL, DTC, ISN, UVL) give none and list one party
once per address (Gunther Migeotte: five Entity List rows), so those rows are keyed by (list, name)
like the DPL parser does and merged. source_id is "<list code>:<entity_number>" or
"<list code>:<hash of the name>". The list codes and topics are the FCA parser's (same US lists).
"""

from __future__ import annotations

from pathlib import Path

from resolver.registry.parsers._common import clean, parse_date, read_csv_header
from resolver.registry.parsers.bis_dpl import name_key, split_names, stable_id
from resolver.registry.parsers.fca_combined import (
    add_country,
    add_name,
    add_unique,
    entity_kind,
    list_code,
    list_topics,
    parse_ofac_ids,
    split_list,
    us_address,
)
from resolver.registry.records import NAME_ALIAS, BirthDate, Entity, Identifier, ParsedSource

FORMAT = "csl"
DESCRIPTION = "US trade.gov Consolidated Screening List (CSV, source,entity_number,type,programs,name,...)"
DEFAULT_SOURCE = "us_trade_csl"

_HEADER_START = "source,entity_number"
_REQUIRED = ["source", "entity_number", "type", "name"]


def sniff(path: Path, head: str) -> bool:
    return head.lstrip("\ufeff").startswith(_HEADER_START)


def parse(paths: list[Path], source: str | None = None) -> ParsedSource:
    result = ParsedSource(source=source or DEFAULT_SOURCE, format=FORMAT, files=list(paths))
    by_id: dict[str, Entity] = {}
    notes: dict[str, list[str]] = {}
    for path in paths:
        for _line, row in read_csv_header(path, _REQUIRED):
            raw_name = clean(row["name"])
            if raw_name is None:
                continue  # nothing to screen against
            code = list_code(row["source"])
            number = clean(row["entity_number"])
            source_id = f"{code}:{number}" if number else f"{code}:{stable_id(code, name_key(raw_name))}"
            entity = by_id.get(source_id)
            if entity is None:
                names = split_names(raw_name)
                entity = Entity(
                    source_id=source_id,
                    kind=entity_kind(row["type"], code, raw_name),
                    names=[],
                    topics=list_topics(code),
                    lists=[code],
                )
                for name in names:
                    add_name(entity.names, name)
                by_id[source_id] = entity
                notes[source_id] = []
                result.entities.append(entity)
            _add_row(entity, row, notes[source_id])
    for entity in result.entities:
        entity.notes = "; ".join(notes[entity.source_id]) or None
    return result


def _add_row(entity: Entity, row: dict[str, str], notes: list[str]) -> None:
    for alias in split_list(row.get("alt_names")):
        add_name(entity.names, alias, NAME_ALIAS)
    add_unique(entity.programs, split_list(row.get("programs")))
    listed = parse_date(row.get("start_date"))
    if listed and (entity.listing_date is None or listed < entity.listing_date):
        entity.listing_date = listed
    for raw in split_list(row.get("dates_of_birth")):
        if all(b.raw != raw for b in entity.birth_dates):
            entity.birth_dates.append(BirthDate(raw, parse_date(raw)))
    add_unique(entity.birth_places, split_list(row.get("places_of_birth")))
    for raw in split_list(row.get("nationalities")):
        add_country(entity, raw, "nationality")
    for raw in split_list(row.get("citizenships")):
        add_country(entity, raw, "citizenship")
    for raw in split_list(row.get("vessel_flag")):
        add_country(entity, raw, "jurisdiction")  # a vessel's flag is the state it answers to
    for raw in split_list(row.get("addresses")):
        address = us_address(raw)
        if all(a.full != address.full for a in entity.addresses):
            entity.addresses.append(address)
        if address.country:
            add_country(entity, raw.rsplit(",", 1)[-1].strip(), "address")
    ids, gender = parse_ofac_ids(row.get("ids"))
    call_sign = clean(row.get("call_sign"))
    if call_sign:
        ids.append(Identifier("Call Sign", call_sign))
    for ident in ids:
        if all((i.scheme, i.value) != (ident.scheme, ident.value) for i in entity.identifiers):
            entity.identifiers.append(ident)
    if gender and entity.gender is None:
        entity.gender = gender
    owner = clean(row.get("vessel_owner"))
    add_unique(notes, [clean(row.get("title")) or "", clean(row.get("remarks")) or ""])
    add_unique(notes, [f"vessel owner: {owner}"] if owner else [])
