"""Model input rows: one per (entity, name) for the registry, one per party for a query.

Splink (bulk, training, parity) and the compiled scorer (online) read exactly these columns.
Lists are None rather than empty: Splink's null levels test IS NULL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from resolver.names import NameFeatures, prepare_name
from resolver.names.prepare import GENERIC_ORG_WORDS, fold, slavic_skeleton
from resolver.registry.parsers._common import country_code

# The columns every model row has, in order.
COLUMNS = (
    "unique_id", "entity_id", "name", "name_norm", "name_sorted", "name_folded", "name_tokens", "name_folded_tokens",
    "name_phonetic", "name_skeleton", "name_skeleton_tokens", "name_skeleton_full", "name_slavic_full",
    "name_slavic_tokens", "name_script", "legal_form",
    "kind", "dob_dates", "dob_months", "dob_years", "countries", "identifiers",
)  # fmt: skip

# Scripts whose names the cross-script skeleton level compares: a consonant skeleton says something about a
# Latin, Cyrillic or Arabic-script name; of a romanised Chinese or Korean one ("li ming"), it says nothing.
SKELETON_SCRIPTS = frozenset({"latin", "cyrillic", "arabic"})

# Words that make an unstated kind an organisation (with a legal form or a digit in the name).
ORGANIZATION_WORDS = GENERIC_ORG_WORDS | frozenset(
    "bank institute institut university factory plant zavod center centre ministry corps army front brigade "
    "organisation organization organizatsiya association foundation fund committee party airlines airline "
    "shipping aviation petroleum oil gas energy electronics laboratory research engineering systems network "
    "bureau agency office department council society union movement battalion regiment militia brigades "
    "hospital school academy works manufacturing "
    "obshchestvo obshcestvo aktsionernoe kompaniya korporatsiya predpriyatie tovarishchestvo".split()
)

_ID_CHARS = re.compile(r"[^A-Z0-9]")
_ISO = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _list(values: Iterable[str]) -> list[str] | None:
    out = sorted(set(values))  # sorted + distinct: list_intersect and the scorer see the same sets
    return out or None


def normalise_identifier(value: str) -> str | None:
    """Upper-case letters and digits only; ids shorter than 4 characters identify nothing."""
    clean = _ID_CHARS.sub("", value.upper())
    return clean if len(clean) >= 4 else None


def date_parts(dates: Iterable[str | None]) -> tuple[list[str] | None, list[str] | None, list[str] | None]:
    """Full dates, year-months and years of ISO prefixes ("1966", "1966-10", "1966-10-24")."""
    valid = [d for d in dates if d and _ISO.match(d)]
    return (
        _list(d for d in valid if len(d) == 10),
        _list(d[:7] for d in valid if len(d) >= 7),
        _list(d[:4] for d in valid),
    )


def stated_kind(kind: str | None) -> str | None:
    """The kind as stated: "unknown" and anything else unstated is None."""
    return kind if kind in ("person", "organization", "vessel", "aircraft") else None


def guessed_kind(features: NameFeatures) -> str | None:
    """The kind an unstated party's name suggests: an organisation when it carries a legal form, an organisation
    word or a digit; a person when it has two to five words and none of those; else None. Lists derived without
    their entity types, and declarations that leave the kind out, would otherwise lose the kind's evidence."""
    if features.norm is None:
        return None
    words = features.norm.split()
    if features.legal_form or any(w in ORGANIZATION_WORDS for w in words) or any(c.isdigit() for c in features.norm):
        return "organization"
    return "person" if 2 <= len(words) <= 5 else None


def model_row(
    unique_id: str,
    entity_id: str | None,
    name: str,
    kind: str | None,
    birth_dates: Iterable[str | None] = (),
    countries: Iterable[str | None] = (),
    identifiers: Iterable[str] = (),
    *,
    features: NameFeatures | None = None,
    index_keys: bool = False,
) -> dict[str, Any]:
    """One model row. ``kind`` None or "unknown" means not stated; countries are codes or names.

    ``features``: the name already prepared with `stated_kind(kind)` (the online matcher prepares a query's name
    once, for this row and for its index keys). An unstated kind is guessed from the name (``guessed_kind``);
    ``kind_guessed`` says so. With ``index_keys``, the row also holds the name's candidate-index keys
    (``index_keys``), so that a matcher built from it need not prepare the name again. Neither is a model column."""
    kind = stated_kind(kind)
    f = features if features is not None else prepare_name(name, kind)
    guessed = kind is None and (kind := guessed_kind(f)) is not None
    dates, months, years = date_parts(birth_dates)
    row = {
        "unique_id": unique_id,
        "entity_id": entity_id,
        "name": name,
        "name_norm": f.norm,
        "name_sorted": f.sorted,
        "name_folded": f.folded,
        "name_tokens": _list(f.blocking_tokens()),
        "name_folded_tokens": _list(t for t in (fold(x) for x in f.blocking_tokens()) if t),
        "name_phonetic": f.phonetic,
        # one consonant skeleton ("hng", "mhmd") is shared by thousands of unrelated names: the
        # whole-skeleton level needs two words or more
        "name_skeleton": " ".join(sorted(f.skeleton)) if len(f.skeleton) >= 2 else None,
        "name_skeleton_tokens": _list(f.skeleton),
        "name_skeleton_full": f.skeleton_full,
        "name_slavic_full": f.slavic_full,
        # the words' East Slavic skeletons, for the cross-script subset level: a patronymic one list leaves out
        # ("BYKAU Alexander Valerievich" / "БЫКАЎ, Аляксандр"); not of Arabic script, as name_slavic_full
        "name_slavic_tokens": None
        if f.script == "arabic"
        else _list(k for k in (slavic_skeleton(t) for t in f.blocking_tokens() if t.isalpha()) if k),
        "name_script": f.script if f.script in SKELETON_SCRIPTS and f.norm is not None else None,
        "legal_form": f.legal_form,
        "kind": kind,
        "kind_guessed": guessed,
        "dob_dates": dates,
        "dob_months": months,
        "dob_years": years,
        "countries": _list(c for c in (country_code(x) for x in countries) if c),
        "identifiers": _list(i for i in (normalise_identifier(x) for x in identifiers) if i),
    }
    if index_keys:
        row["index_keys"] = f.index_keys()
    return row
