"""Ownership chains of one party and what each jurisdiction's rule makes of them.

1. The party's upward subgraph: owners and controllers, theirs in turn, up to `max_depth` steps, keeping only
   edges valid on the as-of date; of several statements about one (owner, owned, kind) pair valid that day, the
   most recent counts (a share that changed is one holding, not two).
2. Chains: every cycle-free path from the party up to a listed party (chains go on past a listed party, so an
   officer sees the oligarch above the listed parent).
3. Per jurisdiction, the least fixed point of its rule over that subgraph: listed nodes are blocked; a node is
   blocked when the holdings of blocked owners pass the threshold (summed across listed persons, or per listed
   person when the rule does not aggregate), or, where the rule counts control, when a blocked node controls it.
   Percentages are bounds: an unknown share is 0-100, a range its min-max; "possibly blocked" is what the upper
   bounds would block. Holdings of unblocked intermediates count nothing (OFAC FAQ 401), but the multiplied stake
   of every listed owner is reported as minority exposure. Unknown never becomes NONE.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from resolver.ownership.graph import CONTROL, KINDS, LINKED_TO, OWNERSHIP, OwnershipGraph, Share, day_number
from resolver.ownership.rules import Rule

DEFAULT_DEPTH = 6
MAX_CHAINS = 100
MAX_WALK = 20_000  # path extensions one chain search may make before it stops (and says it was truncated)

DIRECTLY_LISTED = "DIRECTLY_LISTED"
BLOCKED = "BLOCKED_BY_OWNERSHIP"
POSSIBLY_BLOCKED = "POSSIBLY_BLOCKED"
MINORITY = "MINORITY_EXPOSURE"
NONE = "NONE"


@dataclass(frozen=True)
class Step:
    owner_id: str
    owner_name: str
    owned_id: str
    owned_name: str
    kind: str
    share: Share
    source: str
    start: str | None
    end: str | None
    owner_lists: tuple[str, ...]


@dataclass(frozen=True)
class Chain:
    steps: tuple[Step, ...]  # steps[0].owned_id is the assessed node
    effective_share: float | None  # product of the exact ownership shares; None if any is unknown or a range
    listed_entity_id: str


@dataclass(frozen=True)
class Verdict:
    jurisdiction: str
    verdict: str
    counted_share: float | None
    listed_owner_ids: tuple[str, ...]
    explanation: str
    chain_indexes: tuple[int, ...]


@dataclass(frozen=True)
class Assessment:
    node_id: str
    as_of: str
    chains: tuple[Chain, ...]
    verdicts: tuple[Verdict, ...]
    truncated: bool = False  # more chains than MAX_CHAINS exist


@dataclass
class _Subgraph:
    nodes: list[int] = field(default_factory=list)  # breadth-first from the party: the party first
    into: dict[int, list[int]] = field(default_factory=dict)  # node → its owner edges valid that day
    # node → (owner, kind, low, high) per edge of `into`, read out of the arrays once
    terms: dict[int, list[tuple[int, int, float, float]]] = field(default_factory=dict)
    below: dict[int, list[int]] = field(default_factory=dict)  # owner → the nodes it owns in the subgraph


def _upward(graph: OwnershipGraph, start: int, day: int, max_depth: int) -> _Subgraph:
    sub = _Subgraph(nodes=[start])
    depth = {start: 0}
    frontier = [start]
    while frontier:
        nxt = []
        for node in frontier:
            a, b = int(graph.owners_at[node]), int(graph.owners_at[node + 1])
            latest: dict[tuple[int, int], int] = {}
            if b > a:
                starts = graph.start[a:b].tolist()
                ends = graph.end[a:b].tolist()
                owners = graph.owner[a:b].tolist()
                kinds = graph.kind[a:b].tolist()
                for i in range(b - a):
                    if starts[i] <= day <= ends[i]:
                        key = (owners[i], kinds[i])
                        if key not in latest or starts[i] > starts[latest[key] - a]:
                            latest[key] = a + i
            sub.into[node] = list(latest.values())
            lo, hi = graph.lo[a:b].tolist(), graph.hi[a:b].tolist()
            sub.terms[node] = [(owner, kind, lo[e - a], hi[e - a]) for (owner, kind), e in latest.items()]
            for owner, _ in latest:
                sub.below.setdefault(owner, []).append(node)
            if depth[node] >= max_depth:
                continue
            for owner, _ in latest:
                if owner not in depth:
                    depth[owner] = depth[node] + 1
                    sub.nodes.append(owner)
                    nxt.append(owner)
        frontier = nxt
    for node in sub.nodes:
        sub.into.setdefault(node, [])
        sub.terms.setdefault(node, [])
    return sub


def _below_listed(sub: _Subgraph, listed: set[int]) -> set[int]:
    """Nodes of the subgraph at or below one of `listed`: the only ones a rule can block, or a chain reach."""
    below = sub.below
    found = set(listed)
    frontier = list(listed)
    while frontier:
        frontier = [m for n in frontier for m in below.get(n, ()) if m not in found]
        found.update(frontier)
    return found


def _step(graph: OwnershipGraph, e: int, owned: int, day: int) -> Step:
    owner = int(graph.owner[e])
    return Step(
        owner_id=graph.ids[owner],
        owner_name=graph.names[owner],
        owned_id=graph.ids[owned],
        owned_name=graph.names[owned],
        kind=KINDS[int(graph.kind[e])],
        share=graph.share(e),
        source=graph.sources[int(graph.edge_source[e])],
        start=graph.start_text[e],
        end=graph.end_text[e],
        owner_lists=graph.node_lists[owner] if graph.listed_anywhere(owner, day) else (),
    )


def _chains(graph: OwnershipGraph, sub: _Subgraph, start: int, day: int, max_depth: int) -> tuple[list[Chain], bool]:
    chains: list[Chain] = []
    truncated = False
    path: list[tuple[int, int]] = []  # (edge, owned)
    on_path = {start}
    useful = _below_listed(sub, {n for n in sub.nodes if graph.listed_anywhere(n, day)})
    budget = [MAX_WALK]  # path extensions left: dense cross-holdings have exponentially many paths

    def walk(node: int) -> None:
        nonlocal truncated
        if len(path) >= max_depth:
            return
        for e in sub.into.get(node, []):
            owner = int(graph.owner[e])
            if owner in on_path or owner not in useful:
                continue  # a cycle (the chain would come back to a node it passed), or no listed party above
            budget[0] -= 1
            if budget[0] < 0 or len(chains) >= MAX_CHAINS:
                truncated = True
                return
            path.append((e, node))
            on_path.add(owner)
            if graph.listed_anywhere(owner, day):
                steps = tuple(_step(graph, edge, owned, day) for edge, owned in path)
                effective: float | None = 100.0
                for s in steps:
                    if s.kind != "ownership" or s.share.exact is None or effective is None:
                        effective = None
                    else:
                        effective = effective * s.share.exact / 100.0
                chains.append(Chain(steps, effective, graph.ids[owner]))
            walk(owner)
            on_path.discard(owner)
            path.pop()

    walk(start)
    chains.sort(key=lambda c: len(c.steps))  # shortest first; stable within a length
    return chains, truncated


def _fixed_point(
    graph: OwnershipGraph, sub: _Subgraph, rule: Rule, day: int
) -> tuple[dict[int, str], dict[int, dict[int, tuple[float, float]]]]:
    """State per node ("listed", "blocked", "possible" or absent) and, per node, the share bounds each blocking
    party holds in it (key -1 = all listed parties together, when the rule aggregates)."""
    state: dict[int, str] = {n: "listed" for n in sub.nodes if graph.listed(n, rule.jurisdiction, day)}
    # who a blocked node "belongs to" when the rule does not aggregate: the listed persons whose holdings block it
    belongs: dict[int, set[int]] = {n: {n} for n in state}
    held: dict[int, dict[int, tuple[float, float]]] = {}
    # Only nodes below a listed one can be blocked; owners come before what they own (reversed breadth-first
    # order), so one pass settles a graph without cycles and cycles take a few more.
    reach = _below_listed(sub, set(state))
    top_down = [n for n in reversed(sub.nodes) if n in reach]
    changed = bool(state)
    while changed:
        changed = False
        for n in top_down:
            if state.get(n) in ("listed", "blocked"):
                continue
            sums: dict[int, list[float]] = {}
            controllers_sure: set[int] = set()
            controllers_maybe: set[int] = set()
            for owner, kind, low, high in sub.terms[n]:
                owner_state = state.get(owner)
                if owner_state is None:
                    continue
                parties = [-1] if rule.aggregate else sorted(belongs.get(owner, set()))
                if kind == OWNERSHIP:
                    for p in parties:
                        bounds = sums.setdefault(p, [0.0, 0.0])
                        if owner_state in ("listed", "blocked"):
                            bounds[0] += low
                        bounds[1] += high
                elif kind == CONTROL and rule.control_blocks:
                    (controllers_sure if owner_state in ("listed", "blocked") else controllers_maybe).update(parties)
            sure = {p for p, (low, _) in sums.items() if rule.passes(low)} | controllers_sure
            maybe = {p for p, (_, high) in sums.items() if rule.passes(min(high, 100.0))} | controllers_maybe
            held[n] = {p: (b[0], min(b[1], 100.0)) for p, b in sums.items()}
            new = "blocked" if sure else ("possible" if maybe else None)
            if new is not None and new != state.get(n):
                state[n] = new
                belongs[n] = (sure or maybe) if not rule.aggregate else {-1}
                changed = True
    return state, held


def _name(graph: OwnershipGraph, node: int) -> str:
    return graph.names[node] or graph.ids[node]


def _judge(
    graph: OwnershipGraph, sub: _Subgraph, chains: list[Chain], start: int, rule: Rule, day: int, as_of: str
) -> Verdict:
    j = rule.jurisdiction
    listed_chains = [
        (i, c) for i, c in enumerate(chains) if graph.listed(graph.index[c.listed_entity_id], rule.jurisdiction, day)
    ]
    indexes = tuple(i for i, _ in listed_chains)
    owners = tuple(dict.fromkeys(c.listed_entity_id for _, c in listed_chains))
    if graph.listed(start, j, day):
        return Verdict(j, DIRECTLY_LISTED, None, (graph.ids[start],), f"{_name(graph, start)} is listed", ())
    if not rule.in_force_on(as_of):
        return Verdict(j, NONE, None, owners, f"{rule.title} not in force on {as_of}", indexes)
    state, held = _fixed_point(graph, sub, rule, day)
    status = state.get(start)
    if status in ("blocked", "possible"):
        parts = []
        for e in sub.into[start]:
            owner = int(graph.owner[e])
            if state.get(owner) is None or int(graph.kind[e]) == LINKED_TO:
                continue
            what = "controls" if int(graph.kind[e]) == CONTROL else f"owns {graph.share(e).text()}"
            how = "listed" if state[owner] == "listed" else f"itself {state[owner]}"
            parts.append(f"{_name(graph, owner)} ({how}) {what}")
        bounds = held.get(start, {})
        low = max((b[0] for b in bounds.values()), default=0.0)
        counted = low if status == "blocked" and bounds else None
        verdict = BLOCKED if status == "blocked" else POSSIBLY_BLOCKED
        unsure = "" if status == "blocked" else " (shares unknown or a range: the threshold may or may not be passed)"
        text = f"{'; '.join(parts)}: {rule.comparison()}{unsure}"
        return Verdict(j, verdict, counted, owners, text, indexes)
    if listed_chains:
        per_owner: dict[str, float | None] = {}
        for _, c in listed_chains:
            if c.listed_entity_id in per_owner and per_owner[c.listed_entity_id] is None:
                continue
            if c.effective_share is None:
                per_owner[c.listed_entity_id] = None
            else:
                per_owner[c.listed_entity_id] = max(per_owner.get(c.listed_entity_id) or 0.0, c.effective_share)
        known = [s for s in per_owner.values() if s is not None]
        counted = None
        if len(known) == len(per_owner):
            counted = sum(known) if rule.aggregate else max(known)
        text = "; ".join(
            f"{_name(graph, graph.index[o])} holds {'an unknown share' if s is None else f'{s:.4g}%'} "
            "(directly or through unblocked intermediates)"
            for o, s in per_owner.items()
        )
        return Verdict(j, MINORITY, counted, owners, f"{text}: below {rule.comparison()}", indexes)
    return Verdict(j, NONE, None, (), "no party listed under this rule on any chain", ())


def assess(
    graph: OwnershipGraph,
    node_id: str,
    rules: list[Rule],
    as_of: str | None = None,
    max_depth: int = DEFAULT_DEPTH,
) -> Assessment:
    """Chains and verdicts for one node of the graph (KeyError if the node is not in it)."""
    start = graph.index[node_id]
    as_of = as_of or dt.date.today().isoformat()
    day = day_number(as_of, end=False)
    sub = _upward(graph, start, day, max_depth)
    chains, truncated = _chains(graph, sub, start, day, max_depth)
    verdicts = tuple(_judge(graph, sub, chains, start, rule, day, as_of) for rule in rules)
    return Assessment(node_id, as_of, tuple(chains), verdicts, truncated)
