"""A built matcher on disk: written once, memory-mapped by every process that serves it.

Building a matcher prepares every registry name (seconds, and a heap that a long-lived process keeps). Saved,
its rows and index are plain files: a server maps them read-only in well under a second, and the kernel keeps
one copy of their pages for every worker process (`resolver serve --workers N`).

A saved matcher is a directory:

- ``meta.json``: format and version, the hash schemes, the row count, and ``features``, the digest of the code
  and libraries that made the rows (``features_digest``): a matcher saved by other name-preparation code must
  not be served, its rows would not be the ones this code's queries are compared with;
- ``values.json``: the token vocabulary and the coded columns' distinct values;
- ``<column>.buf``: a string column's UTF-8 (mapped with ``mmap``: a slice is a bytes object, as from bytes);
- ``<column>.<array>.npy``: every other array (mapped by numpy);
- ``index/``: the candidate index (``CandidateIndex.save``).

The model is not saved: the matcher is loaded with an artefact, and the term frequencies and scorer are made
from the saved arrays (``Matcher.assembled``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import mmap
import os
import shutil
import time
from collections.abc import Callable, Iterator
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import structlog
from numpy.typing import NDArray

from resolver.matching.columns import (
    HASH_SCHEME,
    CodedColumn,
    Column,
    Frequencies,
    RegistryRows,
    StringColumn,
    TokenColumn,
)
from resolver.matching.engine import DEFAULT_BLOCK_CAP, Matcher
from resolver.matching.index import HASH_SCHEME as INDEX_HASH_SCHEME
from resolver.matching.index import CandidateIndex, new_directory, write_synced
from resolver.model.artefact import ModelArtefact

log = structlog.get_logger(__name__)

FORMAT = "resolver-matcher"
VERSION = 1
_META = "meta.json"
_VALUES = "values.json"
_INDEX = "index"

_PACKAGE = Path(__file__).resolve().parents[1]
# The code that decides what a registry row holds: name preparation, the model row, the rows' layout and keys.
_FEATURE_SOURCES = (
    "names",
    "model/features.py",
    "model/train.py",
    "registry/parsers/_common.py",
    "matching/columns.py",
    "matching/index.py",
    "matching/engine.py",
    "matching/persist.py",
)
# Libraries whose data changes a prepared name (transliteration, legal forms, phonetics) or the saved arrays.
_FEATURE_LIBRARIES = ("rigour", "normality", "pyicu", "numpy")


class SavedMatcherError(ValueError):
    """A saved matcher is missing, incomplete, of another format, or made by other code."""


@cache  # the sources cannot change under a running process
def features_digest() -> str:
    """sha256 over the sources and library versions that decide a registry row's features (see module doc)."""
    digest = hashlib.sha256()
    for entry in _FEATURE_SOURCES:
        path = _PACKAGE / entry
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.relative_to(_PACKAGE).as_posix().encode() + b"\0" + file.read_bytes() + b"\0")
    for library in _FEATURE_LIBRARIES:
        try:
            version = metadata.version(library)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{library}={version}\0".encode())
    return digest.hexdigest()


