"""All the shared registries in one store: the entries an export-control officer looks for first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from benchmarks.registry_files import latest_registry_paths
from resolver.registry.ingest import parse_all
from resolver.registry.store import RegistryStore


@pytest.fixture(scope="module")
def store(registries: Path, tmp_path_factory: pytest.TempPathFactory) -> RegistryStore:
    store = RegistryStore(tmp_path_factory.mktemp("latest") / "registry.duckdb")
    store.ingest(parse_all(latest_registry_paths(registries)))
    return store


def _entities(store: RegistryStore, text: str) -> list[dict[str, Any]]:
    ids = dict.fromkeys(eid for eid, _, _ in store.find(text, limit=200))
    return [store.entity(eid) for eid in ids]


def _names(record: dict[str, Any]) -> set[str]:
    return {n["name"] for n in record["names"]}


def test_every_source_is_in_one_snapshot(store: RegistryStore) -> None:
    status = store.status()
    sources = {s.source: s.entities for s in status.sources}
    assert set(sources) == {
        "us_ofac_sdn", "us_ofac_cons", "un_sc", "gb_fca_combined", "us_bis_dpl", "us_trade_csl",
        "os_eu_fsf", "os_zala_entities", "eu_fsf", "gb_hmt",
    }  # fmt: skip
    assert sources["us_ofac_sdn"] == 14965 and sources["us_ofac_cons"] == 442
    assert status.names > 100_000  # distinct names per entity; the FCA file repeats many per row


def test_abramovich_with_cyrillic_spelling_and_birth_date(store: RegistryStore) -> None:
    records = _entities(store, "Абрамович")
    eu = next(r for r in records if r["entity_id"] == "gb_fca_combined:eu_fsf:EU.7792.75")
    assert "Роман Аркадьевич Абрамович" in _names(eu)
    assert "Roman Arkadyevich ABRAMOVICH" in _names(eu)
    assert {b["date"] for b in eu["birth_dates"]} == {"1966-10-24"}
    assert "russia-related" in eu["topics"]
    cyrillic = [n for n in eu["names"] if n["name"] == "Роман Аркадьевич Абрамович"]
    assert cyrillic[0]["script"] == "Cyrillic"
    uk = next(r for r in records if "gb_hmt" in r["lists"])
    assert {c["code"] for c in uk["countries"] if c["role"] == "nationality"} >= {"ru", "il", "pt"}


def test_deripaska_in_ofac_with_aliases_and_in_uk_eu_in_cyrillic(store: RegistryStore) -> None:
    ofac = [r for r in _entities(store, "DERIPASKA, Oleg") if r["source"] == "us_ofac_sdn"]
    assert len(ofac) == 1
    sdn = ofac[0]
    assert sdn["kind"] == "person"
    assert "1968-01-02" in {b["date"] for b in sdn["birth_dates"]}
    assert {c["code"] for c in sdn["countries"] if c["role"] == "citizenship"} >= {"ru", "cy"}
    assert len(sdn["addresses"]) == 3  # the 2024 files give him no alias: the UK/EU entries below do
    linked = [r for r in sdn["relations"] if r["kind"] == "linked_to" and r["object_id"] == sdn["entity_id"]]
    assert len(linked) >= 3  # B-FINANCE, BASIC ELEMENT, AGROHOLDING KUBAN ... are Linked To him
    cyr = _entities(store, "ДЕРИПАСКА")
    assert {r["source"] for r in cyr} == {"gb_fca_combined"}
    assert all("1968-01-02" in {b["date"] for b in r["birth_dates"]} for r in cyr)
    assert all(len(r["names"]) >= 2 for r in cyr)  # Latin and Cyrillic spellings of one listing


def test_rosneft_entries(store: RegistryStore) -> None:
    records = _entities(store, "ROSNEFT")
    trading = next(r for r in records if r["primary_name"] == "ROSNEFT TRADING S.A." and r["source"] == "us_ofac_sdn")
    assert trading["kind"] == "organization"
    assert "russia-related" in trading["topics"]  # UKRAINE-EO13662
    assert any(r["source"] == "gb_fca_combined" and "us_ofac_ssi" in r["lists"] for r in records)
    aero = _entities(store, "Роснефть")
    assert aero and all(any(n["script"] == "Cyrillic" for n in r["names"]) for r in aero)


def test_evraz_appears_only_as_abramovich_holding(store: RegistryStore) -> None:
    # No shared list designates Evraz plc itself (the UK did so in May 2022, after these files);
    # the lists record it as Abramovich's and Shvidler's holding, which the ownership issue uses.
    with store.connect(read_only=True) as con:
        named = con.execute("SELECT count(*) FROM names WHERE regexp_matches(name, '\\bevraz\\b', 'i')").fetchone()
        assert named == (0,)  # "EVRAZIYA" (a drilling company) is another name
        mentions = con.execute("SELECT count(*) FROM entities WHERE notes ILIKE '%evraz%'").fetchone()
    assert mentions is not None and mentions[0] >= 2


def test_no_stored_name_keeps_a_c1_control(store: RegistryStore) -> None:
    # The US Consolidated Screening List and the UK's combined list (as shared) hold "Xi\x92an" and "Gui\x92an":
    # Windows-1252 apostrophes decoded as Latin-1 upstream. Ingest puts them back.
    with store.connect(read_only=True) as con:
        c1 = con.execute("SELECT count(*) FROM names WHERE regexp_matches(name, '[\x80-\x9f]')").fetchone()
        fixed = con.execute("SELECT count(*) FROM names WHERE name LIKE 'Gui\u2019an New District Huawei%'").fetchone()
    assert c1 == (0,)
    assert fixed is not None and fixed[0] >= 1
