"""The agency's own corporate-registry edges: who owns or controls whom, as a strict UTF-8 CSV.

Format (docs/ownership-format.md): header with ``owner_id,owner_name,owned_id,owned_name`` (required) and
optional ``owner_kind,owned_kind,owner_country,owned_country,kind,percentage,percentage_min,percentage_max,
role,source,start_date,end_date,relation_id``. An id written ``@<source>:<id>`` (``@gb_hmt:13256``) is an
entity of another source in the store; any other id is local to the file and becomes an (unlisted) node
entity of this source. The reader is strict, like the watchlist: a file typed or exported by hand must not
lose an edge silently, so every bad value is an IngestError naming the line and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from resolver.registry.errors import IngestError
from resolver.registry.parsers._common import clean, country_code, csv_header, first_occurrence, iter_csv_records
from resolver.registry.records import (
    AIRCRAFT,
    NAME_PRIMARY,
    ORGANIZATION,
    PERSON,
    REL_CONTROL,
    REL_OWNERSHIP,
    RELATION_KINDS,
    UNKNOWN,
    VESSEL,
    Country,
    Entity,
    Name,
    ParsedSource,
    Relation,
)

FORMAT = "ownership_csv"
DESCRIPTION = "Agency ownership edges CSV (owner_id,owner_name,owned_id,owned_name,...; docs/ownership-format.md)"

REQUIRED = ("owner_id", "owner_name", "owned_id", "owned_name")
COLUMNS = (
    *REQUIRED,
    "owner_kind",
    "owned_kind",
    "owner_country",
    "owned_country",
    "kind",
    "percentage",
    "percentage_min",
    "percentage_max",
    "role",
    "source",
    "start_date",
    "end_date",
    "relation_id",
)
REF_PREFIX = "@"
_NODE_KINDS = {PERSON, ORGANIZATION, VESSEL, AIRCRAFT, UNKNOWN}
# A share only means something for holdings and voting control, not for a directorship or a family tie.
_SHARE_KINDS = {REL_OWNERSHIP, REL_CONTROL}
_REF = re.compile(r"^@([a-z0-9][a-z0-9_]*):(\S.*)$")
_ISO_PREFIX = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_STEM = re.compile(r"[^a-z0-9]+")

Fail = Callable[[str, str], IngestError]  # (column, problem) -> the error naming file and line


def default_source(path: Path) -> str:
    return "ownership_" + (_STEM.sub("_", path.stem.lower()).strip("_") or "edges")


def sniff(path: Path, head: str) -> bool:
    names = csv_header(head)
    # owner_id + owned_id is specific enough; unknown columns are then reported by parse, not mis-detected.
    return names is not None and {"owner_id", "owned_id"} <= names


@dataclass
class _Node:
    entity: Entity
    path: Path
    where: str  # "line N" of the first row that mentioned it
    named: bool = False
    kind_set: bool = False
    countries: set[str] = field(default_factory=set)


def parse(paths: list[Path], source: str | None = None) -> ParsedSource:
    result = ParsedSource(source=source or default_source(paths[0]), format=FORMAT, files=list(paths))
    nodes: dict[str, _Node] = {}
    relation_ids: dict[str, str] = {}
    for path in paths:
        for line, row in _rows(path):
            relation = _edge(path, line, row, nodes)
            if relation.relation_id is not None:
                first_occurrence(relation_ids, relation.relation_id, path, line, "relation_id", "duplicate relation_id")
            result.relations.append(relation)
    for local_id, node in nodes.items():
        if not node.named:
            raise IngestError(node.path, node.where, f"local id {local_id!r} has no name on any row")
        result.entities.append(node.entity)
    return result


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    return list(iter_csv_records(path, COLUMNS, REQUIRED))


def _edge(path: Path, line: int, row: dict[str, str], nodes: dict[str, _Node]) -> Relation:
    def fail(column: str, problem: str) -> IngestError:
        return IngestError(path, f"line {line}, column {column}", problem)

    kind = (clean(row.get("kind")) or REL_OWNERSHIP).lower()
    if kind not in RELATION_KINDS:
        raise fail("kind", f"{row['kind']!r} is not one of {', '.join(RELATION_KINDS)} (or blank for ownership)")

    ends: dict[str, tuple[str | None, str | None]] = {}  # side -> (local id, full entity id)
    for side in ("owner", "owned"):
        raw = clean(row.get(f"{side}_id"))
        if raw is None:
            raise fail(f"{side}_id", "required value is blank")
        if raw.startswith(REF_PREFIX):
            m = _REF.match(raw)
            if m is None:
                raise fail(f"{side}_id", f"{raw!r} is not a reference @<source>:<id> (e.g. @gb_hmt:13256)")
            for column in (f"{side}_kind", f"{side}_country"):
                if clean(row.get(column)):
                    raise fail(column, f"only for local ids: {raw} is described by its own source")
            ends[side] = (None, f"{m[1]}:{m[2]}")
        else:
            _node(fail, path, line, row, side, raw, nodes)
            ends[side] = (raw, None)
    (owner_local, owner_ref), (owned_local, owned_ref) = ends["owner"], ends["owned"]
    if ends["owner"] == ends["owned"]:
        raise fail("owned_id", "an entity cannot own or control itself")

    exact, low, high = _share(fail, row)
    if kind not in _SHARE_KINDS and (exact is not None or low is not None or high is not None):
        raise fail("percentage", f"a share is only meaningful for {' or '.join(sorted(_SHARE_KINDS))}, not {kind}")

    start, end = _date(fail, row, "start_date"), _date(fail, row, "end_date")
    if start is not None and end is not None and _before(end, start):
        raise fail("end_date", f"{end} is before start_date {start}")

    role_parts = [clean(row.get("role")), f"source: {s}" if (s := clean(row.get("source"))) else None]
    return Relation(
        subject_id=owner_local or "",
        kind=kind,
        object_id=owned_local,
        object_name=clean(row.get("owned_name")) if owned_ref else None,
        percentage=exact,
        percentage_min=low,
        percentage_max=high,
        start_date=start,
        end_date=end,
        role="; ".join(p for p in role_parts if p) or None,
        relation_id=clean(row.get("relation_id")),
        subject_entity_id=owner_ref,
        object_entity_id=owned_ref,
    )


def _node(
    fail: Fail, path: Path, line: int, row: dict[str, str], side: str, local_id: str, nodes: dict[str, _Node]
) -> None:
    """Create or complete the unlisted node entity for a local id; conflicting descriptions are errors."""
    name = clean(row.get(f"{side}_name"))
    kind_raw = clean(row.get(f"{side}_kind"))
    kind = kind_raw.lower() if kind_raw else None
    if kind is not None and kind not in _NODE_KINDS:
        raise fail(f"{side}_kind", f"{kind_raw!r} is not one of {', '.join(sorted(_NODE_KINDS))} (or blank)")
    node = nodes.get(local_id)
    if node is None:
        node = _Node(
            Entity(source_id=local_id, kind=UNKNOWN, names=[Name(local_id, NAME_PRIMARY)]), path, f"line {line}"
        )
        nodes[local_id] = node
    if name is not None:
        if not node.named:
            node.entity.names = [Name(name, NAME_PRIMARY)]
            node.named = True
        elif name != node.entity.primary_name:
            raise fail(f"{side}_name", f"{local_id!r} is named {node.entity.primary_name!r} at {node.where}")
    if kind is not None:
        if node.kind_set and kind != node.entity.kind:
            raise fail(f"{side}_kind", f"{local_id!r} is a {node.entity.kind} at {node.where}")
        node.entity.kind, node.kind_set = kind, True
    for raw in (p for p in (clean(v) for v in (row.get(f"{side}_country") or "").split("|")) if p):
        code = country_code(raw) or raw.lower()
        if code not in node.countries:
            node.countries.add(code)
            # registration country of a company, residence/nationality of a person: the file does not say which
            node.entity.countries.append(Country(code, "other", raw))


def _share(fail: Fail, row: dict[str, str]) -> tuple[float | None, float | None, float | None]:
    values: dict[str, float | None] = {}
    for column in ("percentage", "percentage_min", "percentage_max"):
        raw = clean(row.get(column))
        if raw is None:
            values[column] = None
            continue
        try:
            value = float(raw.removesuffix("%").strip())
        except ValueError:
            raise fail(column, f"{raw!r} is not a number") from None
        if not 0 <= value <= 100:
            raise fail(column, f"{raw} is outside 0-100")
        values[column] = value
    exact, low, high = values["percentage"], values["percentage_min"], values["percentage_max"]
    if exact is not None and (low is not None or high is not None):
        raise fail("percentage", "give either an exact percentage or a range (percentage_min/percentage_max), not both")
    if low is not None and high is not None and low > high:
        raise fail("percentage_min", f"{low:g} is greater than percentage_max {high:g}")
    return exact, low, high


def _date(fail: Fail, row: dict[str, str], column: str) -> str | None:
    raw = clean(row.get(column))
    if raw is None:
        return None
    m = _ISO_PREFIX.match(raw)
    ok = False
    if m is not None:
        try:
            date(int(m[1]), int(m[2] or 1), int(m[3] or 1))
            ok = 1000 <= int(m[1]) <= 2100
        except ValueError:
            ok = False
    if not ok:
        raise fail(column, f"{raw!r} is not an ISO date (YYYY, YYYY-MM or YYYY-MM-DD)")
    return raw


def _before(end: str, start: str) -> bool:
    """end < start on their common precision: "2020" is not before "2020-06", "2019-12" is."""
    n = min(len(end), len(start))
    return end[:n] < start[:n]
