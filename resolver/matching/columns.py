"""The matcher's registry rows, column-wise: a million names in well under a gigabyte.

Strings live in one UTF-8 buffer per column (with a hash per row where equality is tested), token lists as ids
into a vocabulary, and the few columns with few distinct values as codes into a list of those values.
``RegistryRows.row(i)`` decodes a row on demand, with the same values the model rows had (lists as tuples).
"""

from __future__ import annotations

import mmap
import sys
import zlib
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence, ValuesView
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from resolver.model.features import COLUMNS

_CODED = ("kind", "name_script", "legal_form", "dob_dates", "dob_months", "dob_years", "countries", "identifiers")
# Lists of name tokens: CSR over a token vocabulary, so that overlaps can be counted with numpy.
_TOKENS = ("name_tokens", "name_folded_tokens", "name_skeleton_tokens", "name_slavic_tokens")
# String columns the prefilter compares for equality (and tf tables look up): a hash per row.
_HASHED = (
    "name_norm",
    "name_sorted",
    "name_folded",
    "name_phonetic",
    "name_skeleton",
    "name_skeleton_full",
    "name_slavic_full",
)
# Jaro-Winkler floors below 1 are first checked against a bound from character counts (see _jw_bound).
_HISTOGRAMMED = ("name_sorted", "name_folded")

# Character classes of the histograms: a-z, 0-9, space, and every other byte in one class.
_BINS = 38
_BIN_OF_BYTE = np.full(256, _BINS - 1, dtype=np.uint8)
for _j, _c in enumerate(b"abcdefghijklmnopqrstuvwxyz0123456789 "):
    _BIN_OF_BYTE[_c] = _j
_CONTINUATION = np.zeros(256, dtype=np.bool_)
_CONTINUATION[0x80:0xC0] = True  # UTF-8 continuation bytes: not the start of a character
_ONES = np.ones(_BINS, dtype=np.float32)


HASH_SCHEME = "crc32-utf8"  # of the hashes stored per row: a matcher saved by one process is mapped by others


def _hash(value: str) -> int:
    """The CRC-32 of the value's UTF-8: the same in every process (Python's str hash is salted per process, and
    saved matchers are mapped by other processes). Equal hashes are only ever a hint: a collision adds a
    candidate to score, or a value to compare, never more."""
    return zlib.crc32(value.encode("utf-8", "surrogatepass"))


