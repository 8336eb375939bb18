"""Train the model of record with Splink, from the registry itself.

- u: random pairs of registry names (Splink's random sampling).
- m for names: the aliases of one listing are true matches. A query is scored against an entity's
  best-matching name, so each name is paired with its closest other alias of the same listing
  (rapidfuzz token-sort ratio), and m is estimated from those pairs (Splink's pairwise-label
  estimate). Pairing every alias with every other would teach the model that a listed entity's
  names are mostly unlike each other ("ANGLO-CARIBBEAN CO., LTD." / "AVIA IMPORT"), making a total
  name mismatch nearly free.
- m for the other comparisons: declared in settings.DECLARED_M (see there why).
- prior: one query against the whole registry: a party that is on the list is one of N entities,
  so P(two random rows match) is set to 1/N, not learnt (a learnt dedupe prior means nothing for
  a single query).
"""

from __future__ import annotations

import copy
import math
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import structlog
from rapidfuzz import fuzz, process
from splink import DuckDBAPI, Linker

from resolver.model.features import model_row
from resolver.model.settings import DECLARED_M, EXACT_COPY_SHARE, settings
from resolver.registry.store import RegistryStore

log = structlog.get_logger(__name__)


def iter_model_rows(
    con: duckdb.DuckDBPyConnection,
    snap: int,
    exclude: Callable[[list[str]], bool] | None = None,
    *,
    index_keys: bool = False,
) -> Iterator[dict[str, Any]]:
    """Model rows for every (entity, name) of snapshot ``snap``, entity by entity: a generator, so a million-name
    registry never has all its rows alive at once. ``exclude(names)`` drops whole entities (e.g. those holding a
    held-out benchmark name); ``index_keys`` adds each name's candidate-index keys (for a Matcher, see model_row)."""
    members = "SELECT version_id FROM snapshot_sources WHERE snapshot_id = $snap"
    detail: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for table, column in (("names", "name"), ("birth_dates", "date"), ("countries", "code"), ("identifiers", "value")):
        rows = con.execute(
            f"SELECT entity_id, {column} FROM {table} WHERE version_id IN ({members}) AND {column} IS NOT NULL "
            f"ORDER BY entity_id, {column}",
            {"snap": snap},
        ).fetchall()
        for entity_id, value in rows:
            detail[entity_id][table].append(value)
    entities = con.execute(
        f"SELECT entity_id, kind FROM entities WHERE version_id IN ({members}) ORDER BY entity_id", {"snap": snap}
    ).fetchall()
    for entity_id, kind in entities:
        d = detail.pop(entity_id, None) or defaultdict(list)
        names = list(dict.fromkeys(d["names"]))
        if exclude is not None and exclude(names):
            continue
        # One row per distinct normalised name: "OJSC SBERBANK OF RUSSIA" and "PUBLIC JOINT STOCK COMPANY SBERBANK
        # OF RUSSIA" are one name to the model. Repeats would count one entity's name several times in the
        # term frequencies and make its exact match look common.
        seen: set[str] = set()
        for i, name in enumerate(names):
            row = model_row(
                f"{entity_id}#{i}", entity_id, name, kind, d["birth_dates"], d["countries"], d["identifiers"],
                index_keys=index_keys,
            )  # fmt: skip
            if row["name_norm"] is not None and row["name_norm"] not in seen:
                seen.add(row["name_norm"])
                yield row


