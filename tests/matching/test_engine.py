"""Resolving parties against the embedded registry in memory: real listings, real spellings, bad input."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rapidfuzz.distance import JaroWinkler

from resolver.matching.columns import CodedColumn, StringColumn, TokenColumn, _jw_bound
from resolver.matching.engine import Matcher, Query
from resolver.matching.scorer import CompiledModel, Floor, _aligned, similarity_floor, tf_columns, tf_table, translate
from resolver.model.artefact import load_artefact
from resolver.model.features import COLUMNS, model_row
from resolver.model.settings import (
    ALIGNED_HIGH,
    ALL_WORDS_ALIGNED_SQL,
    CROSS_SCRIPT_SKELETON_SQL,
    CROSS_SCRIPT_SLAVIC_SQL,
)
from resolver.model.train import iter_model_rows, registry_rows
from resolver.names import prepare_name
from resolver.registry.ingest import parse_all
from resolver.registry.store import RegistryStore
from resolver.settings import EMBEDDED_REGISTRY

DERIPASKA = "us_ofac_sdn:24283"


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    store = RegistryStore(tmp_path_factory.mktemp("engine") / "registry.duckdb")
    store.ingest(parse_all([EMBEDDED_REGISTRY]))
    return registry_rows(store)[0]


@pytest.fixture(scope="module")
def matcher(rows: list[dict[str, Any]]) -> Matcher:
    return Matcher.from_rows(iter(rows), load_artefact())  # a one-pass iterator, as a store would stream them


def test_listed_person_resolves_first_with_evidence(matcher: Matcher) -> None:
    matches, stats = matcher.resolve(Query("Oleg DERIPASKA", "person", birth_dates=["1968-01-02"], countries=["ru"]))
    assert matches[0].entity_id == DERIPASKA
    assert matches[0].match_probability > 0.99
    evidence = {e.comparison: e for e in matches[0].evidence}
    assert evidence["birth_date"].level == "Same date" and evidence["birth_date"].weight > 5
    assert evidence["name"].weight > 5
    assert stats.candidates >= 1


def test_resolve_reports_where_its_time_went(matcher: Matcher) -> None:
    """The stage times in ResolveStats (benchmarks/bench_resolve.py reports them): each stage that ran took some
    time, and together they fit inside the call's own wall time."""
    started = time.perf_counter()
    matches, stats = matcher.resolve(Query("Олег Владимирович Дерипаска", "person"))
    wall = time.perf_counter() - started
    stages = (stats.prepare_s, stats.index_s, stats.prefilter_s, stats.score_s)
    assert matches and stats.candidates >= 1  # every stage ran: something was scored
    assert all(s > 0 for s in stages)
    assert sum(stages) <= wall
    nothing, quiet = matcher.resolve(Query("Zzyxq Vrrbnt", "person"))
    assert not nothing and quiet.prepare_s > 0 and quiet.index_s > 0  # a name that finds nothing is timed too


def test_cyrillic_spelling_finds_the_latin_listing(matcher: Matcher) -> None:
    matches, _ = matcher.resolve(Query("Олег Владимирович Дерипаска", "person", birth_dates=["1968-01-02"]))
    assert matches and matches[0].entity_id == DERIPASKA


def test_russian_form_without_the_patronymic_finds_the_belarusian_listing(matcher: Matcher) -> None:
    # "LUKASHENKA, Alyaksandr Ryhorovich" is listed in its Belarusian form; the query is the Russian one, in
    # Cyrillic, without the patronymic: only the East Slavic skeletons ("lksndr lksnk") are in both
    matches, _ = matcher.resolve(Query("Александр Лукашенко", "person"))
    found = {m.entity_id: m for m in matches}
    assert "us_ofac_sdn:9760" in found
    assert (
        found["us_ofac_sdn:9760"].evidence[0].level.startswith("Scripts differ, East Slavic skeletons of the shorter")
    )


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