def _own(value: str) -> str:
    """An interned copy of ``value``: keeping the caller's string would keep the memory around it (the
    row it came from) from being handed back once the rows are gone."""
    return sys.intern(value.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass"))


def _frozen(arr: NDArray[Any]) -> NDArray[Any]:
    arr.flags.writeable = False
    return arr


class StringColumn(Sequence[str | None]):
    """Nullable strings in one UTF-8 buffer with offsets; optionally a hash per row (for equality
    tests and lookups by value) and character histograms (for Jaro-Winkler bounds)."""

    def __init__(self, name: str, hashed: bool = False) -> None:
        self.name = name
        self._buffer = bytearray()  # not a bytes object per value: millions of small objects fragment the heap
        self._ends: array[int] = array("I")  # 32-bit while the buffer is under 4 GiB (see append)
        self._nulls = array("b")
        self._hash_list: array[int] | None = array("I") if hashed else None
        self.hashes: NDArray[np.uint32] | None = None
        self.histograms: NDArray[np.uint8] | None = None
        self.lengths: NDArray[np.int32] | None = None  # in characters

    def append(self, value: str | None) -> None:
        if value is None:
            self._nulls.append(1)
            data = None
        else:
            data = value.encode("utf-8", "surrogatepass")
            self._buffer += data
            self._nulls.append(0)
        if len(self._buffer) >= 2**32 and self._ends.typecode == "I":
            self._ends = array("q", self._ends)
        self._ends.append(len(self._buffer))
        if self._hash_list is not None:
            self._hash_list.append(zlib.crc32(data) if data is not None else 0)  # _hash(value)

    def freeze(self, histograms: bool = False) -> None:
        self._buf: bytes | mmap.mmap = bytes(self._buffer)
        self._buffer = bytearray()
        ends = np.frombuffer(self._ends, dtype=np.uint32 if self._ends.typecode == "I" else np.int64)
        dtype = np.uint32 if len(self._buf) < 2**32 else np.int64
        self._offsets: NDArray[Any] = _frozen(np.concatenate(([0], ends)).astype(dtype))
        self._null: NDArray[np.bool_] = _frozen(np.frombuffer(self._nulls, dtype=np.int8).astype(np.bool_))
        self._offset_at = self._offsets.item
        self._null_at = self._null.item
        self._ends, self._nulls = array("q"), array("b")
        if self._hash_list is not None:
            self.hashes = _frozen(np.frombuffer(self._hash_list, dtype=np.uint32).copy())
            self._hash_list = None
        if histograms:
            self._histograms()

    def saved(self) -> tuple[bytes | mmap.mmap, dict[str, NDArray[Any]]]:
        """A frozen column's UTF-8 buffer and arrays, as ``restored`` takes them back (see persist.py)."""
        arrays = {"offsets": self._offsets, "null": self._null}
        for key, value in (("hashes", self.hashes), ("histograms", self.histograms), ("lengths", self.lengths)):
            if value is not None:
                arrays[key] = value
        return self._buf, arrays

    @classmethod
    def restored(cls, name: str, buf: bytes | mmap.mmap, arrays: Mapping[str, NDArray[Any]]) -> StringColumn:
        """A frozen column over a saved buffer (an mmap slices to bytes as cheaply as bytes do) and arrays."""
        self = cls(name)
        self._hash_list = None
        self._buf = buf
        self._offsets, self._null = arrays["offsets"], arrays["null"]
        self._offset_at, self._null_at = self._offsets.item, self._null.item
        self.hashes, self.histograms = arrays.get("hashes"), arrays.get("histograms")
        self.lengths = arrays.get("lengths")
        return self

    def _histograms(self, chunk: int = 65_536) -> None:
        n = len(self)
        hist = np.zeros((n, _BINS), dtype=np.uint8)
        lengths = np.zeros(n, dtype=np.int32)
        buf = np.frombuffer(self._buf, dtype=np.uint8)
        offsets = self._offsets.astype(np.int64)
        for lo in range(0, n, chunk):  # in chunks: the per-byte arrays of a million names are large
            hi = min(lo + chunk, n)
            start, end = int(offsets[lo]), int(offsets[hi])
            data = buf[start:end]
            sizes = np.diff(offsets[lo : hi + 1])
            rows = np.repeat(np.arange(hi - lo), sizes)
            counts = np.bincount(rows * _BINS + _BIN_OF_BYTE[data], minlength=(hi - lo) * _BINS)
            counts = counts.reshape(hi - lo, _BINS)
            # a row with a count over 255 gets 255 in every class: its bound is then the query's length
            hist[lo:hi] = np.where((counts.max(axis=1) > 255)[:, None], 255, counts)
            lengths[lo:hi] = np.bincount(rows, weights=~_CONTINUATION[data], minlength=hi - lo).astype(np.int32)
        self.histograms, self.lengths = _frozen(hist), _frozen(lengths)

    def __len__(self) -> int:
        return int(self._null.size)

    def get(self, i: int) -> str | None:
        if self._null_at(i):
            return None
        return self._buf[self._offset_at(i) : self._offset_at(i + 1)].decode("utf-8", "surrogatepass")

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self.get(j) for j in range(*i.indices(len(self)))]
        return self.get(int(i))

    def __iter__(self) -> Iterator[str | None]:
        return (self.get(i) for i in range(len(self)))

    @property
    def nbytes(self) -> int:
        arrays = [self._offsets, self._null, self.hashes]
        arrays += [self.histograms, self.lengths]
        return len(self._buf) + sum(a.nbytes for a in arrays if a is not None)


