"""The ownership graph of a registry snapshot: every entity is a node, every ownership/control/link an edge."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import structlog

from resolver.ownership.graph import KINDS, EdgeRecord, Node, OwnershipGraph, Share
from resolver.ownership.rules import Rule, load_rules
from resolver.registry.store import RegistryStore

log = structlog.get_logger(__name__)

_MEMBERS = "SELECT version_id FROM snapshot_sources WHERE snapshot_id = $snap"


def _nodes(con: Any, snap: int) -> Iterator[Node]:
    for eid, name, source, lists, programs, topics, listed in con.execute(
        f"SELECT entity_id, primary_name, source, lists, programs, topics, listing_date FROM entities "
        f"WHERE version_id IN ({_MEMBERS})",
        {"snap": snap},
    ).fetchall():
        yield Node(eid, name, source, tuple(lists), tuple(programs), tuple(topics), listed)


def _edges(con: Any, snap: int) -> Iterator[EdgeRecord]:
    kinds = ", ".join(f"'{k}'" for k in KINDS)
    for owner, owned, kind, pct, low, high, start, end, source in con.execute(
        f"SELECT r.subject_id, r.object_id, r.kind, r.percentage, r.percentage_min, r.percentage_max, r.start_date, "
        f"r.end_date, v.source FROM relations r JOIN source_versions v USING (version_id) "
        f"WHERE r.version_id IN ({_MEMBERS}) AND r.object_id IS NOT NULL AND r.kind IN ({kinds})",
        {"snap": snap},
    ).fetchall():
        if kind == "linked_to":
            # OFAC writes "Linked To: X" on the entity that X owns, controls or acts for: X is the end above it.
            # Shown in chains, never counted as ownership.
            owner, owned = owned, owner
        yield EdgeRecord(owner, owned, kind, Share(pct, low, high), source, start, end)


def load_graph(store: RegistryStore, snapshot: int | None = None, rules: list[Rule] | None = None) -> OwnershipGraph:
    rules = rules if rules is not None else load_rules()
    with store.connect(read_only=True) as con:
        snap = store.resolve_snapshot(con, snapshot)
        graph = OwnershipGraph.build(_nodes(con, snap), _edges(con, snap), rules)
    log.info("ownership graph loaded", snapshot_id=snap, nodes=len(graph), edges=graph.edge_count)
    return graph
