"""The embedded registry store: one DuckDB file holding every source version and snapshot.

An ingest parses first (nothing is opened for writing until every file has parsed), then
writes the new source versions and a new snapshot in one DuckDB transaction: a reader sees
the old snapshot or the new one, never a mix, and a failure leaves the file as it was.
"""

from __future__ import annotations

import gzip
import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import structlog

from resolver.registry.errors import IngestError
from resolver.registry.records import KINDS, NAME_KINDS, RELATION_KINDS, ParsedSource
from resolver.registry.topics import derive_topics

if TYPE_CHECKING:
    import pyarrow as pa

log = structlog.get_logger(__name__)

SCHEMA_VERSION = "1"
_SCHEMA = (Path(__file__).with_name("schema.sql")).read_text(encoding="utf-8")
_DETAIL_TABLES = ("names", "identifiers", "birth_dates", "countries", "addresses")
_LOCK_WAIT_S = 30.0

Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


class StoreError(Exception):
    """The store cannot do what was asked (missing snapshot, locked file, unknown entity ...)."""


@dataclass(frozen=True)
class SourceStatus:
    source: str
    version_id: int
    format: str
    publisher_date: str | None
    digest: str
    ingested_at: str
    entities: int
    names: int
    relations: int
    entities_by_kind: dict[str, int]
    files: list[dict[str, Any]]


@dataclass(frozen=True)
class StoreStatus:
    snapshot_id: int | None
    snapshot_digest: str | None
    created_at: str | None
    sources: list[SourceStatus]

    @property
    def entities(self) -> int:
        return sum(s.entities for s in self.sources)

    @property
    def names(self) -> int:
        return sum(s.names for s in self.sources)


@dataclass(frozen=True)
class IngestResult:
    snapshot_id: int | None  # None when nothing changed and no snapshot was written
    changed: list[str]  # sources with a new version
    unchanged: list[str]  # sources whose files were identical to the current version
    counts: dict[str, dict[str, int]]


@dataclass(frozen=True)
class EntityChange:
    entity_id: str
    source: str
    kind: str
    primary_name: str
    fields: list[str] = field(default_factory=list)  # for changed entities: which aspects changed


@dataclass(frozen=True)
class SnapshotDiff:
    old: int
    new: int
    added: list[EntityChange]
    removed: list[EntityChange]
    changed: list[EntityChange]


def sha256_file(path: Path) -> str:
    """sha256 of a file's content; of the decompressed content for .gz, so that the digest names
    the data, not its packaging (the embedded registry ships gzipped copies of public files)."""
    digest = hashlib.sha256()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def name_script(name: str) -> str:
    """The Unicode scripts a name is written in, e.g. "Cyrillic" or "Cyrillic+Latin"; "" for none."""
    from rigour.text.scripts import text_scripts  # here: rigour costs a process ~27 MiB, and readers never call this

    return "+".join(sorted(text_scripts(name)))


def _validate(parsed: ParsedSource) -> None:
    where = parsed.files[0] if parsed.files else parsed.source
    seen: set[str] = set()
    for e in parsed.entities:
        if not e.source_id:
            raise IngestError(where, None, f"an entity has an empty id ({e.primary_name!r})")
        if e.source_id in seen:
            raise IngestError(where, None, f"duplicate entity id {e.source_id!r}")
        seen.add(e.source_id)
        if e.kind not in KINDS:
            raise IngestError(where, None, f"entity {e.source_id}: unknown kind {e.kind!r}")
        if not e.names or not e.names[0].value.strip():
            raise IngestError(where, None, f"entity {e.source_id}: no name")
        for n in e.names:
            if n.kind not in NAME_KINDS:
                raise IngestError(where, None, f"entity {e.source_id}: unknown name kind {n.kind!r}")
    for r in parsed.relations:
        if r.kind not in RELATION_KINDS:
            raise IngestError(where, None, f"relation {r.subject_id}->{r.object_id}: unknown kind {r.kind!r}")


