"""The rule engine on small graphs whose answers are known: OFAC FAQ 401's own examples, the same graphs under
the UK rule, control, the Evraz case, cycles, unknown shares, ranges and dates."""

from __future__ import annotations

import pytest

from resolver.ownership.assess import BLOCKED, DIRECTLY_LISTED, MINORITY, NONE, POSSIBLY_BLOCKED, Assessment, assess
from resolver.ownership.graph import EdgeRecord, Node, OwnershipGraph, Share
from resolver.ownership.rules import load_rules

RULES = load_rules()
TODAY = "2026-11-28"


def listed(node_id: str, *lists: str, date: str | None = None) -> Node:
    return Node(node_id, node_id.upper(), source=lists[0], lists=lists, listing_date=date)


def company(node_id: str) -> Node:
    return Node(node_id, node_id.upper())


def owns(owner: str, owned: str, pct: float | None = None, *, low: float | None = None, high: float | None = None,
         kind: str = "ownership", start: str | None = None, end: str | None = None) -> EdgeRecord:  # fmt: skip
    return EdgeRecord(owner, owned, kind, Share(pct, low, high), "test", start, end)


def verdicts(nodes: list[Node], edges: list[EdgeRecord], node: str, as_of: str = TODAY) -> dict[str, str]:
    return {v.jurisdiction: v.verdict for v in run(nodes, edges, node, as_of).verdicts}


def run(nodes: list[Node], edges: list[EdgeRecord], node: str, as_of: str = TODAY) -> Assessment:
    return assess(OwnershipGraph.build(nodes, edges, RULES), node, RULES, as_of)


OFAC_X = [listed("x", "us_ofac_sdn"), company("a"), company("b"), company("c")]


def test_faq_401_example_1_a_chain_of_50_percent_holdings() -> None:
    edges = [owns("x", "a", 50), owns("a", "b", 50)]
    assert verdicts(OFAC_X, edges, "a")["US_OFAC"] == BLOCKED
    assert verdicts(OFAC_X, edges, "b")["US_OFAC"] == BLOCKED
    # the UK counts more than 50%: 50% is not enough, and B is not owned by a designated person either
    assert verdicts(OFAC_X, edges, "b")["UK"] == NONE  # nobody UK-listed here at all


def test_faq_401_example_2_two_blocked_intermediates_sum() -> None:
    edges = [owns("x", "a", 50), owns("x", "b", 50), owns("a", "c", 25), owns("b", "c", 25)]
    result = run(OFAC_X, edges, "c")
    ofac = next(v for v in result.verdicts if v.jurisdiction == "US_OFAC")
    assert ofac.verdict == BLOCKED and ofac.counted_share == 50.0
    assert ofac.listed_owner_ids == ("x",)


def test_faq_401_example_3_a_blocked_intermediate_counts_in_full() -> None:
    edges = [owns("x", "a", 50), owns("x", "b", 10), owns("a", "b", 40)]
    result = run(OFAC_X, edges, "b")
    ofac = next(v for v in result.verdicts if v.jurisdiction == "US_OFAC")
    assert ofac.verdict == BLOCKED and ofac.counted_share == 50.0  # 40 + 10, not 50% x 40% + 10


def _uk_x() -> list[Node]:
    return [listed("x", "gb_hmt"), company("a"), company("b"), company("c")]


def test_the_same_graphs_under_the_uk_rule() -> None:
    # Ex.1: 50% is not "more than 50%"
    assert verdicts(_uk_x(), [owns("x", "a", 50), owns("a", "b", 50)], "b")["UK"] == MINORITY
    # Ex.3: A is not owned more than 50%, so its 40% does not count: 10% direct only
    assert verdicts(_uk_x(), [owns("x", "a", 50), owns("x", "b", 10), owns("a", "b", 40)], "b")["UK"] == MINORITY
    # with majorities the UK blocks through an owned intermediate as OFAC does
    assert verdicts(_uk_x(), [owns("x", "a", 60), owns("a", "b", 51)], "b")["UK"] == BLOCKED


