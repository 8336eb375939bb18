"""US BIS Denied Persons List: the tab-separated file with a quoted header ("Name" "Street_Address" ...).

The DPL has one row per (party, address, order) and no id of its own. A party denied at several
addresses (AL NASER WINGS AIRLINES: Baghdad, Dubai, Amman) or under several orders (I. ASH, 2002 and
2003) shows up on several rows with the same name, so an entity is keyed by its name (whitespace
collapsed, upper-cased): one entity per listed name, carrying all of its addresses, the earliest
effective date and every Federal Register citation. Different spellings (ALNASER AIRLINES,
AL-NASER AIRLINES) are separate rows of the list and stay separate entities: the list does not say
they are one party. source_id is a hash of that key, so it is stable across versions of the list.

The list does not say whether a party is a person or a company; ``looks_like_organization`` decides
from legal forms and trade words in the name (LLC, LTD, GMBH, S.A., AIRLINES ...), else person.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from resolver.registry.parsers._common import clean, country_code, parse_date, read_csv_header
from resolver.registry.records import (
    NAME_ALIAS,
    NAME_PRIMARY,
    ORGANIZATION,
    PERSON,
    Address,
    Country,
    Entity,
    Name,
    ParsedSource,
)

FORMAT = "bis_dpl"
DESCRIPTION = "US BIS Denied Persons List (tab-separated, quoted header Name/Street_Address/...)"
DEFAULT_SOURCE = "us_bis_dpl"
LIST_CODE = "us_bis_dpl"
TOPICS = ["export.control", "debarment"]

_REQUIRED = ["Name", "Street_Address", "City", "State", "Country", "Postal_Code", "Effective_Date", "FR_Citation"]
_HEADER = re.compile(r'^\ufeff?"?Name"?\t"?Street_Address"?\t')

# Legal forms and words only a business, airline or institution carries. A heuristic: a person is the
# default because most DPL parties are individuals (the DTC debarment list is similar).
_ORG_WORDS = re.compile(
    r"(?:^|[\s,(])(?:"
    r"L\.?L\.?C|L\.?L\.?P|LTD|LIMITED|INC|INCORPORATED|CORP|CORPORATION|CO|COMPANY|GMBH|AG|A\.G|AB|KG|ANSTALT"
    r"|S\.?A|S\.?L|S\.?R\.?L|S\.?A\.?R\.?L|S\.?P\.?A|B\.?V|N\.?V|PLC|PTE|PTY|PVT|JSC|OJSC|PJSC|CJSC|OOO|ZAO|FZE|FZC|FZCO"
    r"|AIR|AIRLINES?|AIRWAYS|AVIATION|TRADING|TRADE|EXPORT|INDUSTRIES|INDUSTRIE|INDUSTRIAL|ENTERPRISES?"
    r"|INTERNATIONAL|INTERNACIONAL|GROUP|HOLDINGS?|TECHNOLOGY|TECHNOLOGIES|TECHNIK|SOLUTIONS|SYSTEMS|ELECTRONICS?"
    r"|ENGINEERING|COMPUTERS|METALS|SERVICES?|MANUFACTURING|EQUIPMENT|PRODUCTS|ASSOCIATES|CONTRACTING|MICROWAVE"
    r"|BANK|INSTITUTE|UNIVERSITY|LABORATOR(?:Y|IES)|FOUNDATION|ASSOCIATION|AGENCY|FACTORY|PLANT"
    r")(?:$|[\s.,)])"
    r"|\.(?:NET|COM)\b",
    re.IGNORECASE,
)
# "FUYI SUN A/K/A FRANK SUN", "SIBERIAN AIRLINES D/B/A S7 AIRLINES", "PEARL (A.K.A. NEI-CHIEN CHU) LI"
_AKA_SPLIT = re.compile(r"\s+(?:A/K/A|D/B/A|F/K/A|A\.K\.A\.?)\s+", re.IGNORECASE)
_AKA_PAREN = re.compile(r"\s*\((?:A/K/A|A\.K\.A\.?)\s+([^)]+)\)\s*", re.IGNORECASE)


def looks_like_organization(name: str) -> bool:
    return _ORG_WORDS.search(name) is not None


def split_names(raw: str) -> list[str]:
    """A listed name with its embedded a.k.a./d.b.a. parts split out; the first is the main name."""
    aliases = [a.strip() for a in _AKA_PAREN.findall(raw)]
    main = _AKA_PAREN.sub(" ", raw)
    parts = [p for p in (clean(x) for x in _AKA_SPLIT.split(main)) if p]
    names = parts + [a for a in (clean(x) for x in aliases) if a]
    return list(dict.fromkeys(names)) or [raw]


def name_key(name: str) -> str:
    return (clean(name) or "").upper()


def stable_id(*parts: str) -> str:
    """A short hash id for rows the publisher gives no id: same input, same id, across versions."""
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def sniff(path: Path, head: str) -> bool:
    return _HEADER.match(head.lstrip("\r\n")) is not None


def parse(paths: list[Path], source: str | None = None) -> ParsedSource:
    result = ParsedSource(source=source or DEFAULT_SOURCE, format=FORMAT, files=list(paths))
    by_key: dict[str, Entity] = {}
    citations: dict[str, list[str]] = {}
    for path in paths:
        for _line, row in read_csv_header(path, _REQUIRED, delimiter="\t"):
            raw_name = clean(row["Name"])
            if raw_name is None:
                continue  # a row without a name cannot be screened against
            key = name_key(raw_name)
            entity = by_key.get(key)
            if entity is None:
                names = split_names(raw_name)
                kind = ORGANIZATION if looks_like_organization(raw_name) else PERSON
                entity = Entity(
                    source_id=stable_id(key),
                    kind=kind,
                    names=[Name(names[0], NAME_PRIMARY)] + [Name(n, NAME_ALIAS) for n in names[1:]],
                    topics=list(TOPICS),
                    lists=[LIST_CODE],
                )
                by_key[key] = entity
                citations[key] = []
                result.entities.append(entity)
            _add_row(entity, row, citations[key])
    for key, entity in by_key.items():
        entity.notes = "; ".join(citations[key]) or None
    return result


def _add_row(entity: Entity, row: dict[str, str], citations: list[str]) -> None:
    effective = parse_date(row["Effective_Date"], month_first=True)
    if effective and (entity.listing_date is None or effective < entity.listing_date):
        entity.listing_date = effective  # the earliest order is when the party was first denied
    street, city, state = clean(row["Street_Address"]), clean(row["City"]), clean(row["State"])
    postal, country_raw = clean(row["Postal_Code"]), clean(row["Country"])
    country = country_code(country_raw)
    full = ", ".join(p for p in (street, city, state, postal, country_raw) if p)
    if full and all(a.full != full for a in entity.addresses):
        entity.addresses.append(Address(full, street, city, postal, state, country))
    if country and all(c.code != country for c in entity.countries):
        entity.countries.append(Country(country, "address", country_raw))
    citation = clean(row["FR_Citation"])
    if citation and citation not in citations:
        citations.append(citation)
