"""The audit log: durable appends, exactly-once folding, several processes, crashes, and `resolver audit`."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from resolver.service.audit import _ZEROED_AHEAD, DB_NAME, AuditLog, Decision, Match, default_audit_dir
from resolver.service.audit_cli import app as audit_app

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def decision(request_id: str, *, seconds: float = 0, caller: str = "bank-a", entity: str = "NK-1") -> Decision:
    return Decision(
        request_id=request_id,
        at=T0 + timedelta(seconds=seconds),
        caller=caller,
        method="ResolveEntity",
        party={"name": "Иван [Ivanov]", "kind": "person", "birth_date": [1970, 1, 2], "aliases": ["I. Ivanov"]},
        snapshot_id=3,
        snapshot_digest="db48ec63f03c",
        model_version="fs-1f59ce68f08e",
        threshold_match_weight=-1.68336,
        matches=[Match(entity, 3.5, 0.92), ("NK-2", -1.0, 0.33)],
        status="OK",
        latency_ms=0.8,
    )


def ids(rows: list[dict[str, object]]) -> list[object]:
    return [r["request_id"] for r in rows]


def db_ids(directory: Path) -> list[str]:
    with duckdb.connect(str(directory / DB_NAME), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT request_id FROM decisions ORDER BY request_id").fetchall()]


def journals(directory: Path) -> list[Path]:
    return sorted(directory.glob("journal-*.jsonl"))


# --- in one process -----------------------------------------------------------------------------


def test_append_is_visible_at_once_with_every_field(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path)
    for i in range(3):
        audit.append(decision(f"r{i}", seconds=i))
    rows = audit.query()
    assert ids(rows) == ["r2", "r1", "r0"]  # newest first
    assert rows[0] == {
        "request_id": "r2",
        "at": T0 + timedelta(seconds=2),
        "caller": "bank-a",
        "method": "ResolveEntity",
        "party": {"name": "Иван [Ivanov]", "kind": "person", "birth_date": [1970, 1, 2], "aliases": ["I. Ivanov"]},
        "snapshot_id": 3,
        "snapshot_digest": "db48ec63f03c",
        "model_version": "fs-1f59ce68f08e",
        "threshold_match_weight": -1.68336,
        "matches": [
            {"entity_id": "NK-1", "match_weight": 3.5, "match_probability": 0.92},
            {"entity_id": "NK-2", "match_weight": -1.0, "match_probability": 0.33},
        ],
        "status": "OK",
        "latency_ms": 0.8,
    }
    audit.close()


def test_fold_moves_each_record_exactly_once(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path)
    for i in range(5):
        audit.append(decision(f"a{i}", seconds=i))
    before = audit.query()
    assert audit.fold() == 5
    assert audit.query() == before  # same rows, now from the database
    assert db_ids(tmp_path) == [f"a{i}" for i in range(5)]
    assert audit.fold() == 0

    for i in range(3):
        audit.append(decision(f"b{i}", seconds=10 + i))
    assert ids(audit.query()) == ["b2", "b1", "b0", "a4", "a3", "a2", "a1", "a0"]  # database + journal tail
    assert audit.fold() == 3
    assert ids(audit.query()) == ["b2", "b1", "b0", "a4", "a3", "a2", "a1", "a0"]
    assert len(journals(tmp_path)) == 1  # still being written: kept

    audit.close()
    assert journals(tmp_path) == []  # closed and folded: deleted
    assert sorted(db_ids(tmp_path)) == sorted(f"{p}{i}" for p, n in (("a", 5), ("b", 3)) for i in range(n))
    assert len(AuditLog(tmp_path).query(limit=100)) == 8


def test_folded_decisions_are_stored_in_small_row_groups(tmp_path: Path) -> None:
    # DuckDB rewrites a table's last row group when a fold's connection closes: small row groups keep that bounded
    audit = AuditLog(tmp_path)
    audit.append(*(decision(f"r{i}") for i in range(20_000)))
    assert audit.fold() == 20_000
    audit.close()
    with duckdb.connect(str(tmp_path / DB_NAME), read_only=True) as con:
        row = con.execute("SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('decisions')").fetchone()
    assert row == (2,)  # 16,384 rows, then 3,616 (DuckDB's default would have made one)


def test_fold_keeps_every_field_of_unusual_decisions(tmp_path: Path) -> None:
    # no match, an infinite weight, a party with nested values and quotes: the database returns what the journal did
    audit = AuditLog(tmp_path)
    plain = decision("plain")
    odd = Decision(
        request_id="odd", at=T0.astimezone(timezone(timedelta(hours=-5))), caller="bank-b", method="GetEntity",
        party={"name": 'O\'Brien "Ltd"', "identifiers": [{"scheme": "IMO", "value": "9321483"}], "none": None},
        snapshot_id=2**40, snapshot_digest="", model_version="fs-x", threshold_match_weight=float("-inf"),
        matches=[], status="INVALID_ARGUMENT", latency_ms=0.0,
    )  # fmt: skip
    audit.append(plain, odd)
    before = audit.query()
    assert audit.fold() == 2
    assert audit.query() == before
    audit.close()


FOLD_WITHOUT_PYARROW = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tests.service.test_audit import decision
    from resolver.service.audit import AuditLog

    audit = AuditLog(Path(sys.argv[1]))
    audit.append(*(decision(f"r{i}") for i in range(10)))
    assert audit.fold() == 10
    audit.close()
    print("pyarrow" in sys.modules)
    """
)


