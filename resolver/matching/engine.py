"""Resolving a party against the registry in memory: candidate index + compiled scorer.

Built once per snapshot, read-only afterwards (safe to share between threads). Registry rows are
kept column-wise (one list per model column, repeated strings interned) rather than as a dict per
name: a million names must fit well under a gigabyte.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import structlog
from numpy.typing import NDArray
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from resolver.matching.index import CandidateIndex
from resolver.matching.scorer import CompiledModel, Evidence, Plan, probability, tf_columns, tf_table
from resolver.model.artefact import ModelArtefact
from resolver.model.features import COLUMNS, model_row
from resolver.names import prepare_name

log = structlog.get_logger(__name__)

DEFAULT_BLOCK_CAP = 1000  # a key shared by more registry names than this opens no block (e.g. "mohammed")
_INTERNED = (
    "kind", "legal_form", "countries", "dob_dates", "dob_months", "dob_years", "name_tokens", "name_skeleton_tokens",
)  # fmt: skip


class RegistryRows:
    """Model rows stored column-wise; ``row(i)`` is a cheap read-only view."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self.columns: dict[str, list[Any]] = {c: [] for c in COLUMNS}
        for row in rows:
            for column, values in self.columns.items():
                value = row[column]
                if column in _INTERNED and value is not None:
                    value = sys.intern(value) if isinstance(value, str) else tuple(sys.intern(v) for v in value)
                elif isinstance(value, list):
                    value = tuple(value)
                values.append(value)

    def __len__(self) -> int:
        return len(self.columns["unique_id"])

    def row(self, i: int) -> RowView:
        return RowView(self.columns, i)

    def __iter__(self) -> Iterator[RowView]:
        return (self.row(i) for i in range(len(self)))


class RowView(Mapping[str, Any]):
    __slots__ = ("_columns", "_i")

    def __init__(self, columns: dict[str, list[Any]], i: int) -> None:
        self._columns = columns
        self._i = i

    def __getitem__(self, key: str) -> Any:
        return self._columns[key][self._i]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)


@dataclass(frozen=True)
class Query:
    """A party as the matcher sees it."""

    name: str
    kind: str | None = None
    birth_dates: Sequence[str] = ()
    countries: Sequence[str] = ()
    identifiers: Sequence[str] = ()
    aliases: Sequence[str] = ()


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


class Matcher:
    def __init__(self, rows: list[dict[str, Any]], artefact: ModelArtefact, *, block_cap: int = DEFAULT_BLOCK_CAP):
        self.artefact = artefact
        self.block_cap = block_cap
        self.rows = RegistryRows(rows)
        # Term frequencies of this registry: online scores equal Splink's predict against it.
        self.scorer = CompiledModel(artefact.model, {c: tf_table(rows, c) for c in tf_columns(artefact.model)})
        names, kinds = self.rows.columns["name"], self.rows.columns["kind"]
        self.index = CandidateIndex.from_key_lists(
            prepare_name(name, kind).index_keys() for name, kind in zip(names, kinds, strict=True)
        )
        log.info("matcher built", names=len(self.rows), keys=self.index.n_keys, bytes=self.index.nbytes)

    @property
    def threshold(self) -> float:
        return self.artefact.threshold_match_weight

    def _query_rows(self, query: Query) -> list[dict[str, Any]]:
        rows = []
        for i, name in enumerate(dict.fromkeys([query.name, *query.aliases])):
            row = model_row(f"query#{i}", None, name, query.kind, query.birth_dates, query.countries, query.identifiers)
            if row["name_norm"] is not None:
                rows.append(row)
        return rows

    def _prefilter(self, qrow: dict[str, Any], plan: Plan, cut: float, ids: NDArray[np.int32]) -> list[int]:
        """Drop, in one vectorised pass, candidates whose string similarity rules out the threshold.

        The slowest comparison (the name) is scored last; when the rest of the query cannot reach the
        threshold without a strong name level, and every such level is exact or Jaro-Winkler, only
        candidates over one of those similarity floors can match (see CompiledModel.similarity_floors)."""
        all_ids: list[int] = ids.tolist()
        if not plan.live or len(all_ids) < 8:
            return all_ids
        slowest = plan.live[-1]
        need = cut - (plan.ceiling - slowest.reachable[0])
        floors = self.scorer.similarity_floors(slowest, need)
        if floors is None:
            return all_ids
        keep = np.zeros(len(ids), dtype=bool)
        for kind, column, floor in floors:
            if kind != "jw":
                continue
            values = self.rows.columns[column]
            scores = process.cdist(
                [qrow[column]], [values[i] for i in all_ids], scorer=JaroWinkler.similarity, dtype=np.float64
            )[0]
            keep |= scores >= floor
        for kind, column, floor in floors:
            if kind != "overlap" or qrow[column] is None:
                continue
            mine, values = set(qrow[column]), self.rows.columns[column]
            for j in np.flatnonzero(~keep).tolist():
                theirs = values[all_ids[j]]
                keep[j] = theirs is not None and len(mine.intersection(theirs)) >= floor
        kept: list[int] = ids[keep].tolist()
        return kept

    def resolve(
        self, query: Query, *, threshold: float | None = None, limit: int = 10, explain: bool = True
    ) -> tuple[list[EntityMatch], ResolveStats]:
        """Entities whose best-matching name scores >= threshold (a match weight), best first."""
        cut = self.threshold if threshold is None else threshold
        best: dict[str, tuple[float, int, int]] = {}  # entity → (weight, registry row, query row)
        scored = capped = 0
        qrows = self._query_rows(query)
        entity_ids = self.rows.columns["entity_id"]
        for qi, qrow in enumerate(qrows):
            plan = self.scorer.plan(qrow)
            if plan.ceiling < cut:
                continue  # nothing this query states could reach the threshold
            keys = prepare_name(qrow["name"], query.kind).index_keys()
            found = self.index.candidates(keys, cap=self.block_cap, pair_capped=True)
            capped += len(found.capped)
            ids = self._prefilter(qrow, plan, cut, found.ids)
            for rid in ids:
                scored += 1
                weight = self.scorer.weight_if_at_least(qrow, self.rows.row(rid), cut, plan)
                if weight is None:
                    continue
                eid = entity_ids[rid]
                if eid not in best or weight > best[eid][0]:
                    best[eid] = (weight, rid, qi)
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:limit]
        matches = []
        for eid, (weight, rid, qi) in ranked:
            evidence = self.scorer.explain(qrows[qi], self.rows.row(rid))[1] if explain else []
            matches.append(EntityMatch(eid, self.rows.columns["name"][rid], weight, probability(weight), evidence))
        return matches, ResolveStats(scored, capped)
