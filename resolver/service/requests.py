"""Request checking and conversion: protobuf messages in, the matcher's `Query` and options out.

Every problem with a request is collected as a field violation (the field's path and what is wrong) so that
one INVALID_ARGUMENT answer names all of them, as google.rpc.BadRequest intends.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from rigour.territories import lookup_territory

from resolver.matching.query import Query
from resolver.names.clean import repair_c1
from resolver.names.prepare import MAX_NAME_CHARS
from resolver.service.errors import InvalidRequest, Violation
from resolver.v1 import resolver_pb2 as pb

DEFAULT_LIMIT = 10
MAX_LIMIT = 100
MAX_ALIASES = 20
MAX_IDENTIFIERS = 50
MAX_SHORT_FIELD = 200  # a country, an identifier, a source or topic name
MAX_ADDRESS_CHARS = 2000
MAX_FILTER_VALUES = 100

KIND_NAMES = {
    pb.ENTITY_KIND_UNSPECIFIED: None,
    pb.ENTITY_KIND_PERSON: "person",
    pb.ENTITY_KIND_ORGANIZATION: "organization",
    pb.ENTITY_KIND_VESSEL: "vessel",
    pb.ENTITY_KIND_AIRCRAFT: "aircraft",
}


@dataclass(frozen=True)
class Options:
    threshold: float | None  # a match weight; None = the model's default
    limit: int
    sources: frozenset[str] = frozenset()
    topics: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()
    skip_ownership: bool = False
    as_of: str | None = None  # ISO date the ownership edges and listings are judged at; None = today

    @property
    def filtered(self) -> bool:
        return bool(self.sources or self.topics or self.exclude)


@dataclass
class _Check:
    violations: list[Violation] = field(default_factory=list)

    def add(self, path: str, description: str) -> None:
        self.violations.append(Violation(path, description))

    def text(self, path: str, value: str, limit: int, *, required: bool = False) -> str:
        """A string field: at most `limit` characters, no control characters; stripped. Windows-1252 characters
        mis-decoded as C1 controls ("Xi\\x92an", as some lists publish it) are put back, as ingest does."""
        if len(value) > limit:
            self.add(path, f"is {len(value):,} characters long; at most {limit:,} are accepted")
            return ""
        value = repair_c1(value)
        if any(unicodedata.category(ch) == "Cc" and ch not in "\t\n\r" for ch in value):
            self.add(path, "contains control characters")
            return ""
        value = value.strip()
        if required and not value:
            self.add(path, "is required")
        return value


def _has_letters_or_digits(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _date(check: _Check, path: str, value: pb.PartialDate) -> str | None:
    """A PartialDate as an ISO prefix ("1966", "1966-10", "1966-10-24"); None when unset."""
    y, m, d = value.year, value.month, value.day
    if y == 0 and m == 0 and d == 0:
        return None
    if not 1800 <= y <= 2100:
        check.add(f"{path}.year", f"{y} is not a year between 1800 and 2100")
        return None
    if not 0 <= m <= 12:
        check.add(f"{path}.month", f"{m} is not a month (1-12, or 0 when unknown)")
        return None
    if d and not m:
        check.add(f"{path}.day", "a day needs a month")
        return None
    if d:
        try:
            return date(y, m, d).isoformat()
        except ValueError:
            check.add(f"{path}.day", f"{y:04d}-{m:02d}-{d:02d} is not a calendar date")
            return None
    return f"{y:04d}-{m:02d}" if m else f"{y:04d}"


def _country(check: _Check, path: str, value: str) -> str | None:
    value = check.text(path, value, MAX_SHORT_FIELD)
    if not value:
        return None
    territory = lookup_territory(value)
    if territory is None:
        check.add(path, f"{value!r} is not a country code or name the resolver knows")
        return None
    return str(territory.code)


def party_query(party: pb.Party, path: str = "party") -> Query:
    """The matcher's query for a party; raises InvalidRequest naming every bad field."""
    check = _Check()
    name = check.text(f"{path}.name", party.name, MAX_NAME_CHARS, required=True)
    if name and not _has_letters_or_digits(name):
        check.add(f"{path}.name", "has no letters or digits")
    if party.kind not in KIND_NAMES:
        check.add(f"{path}.kind", f"{party.kind} is not an EntityKind value")
    countries = [
        c for c in (_country(check, f"{path}.{f}", getattr(party, f)) for f in ("country", "nationality")) if c
    ]
    birth = _date(check, f"{path}.birth_date", party.birth_date) if party.HasField("birth_date") else None
    check.text(f"{path}.address", party.address, MAX_ADDRESS_CHARS)
    if len(party.aliases) > MAX_ALIASES:
        check.add(f"{path}.aliases", f"{len(party.aliases)} aliases; at most {MAX_ALIASES} are accepted")
    aliases = []
    for i, alias in enumerate(party.aliases[:MAX_ALIASES]):
        value = check.text(f"{path}.aliases[{i}]", alias, MAX_NAME_CHARS, required=True)
        if value and not _has_letters_or_digits(value):
            check.add(f"{path}.aliases[{i}]", "has no letters or digits")
        elif value:
            aliases.append(value)
    if len(party.identifiers) > MAX_IDENTIFIERS:
        check.add(f"{path}.identifiers", f"{len(party.identifiers)} identifiers; at most {MAX_IDENTIFIERS}")
    identifiers = []
    for i, ident in enumerate(party.identifiers[:MAX_IDENTIFIERS]):
        check.text(f"{path}.identifiers[{i}].scheme", ident.scheme, MAX_SHORT_FIELD)
        value = check.text(f"{path}.identifiers[{i}].value", ident.value, MAX_SHORT_FIELD, required=True)
        if ident.country:
            _country(check, f"{path}.identifiers[{i}].country", ident.country)
        if value:
            identifiers.append(value)
    if check.violations:
        raise InvalidRequest(check.violations)
    return Query(
        name=name,
        kind=KIND_NAMES.get(party.kind),
        birth_dates=(birth,) if birth else (),
        countries=tuple(dict.fromkeys(countries)),
        identifiers=tuple(identifiers),
        aliases=tuple(aliases),
    )


