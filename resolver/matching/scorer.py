"""The compiled online scorer: Splink's model, evaluated in Python, weight for weight.

The model JSON is loaded through Splink's own settings objects; every comparison level's SQL
condition is translated into a Python test (rapidfuzz for Jaro-Winkler, which agrees with DuckDB's
``jaro_winkler_similarity``), and each level's weight and term-frequency adjustment are taken from
Splink's objects and applied with Splink's formula. A level the translator does not know makes
``CompiledModel`` refuse to load: an unknown level would silently score differently from the model
of record. tests/matching/test_parity.py checks the weights against Splink's ``predict_between``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, cast

from rapidfuzz.distance import JaroWinkler
from splink import SettingsCreator

Row = Mapping[str, Any]
Test = Callable[[Row, Row], bool]


class UnsupportedModelError(ValueError):
    """The model uses a comparison level the compiled scorer cannot reproduce exactly."""


def _null(col: str) -> Test:
    left, right = col, col
    return lambda q, c: q[left] is None or c[right] is None


def _exact(col: str) -> Test:
    return lambda q, c: q[col] is not None and c[col] is not None and q[col] == c[col]


def _jaro_winkler(col: str, threshold: float) -> Test:
    similarity = JaroWinkler.similarity
    return lambda q, c: q[col] is not None and c[col] is not None and similarity(q[col], c[col]) >= threshold


def _intersect(col: str, n: int) -> Test:
    def test(q: Row, c: Row) -> bool:
        a, b = q[col], c[col]
        if a is None or b is None:
            return False
        # lists are distinct by construction (features._list); DuckDB's list_intersect is distinct too
        return len(set(a).intersection(b)) >= n

    return test


def _subset(col: str, n: int) -> Test:
    def test(q: Row, c: Row) -> bool:
        a, b = q[col], c[col]
        if a is None or b is None:
            return False
        shorter = min(len(a), len(b))
        return shorter >= n and len(set(a).intersection(b)) == shorter

    return test


def _aligned(col: str, n: int, threshold: float) -> Test:
    similarity = JaroWinkler.similarity

    def test(q: Row, c: Row) -> bool:
        # Splink's "_l" side is the registry (predict_between(registry, queries)): on equal
        # lengths the SQL takes the left list as "the shorter", so the candidate goes first here.
        a, b = c[col], q[col]
        if a is None or b is None or min(len(a), len(b)) < n:
            return False
        short, long_ = (a, b) if len(a) <= len(b) else (b, a)
        # DuckDB's list_avg sums in list order and divides once; so does this
        total = 0.0
        partners: set[int] = set()
        for x in short:
            scores = [similarity(x, y) for y in long_]
            best = max(scores)
            total += best
            partners.add(scores.index(best))  # list_position: the first word at the maximum
        return total / len(short) >= threshold and len(partners) == len(short)

    return test


_MISSING: Any = object()


def _else(q: Row, c: Row) -> bool:
    return True


_C = r'"(?P<col>\w+)_l"'
_R = r'"(?P=col)_r"'
_L = r'"(?P=col)_l"'  # the left column again, once named
# "the shorter of the two lists" (a) or "the longer one" (b), as aligned_words_sql writes it
_SHORT = r"CASE WHEN ARRAY_LENGTH\({_L}\) <= ARRAY_LENGTH\({_R}\) THEN {a} ELSE {b} END".replace("{_L}", _L).replace(
    "{_R}", _R
)


def _scripts_differ(rest: Test) -> Test:
    def test(q: Row, c: Row) -> bool:
        a, b = q["name_script"], c["name_script"]
        return a is not None and b is not None and a != b and rest(q, c)

    return test


# aligned_words_sql: the words of the shorter list, each with its best match in the other, mean JW >= t, one to one
_ALIGNED = re.compile(
    rf"^LEAST\(ARRAY_LENGTH\({_C}\), ARRAY_LENGTH\({_R}\)\) >= (?P<n>\d+) AND "
    rf"list_avg\(list_transform\({_SHORT.format(a=_L, b=_R)}, "
    rf"lambda x: list_max\(list_transform\({_SHORT.format(a=_R, b=_L)}, "
    rf"lambda y: jaro_winkler_similarity\(x, y\)\)\)\)\) >= (?P<t>[0-9.]+) AND "
    rf"ARRAY_LENGTH\(list_distinct\(list_transform\({_SHORT.format(a=_L, b=_R)}, "
    rf"lambda x: list_position\(list_transform\({_SHORT.format(a=_R, b=_L)}, "
    rf"lambda y: jaro_winkler_similarity\(x, y\)\), list_max\(list_transform\({_SHORT.format(a=_R, b=_L)}, "
    rf"lambda y: jaro_winkler_similarity\(x, y\)\)\)\)\)\)\) = "
    rf"LEAST\(ARRAY_LENGTH\({_L}\), ARRAY_LENGTH\({_R}\)\)$"
)

# "<names in different scripts> AND <another condition>" (DuckDB: NULL <> x is NULL, so both must be stated)
_SCRIPTS_DIFFER = re.compile(r'^"name_script_l" <> "name_script_r" AND (?P<rest>.+)$')
# "<two lists of one length> AND <another condition>"
_SAME_LENGTH = re.compile(rf"^ARRAY_LENGTH\({_C}\) = ARRAY_LENGTH\({_R}\) AND (?P<rest>.+)$")


def _same_length(col: str, rest: Test) -> Test:
    def test(q: Row, c: Row) -> bool:
        a, b = q[col], c[col]
        return a is not None and b is not None and len(a) == len(b) and rest(q, c)

    return test


_TRANSLATIONS: list[tuple[re.Pattern[str], Callable[..., Test]]] = [
    (_SCRIPTS_DIFFER, lambda m: _scripts_differ(translate(m["rest"]))),
    (_SAME_LENGTH, lambda m: _same_length(m["col"], translate(m["rest"]))),
    (re.compile(rf"^{_C} IS NULL OR {_R} IS NULL$"), lambda m: _null(m["col"])),
    (re.compile(rf"^{_C} = {_R}$"), lambda m: _exact(m["col"])),
    (
        re.compile(rf"^jaro_winkler_similarity\({_C}, {_R}\) >= (?P<t>[0-9.]+)$"),
        lambda m: _jaro_winkler(m["col"], float(m["t"])),
    ),
    (
        re.compile(rf"^array_length\(list_intersect\({_C}, {_R}\)\) >= (?P<n>\d+)$"),
        lambda m: _intersect(m["col"], int(m["n"])),
    ),
    (
        re.compile(
            rf"^LEAST\(ARRAY_LENGTH\({_C}\), ARRAY_LENGTH\({_R}\)\) >= (?P<n>\d+) AND "
            rf"ARRAY_LENGTH\(ARRAY_INTERSECT\({_L}, {_R}\)\) = LEAST\(ARRAY_LENGTH\({_L}\), ARRAY_LENGTH\({_R}\)\)$"
        ),
        lambda m: _subset(m["col"], int(m["n"])),
    ),
    (_ALIGNED, lambda m: _aligned(m["col"], int(m["n"]), float(m["t"]))),
    (re.compile(r"^ELSE$"), lambda m: _else),
]


_NULL_COLUMN = re.compile(rf"^{_C} IS NULL OR {_R} IS NULL$")


_EXACT = re.compile(rf"^{_C} = {_R}$")
_JW = re.compile(rf"^jaro_winkler_similarity\({_C}, {_R}\) >= (?P<t>[0-9.]+)$")


# A floor: ("jw", column, s) — the level holds only if Jaro-Winkler(column) >= s (exact match: 1.0);
# ("overlap", column, n) — only if the two lists share at least n items; ("subset", column, n) — only if
# the shorter list has n items or more and every one of them is in the other; ("aligned", column, t, n) — only if
# the words of the shorter list (n or more), each with its best Jaro-Winkler match in the other, average t or more
# (the first half of aligned_words_sql); "aligned-same" the same, and only for two lists of one length. Any floor
# with ``other_script``: and only for names in two stated scripts (a level under "scripts differ").
class Floor(NamedTuple):
    kind: str
    column: str
    value: float
    words: int = 0  # the "aligned" floors: neither list may have fewer items than this
    other_script: bool = False  # only names in a stated script other than the query's


_SUBSET = re.compile(
    rf"^LEAST\(ARRAY_LENGTH\({_C}\), ARRAY_LENGTH\({_R}\)\) >= (?P<n>\d+) AND ARRAY_LENGTH\(ARRAY_INTERSECT"
)
_OVERLAP = re.compile(rf"^array_length\(list_intersect\({_C}, {_R}\)\) >= (?P<n>\d+)$")


def similarity_floor(sql: str) -> Floor | None:
    """A cheap necessary condition for a level, or None when there is none."""
    condition = " ".join(sql.split())
    if match := _SCRIPTS_DIFFER.match(condition):
        floor = similarity_floor(match["rest"])  # the rest's floor is necessary for the whole, and so are the scripts:
        # they narrow the candidates a lot (one skeleton of every word, "mhmd y ml", is shared by many Latin names)
        return floor._replace(other_script=True) if floor is not None else None
    if match := _SAME_LENGTH.match(condition):
        floor = similarity_floor(match["rest"])  # necessary for the whole, as above
        if floor is not None and floor.kind == "aligned" and floor.column == match["col"]:
            return floor._replace(kind="aligned-same")  # here the lengths narrow the candidates a lot
        return floor
    if match := _EXACT.match(condition):
        return Floor("jw", match["col"], 1.0)  # Jaro-Winkler is 1.0 exactly for identical strings
    if match := _JW.match(condition):
        return Floor("jw", match["col"], float(match["t"]))
    if match := _SUBSET.match(condition):
        return Floor("subset", match["col"], float(match["n"]))
    if match := _OVERLAP.match(condition):
        return Floor("overlap", match["col"], float(match["n"]))
    if match := _ALIGNED.match(condition):
        return Floor("aligned", match["col"], float(match["t"]), int(match["n"]))
    return None


def translate(sql: str) -> Test:
    """A Python test equivalent to one of the SQL conditions Splink generates for DuckDB."""
    condition = " ".join(sql.split())
    for pattern, build in _TRANSLATIONS:
        if match := pattern.match(condition):
            return build(match)
    raise UnsupportedModelError(f"comparison level not supported by the compiled scorer: {condition!r}")


@dataclass(frozen=True, slots=True)
class TermFrequency:
    column: str
    weight: float  # Splink's tf_adjustment_weight
    log2_u_exact: float  # log2 of the u probability of the column's exact-match level
    min_u: float  # Splink's tf_minimum_u_value


@dataclass(frozen=True, slots=True)
class Level:
    value: int  # Splink's comparison vector value (gamma); -1 for the null level
    label: str
    weight: float  # log2(m/u), as Splink computes it; 0 for the null level
    test: Test
    tf: TermFrequency | None
    # a necessary condition of the level that can be checked for many candidates at once (see Floor);
    # None when the level's condition gives none
    similarity_floor: Floor | None = None


@dataclass(frozen=True, slots=True)
class Comparison:
    name: str
    levels: tuple[Level, ...]
    # reachable[k]: the most any of levels k.. can add (tf adjustment at its largest); for pruning
    reachable: tuple[float, ...] = ()
    # the column of the null level ("x_l IS NULL OR x_r IS NULL"): a query without it scores 0 here
    null_column: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """What one query needs: the comparisons its fields make live, and their combined ceiling."""

    live: tuple[Comparison, ...]
    ceiling: float  # prior + the most every live comparison can add


@dataclass(frozen=True, slots=True)
class Evidence:
    comparison: str
    level: str
    value: int
    weight: float  # level weight + tf adjustment
    tf_adjustment: float


def tf_table(rows: Iterable[Row], column: str) -> dict[Any, float]:
    """Splink's tf table: a value's share of the non-null values of the registry."""
    counts = Counter(row[column] for row in rows if row[column] is not None)
    total = sum(counts.values())
    return {value: n / total for value, n in counts.items()}


class CompiledModel:
    """Scores (query, candidate) model rows exactly as the Splink model does."""

    def __init__(self, model: dict[str, Any] | str | Path, tf_tables: Mapping[str, Mapping[Any, float]]) -> None:
        """``tf_tables``: column → value → frequency in the registry (see ``tf_table``); every
        column the model adjusts on must be there."""
        settings = SettingsCreator.from_path_or_dict(model if isinstance(model, dict) else str(model))
        splink_settings = settings.get_settings("duckdb")
        prior = splink_settings._probability_two_random_records_match
        self.prior = float(prior)
        self.prior_weight = math.log2(self.prior / (1 - self.prior))
        comparisons = []
        self.tf_tables = tf_tables
        for comparison in splink_settings.comparisons:
            levels = []
            for level in comparison.comparison_levels:
                weight = level._match_weight
                if weight is None:
                    raise UnsupportedModelError(
                        f"{comparison.output_column_name}: untrained level {level.label_for_charts}"
                    )
                tf = None
                if level._has_tf_adjustments and level._tf_adjustment_weight != 0 and not level.is_null_level:
                    column = level._tf_adjustment_input_column_name
                    u_exact = level._u_probability_corresponding_to_exact_match(comparison.comparison_levels)
                    tf = TermFrequency(
                        column, level._tf_adjustment_weight, math.log2(u_exact), level._tf_minimum_u_value
                    )
                    if column not in tf_tables:
                        raise UnsupportedModelError(f"no term-frequency table for {column}")
                levels.append(
                    Level(
                        level.comparison_vector_value,
                        level.label_for_charts,
                        weight,
                        translate(level.sql_condition),
                        tf,
                        similarity_floor(level.sql_condition),
                    )
                )
            reachable: list[float] = []
            for lv in reversed(levels):
                best = lv.weight + (self._max_tf_adjustment(lv.tf) if lv.tf is not None else 0.0)
                reachable.append(max(best, reachable[-1]) if reachable else best)
            null = _NULL_COLUMN.match(" ".join(comparison.comparison_levels[0].sql_condition.split()))
            comparisons.append(
                Comparison(
                    comparison.output_column_name,
                    tuple(levels),
                    tuple(reversed(reachable)),
                    null["col"] if null and comparison.comparison_levels[0].is_null_level else None,
                )
            )
        self.comparisons = tuple(comparisons)
        self._floors: dict[tuple[str, int, bool], list[Floor] | None] = {}  # see similarity_floors
        # For pruning: cheap comparisons first, the name (fuzzy string work) last, so most of it is skipped.
        self._pruning_order = tuple(sorted(comparisons, key=lambda c: c.name == "name"))

    @classmethod
    def for_registry(cls, model: dict[str, Any] | str | Path, rows: list[dict[str, Any]]) -> CompiledModel:
        """The model with term frequencies taken from these registry rows."""
        return cls(model, {column: tf_table(rows, column) for column in tf_columns(model)})

    def _max_tf_adjustment(self, tf: TermFrequency) -> float:
        """The largest adjustment a pair can get: at the rarest registry value (or Splink's floor).
        A pair gets an adjustment only when the candidate's value is in the table (both null: 0)."""
        table = self.tf_tables[tf.column]
        rarest = min(table.values()) if table else 1.0
        return max(0.0, tf.weight * (tf.log2_u_exact - math.log2(max(rarest, tf.min_u))))

    def _tf_adjustment(self, tf: TermFrequency, query: Row, candidate: Row) -> float:
        table = self.tf_tables[tf.column]
        left, right = table.get(query[tf.column]), table.get(candidate[tf.column])
        # Splink: greatest(coalesce(tf_l, tf_r), coalesce(tf_r, tf_l), min_u), 0 when both are null
        if left is None:
            if right is None:
                return 0.0
            left = right
        elif right is None:
            right = left
        return tf.weight * (tf.log2_u_exact - math.log2(max(left, right, tf.min_u)))

    def weight(self, query: Row, candidate: Row) -> float:
        """The match weight Splink would give this pair (prior included)."""
        total = self.prior_weight
        for comparison in self.comparisons:
            for level in comparison.levels:
                if level.test(query, candidate):
                    total += level.weight
                    if level.tf is not None:
                        total += self._tf_adjustment(level.tf, query, candidate)
                    break
        return total

    def plan(self, query: Row) -> Plan:
        """Comparisons whose null level the query itself triggers add exactly 0 to every pair: drop them."""
        live = tuple(c for c in self._pruning_order if c.null_column is None or query[c.null_column] is not None)
        return Plan(live, self.prior_weight + sum(c.reachable[0] for c in live))

    def similarity_floors(self, comparison: Comparison, need: float) -> list[Floor] | None:
        """For a comparison that must add at least ``need``: floors one of which a candidate must pass to
        reach it, or None when no such bound holds. A level is reachable when its ``reachable`` is >= need;
        if every reachable level has a floor, a candidate below all of them cannot reach ``need`` (exact,
        not a heuristic). The answer depends on ``need`` only through how many levels are reachable and
        whether it is positive: it is worked out once per such case."""
        reachable_levels = sum(1 for r in comparison.reachable if r >= need)  # reachable is non-increasing
        key = (comparison.name, reachable_levels, need > 0)
        found = self._floors.get(key, _MISSING)
        if found is _MISSING:
            found = self._floors[key] = self._similarity_floors(comparison, reachable_levels, need > 0)
        return cast("list[Floor] | None", found)

    @staticmethod
    def _similarity_floors(comparison: Comparison, reachable_levels: int, positive: bool) -> list[Floor] | None:
        floors: dict[tuple[str, str, bool], Floor] = {}
        for level in comparison.levels[:reachable_levels]:
            if level.value == -1 and positive:
                continue  # the null level adds 0
            floor = level.similarity_floor
            if floor is None:
                return None
            key = (floor.kind, floor.column, floor.other_script)
            seen = floors.get(key, floor)  # two levels, one floor: the looser of each part
            floors[key] = floor._replace(value=min(floor.value, seen.value), words=min(floor.words, seen.words))
        return [floor for _, floor in sorted(floors.items())]

    def floor_columns(self, kind: str) -> list[str]:
        """The columns of the model's floors of this kind ("jw", "subset" ...)."""
        found = {
            level.similarity_floor.column
            for comparison in self.comparisons
            for level in comparison.levels
            if level.similarity_floor is not None and level.similarity_floor.kind == kind
        }
        return sorted(found)

    def weight_if_at_least(self, query: Row, candidate: Row, cut: float, plan: Plan | None = None) -> float | None:
        """The pair's weight when it is >= cut, else None. Exact: a pair is dropped only when no level
        still to be tested could lift it to the cut, so no pair at or above the cut is ever lost."""
        plan = plan or self.plan(query)
        total = self.prior_weight
        remaining = plan.ceiling - self.prior_weight
        for comparison in plan.live:
            remaining -= comparison.reachable[0]
            for k, level in enumerate(comparison.levels):
                if total + comparison.reachable[k] + remaining < cut:
                    return None
                if level.test(query, candidate):
                    total += level.weight
                    if level.tf is not None:
                        total += self._tf_adjustment(level.tf, query, candidate)
                    break
        return total if total >= cut else None

    def explain(self, query: Row, candidate: Row) -> tuple[float, list[Evidence]]:
        """The match weight and the waterfall behind it: one Evidence per comparison."""
        total = self.prior_weight
        evidence = []
        for comparison in self.comparisons:
            for level in comparison.levels:
                if level.test(query, candidate):
                    adj = self._tf_adjustment(level.tf, query, candidate) if level.tf is not None else 0.0
                    total += level.weight + adj
                    evidence.append(Evidence(comparison.name, level.label, level.value, level.weight + adj, adj))
                    break
        return total, evidence


def tf_columns(model: dict[str, Any] | str | Path) -> list[str]:
    """The columns the model makes term-frequency adjustments on."""
    settings = SettingsCreator.from_path_or_dict(model if isinstance(model, dict) else str(model))
    columns = {
        level._tf_adjustment_input_column_name
        for comparison in settings.get_settings("duckdb").comparisons
        for level in comparison.comparison_levels
        if level._has_tf_adjustments and not level.is_null_level
    }
    return sorted(columns)


def probability(weight: float) -> float:
    """Match probability from a match weight (log2 odds)."""
    if weight > 60:
        return 1.0
    odds = math.pow(2.0, weight)
    return odds / (1.0 + odds)
