"""The model of record: the shipped artefact, training on a real registry, thresholds."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from resolver.matching.scorer import CompiledModel, UnsupportedModelError
from resolver.model.artefact import DEFAULT_MODEL_DIR, ModelError, load_artefact, write_artefact
from resolver.model.features import model_row
from resolver.model.threshold import best_f1_threshold, threshold_at_fpr
from resolver.model.train import registry_rows, train, unseen_m
from resolver.registry.ingest import parse_all
from resolver.registry.store import RegistryStore
from resolver.settings import EMBEDDED_REGISTRY


def _name_weights(model: dict[str, object]) -> list[float]:
    name = next(c for c in model["comparisons"] if c["output_column_name"] == "name")  # type: ignore[attr-defined]
    return [
        math.log2(lv["m_probability"] / lv["u_probability"])
        for lv in name["comparison_levels"]
        if not lv.get("is_null_level")
    ]


def test_shipped_artefact_is_consistent() -> None:
    artefact = load_artefact()
    assert artefact.version.startswith("fs-")
    assert artefact.manifest["trained_on"]["entities"] > 10_000
    assert "name_norm" in artefact.term_frequencies
    weights = _name_weights(artefact.model)
    assert weights[:-1] == sorted(weights[:-1], reverse=True)  # a stronger level never weighs less
    assert weights[-1] < 0  # a total name mismatch is evidence against
    CompiledModel(artefact.model, artefact.term_frequencies)  # every level translates


def test_tampered_model_is_refused(tmp_path: Path) -> None:
    for name in ("model.json", "manifest.json", "term_frequencies.json.gz"):
        (tmp_path / name).write_bytes((DEFAULT_MODEL_DIR / name).read_bytes())
    model = json.loads((tmp_path / "model.json").read_text())
    model["probability_two_random_records_match"] = 0.5
    (tmp_path / "model.json").write_text(json.dumps(model))
    with pytest.raises(ModelError, match="does not match its manifest"):
        load_artefact(tmp_path)
    with pytest.raises(ModelError, match="cannot read"):
        load_artefact(tmp_path / "missing")


def test_unknown_level_type_is_refused() -> None:
    model = load_artefact().model
    model = json.loads(json.dumps(model))
    model["comparisons"][0]["comparison_levels"][2]["sql_condition"] = 'levenshtein("name_norm_l", "name_norm_r") <= 2'
    with pytest.raises(UnsupportedModelError, match="levenshtein"):
        CompiledModel(model, load_artefact().term_frequencies)


def test_training_on_the_embedded_registry(tmp_path: Path) -> None:
    store = RegistryStore(tmp_path / "registry.duckdb")
    store.ingest(parse_all([EMBEDDED_REGISTRY]))
    rows, info = registry_rows(store)
    assert info["entities"] == 15968 and info["rows"] == len(rows)
    model = train(rows, entities=info["entities"], u_max_pairs=2e6)
    assert model["probability_two_random_records_match"] == pytest.approx(1 / 15968)
    assert "linker_uid" not in model  # Splink's random run id would make every artefact's bytes differ
    weights = _name_weights(model)
    assert weights[0] > 10 and weights[-1] < 0
    birth = next(c for c in model["comparisons"] if c["output_column_name"] == "birth_date")
    assert [lv["m_probability"] for lv in birth["comparison_levels"] if not lv.get("is_null_level")] == [
        0.85, 0.03, 0.05, 0.07,
    ]  # fmt: skip
    artefact = write_artefact(tmp_path / "m", model, threshold_match_weight=0.0, term_frequencies={}, provenance={})
    assert load_artefact(tmp_path / "m").version == artefact.version


def test_thresholds() -> None:
    weights = [10.0, 9.0, 8.0, 1.0, 0.5, -3.0]
    labels = [True, True, False, True, False, False]
    cut, f1 = best_f1_threshold(weights, labels)
    assert 0.5 < cut < 1.0 and f1 == pytest.approx(2 * 3 / (4 + 3))
    cut, recall, fpr = threshold_at_fpr(weights, labels, max_fpr=0.34)
    assert fpr == pytest.approx(1 / 3) and recall == 1.0 and 0.5 < cut < 1.0  # one false alarm allowed: 8.0
    with pytest.raises(ValueError):
        threshold_at_fpr([1.0], [True], 0.1)


@pytest.mark.parametrize(
    ("written", "latin", "level", "flagged"),
    [
        # EU Swedish-style romanisation of a Belarusian name (the name alone is not enough to flag it)
        ("Юрый Хаджымуратавіч КАРАЕЎ", "Jurij Chadzjimuratovitj KARAJEV", "Scripts differ, folded words align", False),
        # Polish-style: its three words align one to one once romanised, a level above
        ("Доку Хаматович Умаров", "Doku Chamatowicz Umarow", "Same number of words (3 or more), all align", True),
        # Ukrainian h for the Russian г, and a Ukrainian romanisation of a Russian spelling
        ("ГОЛУБ Игорь Владимирович", "HOLUB Igor Vladimirovich", "Scripts differ, same East Slavic skeleton", True),
        ("Олег Анатольевич Царёв", "Oleh Anatoliyovych Tsarov", "Scripts differ, same East Slavic skeleton", True),
        # one name without the patronymic the other has, Belarusian -аў against the Russian -ov
        (
            "БЫКАЎ, Аляксандр",
            "BYKOV Aleksandr Valerievich",
            "Scripts differ, East Slavic skeletons of the shorter",
            True,
        ),
        # an Arabic-script name whose consonant skeletons (three or more) are all in the Latin one's
        (
            "جمال مصطفى سلطان التكريتي",
            "AL-TIKRITI JAMAL MUSTAFA ABDALLAH SULTAN",
            "Scripts differ, skeletons of the shorter",
            True,
        ),
        # with Abd Allah, two words in Arabic script and one in the Latin, every skeleton is the same
        (
            "جمال مصطفى عبد الله سلطان التكريتي",
            "AL-TIKRITI JAMAL MUSTAFA ABDALLAH SULTAN",
            "Scripts differ, same consonant skeleton of every word",
            True,
        ),
        # a word and Allah, one word in the Latin name and two in the Arabic-script one
        ("حبیب الله رشاد", "RESHAD HABIBULLAH", "Scripts differ, same consonant skeleton of every word", True),
        # with two only ("Hajji Malik Noorzai") the level is not reached: two common skeletons ("mhmd hsn") are in
        # too many unrelated names
        ("حاجى مالك نورزى", "NOORZAI Malek", "Same consonant skeleton", False),
    ],
)
def test_names_in_two_scripts_reach_the_cross_script_levels(
    written: str, latin: str, level: str, flagged: bool
) -> None:
    """``written``: a name in Cyrillic or Arabic script; ``latin``: a romanisation of the same person's name."""
    artefact = load_artefact()
    scorer = CompiledModel(artefact.model, artefact.term_frequencies)
    left, right = model_row("1", None, written, "person"), model_row("2", None, latin, "person")
    weight, evidence = scorer.explain(left, right)
    assert evidence[0].level.startswith(level)
    assert (weight >= artefact.threshold_match_weight) == flagged  # by the name alone
    # a Latin spelling of the Cyrillic name against the same Latin name falls to a lower level: the cross-script
    # levels are for names written in two scripts
    _, same_script = scorer.explain(model_row("3", None, "Golub Igor Vladimirovich", "person"), right)
    assert not same_script[0].level.startswith("Scripts differ")


