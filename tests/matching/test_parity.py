"""Parity: the compiled scorer's match weights equal Splink's for the same pairs (|Δ| <= 1e-9).

Splink's own ``predict_between`` scores real queries against the embedded registry with the shipped
model; the compiled scorer scores every pair Splink returned. The probe set is built to reach every
level of every comparison, so that no level's translation goes untested.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from splink import DuckDBAPI, Linker

from resolver.matching.scorer import CompiledModel
from resolver.model.artefact import load_artefact
from resolver.model.features import model_row
from resolver.model.train import registry_rows
from resolver.registry.ingest import parse_all
from resolver.registry.store import RegistryStore
from resolver.settings import EMBEDDED_REGISTRY


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    store = RegistryStore(tmp_path_factory.mktemp("parity") / "registry.duckdb")
    store.ingest(parse_all([EMBEDDED_REGISTRY]))
    return registry_rows(store)[0]


def _probes(registry: list[dict[str, Any]], shared_data: Path) -> list[dict[str, Any]]:
    rng = random.Random(20261127)
    with (shared_data / "pairs" / "alias_pairs_labelled.csv").open(encoding="utf-8", newline="") as fh:
        pairs = [row for row in csv.DictReader(fh) if row["source"] in ("us_ofac_sdn", "un_sc")]
    probes = []
    for i, pair in enumerate(rng.sample(pairs, 500)):
        donor = rng.choice(registry)  # borrow a registry row's other fields, sometimes the right ones
        kind = {"person": "person", "organization": "organization"}.get(pair["entity_type"])
        dob = rng.choice([[], donor["dob_dates"] or [], donor["dob_years"] or [], ["1970-01-01"]])
        countries = rng.choice([[], donor["countries"] or [], ["ru"], ["ir"]])
        ids = rng.choice([[], [], donor["identifiers"] or []])
        name = pair["name_a"] if i % 2 else pair["name_b"]
        probes.append(model_row(f"q{i}", None, name, kind, dob, countries, ids))
    # a Belarusian spelling of a listed Russian-form name (SHAMIL MAGOMEDOVICH ISMAILOV): the sampled pairs come
    # from lists without Belarusian names, and the East Slavic level must be reached too
    probes.append(model_row("q-slavic", None, "ШАМІЛЬ МАГАМЕДАВІЧ ІСМАІЛАЎ", "person"))
    probes.append(model_row("q-slavic-subset", None, "ШАМІЛЬ ІСМАІЛАЎ", "person"))  # and without the patronymic
    # a Latin name holding the consonant skeletons of a listed Arabic-script one (جمال مصطفى عبد الله سلطان التكريتي)
    # and one more, with one word as the transliteration writes it, so that Splink's blocking (a shared word) brings
    # the pair
    probes.append(model_row("q-skeleton-subset", None, "JMAL MUSTAFA ABDALLAH SULTAN AL-TIKRITI HASAN", "person"))
    return probes


def _splink_pairs(
    registry: list[dict[str, Any]], probes: list[dict[str, Any]], blocking: list[str] | None = None
) -> list[dict[str, Any]]:
    db = DuckDBAPI()
    left = db.register(pa.Table.from_pylist(registry), dataset_display_name="registry")
    right = db.register(pa.Table.from_pylist(probes), dataset_display_name="probes")
    linker = Linker(left, load_artefact().model, log_level=None)
    linker.table_management.compute_tf_table("name_norm")
    result = linker.inference.predict_between(
        left, right, blocking_rules_to_generate_predictions=blocking, warning_mode="never"
    )
    return result.as_record_list()


def _check(registry: list[dict[str, Any]], probes: list[dict[str, Any]], pairs: list[dict[str, Any]]) -> Counter[Any]:
    """Asserts parity pair by pair; returns how often each (comparison, level) was reached."""
    scorer = CompiledModel.for_registry(load_artefact().model, registry)
    by_id = {r["unique_id"]: r for r in registry}
    probe_by_id = {p["unique_id"]: p for p in probes}
    worst = 0.0
    levels: Counter[tuple[str, int]] = Counter()
    tf_adjusted = 0
    for pair in pairs:
        query, candidate = probe_by_id[pair["unique_id_r"]], by_id[pair["unique_id_l"]]
        weight, evidence = scorer.explain(query, candidate)
        worst = max(worst, abs(weight - pair["match_weight"]))
        for e in evidence:
            levels[(e.comparison, e.value)] += 1
            assert pair[f"gamma_{e.comparison}"] == e.value, (pair["name_l"], pair["name_r"], e)
        tf_adjusted += any(e.tf_adjustment != 0 for e in evidence)
        assert scorer.weight(query, candidate) == weight
    assert worst <= 1e-9, f"max |delta match_weight| = {worst}"
    levels[("tf_adjusted", 0)] = tf_adjusted
    return levels


def test_compiled_scorer_reproduces_splink_match_weights(registry: list[dict[str, Any]], shared_data: Path) -> None:
    probes = _probes(registry, shared_data)
    pairs = _splink_pairs(registry, probes)  # the model's own blocking rules
    assert len(pairs) >= 10_000
    levels = _check(registry, probes, pairs)
    assert levels[("tf_adjusted", 0)] > 100

    # Blocking never yields the null and else name levels: a second, small run blocks on kind alone.
    rng = random.Random(5)
    sample = rng.sample(registry, 1500)
    extra = [*probes[:6], model_row("blank", None, "---", "person")]
    extra_pairs = _splink_pairs(sample, extra, blocking=['l."kind" = r."kind"'])
    levels += _check(sample, extra, extra_pairs)

    # Every level of every comparison was reached at least once: no translation is untested.
    scorer = CompiledModel.for_registry(load_artefact().model, registry)
    expected = {(c.name, lv.value) for c in scorer.comparisons for lv in c.levels}
    missing = expected - set(levels)
    assert not missing, f"levels never reached by the probes: {sorted(missing)}"