def _stored(row: Mapping[str, Any]) -> dict[str, Any]:
    """A model row as the matcher gives it back: its model columns (not the kind_guessed note), lists as tuples."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in row.items() if k in COLUMNS}


def test_coded_columns_widen_as_their_values_grow() -> None:
    # a code per row, built one byte wide and widened past 127 and 32,767 distinct values (and None stays None)
    column = CodedColumn("countries")
    values = [None if i % 7 == 0 else (f"c{i % 40_000}",) for i in range(90_000)]
    for value in values:
        column.append(value)
    column.freeze()
    assert column.codes.dtype == np.int32
    assert list(column) == values


def test_rows_read_back_exactly(matcher: Matcher, rows: list[dict[str, Any]]) -> None:
    assert len(matcher.rows) == len(rows)
    for i, row in enumerate(rows):
        assert dict(matcher.rows.row(i)) == _stored(row), i
    assert list(matcher.rows.columns["name"]) == [r["name"] for r in rows]


def test_term_frequencies_equal_a_full_count(matcher: Matcher, rows: list[dict[str, Any]]) -> None:
    for column in tf_columns(load_artefact().model):
        expected, table = tf_table(rows, column), matcher.scorer.tf_tables[column]
        assert len(table) == len(expected) and dict(table.items()) == expected
        assert min(table.values()) == min(expected.values())
        assert table.get("no such name at all") is None and table.get(None) is None


def _variant(name: str, rng: random.Random) -> str:
    words = name.split()
    i = rng.randrange(len(words))
    w = words[i]
    if len(w) > 3:
        j = rng.randrange(1, len(w))
        words[i] = w[:j] + rng.choice("aeiouxk") + w[j + 1 :]
    if len(words) > 1 and rng.random() < 0.3:
        words[0], words[-1] = words[-1], words[0]
    return " ".join(words)


def _queries(rows: list[dict[str, Any]], n: int, seed: int) -> list[Query]:
    rng = random.Random(seed)
    out = []
    for row in rng.sample(rows, n):
        donor = rng.choice(rows)
        out.append(
            Query(
                rng.choice([row["name"], _variant(row["name"], rng)]),
                rng.choice([row["kind"], None, "unknown"]),
                birth_dates=rng.choice([[], row["dob_dates"] or [], donor["dob_years"] or []]),
                countries=rng.choice([[], row["countries"] or [], ["ru"]]),
                identifiers=rng.choice([[], [], row["identifiers"] or []]),
                aliases=rng.choice([[], [donor["name"]], [row["name"], _variant(donor["name"], rng)]]),
            )
        )
    return out


def test_rows_carrying_their_index_keys_build_the_same_index(
    tmp_path: Path, rows: list[dict[str, Any]], matcher: Matcher
) -> None:
    """A server's rows bring their index keys (prepared once, with the row); the index must be the one a matcher
    builds by preparing each name itself."""
    store = RegistryStore(tmp_path / "registry.duckdb")
    store.ingest(parse_all([EMBEDDED_REGISTRY]))
    with store.connect(read_only=True) as con:
        keyed = list(iter_model_rows(con, store.resolve_snapshot(con, None), index_keys=True))
    assert len(keyed) == len(rows) and all(r["index_keys"] for r in keyed)
    assert [{k: v for k, v in r.items() if k != "index_keys"} for r in keyed] == rows
    for row in keyed[:: max(1, len(keyed) // 500)]:
        stated = None if row["kind_guessed"] else row["kind"]
        assert row["index_keys"] == prepare_name(row["name"], stated).index_keys()
    built = Matcher.from_rows(iter(keyed), load_artefact())
    for mine, theirs in zip(built.index.arrays, matcher.index.arrays, strict=True):
        assert np.array_equal(mine, theirs)


def test_query_rows_are_model_rows(rows: list[dict[str, Any]], matcher: Matcher) -> None:
    """The matcher prepares a query's name once, for its model row and its index keys: the row is model_row's."""
    for q in [*_queries(rows, 300, 3), Query("Mr John SMITH LLC", "unknown")]:
        for i, (row, features) in enumerate(matcher._prepared(q)):
            name = [*dict.fromkeys([q.name, *q.aliases])][i]
            assert row == model_row(f"query#{i}", None, name, q.kind, q.birth_dates, q.countries, q.identifiers)
            assert features == prepare_name(name, row["kind"])


def _reference(matcher: Matcher, rows: list[dict[str, Any]], query: Query, cut: float) -> dict[str, tuple[float, Any]]:
    """What resolve must return, the slow way: every index candidate scored in full, on the original
    row dicts, by a scorer whose tf tables are plain dicts; plus every row holding the query's words."""
    artefact = load_artefact()
    scorer = CompiledModel.for_registry(artefact.model, rows)
    best: dict[str, tuple[float, Any]] = {}
    for name in dict.fromkeys([query.name, *query.aliases]):
        qrow = model_row("q", None, name, query.kind, query.birth_dates, query.countries, query.identifiers)
        if qrow["name_norm"] is None:
            continue
        keys = prepare_name(name, qrow["kind"]).index_keys()
        for i in matcher.index.candidates(keys, cap=matcher.block_cap, pair_capped=True).ids.tolist():
            # the weight as resolve sums it (live comparisons, the name last), the evidence as explain does
            weight = scorer.weight_if_at_least(qrow, rows[i], cut)
            eid = rows[i]["entity_id"]
            if weight is not None and (eid not in best or weight > best[eid][0]):
                best[eid] = (weight, scorer.explain(qrow, rows[i])[1])
    for name in dict.fromkeys([query.name, *query.aliases]):
        qrow = model_row("q", None, name, query.kind, query.birth_dates, query.countries, query.identifiers)
        for row in rows:
            if qrow["name_sorted"] is not None and row["name_sorted"] == qrow["name_sorted"]:
                best.setdefault(row["entity_id"], (scorer.weight(qrow, row), scorer.explain(qrow, row)[1]))
    return best


