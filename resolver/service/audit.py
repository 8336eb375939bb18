"""The audit log of screening decisions: a write-ahead journal folded into DuckDB.

Every decision is appended to a per-process journal of JSON lines and fsync'ed before `append`
returns (threads share one fsync: group commit), so a crash loses no acknowledged decision. Journals are
written ahead with zeros (1 MiB at a time) and records overwrite them: an fdatasync that need not also
commit a new file size costs about 30% less here (PostgreSQL pre-zeroes its WAL segments for the same
reason). A journal's records therefore end at its last newline; zeros may follow until it is closed. A
DuckDB INSERT per request would cost about as much as the request itself, and DuckDB lets only
one process write a file, while the service may run several worker processes.

`fold` moves journal records into `audit.duckdb` in one transaction together with the byte offset
folded per journal, so a crash between the two can neither lose nor duplicate a record. Any
process may fold; DuckDB's file lock serialises them. `query` reads the database (read-only)
and the unfolded journal tails, so a decision is visible as soon as `append` returns.

Layout of the directory:

    journal-<pid>-<unix_ns>.jsonl   one per AuditLog instance (process); flock'ed while its writer lives
    audit.duckdb                     tables `decisions`, `journal_offsets`, `meta`
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import structlog

log = structlog.get_logger(__name__)

DB_NAME = "audit.duckdb"
SCHEMA_VERSION = "1"
_JOURNAL_RE = re.compile(r"^journal-(\d+)-(\d+)\.jsonl$")
_LOCK_WAIT_FOLD_S = 1.0  # a fold that cannot get the database soon gives up this round: the journal keeps the data
_LOCK_WAIT_QUERY_S = 15.0  # a reader waits longer: folds hold the database for milliseconds
_MAX_FOLD_BYTES = 64 << 20  # per journal per transaction, so that a long backlog does not load at once
_ZEROED_AHEAD = 1 << 20  # journal bytes written ahead as zeros: ~1.3 ms once per ~2,500 decisions

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
INSERT INTO meta VALUES ('schema_version', '{SCHEMA_VERSION}') ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS decisions (
    request_id VARCHAR NOT NULL,
    "at" TIMESTAMP NOT NULL,  -- UTC ("at" is a keyword in DuckDB: always quoted)
    caller VARCHAR NOT NULL,
    method VARCHAR NOT NULL,
    party JSON NOT NULL,
    snapshot_id BIGINT NOT NULL,
    snapshot_digest VARCHAR NOT NULL,
    model_version VARCHAR NOT NULL,
    threshold_match_weight DOUBLE NOT NULL,
    matches STRUCT(entity_id VARCHAR, match_weight DOUBLE, match_probability DOUBLE)[] NOT NULL,
    status VARCHAR NOT NULL,
    latency_ms DOUBLE NOT NULL,
    journal VARCHAR NOT NULL,  -- where the record was first written, and at which byte
    journal_offset BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal_offsets (journal VARCHAR PRIMARY KEY, folded_bytes BIGINT NOT NULL);
"""

# The decisions table's columns, in order, as the fold writes them (see _insert_decisions for their types).
_NAMES = (
    "request_id", "at", "caller", "method", "party", "snapshot_id", "snapshot_digest", "model_version",
    "threshold_match_weight", "matches", "status", "latency_ms", "journal", "journal_offset",
)  # fmt: skip
_COLUMNS = ", ".join(f'"{name}"' for name in _NAMES)
_RESULT_COLUMNS = _NAMES[:-2]  # the journal position is bookkeeping, not part of a decision


class AuditError(Exception):
    """The audit log cannot do what was asked (journal not writable, database held too long ...)."""


class Match(NamedTuple):
    entity_id: str
    match_weight: float
    match_probability: float