def test_the_uk_does_not_aggregate_different_designated_persons() -> None:
    nodes = [
        listed("p", "gb_hmt", "us_ofac_sdn", "eu_fsf"),
        listed("q", "gb_hmt", "us_ofac_sdn", "eu_fsf"),
        company("c"),
    ]
    edges = [owns("p", "c", 30), owns("q", "c", 30)]
    result = verdicts(nodes, edges, "c")
    assert result["US_OFAC"] == BLOCKED and result["EU"] == BLOCKED  # 60% in the aggregate
    assert result["UK"] == MINORITY  # 30% each: neither holds more than half


def test_control_without_ownership_blocks_under_uk_and_eu_not_ofac() -> None:
    nodes = [listed("x", "gb_hmt", "eu_fsf", "us_ofac_sdn"), company("c")]
    result = verdicts(nodes, [owns("x", "c", kind="control")], "c")
    assert result["UK"] == BLOCKED and result["EU"] == BLOCKED
    assert result["US_OFAC"] != BLOCKED  # FAQ 398: the 50% rule speaks only to ownership


def test_evraz_north_america() -> None:
    """Evraz NA 100% owned by Evraz plc (UK-designated only); Abramovich 28.6% of Evraz plc (UK, EU, Canada)."""
    nodes = [
        Node("evraz-na", "Evraz North America"),
        Node("evraz-plc", "Evraz plc", source="gb_hmt", lists=("gb_hmt",)),
        Node("abramovich", "Roman Abramovich", source="gb_hmt", lists=("gb_hmt", "eu_fsf", "ca_sema")),
    ]
    edges = [owns("evraz-plc", "evraz-na", 100), owns("abramovich", "evraz-plc", 28.6)]
    result = run(nodes, edges, "evraz-na")
    by = {v.jurisdiction: v for v in result.verdicts}
    assert by["UK"].verdict == BLOCKED and by["UK"].counted_share == 100.0
    assert "Evraz plc" in by["UK"].explanation
    assert by["EU"].verdict == MINORITY and by["EU"].counted_share == pytest.approx(28.6)
    assert by["EU"].listed_owner_ids == ("abramovich",)
    assert by["US_OFAC"].verdict == NONE
    # the chain to Abramovich is shown, with his 28.6% on it, past the listed parent
    top = [c for c in result.chains if c.listed_entity_id == "abramovich"]
    assert len(top) == 1 and [s.owner_id for s in top[0].steps] == ["evraz-plc", "abramovich"]
    assert top[0].steps[1].share.exact == 28.6 and top[0].effective_share == pytest.approx(28.6)
    assert result.chains[0].listed_entity_id == "evraz-plc"  # shortest first


def test_cycles_end_and_do_not_repeat() -> None:
    nodes = [listed("x", "us_ofac_sdn"), company("a"), company("b")]
    edges = [owns("a", "b", 60), owns("b", "a", 60), owns("x", "a", 50)]
    result = run(nodes, edges, "b")
    assert {v.jurisdiction: v.verdict for v in result.verdicts}["US_OFAC"] == BLOCKED
    for chain in result.chains:
        owners = [s.owner_id for s in chain.steps]
        assert len(owners) == len(set(owners))


def test_an_unknown_share_is_possibly_blocked_never_none() -> None:
    nodes = [listed("x", "us_ofac_sdn"), company("c")]
    result = run(nodes, [owns("x", "c")], "c")
    ofac = next(v for v in result.verdicts if v.jurisdiction == "US_OFAC")
    assert ofac.verdict == POSSIBLY_BLOCKED and ofac.counted_share is None
    assert result.chains[0].effective_share is None


