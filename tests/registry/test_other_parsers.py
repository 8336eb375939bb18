"""The FCA combined, BIS DPL, CSL, FollowTheMoney and watchlist parsers, against the real files in
../shared/data (counts are recomputed here with the csv/json modules, not copied from the parsers)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from resolver.registry.errors import IngestError
from resolver.registry.parsers import bis_dpl, csl, fca_combined, ftm, head, watchlist
from resolver.registry.records import (
    NAME_ALIAS,
    NAME_FORMER,
    NAME_PRIMARY,
    NAME_WEAK,
    ORGANIZATION,
    PERSON,
    REL_DIRECTORSHIP,
    REL_FAMILY,
    REL_OWNERSHIP,
    Entity,
    ParsedSource,
)

ROOT = Path(__file__).resolve().parents[2]
FCA = "combined/combined_us_uk_eu_2022-05-05.csv"
DPL = "bis/denied_persons_2022-09.txt"
CSL = "bis/consolidated_screening_list_sample.csv"
ZALA = "opensanctions/zala_entities.ftm.json"
T1 = "opensanctions/t1_entities.ftm.json"

KALASHNIKOV = "NK-nR5AXM9AVPq4pQaSPSaVam"
LLC_CST = "NK-abdzbEBkqyT29GyREbiURZ"
ZAKHAROV = "NK-aU5ybkbRFJucf8YMwsJvDw"
NIKITA = "NK-JseaPJctnK9o8wrmz8xmoT"


def _by_id(parsed: ParsedSource) -> dict[str, Entity]:
    ids = [e.source_id for e in parsed.entities]
    assert len(ids) == len(set(ids)), "source ids must be unique within a source"
    return {e.source_id: e for e in parsed.entities}


@pytest.fixture(scope="module")
def fca(registries: Path) -> ParsedSource:
    return fca_combined.parse([registries / FCA])


# --- FCA combined -----------------------------------------------------------------------------


def test_fca_one_entity_per_list_and_id(registries: Path, fca: ParsedSource) -> None:
    with (registries / FCA).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 84_407
    assert all(r["list_internal_id"].strip() for r in rows)  # so no hashed fallback ids in this file
    groups = {(r["sanction_list"], r["list_internal_id"]) for r in rows}
    assert len(fca.entities) == len(groups) == 20_971
    _by_id(fca)
    assert fca.source == "gb_fca_combined" and fca.format == "fca_combined"
    # every distinct name of a group is kept, once
    names = {(r["sanction_list"], r["list_internal_id"], " ".join(r["full_name"].split()).casefold()) for r in rows}
    assert sum(len(e.names) for e in fca.entities) == len(names)


def test_fca_abramovich_eu_keeps_cyrillic_name_and_birth_date(fca: ParsedSource) -> None:
    e = _by_id(fca)["eu_fsf:EU.7792.75"]
    assert e.kind == PERSON
    assert e.names[0].value == "Roman Arkadyevich ABRAMOVICH" and e.names[0].kind == NAME_PRIMARY
    assert "Роман Аркадьевич Абрамович" in [n.value for n in e.names if n.kind == NAME_ALIAS]
    assert [b.date for b in e.birth_dates] == ["1966-10-24"]
    assert e.lists == ["eu_fsf"] and e.topics == ["sanction"] and e.programs == ["UKR"]
    assert e.listing_date == "2022-03-15"
    assert ("ru", "citizenship") in {(c.code, c.role) for c in e.countries}
    assert "Saratov, RUSSIAN FEDERATION" in e.birth_places
    assert e.notes and "Evraz" in e.notes


def test_fca_abramovich_uk_numbered_nationalities_and_ids(fca: ParsedSource) -> None:
    e = _by_id(fca)["gb_hmt:14212"]
    assert {c.code for c in e.countries if c.role == "nationality"} == {"ru", "il", "pt"}
    assert [(i.scheme, i.value) for i in e.identifiers] == [("personal_id", "CB982788"), ("personal_id", "24132276")]
    assert "Роман Аркадьевич АБРАМОВИЧ" in [n.value for n in e.names]
    assert e.listing_date == "2022-03-10"  # written 10/03/2022 in the UK rows


def test_fca_sdn_deripaska_and_ssi_rosneft(fca: ParsedSource) -> None:
    by_id = _by_id(fca)
    d = by_id["us_ofac_sdn:24283"]
    assert d.primary_name == "DERIPASKA, Oleg Vladimirovich" and d.kind == PERSON
    assert [b.date for b in d.birth_dates] == ["1968-01-02"]
    assert d.programs == ["UKRAINE-EO13661", "UKRAINE-EO13662"]
    assert d.gender == "male"
    assert {c.code for c in d.countries if c.role == "citizenship"} == {"ru", "cy"}
    assert "5, Belgrave Square, Belgravia, London, SW1X 8PH, GB" in [a.full for a in d.addresses]

    r = by_id["us_ofac_ssi:17022"]
    assert r.primary_name == "OJSC ROSNEFT OIL COMPANY" and r.kind == ORGANIZATION
    assert "ROSNEFT" in [n.value for n in r.names]
    assert ("Tax ID No.", "7706107510", "ru") in [(i.scheme, i.value, i.country) for i in r.identifiers]
    # directives and "Secondary sanctions risk:" share the field but are not identifiers
    assert not any("Directive" in i.value or "Directive" in i.scheme for i in r.identifiers)


def test_fca_kinds_topics_and_year_ranges(fca: ParsedSource) -> None:
    by_id = _by_id(fca)
    el = [e for e in fca.entities if e.lists == ["us_bis_el"]]
    assert el and all(e.kind == ORGANIZATION and e.topics == ["export.control"] for e in el)
    dpl = [e for e in fca.entities if e.lists == ["us_bis_dpl"]]
    assert dpl and all(e.topics == ["export.control", "debarment"] for e in dpl)
    assert {e.kind for e in dpl} == {PERSON, ORGANIZATION}
    assert {e.lists[0] for e in fca.entities} == set(fca_combined.LIST_CODES.values())
    # "1951 to 1953" is spread over the year column: one birth date per year, raw text kept
    mumin = by_id["us_ofac_sdn:20439"]
    assert [(b.raw, b.date) for b in mumin.birth_dates] == [("1951 to 1953", y) for y in ("1951", "1952", "1953")]


# --- BIS Denied Persons List ------------------------------------------------------------------


def test_dpl_one_entity_per_listed_name(registries: Path) -> None:
    with (registries / DPL).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert len(rows) == 581
    names = {" ".join(r["Name"].split()).upper() for r in rows}
    parsed = bis_dpl.parse([registries / DPL])
    assert len(parsed.entities) == len(names) == 459
    by_name = {e.primary_name: e for e in parsed.entities}
    assert len(_by_id(parsed)) == 459

    wings = by_name["AL NASER WINGS AIRLINES"]
    assert wings.kind == ORGANIZATION and wings.topics == ["export.control", "debarment"]
    assert wings.lists == ["us_bis_dpl"]
    assert len(wings.addresses) == 4 and wings.listing_date == "2022-05-13"
    ash = by_name["I. ASH"]  # two orders (2002 and 2003) at three addresses
    assert ash.kind == PERSON and len(ash.addresses) == 3 and ash.listing_date == "2002-03-04"
    assert ash.notes and "68 F.R. 38290" in ash.notes
    assert [n.value for n in by_name["FUYI SUN"].names] == ["FUYI SUN", "FRANK SUN"]
    assert by_name["COTRICOM S.A."].kind == ORGANIZATION


# --- Consolidated Screening List --------------------------------------------------------------


def test_csl_counts_and_lists(registries: Path) -> None:
    with (registries / CSL).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 115
    keys = {(r["source"], r["entity_number"] or " ".join(r["name"].split()).upper()) for r in rows}
    parsed = csl.parse([registries / CSL])
    assert len(parsed.entities) == len(keys) == 110
    by_id = _by_id(parsed)
    assert parsed.source == "us_trade_csl"

    holdings = by_id["us_ofac_sdn:20264"]
    assert holdings.primary_name == "200G PSA HOLDINGS LLC" and holdings.programs == ["SDNTK"]
    assert [(i.scheme, i.value, i.country) for i in holdings.identifiers] == [("Tax ID No.", "80-0890696", "us")]
    migeotte = [e for e in parsed.entities if e.primary_name == "Gunther Migeotte"]
    assert len(migeotte) == 1 and len(migeotte[0].addresses) == 8  # five rows, eight addresses
    assert migeotte[0].topics == ["export.control"] and migeotte[0].listing_date == "2010-06-28"
    assert {e.lists[0] for e in parsed.entities} >= {"us_ofac_sdn", "us_bis_el", "us_bis_dpl", "us_ddtc_debarred"}


# --- FollowTheMoney ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zala(registries: Path) -> ParsedSource:
    return ftm.parse([registries / ZALA])


def test_ftm_zala_entities_and_source(registries: Path, zala: ParsedSource) -> None:
    lines = [json.loads(line) for line in (registries / ZALA).read_text(encoding="utf-8").splitlines() if line]
    parties = [o for o in lines if o["schema"] in ("Person", "Company", "Organization", "LegalEntity")]
    assert len(zala.entities) == len(parties) == 17
    assert zala.source == "os_zala_entities"  # the lines name many datasets
    assert ftm.parse([registries / T1]).source == "os_eu_fsf"  # every line says eu_fsf; namespaced


def test_ftm_every_ownership_edge_is_a_relation(shared_data: Path, zala: ParsedSource) -> None:
    with (shared_data / "ownership/opensanctions_zala_ownership_edges.csv").open(encoding="utf-8") as fh:
        edges = list(csv.DictReader(fh))
    assert len(edges) == len(zala.relations) == 21
    kinds = {"Ownership": REL_OWNERSHIP, "Directorship": REL_DIRECTORSHIP, "Family": REL_FAMILY}
    by_id = {r.relation_id: r for r in zala.relations}
    for edge in edges:
        rel = by_id[edge["edge_id"]]
        assert (rel.kind, rel.subject_id, rel.object_id) == (kinds[edge["schema"]], edge["owner_id"], edge["asset_id"])
        assert rel.percentage == (float(edge["percentage"]) if edge["percentage"] else None)
        assert rel.start_date == (edge["start_date"] or None) and rel.end_date == (edge["end_date"] or None)


def test_ftm_kalashnikov_owns_49_percent_of_llc_cst(zala: ParsedSource) -> None:
    owned = [r for r in zala.relations if (r.subject_id, r.object_id, r.kind) == (KALASHNIKOV, LLC_CST, REL_OWNERSHIP)]
    assert sorted((r.percentage, r.start_date) for r in owned if r.percentage is not None) == [(49.0, "2016-03-29")]
    names = {e.source_id: e.primary_name for e in zala.entities}
    assert names[KALASHNIKOV] == "JSC Kalashnikov Concern" and names[LLC_CST] == "LLC CST"


def test_ftm_people_keep_cyrillic_names_and_family(zala: ParsedSource) -> None:
    by_id = _by_id(zala)
    zakharov = by_id[ZAKHAROV]
    assert zakharov.kind == PERSON and zakharov.primary_name == "Alexander Vyacheslavovich ZAKHAROV"
    assert "Александр Вячеславович Захаров" in [n.value for n in zakharov.names]
    assert "sanction" in zakharov.topics and "EU-UKR" in zakharov.programs  # from the linked Sanction entities
    assert zakharov.listing_date is not None
    osetrova = by_id["NK-2Tbri3s6GgNtAwsSXh4qpL"]
    assert "Мария Александровна Захарова" in [n.value for n in osetrova.names if n.kind == NAME_FORMER]
    family = [r for r in zala.relations if r.kind == REL_FAMILY]
    assert (NIKITA, ZAKHAROV, "Family member of") in [(r.subject_id, r.object_id, r.role) for r in family]
    weak = [n for e in zala.entities for n in e.names if n.kind == NAME_WEAK]
    assert weak  # a Company's weakAlias


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("49", (49.0, None, None)),
        ("49%", (49.0, None, None)),
        ("0,5", (0.5, None, None)),
        ("25-50", (None, 25.0, 50.0)),
        ("75-100%", (None, 75.0, 100.0)),
        ("More than 50%", (None, 50.0, None)),
        ("less than 25%", (None, None, 25.0)),
        ("majority", (None, None, None)),
        ("", (None, None, None)),
    ],
)
def test_ftm_percentages(raw: str, expected: tuple[float | None, float | None, float | None]) -> None:
    assert ftm.parse_percentage(raw) == expected


def test_ftm_relations_keep_ends_missing_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "links.ftm.json"
    lines = [
        {"id": "a", "schema": "Person", "properties": {"name": ["A"]}, "datasets": ["x"]},
        {
            "id": "o1",
            "schema": "Ownership",
            "properties": {"owner": ["a"], "asset": ["elsewhere"], "percentage": ["25-50"]},
        },
        {"id": "u1", "schema": "UnknownLink", "properties": {"subject": ["a"], "object": ["b"], "role": ["partner"]}},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    parsed = ftm.parse([path])
    assert parsed.source == "os_links"  # the Ownership lines name no dataset
    own, link = parsed.relations
    assert (own.object_id, own.percentage_min, own.percentage_max) == ("elsewhere", 25.0, 50.0)
    assert (link.kind, link.object_id, link.role) == ("associate", "b", "partner")


# --- watchlist --------------------------------------------------------------------------------

HEADER = "id,name,aliases,kind,birth_date,nationality,country,topics,programs,listing_date,identifiers,notes"


def _watchlist(tmp_path: Path, *rows: str, header: str = HEADER, name: str = "Targets of Concern.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_watchlist_good_file(tmp_path: Path) -> None:
    path = _watchlist(
        tmp_path,
        "WL-1,Roman Abramovich,Роман Абрамович|Roman Abramovič,person,1966-10-24,ru|Israel,gb,"
        "role.oligarch|sanction,,2022-03,passport:CB982788|inn:77:01,Not on OFAC",
        "WL-2,Example Trading FZE,,Organization,,,ae,target.concern,PARTNER-17,,,",
        "WL-3,Someone,,,1970,,,,,,,",
    )
    assert watchlist.sniff(path, head(path))
    parsed = watchlist.parse([path])
    assert parsed.source == "watchlist_targets_of_concern"
    one, two, three = parsed.entities
    assert [n.value for n in one.names] == ["Roman Abramovich", "Роман Абрамович", "Roman Abramovič"]
    assert [(b.raw, b.date) for b in one.birth_dates] == [("1966-10-24", "1966-10-24")]
    assert [(c.code, c.role) for c in one.countries] == [("ru", "nationality"), ("il", "nationality"), ("gb", "other")]
    assert one.topics == ["role.oligarch", "sanction"] and one.listing_date == "2022-03"
    assert [(i.scheme, i.value) for i in one.identifiers] == [("passport", "CB982788"), ("inn", "77:01")]
    assert two.kind == ORGANIZATION and two.programs == ["PARTNER-17"]
    assert three.kind == "unknown" and three.birth_dates[0].date == "1970"


def test_watchlist_minimal_columns(tmp_path: Path) -> None:
    path = _watchlist(tmp_path, "Somebody,X1", header="name,id")  # any column order
    assert watchlist.sniff(path, head(path))
    assert [e.primary_name for e in watchlist.parse([path]).entities] == ["Somebody"]


def test_watchlist_doc_examples_parse(tmp_path: Path) -> None:
    doc = (ROOT / "docs" / "watchlist-format.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```csv\n(.*?)```", doc, re.DOTALL)
    assert len(blocks) == 2
    for n, block in enumerate(blocks):
        path = tmp_path / f"example{n}.csv"
        path.write_text(block, encoding="utf-8")
        assert watchlist.parse([path]).entities


@pytest.mark.parametrize(
    ("rows", "header", "where"),
    [
        (["WL-1,"], "id,name", "line 2, column name"),
        ([",Somebody"], "id,name", "line 2, column id"),
        (["WL-1,A,company"], "id,name,kind", "line 2, column kind"),
        (["WL-1,A,24/10/1966"], "id,name,birth_date", "line 2, column birth_date"),
        (["WL-1,A,1966-02-30"], "id,name,birth_date", "line 2, column birth_date"),
        (["WL-1,A,2022-3"], "id,name,listing_date", "line 2, column listing_date"),
        (["WL-1,A,CB982788"], "id,name,identifiers", "line 2, column identifiers"),
        (["WL-1,A", "WL-2,B", "WL-1,C"], "id,name", "line 4, column id"),
        (["WL-1,A,ru"], "id,name,nationalty", "line 1"),
        (["WL-1,A,B"], "id,name,name", "line 1"),
        (["A,ru"], "name,nationality", "line 1"),
        (["WL-1,A,extra"], "id,name", "line 2"),
    ],
)
def test_watchlist_errors_name_the_line(tmp_path: Path, rows: list[str], header: str, where: str) -> None:
    path = _watchlist(tmp_path, *rows, header=header)
    with pytest.raises(IngestError) as info:
        watchlist.parse([path])
    assert info.value.location == where
    assert str(path) in str(info.value)


# --- sniffing and broken files, all five formats ------------------------------------------------

MODULES = {"fca_combined": fca_combined, "bis_dpl": bis_dpl, "csl": csl, "ftm": ftm, "watchlist": watchlist}


def test_each_sniff_knows_only_its_own_format(registries: Path, tmp_path: Path) -> None:
    files = {
        "fca_combined": registries / FCA,
        "bis_dpl": registries / DPL,
        "csl": registries / CSL,
        "ftm": registries / ZALA,
        "watchlist": _watchlist(tmp_path, "WL-1,A,,,,,,,,,,"),
    }
    others = [registries / "ofac/sdn_2024-05-03.csv", registries / "un/UN_consolidated_2020-11-24.xml"]
    for fmt, module in MODULES.items():
        for other, path in files.items():
            assert module.sniff(path, head(path)) == (other == fmt), (fmt, path)
        for path in others:
            assert not module.sniff(path, head(path)), (fmt, path)


def _broken_cases(registries: Path) -> dict[str, tuple[str, ...]]:
    """For each format: a good header line and a good first record, taken from the real files."""
    fca_lines = (registries / FCA).read_text(encoding="utf-8").split("\n", 2)[:2]
    dpl_lines = (registries / DPL).read_text(encoding="utf-8").split("\n", 2)[:2]
    csl_lines = (registries / CSL).read_text(encoding="utf-8").split("\n", 2)[:2]
    return {
        "fca_combined": (fca_lines[0], fca_lines[1]),
        "bis_dpl": (dpl_lines[0], dpl_lines[1]),
        "csl": (csl_lines[0], csl_lines[1]),
        "watchlist": ("id,name,notes", "WL-1,Somebody,fine"),
    }


@pytest.mark.parametrize("fmt", ["fca_combined", "bis_dpl", "csl", "watchlist"])
@pytest.mark.parametrize("problem", ["columns", "utf8", "missing_column"])
def test_broken_tabular_files_raise_with_path_and_line(
    registries: Path, tmp_path: Path, fmt: str, problem: str
) -> None:
    header, record = _broken_cases(registries)[fmt]
    sep = "\t" if fmt == "bis_dpl" else ","
    if problem == "columns":
        data = f"{header}\n{record}\n{record}{sep}extra\n".encode()
        line = "line 3"
    elif problem == "utf8":
        data = f"{header}\n{record}\n".encode() + b"caf\xe9" + f"{sep}x\n".encode()
        line = "line 3"
    else:
        first = header.split(sep)[0]
        data = f"{header.replace(first, 'nonsense', 1)}\n{record}\n".encode()
        line = "line 1"
    path = tmp_path / f"broken.{fmt}"
    path.write_bytes(data)
    with pytest.raises(IngestError) as info:
        MODULES[fmt].parse([path], None)
    assert str(path) in str(info.value) and info.value.location and info.value.location.startswith(line)


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (b'{"id": "a", "schema": "Person", "properties": {"name": ["A"]}}\n{"id": "b", "schema": \n', "line 2"),
        (b'{"id": "a", "schema": "Person", "properties": {"name": ["A"]}}\n\n[1, 2]\n', "line 3"),
        (b'{"id": "a", "schema": "Person", "properties": {"name": ["A"]}}\n{"id": "b", "properties": {}}\n', "line 2"),
        (b'{"id": "a", "schema": "Person", "properties": {"name": "\xff"}}\n', "line 1"),
        (b'{"id": "a", "schema": "Person", "properties": {"name": [1]}}\n', "line 1"),
        (
            b'{"id": "a", "schema": "Person", "properties": {}}\n{"id": "a", "schema": "Person", "properties": {}}\n',
            "line 2",
        ),
    ],
)
def test_broken_ftm_raises_with_path_and_line(tmp_path: Path, content: bytes, line: str) -> None:
    path = tmp_path / "broken.ftm.json"
    path.write_bytes(content)
    with pytest.raises(IngestError) as info:
        ftm.parse([path])
    assert str(path) in str(info.value) and info.value.location == line