def save_matcher(matcher: Matcher, path: Path, features: str | None = None) -> Path:
    """Write ``matcher`` as a new directory ``path`` (see module doc), whole or not at all (index.new_directory):
    ``path`` must not exist, a saved matcher others may have mapped is never overwritten (FileExistsError)."""
    with new_directory(path) as tmp:
        coded: dict[str, list[Any]] = {}
        kinds: dict[str, str] = {}
        written: dict[str, list[str]] = {}  # file prefix → its arrays: load reads exactly these
        for name, column in matcher.rows.columns.items():
            if isinstance(column, StringColumn):
                buf, arrays = column.saved()
                write_synced(tmp / f"{name}.buf", bytes(buf))
                kinds[name] = "string"
            elif isinstance(column, CodedColumn):
                codes, coded[name] = column.saved()
                arrays = {"codes": codes}
                kinds[name] = "coded"
            else:
                arrays = column.saved()
                kinds[name] = "tokens"
            _write_arrays(tmp, name, arrays, written)
        frequencies = {c: t for c, t in matcher.scorer.tf_tables.items() if isinstance(t, Frequencies)}
        for column_name, table in frequencies.items():
            _write_arrays(tmp, f"{column_name}.tf", table.saved(), written)
        values = {"tokens": matcher.rows.tokens, "coded": coded}
        write_synced(tmp / _VALUES, json.dumps(values, ensure_ascii=False).encode("utf-8"))
        matcher.index.save(tmp / _INDEX)
        meta = {
            "format": FORMAT,
            "version": VERSION,
            "row_hash": HASH_SCHEME,
            "index_hash": INDEX_HASH_SCHEME,
            "features": features or features_digest(),
            "model_version": matcher.artefact.version,  # for people reading the directory: not checked on load
            "rows": len(matcher.rows),
            "columns": kinds,
            "arrays": written,
            "frequencies": sorted(frequencies),
        }
        write_synced(tmp / _META, json.dumps(meta, indent=2).encode("utf-8"))
    return path


def _write_arrays(directory: Path, prefix: str, arrays: dict[str, NDArray[Any]], written: dict[str, list[str]]) -> None:
    for key, arr in arrays.items():
        write_synced(directory / f"{prefix}.{key}.npy", arr)
    written[prefix] = sorted(arrays)


def _map(path: Path) -> bytes | mmap.mmap:
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return b""  # an empty file cannot be mapped
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)  # the mapping outlives the descriptor


def _arrays(path: Path, prefix: str, meta: dict[str, Any]) -> dict[str, NDArray[Any]]:
    """The arrays saved under ``prefix``, mapped read-only (np.asarray keeps the map as the array's base)."""
    return {
        key: np.asarray(np.load(path / f"{prefix}.{key}.npy", mmap_mode="r", allow_pickle=False))
        for key in meta["arrays"][prefix]
    }


