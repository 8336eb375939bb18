"""The candidate index against a brute-force dict of sets, on random data (no timing here: see benchmarks/)."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from resolver.matching.index import (
    CandidateIndex,
    CandidateSet,
    IndexFormatError,
    hash_key,
    hash_keys,
)

N_RECORDS = 3000


def _arrays(index: CandidateIndex) -> list[np.ndarray[Any, Any]]:
    keys, offsets, postings = index.arrays
    return [keys, offsets, postings]


def _vocabulary(rng: random.Random) -> list[str]:
    # Key shapes like the real ones; a skewed draw below makes some blocks large.
    tokens = [f"tok{i}" for i in range(400)]
    keys = [f"t:{t}" for t in tokens] + [f"p:P{i}" for i in range(150)]
    keys += [f"d:19{i % 90 + 10}|{tokens[i % 400]}" for i in range(300)]
    keys += ["s:ivanov ivan", "t:ali", "t:мухаммад", "p:", ""]  # non-ASCII and empty keys are keys too
    return keys


def _random_records(seed: int = 7) -> tuple[list[list[str]], list[str]]:
    rng = random.Random(seed)
    vocab = _vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(vocab))]
    records = []
    for _ in range(N_RECORDS):
        n = rng.choice([0, 1, 3, 5, 6, 6, 8])
        keys = rng.choices(vocab, weights=weights, k=n)
        if keys and rng.random() < 0.2:
            keys.append(keys[0])  # a key repeated within a record
        records.append(keys)
    return records, vocab


def _brute(records: list[list[str]], ids: list[int] | None = None) -> dict[str, set[int]]:
    blocks: dict[str, set[int]] = defaultdict(set)
    for pos, keys in enumerate(records):
        for key in keys:
            blocks[key].add(ids[pos] if ids else pos)
    return blocks


def _expected(blocks: dict[str, set[int]], query: list[str], cap: int | None) -> tuple[list[int], list[str]]:
    found: set[int] = set()
    capped = []
    for key in dict.fromkeys(query):
        if key not in blocks:
            continue
        if cap is not None and len(blocks[key]) > cap:
            capped.append(key)
        else:
            found |= blocks[key]
    return sorted(found), capped


@pytest.fixture(scope="module")
def data() -> tuple[list[list[str]], list[str], CandidateIndex]:
    records, vocab = _random_records()
    return records, vocab, CandidateIndex.from_key_lists(records)


def _queries(vocab: list[str], seed: int = 11, n: int = 400) -> list[list[str]]:
    rng = random.Random(seed)
    unknown = [f"t:unknown{i}" for i in range(20)]
    return [rng.sample(vocab, rng.randint(1, 8)) + rng.sample(unknown, rng.randint(0, 2)) for _ in range(n)]


@pytest.mark.parametrize("cap", [None, 0, 1, 5, 40, 200])
def test_matches_brute_force(data: tuple[list[list[str]], list[str], CandidateIndex], cap: int | None) -> None:
    records, vocab, index = data
    blocks = _brute(records)
    for query in _queries(vocab):
        got = index.candidates(query, cap=cap)
        want_ids, want_capped = _expected(blocks, query, cap)
        assert got.ids.dtype == np.int32
        assert got.ids.tolist() == want_ids
        assert list(got.capped) == want_capped
        assert list(got.capped_sizes) == [len(blocks[k]) for k in want_capped]


def test_shape_and_block_sizes(data: tuple[list[list[str]], list[str], CandidateIndex]) -> None:
    records, _, index = data
    blocks = _brute(records)
    assert index.n_records == N_RECORDS
    assert index.n_keys == len(blocks)
    assert index.n_postings == sum(len(ids) for ids in blocks.values())
    sizes = index.block_sizes()
    assert sizes.dtype == np.int64
    assert sorted(sizes.tolist()) == sorted(len(ids) for ids in blocks.values())
    keys, offsets, postings = index.arrays
    assert np.all(keys[1:] > keys[:-1])  # sorted, distinct
    for start, end in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True):
        assert np.all(np.diff(postings[start:end]) > 0)  # sorted, no duplicate within a block
    assert index.nbytes == keys.nbytes + offsets.nbytes + postings.nbytes
    for key in ["t:tok0", "", "t:мухаммад"]:
        assert index.block_size(key) == len(blocks[key])
        assert index.block(key).tolist() == sorted(blocks[key])
    assert index.block_size("nope") == 0
    assert index.block("nope").size == 0


def test_build_with_explicit_ids_in_any_order() -> None:
    records, vocab = _random_records(seed=3)
    rng = random.Random(5)
    ids = rng.sample(range(10_000_000), len(records))  # sparse, unordered ids
    index = CandidateIndex.build(zip(ids, records, strict=True))
    blocks = _brute(records, ids)
    assert index.n_records == max(ids[i] for i, keys in enumerate(records) if keys) + 1
    for query in _queries(vocab, n=100):
        want_ids, want_capped = _expected(blocks, query, 30)
        got = index.candidates(query, cap=30)
        assert got.ids.tolist() == want_ids
        assert list(got.capped) == want_capped


def test_from_hashes_equals_build(data: tuple[list[list[str]], list[str], CandidateIndex]) -> None:
    records, _, index = data
    flat = [key for keys in records for key in keys]
    owners = [pos for pos, keys in enumerate(records) for _ in keys]
    other = CandidateIndex.from_hashes(hash_keys(flat), owners, n_records=N_RECORDS)
    for mine, theirs in zip(_arrays(index), _arrays(other), strict=True):
        assert np.array_equal(mine, theirs)


def test_a_record_with_repeated_keys_is_posted_once() -> None:
    index = CandidateIndex.from_key_lists([["t:a", "t:a", "t:b", "t:a"], ["t:a"], ["t:b", "t:b"]])
    assert index.n_postings == 4
    assert index.block("t:a").tolist() == [0, 1]
    assert index.block_size("t:b") == 2
    # A key repeated in a query is one block too, so it is capped (and reported) once.
    got = index.candidates(["t:a", "t:b", "t:a"], cap=1)
    assert got.ids.size == 0
    assert got.capped == ("t:a", "t:b")
    assert got.capped_sizes == (2, 2)


def test_cap_skips_a_block_without_truncating_it() -> None:
    # "t:common" is on records 0..9, "t:rare" on 3 and 20, "t:one" on 20 only.
    records: list[list[str]] = [["t:common"] for _ in range(10)] + [[] for _ in range(10)] + [["t:rare", "t:one"]]
    records[3].append("t:rare")
    index = CandidateIndex.from_key_lists(records)
    query = ["t:common", "t:rare", "t:absent"]
    assert index.candidates(query).ids.tolist() == [*range(10), 20]
    assert index.candidates(query, cap=None).capped == ()
    at_cap = index.candidates(query, cap=10)  # a block of exactly cap records is kept
    assert at_cap.ids.tolist() == [*range(10), 20]
    assert at_cap.capped == ()
    assert at_cap.blocks == 2
    over = index.candidates(query, cap=9)  # skipped whole: not 9 arbitrary records of it
    assert over.ids.tolist() == [3, 20]
    assert over.capped == ("t:common",)
    assert over.capped_sizes == (10,)
    assert over.blocks == 1
    none = index.candidates(query, cap=0)  # every present key capped; the absent one is not reported
    assert none.ids.size == 0
    assert none.capped == ("t:common", "t:rare")
    assert none.blocks == 0
    with pytest.raises(ValueError, match="cap"):
        index.candidates(query, cap=-1)


def test_empty_query_and_unknown_keys(data: tuple[list[list[str]], list[str], CandidateIndex]) -> None:
    _, _, index = data
    for result in (index.candidates([]), index.candidates([], cap=3), index.candidates(iter(()))):
        assert isinstance(result, CandidateSet)
        assert result.ids.dtype == np.int32
        assert len(result) == 0
        assert result.capped == ()
    unknown = index.candidates(["t:never", "s:seen nowhere", "x:"], cap=1)
    assert len(unknown) == 0
    assert unknown.capped == ()
    assert unknown.blocks == 0
    with pytest.raises(TypeError):
        index.candidates("t:tok0")  # a string is an iterable of characters: refuse it


def test_empty_index() -> None:
    for index in (CandidateIndex.from_key_lists([]), CandidateIndex.from_key_lists([[], []])):
        assert index.n_keys == 0
        assert index.n_postings == 0
        assert len(index.candidates(["t:a", "t:b"], cap=5)) == 0
        assert index.block_sizes().size == 0
        assert index.largest_blocks(3) == []
        assert index.largest_keys(3, ["t:a"]) == []
        assert len(index.candidates_by_key(["t:a"])) == 0


def test_record_ids_are_checked() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        CandidateIndex.build([(-1, ["t:a"])])
    with pytest.raises(OverflowError):
        CandidateIndex.build([(2**31, ["t:a"])])
    with pytest.raises(ValueError, match="record ids"):
        CandidateIndex.from_hashes([1, 2], [0, 2**31])
    with pytest.raises(ValueError, match="n_records"):
        CandidateIndex.from_hashes([1, 2], [0, 5], n_records=3)
    with pytest.raises(TypeError):
        CandidateIndex.build([(0, "t:a")])
    assert CandidateIndex.build([(2**31 - 1, ["t:a"])]).block("t:a").tolist() == [2**31 - 1]
    numpy_ids = CandidateIndex.build([(np.int64(5), ["t:a"]), (np.int32(2), ("t:a", "t:b"))])
    assert numpy_ids.block("t:a").tolist() == [2, 5]
    assert numpy_ids.n_records == 6


def test_candidates_by_key(data: tuple[list[list[str]], list[str], CandidateIndex]) -> None:
    records, vocab, index = data
    blocks = _brute(records)
    for query in _queries(vocab, seed=2, n=150):
        got = index.candidates_by_key(query, cap=60)
        plain = index.candidates(query, cap=60)
        assert np.array_equal(got.ids, plain.ids)
        assert got.capped == plain.capped
        assert got.keys == tuple(dict.fromkeys(query))
        assert got.hits.shape == (got.ids.size, len(got.keys))
        for row, record in enumerate(got.ids.tolist()):
            want = [k for k in got.keys if k not in got.capped and record in blocks.get(k, set())]
            assert got.keys_of(record) == want
            assert got.hits[row].any()
    assert index.candidates_by_key(["t:tok1"]).keys_of(N_RECORDS + 5) == []


def test_largest_blocks_and_keys(data: tuple[list[list[str]], list[str], CandidateIndex]) -> None:
    records, vocab, index = data
    blocks = _brute(records)
    ranked = sorted(((len(ids), key) for key, ids in blocks.items()), key=lambda it: (-it[0], it[1]))
    size_of_hash = {hash_key(key): len(ids) for key, ids in blocks.items()}
    top = index.largest_blocks(5)
    assert [size for _, size in top] == [size for size, _ in ranked[:5]]
    assert all(size_of_hash[h] == size for h, size in top)
    named = index.largest_keys(5, iter(vocab + vocab + ["t:absent"]), chunk=7)  # repeats, small chunks
    assert named == [(key, size) for size, key in ranked[:5]]
    assert index.largest_blocks(10**9)[-1][1] == ranked[-1][0]


def test_hash_is_stable() -> None:
    # Pinned values: a saved index is only valid while query keys hash exactly as they did at build.
    assert hash_key("t:ivanov") == 4721360096958365052
    assert hash_key("") == 13020603013274838756
    hashes = hash_keys(["t:ivanov", ""])
    assert hashes.dtype == np.uint64
    assert hashes.tolist() == [4721360096958365052, 13020603013274838756]
    assert hash_keys([]).size == 0


@pytest.mark.parametrize("mmap", [True, False])
def test_save_load_round_trip(
    data: tuple[list[list[str]], list[str], CandidateIndex], tmp_path: Path, mmap: bool
) -> None:
    _, vocab, index = data
    path = index.save(tmp_path / "snapshot-1")
    assert sorted(p.name for p in path.iterdir()) == ["keys.npy", "meta.json", "offsets.npy", "postings.npy"]
    assert [p.name for p in tmp_path.iterdir()] == ["snapshot-1"]  # no temporary directory left behind
    loaded = CandidateIndex.load(path, mmap=mmap)
    assert loaded.n_records == index.n_records
    for mine, theirs in zip(_arrays(index), _arrays(loaded), strict=True):
        assert np.array_equal(mine, theirs)
        assert mine.dtype == theirs.dtype
        assert not theirs.flags.writeable
    if mmap:
        assert all(isinstance(arr.base, np.memmap) for arr in loaded.arrays)
    for query in _queries(vocab, seed=4, n=100):
        a, b = index.candidates(query, cap=50), loaded.candidates(query, cap=50)
        assert np.array_equal(a.ids, b.ids)
        assert a.capped == b.capped
    with pytest.raises(FileExistsError):
        index.save(path)


def test_save_load_empty_index(tmp_path: Path) -> None:
    loaded = CandidateIndex.load(CandidateIndex.from_key_lists([[], []]).save(tmp_path / "empty"))
    assert (loaded.n_records, loaded.n_keys, loaded.n_postings) == (0, 0, 0)
    assert len(loaded.candidates(["t:a"], cap=1)) == 0


def test_load_refuses_what_it_cannot_trust(
    data: tuple[list[list[str]], list[str], CandidateIndex], tmp_path: Path
) -> None:
    _, _, index = data
    with pytest.raises(IndexFormatError, match="not a saved"):
        CandidateIndex.load(tmp_path)
    path = index.save(tmp_path / "idx")
    meta = json.loads((path / "meta.json").read_text())
    (path / "meta.json").write_text(json.dumps({**meta, "hash": "xxh64"}))
    with pytest.raises(IndexFormatError, match="hashed with xxh64"):
        CandidateIndex.load(path)
    (path / "meta.json").write_text(json.dumps(meta))
    np.save(path / "postings.npy", index.arrays[2][:-1])  # a truncated array
    with pytest.raises(IndexFormatError, match="offsets"):
        CandidateIndex.load(path)


def test_concurrent_readers(data: tuple[list[list[str]], list[str], CandidateIndex], tmp_path: Path) -> None:
    _, vocab, built = data
    index = CandidateIndex.load(built.save(tmp_path / "idx"))
    queries = _queries(vocab, seed=9, n=300)
    want = [index.candidates(q, cap=80).ids.tolist() for q in queries]

    def run(offset: int) -> bool:
        order = queries[offset:] + queries[:offset]
        got = [index.candidates(q, cap=80).ids.tolist() for q in order]
        return got == want[offset:] + want[:offset]

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(run, range(0, 300, 20)))


def test_pair_capped_adds_the_records_in_two_capped_blocks() -> None:
    # records 0-9 hold "a" and "b" (both common); 10-29 only "a"; 30-49 only "b"; 50 holds "c"
    keys = [["a", "b"]] * 10 + [["a"]] * 20 + [["b"]] * 20 + [["c"]]
    index = CandidateIndex.from_key_lists(keys)
    plain = index.candidates(["a", "b", "c"], cap=15)
    assert plain.ids.tolist() == [50] and set(plain.capped) == {"a", "b"}
    paired = index.candidates(["a", "b", "c"], cap=15, pair_capped=True)
    assert paired.ids.tolist() == [*range(10), 50]  # the intersection (10 records) fits the cap
    assert index.candidates(["a", "b"], cap=5, pair_capped=True).ids.tolist() == []  # 10 > 5: still capped


def test_bit_mask_threshold_falls_with_the_registry() -> None:
    from resolver.matching.index import _MARK_ABOVE, _mark_from

    assert _mark_from(96_895) == 4_844  # the shared registries: the mask from about 5,000 ids
    assert _mark_from(1_000_000) == _MARK_ABOVE == 20_000  # a million records: as before
    assert _mark_from(0) == 0


@pytest.mark.parametrize("mark_above", [0, 10**9])
@pytest.mark.parametrize("cap", [3, 20, 60])
def test_pair_capped_matches_brute_force(
    data: tuple[list[list[str]], list[str], CandidateIndex], cap: int, mark_above: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the intersections of capped blocks (a bit mask for large blocks, else binary search) against sets
    monkeypatch.setattr("resolver.matching.index._mark_from", lambda n_records: mark_above)
    records, vocab, index = data
    index._pair_cache.clear()  # computed afresh by this test's path, not remembered from another
    blocks = _brute(records)
    rng = random.Random(cap)
    for _ in range(300):
        query = rng.sample(vocab, rng.randint(1, 8))
        distinct = list(dict.fromkeys(query))
        used = [k for k in distinct if k in blocks and len(blocks[k]) <= cap]
        capped = [k for k in distinct if k in blocks and len(blocks[k]) > cap]
        expected = set().union(*(blocks[k] for k in used))
        smallest = sorted((blocks[k] for k in capped), key=len)[:6]  # sorted() is stable, as the index's
        for i in range(len(smallest)):
            for j in range(i + 1, len(smallest)):
                both = smallest[i] & smallest[j]
                if 0 < len(both) <= cap:
                    expected |= both
        assert index.candidates(query, cap=cap, pair_capped=True).ids.tolist() == sorted(expected)