def test_folding_does_not_load_pyarrow(tmp_path: Path) -> None:
    # The folding process runs beside the server for its whole life: pyarrow would add ~50 MiB to it
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", FOLD_WITHOUT_PYARROW, str(tmp_path)], cwd=root, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False"]
    assert db_ids(tmp_path) == sorted(f"r{i}" for i in range(10))


def test_query_filters_on_database_and_journal_alike(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path)
    audit.append(decision("old-a", seconds=0, caller="bank-a", entity="NK-7"))
    audit.append(decision("old-b", seconds=60, caller="bank-b"))
    audit.fold()
    audit.append(decision("new-a", seconds=120, caller="bank-a"))
    audit.append(decision("new-b", seconds=180, caller="bank-b", entity="NK-7"))

    assert ids(audit.query(caller="bank-a")) == ["new-a", "old-a"]
    assert ids(audit.query(entity_id="NK-7")) == ["new-b", "old-a"]
    assert ids(audit.query(entity_id="NK-2")) == ["new-b", "new-a", "old-b", "old-a"]
    assert ids(audit.query(request_id="old-b")) == ["old-b"]
    assert ids(audit.query(since=T0 + timedelta(seconds=60), until=T0 + timedelta(seconds=180))) == ["new-a", "old-b"]
    assert ids(audit.query(since=(T0 + timedelta(seconds=60)).replace(tzinfo=None))) == ["new-b", "new-a", "old-b"]
    assert ids(audit.query(limit=3)) == ["new-b", "new-a", "old-b"]
    assert audit.query(caller="nobody") == []
    audit.close()


def test_decision_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Decision("r", datetime(2026, 1, 1), "c", "ResolveEntity", {}, 1, "d", "m", 0.0, [], "OK", 1.0)
    paris = T0.astimezone(timezone(timedelta(hours=1)))
    assert Decision("r", paris, "c", "m", {}, 1, "d", "m", 0.0, [], "OK", 1.0).at == T0
    assert Decision("r", paris, "c", "m", {}, 1, "d", "m", 0.0, [], "OK", 1.0).at.tzinfo == UTC


def test_default_audit_dir_is_beside_the_store(tmp_path: Path) -> None:
    assert default_audit_dir(tmp_path / "registry.duckdb") == tmp_path / "audit"


def test_threads_lose_nothing_and_duplicate_nothing(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path)
    audit.start_folding(interval_s=0.01)  # folds race with the appends
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(60):
                audit.append(decision(f"t{t}-{i}", seconds=i))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    visible_meanwhile = len(audit.query(limit=10_000))
    for thread in threads:
        thread.join()
    assert not errors
    assert 0 <= visible_meanwhile <= 480
    expected = sorted(f"t{t}-{i}" for t in range(8) for i in range(60))
    assert sorted(ids(audit.query(limit=10_000))) == expected
    assert audit.syncs <= 480
    audit.close()
    assert db_ids(tmp_path) == expected
    assert journals(tmp_path) == []


# --- several processes ------------------------------------------------------------------------------


