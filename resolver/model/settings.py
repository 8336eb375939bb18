"""The model's Splink settings: data, not code paths.

Name evidence is learnt from the registry (aliases of one listing are true matches); the other
comparisons' m probabilities are declared below, because aliases of one listing share one date of
birth, one country list and one id list by construction: learning m from them would claim that a
declaration always states the same date of birth as the list, which is false.
"""

from __future__ import annotations

from typing import Any, Literal

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import SettingsCreator, block_on
from splink.internals.comparison_creator import ComparisonCreator

LinkType = Literal["link_only", "link_and_dedupe", "dedupe_only"]

# Jaro-Winkler bands on the sorted, transliterated name.
JW_HIGH, JW_MID, JW_LOW = 0.94, 0.88, 0.80


# One name's words all appear in the other, and there are at least two of them: a dropped middle
# name or patronymic ("Roman Abramovich" / "Abramovich Roman Arkadyevich"). Two, because a single
# given name ("Roman") is a subset of thousands of names.
# On the folded words: "Vladimirovitj Putin" is all in "Putin Vladimir Vladimirovich".
def subset_sql(column: str, min_words: int = 2) -> str:
    least = f'LEAST(ARRAY_LENGTH("{column}_l"), ARRAY_LENGTH("{column}_r"))'
    return f'{least} >= {min_words} AND ARRAY_LENGTH(ARRAY_INTERSECT("{column}_l", "{column}_r")) = {least}'


SUBSET_SQL = subset_sql("name_folded_tokens")
# A name written in one script against a name written in another (Latin, Cyrillic or Arabic: features.py), with
# the consonant skeleton of every word the same: "محمد شفیق محمدی" / "MOHAMMADI MOHAMMAD SHAFIQ". Within one
# script a same skeleton says less ("Mohammed Ali" / "Mahmoud Ala"), and that case keeps the lower level.
CROSS_SCRIPT_SKELETON_SQL = '"name_script_l" <> "name_script_r" AND "name_skeleton_full_l" = "name_skeleton_full_r"'
_SCRIPTS_DIFFER_SQL = '"name_script_l" <> "name_script_r" AND '
# The same with the East Slavic skeletons (prepare.slavic_skeleton): a Belarusian or Ukrainian spelling against a
# Russian-form romanisation ("Ігар Пятровіч СЕРГЯЕНКА" / "Igor Petrovich SERGEENKO"). Not for Arabic script.
CROSS_SCRIPT_SLAVIC_SQL = _SCRIPTS_DIFFER_SQL + '"name_slavic_full_l" = "name_slavic_full_r"'
# The subset level across two scripts, where romanised words rarely agree letter for letter: the shorter name's
# words all in the other by East Slavic skeleton, two or more ("BYKOV Aleksandr Valerievich" / "БЫКАЎ, Аляксандр"),
# or by consonant skeleton, three or more ("AL-TIKRITI JAMAL MUSTAFA ABDALLAH SULTAN" / "جمال مصطفى عبد الله سلطان
# التكريتي"). No random pair of the sample reaches either (u is that of less than one pair: train.unseen_u) and few
# alias pairs do, so their learnt weights (9.0 and 11.2 after the exact-copy mix) rest on little; placed here, the
# monotone rule lifts them to the subset level's: a subset across two scripts is the evidence a subset within one
# is. The population screen is the check (benchmarks/accuracy): with two consonant skeletons ("mhmd hsn" is in
# thousands of names) the level flagged 37 more of the 50,000 synthetic negatives; with three, none more.
CROSS_SCRIPT_SKELETON_SUBSET_SQL = _SCRIPTS_DIFFER_SQL + subset_sql("name_skeleton_tokens", 3)
CROSS_SCRIPT_SLAVIC_SUBSET_SQL = _SCRIPTS_DIFFER_SQL + subset_sql("name_slavic_tokens")