def weight_of(probability: float) -> float:
    """The match weight (log2 odds) of a match probability in (0, 1)."""
    return math.log2(probability / (1.0 - probability))


def resolve_options(options: pb.ResolveOptions, path: str = "options") -> Options:
    check = _Check()
    threshold = None
    if options.HasField("threshold"):
        p = options.threshold
        if not 0.0 < p < 1.0 or math.isnan(p):
            check.add(f"{path}.threshold", f"{p} is not a probability strictly between 0 and 1")
        else:
            threshold = weight_of(p)
    limit = options.limit or DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        check.add(f"{path}.limit", f"{options.limit} is not between 1 and {MAX_LIMIT} (0 means {DEFAULT_LIMIT})")
    sets = {}
    for name in ("sources", "topics", "exclude_entity_ids"):
        values = list(getattr(options, name))
        if len(values) > MAX_FILTER_VALUES:
            check.add(f"{path}.{name}", f"{len(values)} values; at most {MAX_FILTER_VALUES}")
        sets[name] = frozenset(check.text(f"{path}.{name}[{i}]", v, MAX_SHORT_FIELD) for i, v in enumerate(values))
    as_of = _date(check, f"{path}.as_of", options.as_of) if options.HasField("as_of") else None
    if check.violations:
        raise InvalidRequest(check.violations)
    return Options(
        threshold=threshold,
        limit=limit,
        sources=sets["sources"] - {""},
        topics=sets["topics"] - {""},
        exclude=sets["exclude_entity_ids"] - {""},
        skip_ownership=options.skip_ownership,
        as_of=as_of,
    )


def as_of_date(value: pb.PartialDate, path: str = "as_of") -> str | None:
    """An as-of date field as an ISO prefix (None when unset); raises InvalidRequest naming `path`."""
    check = _Check()
    day = _date(check, path, value)
    if check.violations:
        raise InvalidRequest(check.violations)
    return day


def party_record(party: pb.Party) -> dict[str, object]:
    """The party as plain data, for the audit log (which keeps what was asked, verbatim)."""
    return {
        "name": party.name,
        "kind": KIND_NAMES.get(party.kind) or "",
        "country": party.country,
        "nationality": party.nationality,
        "birth_date": [party.birth_date.year, party.birth_date.month, party.birth_date.day]
        if party.HasField("birth_date")
        else None,
        "address": party.address,
        "identifiers": [{"scheme": i.scheme, "value": i.value, "country": i.country} for i in party.identifiers],
        "aliases": list(party.aliases),
    }
