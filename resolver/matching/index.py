"""Candidate index: blocking key -> registry name records, held in flat numpy arrays.

Each registry name record (one row per name of an entity, identified by an int32 record id) has a
list of blocking keys computed elsewhere ("s:<sorted tokens>", "t:<token>", "p:<phonetic key>",
"d:<dob>|<token>" ...). A query computes its keys the same way; its candidates are the records that
share at least one key with it.

Layout (CSR): every key is hashed to a stable 64-bit integer (blake2b, digest_size=8, over the
key's UTF-8 bytes, read little-endian), and the index holds three arrays:

- ``keys``      uint64, the distinct key hashes, sorted (lookup is ``np.searchsorted``);
- ``offsets``   int64, ``len(keys) + 1``: the block of ``keys[i]`` is ``postings[offsets[i]:offsets[i+1]]``;
- ``postings``  int32 record ids, sorted and unique within each block.

No Python object exists per record or per key: at most 20 bytes per (key, record) pair, so 1M
records x 6 keys take at most 120 MB of arrays (51 MiB on the synthetic benchmark, where tokens
repeat), against ~375 MiB for a dict[str, list[int]] of the same keys.
The key strings themselves are not kept: ``largest_keys`` names blocks from key strings it is given.

Hash collisions: with n distinct keys, the chance that any two of them share a 64-bit hash is about
n^2 / 2^65 (about 1e-6 for 6M keys), and the chance that a given query key lands on an unrelated
block is about n / 2^64 (3e-13). A collision can only add candidates, which the scorer then
rejects; it can never hide one.

The index is read-only once built (its arrays are flagged read-only) and keeps no caches, so any
number of threads may query it at once. ``save`` writes one ``.npy`` file per array, which ``load``
memory-maps read-only, so several server processes share one copy of the pages.
"""

from __future__ import annotations

import heapq
import json
import operator
import os
import shutil
import sys
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from hashlib import blake2b
from itertools import islice
from pathlib import Path
from typing import Any, Literal, SupportsIndex, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "HASH_SCHEME",
    "CandidateIndex",
    "CandidateSet",
    "IndexFormatError",
    "KeyedCandidateSet",
    "hash_key",
    "hash_keys",
]

# Stored in a saved index: an index hashed another way must not be loaded, its lookups would miss.
HASH_SCHEME = "blake2b-64-le-utf8"
FORMAT_VERSION = 1
_META = "meta.json"
_FILES = {"keys": "keys.npy", "offsets": "offsets.npy", "postings": "postings.npy"}
_LITTLE_ENDIAN = sys.byteorder == "little"
_MAX_RECORD_ID = int(np.iinfo(np.int32).max)
PAIR_CACHE = 4096  # sets of capped keys whose pairwise intersections are kept (each intersection <= the cap)
_BUILD_PARTS = 8  # hash ranges a build sorts one at a time (a power of two)
_PART_SHIFT = 8 - (_BUILD_PARTS.bit_length() - 1)
# Capped blocks holding more ids than n_records / _MARK_SHARE in all (at most _MARK_ABOVE) are intersected with a bit
# mask over every record, fewer by binary searches. The mask's fixed cost grows with the registry: on the shared
# registries (96,895 records) it is the faster from about 5,000 ids in all, twice as fast at 10,000 to 20,000 (the
# "mohammed" blocks); a million-record registry keeps the 20,000 it was given before.
_MARK_ABOVE = 20_000
_MARK_SHARE = 20


