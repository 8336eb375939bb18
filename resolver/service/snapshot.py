"""The snapshot a server answers from, built once, swapped whole when the store gets a new one.

A `ServedSnapshot` is read-only: the matcher, every entity's summary (serialized, parsed on use), and the
registry status. Requests read `SnapshotHolder.current` once and use that object to the end, so a swap in the
middle of a request cannot mix two snapshots. DuckDB stays off the request path: the store is opened (read-only,
briefly) only to build a snapshot. A snapshot's matcher is built once and saved beside the store
(persist.SavedMatchers): every later process, each worker of `serve --workers` among them, maps that copy.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

import structlog
from google.protobuf.timestamp_pb2 import Timestamp

from resolver.matching.engine import Matcher
from resolver.matching.persist import SavedMatchers
from resolver.model.artefact import ModelArtefact
from resolver.model.train import iter_model_rows
from resolver.ownership.graph import OwnershipGraph
from resolver.ownership.load import graph_of
from resolver.ownership.rules import Rule, load_rules
from resolver.registry.store import RegistryStore, StoreError
from resolver.service.builder import prepare_matcher_elsewhere
from resolver.v1 import resolver_pb2 as pb

log = structlog.get_logger(__name__)

KINDS = {
    "person": pb.ENTITY_KIND_PERSON,
    "organization": pb.ENTITY_KIND_ORGANIZATION,
    "vessel": pb.ENTITY_KIND_VESSEL,
    "aircraft": pb.ENTITY_KIND_AIRCRAFT,
}


def partial_date(text: str | None) -> pb.PartialDate | None:
    """An ISO prefix ("1966", "1966-10", "1966-10-24") as a PartialDate; None when it is not one."""
    if not text:
        return None
    parts = text.split("-")
    try:
        numbers = [int(p) for p in parts[:3]]
    except ValueError:
        return None
    numbers += [0] * (3 - len(numbers))
    return pb.PartialDate(year=numbers[0], month=numbers[1], day=numbers[2])


def timestamp(value: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


class EntitySummaries(Mapping[str, pb.RegistryEntity]):
    """Every entity's summary, kept serialized (about a quarter of the memory of the messages themselves: 17
    against 60 MiB for the shared registries), parsed when asked for, in about a microsecond."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}

    def add(self, entity_id: str, summary: pb.RegistryEntity) -> None:
        self._blobs[entity_id] = summary.SerializeToString()

    def __getitem__(self, entity_id: str) -> pb.RegistryEntity:
        return pb.RegistryEntity.FromString(self._blobs[entity_id])

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._blobs

    def __iter__(self) -> Iterator[str]:
        return iter(self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)


@dataclass(frozen=True)
class ServedSnapshot:
    snapshot_id: int
    digest: str
    matcher: Matcher
    entities: EntitySummaries  # entity id → summary, copied into each match
    status: pb.GetRegistryStatusResponse
    store_path: Path
    ownership: OwnershipGraph
    rules: list[Rule]
    # serialized ownership assessments by (node, as-of date): a snapshot never changes, so neither do they
    # (servicer.py)
    assessments: dict[tuple[str, str], bytes] = field(default_factory=dict, compare=False)

    @property
    def artefact(self) -> ModelArtefact:
        return self.matcher.artefact


def saved_matchers_dir(store: RegistryStore) -> Path:
    """Where a store's snapshots' matchers are saved, to be mapped by every process serving them: beside it."""
    return store.path.with_name(store.path.name + ".matchers")


def prepare_matcher(store_path: Path, model_dir: Path | None = None, *, holding_lock: bool = False) -> str:
    """Make sure the store's current snapshot has a saved matcher (see persist.SavedMatchers), so that the
    processes serving it map it rather than build it (a build leaves a heap behind in the process that did it).
    `resolver serve` runs this in a process of its own before it starts serving; `resolver ingest` runs it after
    writing a snapshot, holding the lock (``holding_lock``). Returns how: "mapped", "saved" or "built"."""
    from resolver.model.artefact import DEFAULT_MODEL_DIR, load_artefact

    store = RegistryStore(store_path)
    status = store.status()
    if status.snapshot_id is None:
        raise StoreError(f"the store at {store.path} has no snapshot yet: run `resolver ingest`")
    snap, artefact = status.snapshot_id, load_artefact(model_dir or DEFAULT_MODEL_DIR)
    _, how = _snapshot_matcher(store, snap, status.snapshot_digest, artefact, holding_lock=holding_lock)
    log.info("matcher prepared", snapshot_id=snap, matcher=how)
    return how


