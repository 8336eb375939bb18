"""Listed entries of different lists that are one party (ownership.load.group_same_parties): strict keys only, and
the same groups whatever order the store returns its rows in."""

from __future__ import annotations

import itertools
import random

from resolver.ownership.load import group_same_parties

# (entity id, the lists it comes from, kind, name, full dates of birth, countries, identifiers), as same_party_groups
# reads them from the store
ROWS = [
    ("eu:bortnikov", "eu_fsf@eu", "person", "Aleksandr Vasilievich BORTNIKOV", ["1951-11-15"], ["ru"], []),
    ("gb:bortnikov-1", "gb_hmt@gb", "person", "BORTNIKOV Aleksandr Vasilievich", ["1951-11-15"], [], []),
    # the UK names him a second time, under another regime
    ("gb:bortnikov-2", "gb_hmt@gb", "person", "BORTNIKOV, Aleksandr Vasilievich", ["1951-11-15"], [], []),
    # the same name, another date of birth: another person
    ("us:bortnikov", "us_ofac_sdn@us", "person", "BORTNIKOV Aleksandr Vasilievich", ["1960-01-01"], [], []),
    # one list naming two entries alike, and no other list: nothing ties them
    ("us:petrov-1", "us_ofac_sdn@us", "person", "Ivan Petrov", ["1970-01-01"], [], []),
    ("us:petrov-2", "us_ofac_sdn@us", "person", "PETROV, Ivan", ["1970-01-01"], [], []),
    # organisations: name (legal form dropped) and country, or name and identifier
    ("us:stg", "us_ofac_sdn@us", "organization", "OOO STROYTRANSGAZ", [], ["ru"], []),
    ("gb:stg", "gb_hmt@gb", "organization", "Stroytransgaz LLC", [], ["ru"], []),
    ("eu:other", "eu_fsf@eu", "organization", "Stroytransgaz LLC", [], ["kz"], []),
    ("us:bank", "us_ofac_sdn@us", "organization", "Mehr Bank", [], [], ["REG123456"]),
    ("eu:bank", "eu_fsf@eu", "organization", "MEHR BANK", [], [], ["REG123456"]),
    # vessels by identifier alone; a short identifier ties nothing
    ("us:ship", "us_ofac_sdn@us", "vessel", "OCEAN STAR", [], [], ["9123456"]),
    ("gb:ship", "gb_hmt@gb", "vessel", "STAR OF THE OCEAN", [], [], ["9123456"]),
    ("us:boat", "us_ofac_sdn@us", "vessel", "LITTLE ONE", [], [], ["123"]),
    ("gb:boat", "gb_hmt@gb", "vessel", "LITTLE ONE", [], [], ["123"]),
]

EXPECTED = [
    ["eu:bank", "us:bank"],
    ["eu:bortnikov", "gb:bortnikov-1", "gb:bortnikov-2"],
    ["gb:ship", "us:ship"],
    ["gb:stg", "us:stg"],
]


def test_strict_keys_tie_entries_of_different_lists_and_a_list_that_names_one_party_twice() -> None:
    assert group_same_parties(ROWS) == EXPECTED


def test_the_groups_do_not_depend_on_the_order_of_the_rows() -> None:
    # the store's GROUP BY runs in parallel and returns rows in no fixed order: every process loading one snapshot
    # must share the same listings
    rng = random.Random(20261128)
    orders = [list(reversed(ROWS))] + [rng.sample(ROWS, len(ROWS)) for _ in range(50)]
    assert all(group_same_parties(order) == EXPECTED for order in orders)
    # and the three Bortnikov entries in every order
    bortnikov = ROWS[:3]
    assert all(group_same_parties(list(o)) == [EXPECTED[1]] for o in itertools.permutations(bortnikov))