def _mark_from(n_records: int) -> int:
    """Capped blocks holding more ids than this in all are intersected with a bit mask (see _MARK_ABOVE)."""
    return min(_MARK_ABOVE, n_records // _MARK_SHARE)


_EMPTY_IDS: NDArray[np.int32] = np.empty(0, dtype=np.int32)
_EMPTY_IDS.flags.writeable = False

_A = TypeVar("_A", bound=np.ndarray[Any, Any])
Hashes = NDArray[np.uint64]
RecordIds = NDArray[np.int32]


class IndexFormatError(ValueError):
    """A saved index is missing, of another format or hash scheme, or its arrays are inconsistent."""


def hash_key(key: str) -> int:
    """The stable 64-bit hash of one blocking key (the same in every process, unlike ``hash()``)."""
    return int.from_bytes(blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


def hash_keys(keys: Iterable[str]) -> Hashes:
    """The stable 64-bit hashes of ``keys``, in order."""
    if isinstance(keys, str):
        raise TypeError("hash_keys takes an iterable of keys, not one string")
    # One bytes object for all digests, then one conversion: no Python int per key.
    digests = b"".join([blake2b(key.encode("utf-8"), digest_size=8).digest() for key in keys])
    return _from_digests(digests)


def _from_digests(digests: bytes | bytearray) -> Hashes:
    hashes: Hashes = np.frombuffer(digests, dtype=np.uint64)
    return hashes if _LITTLE_ENDIAN else hashes.byteswap()  # digests are read little-endian everywhere


@contextmanager
def new_directory(target: Path) -> Iterator[Path]:
    """A directory written whole or not at all: the block fills a temporary sibling, which is then renamed to
    ``target`` and the rename synced; on any error the sibling is removed. ``target`` must not exist
    (FileExistsError): a directory that other processes may have mapped is never overwritten."""
    if target.exists():
        raise FileExistsError(f"{target} exists; it is never overwritten (other processes may map it)")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself, durable
    finally:
        os.close(dir_fd)


def write_synced(path: Path, data: bytes | NDArray[Any]) -> None:
    """Write an array (as ``.npy``) or bytes to a new file, synced to disk."""
    with open(path, "wb") as fh:
        if isinstance(data, np.ndarray):
            np.save(fh, data, allow_pickle=False)
        else:
            fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


@dataclass(frozen=True, slots=True)
class CandidateSet:
    """The records sharing at least one key with a query.

    ``ids`` are sorted, unique and read-only (a view into the index when one block supplied
    them all). ``capped`` lists the query keys that were skipped, not
    truncated, because their block held more than ``cap`` records (with the block sizes in
    ``capped_sizes``), so callers can count capped blocks; a truncated block would be an arbitrary
    subset. ``blocks`` counts the query keys whose blocks were used. Keys absent from the index
    are neither used nor capped.
    """

    ids: RecordIds
    capped: tuple[str, ...] = ()
    capped_sizes: tuple[int, ...] = ()
    blocks: int = 0

    def __len__(self) -> int:
        return int(self.ids.size)


@dataclass(frozen=True, slots=True)
class KeyedCandidateSet(CandidateSet):
    """A ``CandidateSet`` that also tells which query keys each candidate came from.

    ``keys`` are the query's distinct keys in query order; ``hits[i, j]`` is true when ``ids[i]``
    is in the block of ``keys[j]`` (columns of absent or capped keys are all false).
    """

    keys: tuple[str, ...] = ()
    hits: NDArray[np.bool_] = field(default_factory=lambda: np.zeros((0, 0), dtype=np.bool_))

    def keys_of(self, record_id: int) -> list[str]:
        """The query keys shared with ``record_id`` (empty when it is not a candidate)."""
        row = int(np.searchsorted(self.ids, record_id))
        if row >= self.ids.size or self.ids[row] != record_id:
            return []
        return [key for key, hit in zip(self.keys, self.hits[row].tolist(), strict=True) if hit]


def _readonly(arr: _A) -> _A:
    arr.flags.writeable = False
    return arr


def _distinct(keys: Iterable[str]) -> list[str]:
    if isinstance(keys, str):
        raise TypeError("a query takes a list of keys, not one string")
    return list(dict.fromkeys(keys))  # a repeated query key is one block, counted once


def _intersect_sorted(small: RecordIds, large: RecordIds) -> RecordIds:
    """The ids in both sorted, unique blocks (``small`` no longer than ``large``), sorted: a binary search
    of the smaller in the larger, not np.intersect1d's sort of both (capped blocks hold up to 10^5 ids)."""
    if not small.size or not large.size:
        return _EMPTY_IDS
    at = large.searchsorted(small)
    at[at == large.size] = 0  # past the end: large[0] < small there, so no false match
    both: RecordIds = small[large[at] == small]
    return both


def _sorted_blocks(pair: list[NDArray[Any]]) -> tuple[Hashes, NDArray[np.intp], RecordIds]:
    """(distinct keys ascending, the start of each key's block, postings) from ``[hashes, record ids]``, which
    it empties so that each array is let go once its sorted copy exists. Sorted by (hash, record): each
    block's ids come out sorted, and a repeated pair is posted once."""
    h, r = pair
    pair.clear()
    order = np.lexsort((r, h))
    h = h[order]
    r = r[order]
    del order
    if h.size:
        # A record listing the same key twice is posted once.
        keep = np.empty(h.size, dtype=np.bool_)
        keep[0] = True
        np.not_equal(h[1:], h[:-1], out=keep[1:])
        keep[1:] |= r[1:] != r[:-1]
        if not keep.all():  # rare (keys are distinct per record): no copy otherwise
            h = h[keep]
            r = r[keep]
        del keep
    starts = np.flatnonzero(np.concatenate(([True], h[1:] != h[:-1]))) if h.size else np.empty(0, np.intp)
    return np.ascontiguousarray(h[starts]), starts, np.ascontiguousarray(r)


class CandidateIndex:
    """Blocking key -> sorted record ids, as sorted uint64 key hashes + CSR offsets + int32 postings.

    Build it with ``build`` (from ``(record_id, keys)`` pairs), ``from_key_lists`` (record id =
    position) or ``from_hashes`` (already hashed), or ``load`` a saved one.
    """

    __slots__ = ("_keys", "_n_records", "_offsets", "_pair_cache", "_postings")

    def __init__(self, keys: Hashes, offsets: NDArray[np.int64], postings: RecordIds, n_records: int) -> None:
        # Cheap checks only (no full scan), so that loading a memory-mapped index stays O(1).
        if keys.dtype != np.uint64 or keys.ndim != 1:
            raise IndexFormatError(f"keys must be a 1-D uint64 array, got {keys.dtype} with {keys.ndim} dims")
        if offsets.dtype != np.int64 or offsets.shape != (keys.size + 1,):
            raise IndexFormatError(
                f"offsets must be int64 of length {keys.size + 1}, got {offsets.dtype}{offsets.shape}"
            )
        if postings.dtype != np.int32 or postings.ndim != 1:
            raise IndexFormatError(f"postings must be a 1-D int32 array, got {postings.dtype}")
        if offsets[0] != 0 or offsets[-1] != postings.size:
            raise IndexFormatError("offsets must run from 0 to the number of postings")
        if n_records < 0 or (postings.size and n_records == 0):
            raise IndexFormatError(f"bad record count {n_records}")
        self._keys = _readonly(keys)
        self._offsets = _readonly(offsets)
        self._postings = _readonly(postings)
        self._n_records = n_records
        # Capped keys are the registry's commonest words ("mohammed", "ali"), so the same few pairs of them
        # come back query after query: their intersections are remembered (each at most the cap). A plain dict
        # (its operations are atomic for threads), not an lru_cache of a bound method: that would be a reference
        # cycle, and a served snapshot's index must be freed by reference counting alone (see snapshot.py).
        self._pair_cache: dict[tuple[tuple[str, ...], int], list[RecordIds]] = {}

    # -- building -----------------------------------------------------------------------------

    @classmethod
    def build(cls, records: Iterable[tuple[SupportsIndex, Iterable[str]]]) -> CandidateIndex:
        """Index ``(record_id, keys)`` pairs; ids are 0 <= id < 2**31, in any order, and may repeat.

        ``records`` is consumed once, so it can be a generator streaming from the store: only the
        hashes (8 bytes) and ids (4 bytes) of the keys are kept while reading.
        """
        # Partitioned by the hash's top bits while reading: the partitions are then sorted one at a time, so
        # the sort's temporaries are an eighth of the postings' size (at a million names, 16M postings).
        digests = [bytearray() for _ in range(_BUILD_PARTS)]
        ids = [array("i") for _ in range(_BUILD_PARTS)]  # C int: 32-bit on every platform numpy supports
        for record_id, keys in records:
            if isinstance(keys, str):
                raise TypeError(f"record {record_id}: keys must be a list of keys, not one string")
            rid = -1
            for key in keys:
                if rid < 0:
                    rid = operator.index(record_id)  # numpy ints from a store are fine, floats are not
                    if rid < 0:
                        raise ValueError(f"record ids must be >= 0, got {rid}")
                digest = blake2b(key.encode("utf-8"), digest_size=8).digest()
                part = digest[7] >> _PART_SHIFT  # the most significant byte of the little-endian hash
                digests[part] += digest
                ids[part].append(rid)  # OverflowError above 2**31 - 1
        return cls._from_parts(digests, ids)

    @classmethod
    def _from_parts(cls, digests: list[bytearray], ids: list[array[int]]) -> CandidateIndex:
        """The index from partitions of (hash, record id) pairs whose hash ranges are disjoint and ascending;
        each partition is released once sorted into the final arrays."""
        # (keys, block starts within the partition, postings) of each sorted partition
        parts: list[tuple[Hashes, NDArray[np.int32], RecordIds]] = []
        top = 0
        for p in range(len(ids)):
            r = np.frombuffer(ids[p], dtype=np.intc).astype(np.int32, copy=False)
            top = max(top, int(r.max()) + 1) if r.size else top
            pair: list[NDArray[Any]] = [_from_digests(digests[p]), r]
            del r
            digests[p], ids[p] = bytearray(), array("i")  # the arrays in ``pair`` hold the buffers now
            part_keys, starts, part_postings = _sorted_blocks(pair)
            parts.append((part_keys, starts.astype(np.int32), part_postings))  # a partition holds < 2**31
            del part_keys, starts, part_postings
        # Copied into the final arrays one partition at a time, each let go once copied: the final arrays' pages
        # fill as the partitions' are freed, instead of the whole index being held twice (np.concatenate).
        n_keys, n_postings = sum(k.size for k, _, _ in parts), sum(q.size for _, _, q in parts)
        all_keys = np.empty(n_keys, dtype=np.uint64)
        offsets = np.empty(n_keys + 1, dtype=np.int64)
        all_postings = np.empty(n_postings, dtype=np.int32)
        k = q = 0
        parts.reverse()
        while parts:
            part_keys, part_starts, part_postings = parts.pop()
            all_keys[k : k + part_keys.size] = part_keys
            offsets[k : k + part_keys.size] = part_starts
            offsets[k : k + part_keys.size] += q
            all_postings[q : q + part_postings.size] = part_postings
            k, q = k + part_keys.size, q + part_postings.size
            del part_keys, part_starts, part_postings
        offsets[-1] = n_postings
        return cls(all_keys, offsets, all_postings, top)

    @classmethod
    def from_key_lists(cls, key_lists: Iterable[Iterable[str]]) -> CandidateIndex:
        """Index key lists; the record id of each list is its position."""
        return cls.build(enumerate(key_lists))

    @classmethod
    def from_hashes(cls, hashes: ArrayLike, record_ids: ArrayLike, n_records: int | None = None) -> CandidateIndex:
        """Index parallel arrays of key hashes and record ids (one pair per key of a record).

        ``n_records`` defaults to the largest record id + 1.
        """
        return cls._from_pairs([np.asarray(hashes, dtype=np.uint64).ravel(), np.asarray(record_ids).ravel()], n_records)

    @classmethod
    def _from_pairs(cls, arrays: list[NDArray[Any]], n_records: int | None) -> CandidateIndex:
        """``from_hashes`` on ``[hashes, record_ids]``, which it empties: at a million records these arrays
        are 150 MB, and each is let go as soon as its sorted copy exists."""
        h, r = arrays
        arrays.clear()
        if h.shape != r.shape:
            raise ValueError(f"{h.size} hashes but {r.size} record ids")
        if r.size and (r.min() < 0 or r.max() > _MAX_RECORD_ID):
            raise ValueError(f"record ids must be in [0, {_MAX_RECORD_ID}]")
        r = r.astype(np.int32, copy=False)
        top = int(r.max()) + 1 if r.size else 0
        if n_records is None:
            n_records = top
        elif n_records < top:
            raise ValueError(f"n_records={n_records} but the largest record id is {top - 1}")
        pair = [h, r]
        del h, r
        keys, starts, postings = _sorted_blocks(pair)
        offsets = np.empty(starts.size + 1, dtype=np.int64)
        offsets[:-1] = starts
        offsets[-1] = postings.size
        return cls(keys, offsets, postings, n_records)

    # -- size ---------------------------------------------------------------------------------

    @property
    def n_records(self) -> int:
        """One more than the largest record id (or the count given at build)."""
        return self._n_records

    @property
    def n_keys(self) -> int:
        """Distinct keys (blocks)."""
        return int(self._keys.size)

    @property
    def n_postings(self) -> int:
        """(key, record) pairs."""
        return int(self._postings.size)

    @property
    def nbytes(self) -> int:
        """Bytes held by the three arrays (all of the index's memory, bar a few hundred bytes)."""
        return int(self._keys.nbytes + self._offsets.nbytes + self._postings.nbytes)

    @property
    def arrays(self) -> tuple[Hashes, NDArray[np.int64], RecordIds]:
        """The read-only ``(keys, offsets, postings)`` arrays."""
        return self._keys, self._offsets, self._postings

    def __repr__(self) -> str:
        return (
            f"CandidateIndex(records={self._n_records:,}, keys={self.n_keys:,}, postings={self.n_postings:,}, "
            f"{self.nbytes / 2**20:.1f} MiB)"
        )

    # -- queries ------------------------------------------------------------------------------

    def _spans(self, hashes: Hashes) -> list[tuple[int, int, int]]:
        """``(j, start, end)`` for each ``hashes[j]`` that is a key: its block is ``postings[start:end]``."""
        keys, offsets, n = self._keys, self._offsets, self._keys.size
        key_at, offset_at = keys.item, offsets.item  # .item gives Python ints, faster than numpy scalars
        # One vectorised search, then plain Python over a handful of keys, where numpy calls cost more.
        return [
            (j, offset_at(p), offset_at(p + 1))
            for j, (p, h) in enumerate(zip(keys.searchsorted(hashes).tolist(), hashes.tolist(), strict=True))
            if p < n and key_at(p) == h
        ]

    def _blocks(
        self, keys: list[str], cap: int | None
    ) -> tuple[list[tuple[int, RecordIds]], tuple[str, ...], tuple[int, ...]]:
        if cap is not None and cap < 0:
            raise ValueError(f"cap must be >= 0 or None, got {cap}")
        used: list[tuple[int, RecordIds]] = []
        capped: list[str] = []
        capped_sizes: list[int] = []
        for j, start, end in self._spans(hash_keys(keys)):
            if cap is not None and end - start > cap:
                capped.append(keys[j])
                capped_sizes.append(end - start)
                continue
            used.append((j, self._postings[start:end]))
        return used, tuple(capped), tuple(capped_sizes)

    @staticmethod
    def _union(blocks: Sequence[RecordIds]) -> RecordIds:
        if not blocks:
            return _EMPTY_IDS
        if len(blocks) == 1:
            return blocks[0]  # already sorted and unique; a read-only view, no copy
        ids = np.concatenate(blocks)
        ids.sort()
        # Not np.unique: its generality costs ~20 us a call, more than the whole lookup.
        keep = np.empty(ids.size, dtype=np.bool_)
        keep[0] = True
        np.not_equal(ids[1:], ids[:-1], out=keep[1:])
        return ids[keep]

    def candidates(self, keys: Iterable[str], cap: int | None = None, *, pair_capped: bool = False) -> CandidateSet:
        """Records sharing at least one of ``keys``; blocks larger than ``cap`` are skipped and reported.

        Keys absent from the index are ignored; a key given twice counts once. With ``pair_capped``,
        the records in two capped blocks at once ("muhammad" and "hussein") are candidates too, when
        that intersection is within the cap: a name made only of common words still finds its peers.
        """
        distinct = _distinct(keys)
        if not distinct:
            return CandidateSet(_EMPTY_IDS)
        used, capped, capped_sizes = self._blocks(distinct, cap)
        blocks = [block for _, block in used]
        if pair_capped and cap is not None and len(capped) >= 2:
            blocks += self._capped_pairs(tuple(sorted(capped)), cap)
        ids = self._union(blocks)
        return CandidateSet(ids, capped, capped_sizes, len(used))

    def _capped_pairs(self, capped: tuple[str, ...], cap: int) -> list[RecordIds]:
        found = self._pair_cache.get((capped, cap))
        if found is None:
            found = self._intersect_capped(capped, cap)
            if len(self._pair_cache) >= PAIR_CACHE:
                self._pair_cache.clear()  # crude but bounded
            self._pair_cache[(capped, cap)] = found
        return found

    def _intersect_capped(self, capped: Sequence[str], cap: int, most: int = 6) -> list[RecordIds]:
        """Intersections of pairs of capped blocks that fit the cap (the smallest blocks first)."""
        blocks = sorted((self.block(key) for key in capped), key=len)[:most]
        out = []
        if sum(b.size for b in blocks) > _mark_from(self._n_records) and most <= 8:
            # Large blocks (10^4 to 10^5 ids at a million names): mark each record with a bit per block,
            # then read the bits of the smaller block of each pair. Binary searches of one large block
            # in another cost milliseconds; this touches each id once or twice.
            bits = np.zeros(self._n_records, dtype=np.uint8)  # per call, so readers share nothing
            for b, block in enumerate(blocks):
                bits[block] |= np.uint8(1 << b)
            for i in range(len(blocks)):
                mine = bits[blocks[i]]
                for j in range(i + 1, len(blocks)):
                    both = blocks[i][(mine & np.uint8(1 << j)) != 0]
                    if 0 < both.size <= cap:
                        out.append(both)
            return out
        for i in range(len(blocks)):
            for j in range(i + 1, len(blocks)):
                both = _intersect_sorted(blocks[i], blocks[j])
                if 0 < both.size <= cap:
                    out.append(both)
        return out

    def candidates_by_key(self, keys: Iterable[str], cap: int | None = None) -> KeyedCandidateSet:
        """``candidates``, plus which query keys each candidate shares (``hits``)."""
        distinct = _distinct(keys)
        used, capped, capped_sizes = self._blocks(distinct, cap) if distinct else ([], (), ())
        ids = self._union([block for _, block in used])
        hits = np.zeros((ids.size, len(distinct)), dtype=np.bool_)
        for j, block in used:
            hits[np.searchsorted(ids, block), j] = True  # every block id is in ids: exact positions
        return KeyedCandidateSet(ids, capped, capped_sizes, len(used), keys=tuple(distinct), hits=hits)

    def block(self, key: str) -> RecordIds:
        """The sorted record ids of one key's block (empty when the key is absent), uncapped."""
        for _, start, end in self._spans(hash_keys([key])):
            return self._postings[start:end]
        return _EMPTY_IDS

    def block_size(self, key: str) -> int:
        """How many records share ``key`` (0 when absent)."""
        for _, start, end in self._spans(hash_keys([key])):
            return end - start
        return 0

    # -- statistics ---------------------------------------------------------------------------

    def block_sizes(self) -> NDArray[np.int64]:
        """The size of every block, in key-hash order (``np.percentile`` or ``np.bincount`` it)."""
        return np.diff(self._offsets)

    def largest_blocks(self, n: int = 20) -> list[tuple[int, int]]:
        """``(key hash, size)`` of the ``n`` largest blocks, largest first."""
        sizes = self.block_sizes()
        n = min(n, sizes.size)
        if n <= 0:
            return []
        top = np.argpartition(sizes, sizes.size - n)[sizes.size - n :]  # no full sort of millions
        top = top[np.lexsort((self._keys[top], -sizes[top]))]
        return list(zip(self._keys[top].tolist(), sizes[top].tolist(), strict=True))

    def largest_keys(self, n: int, keys: Iterable[str], chunk: int = 100_000) -> list[tuple[str, int]]:
        """The ``n`` largest blocks among ``keys``, named: ``(key, size)``, largest first.

        The index keeps hashes, not key strings, so it names its blocks from the strings it is
        given (e.g. the registry's keys recomputed, streamed). Keys may repeat; they are read in
        chunks, so a generator over millions of keys is fine.
        """
        if isinstance(keys, str):
            raise TypeError("largest_keys takes an iterable of keys, not one string")
        best: list[tuple[int, str]] = []  # min-heap of (size, key), at most n long
        seen: set[str] = set()  # keys already in the heap, so a repeated key is not listed twice
        it = iter(keys)
        while batch := list(dict.fromkeys(islice(it, chunk))):
            for j, start, end in self._spans(hash_keys(batch)):
                key = batch[j]
                if key in seen:
                    continue
                item = (end - start, key)
                if len(best) < n:
                    heapq.heappush(best, item)
                    seen.add(key)
                elif item > best[0]:
                    seen.discard(heapq.heapreplace(best, item)[1])
                    seen.add(key)
        return [(key, size) for size, key in sorted(best, key=lambda item: (-item[0], item[1]))]

    # -- persistence --------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the index as a new directory of ``.npy`` files (uncompressed, so it can be mapped), whole or not
        at all (``new_directory``): ``path`` must not exist yet, an index that other processes may have mapped is
        never overwritten."""
        target = Path(path)
        with new_directory(target) as tmp:
            for name, arr in ((_FILES["keys"], self._keys), (_FILES["offsets"], self._offsets),
                              (_FILES["postings"], self._postings)):  # fmt: skip
                write_synced(tmp / name, arr)
            meta = {
                "format": "resolver-candidate-index",
                "version": FORMAT_VERSION,
                "hash": HASH_SCHEME,
                "n_records": self._n_records,
                "n_keys": self.n_keys,
                "n_postings": self.n_postings,
            }
            write_synced(tmp / _META, json.dumps(meta, indent=2).encode("utf-8"))
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str], mmap: bool = True) -> CandidateIndex:
        """Open a saved index; with ``mmap`` (the default) its arrays are read-only memory maps,
        paged in on use and shared between every process that maps the same files."""
        source = Path(path)
        try:
            meta = json.loads((source / _META).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise IndexFormatError(f"{source} is not a saved candidate index (no {_META})") from exc
        if meta.get("format") != "resolver-candidate-index" or meta.get("version") != FORMAT_VERSION:
            raise IndexFormatError(f"{source}: unsupported index format {meta.get('format')} v{meta.get('version')}")
        if meta.get("hash") != HASH_SCHEME:
            raise IndexFormatError(f"{source}: keys hashed with {meta.get('hash')}, this code uses {HASH_SCHEME}")
        mode: Literal["r"] | None = "r" if mmap else None
        # np.asarray drops the np.memmap subclass but keeps the mapping alive as the array's base.
        keys, offsets, postings = (
            np.asarray(np.load(source / name, mmap_mode=mode, allow_pickle=False)) for name in _FILES.values()
        )
        index = cls(keys, offsets, postings, int(meta["n_records"]))
        if index.n_keys != meta.get("n_keys") or index.n_postings != meta.get("n_postings"):
            raise IndexFormatError(f"{source}: array sizes do not match {_META}")
        return index