@dataclass(frozen=True)
class Decision:
    """One screening decision as the service returned it."""

    request_id: str
    at: datetime  # timezone-aware; stored as UTC
    caller: str
    method: str  # "ResolveEntity", "BatchResolveEntities", ...
    party: Mapping[str, Any]  # what was asked, as plain JSON-able data
    snapshot_id: int
    snapshot_digest: str
    model_version: str
    threshold_match_weight: float
    matches: Sequence[tuple[str, float, float]]  # (entity_id, match_weight, match_probability); see `Match`
    status: str  # "OK" or a gRPC status code name
    latency_ms: float

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("Decision.at must be timezone-aware")
        object.__setattr__(self, "at", self.at.astimezone(UTC))

    def to_record(self) -> dict[str, Any]:
        """The decision as a journal record (JSON-able; `at` as an ISO string)."""
        return {
            "request_id": self.request_id,
            "at": self.at.isoformat(),
            "caller": self.caller,
            "method": self.method,
            "party": dict(self.party),
            "snapshot_id": self.snapshot_id,
            "snapshot_digest": self.snapshot_digest,
            "model_version": self.model_version,
            "threshold_match_weight": self.threshold_match_weight,
            "matches": [
                {"entity_id": str(m[0]), "match_weight": float(m[1]), "match_probability": float(m[2])}
                for m in self.matches
            ],
            "status": self.status,
            "latency_ms": self.latency_ms,
        }


def default_audit_dir(store_path: Path) -> Path:
    """The audit directory beside the registry store file (RESOLVER_AUDIT_DIR should override it)."""
    return Path(store_path).parent / "audit"


def _encode(decision: Decision) -> bytes:
    # json escapes control characters, so a record is exactly one line; default=str keeps dates in party writable.
    return (json.dumps(decision.to_record(), ensure_ascii=False, separators=(",", ":"), default=str) + "\n").encode()


def _naive_utc(at: datetime | None) -> datetime | None:
    """UTC without a zone, as the `at` column stores it; a naive datetime is taken to be UTC already."""
    if at is None or at.tzinfo is None:
        return at
    return at.astimezone(UTC).replace(tzinfo=None)


def _decode(line: bytes) -> dict[str, Any]:
    """A journal line as `query` returns a decision (the shape of a database row); ValueError if unreadable."""
    try:
        record = json.loads(line)
        at = datetime.fromisoformat(record["at"])
        return {
            "request_id": str(record["request_id"]),
            "at": at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC),
            "caller": str(record["caller"]),
            "method": str(record["method"]),
            "party": dict(record["party"]),
            "snapshot_id": int(record["snapshot_id"]),
            "snapshot_digest": str(record["snapshot_digest"]),
            "model_version": str(record["model_version"]),
            "threshold_match_weight": float(record["threshold_match_weight"]),
            "matches": [
                {
                    "entity_id": str(m["entity_id"]),
                    "match_weight": float(m["match_weight"]),
                    "match_probability": float(m["match_probability"]),
                }
                for m in record["matches"]
            ],
            "status": str(record["status"]),
            "latency_ms": float(record["latency_ms"]),
        }
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"unreadable journal line: {exc}") from exc


@dataclass
class _Pending:
    data: bytes
    done: bool = False
    error: BaseException | None = None


@dataclass
class _Tail:
    """The complete, unfolded lines of one journal."""

    name: str
    start: int  # offset already folded
    end: int  # offset after the last complete line read
    records: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (offset, record)
    truncated: bool = False  # stopped at _MAX_FOLD_BYTES


def _lines_end(data: bytes) -> int:
    """Where the complete lines of ``data`` end. A record holds no NUL (JSON escapes control characters): the
    first NUL is where the zeros written ahead begin, or a part of a record still being copied in while an
    earlier part already shows. A last line without its newline is torn or still being written."""
    nul = data.find(b"\0")
    return data.rfind(b"\n", 0, nul if nul >= 0 else len(data)) + 1


def _read_tail(path: Path, start: int, max_bytes: int | None = None) -> _Tail:
    with path.open("rb") as fh:
        fh.seek(start)
        data = fh.read(max_bytes if max_bytes is not None else -1)
    cut = _lines_end(data)
    tail = _Tail(path.name, start, start + cut, truncated=max_bytes is not None and len(data) == max_bytes)
    pos = start
    for line in data[:cut].splitlines(keepends=True):
        try:
            tail.records.append((pos, _decode(line)))
        except ValueError:
            # A complete but unreadable line can only come from outside damage: skip it, never block the rest.
            log.error("audit_journal_bad_line", journal=path.name, offset=pos, length=len(line))
        pos += len(line)
    return tail


