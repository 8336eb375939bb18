"""UN, EU and UK HMT parsers against the real files in ../shared/data/registries.

Expected values were read from the files themselves (element text / CSV cells), not from the parsers.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from lxml import etree

from resolver.registry.errors import IngestError
from resolver.registry.parsers import eu_xml, head, uk_hmt, un_xml
from resolver.registry.records import (
    NAME_ALIAS,
    NAME_FORMER,
    NAME_PRIMARY,
    NAME_WEAK,
    ORGANIZATION,
    PERSON,
    BirthDate,
    Country,
    Entity,
    Identifier,
    Name,
    ParsedSource,
)

UN_2026 = "un/UN_consolidated_2026-02-27.xml"
UN_2020 = "un/UN_consolidated_2020-11-24.xml"
UN_SAMPLE = "format_samples/sample_unsc.xml"
EU_SAMPLE = "format_samples/sample_eu.xml"
HMT_SAMPLE = "format_samples/sample_hmt.csv"


def _by_id(parsed: ParsedSource) -> dict[str, Entity]:
    return {e.source_id: e for e in parsed.entities}


@pytest.fixture(scope="module")
def un_2026(registries: Path) -> ParsedSource:
    return un_xml.parse([registries / UN_2026])


@pytest.fixture(scope="module")
def un_2020(registries: Path) -> ParsedSource:
    return un_xml.parse([registries / UN_2020])


@pytest.fixture(scope="module")
def eu(registries: Path) -> ParsedSource:
    return eu_xml.parse([registries / EU_SAMPLE])


@pytest.fixture(scope="module")
def hmt(registries: Path) -> ParsedSource:
    return uk_hmt.parse([registries / HMT_SAMPLE])


# --- sniffing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "expected"),
    [(UN_2026, "un_xml"), (UN_2020, "un_xml"), (UN_SAMPLE, "un_xml"), (EU_SAMPLE, "eu_xml"), (HMT_SAMPLE, "uk_hmt")],
)
def test_each_file_is_claimed_by_exactly_its_own_parser(registries: Path, rel: str, expected: str) -> None:
    path = registries / rel
    claimed = [m.FORMAT for m in (un_xml, eu_xml, uk_hmt) if m.sniff(path, head(path))]
    assert claimed == [expected]


def test_sniffers_ignore_the_other_registry_files(registries: Path) -> None:
    others = [
        "format_samples/sample_ofac_consolidated.xml",
        "format_samples/sdn.xml",
        "combined/combined_us_uk_eu_2022-05-05.csv",
        "ofac/sdn_2024-05-03.csv",
        "bis/consolidated_screening_list_sample.csv",
    ]
    for rel in others:
        path = registries / rel
        assert not any(m.sniff(path, head(path)) for m in (un_xml, eu_xml, uk_hmt)), rel


# --- UN -------------------------------------------------------------------------------------


def test_un_2026_counts_and_header(un_2026: ParsedSource) -> None:
    assert (un_2026.source, un_2026.format, un_2026.publisher_date) == ("un_sc", "un_xml", "2026-02-27")
    assert Counter(e.kind for e in un_2026.entities) == {PERSON: 730, ORGANIZATION: 273}
    assert len(_by_id(un_2026)) == 1003  # source ids are unique


def test_un_2020_counts_and_header(un_2020: ParsedSource) -> None:
    assert un_2020.publisher_date == "2020-11-24"  # local date of 2020-11-24T20:23:07.617-05:00
    assert Counter(e.kind for e in un_2020.entities) == {PERSON: 713, ORGANIZATION: 305}
    assert len(_by_id(un_2020)) == 1018


def test_un_source_id_is_the_reference_number_which_survives_a_new_dataid(
    un_2020: ParsedSource, un_2026: ParsedSource
) -> None:
    # KPe.068 (Myohyang Shipping Co) has DATAID 6908682 in 2020 and 6908967 in 2026.
    old, new = _by_id(un_2020)["KPe.068"], _by_id(un_2026)["KPe.068"]
    assert old.primary_name == new.primary_name == "MYOHYANG SHIPPING CO"
    assert Identifier("UN DATAID", "6908682") in old.identifiers
    assert Identifier("UN DATAID", "6908967") in new.identifiers
    # "QDi.369 " (trailing space in 2020) is the same id as "QDi.369".
    assert "QDi.369" in _by_id(un_2020)
    assert "QDi.369" in _by_id(un_2026)


def test_un_names_keep_original_script(registries: Path, un_2026: ParsedSource) -> None:
    saddam = _by_id(un_2026)["IQi.001"]
    assert saddam.kind == PERSON
    assert saddam.names[0] == Name("SADDAM HUSSEIN AL-TIKRITI", NAME_PRIMARY)
    assert Name("صدام حسين التكريتي", NAME_ALIAS, lang="original script") in saddam.names
    assert Name("Abu Ali", NAME_WEAK, quality="low") in saddam.names
    # every non-empty NAME_ORIGINAL_SCRIPT in the file becomes a name
    text = (registries / UN_2026).read_text(encoding="utf-8")
    in_file = len(re.findall(r"<NAME_ORIGINAL_SCRIPT>\s*[^<\s][^<]*</NAME_ORIGINAL_SCRIPT>", text))
    parsed = sum(1 for e in un_2026.entities for n in e.names if n.lang == "original script")
    assert in_file == parsed == 378


def test_un_alias_qualities(un_2026: ParsedSource) -> None:
    ents = _by_id(un_2026)
    adf = ents["CDe.001"]
    assert adf.kind == ORGANIZATION
    assert Name("ADF/NALU", NAME_FORMER, quality="f.k.a.") in adf.names
    assert Name("Egyptian Al-Jihad", NAME_ALIAS, quality="a.k.a.") in ents["QDe.003"].names
    assert Name("FRANK KAKORERE", NAME_ALIAS, quality="good") in ents["CDi.002"].names
    kinds = Counter(n.kind for e in un_2026.entities for n in e.names)
    assert kinds[NAME_PRIMARY] == 1003
    assert kinds[NAME_WEAK] == 615


def test_un_empty_alias_elements_make_no_names(un_2026: ParsedSource) -> None:
    # CDi.001 has <INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS> only
    assert _by_id(un_2026)["CDi.001"].names == [Name("ERIC BADEGE", NAME_PRIMARY)]
    assert all(n.value.strip() for e in un_2026.entities for n in e.names)


def test_un_person_details(un_2026: ParsedSource) -> None:
    ents = _by_id(un_2026)
    saddam = ents["IQi.001"]
    assert saddam.birth_dates == [BirthDate("1937-04-28", "1937-04-28")]
    assert saddam.birth_places == ["al-Awja, near Tikrit, Iraq"]
    assert Country("iq", "nationality", "Iraq") in saddam.countries
    assert (saddam.programs, saddam.listing_date, saddam.topics) == (["Iraq"], "2003-06-27", ["sanction"])

    assert ents["CDi.030"].birth_dates == [BirthDate("1973-1974", None)]  # BETWEEN 1973 and 1974
    assert BirthDate("approximately 1966", "1966") in ents["CDi.014"].birth_dates
    assert ents["CDi.001"].birth_dates == [BirthDate("1971", "1971")]  # EXACT with YEAR only

    assert Identifier("Passport", "OB 0243318", "cd") in ents["CDi.021"].identifiers
    assert ents["CDi.002"].gender == "male"
    badege = ents["CDi.001"]
    assert [a.full for a in badege.addresses] == ["Rwanda (as of early 2016)"]
    assert badege.notes is not None
    assert badege.notes.startswith("He fled to Rwanda in March 2013")


def test_un_every_numbered_document_lands(registries: Path, un_2026: ParsedSource) -> None:
    root = etree.parse(str(registries / UN_2026)).getroot()
    numbered = sum(1 for d in root.iter("INDIVIDUAL_DOCUMENT") if (d.findtext("NUMBER") or "").strip())
    parsed = sum(1 for e in un_2026.entities for i in e.identifiers if not i.scheme.startswith("UN "))
    assert parsed == numbered == 454


# --- EU -------------------------------------------------------------------------------------


def test_eu_sample_entities(registries: Path, eu: ParsedSource) -> None:
    root = etree.parse(str(registries / EU_SAMPLE)).getroot()
    elements = root.findall(f"{{{eu_xml.NAMESPACE}}}sanctionEntity")
    logical_ids = {el.get("logicalId") for el in elements}
    # 7 sanctionEntity elements, but the sample repeats logicalId 5468: one entity per id.
    assert (len(elements), len(logical_ids)) == (7, 6)
    assert {e.source_id for e in eu.entities} == logical_ids
    assert (eu.source, eu.format, eu.publisher_date) == ("eu_fsf", "eu_xml", "2020-04-15")
    assert all(e.kind == PERSON for e in eu.entities)
    merged = _by_id(eu)["5468"]
    assert [n.value for n in merged.names] == ["Sok-hwa Hwang", "TestOneWord"]


def test_eu_person(eu: ParsedSource) -> None:
    abid = _by_id(eu)["5295"]
    assert [n.value for n in abid.names] == [
        "Abid Hammadou",
        "Abdelhamid Abou Zeid",
        "Youcef Adel",
        "Amor Mohamed Ghedeir",
        "Abou Abdellah",
    ]
    assert abid.names[0].kind == NAME_PRIMARY
    assert all(n.kind == NAME_ALIAS for n in abid.names[1:])
    assert abid.birth_dates == [BirthDate("1965-12-12", "1965-12-12"), BirthDate("circa 1958", "1958")]
    assert Country("dz", "citizenship", "ALGERIA") in abid.countries
    assert "Touggourt, Wilaya (province) of Ouargla, ALGERIA" in abid.birth_places
    assert Identifier("EU reference", "EU.2026.82") in abid.identifiers
    assert (abid.programs, abid.listing_date) == (["TAQA"], "2008-07-03")
    assert abid.notes is not None
    assert "Mother's name is Benarouba Bachira" in abid.notes


def test_eu_identifications_and_addresses(eu: ParsedSource) -> None:
    ents = _by_id(eu)
    aouadi = ents["927"]
    assert Identifier("National passport", "L191609", "tn") in aouadi.identifiers
    assert Identifier("National identification card", "04643632", "tn") in aouadi.identifiers
    assert [(a.street, a.city, a.country) for a in aouadi.addresses] == [("23 50th Street, Zehrouni", "Tunis", "tn")]
    assert aouadi.notes == "Italian Fiscal Code: DAOMMD74T11Z352Z"  # an address remark
    # countryIso2Code "00" (UNKNOWN) gives no country
    assert Identifier("National passport", "488555", None) in ents["191"].identifiers
    assert ents["191"].gender == "male"


# --- UK HMT ---------------------------------------------------------------------------------


def test_hmt_groups(registries: Path, hmt: ParsedSource) -> None:
    with (registries / HMT_SAMPLE).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    header = rows[0]
    group_ids = {r[header.index("Group ID")] for r in rows[1:]}
    assert len(hmt.entities) == len(group_ids) == 6
    assert {e.source_id for e in hmt.entities} == group_ids
    assert (hmt.source, hmt.format, hmt.publisher_date) == ("gb_hmt", "uk_hmt", "2020-04-27")


def test_hmt_non_latin_names_and_dob(hmt: ParsedSource) -> None:
    ents = _by_id(hmt)
    hojati = ents["9053"]
    assert hojati.names == [Name("Mohsen HOJATI", NAME_PRIMARY), Name("محسن حجتی", NAME_ALIAS, lang="Persian")]
    assert hojati.birth_dates == [BirthDate("28/09/1955", "1955-09-28")]
    assert (hojati.programs, hojati.listing_date) == (["Iran (nuclear proliferation)"], "2007-03-24")
    assert Identifier("UN reference", "IRi.018") in hojati.identifiers
    assert Name("سعید حافظ محمد", NAME_ALIAS, lang="Arabic") in ents["9215"].names
    assert Name("Игорь Венедиктович ПЛОТНИЦКИЙ", NAME_ALIAS, lang="russian") in ents["13017"].names


def test_hmt_prime_alias_first_and_duplicates_removed(hmt: ParsedSource) -> None:
    so = _by_id(hmt)["11039"]
    # the AKA rows come first in the file; the Prime Alias still leads
    assert so.names == [Name("Sang-kuk SO", NAME_PRIMARY), Name("Sang Kuk SO", NAME_ALIAS)]
    # 14 rows, 7 distinct years of birth, "00/00/yyyy" read as a year
    assert [b.date for b in so.birth_dates] == ["1936", "1937", "1938", "1932", "1933", "1934", "1935"]
    assert _by_id(hmt)["13063"].birth_dates == [
        BirthDate("05/07/1983", "1983-07-05"),
        BirthDate("10/00/1983", "1983"),
        BirthDate("00/04/1984", "1984-04"),
    ]


def test_hmt_ids_countries_address(hmt: ParsedSource) -> None:
    saeed = _by_id(hmt)["9215"]
    assert Identifier("National ID", "3520025509842-7 (Pakistani)") in saeed.identifiers
    assert Identifier("UK sanctions list reference", "AQD0183") in saeed.identifiers
    assert {(c.code, c.role) for c in saeed.countries} == {("pk", "birth"), ("pk", "nationality"), ("pk", "address")}
    (address,) = saeed.addresses
    assert (address.postal_code, address.country) == ("123321", "pk")
    assert address.full.startswith("House No 116E, Mohalla Johar, Lahore")
    assert saeed.notes is not None
    assert saeed.notes.startswith("Position: Leader of Lashkar-e-Tayyiba")


def test_hmt_without_last_updated_line(registries: Path, tmp_path: Path, hmt: ParsedSource) -> None:
    lines = (registries / HMT_SAMPLE).read_bytes().split(b"\n", 1)
    headless = tmp_path / "hmt_no_last_updated.csv"
    headless.write_bytes(lines[1])
    parsed = uk_hmt.parse([headless])
    assert parsed.publisher_date is None
    assert parsed.entities == hmt.entities
    assert uk_hmt.sniff(headless, head(headless))


# --- broken files ---------------------------------------------------------------------------


def _assert_rejected(module: ModuleType, path: Path) -> IngestError:
    with pytest.raises(IngestError) as info:
        module.parse([path])
    err = info.value
    assert err.path == str(path)
    assert err.location is not None
    assert re.match(r"line \d+", err.location), err.location
    assert str(path) in str(err)
    return err


@pytest.mark.parametrize(("module", "rel"), [(un_xml, UN_SAMPLE), (eu_xml, EU_SAMPLE), (uk_hmt, HMT_SAMPLE)])
def test_truncated_file_is_rejected(registries: Path, tmp_path: Path, module: ModuleType, rel: str) -> None:
    data = (registries / rel).read_bytes()
    broken = tmp_path / Path(rel).name
    broken.write_bytes(data[: len(data) // 2])
    _assert_rejected(module, broken)


@pytest.mark.parametrize(("module", "rel"), [(un_xml, UN_SAMPLE), (eu_xml, EU_SAMPLE), (uk_hmt, HMT_SAMPLE)])
def test_invalid_utf8_is_rejected(registries: Path, tmp_path: Path, module: ModuleType, rel: str) -> None:
    lines = (registries / rel).read_bytes().split(b"\n")
    lines[5] += b"\xff"
    broken = tmp_path / Path(rel).name
    broken.write_bytes(b"\n".join(lines))
    assert _assert_rejected(module, broken).location == "line 6"


def test_hmt_wrong_columns_are_rejected(registries: Path, tmp_path: Path) -> None:
    lines = (registries / HMT_SAMPLE).read_text(encoding="utf-8").split("\n")
    extra = tmp_path / "extra_column.csv"
    extra.write_text("\n".join([*lines[:4], lines[4] + ",surplus", *lines[5:]]), encoding="utf-8")
    assert "expected 36 columns" in str(_assert_rejected(uk_hmt, extra))
    renamed = tmp_path / "renamed_column.csv"
    renamed.write_text("\n".join([lines[0], lines[1].replace("Group ID", "Group"), *lines[2:]]), encoding="utf-8")
    err = _assert_rejected(uk_hmt, renamed)
    assert (err.location, err.problem) == ("line 2", "missing columns: Group ID")


def test_xml_of_the_other_format_is_rejected(registries: Path) -> None:
    assert "CONSOLIDATED_LIST" in str(_assert_rejected(un_xml, registries / EU_SAMPLE))
    assert "export" in str(_assert_rejected(eu_xml, registries / UN_SAMPLE))
