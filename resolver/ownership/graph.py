"""The ownership graph: nodes (listed or not) and owner → owned edges, column-wise for large graphs.

Edges are stored once, indexed by the owned node (CSR), because every question asked of the graph walks
upwards: who owns this party, and who owns them. Dates are kept as integers (yyyymmdd) so that "valid on the
declaration date" is two comparisons; a partial date widens to its whole year or month.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from resolver.ownership.rules import Rule

# Relations that can tie a party to an owner. Directorship, family and association are shown in GetEntity's
# relations but never make an ownership chain.
KINDS = ("ownership", "control", "linked_to")
OWNERSHIP, CONTROL, LINKED_TO = range(3)
NO_END = 99_991_231


def day_number(text: str | None, *, end: bool = False) -> int:
    """ "2015-11-25" → 20151125; a partial date is its first day (a start) or its last day (an end)."""
    if not text:
        return NO_END if end else 0
    parts = text.split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else (12 if end else 1)
        day = int(parts[2]) if len(parts) > 2 else (31 if end else 1)
    except ValueError:
        return NO_END if end else 0
    return year * 10_000 + month * 100 + day


@dataclass(frozen=True)
class Share:
    """A share of ownership in percent: exact, a range, or unknown (all None)."""

    exact: float | None = None
    low: float | None = None
    high: float | None = None

    @property
    def bounds(self) -> tuple[float, float]:
        if self.exact is not None:
            return self.exact, self.exact
        return (self.low if self.low is not None else 0.0), (self.high if self.high is not None else 100.0)

    @property
    def known(self) -> bool:
        return self.exact is not None

    def text(self) -> str:
        if self.exact is not None:
            return f"{self.exact:g}%"
        if self.low is not None or self.high is not None:
            return f"{self.low or 0:g}-{self.high if self.high is not None else 100:g}%"
        return "an unknown share"


@dataclass(frozen=True)
class Node:
    id: str
    name: str
    source: str = ""
    lists: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    listing_date: str | None = None


@dataclass(frozen=True)
class EdgeRecord:
    """An edge as a source states it: `owner` owns (or controls, or is linked to) `owned`."""

    owner: str
    owned: str
    kind: str
    share: Share = Share()
    source: str = ""
    start: str | None = None
    end: str | None = None


@dataclass
class OwnershipGraph:
    ids: list[str]
    names: list[str]
    node_lists: list[tuple[str, ...]]  # lists a node is on (empty: not listed anywhere)
    jurisdictions: list[frozenset[str]]  # rules under which the node is listed
    listed_from: NDArray[np.int32]  # listing date (yyyymmdd; 0 = unknown, counts as always listed)
    index: dict[str, int]
    # edges, column-wise, ordered by owned node; owners_at[n]:owners_at[n+1] are the edges into node n
    owners_at: NDArray[np.int64]
    owner: NDArray[np.int32]
    kind: NDArray[np.int8]
    exact: NDArray[np.float64]  # NaN when not exact
    low: NDArray[np.float64]  # NaN when unknown
    high: NDArray[np.float64]
    start: NDArray[np.int32]
    end: NDArray[np.int32]
    edge_source: NDArray[np.int32]
    lo: NDArray[np.float64]  # the share's lower bound (an unknown share: 0)
    hi: NDArray[np.float64]  # its upper bound (an unknown share: 100)
    start_text: list[str | None] = field(default_factory=list)
    end_text: list[str | None] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def edge_count(self) -> int:
        return len(self.owner)

    def share(self, e: int) -> Share:
        exact, low, high = float(self.exact[e]), float(self.low[e]), float(self.high[e])
        return Share(
            None if np.isnan(exact) else exact, None if np.isnan(low) else low, None if np.isnan(high) else high
        )

    def owner_edges(self, node: int) -> range:
        return range(int(self.owners_at[node]), int(self.owners_at[node + 1]))

    def listed(self, node: int, jurisdiction: str, day: int) -> bool:
        return jurisdiction in self.jurisdictions[node] and int(self.listed_from[node]) <= day

    def share_listings(self, groups: Iterable[Sequence[str]]) -> int:
        """Treat each group of node ids as one party for listing purposes: every member is listed wherever any
        member is (the same person on the UK and the EU lists is two entries, one owner). A member's listing
        date becomes the group's earliest. Returns the number of nodes whose listings grew."""
        grown = 0
        for group in groups:
            members = [self.index[g] for g in group if g in self.index]
            if len(members) < 2:
                continue
            lists = tuple(sorted({x for m in members for x in self.node_lists[m]}))
            under = frozenset(j for m in members for j in self.jurisdictions[m])
            dates = [int(self.listed_from[m]) for m in members if self.node_lists[m]]
            for m in members:
                if self.node_lists[m] != lists or self.jurisdictions[m] != under:
                    grown += 1
                self.node_lists[m], self.jurisdictions[m] = lists, under
                self.listed_from[m] = min(dates) if dates else 0
        return grown

    def listed_anywhere(self, node: int, day: int) -> bool:
        return bool(self.node_lists[node]) and int(self.listed_from[node]) <= day

    @classmethod
    def build(cls, nodes: Iterable[Node], edges: Iterable[EdgeRecord], rules: Sequence[Rule]) -> OwnershipGraph:
        ids: list[str] = []
        names: list[str] = []
        node_lists: list[tuple[str, ...]] = []
        jurisdictions: list[frozenset[str]] = []
        listed_from: list[int] = []
        index: dict[str, int] = {}

        def add(node: Node) -> int:
            index[node.id] = len(ids)
            ids.append(node.id)
            names.append(node.name)
            under = frozenset(
                r.jurisdiction for r in rules if r.lists_entity(node.source, list(node.lists), list(node.programs))
            )
            sanctioned = bool(under) or "sanction" in node.topics
            node_lists.append(tuple(sorted(set(node.lists) | {node.source})) if sanctioned else ())
            jurisdictions.append(under)
            listed_from.append(day_number(node.listing_date) if sanctioned else 0)
            return index[node.id]

        for node in nodes:
            if node.id not in index:
                add(node)
        columns: dict[str, list[Any]] = {c: [] for c in ("owned", "owner", "kind", "exact", "low", "high", "start",
                                                          "end", "source", "start_text", "end_text")}  # fmt: skip
        sources: dict[str, int] = {}
        for e in edges:
            if e.kind not in KINDS:
                continue
            ends = []
            for end_id in (e.owner, e.owned):
                ends.append(index[end_id] if end_id in index else add(Node(end_id, end_id)))
            columns["owner"].append(ends[0])
            columns["owned"].append(ends[1])
            columns["kind"].append(KINDS.index(e.kind))
            columns["exact"].append(np.nan if e.share.exact is None else e.share.exact)
            columns["low"].append(np.nan if e.share.low is None else e.share.low)
            columns["high"].append(np.nan if e.share.high is None else e.share.high)
            columns["start"].append(day_number(e.start))
            columns["end"].append(day_number(e.end, end=True))
            columns["source"].append(sources.setdefault(e.source, len(sources)))
            columns["start_text"].append(e.start)
            columns["end_text"].append(e.end)
        owned = np.asarray(columns["owned"], dtype=np.int64)
        order = np.argsort(owned, kind="stable")
        counts = np.bincount(owned, minlength=len(ids)) if len(owned) else np.zeros(len(ids), dtype=np.int64)
        owners_at = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(counts, out=owners_at[1:])

        def col(name: str, dtype: Any) -> Any:
            return np.asarray(columns[name], dtype=dtype)[order]

        exact, low, high = col("exact", np.float64), col("low", np.float64), col("high", np.float64)
        lo = np.where(np.isnan(exact), np.where(np.isnan(low), 0.0, low), exact)
        hi = np.where(np.isnan(exact), np.where(np.isnan(high), 100.0, high), exact)

        return cls(
            ids=ids,
            names=names,
            node_lists=node_lists,
            jurisdictions=jurisdictions,
            listed_from=np.asarray(listed_from, dtype=np.int32),
            index=index,
            owners_at=owners_at,
            owner=col("owner", np.int32),
            kind=col("kind", np.int8),
            exact=exact,
            low=low,
            high=high,
            start=col("start", np.int32),
            end=col("end", np.int32),
            edge_source=col("source", np.int32),
            lo=lo,
            hi=hi,
            start_text=[columns["start_text"][i] for i in order.tolist()],
            end_text=[columns["end_text"][i] for i in order.tolist()],
            sources=list(sources),
        )
