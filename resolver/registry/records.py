"""What a parser hands to the store: one source's entities and relations, format-neutral.

Every parser turns its format into these records; the store never sees a format.
Dates are ISO-8601 prefixes ("1966", "1966-10", "1966-10-24"); countries are
ISO-3166 alpha-2 codes in lower case (rigour's territory codes, e.g. "ru",
"ua-cri") where the raw value could be resolved, else the raw text lower-cased.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Entity kinds, as the store and the proto name them.
PERSON = "person"
ORGANIZATION = "organization"
VESSEL = "vessel"
AIRCRAFT = "aircraft"
UNKNOWN = "unknown"
KINDS = (PERSON, ORGANIZATION, VESSEL, AIRCRAFT, UNKNOWN)

# Name kinds.
NAME_PRIMARY = "primary"
NAME_ALIAS = "alias"  # a.k.a., strong / good-quality alias
NAME_WEAK = "weak_alias"  # OFAC "weak", UN "Low" quality
NAME_FORMER = "former"  # f.k.a.
NAME_KINDS = (NAME_PRIMARY, NAME_ALIAS, NAME_WEAK, NAME_FORMER)

# Relation kinds: "subject <kind> object", e.g. owner ownership asset.
REL_OWNERSHIP = "ownership"
REL_CONTROL = "control"
REL_DIRECTORSHIP = "directorship"
REL_FAMILY = "family"
REL_ASSOCIATE = "associate"
REL_LINKED_TO = "linked_to"  # OFAC "Linked To:": unquantified, direction as listed
RELATION_KINDS = (
    REL_OWNERSHIP,
    REL_CONTROL,
    REL_DIRECTORSHIP,
    REL_FAMILY,
    REL_ASSOCIATE,
    REL_LINKED_TO,
)

# Country roles.
COUNTRY_ROLES = ("nationality", "citizenship", "residence", "jurisdiction", "birth", "address", "other")


@dataclass(slots=True)
class Name:
    value: str
    kind: str = NAME_PRIMARY
    lang: str | None = None  # language or script as the source states it ("Russian", "ru")
    quality: str | None = None  # the source's own quality label ("good", "low", "strong", "weak")


@dataclass(slots=True)
class Identifier:
    scheme: str  # the source's label, e.g. "Passport", "Tax ID No.", "IMO", "innCode"
    value: str
    country: str | None = None
    note: str | None = None


@dataclass(slots=True)
class BirthDate:
    raw: str  # exactly as the source wrote it
    date: str | None = None  # ISO prefix; None when the raw text cannot be read as a date


@dataclass(slots=True)
class Country:
    code: str
    role: str = "other"
    raw: str | None = None


@dataclass(slots=True)
class Address:
    full: str
    street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    region: str | None = None
    country: str | None = None


@dataclass(slots=True)
class Entity:
    source_id: str  # the authority's own id, unique within the source
    kind: str
    names: list[Name]  # names[0] is the primary name
    programs: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)  # FtM-style: sanction, role.oligarch, export.control ...
    lists: list[str] = field(default_factory=list)  # authority lists this entry comes from (for multi-list files)
    listing_date: str | None = None
    identifiers: list[Identifier] = field(default_factory=list)
    birth_dates: list[BirthDate] = field(default_factory=list)
    birth_places: list[str] = field(default_factory=list)
    countries: list[Country] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    gender: str | None = None
    notes: str | None = None

    @property
    def primary_name(self) -> str:
        return self.names[0].value if self.names else ""


@dataclass(slots=True)
class Relation:
    subject_id: str  # source_id of the owner / controller / director / listed party
    kind: str
    object_id: str | None = None  # source_id of the other end, when the source resolves it
    object_name: str | None = None  # the raw name, when it does not (or as well)
    percentage: float | None = None  # exact share, when given
    percentage_min: float | None = None  # a range such as UK PSC "75-100%"
    percentage_max: float | None = None
    start_date: str | None = None
    end_date: str | None = None
    role: str | None = None  # "Director", "spouse", "Linked To" ...
    relation_id: str | None = None  # the source's own id for the relation, if any
    # Full entity ids ("gb_hmt:12345") when an end lives in ANOTHER source (an agency's corporate-registry edges
    # pointing at list entries); they override subject_id / object_id, which are ids within this source.
    subject_entity_id: str | None = None
    object_entity_id: str | None = None


@dataclass(slots=True)
class ParsedSource:
    source: str  # store-wide source name, e.g. "us_ofac_sdn"; one source = one replaceable unit
    format: str  # parser name, e.g. "ofac_csv"
    files: list[Path]
    publisher_date: str | None = None  # the publisher's own date for this version, when known
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