def registry_rows(
    store: RegistryStore,
    snapshot: int | None = None,
    exclude: Callable[[list[str]], bool] | None = None,
    *,
    index_keys: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Model rows for every (entity, name) of a snapshot, and a description of what was read.

    ``exclude(names)`` drops whole entities (e.g. those holding a held-out benchmark name); ``index_keys`` adds
    each name's candidate-index keys (see iter_model_rows)."""
    excluded = 0

    def counting(names: list[str]) -> bool:
        nonlocal excluded
        drop = exclude is not None and exclude(names)
        excluded += drop
        return drop

    with store.connect(read_only=True) as con:
        snap = store.resolve_snapshot(con, snapshot)
        out = list(iter_model_rows(con, snap, counting, index_keys=index_keys))
        (entities,) = con.execute(
            "SELECT count(*) FROM entities WHERE version_id IN "
            "(SELECT version_id FROM snapshot_sources WHERE snapshot_id = ?)",
            [snap],
        ).fetchone() or (0,)
        digest = con.execute("SELECT digest FROM snapshots WHERE snapshot_id = ?", [snap]).fetchone()
    info = {
        "snapshot_id": snap,
        "snapshot_digest": digest[0] if digest else None,
        "entities": entities - excluded,
        "entities_excluded": excluded,
        "rows": len(out),
    }
    return out, info


def linker_for(rows: list[dict[str, Any]], model: Any, db: DuckDBAPI | None = None) -> Linker:
    import pyarrow as pa  # here, not at the top: serving processes import this module (iter_model_rows) only

    db = db or DuckDBAPI()
    table = db.register(pa.Table.from_pylist(rows), dataset_display_name="registry")
    return Linker(table, model, log_level=None)


def closest_alias_pairs(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(unique_id, unique_id) pairs: each name with its most similar other name of the same entity."""
    by_entity: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_entity[row["entity_id"]].append(row)
    pairs: set[tuple[str, str]] = set()
    for group in by_entity.values():
        if len(group) < 2:
            continue
        names = [r["name_sorted"] for r in group]
        scores = process.cdist(names, names, scorer=fuzz.token_sort_ratio, workers=1)
        for i, row in enumerate(group):
            scores[i][i] = -1.0
            j = int(scores[i].argmax())
            a, b = sorted((row["unique_id"], group[j]["unique_id"]))
            pairs.add((a, b))
    return sorted(pairs)


def train(rows: list[dict[str, Any]], *, entities: int, u_max_pairs: float = 5e6, seed: int = 1) -> dict[str, Any]:
    """The trained model as Splink's JSON dict."""
    import pyarrow as pa

    prior = 1.0 / max(entities, 1)
    db = DuckDBAPI()
    linker = linker_for(rows, settings(prior), db)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    pairs = closest_alias_pairs(rows)
    labels = db.register(
        pa.table(
            {
                "source_dataset_l": ["registry"] * len(pairs),
                "unique_id_l": [a for a, _ in pairs],
                "source_dataset_r": ["registry"] * len(pairs),
                "unique_id_r": [b for _, b in pairs],
            }
        ),
        dataset_display_name="alias_labels",
    )
    linker.training.estimate_m_from_pairwise_labels(labels)  # type: ignore[no-untyped-call]
    log.info("trained", rows=len(rows), entities=entities, label_pairs=len(pairs), prior=prior)
    model = linker.misc.save_model_to_json()
    # Splink stamps a random id on each linker; left in, the same training would never give the same
    # artefact bytes (and version). It is not a parameter of the model.
    model.pop("linker_uid", None)
    return monotone_name_weights(with_exact_copies(declare_m(unseen_m(unseen_u(model, u_max_pairs), len(pairs)))))


def unseen_u(model: dict[str, Any], sampled_pairs: float) -> dict[str, Any]:
    """Give a level that no random pair reached (a small registry: no two names in different scripts with one
    consonant skeleton) the u of less than one pair in the sample, 1 / sampled pairs, rather than none."""
    model = copy.deepcopy(model)
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level") and level.get("u_probability") is None:
                level["u_probability"] = 1.0 / sampled_pairs
                log.warning("no random pair reached a level", level=level.get("label_for_charts"), u=1 / sampled_pairs)
    return model


def unseen_m(model: dict[str, Any], label_pairs: int) -> dict[str, Any]:
    """Give a name level that no alias pair reached (a registry without Belarusian spellings never reaches the East
    Slavic level) the m of less than one labelled pair, 1 / label pairs, rather than none. The exact level is left
    alone: its m is declared (with_exact_copies)."""
    model = copy.deepcopy(model)
    name = next(c for c in model["comparisons"] if c["output_column_name"] == "name")
    levels = [lv for lv in name["comparison_levels"] if not lv.get("is_null_level")]
    for level in levels[1:]:
        if level.get("m_probability") is None and label_pairs > 0:
            level["m_probability"] = 1.0 / label_pairs
            log.warning("no alias pair reached a level", level=level.get("label_for_charts"), m=1 / label_pairs)
    return model


def with_exact_copies(model: dict[str, Any], share: float = EXACT_COPY_SHARE) -> dict[str, Any]:
    """Mix the learnt name m with ``share`` of exact copies: m' = share * [exact level] + (1 - share) * m."""
    model = copy.deepcopy(model)
    name = next(c for c in model["comparisons"] if c["output_column_name"] == "name")
    levels = [lv for lv in name["comparison_levels"] if not lv.get("is_null_level")]
    for i, level in enumerate(levels):
        learnt = level.get("m_probability")
        if learnt is None and i > 0:
            raise ValueError(f"no alias pair reached the name level {level.get('label_for_charts')!r}: no m for it")
        # The exact level may have no learnt m: aliases are distinct once normalised (see iter_model_rows)
        level["m_probability"] = (share if i == 0 else 0.0) + (1 - share) * (learnt or 0.0)
    return model


def monotone_name_weights(model: dict[str, Any]) -> dict[str, Any]:
    """Make each name level weigh at least as much as every level below it.

    Alias pairs under-count exact matches (two aliases of one listing are rarely identical, while a
    declaration often copies the listed name), so the learnt m of the exact levels comes out below
    that of looser levels, and an exact match would weigh less than a partial one. Raising m to
    the next level's likelihood ratio (m = u * 2^w_below) restores the order the levels are
    written in; levels already in order keep their learnt m."""
    model = copy.deepcopy(model)
    name = next(c for c in model["comparisons"] if c["output_column_name"] == "name")
    levels = [lv for lv in name["comparison_levels"] if not lv.get("is_null_level")]
    floor = float("-inf")
    for level in reversed(levels[:-1]):  # the else level sets no floor: it is the catch-all
        m, u = level["m_probability"], level["u_probability"]
        weight = math.log2(m / u)
        if weight < floor:
            level["m_probability"] = min(1.0, u * 2**floor)
            weight = floor
        floor = weight
    return model


def declare_m(model: dict[str, Any]) -> dict[str, Any]:
    """Set the declared m probabilities on the non-name comparisons (levels in order, null excluded)."""
    model = copy.deepcopy(model)
    for comparison in model["comparisons"]:
        declared = DECLARED_M.get(comparison["output_column_name"])
        if declared is None:
            continue
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        if len(levels) != len(declared):
            raise ValueError(f"{comparison['output_column_name']}: {len(levels)} levels, {len(declared)} declared m")
        for level, m in zip(levels, declared, strict=True):
            level["m_probability"] = m
    return model