def aligned_words_sql(threshold: float, column: str = "name_tokens", min_words: int = 2) -> str:
    """Each word of the shorter name (``min_words`` or more words) paired with its most similar word of the other
    name; the mean Jaro-Winkler of those pairs >= threshold, and no two words paired with the same one.
    Order-free, unlike Jaro-Winkler on sorted words, which breaks when a spelling moves a word in the
    sort ("alexandr" / "oleksandr"). One-to-one, because "Mohammad Mohammadi" must not align with
    "Barbro Fredrik Mohammadi" by pairing both its words with "mohammadi"."""
    left, right = f'"{column}_l"', f'"{column}_r"'
    shorter_first = f"ARRAY_LENGTH({left}) <= ARRAY_LENGTH({right})"
    short = f"CASE WHEN {shorter_first} THEN {left} ELSE {right} END"
    similarities = (
        f"list_transform(CASE WHEN {shorter_first} THEN {right} ELSE {left} END, "
        "lambda y: jaro_winkler_similarity(x, y))"
    )
    least = f"LEAST(ARRAY_LENGTH({left}), ARRAY_LENGTH({right}))"
    return (
        f"{least} >= {min_words} AND "
        f"list_avg(list_transform({short}, lambda x: list_max({similarities}))) >= {threshold} AND "
        f"ARRAY_LENGTH(list_distinct(list_transform({short}, "
        f"lambda x: list_position({similarities}, list_max({similarities}))))) = {least}"
    )


ALIGNED_HIGH, ALIGNED_LOW = 0.90, 0.82
# Two names of the same number of words, three or more, every word paired one to one with a similar word of the
# other: "Сергей Валерьевич АКСЁНОВ" / "Сергій Валерійович АКСЬОНОВ", "NAZARANKA, Yuriy Henadzievich" / "NAZARENKO,
# Yuriy Gennadievich". Where the words only align one way (a short name inside a longer one: "Daniel Stone" /
# "Christopher Daniel Stines"), or there are only two ("Jorge Vargas" / "Jorge Barga"), chance does it often
# among people on no list; with three aligned both ways, seldom.
ALL_WORDS_ALIGNED_SQL = 'ARRAY_LENGTH("name_tokens_l") = ARRAY_LENGTH("name_tokens_r") AND ' + aligned_words_sql(
    ALIGNED_HIGH, min_words=3
)
# Names in different scripts (Latin, Cyrillic, Arabic) whose folded words align one to one once romanised
# ("Jurij Chadzjimuratovitj" / "Юрый Хаджымуратавіч"). It sits below the subset level, where its learnt weight puts
# it: placed above, the monotone rule (train.monotone_name_weights) would lift it to the subset level's weight, and
# it would flag screened parties whose longer name holds two common words of a listed one ("Amir Ali ...").
CROSS_SCRIPT_ALIGNED = 0.90
CROSS_SCRIPT_FOLDED_SQL = _SCRIPTS_DIFFER_SQL + aligned_words_sql(CROSS_SCRIPT_ALIGNED, "name_folded_tokens")

# Share of true hits whose declared name is, once normalised, one of the listed names (assumed).
# Alias pairs cannot teach this: two aliases of one listing are almost never identical, while a
# declaration often copies the listed name. The learnt name m is mixed with this share of exact copies.
EXACT_COPY_SHARE = 0.4

# Declared m probabilities (P(level | same entity)) per comparison, in level order without the null
# level. Assumptions about declarations vs lists, stated so they can be argued with:
DECLARED_M: dict[str, list[float]] = {
    # a date of birth on a declaration: exact 85%, right month 3%, right year 5%, else (typo, other) 7%
    "birth_date": [0.85, 0.03, 0.05, 0.07],
    # the party's country is one the list ties the entity to: 60%. Lists tie entities to address
    # countries (the Banco Nacional de Cuba entry's address is in Zurich) and declarations name the
    # branch or subsidiary's country, so a mismatch is weak evidence, not a veto
    "country": [0.60, 0.40],
    # a shared registration/passport/IMO number: 90% of the time the number is right when both give one
    "identifier": [0.90, 0.10],
    # the declared kind (person / organization ...) agrees with the list: 97%
    "kind": [0.97, 0.03],
    # the same generic legal form (llc / jsc ...) when both names carry one: 85%
    "legal_form": [0.85, 0.15],
}