@pytest.mark.parametrize("threshold", [None, -8.0])
def test_resolve_equals_full_scoring_on_registry_names(
    matcher: Matcher, rows: list[dict[str, Any]], threshold: float | None
) -> None:
    # the compact columns, the prefilter's bounds and the pruning must change no match, weight or evidence
    cut = matcher.threshold if threshold is None else threshold
    found_any = 0
    for query in _queries(rows, 150, 11):
        matches, _ = matcher.resolve(query, threshold=threshold, limit=10_000)
        expected = _reference(matcher, rows, query, cut)
        assert {m.entity_id: m.match_weight for m in matches} == {e: w for e, (w, _) in expected.items()}, query
        for m in matches:
            assert m.evidence == expected[m.entity_id][1]
        found_any += bool(matches)
    assert found_any > 50  # the check must not pass on empty results


def test_similarity_floors_worked_out_once_equal_the_definition(matcher: Matcher) -> None:
    """similarity_floors remembers its answer per (comparison, reachable levels, need > 0): at every need, it
    equals the definition (the floors of the levels that can still add ``need``, or None if one has none)."""
    scorer = matcher.scorer
    tried = 0
    for comparison in scorer.comparisons:
        edges = sorted({*comparison.reachable, 0.0})
        needs = [x + d for x in edges for d in (-1e-9, 0.0, 1e-9)] + [edges[0] - 5, edges[-1] + 5]
        for need in needs * 2:  # the second time from what was remembered
            expected: list[tuple[str, str, float, int, bool]] | None = []
            floors: dict[tuple[str, str, bool], tuple[float, int]] = {}
            for level, reachable in zip(comparison.levels, comparison.reachable, strict=True):
                if reachable < need:
                    break
                if level.value == -1 and need > 0:
                    continue
                if level.similarity_floor is None:
                    expected = None
                    break
                kind, column, floor, words, other_script = level.similarity_floor
                seen = floors.get((kind, column, other_script), (floor, words))
                floors[(kind, column, other_script)] = (min(floor, seen[0]), min(words, seen[1]))
            if expected is not None:
                expected = [(k, c, f, w, x) for (k, c, x), (f, w) in sorted(floors.items())]
            assert scorer.similarity_floors(comparison, need) == expected, (comparison.name, need)
            tried += 1
    assert tried > 50


def test_jaro_winkler_bound_never_drops_a_pair_over_the_floor() -> None:
    rng = random.Random(5)
    alphabet = "abcdeiklmnorsz 09éßж"
    words = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14))) for _ in range(3000)]
    words += ["a" * 300, "ab" * 200]  # counts beyond a byte
    column = StringColumn("name_sorted", hashed=True)
    for w in words:
        column.append(w)
    column.append(None)
    column.freeze(histograms=True)
    rows = np.arange(len(column), dtype=np.int32)
    for text in [*rng.sample(words, 150), "a" * 280]:
        scores = np.array([JaroWinkler.similarity(text, w) if w is not None else 0.0 for w in column])
        for floor in (0.8, 0.88, 0.94, 1.0):
            kept = _jw_bound(column, text, rows, floor)
            assert kept[scores >= floor].all(), (text, floor)