def _saved_matchers(store: RegistryStore, snap: int, digest: str | None) -> tuple[SavedMatchers, str]:
    """The store's saved matchers, and the key of this snapshot's."""
    return SavedMatchers(saved_matchers_dir(store)), f"s{snap}-{(digest or 'none')[:16]}"


def _is_saved(store: RegistryStore, snap: int, digest: str | None) -> bool:
    saved, key = _saved_matchers(store, snap, digest)
    return saved.path(key).exists()


def _snapshot_matcher(
    store: RegistryStore, snap: int, digest: str | None, artefact: ModelArtefact, *, holding_lock: bool = False
) -> tuple[Matcher, str]:
    """The snapshot's matcher mapped from its saved copy, which is built (with a connection of its own: none is
    held while a process waits for another's build) and saved first when there is none. See SavedMatchers.get."""

    def build() -> Matcher:
        with store.connect(read_only=True) as con:
            return Matcher(iter_model_rows(con, snap, index_keys=True), artefact)

    saved, key = _saved_matchers(store, snap, digest)
    return saved.get(key, artefact, build, holding_lock=holding_lock)


def _prepared_words(matcher: Matcher, wanted: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The sorted words the matcher's rows hold for those (entity id, name) pairs it has (ownership.load.KnownWords):
    its rows prepared each name with the entity's stated kind, as the same-party keys do. One pass over the rows."""
    keys = set(wanted)
    entity_ids, names, words = (matcher.rows.columns[c] for c in ("entity_id", "name", "name_sorted"))
    found = {}
    for i in range(len(matcher.rows)):
        key = (entity_ids[i], names[i])
        if key in keys and (sorted_words := words[i]) is not None:
            found[key] = sorted_words
    return found


def load_snapshot(store: RegistryStore, artefact: ModelArtefact, snapshot: int | None = None) -> ServedSnapshot:
    """Build the served form of a snapshot (default: the store's current one)."""
    status = store.status(snapshot)
    if status.snapshot_id is None:
        raise StoreError(f"the store at {store.path} has no snapshot yet: run `resolver ingest`")
    snap = status.snapshot_id
    versions = {
        s.version_id: pb.SourceVersion(
            source=s.source, version_id=s.version_id, publisher_date=s.publisher_date or "", digest=s.digest
        )
        for s in status.sources
    }
    entities = EntitySummaries()
    with store.connect(read_only=True) as con:
        for eid, vid, source, source_id, kind, primary, programs, entity_topics, lists, listed in con.execute(
            "SELECT entity_id, version_id, source, source_id, kind, primary_name, programs, topics, lists, "
            "listing_date FROM entities WHERE version_id IN "
            "(SELECT version_id FROM snapshot_sources WHERE snapshot_id = ?)",
            [snap],
        ).fetchall():
            entity = pb.RegistryEntity(
                id=eid, source=source, source_id=source_id, source_version=versions[vid],
                kind=KINDS.get(kind, pb.ENTITY_KIND_UNSPECIFIED), primary_name=primary, programs=programs,
                topics=entity_topics, lists=lists,
            )  # fmt: skip
            if (date := partial_date(listed)) is not None:
                entity.listing_date.CopyFrom(date)
            entities.add(eid, entity)
    matcher, how = _snapshot_matcher(store, snap, status.snapshot_digest, artefact)
    with store.connect(read_only=True) as con:
        rules = load_rules()
        graph = graph_of(con, snap, rules, partial(_prepared_words, matcher))
    created = datetime.fromisoformat(status.created_at or "1970-01-01T00:00:00+00:00")
    response = pb.GetRegistryStatusResponse(
        snapshot_id=snap,
        snapshot_digest=status.snapshot_digest or "",
        snapshot_created_at=timestamp(created),
        entity_count=status.entities,
        name_count=status.names,
        model_version=artefact.version,
    )
    for s in status.sources:
        response.sources.append(
            pb.SourceStatus(
                version=versions[s.version_id],
                format=s.format,
                ingested_at=timestamp(datetime.fromisoformat(s.ingested_at)),
                entity_count=s.entities,
                name_count=s.names,
                relation_count=s.relations,
                entities_by_kind=[
                    pb.KindCount(kind=KINDS.get(k, pb.ENTITY_KIND_UNSPECIFIED), count=n)
                    for k, n in sorted(s.entities_by_kind.items())
                ],
                files=[pb.SourceFile(name=f["name"], sha256=f["sha256"], size_bytes=f["bytes"]) for f in s.files],
            )
        )
    log.info("snapshot loaded", snapshot_id=snap, entities=len(entities), names=len(matcher.rows), matcher=how)
    return ServedSnapshot(snap, status.snapshot_digest or "", matcher, entities, response, store.path, graph, rules)


def settle() -> None:
    """After a snapshot is built: hand freed memory back, and move every object alive now (the snapshot's
    hundreds of thousands) out of the cyclic garbage collector's sight (gc.freeze). A full collection would
    otherwise walk them all, about 0.1 s holding the GIL, at moments no one chooses: a latency spike for every
    call in flight. Snapshots are freed by reference counting; a swap unfreezes and collects first."""
    gc.unfreeze()
    gc.collect()
    release_freed_memory()
    gc.freeze()


def release_freed_memory() -> None:
    """Hand the heap that a snapshot build freed back to the system (glibc keeps it otherwise): a build
    allocates several times what the snapshot keeps, and each worker process would hold on to the difference."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class SnapshotHolder:
    """The snapshot being served, and a watcher that swaps in the store's newer snapshots.

    The watcher polls cheaply (the store file's size and modification time), and only when they change opens
    the store to read its current snapshot id. A new snapshot is loaded in the watcher's thread while requests
    go on against the old one; the swap is one reference assignment. Its matcher is mapped from the saved copy
    (`resolver ingest` saves one); with ``build_elsewhere``, a reload whose matcher is missing has a process of
    its own build and save it (prepare_matcher_elsewhere), not this one. A failed load is logged and retried at
    the next change: the old snapshot keeps serving.
    """

    def __init__(
        self,
        store: RegistryStore,
        artefact: ModelArtefact,
        current: ServedSnapshot | None = None,
        *,
        build_elsewhere: bool = False,
    ) -> None:
        self.store = store
        self.artefact = artefact
        self.build_elsewhere = build_elsewhere
        self.current = current or load_snapshot(store, artefact)
        settle()
        self.on_swap: Callable[[], None] | None = None  # called after each swap (metrics)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen = self._file_state()

    def _file_state(self) -> tuple[int, int] | None:
        try:
            stat = self.store.path.stat()
        except FileNotFoundError:
            return None
        wal = self.store.path.with_name(self.store.path.name + ".wal")
        wal_size = wal.stat().st_size if wal.exists() else 0
        return stat.st_mtime_ns, stat.st_size + wal_size

    def check(self) -> bool:
        """Swap in the store's current snapshot if it is newer than the one served. True when swapped."""
        state = self._file_state()
        if state == self._seen:
            return False
        try:
            status = self.store.status()
            newest = status.snapshot_id
            if newest is None or newest == self.current.snapshot_id:
                self._seen = state
                return False
            if self.build_elsewhere and not _is_saved(self.store, newest, status.snapshot_digest):
                prepare_matcher_elsewhere(self.store.path)  # failed: load_snapshot builds it here
            fresh = load_snapshot(self.store, self.artefact, newest)
        except Exception as exc:  # the old snapshot keeps serving; the next poll retries
            log.warning("snapshot reload failed", error=str(exc))
            return False
        old, self.current = self.current, fresh
        self._seen = state
        log.info("snapshot swapped", old=old.snapshot_id, new=fresh.snapshot_id)
        del old, fresh  # calls in flight may still hold the old snapshot; what is already free goes back now
        settle()
        if self.on_swap is not None:
            self.on_swap()
        return True

    def watch(self, interval_s: float = 2.0) -> None:
        def loop() -> None:
            while not self._stop.wait(interval_s):
                self.check()

        self._thread = threading.Thread(target=loop, name="snapshot-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