def _journals(directory: Path) -> list[Path]:
    try:
        return sorted(p for p in directory.iterdir() if _JOURNAL_RE.match(p.name))
    except FileNotFoundError:
        return []


def _owner_gone(path: Path) -> bool:
    """True if no process holds the journal's lock: its writer has closed it or died (even by SIGKILL)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    else:
        return True
    finally:
        os.close(fd)  # releases the probe lock


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# DuckDB refuses a second connection to a file with another configuration (read-only vs read-write) in the
# same process, and two in-process folds would race on offsets: one lock per database file per process.
_db_locks: dict[Path, threading.Lock] = {}
_db_locks_guard = threading.Lock()


def _db_lock(path: Path) -> threading.Lock:
    key = path.resolve()
    with _db_locks_guard:
        return _db_locks.setdefault(key, threading.Lock())


# Rows per row group of the audit database. A fold closes its connection, and DuckDB then checkpoints, rewriting
# the decisions table's last row group: with DuckDB's default (122,880 rows) the folding process's peak memory
# grew with it (158, 177, 214 MiB at 50,000, 100,000, 150,000 decisions in a scratch run); with 16,384 rows it
# stayed at 164-166 MiB.
_ROW_GROUP_SIZE = 16_384


def _connect(path: Path, *, read_only: bool, wait_s: float) -> duckdb.DuckDBPyConnection | None:
    """Open the database, waiting while another process holds it; None if it stays held. It is attached to an
    in-memory connection (and made the default), the only way to set its row group size (_ROW_GROUP_SIZE)."""
    deadline = time.monotonic() + wait_s
    delay = 0.005
    options = "READ_ONLY" if read_only else f"ROW_GROUP_SIZE {_ROW_GROUP_SIZE}"
    quoted = str(path).replace("'", "''")
    while True:
        con = duckdb.connect()
        try:
            con.execute(f"ATTACH '{quoted}' AS audit ({options})")
            con.execute("USE audit")
            return con
        except duckdb.IOException as exc:
            con.close()
            if "lock" not in str(exc).lower():
                raise AuditError(f"cannot open {path}: {exc}") from exc
            if time.monotonic() > deadline:
                return None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
        except BaseException:
            con.close()
            raise


class AuditLog:
    """The audit log in `directory`. One instance per process (create it after forking workers)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.db_path = self.directory / DB_NAME
        self._cond = threading.Condition(threading.Lock())
        self._queue: list[_Pending] = []
        self._flushing = False
        self._closed = False
        self._fd: int | None = None
        self._journal: Path | None = None
        self._size = 0  # bytes durable in the current journal
        self._zeroed = 0  # the journal's length, records and the zeros written ahead of them
        self._pid = os.getpid()  # the process that opened the journal
        self._syncs = 0
        self._stop = threading.Event()
        self._folder: threading.Thread | None = None

    # --- appending -----------------------------------------------------------------------------

    @property
    def syncs(self) -> int:
        """fsyncs so far (fewer than appends when concurrent appends share one)."""
        return self._syncs

    @property
    def journal(self) -> Path | None:
        """This instance's current journal file (None before the first append)."""
        return self._journal

    def append(self, *decisions: Decision) -> None:
        """Append decisions (one write, one fsync); returns once they are durable. Raises AuditError if not."""
        if not decisions:
            return
        item = _Pending(b"".join(_encode(d) for d in decisions))
        with self._cond:
            if self._closed:
                raise AuditError("the audit log is closed")
            self._queue.append(item)
            while not item.done:
                if self._flushing:
                    self._cond.wait()  # the leader's batch, or the next one, carries this record
                    continue
                # Group commit: this thread writes and fsyncs everything queued so far, outside the lock.
                batch, self._queue = self._queue, []
                self._flushing = True
                self._cond.release()
                error: BaseException | None = None
                try:
                    error = self._write(b"".join(p.data for p in batch))
                except BaseException as exc:
                    error = exc
                    raise
                finally:
                    self._cond.acquire()
                    self._flushing = False
                    for p in batch:  # whatever happened, no waiter may be left waiting
                        p.done, p.error = True, error
                    self._cond.notify_all()
        if item.error is not None:
            raise AuditError(f"audit record not durable: {item.error}") from item.error

    def _write(self, data: bytes) -> BaseException | None:
        """Write and fsync one batch; only the current flusher calls this."""
        try:
            if self._fd is not None and self._pid != os.getpid():
                # Forked: the inherited descriptor (and its flock) belongs to the parent's journal.
                os.close(self._fd)
                self._fd = None
            if self._fd is None:
                self._open_journal()
            assert self._fd is not None
            end = self._size + len(data)
            if end > self._zeroed:
                self._zero_ahead(end)
            view, at = memoryview(data), self._size
            while view:
                written = os.pwrite(self._fd, view, at)
                view, at = view[written:], at + written
            os.fdatasync(self._fd)  # within the zeroed part: data blocks only, no new file size to commit
        except OSError as exc:
            log.error("audit_append_failed", journal=self._journal and self._journal.name, error=str(exc))
            self._abandon_journal()
            return exc
        self._size += len(data)
        self._syncs += 1
        return None

    def _open_journal(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"journal-{os.getpid()}-{time.time_ns()}.jsonl"
        # Lock before the name is visible: a folder treats an unlocked journal as its writer's leftovers.
        temp = self.directory / f".{name}.new"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(temp, self.directory / name)
            _fsync_dir(self.directory)  # the file itself must survive a crash, not only its bytes
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                temp.unlink()
            raise
        self._fd, self._journal, self._size, self._zeroed, self._pid = fd, self.directory / name, 0, 0, os.getpid()
        log.info("audit_journal_opened", journal=name)

    def _abandon_journal(self) -> None:
        """After a failed write or fsync the file's state is unknown: cut it back to what was durable and
        start a new journal at the next append (retrying fsync on the same file can falsely succeed)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, self._size)
            os.fsync(self._fd)
        self._close_journal()

    def _zero_ahead(self, end: int) -> None:
        """Extend the journal with zeros past ``end`` (beyond its current length) and make the new length durable."""
        assert self._fd is not None
        size = end + _ZEROED_AHEAD
        os.pwrite(self._fd, bytes(size - self._zeroed), self._zeroed)
        os.fsync(self._fd)
        self._zeroed = size

    def _close_journal(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):  # zeros left behind are harmless: readers stop at the last line
                os.ftruncate(self._fd, self._size)
            os.close(self._fd)  # releases the flock: any fold may now delete it once it is folded
            self._fd = None

    # --- folding -------------------------------------------------------------------------------

    def fold(self) -> int:
        """Move journal records into audit.duckdb; the number moved (0 if the database stayed busy)."""
        if not self.directory.is_dir():
            return 0
        total = 0
        while True:
            moved, more = self._fold_once()
            total += moved
            if not more:
                return total

    def _fold_once(self) -> tuple[int, bool]:
        started = time.perf_counter()
        with _db_lock(self.db_path):
            con = _connect(self.db_path, read_only=False, wait_s=_LOCK_WAIT_FOLD_S)
            if con is None:
                log.info("audit_fold_skipped", reason="database held by another process")
                return 0, False
            try:
                con.execute("BEGIN TRANSACTION")
                con.execute(_SCHEMA)
                offsets = dict(con.execute("SELECT journal, folded_bytes FROM journal_offsets").fetchall())
                journals = _journals(self.directory)
                tails = [_read_tail(p, offsets.get(p.name, 0), _MAX_FOLD_BYTES) for p in journals]
                rows = [(t.name, off, rec) for t in tails for off, rec in t.records]
                if rows:
                    _insert_decisions(con, rows)
                changed = [(t.name, t.end) for t in tails if t.end != t.start]
                if changed:
                    con.executemany(
                        "INSERT INTO journal_offsets VALUES (?, ?) "
                        "ON CONFLICT (journal) DO UPDATE SET folded_bytes = excluded.folded_bytes",
                        changed,
                    )
                # Offsets of journals deleted by an earlier fold (only folds delete, after committing).
                present = {p.name for p in journals}
                gone = [(name,) for name in offsets if name not in present]
                if gone:
                    con.executemany("DELETE FROM journal_offsets WHERE journal = ?", gone)
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                con.close()
                raise
            try:
                # Still holding the database, so that no reader sees old rows without the journal it deleted.
                deleted = self._delete_folded(tails)
            finally:
                con.close()
        if rows or deleted:
            log.info(
                "audit_folded",
                pid=os.getpid(),
                records=len(rows),
                journals=len(changed),
                deleted=deleted,
                ms=round((time.perf_counter() - started) * 1000, 2),
            )
        return len(rows), any(t.truncated for t in tails)

    def _delete_folded(self, tails: list[_Tail]) -> int:
        """Delete the journals folded to their last line whose writer has closed them or died."""
        deleted = 0
        for tail in tails:
            path = self.directory / tail.name
            if tail.truncated or not _owner_gone(path):
                continue
            # The writer is gone, so the file no longer changes: what follows the folded lines is final.
            with path.open("rb") as fh:
                fh.seek(tail.end)
                rest = fh.read()
            if _lines_end(rest):
                continue  # its writer appended after it was read, then went: fold it again next round
            rest = rest.rstrip(b"\0")  # zeros written ahead were never records
            if rest:
                # These bytes will never become a line: a write torn by a crash.
                log.warning("audit_journal_torn_tail", journal=tail.name, bytes=len(rest))
            path.unlink()
            deleted += 1
        return deleted

    def start_folding(self, interval_s: float = 2.0) -> None:
        """Fold every `interval_s` seconds in a daemon thread until `close`."""
        if self._folder is not None:
            return

        def run() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.fold()
                except Exception:
                    log.exception("audit_fold_failed")  # the journal still holds everything: try again later

        self._folder = threading.Thread(target=run, name="audit-fold", daemon=True)
        self._folder.start()

    def close(self, *, fold: bool = True) -> None:
        """Stop folding, close the journal and (with ``fold``) fold once more (idempotent)."""
        self._stop.set()
        if self._folder is not None:
            self._folder.join()
            self._folder = None
        with self._cond:
            while self._flushing or self._queue:
                self._cond.wait()
            if self._closed:
                return
            self._closed = True
            self._close_journal()
        if not fold:
            return
        try:
            self.fold()
        except Exception:
            log.exception("audit_fold_failed")  # the closed journal is folded by the next process that folds

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- reading -------------------------------------------------------------------------------

    def query(
        self,
        *,
        request_id: str | None = None,
        caller: str | None = None,
        entity_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Decisions, newest first: folded ones and those still in journals. `since` <= at < `until`."""
        since_utc, until_utc = _naive_utc(since), _naive_utc(until)
        if limit <= 0 or not self.directory.is_dir():
            return []
        with _db_lock(self.db_path):
            while True:
                had_db = self.db_path.exists()
                with self._reader() as con:
                    db_rows, offsets = _query_db(con, request_id, caller, entity_id, since_utc, until_utc, limit)
                    tails = []
                    for path in _journals(self.directory):
                        with contextlib.suppress(FileNotFoundError):  # deleted by a fold: then it is in the database
                            tails.append(_read_tail(path, offsets.get(path.name, 0)))
                # Without a database nothing locks out a fold by another process: if one created it meanwhile,
                # it may have moved and deleted journals read above, so read again.
                if had_db or not self.db_path.exists():
                    break
        found = list(db_rows)
        for tail in tails:
            found.extend(
                record
                for _, record in tail.records
                if _matches(record, request_id, caller, entity_id, since_utc, until_utc)
            )
        found.sort(key=lambda r: r["at"], reverse=True)
        return found[:limit]

    @contextlib.contextmanager
    def _reader(self) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """A read-only connection held while the journals are read (so no fold runs), or None without a database."""
        if not self.db_path.exists():
            yield None
            return
        con = _connect(self.db_path, read_only=True, wait_s=_LOCK_WAIT_QUERY_S)
        if con is None:
            raise AuditError(f"{self.db_path} stayed locked by another process")
        try:
            yield con
        finally:
            con.close()


def fold_until(directory: Path, stop: Any, server_pid: int, interval_s: float = 2.0) -> None:
    """The body of an audit folder process: fold the journals of ``directory`` until ``stop`` (an Event) is
    set or the server process is gone, then once more. Kept here, in a light module: a spawned process
    imports its target's module, and the server's would bring the whole matcher along."""
    from resolver.logs import configure_logging_from_env

    configure_logging_from_env()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C reaches the whole group: serve stops us
    audit = AuditLog(directory)
    audit.start_folding(interval_s)
    while not stop.wait(interval_s) and os.getppid() == server_pid:
        pass
    audit.close()


# Each column of a fold's rows as one list parameter, unnested side by side (DuckDB zips unnests of one SELECT) and
# cast to the table's type: one statement, no row-by-row binding, and no pyarrow (~50 MiB) in the folding process.
_UNNEST_TYPES = {
    "at": "TIMESTAMP", "party": "JSON", "snapshot_id": "BIGINT", "threshold_match_weight": "DOUBLE",
    "matches": "STRUCT(entity_id VARCHAR, match_weight DOUBLE, match_probability DOUBLE)[]", "latency_ms": "DOUBLE",
    "journal_offset": "BIGINT",
}  # fmt: skip
_INSERT_DECISIONS = f"INSERT INTO decisions ({_COLUMNS}) SELECT " + ", ".join(
    f"unnest(${i})::{_UNNEST_TYPES.get(name, 'VARCHAR')}" for i, name in enumerate(_NAMES, start=1)
)


def _insert_decisions(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, int, dict[str, Any]]]) -> None:
    """Insert decoded journal records ((journal, offset, record), see _decode) into the decisions table."""
    columns: dict[str, list[Any]] = {name: [] for name in _NAMES}
    for journal, offset, record in rows:
        for name in _RESULT_COLUMNS:
            columns[name].append(record[name])
        columns["at"][-1] = _naive_utc(record["at"])
        columns["party"][-1] = json.dumps(record["party"], ensure_ascii=False)
        columns["journal"].append(journal)
        columns["journal_offset"].append(offset)
    con.execute(_INSERT_DECISIONS, [columns[name] for name in _NAMES])