def test_token_signatures_never_drop_a_row_one_list_is_wholly_in() -> None:
    """rows_in_or_holding (the subset floor's first pass) against the sets themselves: 4,000 token vocabulary
    in 60 bits collides a lot; rows of 0 to 20 tokens (over the 15 a signature counts); queries with tokens the
    vocabulary lacks."""
    rng = random.Random(11)
    vocabulary = [f"w{i}" for i in range(4000)]
    column = TokenColumn("name_tokens", {}, [])
    lists: list[tuple[str, ...] | None] = []
    for _ in range(5000):
        value = None if rng.random() < 0.05 else tuple(dict.fromkeys(rng.sample(vocabulary, rng.randint(0, 20))))
        lists.append(value)
        column.append(value)
    column.freeze()
    column.sign()
    rows = np.arange(len(lists), dtype=np.int32)
    dropped_some = False
    for _ in range(300):
        theirs_pick = rng.choice([x for x in lists if x])
        mine = list(rng.sample(theirs_pick, min(len(theirs_pick), rng.randint(1, 4))))
        mine += rng.sample(vocabulary, rng.randint(0, 3)) + (["unseen"] if rng.random() < 0.3 else [])
        for least in (1, 2, 3):
            maybe = column.rows_in_or_holding(rows, mine, least)
            for i, theirs in enumerate(lists):
                if theirs is None or len(theirs) < least:
                    continue
                if set(theirs) <= set(mine) or set(mine) <= set(theirs):
                    assert maybe[i], (mine, theirs, least)
            dropped_some |= not maybe.all()
    assert dropped_some  # and it is a filter: it leaves rows out


def test_a_listed_name_word_for_word_is_always_returned(rows: list[dict[str, Any]], matcher: Matcher) -> None:
    """Even far below the threshold (a name several entities share, a date of birth that disagrees)."""
    row = next(r for r in rows if r["kind"] == "person" and r["dob_years"] and len(r["name_tokens"] or ()) >= 2)
    words = row["name"].split()
    query = Query(" ".join(reversed(words)), "person", birth_dates=["1900-01-01"])  # another order, another date
    matches, _ = matcher.resolve(query, threshold=60.0)  # a threshold nothing reaches
    assert row["entity_id"] in [m.entity_id for m in matches]
    assert all(m.match_weight < 60.0 for m in matches)


@pytest.mark.parametrize("subset", [False, True])
@pytest.mark.parametrize("column", ["name_tokens", "name_folded_tokens", "name_skeleton_tokens", "name_slavic_tokens"])
def test_shared_token_floors_equal_the_model_levels_conditions(matcher: Matcher, subset: bool, column: str) -> None:
    # the prefilter's "overlap" and "subset" floors against the SQL conditions they stand for, on every row:
    # list_intersect size >= n; and LEAST(lengths) >= n AND the intersection is the whole shorter list.
    # The columns of the model's subset levels have row signatures: their subset test reads them first.
    tokens = matcher.rows.columns[column]
    assert isinstance(tokens, TokenColumn)
    assert (tokens.signatures is not None) == (column != "name_tokens")
    ids = np.arange(len(matcher.rows), dtype=np.int32)
    checked = kept_any = 0
    for name in ("Banco Nacional de Cuba", "Islamic Revolutionary Guard Corps", "Ali Mohammed", "Oleg Deripaska"):
        mine = model_row("q", None, name, None, (), (), ())[column]
        for floor in (1, 2):
            kept = matcher._shared_keep(column, mine, floor, ids, subset=subset)
            for i in range(len(matcher.rows)):
                theirs = tokens[i]
                shared = 0 if theirs is None else len(set(mine) & set(theirs))
                shorter = 0 if theirs is None else min(len(set(mine)), len(theirs))
                want = theirs is not None and shared >= floor and (not subset or shared == shorter)
                assert kept[i] == want, (name, floor, theirs)
                checked += 1
            kept_any += int(kept.sum())
    assert checked > 10_000 and kept_any > 20  # real rows, and the floors keep some of them