# The numpy type of a CodedColumn's build array, by its typecode: it holds -1 (None) and the codes 0 .. its max.
_CODE_DTYPE: dict[str, type[np.signedinteger[Any]]] = {"b": np.int8, "h": np.int16, "i": np.int32}


class CodedColumn(Sequence[Any]):
    """Values with few distinct values (a kind, a tuple of countries): a code per row (the narrowest int
    type that holds them), -1 for None, into the list of distinct values."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._codes = array("b")  # widened as values come (see append): the build holds a million of them
        self._code_of: dict[Any, int] = {}
        self.values: list[Any] = []

    def append(self, value: Any) -> None:
        if value is None:
            self._codes.append(-1)
            return
        key = value if isinstance(value, str) else tuple(value)
        code = self._code_of.get(key)
        if code is None:
            key = _own(key) if isinstance(key, str) else tuple(_own(v) for v in key)
            code = self._code_of[key] = len(self.values)
            self.values.append(key)
            if code > np.iinfo(_CODE_DTYPE[self._codes.typecode]).max:
                self._codes = array("h" if code < 2**15 else "i", self._codes)
        self._codes.append(code)

    def freeze(self) -> None:
        # the build array is already the narrowest that holds the codes (append widens it)
        codes = np.frombuffer(self._codes, dtype=_CODE_DTYPE[self._codes.typecode])
        self.codes: NDArray[Any] = _frozen(codes.copy())
        self._code_at = self.codes.item
        self._codes, self._code_of = array("i"), {}

    def saved(self) -> tuple[NDArray[Any], list[Any]]:
        """A frozen column's codes and distinct values (see persist.py)."""
        return self.codes, self.values

    @classmethod
    def restored(cls, name: str, codes: NDArray[Any], values: Sequence[Any]) -> CodedColumn:
        """A frozen column from saved codes and values (lists, as JSON gives them back, become tuples again)."""
        self = cls(name)
        self.values = [tuple(v) if isinstance(v, list) else v for v in values]
        self.codes = codes
        self._code_at = codes.item
        return self

    def __len__(self) -> int:
        return int(self.codes.size)

    def get(self, i: int) -> Any:
        code = self._code_at(i)
        return None if code < 0 else self.values[code]

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self.get(j) for j in range(*i.indices(len(self)))]
        return self.get(int(i))

    @property
    def nbytes(self) -> int:
        return int(self.codes.nbytes) + sum(sys.getsizeof(v) for v in self.values)