def test_a_range_straddling_the_threshold_is_possibly_blocked_and_one_above_it_blocks() -> None:
    nodes = [listed("x", "us_ofac_sdn", "gb_hmt"), company("c")]
    straddling = verdicts(nodes, [owns("x", "c", low=25, high=75)], "c")
    assert straddling["US_OFAC"] == POSSIBLY_BLOCKED and straddling["UK"] == POSSIBLY_BLOCKED
    above = verdicts(nodes, [owns("x", "c", low=75, high=100)], "c")
    assert above["US_OFAC"] == BLOCKED and above["UK"] == BLOCKED
    below = verdicts(nodes, [owns("x", "c", low=0, high=25)], "c")
    assert below["US_OFAC"] == MINORITY


def test_edge_and_listing_dates_are_judged_as_of_the_declaration() -> None:
    nodes = [listed("x", "us_ofac_sdn", date="2022-04-06"), company("c")]
    edges = [owns("x", "c", 60, start="2020-01-01", end="2023-06-30")]
    assert verdicts(nodes, edges, "c", "2021-01-01")["US_OFAC"] == NONE  # owned, but not listed yet
    assert verdicts(nodes, edges, "c", "2022-05-01")["US_OFAC"] == BLOCKED
    assert verdicts(nodes, edges, "c", "2024-01-01")["US_OFAC"] == NONE  # the holding ended


def test_the_bis_affiliates_rule_is_suspended_from_2025_11_10_to_2026_11_09() -> None:
    nodes = [Node("el", "EL PARTY", source="us_trade_csl", lists=("us_bis_el",)), company("c")]
    edges = [owns("el", "c", 60)]
    assert verdicts(nodes, edges, "c", "2025-10-01")["US_BIS"] == BLOCKED
    assert verdicts(nodes, edges, "c", "2026-03-01")["US_BIS"] == NONE
    assert verdicts(nodes, edges, "c", "2026-11-10")["US_BIS"] == BLOCKED
    assert verdicts(nodes, edges, "el", "2026-03-01")["US_BIS"] == DIRECTLY_LISTED


def test_several_statements_of_one_holding_count_once() -> None:
    # the share changed over time (zala's records state 50%, 48% and 51% for one holding): the latest counts
    nodes = [listed("x", "us_ofac_sdn"), company("c")]
    edges = [owns("x", "c", 50, start="2015-11-25"), owns("x", "c", 48, start="2016-01-01"),
             owns("x", "c", 30, start="2020-01-01")]  # fmt: skip
    result = run(nodes, edges, "c")
    ofac = next(v for v in result.verdicts if v.jurisdiction == "US_OFAC")
    assert ofac.verdict == MINORITY and ofac.counted_share == 30.0


def test_one_party_on_two_lists_is_listed_under_both_once_its_entries_are_grouped() -> None:
    """Abramovich as two list entries (the UK's and the EU's); the registry edge points at the UK entry."""
    nodes = [
        Node("evraz-na", "Evraz North America"),
        Node("evraz-plc", "Evraz plc", source="gb_hmt", lists=("gb_hmt",)),
        Node("gb:abramovich", "ABRAMOVICH Roman", source="gb_hmt", lists=("gb_hmt",)),
        Node("eu:abramovich", "Roman ABRAMOVICH", source="eu_fsf", lists=("eu_fsf",)),
    ]
    edges = [owns("evraz-plc", "evraz-na", 100), owns("gb:abramovich", "evraz-plc", 28.6)]
    graph = OwnershipGraph.build(nodes, edges, RULES)
    before = {v.jurisdiction: v.verdict for v in assess(graph, "evraz-na", RULES, TODAY).verdicts}
    assert before["EU"] == NONE  # the EU entry owns nothing in the data
    assert graph.share_listings([["gb:abramovich", "eu:abramovich"]]) == 2
    after = {v.jurisdiction: v for v in assess(graph, "evraz-na", RULES, TODAY).verdicts}
    assert after["EU"].verdict == MINORITY and after["EU"].counted_share == pytest.approx(28.6)
    assert after["UK"].verdict == BLOCKED