def load_matcher(path: Path, artefact: ModelArtefact, *, block_cap: int = DEFAULT_BLOCK_CAP) -> Matcher:
    """Map a saved matcher (read-only; pages shared with every process mapping the same files) and compile the
    artefact's scorer over it. SavedMatcherError when the directory is not one this code can serve."""
    try:
        meta = json.loads((path / _META).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SavedMatcherError(f"{path} is not a saved matcher: {exc}") from exc
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise SavedMatcherError(f"{path}: format {meta.get('format')} v{meta.get('version')}, not {FORMAT} v{VERSION}")
    if meta.get("row_hash") != HASH_SCHEME or meta.get("index_hash") != INDEX_HASH_SCHEME:
        raise SavedMatcherError(f"{path}: hashed with {meta.get('row_hash')}/{meta.get('index_hash')}")
    if meta.get("features") != features_digest():
        raise SavedMatcherError(f"{path}: saved by other name-preparation code or libraries")
    try:
        values = json.loads((path / _VALUES).read_text(encoding="utf-8"))
        tokens: list[str] = values["tokens"]
        vocabulary = {token: i for i, token in enumerate(tokens)}
        columns: dict[str, Column] = {}
        for name, kind in meta["columns"].items():
            arrays = _arrays(path, name, meta)
            if kind == "string":
                columns[name] = StringColumn.restored(name, _map(path / f"{name}.buf"), arrays)
            elif kind == "coded":
                columns[name] = CodedColumn.restored(name, arrays["codes"], values["coded"][name])
            else:
                columns[name] = TokenColumn.restored(name, vocabulary, tokens, arrays)
        rows = RegistryRows.restored(columns, tokens)
        frequencies = {}
        for name in meta["frequencies"]:
            column = columns[name]
            if not isinstance(column, StringColumn):
                raise SavedMatcherError(f"{path}: term frequencies of {name}, which is not a string column")
            frequencies[name] = Frequencies.restored(column, _arrays(path, f"{name}.tf", meta))
        index = CandidateIndex.load(path / _INDEX)
        if len(rows) != meta["rows"]:
            raise SavedMatcherError(f"{path}: {len(rows)} rows, meta.json says {meta['rows']}")
        return Matcher.assembled(rows, index, artefact, frequencies, block_cap=block_cap)
    except SavedMatcherError:
        raise
    except (OSError, ValueError, KeyError) as exc:  # a file missing or damaged
        raise SavedMatcherError(f"{path}: cannot load the saved matcher: {exc}") from exc


class SavedMatchers:
    """A directory of saved matchers, one per key (e.g. a registry snapshot), shared by the processes serving it.

    ``get`` maps the saved matcher of a key, building and saving it first when there is none. A lock file makes
    concurrent processes build a key once: the others wait, then map what it saved. Where the directory cannot be
    written (a read-only store), ``get`` returns the matcher it built, in this process's memory, and says so. The
    newest ``keep`` matchers stay; older ones are removed (processes still mapping them keep their pages).
    """

    def __init__(self, root: Path, keep: int = 3) -> None:
        self.root = root
        self.keep = keep

    def path(self, key: str) -> Path:
        return self.root / f"{key}-{features_digest()[:12]}"

    @contextlib.contextmanager
    def locked(self) -> Iterator[bool]:
        """Hold the directory's build lock while the block runs (True), or yield False where the directory cannot
        be written. ``resolver ingest`` holds it from writing a snapshot to saving its matcher: a server that sees
        the new snapshot in between waits for the matcher rather than building its own."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            lock = open(self.root / ".lock", "a+b")  # noqa: SIM115 (held for the whole block)
        except OSError as exc:
            log.warning("saved matchers unavailable; building in memory", directory=str(self.root), error=str(exc))
            yield False
            return
        with lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)  # another process building: wait for it
            yield True

    def get(
        self, key: str, artefact: ModelArtefact, build: Callable[[], Matcher], *, holding_lock: bool = False
    ) -> tuple[Matcher, str]:
        """(matcher, how): how is "mapped" (it was saved already), "saved" (built here, saved, mapped) or
        "built" (built here and kept in memory: the directory could not be written). ``holding_lock``: the caller
        is inside ``locked()`` (a lock is not taken twice)."""
        path = self.path(key)
        if path.exists():
            with contextlib.suppress(SavedMatcherError):
                return load_matcher(path, artefact), "mapped"
        if holding_lock:
            return self._get_locked(path, artefact, build)
        with self.locked() as held:
            if not held:
                return build(), "built"
            return self._get_locked(path, artefact, build)

    def _get_locked(self, path: Path, artefact: ModelArtefact, build: Callable[[], Matcher]) -> tuple[Matcher, str]:
        if path.exists():  # saved by the process that held the lock before
            try:
                return load_matcher(path, artefact), "mapped"
            except SavedMatcherError as exc:  # damaged (a disk error): set aside, rebuilt below
                log.warning("saved matcher unusable; rebuilding", path=str(path), error=str(exc))
                with contextlib.suppress(OSError):  # if it stays, saving fails below and memory serves
                    os.rename(path, path.with_name(f".broken-{path.name}-{os.getpid()}"))
        built = build()
        try:
            save_matcher(built, path)
        except OSError as exc:
            log.warning("cannot save the matcher; serving it from memory", path=str(path), error=str(exc))
            return built, "built"
        del built  # the mapped copy replaces it: its pages are shared, the built one's would not be
        self._prune(path)
        return load_matcher(path, artefact), "saved"

    def _prune(self, newest: Path) -> None:
        """Remove all but the ``keep`` newest saved matchers, and temporary or broken directories an hour old."""
        now = time.time()
        saved, stale = [], []
        for entry in self.root.iterdir():
            if not entry.is_dir() or entry == newest:
                continue
            if entry.name.startswith("."):
                if now - entry.stat().st_mtime > 3600:
                    stale.append(entry)
            else:
                saved.append(entry)
        saved.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for entry in saved[max(self.keep - 1, 0) :] + stale:
            shutil.rmtree(entry, ignore_errors=True)
