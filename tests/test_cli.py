"""The command line as a user runs it: a real process, stdout for results, stderr for the rest."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import structlog

from resolver.matching.engine import Query
from resolver.settings import EMBEDDED_REGISTRY


def run(*args: str, store: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RESOLVER_STORE": str(store), "RESOLVER_LOG_FORMAT": "json"}
    return subprocess.run(
        [sys.executable, "-m", "resolver.cli", *args], capture_output=True, text=True, env=env, check=check
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "registry.duckdb"
    done = run("ingest", "--embedded", store=path)
    assert "snapshot 1 written" in done.stdout
    assert "us_ofac_sdn" in done.stdout and "14965" in done.stdout
    return path


def test_status_json_is_pure_and_byte_stable(store: Path) -> None:
    first = run("registry", "status", "--json", store=store)
    second = run("registry", "status", "--json", store=store)
    assert first.stdout == second.stdout
    status = json.loads(first.stdout)  # nothing but JSON on stdout
    assert status["snapshot_id"] == 1
    assert {s["source"]: s["entities"] for s in status["sources"]} == {"un_sc": 1003, "us_ofac_sdn": 14965}
    un = next(s for s in status["sources"] if s["source"] == "un_sc")
    assert un["entities_by_kind"] == {"organization": 273, "person": 730}
    assert all(len(f["sha256"]) == 64 for s in status["sources"] for f in s["files"])


def test_status_text_is_byte_stable(store: Path) -> None:
    assert run("registry", "status", store=store).stdout == run("registry", "status", store=store).stdout


def test_reingest_reports_no_change(store: Path) -> None:
    done = run("ingest", str(EMBEDDED_REGISTRY), store=store)
    assert "no change" in done.stdout


def test_bad_input_fails_cleanly(store: Path, tmp_path: Path) -> None:
    missing = run("ingest", str(tmp_path / "nope.csv"), store=store, check=False)
    assert missing.returncode == 1 and "no such file" in missing.stderr and "store is unchanged" in missing.stderr
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01 not a registry")
    unknown = run("ingest", str(junk), store=store, check=False)
    assert unknown.returncode == 1 and "unrecognised format" in unknown.stderr
    bad_format = run("ingest", "--format", "nope", str(junk), store=store, check=False)
    assert bad_format.returncode == 1 and "unknown format" in bad_format.stderr
    no_snapshot = run("registry", "diff", "1", "7", store=store, check=False)
    assert no_snapshot.returncode == 1 and "no snapshot 7" in no_snapshot.stderr
    assert run("registry", "status", "--json", store=store).stdout.count('"snapshot_id": 1') == 1


def test_entity_and_find(store: Path) -> None:
    found = run("registry", "find", "DERIPASKA", store=store).stdout
    assert "us_ofac_sdn:" in found
    entity_id = next(tok for tok in found.split() if tok.startswith("us_ofac_sdn:"))
    record = json.loads(run("registry", "entity", entity_id, store=store).stdout)
    assert record["entity_id"] == entity_id and record["names"]


def test_readers_see_the_old_snapshot_or_the_new_one_never_a_mix(tmp_path: Path, registries: Path) -> None:
    import shutil
    import time

    from resolver.registry.store import RegistryStore

    path = tmp_path / "registry.duckdb"
    run("ingest", "--embedded", store=path)
    shutil.copy(path, tmp_path / "copy.duckdb")  # the first run's store, untouched, for the expected view
    env = {**os.environ, "RESOLVER_STORE": str(path), "RESOLVER_LOG_FORMAT": "json"}
    writer = subprocess.Popen(
        [sys.executable, "-m", "resolver.cli", "ingest", str(registries / "combined")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    store = RegistryStore(path)
    seen: list[tuple[int | None, tuple[str, ...], int]] = []
    deadline = time.monotonic() + 120
    while writer.poll() is None and time.monotonic() < deadline:
        status = store.status()  # waits while the writer holds the file
        seen.append((status.snapshot_id, tuple(s.source for s in status.sources), status.entities))
    assert writer.wait(timeout=120) == 0
    status = store.status()
    seen.append((status.snapshot_id, tuple(s.source for s in status.sources), status.entities))
    old = (1, ("un_sc", "us_ofac_sdn"), 15968)
    new = (2, ("gb_fca_combined", "un_sc", "us_ofac_sdn"), 15968 + 20971)
    assert set(seen) <= {old, new}, set(seen) - {old, new}
    assert seen[-1] == new


def test_ingest_saves_the_new_snapshots_matcher_for_servers_to_map(store: Path) -> None:
    from resolver.model.artefact import load_artefact
    from resolver.registry.store import RegistryStore
    from resolver.service.snapshot import load_snapshot, saved_matchers_dir

    saved = [p for p in saved_matchers_dir(RegistryStore(store)).iterdir() if p.is_dir()]
    assert [p.name.split("-")[0] for p in saved] == ["s1"], "ingest saved snapshot 1's matcher"
    with structlog.testing.capture_logs() as logs:
        snapshot = load_snapshot(RegistryStore(store), load_artefact())
    assert [e["matcher"] for e in logs if e["event"] == "snapshot loaded"] == ["mapped"]
    assert snapshot.matcher.resolve(Query("Oleg DERIPASKA", "person"))[0], "the mapped matcher finds him"


def test_ingest_writes_the_snapshot_even_when_its_matcher_cannot_be_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from resolver import cli
    from resolver.model.artefact import load_artefact
    from resolver.registry.store import RegistryStore
    from resolver.service import snapshot as snapshot_module

    watchlist = tmp_path / "Targets.csv"
    watchlist.write_text("id,name,kind\nWL-1,Ivan Testovich Watchlistov,person\n", encoding="utf-8")

    def broken(*args: object, **kwargs: object) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(snapshot_module, "prepare_matcher", broken)
    store = tmp_path / "registry.duckdb"
    done = CliRunner().invoke(cli.app, ["ingest", str(watchlist), "--store", str(store)])
    assert done.exit_code == 0, done.output
    assert "snapshot 1 written" in done.output
    assert "matcher was not saved (disk full); servers will build it" in done.output
    # nothing lost: the snapshot is there, and a server builds the matcher it lacks
    monkeypatch.undo()
    with structlog.testing.capture_logs() as logs:
        served = snapshot_module.load_snapshot(RegistryStore(store), load_artefact())
    assert served.snapshot_id == 1
    assert [e["matcher"] for e in logs if e["event"] == "snapshot loaded"] == ["saved"]
    assert served.matcher.resolve(Query("Ivan Testovich Watchlistov", "person"))[0]


def test_a_failed_matcher_builder_process_is_reported_not_raised(tmp_path: Path) -> None:
    from resolver.service.builder import prepare_matcher_elsewhere

    with structlog.testing.capture_logs() as logs:
        ok = prepare_matcher_elsewhere(tmp_path / "no store here.duckdb")  # no snapshot: the builder fails
    assert ok is False
    assert [e["exitcode"] for e in logs if e["event"] == "the matcher builder failed"] == [1]
