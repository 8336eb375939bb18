"""Resolving parties against the embedded registry in memory: real listings, real spellings, bad input."""

from __future__ import annotations

import pytest

from resolver.matching.engine import Matcher, Query
from resolver.model.artefact import load_artefact
from resolver.model.train import registry_rows
from resolver.registry.ingest import parse_all
from resolver.registry.store import RegistryStore
from resolver.settings import EMBEDDED_REGISTRY

DERIPASKA = "us_ofac_sdn:24283"


@pytest.fixture(scope="module")
def matcher(tmp_path_factory: pytest.TempPathFactory) -> Matcher:
    store = RegistryStore(tmp_path_factory.mktemp("engine") / "registry.duckdb")
    store.ingest(parse_all([EMBEDDED_REGISTRY]))
    return Matcher(registry_rows(store)[0], load_artefact())


def test_listed_person_resolves_first_with_evidence(matcher: Matcher) -> None:
    matches, stats = matcher.resolve(Query("Oleg DERIPASKA", "person", birth_dates=["1968-01-02"], countries=["ru"]))
    assert matches[0].entity_id == DERIPASKA
    assert matches[0].match_probability > 0.99
    evidence = {e.comparison: e for e in matches[0].evidence}
    assert evidence["birth_date"].level == "Same date" and evidence["birth_date"].weight > 5
    assert evidence["name"].weight > 5
    assert stats.candidates >= 1


def test_cyrillic_spelling_finds_the_latin_listing(matcher: Matcher) -> None:
    matches, _ = matcher.resolve(Query("Олег Владимирович Дерипаска", "person", birth_dates=["1968-01-02"]))
    assert matches and matches[0].entity_id == DERIPASKA


def test_company_with_legal_form_variants(matcher: Matcher) -> None:
    for name in ("Rosneft Trading SA", "ROSNEFT TRADING S.A.", "Роснефть Трейдинг С.А."):
        matches, _ = matcher.resolve(Query(name, "organization"))
        assert matches and matches[0].entity_id == "us_ofac_sdn:18299", name


def test_ranking_is_by_weight_and_limit_is_honoured(matcher: Matcher) -> None:
    matches, _ = matcher.resolve(Query("Mohammed Ali"), threshold=-30, limit=5)
    assert len(matches) == 5
    weights = [m.match_weight for m in matches]
    assert weights == sorted(weights, reverse=True)
    assert len({m.entity_id for m in matches}) == 5  # one row per entity, its best name


def test_pruned_search_equals_full_scoring_of_the_candidates(matcher: Matcher) -> None:
    # the exact pruning in weight_if_at_least must never drop a candidate that reaches the threshold
    from resolver.names import prepare_name

    for query in (Query("Banco Nacional de Cuba", "organization", countries=["cu"]), Query("Ali Mohammed")):
        found, _ = matcher.resolve(query, limit=10_000, explain=False)
        qrow = matcher._query_rows(query)[0]
        keys = prepare_name(query.name, query.kind).index_keys()
        candidates = matcher.index.candidates(keys, cap=matcher.block_cap, pair_capped=True)
        full: dict[str, float] = {}
        for i in candidates.ids.tolist():
            w = matcher.scorer.weight(qrow, matcher.rows.row(i))
            eid = matcher.rows.columns["entity_id"][i]
            if w >= matcher.threshold and w > full.get(eid, float("-inf")):
                full[eid] = w
        assert full, query  # the check must not pass on an empty set
        assert {m.entity_id: m.match_weight for m in found} == pytest.approx(full)


@pytest.mark.parametrize(
    "name",
    ["", "   ", "\x00\x07\x1b[31m", "---", "x" * 100_000, "Gazprom Газпром غازبروم 中国", "\u202e\u200fDERIPASKA"],
)
def test_bad_or_odd_names_never_raise(matcher: Matcher, name: str) -> None:
    matches, stats = matcher.resolve(Query(name))
    assert isinstance(matches, list) and stats.candidates >= 0


def test_empty_names_match_nothing(matcher: Matcher) -> None:
    for name in ("", "   ", "\x00\x01", "---"):
        assert matcher.resolve(Query(name), threshold=-1000)[0] == []


def test_bidi_and_control_characters_do_not_hide_a_listed_name(matcher: Matcher) -> None:
    matches, _ = matcher.resolve(Query("\u202eOleg\u200f DERI\u200bPASKA", "person", birth_dates=["1968-01-02"]))
    assert matches and matches[0].entity_id == DERIPASKA
