"""Resolving a party against the registry in memory: candidate index + compiled scorer.

Built once per snapshot, read-only afterwards (safe to share between threads). Registry rows are
kept column-wise (columns.py): a million names must fit well under a gigabyte.

The build reads the rows once, so ``Matcher`` can take a generator streaming from the store: no
list of row dicts need ever be alive.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import structlog
from numpy.typing import NDArray
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from resolver.matching.columns import (
    CodedColumn,
    Frequencies,
    RegistryRows,
    StringColumn,
    TokenColumn,
    _hash,
    _jw_bound,
)
from resolver.matching.index import CandidateIndex
from resolver.matching.query import Query
from resolver.matching.scorer import CompiledModel, Evidence, Floor, Plan, probability, tf_columns, tf_table
from resolver.model.artefact import ModelArtefact
from resolver.model.features import model_row, stated_kind
from resolver.names import prepare_name
from resolver.names.prepare import NameFeatures

log = structlog.get_logger(__name__)

__all__ = ["DEFAULT_BLOCK_CAP", "EntityMatch", "Matcher", "Query", "ResolveStats"]

DEFAULT_BLOCK_CAP = 1000  # a key shared by more registry names than this opens no block (e.g. "mohammed")
_CDIST_FROM = 32  # more candidates than this left to check: one vectorised call (cdist, numpy), not a loop


def _floor_cost(floor: Floor) -> int:
    """Floors cheapest first: equal values (by hash), Jaro-Winkler bounds, word lists, aligned words."""
    return {"jw": 0 if floor.value >= 1.0 else 1, "overlap": 2, "subset": 2}.get(floor.kind, 3)


@dataclass(frozen=True)
class EntityMatch:
    entity_id: str
    matched_name: str
    match_weight: float
    match_probability: float
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True)
class ResolveStats:
    candidates: int  # registry names scored
    capped_keys: int  # keys whose block exceeded the cap and were skipped
    # Where the call's time went, in seconds: preparing the query's names, the candidate index (keys and lookup),
    # the prefilter's floors, scoring what they kept. The rest of a call (the same-words rule, ranking, evidence)
    # is its total less these.
    prepare_s: float = 0.0
    index_s: float = 0.0
    prefilter_s: float = 0.0
    score_s: float = 0.0


class Matcher:
    def __init__(
        self, rows: Iterable[Mapping[str, Any]], artefact: ModelArtefact, *, block_cap: int = DEFAULT_BLOCK_CAP
    ):
        """``rows``: model rows, read once (a generator streaming them is best for memory); rows made with
        ``index_keys`` (iter_model_rows, model_row) spare the build preparing each name a second time."""
        self.artefact = artefact
        self.block_cap = block_cap
        self.rows = RegistryRows._empty()

        def keys() -> Iterator[tuple[int, list[str]]]:
            # one pass: each row is stored column-wise and its index keys hashed, then dropped
            for i, row in enumerate(rows):
                self.rows.append(row)
                found = row.get("index_keys")  # prepared with the row (model_row), or prepared here the same way:
                if found is None:  # with the stated kind, not a guessed one
                    found = prepare_name(row["name"], None if row.get("kind_guessed") else row["kind"]).index_keys()
                yield i, found

        index = CandidateIndex.build(keys())
        self.rows.freeze()
        n = len(self.rows)
        self.index = index if index.n_records == n else CandidateIndex(*index.arrays, n)
        self._compile({})
        log.info("matcher built", names=n, keys=self.index.n_keys, bytes=self.index.nbytes)

    def _compile(self, frequencies: Mapping[str, Frequencies]) -> None:
        """The scorer over these rows: term frequencies of this registry (``frequencies``: tables already made,
        e.g. saved ones), so that online scores equal Splink's predict against it; row signatures where the
        subset floor reads them."""
        tables: dict[str, Mapping[Any, float]] = {}
        for c in tf_columns(self.artefact.model):
            column = self.rows.columns[c]
            hashed = isinstance(column, StringColumn) and column.hashes is not None
            if c in frequencies:
                tables[c] = frequencies[c]
            else:
                tables[c] = Frequencies(cast(StringColumn, column)) if hashed else tf_table(self.rows, c)
        self.scorer = CompiledModel(self.artefact.model, tables)
        for name in self.scorer.floor_columns("subset"):  # their floor's first pass reads row signatures
            values = self.rows.columns[name]
            if isinstance(values, TokenColumn):
                values.sign()

    @classmethod
    def assembled(
        cls,
        rows: RegistryRows,
        index: CandidateIndex,
        artefact: ModelArtefact,
        frequencies: Mapping[str, Frequencies],
        *,
        block_cap: int = DEFAULT_BLOCK_CAP,
    ) -> Matcher:
        """A matcher from parts already built (a saved matcher's, see persist.py): no row is prepared again."""
        if index.n_records != len(rows):
            raise ValueError(f"the index covers {index.n_records} records, the rows are {len(rows)}")
        self = cls.__new__(cls)
        self.artefact, self.block_cap, self.rows, self.index = artefact, block_cap, rows, index
        self._compile(frequencies)
        return self

    @classmethod
    def from_rows(
        cls, rows: Iterable[Mapping[str, Any]], artefact: ModelArtefact, *, block_cap: int = DEFAULT_BLOCK_CAP
    ) -> Matcher:
        """The matcher over ``rows``, consumed once: pass a generator so they are never all alive."""
        return cls(rows, artefact, block_cap=block_cap)

    @property
    def threshold(self) -> float:
        return self.artefact.threshold_match_weight

    def _query_rows(self, query: Query) -> list[dict[str, Any]]:
        return [row for row, _ in self._prepared(query)]

    def _prepared(self, query: Query) -> list[tuple[dict[str, Any], NameFeatures]]:
        """The query's model rows (name, then each distinct alias), each with its name's features: the name is
        prepared once, for the row and for the index keys."""
        out = []
        kind = stated_kind(query.kind)
        for i, name in enumerate(dict.fromkeys([query.name, *query.aliases])):
            features = prepare_name(name, kind)
            row = model_row(
                f"query#{i}", None, name, kind, query.birth_dates, query.countries, query.identifiers,
                features=features,
            )  # fmt: skip
            if row["name_norm"] is not None:
                out.append((row, features))
        return out

    def _prefilter(self, qrow: Mapping[str, Any], plan: Plan, cut: float, ids: NDArray[np.int32]) -> list[int]:
        """Drop, in one vectorised pass, candidates whose string similarity rules out the threshold.

        The slowest comparison (the name) is scored last; when the rest of the query cannot reach the
        threshold without a strong name level, and every such level has a similarity floor, only candidates
        over one of those floors can match (see CompiledModel.similarity_floors)."""
        if not plan.live or ids.size < 8:
            return cast("list[int]", ids.tolist())
        slowest = plan.live[-1]
        need = cut - (plan.ceiling - slowest.reachable[0])
        floors = self.scorer.similarity_floors(slowest, need)
        if floors is None:
            return cast("list[int]", ids.tolist())
        keep = np.zeros(ids.size, dtype=bool)
        # Which candidates are in another script than the query's, once for all the cross-script floors (with no
        # stated script, those floors keep nothing and never ask).
        script = qrow["name_script"]
        asked = script is not None and any(floor.other_script for floor in floors)
        other = self._in_other_script(script, ids) if asked else None
        for floor in sorted(floors, key=_floor_cost):
            if _floor_cost(floor) == 0:  # equal values by hash: cheaper on every candidate than gathering the rest
                keep |= self._floor_keep(qrow, floor, ids, other)
            else:  # on what no cheaper floor kept
                rest = np.flatnonzero(~keep)
                keep[rest] = self._floor_keep(qrow, floor, ids[rest], None if other is None else other[rest])
        kept: list[int] = ids[keep].tolist()
        return kept

    def _floor_keep(
        self, qrow: Mapping[str, Any], floor: Floor, ids: NDArray[np.int32], other: NDArray[np.bool_] | None = None
    ) -> NDArray[np.bool_]:
        """The candidates that pass one floor (see CompiledModel.similarity_floors); ``other``, when given, says
        which of ``ids`` have a name in another script (_in_other_script), for the floors that ask."""
        if floor.other_script:  # names in two stated scripts only: the rest of the floor on those alone
            keep = np.zeros(ids.size, dtype=bool)
            script = qrow["name_script"]
            if script is not None:
                at = np.flatnonzero(self._in_other_script(script, ids) if other is None else other)
                keep[at] = self._floor_keep(qrow, floor._replace(other_script=False), ids[at])
            return keep
        kind, column, value, words, _ = floor
        if kind == "jw":
            return self._jw_keep(column, qrow[column], value, ids)
        mine = qrow[column]
        if mine is None:
            return np.zeros(ids.size, dtype=bool)
        if kind in ("overlap", "subset"):
            return self._shared_keep(column, mine, value, ids, subset=kind == "subset")
        if kind == "aligned":
            return self._aligned_keep(column, mine, value, ids, words=words)
        if kind == "aligned-same":
            return self._aligned_same_keep(column, mine, value, ids, words=words)
        raise ValueError(f"unknown similarity floor {kind!r}")

    def _shared_keep(
        self, column: str, mine: Sequence[str], floor: float, ids: NDArray[np.int32], *, subset: bool
    ) -> NDArray[np.bool_]:
        """Candidates whose list ``column`` shares at least ``floor`` items with ``mine``; with ``subset``, only
        those where the shorter of the two lists (of ``floor`` items or more) is wholly in the other."""
        values = self.rows.columns[column]
        if isinstance(values, TokenColumn):
            if not subset:
                return self._shared_count(values, mine, floor, ids, subset=False)
            keep = np.zeros(ids.size, dtype=bool)
            if len(set(mine)) < floor or not ids.size:
                return keep  # the shorter list would have fewer than floor items
            if values.signatures is None:
                return self._shared_count(values, mine, floor, ids, subset=True)
            # Signatures first (one list's token bits all in the other's): typical candidates share a word
            # and hold others, so few are left to count.
            maybe = np.flatnonzero(values.rows_in_or_holding(ids, mine, math.ceil(floor)))
            count = self._shared_count if maybe.size > _CDIST_FROM else self._shared_by_sets
            keep[maybe] = count(values, mine, floor, ids[maybe], subset=True)
            return keep
        return self._shared_by_sets(values, mine, floor, ids, subset=subset)

    @staticmethod
    def _shared_by_sets(
        values: Sequence[Any], mine: Sequence[str], floor: float, ids: NDArray[np.int32], *, subset: bool
    ) -> NDArray[np.bool_]:
        """_shared_keep's test row by row, with Python sets: for a few rows, or a column not held as tokens."""
        wanted = set(mine)
        keep = np.zeros(ids.size, dtype=bool)
        for j, i in enumerate(ids.tolist()):
            theirs = values[i]
            if theirs is not None:
                shared_n = len(wanted.intersection(theirs))
                keep[j] = shared_n >= floor and (not subset or shared_n == min(len(wanted), len(theirs)))
        return keep

    @staticmethod
    def _shared_count(
        values: TokenColumn, mine: Sequence[str], floor: float, ids: NDArray[np.int32], *, subset: bool
    ) -> NDArray[np.bool_]:
        """_shared_keep's test vectorised over a token column's rows."""
        shared = values.overlaps(ids, mine)
        keep = ~values.null[ids] & (shared >= floor)
        if subset:
            shorter = np.minimum(values.sizes(ids), len(set(mine)))
            keep &= shared == shorter
        return keep

    def _aligned_keep(
        self, column: str, mine: Sequence[str], floor: float, ids: NDArray[np.int32], *, words: int = 0
    ) -> NDArray[np.bool_]:
        """Candidates whose word list ``column`` aligns with ``mine`` as aligned_words_sql's first half says: the
        words of the shorter list (the candidate's on equal lengths, as scorer._aligned), each with its best
        Jaro-Winkler match in the other, average ``floor`` or more; neither list shorter than ``words``. Necessary
        for the level, not sufficient (the one-to-one half is left to the scorer); a small slack keeps sums in another
        order."""
        keep = np.zeros(ids.size, dtype=bool)
        values = self.rows.columns[column]
        if not isinstance(values, TokenColumn) or not mine or len(mine) < words or not ids.size:
            return keep
        maybe = np.flatnonzero(~values.null[ids])
        # lengths checked before any word is compared; reduceat below needs words in every row
        maybe = maybe[values.sizes(ids[maybe]) >= max(words, 1)]
        if not maybe.size:
            return keep
        flat, ends, sizes = values.concatenated(ids[maybe])
        firsts = ends - sizes  # where each row's words begin in the flat list
        distinct, at = np.unique(flat, return_inverse=True)
        vocabulary = values.vocabulary_of(distinct)
        scores = process.cdist(list(mine), vocabulary, scorer=JaroWinkler.similarity, dtype=np.float64)[:, at]
        n = len(mine)
        # the candidate's list is the shorter: its words' best matches among mine, averaged
        theirs = np.add.reduceat(scores.max(axis=0), firsts) / sizes
        # mine is the shorter: my words' best matches among the candidate's, averaged
        ours = np.maximum.reduceat(scores, firsts, axis=1).mean(axis=0)
        mean = np.where(sizes <= n, theirs, ours)
        keep[maybe] = mean >= floor - 1e-9
        return keep

    def _aligned_same_keep(
        self, column: str, mine: Sequence[str], floor: float, ids: NDArray[np.int32], *, words: int = 0
    ) -> NDArray[np.bool_]:
        """_aligned_keep for candidates whose list is as long as ``mine`` (``words`` or more): their word ids as a
        matrix, a row per candidate; each distinct word's best Jaro-Winkler match among mine, averaged per row."""
        keep = np.zeros(ids.size, dtype=bool)
        values = self.rows.columns[column]
        if not isinstance(values, TokenColumn) or not mine or len(mine) < words or not ids.size:
            return keep
        at, matrix = values.of_length(ids, len(mine))
        if not at.size:
            return keep
        distinct, where = np.unique(matrix.ravel(), return_inverse=True)
        similar = process.cdist(
            list(mine), values.vocabulary_of(distinct), scorer=JaroWinkler.similarity, dtype=np.float64
        )
        keep[at] = similar.max(axis=0)[where.reshape(matrix.shape)].mean(axis=1) >= floor - 1e-9
        return keep

    def _in_other_script(self, script: str, ids: NDArray[np.int32]) -> NDArray[np.bool_]:
        """Which of ``ids`` have a name in a stated script (the model's ``name_script``) other than ``script``."""
        scripts = cast(CodedColumn, self.rows.columns["name_script"])
        codes = scripts.codes[ids]
        mine = scripts.values.index(script) if script in scripts.values else -1
        other: NDArray[np.bool_] = (codes >= 0) & (codes != mine)
        return other

    def _jw_keep(self, column: str, value: str | None, floor: float, ids: NDArray[np.int32]) -> NDArray[np.bool_]:
        """Candidates whose Jaro-Winkler similarity on ``column`` is >= floor (None scores 0, as rapidfuzz)."""
        if floor <= 0:
            return np.ones(ids.size, dtype=bool)
        if value is None:
            return np.zeros(ids.size, dtype=bool)
        values = self.rows.columns[column]
        if isinstance(values, StringColumn) and values.hashes is not None and floor >= 1.0:
            # Jaro-Winkler is 1.0 for identical strings only: compare hashes (a collision only adds one)
            return cast("NDArray[np.bool_]", values.hashes[ids] == _hash(value))
        if isinstance(values, StringColumn) and values.histograms is not None:
            maybe = np.flatnonzero(_jw_bound(values, value, ids, floor))
        else:
            maybe = np.arange(ids.size)
        keep = np.zeros(ids.size, dtype=bool)
        if maybe.size > _CDIST_FROM:
            choices = [values[i] for i in ids[maybe].tolist()]
            scores = process.cdist([value], choices, scorer=JaroWinkler.similarity, dtype=np.float64)[0]
            keep[maybe] = scores >= floor
        else:  # the few the bound leaves (5 of ~500 typically): a call each costs less than setting up cdist
            similarity, get = JaroWinkler.similarity, values.__getitem__
            for j, i in zip(maybe.tolist(), ids[maybe].tolist(), strict=True):
                theirs = get(i)
                keep[j] = theirs is not None and similarity(value, theirs) >= floor
        return keep

    def _same_words(self, prepared: list[tuple[dict[str, Any], NameFeatures]], best: dict[str, Any]) -> None:
        """Add every entity holding the query's name word for word (any order), whatever its weight: a screening
        rule, so that an officer always sees a listed name, even one that several entities share (where term
        frequencies lower each one's weight) or one whose other details disagree. The weight stays the model's."""
        entity_ids, sorted_names = self.rows.columns["entity_id"], self.rows.columns["name_sorted"]
        for qi, (qrow, _) in enumerate(prepared):
            words = qrow["name_sorted"]
            for rid in self.index.block("s:" + words).tolist():
                eid = entity_ids[rid]
                if eid not in best and sorted_names[rid] == words:  # a hashed key: check the words themselves
                    best[eid] = (self.scorer.weight(qrow, self.rows.row(rid)), rid, qi)

    def resolve(
        self, query: Query, *, threshold: float | None = None, limit: int = 10, explain: bool = True
    ) -> tuple[list[EntityMatch], ResolveStats]:
        """Entities whose best-matching name scores >= threshold (a match weight), and every entity holding the
        query's name word for word (see _same_words), best first."""
        cut = self.threshold if threshold is None else threshold
        best: dict[str, tuple[float, int, int]] = {}  # entity → (weight, registry row, query row)
        scored = capped = 0
        clock = time.perf_counter
        started = clock()
        prepared = self._prepared(query)
        prepare_s, index_s, prefilter_s, score_s = clock() - started, 0.0, 0.0, 0.0
        entity_ids = self.rows.columns["entity_id"]
        for qi, (qrow, features) in enumerate(prepared):
            plan = self.scorer.plan(qrow)
            if plan.ceiling < cut:
                continue  # nothing this query states could reach the threshold
            started = clock()
            keys = features.index_keys()
            found = self.index.candidates(keys, cap=self.block_cap, pair_capped=True)
            capped += len(found.capped)
            looked_up = clock()
            ids = self._prefilter(qrow, plan, cut, found.ids)
            filtered = clock()
            index_s += looked_up - started
            prefilter_s += filtered - looked_up
            for rid in ids:
                scored += 1
                weight = self.scorer.weight_if_at_least(qrow, self.rows.row(rid), cut, plan)
                if weight is None:
                    continue
                eid = entity_ids[rid]
                if eid not in best or weight > best[eid][0]:
                    best[eid] = (weight, rid, qi)
            score_s += clock() - filtered
        self._same_words(prepared, best)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        matches = []
        for eid, (weight, rid, qi) in ranked:
            evidence = self.scorer.explain(prepared[qi][0], self.rows.row(rid))[1] if explain else []
            matches.append(EntityMatch(eid, self.rows.columns["name"][rid], weight, probability(weight), evidence))
        return matches, ResolveStats(scored, capped, prepare_s, index_s, prefilter_s, score_s)