@pytest.mark.parametrize("column", ["name_tokens", "name_folded_tokens"])
def test_aligned_words_floor_keeps_every_row_the_level_holds_for(matcher: Matcher, column: str) -> None:
    """The prefilter's "aligned" floors against the aligned-words levels themselves (scorer._aligned, the SQL's
    translation; with equal lengths, the all-words-align level's) on every registry row: every row a level holds
    for is kept by its floor; with ``other_script``, only rows whose name is in another stated script; with
    "aligned-same", only rows of the query's length."""
    aligned, all_align = _aligned(column, 2, 0.82), translate(ALL_WORDS_ALIGNED_SQL.replace("name_tokens", column))
    ids = np.arange(len(matcher.rows), dtype=np.int32)
    scripts, tokens = matcher.rows.columns["name_script"], matcher.rows.columns[column]
    holds_any = holds_all = 0
    for name in (
        "Oleg Vladimirovich Deripaska",
        "Олег Владимирович Дерипаска",
        "Banco Nacional de Cuba",
        "Ali Mohamed",
        "Ali Mohamed Hassan",
    ):
        qrow = matcher._query_rows(Query(name, None))[0]
        mine = qrow[column]
        kept = matcher._aligned_keep(column, mine, 0.82, ids, words=2)
        kept_xs = matcher._floor_keep(qrow, Floor("aligned", column, 0.82, 2, other_script=True), ids)
        kept_same = matcher._aligned_same_keep(column, mine, ALIGNED_HIGH, ids, words=3)
        for i in range(len(matcher.rows)):
            row = matcher.rows.row(i)
            if aligned(qrow, row):
                holds_any += 1
                assert kept[i], (name, row["name"])
                if scripts[i] is not None and scripts[i] != qrow["name_script"]:
                    assert kept_xs[i], (name, row["name"])
            if all_align(qrow, row):
                holds_all += 1
                assert kept_same[i], (name, row["name"])
            if kept_xs[i]:
                assert scripts[i] is not None and scripts[i] != qrow["name_script"]
            if kept_same[i]:
                assert len(tokens[i]) == len(mine) >= 3
        assert kept.sum() < len(ids) / 20  # a floor that keeps little, not everything
    assert holds_any > 20 and holds_all > 5


@pytest.mark.parametrize(
    ("sql", "column"),
    [(CROSS_SCRIPT_SKELETON_SQL, "name_skeleton_full"), (CROSS_SCRIPT_SLAVIC_SQL, "name_slavic_full")],
)
def test_cross_script_equality_floor_keeps_every_row_its_level_holds_for(
    matcher: Matcher, sql: str, column: str
) -> None:
    """The floor of the cross-script skeleton levels (equal values, ``other_script``), on every registry row: every
    row the level holds for is kept; a kept row's name is in another stated script than the query's. A plain
    equality floor kept every same-skeleton name of the query's own script too ("Mohammed Yahyya MU'LA": 243 rows
    scored for nothing)."""
    assert similarity_floor(sql) == Floor("jw", column, 1.0, other_script=True)
    level = translate(sql)
    ids = np.arange(len(matcher.rows), dtype=np.int32)
    scripts = matcher.rows.columns["name_script"]
    holds = same_script_equal = 0
    for name in ("Олег Владимирович Дерипаска", "Игорь Иванович Сечин", "Oleg Vladimirovich Deripaska", "Mohammed Ali"):
        qrow = matcher._query_rows(Query(name, "person"))[0]
        kept = matcher._floor_keep(qrow, Floor("jw", column, 1.0, other_script=True), ids)
        equal = matcher._floor_keep(qrow, Floor("jw", column, 1.0), ids)
        # as _prefilter calls it, with the candidates' scripts worked out once for all its floors: the same rows
        other = matcher._in_other_script(qrow["name_script"], ids)
        given = matcher._floor_keep(qrow, Floor("jw", column, 1.0, other_script=True), ids, other)
        assert np.array_equal(given, kept)
        for i in range(len(matcher.rows)):
            row = matcher.rows.row(i)
            if level(qrow, row):
                holds += 1
                assert kept[i], (name, row["name"])
            if kept[i]:
                assert scripts[i] is not None and qrow["name_script"] is not None and scripts[i] != qrow["name_script"]
            same_script_equal += int(equal[i] and not kept[i])
    assert holds >= 2  # the Cyrillic queries meet their listed Latin names
    assert same_script_equal > 0  # and the floor drops what a plain equality floor would have kept