# Column order of the rows _rows() builds, per table (version_id is added on write).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "entities": (
        "entity_id", "source", "source_id", "kind", "primary_name", "programs", "topics", "lists",
        "listing_date", "gender", "birth_places", "notes",
    ),
    "names": ("entity_id", "name", "kind", "script", "lang", "quality"),
    "identifiers": ("entity_id", "scheme", "value", "country", "note"),
    "birth_dates": ("entity_id", "raw", "date"),
    "countries": ("entity_id", "code", "role", "raw"),
    "addresses": ("entity_id", "full_text", "street", "city", "postal_code", "region", "country"),
    "relations": (
        "relation_id", "subject_id", "object_id", "object_name", "kind", "percentage",
        "percentage_min", "percentage_max", "start_date", "end_date", "role",
    ),
}  # fmt: skip


def _rows(parsed: ParsedSource) -> dict[str, list[tuple[Any, ...]]]:
    """The source's rows for every table, in _COLUMNS order."""
    src = parsed.source
    rows: dict[str, list[tuple[Any, ...]]] = {t: [] for t in _COLUMNS}
    for e in parsed.entities:
        eid = f"{src}:{e.source_id}"
        rows["entities"].append(
            (
                eid, src, e.source_id, e.kind, e.names[0].value.strip(), sorted(set(e.programs)), derive_topics(e),
                sorted(set(e.lists)), e.listing_date, e.gender, list(dict.fromkeys(e.birth_places)), e.notes,
            )
        )  # fmt: skip
        seen: set[tuple[str, str]] = set()
        for n in e.names:
            value = n.value.strip()
            if value and (value, n.kind) not in seen:
                seen.add((value, n.kind))
                rows["names"].append((eid, value, n.kind, name_script(value), n.lang, n.quality))
        rows["identifiers"] += [(eid, i.scheme, i.value, i.country, i.note) for i in e.identifiers]
        rows["birth_dates"] += [(eid, b.raw, b.date) for b in e.birth_dates]
        rows["countries"] += [(eid, c.code, c.role, c.raw) for c in e.countries]
        rows["addresses"] += [(eid, a.full, a.street, a.city, a.postal_code, a.region, a.country) for a in e.addresses]
    rows["relations"] = [
        (
            r.relation_id, r.subject_entity_id or f"{src}:{r.subject_id}",
            r.object_entity_id or (f"{src}:{r.object_id}" if r.object_id else None), r.object_name,
            r.kind, r.percentage, r.percentage_min, r.percentage_max, r.start_date, r.end_date, r.role,
        )
        for r in parsed.relations
    ]  # fmt: skip
    return rows


def _arrow(table: str, rows: list[tuple[Any, ...]], version_id: int) -> pa.Table:
    # pyarrow is imported here, by ingest only: a serving process reads the store and would carry its ~50 MiB
    import pyarrow as pa

    types = {"percentage": pa.float64(), "percentage_min": pa.float64(), "percentage_max": pa.float64()}
    names = _COLUMNS[table]
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in names]
    fields = [pa.field(n, pa.list_(pa.string()) if n in _LIST_COLUMNS else types.get(n, pa.string())) for n in names]
    return pa.table(
        [*columns, [version_id] * len(rows)], schema=pa.schema([*fields, pa.field("version_id", pa.int32())])
    )


_LIST_COLUMNS = {"programs", "topics", "lists", "birth_places"}

# What a diff compares, per table: the columns that make up an entity's record. An entity
# "changed" when the multiset of its rows differs in any of them; the table names the aspect.
_DIFF_ASPECTS: dict[str, str] = {
    "entities": "kind, primary_name, programs, topics, lists, listing_date, gender, birth_places, notes",
    "names": "name, kind, lang, quality",
    "identifiers": "scheme, value, country, note",
    "birth_dates": "raw, date",
    "countries": "code, role",
    "addresses": "full_text, street, city, postal_code, region, country",
}


