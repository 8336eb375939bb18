"""`resolver ownership` on files an agency would ingest: the Evraz case from lists plus its own registry edges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from resolver.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Evraz plc on the UK list only; Abramovich on the EU list (the UK, EU and Canada designated him; one
    listing is enough here); Evraz North America in the agency's corporate-registry edges."""
    d = tmp_path_factory.mktemp("evraz")
    (d / "uk.csv").write_text("id,name,kind,topics\nEV-1,Evraz plc,organization,sanction\n", encoding="utf-8")
    (d / "eu.csv").write_text("id,name,kind,topics\nAB-1,Roman Abramovich,person,sanction\n", encoding="utf-8")
    (d / "registry_edges.csv").write_text(
        "owner_id,owner_name,owned_id,owned_name,owned_kind,kind,percentage,source,start_date\n"
        "@gb_hmt:EV-1,,ENA,Evraz North America,organization,ownership,100,annual report,2006-01-01\n"
        "@eu_fsf:AB-1,,@gb_hmt:EV-1,,,ownership,28.6,board statement 2022-03,2011-01-01\n",
        encoding="utf-8",
    )
    path = d / "registry.duckdb"
    for args in (
        [str(d / "uk.csv"), "--format", "watchlist", "--source", "gb_hmt"],
        [str(d / "eu.csv"), "--format", "watchlist", "--source", "eu_fsf"],
        [str(d / "registry_edges.csv")],
    ):
        result = runner.invoke(app, ["ingest", *args, "--store", str(path)])
        assert result.exit_code == 0, result.output
    return path


def test_evraz_north_america_under_each_rule(store: Path) -> None:
    result = runner.invoke(
        app, ["ownership", "Evraz North America", "--as-of", "2022-06-01", "--json", "--store", str(store)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    verdicts = {v["jurisdiction"]: v for v in data["verdicts"]}
    assert verdicts["UK"]["verdict"] == "BLOCKED_BY_OWNERSHIP" and verdicts["UK"]["counted_share"] == 100.0
    assert verdicts["EU"]["verdict"] == "MINORITY_EXPOSURE"
    assert verdicts["EU"]["counted_share"] == pytest.approx(28.6)
    assert verdicts["US_OFAC"]["verdict"] == "NONE"
    to_abramovich = [c for c in data["chains"] if c["listed_entity_id"] == "eu_fsf:AB-1"]
    (chain,) = to_abramovich
    assert [s["owner_name"] for s in chain["steps"]] == ["Evraz plc", "Roman Abramovich"]
    assert chain["steps"][1]["share"]["exact"] == 28.6 and chain["steps"][0]["source"] == "ownership_registry_edges"


def test_the_table_and_clear_errors(store: Path) -> None:
    result = runner.invoke(app, ["ownership", "ownership_registry_edges:ENA", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "BLOCKED_BY_OWNERSHIP" in result.stdout and "Roman Abramovich" in result.stdout
    bad_date = runner.invoke(app, ["ownership", "Evraz plc", "--as-of", "2022-13-01", "--store", str(store)])
    assert bad_date.exit_code == 1 and "not a date" in bad_date.output
    unknown = runner.invoke(app, ["ownership", "Nobody Known", "--store", str(store)])
    assert unknown.exit_code == 1 and "no entity named" in unknown.output
