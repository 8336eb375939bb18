"""The registry store on real lists: counts, provenance, snapshots, diffs, atomicity."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from resolver.registry.errors import IngestError
from resolver.registry.ingest import parse_all
from resolver.registry.store import RegistryStore, StoreError
from resolver.settings import EMBEDDED_REGISTRY


def _ingest(store: RegistryStore, *paths: Path, fmt: str | None = None) -> int | None:
    return store.ingest(parse_all(list(paths), format_name=fmt)).snapshot_id


@pytest.fixture(scope="module")
def embedded_store(tmp_path_factory: pytest.TempPathFactory) -> RegistryStore:
    store = RegistryStore(tmp_path_factory.mktemp("embedded") / "registry.duckdb")
    assert _ingest(store, EMBEDDED_REGISTRY) == 1
    return store


def test_embedded_registry_counts_match_the_files(embedded_store: RegistryStore) -> None:
    status = embedded_store.status()
    by_source = {s.source: s for s in status.sources}
    assert set(by_source) == {"us_ofac_sdn", "un_sc"}
    assert by_source["us_ofac_sdn"].entities == 14965
    assert by_source["un_sc"].entities_by_kind == {"organization": 273, "person": 730}
    sdn_files = {f["name"] for f in by_source["us_ofac_sdn"].files}
    assert sdn_files == {"sdn_2024-05-03.csv.gz", "alt_2024-01-08.csv.gz", "add_2024-01-08.csv.gz"}
    assert by_source["un_sc"].publisher_date == "2026-02-27"
    assert status.names > status.entities  # aliases are names too


def test_embedded_digest_is_the_digest_of_the_original_files(embedded_store: RegistryStore, registries: Path) -> None:
    # The package ships gzipped copies; the store hashes content, so both name the same data.
    files = {f["name"]: f["sha256"] for s in embedded_store.status().sources for f in s.files}
    original = registries / "un" / "UN_consolidated_2026-02-27.xml"
    assert files["UN_consolidated_2026-02-27.xml.gz"] == hashlib.sha256(original.read_bytes()).hexdigest()


def test_reingesting_identical_files_writes_no_snapshot(embedded_store: RegistryStore) -> None:
    result = embedded_store.ingest(parse_all([EMBEDDED_REGISTRY]))
    assert result.snapshot_id is None
    assert sorted(result.unchanged) == ["un_sc", "us_ofac_sdn"]
    assert embedded_store.status().snapshot_id == 1


def test_ofac_linked_to_relations_resolve_to_entity_ids(embedded_store: RegistryStore) -> None:
    with embedded_store.connect(read_only=True) as con:
        total, resolved, dangling = con.execute(
            """
            SELECT count(*), count(r.object_id),
                   count(r.object_id) FILTER (WHERE e.entity_id IS NULL)
            FROM relations r LEFT JOIN entities e ON e.entity_id = r.object_id AND e.version_id = r.version_id
            WHERE r.kind = 'linked_to'
            """
        ).fetchone()  # type: ignore[misc]
    assert total > 5000  # the 2024 SDN states about 6,375 Linked To relations
    assert resolved / total > 0.9
    assert dangling == 0  # every resolved id is an entity of the same version


def test_snapshot_diff_names_the_2022_russia_designations(tmp_path: Path, registries: Path) -> None:
    store = RegistryStore(tmp_path / "r.duckdb")
    old = _ingest(store, registries / "ofac" / "sdn_2022-02-24.csv")
    new = _ingest(
        store,
        registries / "ofac" / "sdn_2024-05-03.csv",
        registries / "ofac" / "alt_2024-01-08.csv",
        registries / "ofac" / "add_2024-01-08.csv",
    )
    assert (old, new) == (1, 2)
    diff = store.diff(1, 2)
    added = {c.primary_name for c in diff.added}
    # Designated after 24 Feb 2022 (EO 14024 waves): absent from the 2022 file, present in 2024.
    for name in ("USMANOV, Alisher Burhanovich", "PESKOV, Dmitriy Sergeevich"):
        assert name in added
    with store.connect(read_only=True) as con:
        n_old, n_new = (
            con.execute(
                "SELECT count(*) FROM entities JOIN snapshot_sources USING (version_id) WHERE snapshot_id = ?", [s]
            ).fetchone()[0]  # type: ignore[index]
            for s in (1, 2)
        )
    assert len(diff.added) - len(diff.removed) == n_new - n_old
    assert diff.changed and all(c.fields for c in diff.changed)
    # the 2022 file had no alt/add files beside it: many entries gained names and addresses
    assert any("addresses" in c.fields for c in diff.changed)


def test_un_2020_to_2026_diff_is_a_real_delta(tmp_path: Path, registries: Path) -> None:
    store = RegistryStore(tmp_path / "r.duckdb")
    _ingest(store, registries / "un" / "UN_consolidated_2020-11-24.xml")
    _ingest(store, registries / "un" / "UN_consolidated_2026-02-27.xml")
    diff = store.diff(1, 2)
    assert diff.added and diff.removed and diff.changed
    assert 1018 + len(diff.added) - len(diff.removed) == 1003  # 713+305 then, 730+273 now


def test_ingesting_one_source_keeps_the_others(embedded_store: RegistryStore, tmp_path: Path) -> None:
    store = RegistryStore(tmp_path / "r.duckdb")
    _ingest(store, EMBEDDED_REGISTRY)
    before = {s.source: s.version_id for s in store.status().sources}
    snapshot = store.ingest(parse_all([EMBEDDED_REGISTRY / "UN_consolidated_2026-02-27.xml.gz"], source="un_other"))
    after = {s.source: s.version_id for s in store.status().sources}
    assert snapshot.snapshot_id == 2
    assert after == {**before, "un_other": after["un_other"]}


def test_unknown_snapshot_is_a_clear_error(embedded_store: RegistryStore) -> None:
    with pytest.raises(StoreError, match="no snapshot 99"):
        embedded_store.diff(1, 99)
    with pytest.raises(StoreError, match="no entity"):
        embedded_store.entity("us_ofac_sdn:does-not-exist")


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="run `resolver ingest` first"):
        RegistryStore(tmp_path / "nothing.duckdb").status()


# --- atomicity: a broken file anywhere leaves the store exactly as it was ---------------------


def _truncate(src: Path, dst: Path) -> None:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])


def _bad_utf8(src: Path, dst: Path) -> None:
    lines = src.read_bytes().split(b"\n")
    lines[min(3, len(lines) - 1)] += b"\xff\xfe caf\xe9"
    dst.write_bytes(b"\n".join(lines))


def _drop_column(src: Path, dst: Path) -> None:
    lines = src.read_bytes().split(b"\n")
    cut = min(3, len(lines) - 1)
    sep = b"\t" if b"\t" in lines[cut] else b","
    lines[cut] = sep.join(lines[cut].split(sep)[:2])
    dst.write_bytes(b"\n".join(lines))


def _bad_kind(src: Path, dst: Path) -> None:
    dst.write_text("id,name,kind\nw1,Ivan Petrov,person\nw2,Petrov Holdings,company\n", encoding="utf-8")


def _bad_json(src: Path, dst: Path) -> None:
    lines = src.read_bytes().split(b"\n")
    lines[2] = lines[2][: len(lines[2]) // 2]
    dst.write_bytes(b"\n".join(lines))


BROKEN = [
    ("ofac_csv", "ofac/sdn_2024-05-03.csv", _drop_column),
    ("ofac_csv", "ofac/sdn_2024-05-03.csv", _bad_utf8),
    ("ofac_xml", "format_samples/sdn.xml", _truncate),
    ("un_xml", "un/UN_consolidated_2026-02-27.xml", _truncate),
    ("eu_xml", "format_samples/sample_eu.xml", _truncate),
    ("uk_hmt", "format_samples/sample_hmt.csv", _drop_column),
    ("uk_hmt", "format_samples/sample_hmt.csv", _bad_utf8),
    ("fca_combined", "combined/combined_us_uk_eu_2022-05-05.csv", _drop_column),
    ("bis_dpl", "bis/denied_persons_2022-09.txt", _drop_column),
    ("csl", "bis/consolidated_screening_list_sample.csv", _drop_column),
    ("ftm", "opensanctions/zala_entities.ftm.json", _bad_json),
    ("ftm", "opensanctions/zala_entities.ftm.json", _bad_utf8),
    ("watchlist", "format_samples/sample_hmt.csv", _bad_kind),  # the source file is not read: made here
]


def _fingerprint(store: RegistryStore) -> tuple[str, str]:
    return hashlib.sha256(store.path.read_bytes()).hexdigest(), json.dumps(
        [s.__dict__ for s in store.status().sources], default=str, sort_keys=True
    )


@pytest.mark.parametrize(("fmt", "rel", "breaker"), BROKEN, ids=[f"{f}-{b.__name__}" for f, _, b in BROKEN])
def test_broken_file_fails_naming_file_and_line_and_leaves_store_unchanged(
    fmt: str, rel: str, breaker: object, registries: Path, embedded_store: RegistryStore, tmp_path: Path
) -> None:
    store = RegistryStore(tmp_path / "r.duckdb")
    store.path.write_bytes(embedded_store.path.read_bytes())
    before = _fingerprint(store)
    src = registries / rel
    bad = tmp_path / src.name
    breaker(src, bad)  # type: ignore[operator]
    with pytest.raises(IngestError) as info:
        # the broken file rides along with a good one: all or nothing
        _ingest(store, registries / "bis" / "consolidated_screening_list_sample.csv", bad, fmt=None)
    message = str(info.value)
    assert str(bad) in message
    assert "line" in message
    assert _fingerprint(store) == before


def test_failure_while_writing_rolls_back(
    embedded_store: RegistryStore, registries: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import resolver.registry.store as store_module

    store = RegistryStore(tmp_path / "r.duckdb")
    store.path.write_bytes(embedded_store.path.read_bytes())
    before = _fingerprint(store)[1]
    real_arrow = store_module._arrow

    def failing_arrow(table: str, rows: list[tuple[object, ...]], version_id: int) -> object:
        if table == "relations":  # entities and names are already written by now
            raise OSError("disk full (simulated)")
        return real_arrow(table, rows, version_id)

    monkeypatch.setattr(store_module, "_arrow", failing_arrow)
    with pytest.raises(OSError, match="simulated"):
        _ingest(store, registries / "opensanctions" / "zala_entities.ftm.json")
    monkeypatch.undo()
    assert _fingerprint(store)[1] == before
    with store.connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM source_versions").fetchone() == (2,)
        assert con.execute("SELECT count(*) FROM entities WHERE source NOT IN ('us_ofac_sdn', 'un_sc')").fetchone() == (
            0,
        )