def _append_in_child(directory: str, prefix: str, count: int) -> None:
    audit = AuditLog(Path(directory))
    for i in range(count):
        audit.append(decision(f"{prefix}{i}", seconds=i))
    audit.close()


def _fold_in_child(directory: str, rounds: int) -> None:
    audit = AuditLog(Path(directory))
    for _ in range(rounds):
        audit.fold()


def test_a_second_process_appends_to_the_same_directory(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path)
    audit.append(decision("parent-0"))
    child = multiprocessing.get_context("spawn").Process(target=_append_in_child, args=(str(tmp_path), "child-", 20))
    child.start()
    for i in range(1, 20):
        audit.append(decision(f"parent-{i}", seconds=i))
    child.join()
    assert child.exitcode == 0
    expected = sorted([f"parent-{i}" for i in range(20)] + [f"child-{i}" for i in range(20)])
    assert sorted(ids(audit.query(limit=1000))) == expected
    audit.close()
    assert db_ids(tmp_path) == expected
    assert journals(tmp_path) == []


def test_folds_from_two_processes_at_once_duplicate_nothing(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path)
    for i in range(100):
        audit.append(decision(f"x{i:03}", seconds=i))
    ctx = multiprocessing.get_context("spawn")
    folders = [ctx.Process(target=_fold_in_child, args=(str(tmp_path), 20)) for _ in range(2)]
    for p in folders:
        p.start()
    for i in range(100, 200):  # appends land while the two children fold
        audit.append(decision(f"x{i:03}", seconds=i))
    for p in folders:
        p.join()
        assert p.exitcode == 0
    audit.close()
    assert db_ids(tmp_path) == [f"x{i:03}" for i in range(200)]
    assert sorted(ids(audit.query(limit=1000))) == [f"x{i:03}" for i in range(200)]