def _query_db(
    con: duckdb.DuckDBPyConnection | None,
    request_id: str | None,
    caller: str | None,
    entity_id: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    if con is None:
        return [], {}
    try:
        offsets = dict(con.execute("SELECT journal, folded_bytes FROM journal_offsets").fetchall())
    except duckdb.CatalogException:
        return [], {}  # created by a fold that has not committed its schema yet
    where, params = [], []
    for clause, value in (
        ("request_id = ?", request_id),
        ("caller = ?", caller),
        ("list_contains([m.entity_id FOR m IN matches], ?)", entity_id),
        ('"at" >= ?', since),
        ('"at" < ?', until),
    ):
        if value is not None:
            where.append(clause)
            params.append(value)
    sql = "SELECT " + ", ".join(f'"{name}"' for name in _RESULT_COLUMNS) + " FROM decisions"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += ' ORDER BY "at" DESC LIMIT ?'
    result = con.execute(sql, [*params, limit])
    rows = []
    for values in result.fetchall():
        row = dict(zip(_RESULT_COLUMNS, values, strict=True))
        row["at"] = row["at"].replace(tzinfo=UTC)
        row["party"] = json.loads(row["party"])
        rows.append(row)
    return rows, offsets


def _matches(
    record: Mapping[str, Any],
    request_id: str | None,
    caller: str | None,
    entity_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> bool:
    if request_id is not None and record["request_id"] != request_id:
        return False
    if caller is not None and record["caller"] != caller:
        return False
    if entity_id is not None and not any(m["entity_id"] == entity_id for m in record["matches"]):
        return False
    at = _naive_utc(record["at"])
    assert at is not None
    return not ((since is not None and at < since) or (until is not None and at >= until))