class TokenColumn(Sequence[Any]):
    """Nullable tuples of tokens, as CSR rows of token ids into a shared vocabulary."""

    def __init__(self, name: str, vocabulary: dict[str, int], tokens: list[str]) -> None:
        self.name = name
        self._vocabulary, self._tokens = vocabulary, tokens
        self._ids = array("i")
        self._ends: array[int] = array("I")  # 32-bit while there are fewer than 2**32 ids (see append)
        self._nulls = array("b")

    def append(self, value: Sequence[str] | None) -> None:
        if value is None:
            self._nulls.append(1)
        else:
            self._nulls.append(0)
            for token in value:
                tid = self._vocabulary.get(token)
                if tid is None:
                    token = _own(token)
                    tid = self._vocabulary[token] = len(self._tokens)
                    self._tokens.append(token)
                self._ids.append(tid)
        if len(self._ids) >= 2**32 and self._ends.typecode == "I":
            self._ends = array("q", self._ends)
        self._ends.append(len(self._ids))

    def freeze(self) -> None:
        self.ids: NDArray[np.int32] = _frozen(np.frombuffer(self._ids, dtype=np.int32).copy())
        ends = np.frombuffer(self._ends, dtype=np.uint32 if self._ends.typecode == "I" else np.int64)
        self.offsets: NDArray[np.int64] = _frozen(np.concatenate(([0], ends)).astype(np.int64))
        self.null: NDArray[np.bool_] = _frozen(np.frombuffer(self._nulls, dtype=np.int8).astype(np.bool_))
        self._ids, self._ends, self._nulls = array("i"), array("q"), array("b")
        self.signatures: NDArray[np.uint64] | None = None  # see sign()

    def saved(self) -> dict[str, NDArray[Any]]:
        """A frozen column's arrays (the vocabulary is the rows', saved once: see persist.py)."""
        arrays: dict[str, NDArray[Any]] = {"ids": self.ids, "offsets": self.offsets, "null": self.null}
        if self.signatures is not None:
            arrays["signatures"] = self.signatures
        return arrays

    @classmethod
    def restored(
        cls, name: str, vocabulary: dict[str, int], tokens: list[str], arrays: Mapping[str, NDArray[Any]]
    ) -> TokenColumn:
        self = cls(name, vocabulary, tokens)
        self.ids, self.offsets, self.null = arrays["ids"], arrays["offsets"], arrays["null"]
        self.signatures = arrays.get("signatures")
        return self

    def sign(self) -> None:
        """Give each row a signature, for rows_in_or_holding (8 bytes a row: only the columns that need it)."""
        if self.signatures is None:
            self.signatures = _frozen(self._signatures())

    def _signatures(self) -> NDArray[np.uint64]:
        """Per row: its number of tokens (up to 15) in the top 4 bits, then one bit per token (of 60, by token id;
        0 for an empty row or None). A row whose token bits are not all in a query's holds a token the query
        lacks, whatever the collisions; rows compare by size as the signatures do."""
        n = len(self)
        out = np.zeros(n, dtype=np.uint64)
        sizes = np.diff(self.offsets)
        filled = np.flatnonzero(sizes)
        if filled.size:
            out[filled] = np.bitwise_or.reduceat(token_bits(self.ids), self.offsets[filled])
        out |= np.minimum(sizes, _SIZE_MAX).astype(np.uint64) << np.uint64(_TOKEN_BITS)
        return out

    def signature(self, tokens: Iterable[str]) -> tuple[int, bool]:
        """The token bits (no size) of those of ``tokens`` in the vocabulary, and whether all of them are (a token
        it lacks is in no row)."""
        bits, known = 0, True
        for token in tokens:
            tid = self._vocabulary.get(token)
            if tid is None:
                known = False
            else:
                bits |= 1 << (((tid * _GOLDEN) & _U64) >> 32) % _TOKEN_BITS
        return bits, known

    def rows_in_or_holding(self, rows: NDArray[np.int32], tokens: Sequence[str], least: int) -> NDArray[np.bool_]:
        """Of ``rows``, those with ``least`` tokens or more whose tokens may all be among ``tokens``, or may hold
        all of them, by signatures: a superset (bits collide) of the rows where one list is wholly in the other."""
        if self.signatures is None:
            raise RuntimeError(f"{self.name}: rows have no signatures (call sign() once frozen)")
        mine, known = self.signature(tokens)
        theirs = self.signatures.take(rows)
        ok: NDArray[np.bool_] = (theirs & np.uint64(_U64 ^ mine ^ _SIZE_BITS)) == 0  # no token bit outside mine
        if known:  # a row can hold all my tokens only if they are all in the vocabulary
            ok |= (theirs & np.uint64(mine)) == mine
        ok &= theirs >= np.uint64(min(least, _SIZE_MAX) << _TOKEN_BITS)
        return ok

    def __len__(self) -> int:
        return int(self.null.size)

    def get(self, i: int) -> tuple[str, ...] | None:
        if self.null.item(i):
            return None
        tokens = self._tokens
        return tuple([tokens[t] for t in self.ids[self.offsets.item(i) : self.offsets.item(i + 1)].tolist()])

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self.get(j) for j in range(*i.indices(len(self)))]
        return self.get(int(i))

    def concatenated(self, rows: NDArray[np.int32]) -> tuple[NDArray[np.int32], NDArray[np.int64], NDArray[np.int64]]:
        """The token ids of ``rows`` back to back, where each row's ids end in them, and how many each has."""
        starts = self.offsets[rows]
        sizes = self.offsets[rows + 1] - starts
        ends = np.cumsum(sizes)
        flat = np.arange(int(ends[-1]) if ends.size else 0) + np.repeat(starts - (ends - sizes), sizes)
        return self.ids.take(flat), ends, sizes

    def vocabulary_of(self, token_ids: NDArray[np.int32]) -> list[str]:
        """The tokens of ``token_ids``."""
        tokens = self._tokens
        return [tokens[t] for t in token_ids.tolist()]

    def sizes(self, rows: NDArray[np.int32]) -> NDArray[np.int64]:
        """How many tokens each of ``rows`` has (0 for None)."""
        return self.offsets[rows + 1] - self.offsets[rows]

    def of_length(self, rows: NDArray[np.int32], n: int) -> tuple[NDArray[np.intp], NDArray[np.int32]]:
        """Where in ``rows`` the rows of exactly ``n`` tokens are, and their token ids, one row of ``n`` each."""
        at = np.flatnonzero(self.sizes(rows) == n)
        return at, self.ids[self.offsets[rows[at]][:, None] + np.arange(n)]

    def token_id(self, token: str) -> int:
        return self._vocabulary.get(token, -1)

    def overlaps(self, rows: NDArray[np.int32], tokens: Iterable[str]) -> NDArray[np.int64]:
        """For each row, how many of its tokens are among ``tokens`` (distinct tokens, as the model's lists)."""
        wanted = np.array([t for t in (self.token_id(x) for x in set(tokens)) if t >= 0], dtype=np.int32)
        if not wanted.size or not rows.size:
            return np.zeros(rows.size, dtype=np.int64)
        found, ends, sizes = self.concatenated(rows)
        hit = found == wanted[0]
        for w in wanted[1:].tolist():  # a query has a handful of tokens: cheaper than np.isin
            hit |= found == w
        hits = np.concatenate(([0], np.cumsum(hit)))
        overlaps: NDArray[np.int64] = hits[ends] - hits[ends - sizes]
        return overlaps

    @property
    def nbytes(self) -> int:
        signed = self.signatures.nbytes if self.signatures is not None else 0
        return int(self.ids.nbytes + self.offsets.nbytes + self.null.nbytes + signed)