def test_a_name_level_no_alias_pair_reached_gets_less_than_one_pair() -> None:
    model = {
        "comparisons": [
            {
                "output_column_name": "name",
                "comparison_levels": [
                    {"is_null_level": True},
                    {"label_for_charts": "exact"},  # declared later (with_exact_copies): left alone
                    {"label_for_charts": "never reached", "m_probability": None},
                    {"label_for_charts": "reached", "m_probability": 0.25},
                ],
            }
        ]
    }
    levels = unseen_m(model, 400)["comparisons"][0]["comparison_levels"]
    assert [lv.get("m_probability") for lv in levels[1:]] == [None, 1 / 400, 0.25]
    assert model["comparisons"][0]["comparison_levels"][2]["m_probability"] is None  # a copy, not in place


ALL_ALIGN = "Same number of words (3 or more), all align"


@pytest.mark.parametrize(
    ("left", "right", "aligned"),
    [
        # aliases of one listing (pairs/alias_pairs_labelled.csv, test split): every word has its partner
        ("Сергей Валерьевич АКСЁНОВ", "Сергій Валерійович АКСЬОНОВ", True),
        ("NAZARANKA, Yuriy Henadzievich", "NAZARENKO, Yuriy Gennadievich", True),
        ("Nataliya Vladimirovna PETKEVICH", "Natalya Uladzimirauna PETKEVICH", True),
        # parties on no list against listed names (synthetic negatives, near the threshold): names of unequal word
        # counts, a short name's words found in a longer one, are left to the looser levels below the threshold
        ("Daniel Stone", "CHRISTOPHER DANIEL STINES", False),
        ("Christopher Beverly Rodriguez", "CHRIS RODRIGUEZ", False),
        ("Henry Marleny Soto", "MARK HENRY", False),
    ],
)
def test_names_whose_words_all_align_one_to_one(left: str, right: str, aligned: bool) -> None:
    artefact = load_artefact()
    scorer = CompiledModel(artefact.model, artefact.term_frequencies)
    weight, evidence = scorer.explain(model_row("1", None, left, "person"), model_row("2", None, right, "person"))
    assert evidence[0].level.startswith(ALL_ALIGN) == aligned, evidence[0].level
    # with the kind stated on both sides, such a pair is flagged at the shipped threshold; without it, it is not
    assert (weight >= artefact.threshold_match_weight) == aligned
