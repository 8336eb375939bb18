"""OFAC's Remarks mini-language: "DOB 24 Oct 1966; POB Saratov, Russia; Passport 123 (Russia); a.k.a. 'X'; ...".

The legacy CSV keeps most of an entry in one free-text Remarks field: birth data, nationality,
identifiers, weak aliases and "Linked To:" relations. ``parse_remarks`` splits it into
``;``-separated segments and classifies each one; it never raises, and whatever it cannot read
is kept as note text. The XML parser reuses the same helpers for its typed fields.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from resolver.registry.parsers._common import clean, country_code, parse_date
from resolver.registry.records import (
    NAME_ALIAS,
    NAME_FORMER,
    NAME_PRIMARY,
    NAME_WEAK,
    REL_LINKED_TO,
    BirthDate,
    Country,
    Entity,
    Identifier,
    Name,
    Relation,
)


@dataclass(slots=True)
class Remarks:
    """What one Remarks field says, by kind. ``notes`` keeps, in order, every segment not stored elsewhere."""

    names: list[Name] = field(default_factory=list)
    birth_dates: list[BirthDate] = field(default_factory=list)
    birth_places: list[str] = field(default_factory=list)
    countries: list[Country] = field(default_factory=list)
    gender: str | None = None
    identifiers: list[Identifier] = field(default_factory=list)
    linked_to: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # the subset of notes no rule recognised
    segments: int = 0


# Labels of identifiers as OFAC writes them, collected from the real lists. Longest first at match time,
# so "Diplomatic Passport" wins over "Passport" and "Tax ID No." over a generic guess.
ID_LABELS = (
    "Passport",
    "Diplomatic Passport",
    "British National Overseas Passport",
    "Stateless Person Passport",
    "Stateless Person ID Card",
    "Tax ID No.",
    "Registration Number",
    "Registration ID",
    "National ID No.",
    "National Foreign ID Number",
    "Cedula No.",
    "C.U.R.P.",
    "C.U.R.P. #",
    "R.F.C.",
    "RFC",
    "NIT #",
    "RUC #",
    "RIF #",
    "Identification Number",
    "Government Gazette Number",
    "Folio Mercantil No.",
    "Business Registration Number",
    "Business Registration Document #",
    "Business Number",
    "Commercial Registry Number",
    "Company Number",
    "UK Company Number",
    "Company ID: No.",
    "Matricula Mercantil No",
    "ISIN",
    "Equity Ticker",
    "Unified Social Credit Code (USCC)",
    "United Social Credit Code Certificate (USCCC)",
    "V.A.T. Number",
    "C.R. No.",
    "Romanian C.R.",
    "License",
    "D.N.I.",
    "Legal Entity Number",
    "SWIFT/BIC",
    "D-U-N-S Number",
    "Trade License No.",
    "Tourism License No.",
    "Electoral Registry No.",
    "Driver's License No.",
    "Economic Register Number (CBLS)",
    "Chamber of Commerce Number",
    "Istanbul Chamber of Comm. No.",
    "Dubai Chamber of Commerce Membership No.",
    "Italian Fiscal Code",
    "Fiscal Code",
    "BIK (RU)",
    "Birth Certificate Number",
    "Personal ID Card",
    "Credencial electoral",
    "Public Registration Number",
    "Cartilla de Servicio Militar Nacional",
    "US FEIN",
    "Chinese Commercial Code",
    "SSN",
    "Central Registration System Number",
    "Residency Number",
    "I.F.E.",
    "Enterprise Number",
    "Registered Charity No.",
    "Branch Unit Number",
    "C.U.I.T.",
    "C.U.I.P.",
    "C.U.I.",
    "LE Number",
    "Certificate of Incorporation Number",
    "Turkish Identification Number",
    "Numero de Identidad",
    "Citizen's Card Number",
    "RTN",
    "Kenyan ID No.",
    "Travel Document Number",
    "VisaNumberID",
    "File Number",
    "Permit Number",
    "SRE Permit No.",
    "Tazkira National ID Card",
    "Immigration No.",
    "Numero Unico de Identificacao Tributaria (NUIT)",
    "C.I.F.",
    "N.I.F.",
    "N.I.E.",
    "Afghan Money Service Provider License Number",
    "Pilot License Number",
    "Refugee ID Card",
    "UAE Identification",
    "Serial No.",
    "Public Security and Immigration No.",
    "Moroccan Personal ID No.",
    "Bosnian Personal ID No.",
    "Temporary suspension of deportation No.",
    "Paraguayan tax identification number",
    "CNP (Personal Numerical Code)",
    "Romanian Permanent Resident CAN",
    "Romanian Tax Registration",
    "MSB Registration Number",
    "Seafarer's Identification Document",
    "Organization Code",
    "Military Registration Number",
    "RSIN",
    "Trademark number",
    "Registration Certificate Number (Dubai)",
    "Russian State Individual Business Registration Number Pattern (OGRNIP)",
    "C.I.N.",
    "Tarjeta Profesional",
    "Identity Card",
    "Passport No.",
    "Website",
    "Email Address",
    "Email",
    "Phone Number",
    "Phone No.",
    "Telephone Number",
    "Telephone No.",
    "Telephone",
    "Fax No.",
    "Fax",
    "TELEX",
    "MMSI",
    "IMO",
    "International Maritime Organization No.",
    "Vessel Registration Identification",
    "Other Vessel Call Sign",
    "Call Sign",
    "Aircraft Tail Number",
    "Previous Aircraft Tail Number",
    "Aircraft Manufacturer's Serial Number (MSN)",
    "Aircraft Construction Number (also called L/N or S/N or F/N)",
    "Aircraft Serial Identification",
    "Aircraft Mode S Transponder Code",
    "UN/LOCODE",
)

# Segments that are sanctions or registry information rather than identity: kept as notes, counted as read.
NOTE_LABELS = (
    "Secondary sanctions risk",
    "Additional Sanctions Information",
    "Transactions Prohibited For Persons Owned or Controlled By U.S. Financial Institutions",
    "Executive Order",
    "CAATSA Section",
    "IFCA Determination",
    "Listing Date",
    "Effective Date",
    "Purchase/Sales For Divestment Date",
    "For more information",
    "all offices worldwide",
    "all branches worldwide",
    "and all other locations worldwide",
    "ICTY indictee",
    "Organization Established Date",
    "Organization Type",
    "Target Type",
    "Aircraft Model",
    "Aircraft Manufacture Date",
    "Aircraft Operator",
    "Vessel Year of Build",
    "Vessel Type",
    "Other Vessel Type",
    "Other Vessel Flag",
    "Former Vessel Flag",
    "Vessel Flag",
    "Vessel Owner",
    "Title",
    "Alternate Title",
    "Position",
    "ethnicity",
    "Tribe",
    "arrested",
    "Interpol",
    "Holder of a",
    "named in UNSCR",
    "Individual's height is",
    "Associated with",
)

# An unlisted "<Label> No./Number/ID ... <value with a digit>" is still an identifier.
_GENERIC_ID = re.compile(
    r"^(?P<label>[A-Z][A-Za-z.'/()\- ]{0,60}?(?:No\.?|Number|#|ID|Identification|Code|Card|Document|Passport|"
    r"Licen[cs]e|Permit|Certificate))\s*:?\s+(?P<value>\S*\d.*)$"
)
_ALT = re.compile(r"^alt\.\s*", re.IGNORECASE)
_NAME = re.compile(r"^(?P<kind>[afn])\.k\.a\.,?\s*(?P<value>.*)$", re.IGNORECASE | re.DOTALL)
_NAME_START = re.compile(r"^\s*(?:alt\.\s*)?[afn]\.k\.a\.\s*'", re.IGNORECASE)
_CLOSED_QUOTE = re.compile(r"'\s*[.,]?\s*$")
_LINKED = re.compile(r"^Linked To\s*:?\s*(?P<value>.*)$", re.IGNORECASE | re.DOTALL)
_DOB = re.compile(r"^DOB\s*:?\s*(?P<value>.*)$")
_POB = re.compile(r"^POB\s*:?\s*(?P<value>.*)$", re.IGNORECASE)
_CITIZEN = re.compile(r"^(?P<kind>nationality|citizen(?:ship)?)\s*:?\s+(?P<value>.*)$", re.IGNORECASE)
_REGISTRATION_NATIONALITY = re.compile(r"^Nationality of Registration\s+(?P<value>.*)$", re.IGNORECASE)
_GENDER = re.compile(r"^Gender\s*:?\s*(?P<value>Male|Female)\b", re.IGNORECASE)
_CURRENCY = re.compile(r"^(?P<label>Digital Currency Address - [A-Za-z0-9]+)\s*:?\s*(?P<value>\S.*)$")
_BARE_WEBSITE = re.compile(r"^(?P<value>(?:https?://|www\.)\S+)(?:\s*\(website\))?$", re.IGNORECASE)
_IMO_VALUE = re.compile(r"^IMO\s*:?\s*\(?(?P<value>\d{7})\)?$")
_TAIL = re.compile(r"\s*,?\s+(?P<note>(?:issued|expires|expired|issue date|expire date)\b.*)$", re.IGNORECASE)
_PAREN_TAIL = re.compile(r"\s*\((?P<inner>[^()]*)\)\s*$")
_RANGE = re.compile(r"^(?P<start>.+?)\s*(?:\bto\b|(?<=\d)-(?=\d{4}$))\s*(?P<end>.+)$", re.IGNORECASE)
_CIRCA = re.compile(r"^(?:circa|approximately|approx\.?|about|ca\.)[\s-]*", re.IGNORECASE)
_POSSIBLY = re.compile(r"^(?:possibly|probably|reportedly)\s+", re.IGNORECASE)


class _Labels:
    """Longest-prefix lookup of known labels, indexed by first word: far cheaper than one big regex."""

    def __init__(self, labels: tuple[str, ...]) -> None:
        self._by_word: dict[str, list[str]] = defaultdict(list)
        self._longest = max(len(label) for label in labels)
        for label in sorted({label.lower() for label in labels}, key=len, reverse=True):
            self._by_word[_first_word(label)].append(label)

    def match(self, text: str) -> tuple[str, str] | None:
        """(label as written in the text, rest) when the text starts with a known label, case aside."""
        candidates = self._by_word.get(_first_word(text).lower())
        if not candidates:
            return None
        lowered = text[: self._longest].lower()
        for label in candidates:
            end = len(label)
            # a label ending in a letter must end a word, so "License" does not claim "Licensed ..."
            if lowered.startswith(label) and (end == len(text) or not label[-1].isalnum() or not text[end].isalnum()):
                return text[:end], text[end:].lstrip(" :#\t")
        return None


def _first_word(text: str) -> str:
    match = _WORD.match(text)
    return match.group(0) if match else ""


_WORD = re.compile(r"[^\s:#]*")
_ID_LABELS = _Labels(ID_LABELS)
_NOTE_LABELS = _Labels(NOTE_LABELS)


def split_segments(text: str) -> list[str]:
    """Split on ';' but keep a quoted alias whole: "a.k.a. 'A; B'" is one segment.

    Quotes cannot simply be counted because names carry apostrophes ("ABU 'ABDALLAH"), so a
    segment that opens an alias quote and does not close it is joined with the next pieces
    until one closes it, unless the next piece clearly starts a new segment.
    """
    pieces = text.split(";")
    out: list[str] = []
    i = 0
    while i < len(pieces):
        seg = pieces[i]
        if _NAME_START.match(seg) and not _CLOSED_QUOTE.search(seg):
            j = i + 1
            joined = seg
            while j < len(pieces) and j - i <= 3 and not _starts_segment(pieces[j]):
                joined = f"{joined};{pieces[j]}"
                if _CLOSED_QUOTE.search(joined):
                    seg, i = joined, j
                    break
                j += 1
        out.append(seg.strip())
        i += 1
    return [s for s in out if s]


def _starts_segment(piece: str) -> bool:
    piece = _ALT.sub("", piece.strip())
    return bool(
        _NAME.match(piece)
        or _LINKED.match(piece)
        or _DOB.match(piece)
        or _POB.match(piece)
        or _CITIZEN.match(piece)
        or _GENDER.match(piece)
        or _ID_LABELS.match(piece)
        or _NOTE_LABELS.match(piece)
    )


@lru_cache(maxsize=4096)
def resolved_country(raw: str | None) -> str | None:
    """The territory code of a country name, or None when the text is not a known country."""
    value = clean(raw)
    if value is None:
        return None
    value = re.sub(r"^Region:\s*", "", value)
    code = country_code(value)
    if code is None or code == value.lower():
        return None
    return code


def country(raw: str | None, role: str) -> Country | None:
    """A Country record; unresolvable text is kept lower-cased, as records.py specifies."""
    value = clean(raw)
    if value is None:
        return None
    code = resolved_country(value) or value.lower()
    return Country(code=code, role=role, raw=value)


def birth_date(raw: str) -> BirthDate:
    """A DOB as written plus its ISO prefix: "circa 1966" gives "1966"; a range gives what both ends share."""
    value = " ".join(raw.split())
    body = _CIRCA.sub("", value)
    # ranges first: parse_date would read "1979-1982" as 1979
    if m := _RANGE.match(body):
        start, end = parse_date(m["start"]), parse_date(m["end"])
        shared: list[str] = []
        if start and end:
            # "01 Jan 1961 to 31 Dec 1961" is 1961; "1951 to 1953" has no single year, so no date
            for part_a, part_b in zip(start.split("-"), end.split("-"), strict=False):
                if part_a != part_b:
                    break
                shared.append(part_a)
        return BirthDate(raw=value, date="-".join(shared) or None)
    return BirthDate(raw=value, date=parse_date(body))


def identifier(label: str, rest: str) -> Identifier | None:
    """An identifier from a label and "value (Country) issued ... expires ..."; None when no value is left."""
    value = rest.strip().rstrip(";").strip()
    if value.endswith("."):
        value = value[:-1].rstrip()  # the full stop closing the Remarks field
    note: str | None = None
    if m := _TAIL.search(value):
        note = m["note"].rstrip(".")
        value = value[: m.start()].rstrip(" ,")
    code: str | None = None
    while m := _PAREN_TAIL.search(value):
        found = resolved_country(m["inner"])
        if found is None:
            break
        code = code or found
        value = value[: m.start()].rstrip(" ,")
    value = value.strip(" ,:")
    if not value:
        return None
    scheme = label
    if m := _IMO_VALUE.match(value):
        # "Vessel Registration Identification IMO 7406784" is an IMO number; the label says what it numbers
        return Identifier(scheme="IMO", value=m["value"], country=code, note=label if label != "IMO" else note)
    if label == "International Maritime Organization No.":
        return Identifier(scheme="IMO", value=value.strip("()"), country=code, note=note)
    return Identifier(scheme=scheme, value=value, country=code, note=note)


def is_note_label(label: str) -> bool:
    """True when an OFAC id type is sanctions/registry information rather than an identifier."""
    return _NOTE_LABELS.match(label.strip()) is not None


def _unquote(value: str) -> str | None:
    """The name inside "'X'" (apostrophes within it kept); None when the quote is cut off."""
    value = value.strip()
    if value.endswith("."):
        value = value[:-1].rstrip()
    if value.startswith("'"):
        if len(value) < 2 or not value.endswith("'"):
            return None  # a Remarks field truncated mid-name: a partial name would match the wrong people
        value = value[1:-1]
        # "'ABU-AL-KARKH', 'Yusuf'" is one name written as two quoted parts
        value = value.replace("', '", ", ")
    return value.strip() or None


def parse_remarks(text: str | None) -> Remarks:
    """Classify every segment of a Remarks field. Never raises."""
    out = Remarks()
    value = clean(text)
    if value is None:
        return out
    if value.startswith("(") and value.endswith(")") and value.count("(") == 1:
        value = value[1:-1]  # the XML writes "(Linked To: X)"
    try:
        segments = split_segments(value)
    except Exception:  # never expected; a plain split still keeps every word
        segments = [s.strip() for s in value.split(";") if s.strip()]
    for segment in segments:
        out.segments += 1
        try:
            known = _classify(segment, out)
        except Exception:  # odd text must never stop an ingest; keep it as a note
            known = False
        if not known:
            out.notes.append(segment)
            out.unknown.append(segment)
    return out


_REMARK_NAME_KINDS = {"a": NAME_WEAK, "f": NAME_FORMER, "n": NAME_ALIAS}


def _classify(segment: str, out: Remarks) -> bool:
    """Store one segment where it belongs; False when no rule knows it. Segments arrive whitespace-clean."""
    body = _ALT.sub("", segment) if segment[:4].lower() == "alt." else segment
    first = _first_word(body).lower()
    if first in ("a.k.a.", "f.k.a.", "n.k.a.", "a.k.a.,") and (m := _NAME.match(body)):
        name = _unquote(m["value"])
        if name is None:
            return False
        kind = _REMARK_NAME_KINDS[m["kind"].lower()]
        out.names.append(Name(value=name, kind=kind, quality="weak" if kind == NAME_WEAK else None))
        return True
    if first == "linked" and (m := _LINKED.match(body)):
        target = m["value"].strip().rstrip(".").strip()
        if target:
            out.linked_to.append(target)
        return bool(target)
    if first == "dob" and (m := _DOB.match(body)):
        value = m["value"].rstrip(".").strip()
        if value:
            out.birth_dates.append(birth_date(value))
        return bool(value)
    if first == "pob" and (m := _POB.match(body)):
        place = m["value"].rstrip(".").strip()
        if place:
            out.birth_places.append(place)
            last = place.rsplit(",", 1)[-1].strip()
            if code := resolved_country(last):
                out.countries.append(Country(code=code, role="birth", raw=last))
        return bool(place)
    if first == "nationality" and (m := _REGISTRATION_NATIONALITY.match(body)):
        found = country(m["value"].rstrip("."), "jurisdiction")  # an aircraft's state of registry
        if found is not None:
            out.countries.append(found)
        return found is not None
    if first in ("nationality", "citizen", "citizenship") and (m := _CITIZEN.match(body)):
        raw = m["value"].rstrip(".").strip()
        if not raw:
            return False
        role = "nationality" if m["kind"].lower() == "nationality" else "citizenship"
        code = resolved_country(_POSSIBLY.sub("", raw)) or raw.lower()
        out.countries.append(Country(code=code, role=role, raw=raw))
        return True
    if first == "gender" and (m := _GENDER.match(body)):
        out.gender = m["value"].lower()
        return True
    if first == "digital" and (m := _CURRENCY.match(body)):
        ident = identifier(m["label"], m["value"])
        if ident:
            out.identifiers.append(ident)
        return ident is not None
    if labelled := _ID_LABELS.match(body):
        ident = identifier(*labelled)
        if ident is not None:
            out.identifiers.append(ident)
            return True
    if _NOTE_LABELS.match(body):
        out.notes.append(segment.rstrip("."))
        return True
    if m := _BARE_WEBSITE.match(body):
        out.identifiers.append(Identifier(scheme="Website", value=m["value"].rstrip(".")))
        return True
    if m := _GENERIC_ID.match(body):
        ident = identifier(m["label"].strip(), m["value"])
        if ident is not None:
            out.identifiers.append(ident)
            return True
    return False


def normalise_name(value: str) -> str:
    """The key "Linked To:" targets are matched on: case, spacing and trailing punctuation do not count."""
    return " ".join(value.split()).rstrip(".,;: ").casefold()


def resolve_links(entities: list[Entity], links: list[tuple[str, str]]) -> list[Relation]:
    """Relations for (subject source_id, raw target name) pairs, resolved within one source.

    A target resolves when exactly one entity has it as primary name; failing that, when exactly
    one has it as another name. Two entities with the same primary name stay unresolved rather
    than guessed.
    """
    primary: dict[str, set[str]] = defaultdict(set)
    other: dict[str, set[str]] = defaultdict(set)
    for entity in entities:
        for name in entity.names:
            index = primary if name.kind == NAME_PRIMARY else other
            index[normalise_name(name.value)].add(entity.source_id)
    relations: list[Relation] = []
    for subject, target in links:
        key = normalise_name(target)
        hits = primary.get(key) or other.get(key) or set()
        object_id = next(iter(hits)) if len(hits) == 1 else None
        relations.append(
            Relation(subject_id=subject, kind=REL_LINKED_TO, object_id=object_id, object_name=target, role="Linked To")
        )
    return relations