CRASHING_WRITER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from tests.service.test_audit import decision
    from resolver.service.audit import AuditLog

    audit = AuditLog(Path(sys.argv[1]))
    for i in range(int(sys.argv[2])):
        audit.append(decision(f"crash-{i}", seconds=i))
    os._exit(1)  # no close, no flush, no fold: only what append made durable remains
    """
)


def test_a_crash_loses_no_acknowledged_decision(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(tmp_path), "50"], cwd=root, check=False)
    assert done.returncode == 1
    (journal,) = journals(tmp_path)
    data = journal.read_bytes()
    assert data.count(b"\n") == 50 and data.endswith(b"\0")  # zeros written ahead, left by the crash
    audit = AuditLog(tmp_path)
    expected = sorted(f"crash-{i}" for i in range(50))
    assert sorted(ids(audit.query(limit=1000))) == expected
    assert audit.fold() == 50
    assert journals(tmp_path) == []  # its writer is gone and it is folded
    assert sorted(ids(audit.query(limit=1000))) == expected
    assert db_ids(tmp_path) == expected


def test_a_torn_last_line_is_ignored_and_later_appends_work(tmp_path: Path) -> None:
    lines = [json.dumps(decision(f"torn-{i}", seconds=i).to_record()) + "\n" for i in range(2)]
    torn = lines[1][: len(lines[1]) // 2]  # a write cut by a crash: half a line, no newline
    (tmp_path / "journal-999999-1.jsonl").write_text(lines[0] + lines[1] + torn, encoding="utf-8")

    audit = AuditLog(tmp_path)
    assert sorted(ids(audit.query())) == ["torn-0", "torn-1"]
    audit.append(decision("after", seconds=100))
    assert ids(audit.query()) == ["after", "torn-1", "torn-0"]
    assert audit.fold() == 3
    assert [p.name for p in journals(tmp_path)] == [audit.journal.name if audit.journal else ""]  # torn one deleted
    audit.append(decision("after-2", seconds=101))
    audit.close()
    assert db_ids(tmp_path) == ["after", "after-2", "torn-0", "torn-1"]


def test_a_record_is_read_only_once_all_of_it_shows(tmp_path: Path) -> None:
    """Records overwrite zeros written ahead, so a reader may see the end of a record (with its newline) before
    its start: it must wait for the whole line, and a closed journal is cut back to its records."""
    lines = [json.dumps(decision(f"part-{i}", seconds=i).to_record()).encode() + b"\n" for i in range(2)]
    half = len(lines[1]) // 2
    journal = tmp_path / "journal-999997-1.jsonl"
    journal.write_bytes(lines[0] + bytes(half) + lines[1][half:] + bytes(4096))
    audit = AuditLog(tmp_path)
    assert ids(audit.query()) == ["part-0"]
    journal.write_bytes(lines[0] + lines[1] + bytes(4096))  # the rest of the copy arrives
    assert ids(audit.query()) == ["part-1", "part-0"]
    assert audit.fold() == 2 and journals(tmp_path) == []

    audit.append(decision("live", seconds=9))
    assert audit.journal is not None
    assert audit.journal.stat().st_size > _ZEROED_AHEAD  # one record, and zeros written ahead of the next
    audit.close(fold=False)
    assert journals(tmp_path)[0].read_bytes().endswith(b"}\n")  # cut back to its records on close
    assert AuditLog(tmp_path).fold() == 1
    assert db_ids(tmp_path) == ["live", "part-0", "part-1"]


def test_a_damaged_complete_line_is_skipped_not_blocking(tmp_path: Path) -> None:
    good = json.dumps(decision("good", seconds=1).to_record())
    (tmp_path / "journal-999998-1.jsonl").write_text('{"not": "a decision"}\n' + good + "\n", encoding="utf-8")
    audit = AuditLog(tmp_path)
    assert ids(audit.query()) == ["good"]
    assert audit.fold() == 1
    assert db_ids(tmp_path) == ["good"]


def test_an_unknown_directory_reads_as_empty(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "missing")
    assert audit.query() == []
    assert audit.fold() == 0
    audit.close()
    assert not (tmp_path / "missing").exists()


# --- resolver audit -----------------------------------------------------------------------------------


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    audit = AuditLog(tmp_path)
    audit.append(decision("r-old", seconds=0, caller="bank-a", entity="NK-7"))
    audit.append(decision("r-mid", seconds=86_400, caller="bank-b"))
    audit.fold()
    audit.append(decision("r-new", seconds=2 * 86_400, caller="bank-a"))
    audit.close()
    audit = AuditLog(tmp_path)
    audit.append(decision("r-journal", seconds=3 * 86_400, caller="bank-c"))  # left unfolded on purpose
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(audit_app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_json_lines_with_filters(filled: Path) -> None:
    code, out, _ = run("--dir", str(filled), "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["request_id"] for r in rows] == ["r-journal", "r-new", "r-mid", "r-old"]
    assert rows[0]["at"] == (T0 + timedelta(days=3)).isoformat()

    def select(*extra: str) -> list[str]:
        code, out, err = run("--dir", str(filled), "--json", *extra)
        assert code == 0, err
        return [json.loads(line)["request_id"] for line in out.splitlines()]

    assert select("--caller", "bank-a") == ["r-new", "r-old"]
    assert select("--entity", "NK-7") == ["r-old"]
    assert select("--request-id", "r-mid") == ["r-mid"]
    assert select("--since", "2026-11-28", "--until", "2026-11-30") == ["r-new", "r-mid"]
    assert select("--since", "2026-11-28T12:00:00+00:00", "--limit", "1") == ["r-journal"]


def test_cli_table(filled: Path) -> None:
    code, out, _ = run("--dir", str(filled), "--caller", "bank-c")
    assert code == 0
    assert "r-journal" in out and "bank-c" in out and "Иван [Ivanov]" in out
    assert "r-old" not in out


def test_cli_fold(filled: Path) -> None:
    code, out, _ = run("fold", "--dir", str(filled))
    assert (code, out) == (0, "folded 1 decisions\n")
    assert db_ids(filled) == ["r-journal", "r-mid", "r-new", "r-old"]


def test_cli_bad_date_is_a_usage_error(filled: Path) -> None:
    code, out, err = run("--dir", str(filled), "--since", "yesterday")
    assert code == 2
    assert "--since" in err and "not an ISO date" in err
    assert "Traceback" not in out + err


def test_cli_missing_directory(tmp_path: Path) -> None:
    code, out, err = run("--dir", str(tmp_path / "nope"))
    assert code == 2
    assert "no audit directory" in err
    assert "Traceback" not in out + err
