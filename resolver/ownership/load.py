"""The ownership graph of a registry snapshot: every entity is a node, every ownership/control/link an edge."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import structlog

from resolver.model.features import stated_kind
from resolver.names import prepare_name
from resolver.ownership.graph import KINDS, EdgeRecord, Node, OwnershipGraph, Share
from resolver.ownership.rules import Rule, load_rules
from resolver.registry.store import RegistryStore

log = structlog.get_logger(__name__)

_MEMBERS = "SELECT version_id FROM snapshot_sources WHERE snapshot_id = $snap"

# (entity id, name) pairs → the sorted words (NameFeatures.sorted) already prepared for those of them it knows, as a
# snapshot's matcher holds them: preparing 34,000 listed names again cost a serving process ~3 s at every load.
KnownWords = Callable[[Sequence[tuple[str, str]]], Mapping[tuple[str, str], str]]


def _nodes(con: Any, snap: int) -> Iterator[Node]:
    for eid, name, source, lists, programs, topics, listed in con.execute(
        f"SELECT entity_id, primary_name, source, lists, programs, topics, listing_date FROM entities "
        f"WHERE version_id IN ({_MEMBERS}) ORDER BY entity_id",
        {"snap": snap},
    ).fetchall():
        yield Node(eid, name, source, tuple(lists), tuple(programs), tuple(topics), listed)


def _edges(con: Any, snap: int) -> Iterator[EdgeRecord]:
    kinds = ", ".join(f"'{k}'" for k in KINDS)
    for owner, owned, kind, pct, low, high, start, end, source in con.execute(
        f"SELECT r.subject_id, r.object_id, r.kind, r.percentage, r.percentage_min, r.percentage_max, r.start_date, "
        f"r.end_date, v.source FROM relations r JOIN source_versions v USING (version_id) "
        f"WHERE r.version_id IN ({_MEMBERS}) AND r.object_id IS NOT NULL AND r.kind IN ({kinds}) "
        f"ORDER BY ALL",  # a join has no order of its own: every process builds the same graph (and walks it alike)
        {"snap": snap},
    ).fetchall():
        if kind == "linked_to":
            # OFAC writes "Linked To: X" on the entity that X owns, controls or acts for: X is the end above it.
            # Shown in chains, never counted as ownership.
            owner, owned = owned, owner
        yield EdgeRecord(owner, owned, kind, Share(pct, low, high), source, start, end)


def same_party_groups(con: Any, snap: int, known_words: KnownWords | None = None) -> list[list[str]]:
    """Listed entries of different sources that are one party, by strict keys: a person's normalised name and a
    full date of birth; an organisation's normalised name and an identifier or a country; a vessel's or an
    aircraft's identifier; a key ties entries only where two lists or more carry it (see group_same_parties). Only
    entries with the sanction topic take part: the groups share listings, nothing else. ``known_words``: the
    names' prepared words where they are known already (a name it lacks is prepared here, as before)."""
    rows = con.execute(
        f"""
        SELECT e.entity_id, coalesce(array_to_string(list_sort(e.lists), ','), '') || '@' || e.source, e.kind,
               e.primary_name,
               list_distinct(list(b.date) FILTER (WHERE length(b.date) = 10)),
               list_distinct(list(c.code)), list_distinct(list(upper(regexp_replace(i.value, '[^A-Za-z0-9]', '', 'g'))))
        FROM entities e
        LEFT JOIN birth_dates b USING (version_id, entity_id)
        LEFT JOIN countries c USING (version_id, entity_id)
        LEFT JOIN identifiers i USING (version_id, entity_id)
        WHERE e.version_id IN ({_MEMBERS}) AND list_contains(e.topics, 'sanction')
        GROUP BY ALL
        """,
        {"snap": snap},
    ).fetchall()
    known = known_words([(row[0], row[3]) for row in rows]) if known_words is not None else {}
    return group_same_parties(rows, known)


def _party_keys(
    kind: str, name: str, dates: list[str], countries: list[str], identifiers: list[str], words: str | None
) -> set[tuple[str, ...]]:
    if kind == "person" and words:
        return {("p", words, d) for d in dates if d}
    if kind in ("organization", "unknown") and words:
        return {("o", words, "id", i) for i in identifiers if i and len(i) >= 4} | {
            ("o", words, "c", c) for c in countries if c
        }
    if kind in ("vessel", "aircraft"):
        return {("v", i) for i in identifiers if i and len(i) >= 5}
    return set()


def _words(name: str, kind: str) -> str | None:
    """A name's sorted words, prepared as the model rows prepare it (with the stated kind): KnownWords' equals."""
    return prepare_name(name, stated_kind(kind)).sorted


def group_same_parties(
    rows: Iterable[tuple[Any, ...]], known: Mapping[tuple[str, str], str] | None = None
) -> list[list[str]]:
    """same_party_groups' grouping of its rows (entity id, the lists it comes from, kind, name, dates, countries,
    identifiers), whatever their order: a key carried by entries of two lists or more ties all its entries (a
    list that names one party twice, as the UK and EU lists do under two regimes, has both tied in); a key of one
    list alone ties nothing (one list may name two parties alike). Groups sorted, each sorted: every process
    loading a snapshot gets the same ones. ``known``: (entity id, name) → its sorted words, where already known."""
    known = known or {}
    # (key, lists, entity) sorted by key: one small tuple per key an entry carries (a dict and a set per key would
    # cost every serving process some 16 MiB more, kept by the allocator after the load)
    carried = sorted(
        (key, lists, eid)
        for eid, lists, kind, name, dates, countries, identifiers in rows
        for key in _party_keys(
            kind, name, dates or [], countries or [], identifiers or [], known.get((eid, name)) or _words(name, kind)
        )
    )
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _, holding in itertools.groupby(carried, key=lambda entry: entry[0]):
        entries = list(holding)
        if len({lists for _, lists, _ in entries}) > 1:
            first, *others = sorted({eid for _, _, eid in entries})
            for other in others:
                parent[root(other)] = root(first)
    groups: dict[str, list[str]] = {}
    for eid in list(parent):
        groups.setdefault(root(eid), []).append(eid)
    return sorted(sorted(g) for g in groups.values() if len(g) > 1)


def graph_of(con: Any, snap: int, rules: list[Rule], known_words: KnownWords | None = None) -> OwnershipGraph:
    """The ownership graph of snapshot `snap`, read through an open store connection (``known_words``: see
    same_party_groups)."""
    graph = OwnershipGraph.build(_nodes(con, snap), _edges(con, snap), rules)
    groups = same_party_groups(con, snap, known_words)
    grown = graph.share_listings(groups)
    log.info(
        "ownership graph loaded", snapshot_id=snap, nodes=len(graph), edges=graph.edge_count,
        same_party_groups=len(groups), listings_shared=grown,
    )  # fmt: skip
    return graph


def load_graph(store: RegistryStore, snapshot: int | None = None, rules: list[Rule] | None = None) -> OwnershipGraph:
    with store.connect(read_only=True) as con:
        snap = store.resolve_snapshot(con, snapshot)
        return graph_of(con, snap, rules if rules is not None else load_rules())