class RegistryStore:
    """A registry store in one DuckDB file. Open connections are short-lived: DuckDB lets one
    process write a file at a time, so commands take the file only for as long as they need it."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    # --- connections -------------------------------------------------------------------------

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not self.path.exists():
            raise StoreError(f"no registry store at {self.path}: run `resolver ingest` first")
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + _LOCK_WAIT_S
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
                break
            except duckdb.IOException as exc:
                # Another process holds the file (an ingest in progress): wait for it, briefly.
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise StoreError(f"cannot open {self.path}: {exc}") from exc
                time.sleep(0.1)
        try:
            if not read_only:
                self._ensure_schema(con)
            yield con
        finally:
            con.close()

    @staticmethod
    def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
        con.execute(_SCHEMA)
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None:
            con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
        elif row[0] != SCHEMA_VERSION:
            raise StoreError(f"store schema version {row[0]} is not supported (expected {SCHEMA_VERSION})")

    # --- writing -----------------------------------------------------------------------------

    def ingest(
        self, parsed: list[ParsedSource], *, note: str | None = None, progress: Progress = _no_progress
    ) -> IngestResult:
        """Write new versions of the given sources and a snapshot holding them plus every other
        source's current version, all in one transaction."""
        names = [p.source for p in parsed]
        dupes = sorted({s for s in names if names.count(s) > 1})
        if dupes:
            raise IngestError(
                ", ".join(str(f) for p in parsed if p.source in dupes for f in p.files),
                None,
                f"two inputs for source {dupes[0]!r} in one ingest; ingest them in separate commands",
            )
        for p in parsed:
            _validate(p)
        file_hashes = {p.source: [(f.name, sha256_file(f), f.stat().st_size) for f in p.files] for p in parsed}
        digests = {
            s: hashlib.sha256("".join(h for _, h, _ in sorted(files)).encode()).hexdigest()
            for s, files in file_hashes.items()
        }
        now = datetime.now(UTC)
        with self.connect() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                result = self._write(con, parsed, file_hashes, digests, now, note, progress)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            # Checkpoint so the file on disk is complete without its WAL (copyable, read-only openable).
            con.execute("CHECKPOINT")
        return result

    def _write(
        self,
        con: duckdb.DuckDBPyConnection,
        parsed: list[ParsedSource],
        file_hashes: dict[str, list[tuple[str, str, int]]],
        digests: dict[str, str],
        now: datetime,
        note: str | None,
        progress: Progress,
    ) -> IngestResult:
        current = self._current_snapshot(con)
        members: dict[str, int] = dict(
            con.execute("SELECT source, version_id FROM snapshot_sources WHERE snapshot_id = ?", [current]).fetchall()
        )
        current_digest = dict(
            con.execute(
                "SELECT v.source, v.digest FROM snapshot_sources s JOIN source_versions v USING (version_id) "
                "WHERE s.snapshot_id = ?",
                [current],
            ).fetchall()
        )
        changed, unchanged, counts = [], [], {}
        next_version = con.execute("SELECT coalesce(max(version_id), 0) + 1 FROM source_versions").fetchone()
        version_id = int(next_version[0]) if next_version else 1
        for i, p in enumerate(parsed):
            progress("writing", i, len(parsed))
            counts[p.source] = {"entities": len(p.entities), "relations": len(p.relations)}
            if current_digest.get(p.source) == digests[p.source]:
                unchanged.append(p.source)
                continue
            tables = _rows(p)
            counts[p.source]["names"] = len(tables["names"])
            con.execute(
                "INSERT INTO source_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    version_id,
                    p.source,
                    p.format,
                    p.publisher_date,
                    digests[p.source],
                    now,
                    len(p.entities),
                    counts[p.source]["names"],
                    len(p.relations),
                ],
            )
            con.executemany(
                "INSERT INTO source_files VALUES (?, ?, ?, ?)",
                [[version_id, name, sha, size] for name, sha, size in file_hashes[p.source]],
            )
            for table, rows in tables.items():
                arrow = _arrow(table, rows, version_id)  # noqa: F841 - read by name in the SQL below
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM arrow")
            members[p.source] = version_id
            changed.append(p.source)
            version_id += 1
        progress("writing", len(parsed), len(parsed))
        if not changed:
            return IngestResult(None, changed, unchanged, counts)
        snapshot_id = (current or 0) + 1
        member_digests = dict(
            con.execute(
                "SELECT source, digest FROM source_versions WHERE version_id IN (SELECT unnest(?))",
                [list(members.values())],
            ).fetchall()
        )
        snap_digest = hashlib.sha256("".join(f"{s}={member_digests[s]};" for s in sorted(members)).encode()).hexdigest()
        con.execute("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?)", [snapshot_id, current, snap_digest, now, note])
        con.executemany(
            "INSERT INTO snapshot_sources VALUES (?, ?, ?)",
            [[snapshot_id, s, v] for s, v in sorted(members.items())],
        )
        log.info("snapshot written", snapshot_id=snapshot_id, changed=changed, unchanged=unchanged)
        return IngestResult(snapshot_id, changed, unchanged, counts)

    # --- reading -----------------------------------------------------------------------------

    @staticmethod
    def _current_snapshot(con: duckdb.DuckDBPyConnection) -> int | None:
        row = con.execute("SELECT max(snapshot_id) FROM snapshots").fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def resolve_snapshot(self, con: duckdb.DuckDBPyConnection, snapshot: int | None) -> int:
        if snapshot is None:
            current = self._current_snapshot(con)
            if current is None:
                raise StoreError(f"the store at {self.path} has no snapshot yet: run `resolver ingest`")
            return current
        if con.execute("SELECT 1 FROM snapshots WHERE snapshot_id = ?", [snapshot]).fetchone() is None:
            raise StoreError(f"no snapshot {snapshot} in {self.path}")
        return snapshot

    def status(self, snapshot: int | None = None) -> StoreStatus:
        with self.connect(read_only=True) as con:
            snap = self._current_snapshot(con) if snapshot is None else self.resolve_snapshot(con, snapshot)
            if snap is None:
                return StoreStatus(None, None, None, [])
            row = con.execute("SELECT digest, created_at FROM snapshots WHERE snapshot_id = ?", [snap]).fetchone()
            assert row is not None
            versions = con.execute(
                "SELECT v.source, v.version_id, v.format, v.publisher_date, v.digest, v.ingested_at, "
                "v.entities, v.names, v.relations FROM snapshot_sources s JOIN source_versions v USING (version_id) "
                "WHERE s.snapshot_id = ? ORDER BY v.source",
                [snap],
            ).fetchall()
            kinds: dict[int, dict[str, int]] = {}
            for vid, kind, n in con.execute(
                "SELECT version_id, kind, count(*) FROM entities WHERE version_id IN "
                "(SELECT version_id FROM snapshot_sources WHERE snapshot_id = ?) GROUP BY ALL ORDER BY ALL",
                [snap],
            ).fetchall():
                kinds.setdefault(vid, {})[kind] = n
            files: dict[int, list[dict[str, Any]]] = {}
            for vid, name, sha, size in con.execute(
                "SELECT version_id, file_name, sha256, bytes FROM source_files WHERE version_id IN "
                "(SELECT version_id FROM snapshot_sources WHERE snapshot_id = ?) ORDER BY version_id, file_name",
                [snap],
            ).fetchall():
                files.setdefault(vid, []).append({"name": name, "sha256": sha, "bytes": size})
        return StoreStatus(
            snapshot_id=snap,
            snapshot_digest=row[0],
            created_at=row[1].astimezone(UTC).isoformat(),
            sources=[
                SourceStatus(
                    source=s,
                    version_id=v,
                    format=f,
                    publisher_date=pd,
                    digest=d,
                    ingested_at=at.astimezone(UTC).isoformat(),
                    entities=ne,
                    names=nn,
                    relations=nr,
                    entities_by_kind=kinds.get(v, {}),
                    files=files.get(v, []),
                )
                for s, v, f, pd, d, at, ne, nn, nr in versions
            ],
        )

    def snapshots(self) -> list[tuple[int, str, str, str | None]]:
        """(snapshot id, digest, created at, note), oldest first."""
        with self.connect(read_only=True) as con:
            rows = con.execute("SELECT snapshot_id, digest, created_at, note FROM snapshots ORDER BY 1").fetchall()
        return [(i, d, c.astimezone(UTC).isoformat(), n) for i, d, c, n in rows]

    def diff(self, old: int, new: int) -> SnapshotDiff:
        """Entities added, removed and changed (with the aspects that changed) between two snapshots."""
        with self.connect(read_only=True) as con:
            self.resolve_snapshot(con, old)
            self.resolve_snapshot(con, new)
            members = "SELECT version_id FROM snapshot_sources WHERE snapshot_id = {}"
            ids = con.execute(
                f"""
                SELECT o.entity_id IS NOT NULL, n.entity_id IS NOT NULL, coalesce(n.entity_id, o.entity_id),
                       coalesce(n.source, o.source), coalesce(n.kind, o.kind), coalesce(n.primary_name, o.primary_name)
                FROM (SELECT * FROM entities WHERE version_id IN ({members.format("$old")})) o
                FULL OUTER JOIN (SELECT * FROM entities WHERE version_id IN ({members.format("$new")})) n
                USING (entity_id) ORDER BY 3
                """,
                {"old": old, "new": new},
            ).fetchall()
            changed_aspects: dict[str, list[str]] = {}
            for table, cols in _DIFF_ASPECTS.items():
                # Rows present on one side only (as multisets), for entities present on both sides.
                sides = [
                    f"(SELECT entity_id, {cols} FROM {table} WHERE version_id IN ({members.format(a)}) EXCEPT ALL "
                    f"SELECT entity_id, {cols} FROM {table} WHERE version_id IN ({members.format(b)}))"
                    for a, b in (("$old", "$new"), ("$new", "$old"))
                ]
                for (eid,) in con.execute(
                    f"SELECT DISTINCT entity_id FROM ({sides[0]} UNION ALL {sides[1]})", {"old": old, "new": new}
                ).fetchall():
                    changed_aspects.setdefault(eid, []).append("record" if table == "entities" else table)
        out: dict[str, list[EntityChange]] = {"added": [], "removed": [], "changed": []}
        for in_old, in_new, eid, src, kind, name in ids:
            if not in_old:
                out["added"].append(EntityChange(eid, src, kind, name))
            elif not in_new:
                out["removed"].append(EntityChange(eid, src, kind, name))
            elif eid in changed_aspects:
                out["changed"].append(EntityChange(eid, src, kind, name, sorted(changed_aspects[eid])))
        return SnapshotDiff(old, new, out["added"], out["removed"], out["changed"])

    def entity(self, entity_id: str, snapshot: int | None = None) -> dict[str, Any]:
        """One entity's whole record in a snapshot (default: the current one), as plain data."""
        with self.connect(read_only=True) as con:
            snap = self.resolve_snapshot(con, snapshot)
            cur = con.execute(
                "SELECT e.* FROM entities e JOIN snapshot_sources s USING (version_id) "
                "WHERE s.snapshot_id = ? AND e.entity_id = ?",
                [snap, entity_id],
            )
            row = cur.fetchone()
            if row is None:
                raise StoreError(f"no entity {entity_id!r} in snapshot {snap}")
            record: dict[str, Any] = dict(zip([d[0] for d in cur.description], row, strict=True))
            vid = record["version_id"]
            for table in _DETAIL_TABLES:
                cur = con.execute(
                    f"SELECT * EXCLUDE (version_id) FROM {table} WHERE version_id = $vid AND entity_id = $id",
                    {"vid": vid, "id": entity_id},
                )
                cols = [d[0] for d in cur.description]
                record[table] = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
            # Relations from every source of the snapshot: an agency's registry edges may own or be owned by
            # a list entry of another source. Each says which source states it.
            cur = con.execute(
                "SELECT r.* EXCLUDE (version_id), v.source AS stated_by FROM relations r "
                "JOIN source_versions v USING (version_id) WHERE r.version_id IN "
                "(SELECT version_id FROM snapshot_sources WHERE snapshot_id = $snap) "
                "AND (r.subject_id = $id OR r.object_id = $id) ORDER BY ALL",
                {"snap": snap, "id": entity_id},
            )
            cols = [d[0] for d in cur.description]
            record["relations"] = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        record["snapshot_id"] = snap
        return record

    def find(self, name: str, snapshot: int | None = None, limit: int = 20) -> list[tuple[str, str, str]]:
        """(entity id, primary name, matching name) of entities with a name containing ``name``
        (case-insensitive). A lookup aid for the CLI and tests, not the matcher."""
        with self.connect(read_only=True) as con:
            snap = self.resolve_snapshot(con, snapshot)
            rows = con.execute(
                "SELECT DISTINCT e.entity_id, e.primary_name, n.name FROM names n "
                "JOIN entities e USING (version_id, entity_id) JOIN snapshot_sources s USING (version_id) "
                "WHERE s.snapshot_id = ? AND n.name ILIKE ? ORDER BY 1, 3 LIMIT ?",
                [snap, f"%{name}%", limit],
            ).fetchall()
        return [(str(a), str(b), str(c)) for a, b, c in rows]