Column = StringColumn | CodedColumn | TokenColumn

# Row signatures of token lists (TokenColumn.signatures): 60 token bits, and the row's size in the top 4.
_TOKEN_BITS = 60
_SIZE_MAX = 15
_SIZE_BITS = _SIZE_MAX << _TOKEN_BITS
_U64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15  # Fibonacci hashing: consecutive token ids spread over the bits


def token_bits(token_ids: NDArray[np.int32]) -> NDArray[np.uint64]:
    """Each token id's bit of a row signature, as TokenColumn.signature computes it for one token."""
    mixed = (token_ids.astype(np.uint64) * np.uint64(_GOLDEN)) >> np.uint64(32)
    bits: NDArray[np.uint64] = np.left_shift(np.uint64(1), mixed % np.uint64(_TOKEN_BITS))
    return bits


class Frequencies(Mapping[str, float]):
    """A term-frequency table (value → share of the non-null values) over a hashed string column,
    without a Python object per value: the frequency is kept per row."""

    def __init__(self, column: StringColumn) -> None:
        assert column.hashes is not None
        self._column = column
        n = len(column)
        order = np.argsort(column.hashes, kind="stable")
        self._sorted: NDArray[np.uint32] = _frozen(column.hashes[order])  # for lookups by value
        self._order: NDArray[np.int32] = _frozen(order.astype(np.int32))  # the rows in that order
        del order
        # Runs of equal hashes are one value each, bar a hash collision (or a value hashing like None):
        # runs of two rows or more are checked value by value.
        first = np.zeros(n, dtype=np.bool_)  # per row (in hash order): the first row of its value
        starts = np.flatnonzero(np.concatenate(([True], self._sorted[1:] != self._sorted[:-1]))) if n else first
        sizes = np.diff(np.append(starts, n))
        counts = np.repeat(sizes, sizes)  # per row (in hash order): how many rows hold its value
        first[starts] = True
        row_at = self._order.item
        for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
            run: dict[str | None, list[int]] = {}
            for p in range(start, start + size):
                run.setdefault(column.get(row_at(p)), []).append(p)
            if len(run) > 1:
                for positions in run.values():
                    counts[positions] = len(positions)
                    first[positions[0]] = True
        by_row = np.empty(n, dtype=np.int32)
        by_row[self._order] = counts
        self._counts: NDArray[np.int32] = _frozen(np.where(column._null, 0, by_row).astype(np.int32))
        self._first = np.empty(n, dtype=np.bool_)
        self._first[self._order] = first
        self._first &= ~column._null
        _frozen(self._first)
        self._total = int((~column._null).sum())
        self._len = int(self._first.sum())
        self._last: tuple[str | None, float | None] = (None, None)

    def saved(self) -> dict[str, NDArray[Any]]:
        """The table's arrays (see persist.py): ``restored`` needs no pass over the column."""
        return {"sorted": self._sorted, "order": self._order, "counts": self._counts, "first": self._first}

    @classmethod
    def restored(cls, column: StringColumn, arrays: Mapping[str, NDArray[Any]]) -> Frequencies:
        self = cls.__new__(cls)
        self._column = column
        self._sorted, self._order = arrays["sorted"], arrays["order"]
        self._counts, self._first = arrays["counts"], arrays["first"]
        self._total = int((~column._null).sum())
        self._len = int(np.count_nonzero(self._first))
        self._last = (None, None)
        return self

    def find(self, value: str) -> int:
        """A row holding ``value``, or -1."""
        h = _hash(value)
        p = int(self._sorted.searchsorted(np.uint32(h)))  # a Python int would make numpy convert the array
        while p < self._sorted.size and self._sorted.item(p) == h:
            row = int(self._order.item(p))
            if self._column.get(row) == value:
                return row
            p += 1
        return -1

    def get(self, value: Any, default: Any = None) -> Any:
        if not isinstance(value, str):
            return default
        last = self._last  # the scorer asks for the query's value once per candidate: remember one lookup
        if last[0] == value:
            return default if last[1] is None else last[1]
        row = self.find(value)
        # n / total in Python, as tf_table divides
        freq = None if row < 0 else self._counts.item(row) / self._total
        self._last = (value, freq)  # one tuple, assigned at once: safe between threads
        return default if freq is None else freq

    def __getitem__(self, value: str) -> float:
        freq = self.get(value)
        if freq is None:
            raise KeyError(value)
        return cast(float, freq)

    def __iter__(self) -> Iterator[str]:
        return (cast(str, self._column.get(i)) for i in np.flatnonzero(self._first).tolist())

    def __len__(self) -> int:
        return self._len

    def values(self) -> ValuesView[float]:
        return _FrequencyValues(self)

    @property
    def nbytes(self) -> int:
        return int(self._counts.nbytes + self._first.nbytes + self._sorted.nbytes + self._order.nbytes)


