"""The ownership formats (uk_psc, gleif_rr, ownership_csv) on the real files in ../shared/data/ownership, their
detection next to the list formats, and the store's handling of their edges (counts are recomputed here with
the json module where that is simple, not copied from the parsers)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from resolver.registry.errors import IngestError
from resolver.registry.ingest import parse_all
from resolver.registry.parsers import detect, ftm, gleif_rr, head, ownership_csv, uk_psc
from resolver.registry.records import (
    NAME_ALIAS,
    NAME_FORMER,
    ORGANIZATION,
    PERSON,
    REL_ASSOCIATE,
    REL_CONTROL,
    REL_DIRECTORSHIP,
    REL_OWNERSHIP,
    Entity,
    ParsedSource,
    Relation,
)
from resolver.registry.store import RegistryStore

OURS = {"uk_psc", "gleif_rr", "ownership_csv"}
KALASHNIKOV = "NK-nR5AXM9AVPq4pQaSPSaVam"  # JSC Kalashnikov Concern in the zala FtM cluster


@pytest.fixture(scope="module")
def ownership(shared_data: Path) -> Path:
    return shared_data / "ownership"


@pytest.fixture(scope="module")
def psc(ownership: Path) -> ParsedSource:
    return uk_psc.parse(sorted((ownership / "uk_psc").iterdir()))


@pytest.fixture(scope="module")
def gleif(ownership: Path) -> ParsedSource:
    return gleif_rr.parse(sorted((ownership / "gleif").iterdir()))


def _by_id(parsed: ParsedSource) -> dict[str, Entity]:
    ids = [e.source_id for e in parsed.entities]
    assert len(ids) == len(set(ids)), "source ids must be unique within a source"
    return {e.source_id: e for e in parsed.entities}


def _edges(parsed: ParsedSource, subject: str, obj: str) -> list[Relation]:
    return [r for r in parsed.relations if r.subject_id == subject and r.object_id == obj]


# --- detection ------------------------------------------------------------------------------------


def test_list_files_keep_their_format(registries: Path) -> None:
    files = [p for p in sorted(registries.rglob("*")) if p.is_file() and not p.name.endswith(".md")]
    assert len(files) >= 20
    for path in files:
        text = head(path)
        for module in (uk_psc, gleif_rr, ownership_csv):
            assert not module.sniff(path, text), (module.FORMAT, path)
        assert detect(path).name not in OURS


def test_ownership_files_are_detected(ownership: Path) -> None:
    for path in sorted((ownership / "uk_psc").iterdir()):
        assert detect(path).name == "uk_psc", path
    for path in sorted((ownership / "gleif").iterdir()):
        assert detect(path).name == "gleif_rr", path
    # the DERIVED edge lists are read from their own sources (ofac remarks, ftm), not as agency edge files
    for name in ("ofac_sdn_2024-05-03_linked_to_edges.csv", "opensanctions_zala_ownership_edges.csv"):
        assert not ownership_csv.sniff(ownership / name, head(ownership / name))


# --- UK PSC ---------------------------------------------------------------------------------------


def _psc_records(ownership: Path) -> list[dict[str, object]]:
    out = []
    for path in sorted((ownership / "uk_psc").glob("psc-data-*.json")):
        out += json.loads(path.read_text(encoding="utf-8"))
    return out


def test_psc_counts(ownership: Path, psc: ParsedSource) -> None:
    records = _psc_records(ownership)
    parties = [r for r in records if str(r["data"]["kind"]).startswith(("individual", "corporate", "legal"))]  # type: ignore[index]
    assert len(parties) == 17
    # one relation per nature of control, every party states at least one
    assert len(psc.relations) == sum(len(r["data"]["natures_of_control"]) for r in parties) == 31  # type: ignore[index, arg-type]
    entities = _by_id(psc)
    companies = [e for e in entities.values() if not e.source_id.startswith("psc:")]
    # 18 companies named by statements, 1 more in the company data, 2 UK-registered corporate PSCs
    assert len(companies) == 21
    assert len(entities) == 36
    assert sum(e.kind == PERSON for e in entities.values()) == 5
    assert psc.source == "gb_psc" and psc.publisher_date == "2024-12-19"
    assert {r.kind for r in psc.relations} == {REL_OWNERSHIP, REL_CONTROL}


def test_psc_band_and_dates_of_a_ceased_individual(psc: ParsedSource) -> None:
    karol = next(e for e in psc.entities if e.primary_name == "Karol Kuczkowski")
    assert karol.kind == PERSON
    assert [b.date for b in karol.birth_dates] == ["1979-10"]
    assert {(c.code, c.role) for c in karol.countries} == {("pl", "nationality"), ("pl", "residence")}
    edges = _edges(psc, karol.source_id, "10308742")
    assert len(edges) == 4
    owns = [r for r in edges if r.kind == REL_OWNERSHIP]
    assert len(owns) == 1
    assert (owns[0].percentage, owns[0].percentage_min, owns[0].percentage_max) == (None, 75.0, 100.0)
    assert (owns[0].start_date, owns[0].end_date) == ("2016-08-02", "2018-02-27")
    assert owns[0].role == "ownership-of-shares-75-to-100-percent: 75% or more"
    control_roles = sorted(r.role or "" for r in edges if r.kind == REL_CONTROL)
    assert control_roles == [
        "right-to-appoint-and-remove-directors",
        "significant-influence-or-control",
        "voting-rights-75-to-100-percent: 75% or more",
    ]


def test_psc_lower_band_keeps_its_open_end_in_role(psc: ParsedSource) -> None:
    care = next(e for e in psc.entities if e.primary_name == "Companion Care (Services) Limited")
    (owns,) = [r for r in _edges(psc, care.source_id, "07731393") if r.kind == REL_OWNERSHIP]
    assert (owns.percentage_min, owns.percentage_max) == (25.0, 50.0)
    assert owns.role == "ownership-of-shares-25-to-50-percent: more than 25% and up to 50%"
    czech = next(e for e in psc.entities if e.primary_name == "Government Of Czech Republic")
    overseas = _edges(psc, czech.source_id, "OE031044")
    assert [(r.kind, r.percentage_min, r.percentage_max) for r in overseas] == [(REL_OWNERSHIP, 25.0, 100.0)] * 2
    assert all(r.start_date == "2018-12-06" for r in overseas)
    assert not any(c.code == "gb" for c in _by_id(psc)["OE031044"].countries)  # overseas entity, not a UK company


def test_psc_uk_corporate_owner_is_the_company_node(psc: ParsedSource) -> None:
    entities = _by_id(psc)
    hitchins = entities["00686734"]  # registration_number of the PSC "Robert Hitchins Limited"
    assert (hitchins.kind, hitchins.primary_name) == (ORGANIZATION, "Robert Hitchins Limited")
    assert [(r.kind, r.percentage_min, r.percentage_max) for r in _edges(psc, "00686734", "07434180")] == [
        (REL_OWNERSHIP, 75.0, 100.0),
        (REL_CONTROL, 75.0, 100.0),
    ]
    # a US-registered corporate PSC stays a PSC node with its foreign registration number
    st_paul = next(e for e in psc.entities if e.primary_name == "St. Paul Fire & Marine Insurance Company")
    assert st_paul.source_id.startswith("psc:")
    assert [(i.value, i.country) for i in st_paul.identifiers] == [("41-0406690", "us-mn")]


def test_psc_company_records_and_statements(ownership: Path, psc: ParsedSource) -> None:
    entities = _by_id(psc)
    ltd = entities["08209948"]
    assert ltd.primary_name == "! LTD"
    assert ltd.notes is not None
    assert "incorporated 2012-09-11" in ltd.notes
    assert (
        "PSC statement: no-individual-or-entity-with-signficant-control (notified 2016-09-11, ceased 2021-12-13)"
        in (ltd.notes)
    )
    feldman = _edges(psc, "psc:FReSTxwXcJbAHBrerDpmTylkW48", "08209948")
    assert [(r.percentage_min, r.start_date) for r in feldman] == [(75.0, "2021-12-13")]
    assert entities["psc:FReSTxwXcJbAHBrerDpmTylkW48"].names[1].value == "Marc Anthony Feldman"  # no "Mr"
    assert entities["psc:FReSTxwXcJbAHBrerDpmTylkW48"].names[1].kind == NAME_ALIAS
    assert "super-secure" in (entities["02443921"].notes or "")
    assert entities["06452920"].primary_name == "06452920"  # no company record: named by its number
    assert all(r.object_id != "02443921" for r in psc.relations)  # no edge: the owner is withheld


def test_psc_hard_wrapped_company_csv(ownership: Path) -> None:
    path = ownership / "uk_psc" / "basic-company-data-1.csv"
    assert {len(line) for line in path.read_text(encoding="utf-8").splitlines()} == {118, 63, 61}
    (entity,) = uk_psc.parse([path]).entities
    assert (entity.source_id, entity.primary_name) == ("08209948", "! LTD")
    assert [(c.code, c.role) for c in entity.countries] == [("gb", "jurisdiction")]
    assert entity.addresses[0].postal_code == "HG1 1ND"
    assert "incorporated 2012-09-11" in (entity.notes or "")
    assert "status: Active" in (entity.notes or "")


def test_psc_bad_json_names_file_and_line(tmp_path: Path, ownership: Path) -> None:
    bad = tmp_path / "psc-data-1.json"
    bad.write_text((ownership / "uk_psc" / "psc-data-1.json").read_text(encoding="utf-8")[:-20], encoding="utf-8")
    with pytest.raises(IngestError, match=r"psc-data-1\.json:line \d+: malformed JSON"):
        uk_psc.parse([bad])


# --- GLEIF ----------------------------------------------------------------------------------------


def _key(r: Relation) -> tuple[object, ...]:
    return (r.subject_id, r.kind, r.object_id, r.start_date, r.end_date, r.role)


def test_gleif_json_and_xml_agree(ownership: Path) -> None:
    d = ownership / "gleif"
    as_json = gleif_rr.parse([d / "rr-data.json", d / "lei-data.json", d / "repex-data.json"])
    as_xml = gleif_rr.parse([d / "rr-data.xml", d / "lei-data.xml", d / "repex-data.xml"])
    rr = json.loads((d / "rr-data.json").read_text(encoding="utf-8"))
    assert len(as_json.relations) == len(rr) == 10
    assert sorted(map(_key, as_json.relations)) == sorted(map(_key, as_xml.relations))
    leis = {x["LEI"] for x in json.loads((d / "lei-data.json").read_text(encoding="utf-8"))}
    ends = {r["Relationship"][s]["NodeID"] for r in rr for s in ("StartNode", "EndNode")}
    assert len(as_json.entities) == len(leis | ends) == 26
    assert {e.source_id: e.primary_name for e in as_json.entities} == {
        e.source_id: e.primary_name for e in as_xml.entities
    }


def test_gleif_consolidation_is_control_from_parent_to_child(ownership: Path) -> None:
    d = ownership / "gleif"
    parsed = gleif_rr.parse([d / "rr-data.json"])
    (direct,) = _edges(parsed, "ZZG38T0MDR3QY1ETUA76", "010CMKZ3VON21WF2ZD45")
    assert direct.kind == REL_CONTROL
    assert (direct.start_date, direct.end_date) == ("2018-02-06", None)  # RELATIONSHIP_PERIOD, not ACCOUNTING_PERIOD
    assert direct.percentage is None and direct.percentage_min is None
    assert direct.role == "IS_DIRECTLY_CONSOLIDATED_BY; registration LAPSED"
    (ultimate,) = _edges(parsed, "3C7474T6CDKPR9K6YT90", "010CMKZ3VON21WF2ZD45")
    assert ultimate.role == "IS_ULTIMATELY_CONSOLIDATED_BY; registration LAPSED; US_GAAP"
    (fund,) = _edges(parsed, "5493001Z012YSB2A0K51", "001GPB6A9XPE8XJICC14")
    assert (fund.kind, fund.role, fund.start_date) == (REL_ASSOCIATE, "IS_FUND-MANAGED_BY", "2012-11-29")


def test_gleif_whole_folder(gleif: ParsedSource) -> None:
    assert gleif.source == "gleif" and gleif.publisher_date == "2023-11-06"
    # 10 records of the June file (JSON and XML copies of one another) + 11 of the November file
    assert len(gleif.relations) == 21
    assert len(gleif.entities) == 37
    entities = _by_id(gleif)
    assert entities["549300JB1P61FUTPEZ75"].primary_name == "Všeobecná úverová banka, a.s."
    (vub,) = _edges(gleif, "549300JB1P61FUTPEZ75", "097900BHF50000076475")
    assert (vub.kind, vub.start_date, vub.role) == (REL_CONTROL, "2022-10-24", "IS_DIRECTLY_CONSOLIDATED_BY; IFRS")
    direct_and_ultimate = _edges(gleif, "984500501A1B1045PB30", "2138002YAB7Z9KO21397")
    assert sorted((r.role or "").split(";")[0] for r in direct_and_ultimate) == [
        "IS_DIRECTLY_CONSOLIDATED_BY",
        "IS_ULTIMATELY_CONSOLIDATED_BY",
    ]
    monoova = direct_and_ultimate[0]
    assert monoova.kind == REL_CONTROL and monoova.percentage is None
    assert monoova.role is not None and "quantifier ACCOUNTING_CONSOLIDATION 100.00 PERCENTAGE" in monoova.role
    monoova_names = entities["2138002YAB7Z9KO21397"].names
    assert ("MONEYTECH LIMITED", NAME_FORMER) in [(n.value, n.kind) for n in monoova_names]
    fidelity = entities["001GPB6A9XPE8XJICC14"]
    assert fidelity.notes is not None and "no direct accounting consolidation parent reported: NO_KNOWN_PERSON" in (
        fidelity.notes
    )
    assert entities["C7J4FOV6ELAVE39B7M82"].primary_name == "C7J4FOV6ELAVE39B7M82"  # no LEI record: named by LEI


# --- store ----------------------------------------------------------------------------------------


def test_psc_and_gleif_folders_ingest(ownership: Path, tmp_path: Path) -> None:
    store = RegistryStore(tmp_path / "r.duckdb")
    result = store.ingest(parse_all([ownership / "uk_psc", ownership / "gleif"]))
    assert sorted(result.changed) == ["gb_psc", "gleif"]
    with store.connect(read_only=True) as con:
        rows = con.execute(
            "SELECT source, count(*) FROM relations r JOIN entities e ON e.entity_id = r.object_id "
            "AND e.version_id = r.version_id GROUP BY source ORDER BY source"
        ).fetchall()
        assert rows == [("gb_psc", 31), ("gleif", 21)]  # every edge's owned end is a node of its source
        band = con.execute(
            "SELECT percentage_min, percentage_max, start_date, end_date FROM relations "
            "WHERE object_id = 'gb_psc:10308742' AND kind = 'ownership'"
        ).fetchall()
        assert band == [(75.0, 100.0, "2016-08-02", "2018-02-27")]


EDGE_HEADER = (
    "owner_id,owner_name,owned_id,owned_name,owner_kind,owned_kind,owned_country,kind,"
    "percentage,percentage_min,percentage_max,role,source,start_date,end_date"
)
GOOD_ROWS = (
    "@{zala}:" + KALASHNIKOV + ",JSC Kalashnikov Concern,EXP-1,Example Exporter Ltd,,organization,Cyprus,ownership,"
    "28.6,,,,Cyprus registry extract 2024-03,2021-05,",
    "EXP-1,,EXP-2,Example Logistics FZE,,organization,ae,ownership,,50,75,,partner tip,2022,2023-12-31",
    "P-1,Ivan Example,EXP-1,,person,,,directorship,,,,Director,registry,2021-06,",
    "EXP-2,,@us_ofac_sdn:17018,Listed Company,,,,control,,,,,registry,,",
)


def _edge_file(tmp_path: Path, *rows: str, header: str = EDGE_HEADER, name: str = "Registry Extract.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_ownership_csv_parses_local_nodes_and_references(tmp_path: Path) -> None:
    path = _edge_file(tmp_path, *(r.format(zala="os_zala") for r in GOOD_ROWS))
    assert detect(path).name == "ownership_csv"
    parsed = ownership_csv.parse([path])
    assert parsed.source == "ownership_registry_extract"
    entities = _by_id(parsed)
    assert set(entities) == {"EXP-1", "EXP-2", "P-1"}
    assert (entities["EXP-1"].kind, entities["EXP-1"].primary_name) == (ORGANIZATION, "Example Exporter Ltd")
    assert [c.code for c in entities["EXP-1"].countries] == ["cy"]
    assert entities["P-1"].kind == PERSON
    first, second, third, fourth = parsed.relations
    assert (first.subject_entity_id, first.object_id, first.percentage) == (f"os_zala:{KALASHNIKOV}", "EXP-1", 28.6)
    assert (first.start_date, first.role) == ("2021-05", "source: Cyprus registry extract 2024-03")
    assert (second.percentage_min, second.percentage_max, second.end_date) == (50.0, 75.0, "2023-12-31")
    assert (third.kind, third.role) == (REL_DIRECTORSHIP, "Director; source: registry")
    assert (fourth.subject_id, fourth.object_entity_id, fourth.object_name) == (
        "EXP-2",
        "us_ofac_sdn:17018",
        "Listed Company",
    )


def test_ownership_csv_reference_reaches_the_store_and_resolves(registries: Path, tmp_path: Path) -> None:
    zala_path = registries / "opensanctions" / "zala_entities.ftm.json"
    zala = ftm.parse([zala_path]).source
    edges = _edge_file(tmp_path, *(r.format(zala=zala) for r in GOOD_ROWS))
    store = RegistryStore(tmp_path / "r.duckdb")
    store.ingest(parse_all([zala_path, edges]))
    with store.connect(read_only=True) as con:
        row = con.execute(
            "SELECT r.subject_id, r.object_id, r.percentage, e.primary_name FROM relations r "
            "JOIN entities e ON e.entity_id = r.subject_id WHERE r.object_id = 'ownership_registry_extract:EXP-1' "
            "AND r.kind = 'ownership'"
        ).fetchone()
        assert row is not None
        assert row[:3] == (f"{zala}:{KALASHNIKOV}", "ownership_registry_extract:EXP-1", 28.6)
        assert "Kalashnikov" in row[3]
        ref = con.execute(
            "SELECT subject_id, object_id FROM relations WHERE object_id = 'us_ofac_sdn:17018'"
        ).fetchall()
        assert ref == [("ownership_registry_extract:EXP-2", "us_ofac_sdn:17018")]


# Each bad input: (id, rows, header or None for the default, expected problem, expected location).
BAD = [
    ("typo-column", ["A,Alpha,B,Beta"], "owner_id,owner_name,owned_id,owned_nam", "unknown columns", "line 1"),
    ("missing-required", ["A,Alpha,B"], "owner_id,owner_name,owned_id", "missing columns: owned_name", "line 1"),
    ("pct-over-100", ["A,Alpha,B,Beta,,,,ownership,120,,,,,,"], None, "outside 0-100", "line 2, column percentage"),
    ("pct-negative", ["A,Alpha,B,Beta,,,,ownership,,-5,,,,,"], None, "outside 0-100", "line 2, column percentage_min"),
    ("pct-not-number", ["A,Alpha,B,Beta,,,,ownership,half,,,,,,"], None, "not a number", "line 2, column percentage"),
    ("min-over-max", ["A,Alpha,B,Beta,,,,ownership,,75,50,,,,"], None, "greater than", "line 2, column percentage_min"),
    ("exact-and-range", ["A,Alpha,B,Beta,,,,ownership,30,25,50,,,,"], None, "either", "line 2, column percentage"),
    (
        "unknown-kind",
        ["A,Alpha,B,Beta,,,,shareholder,,,,,,,"],
        None,
        "'shareholder' is not one of",
        "line 2, column kind",
    ),
    ("end-before-start", ["A,Alpha,B,Beta,,,,,,,,,,2020-01,2019-12"], None, "before start_date", "column end_date"),
    ("bad-date", ["A,Alpha,B,Beta,,,,,,,,,,01/02/2020,"], None, "not an ISO date", "line 2, column start_date"),
    ("share-on-directorship", ["A,Alpha,B,Beta,,,,directorship,10,,,,,,"], None, "only meaningful", "percentage"),
    ("bad-reference", ["@gb_hmt,Alpha,B,Beta,,,,,,,,,,,"], None, "is not a reference", "line 2, column owner_id"),
    ("self-loop", ["A,Alpha,A,Alpha,,,,,,,,,,,"], None, "cannot own or control itself", "line 2, column owned_id"),
    ("unnamed-node", ["A,,B,Beta,,,,,,,,,,,"], None, "has no name", "line 2"),
    ("name-conflict", ["A,Alpha,B,Beta,,,,,,,,,,,", "A,Alfa,C,Gamma,,,,,,,,,,,"], None, "is named", "line 3"),
    ("blank-owner", [",Alpha,B,Beta,,,,,,,,,,,"], None, "required value is blank", "line 2, column owner_id"),
    ("short-row", ["A,Alpha,B,Beta"], None, "expected 15 columns", "line 2"),
    (
        "duplicate-relation-id",
        ["A,Alpha,B,Beta,E-1", "C,Gamma,B,Beta,E-2", "D,Delta,B,Beta,E-1"],
        "owner_id,owner_name,owned_id,owned_name,relation_id",
        "duplicate relation_id, first at",
        "line 4, column relation_id",
    ),
]


def _fingerprint(store: RegistryStore) -> tuple[str, str]:
    return hashlib.sha256(store.path.read_bytes()).hexdigest(), json.dumps(
        [s.__dict__ for s in store.status().sources], default=str, sort_keys=True
    )


@pytest.fixture(scope="module")
def edge_store(tmp_path_factory: pytest.TempPathFactory) -> RegistryStore:
    """A store that already holds an edge file under the name the bad files would replace."""
    folder = tmp_path_factory.mktemp("edges")
    store = RegistryStore(folder / "r.duckdb")
    store.ingest(parse_all([_edge_file(folder, *(r.format(zala="os_zala") for r in GOOD_ROWS))]))
    return store


@pytest.mark.parametrize(("rows", "header", "problem", "where"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_ownership_csv_refuses_and_leaves_store_unchanged(
    rows: list[str], header: str | None, problem: str, where: str, edge_store: RegistryStore, tmp_path: Path
) -> None:
    store = RegistryStore(tmp_path / "r.duckdb")
    store.path.write_bytes(edge_store.path.read_bytes())
    before = _fingerprint(store)
    bad = _edge_file(tmp_path, *rows, header=header or EDGE_HEADER)
    with pytest.raises(IngestError) as info:
        store.ingest(parse_all([bad], format_name="ownership_csv"))
    message = str(info.value)
    assert str(bad) in message
    assert problem in message
    assert where in message
    assert _fingerprint(store) == before


@pytest.mark.parametrize("name", ["rr-data.json", "rr-data.xml"])
def test_gleif_truncated_file_fails_with_its_name_and_leaves_the_store_unchanged(
    tmp_path: Path, ownership: Path, name: str
) -> None:
    bad = tmp_path / name
    bad.write_bytes((ownership / "gleif" / name).read_bytes()[:-40])
    store = RegistryStore(tmp_path / "registry.duckdb")
    store.ingest(parse_all([ownership / "gleif" / "lei-data.json"]))
    before = hashlib.sha256(store.path.read_bytes()).hexdigest()
    with pytest.raises(IngestError, match=name.replace(".", r"\.")):
        store.ingest(parse_all([bad], format_name="gleif_rr"))
    assert hashlib.sha256(store.path.read_bytes()).hexdigest() == before