def name_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="name",
        comparison_description="Name, transliterated, legal form and honorifics removed",
        comparison_levels=[
            cll.NullLevel("name_norm"),
            cll.ExactMatchLevel("name_norm").configure(tf_adjustment_column="name_norm"),
            # above every level it outweighs: name weights are kept in level order (training.py)
            cll.CustomLevel(
                CROSS_SCRIPT_SKELETON_SQL, label_for_charts="Scripts differ, same consonant skeleton of every word"
            ),
            cll.CustomLevel(
                CROSS_SCRIPT_SLAVIC_SQL, label_for_charts="Scripts differ, same East Slavic skeleton of every word"
            ),
            cll.ExactMatchLevel("name_sorted").configure(label_for_charts="Same words, any order"),
            cll.JaroWinklerLevel("name_sorted", JW_HIGH),
            cll.JaroWinklerLevel("name_folded", JW_HIGH).configure(
                label_for_charts=f"Romanisations agree once folded, JW >= {JW_HIGH}"
            ),
            cll.CustomLevel(SUBSET_SQL, label_for_charts="All words of the shorter name (2 or more) in the other"),
            cll.CustomLevel(
                CROSS_SCRIPT_SKELETON_SUBSET_SQL,
                label_for_charts="Scripts differ, skeletons of the shorter name (3 or more) all in the other",
            ),
            cll.CustomLevel(
                CROSS_SCRIPT_SLAVIC_SUBSET_SQL,
                label_for_charts="Scripts differ, East Slavic skeletons of the shorter name (2 or more) all in "
                "the other",
            ),
            cll.CustomLevel(
                ALL_WORDS_ALIGNED_SQL,
                label_for_charts=f"Same number of words (3 or more), all align, mean JW >= {ALIGNED_HIGH}",
            ),
            cll.CustomLevel(
                CROSS_SCRIPT_FOLDED_SQL,
                label_for_charts=f"Scripts differ, folded words align, mean JW >= {CROSS_SCRIPT_ALIGNED}",
            ),
            cll.ExactMatchLevel("name_phonetic").configure(label_for_charts="Same sound (Metaphone)"),
            cll.CustomLevel(
                aligned_words_sql(ALIGNED_HIGH), label_for_charts=f"Words align, mean JW >= {ALIGNED_HIGH}"
            ),
            cll.ExactMatchLevel("name_skeleton").configure(label_for_charts="Same consonant skeleton"),
            cll.CustomLevel(
                aligned_words_sql(ALIGNED_HIGH, "name_skeleton_tokens"),
                label_for_charts=f"Consonant skeletons align, mean JW >= {ALIGNED_HIGH}",
            ),
            cll.JaroWinklerLevel("name_sorted", JW_MID),
            cll.ArrayIntersectLevel("name_tokens", min_intersection=2),
            cll.JaroWinklerLevel("name_sorted", JW_LOW),
            cll.CustomLevel(aligned_words_sql(ALIGNED_LOW), label_for_charts=f"Words align, mean JW >= {ALIGNED_LOW}"),
            cll.ArrayIntersectLevel("name_tokens", min_intersection=1),
            cll.ElseLevel(),
        ],
    )


def _array_comparison(name: str, column: str, label: str) -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name=name,
        comparison_levels=[
            cll.NullLevel(column),
            cll.ArrayIntersectLevel(column, min_intersection=1).configure(label_for_charts=label),
            cll.ElseLevel(),
        ],
    )


def comparisons() -> list[ComparisonCreator | dict[str, Any]]:
    return [
        name_comparison(),
        cl.CustomComparison(
            output_column_name="birth_date",
            comparison_levels=[
                cll.NullLevel("dob_years"),
                cll.ArrayIntersectLevel("dob_dates", 1).configure(label_for_charts="Same date"),
                cll.ArrayIntersectLevel("dob_months", 1).configure(label_for_charts="Same year and month"),
                cll.ArrayIntersectLevel("dob_years", 1).configure(label_for_charts="Same year"),
                cll.ElseLevel(),
            ],
        ),
        _array_comparison("country", "countries", "A country in common"),
        _array_comparison("identifier", "identifiers", "An identifier in common"),
        cl.CustomComparison(
            output_column_name="kind",
            comparison_levels=[cll.NullLevel("kind"), cll.ExactMatchLevel("kind"), cll.ElseLevel()],
        ),
        cl.CustomComparison(
            output_column_name="legal_form",
            comparison_levels=[cll.NullLevel("legal_form"), cll.ExactMatchLevel("legal_form"), cll.ElseLevel()],
        ),
    ]


def blocking_rules() -> list[Any]:
    """Pairs Splink compares in bulk; the online index reproduces these keys (s:, p:, t:) and adds
    fuzzy-recall keys of its own."""
    return [
        block_on("name_sorted"),
        block_on("name_phonetic"),
        block_on("name_tokens", arrays_to_explode=["name_tokens"]),
    ]


def settings(prior: float, link_type: LinkType = "dedupe_only") -> SettingsCreator:
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=blocking_rules(),
        probability_two_random_records_match=prior,
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=["entity_id", "name"],
    )