class _FrequencyValues(ValuesView[float]):
    # min(table.values()) runs once per model load: read the arrays, not a million lookups
    def __init__(self, table: Frequencies) -> None:
        super().__init__(table)
        self._table = table

    def __iter__(self) -> Iterator[float]:
        table = self._table
        return (n / table._total for n in table._counts[table._first].tolist())


class RegistryRows:
    """Model rows stored column-wise; ``row(i)`` is a cheap read-only view."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        self._start()
        for row in rows:
            self.append(row)
        self.freeze()

    @classmethod
    def _empty(cls) -> RegistryRows:
        self = cls.__new__(cls)
        self._start()
        return self

    def _start(self) -> None:
        vocabulary: dict[str, int] = {}
        self.tokens: list[str] = []
        self.columns: dict[str, Column] = {}
        for c in COLUMNS:
            if c in _CODED:
                self.columns[c] = CodedColumn(c)
            elif c in _TOKENS:
                self.columns[c] = TokenColumn(c, vocabulary, self.tokens)
            else:
                self.columns[c] = StringColumn(c, hashed=c in _HASHED)
        self._items = list(self.columns.items())

    def append(self, row: Mapping[str, Any]) -> None:
        for column, values in self._items:
            values.append(row[column])

    def freeze(self) -> None:
        for name, column in self._items:
            if isinstance(column, StringColumn):
                column.freeze(histograms=name in _HISTOGRAMMED)
            else:
                column.freeze()
        self._getters = {name: column.get for name, column in self._items}

    @classmethod
    def restored(cls, columns: dict[str, Column], tokens: list[str]) -> RegistryRows:
        """Frozen rows from restored columns (their TokenColumns sharing ``tokens``), in COLUMNS order."""
        missing = [c for c in COLUMNS if c not in columns]
        if missing:
            raise ValueError(f"saved rows lack the columns {', '.join(missing)}")
        self = cls.__new__(cls)
        self.tokens = tokens
        self.columns = {c: columns[c] for c in COLUMNS}
        self._items = list(self.columns.items())
        self._getters = {name: column.get for name, column in self._items}
        return self

    def __len__(self) -> int:
        return len(self.columns["unique_id"])

    def row(self, i: int) -> RowView:
        return RowView(self._getters, i)

    def __iter__(self) -> Iterator[RowView]:
        return (self.row(i) for i in range(len(self)))

    def nbytes(self) -> dict[str, int]:
        """Bytes held per column (arrays, and the distinct values of coded columns)."""
        out = {name: column.nbytes for name, column in self._items}
        out["(token vocabulary)"] = sum(sys.getsizeof(t) for t in self.tokens)
        return out


_MISSING = object()


class RowView(Mapping[str, Any]):
    """One registry row, decoded column by column as the scorer asks (and remembered)."""

    __slots__ = ("_getters", "_i", "_seen")

    def __init__(self, getters: dict[str, Any], i: int) -> None:
        self._getters = getters
        self._i = i
        self._seen: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        value = self._seen.get(key, _MISSING)  # not try/except: most keys miss once, and raising is slow
        if value is _MISSING:
            value = self._seen[key] = self._getters[key](self._i)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._getters)

    def __len__(self) -> int:
        return len(self._getters)


def _histogram(text: str) -> NDArray[np.uint8]:
    data = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    return np.minimum(np.bincount(_BIN_OF_BYTE[data], minlength=_BINS), 255).astype(np.uint8)


def _jw_bound(column: StringColumn, text: str, rows: NDArray[np.int32], floor: float) -> NDArray[np.bool_]:
    """Rows whose Jaro-Winkler similarity with ``text`` may reach ``floor`` (a superset: exact).

    Jaro's matching characters m are at most the characters the two strings have in common (counted
    per class; bytes of other characters all in one class, which can only overcount), so
    jaro <= (m/|a| + m/|b| + 1) / 3, and Winkler's prefix bonus gives jw <= 0.4 + 0.6 * jaro. So
    jw >= floor needs m * (|a| + |b|) >= k * |a| * |b| with k = 3 * (floor - 0.4) / 0.6 - 1."""
    assert column.histograms is not None and column.lengths is not None
    query = _histogram(text)
    k = 3 * ((floor - 1e-9) - 0.4) / 0.6 - 1 - 1e-9  # the slack only keeps more rows
    if k <= 0 or query.max() >= 255:  # no bound, or counts beyond what the histograms hold
        return np.ones(rows.size, dtype=bool)
    # float32 sums of counts <= 255 x 38 are exact; a matrix product is the fastest row sum in numpy
    common = np.minimum(column.histograms.take(rows, axis=0), query).astype(np.float32) @ _ONES
    la, lb = float(len(text)), column.lengths.take(rows)
    ok: NDArray[np.bool_] = common * (la + lb) >= k * la * lb
    return ok
