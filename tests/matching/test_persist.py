"""Saved matchers: written once, mapped read-only by any process, answering exactly as the matcher that was built."""

from __future__ import annotations

import json
import mmap
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import structlog

from resolver.matching.columns import StringColumn, TokenColumn
from resolver.matching.engine import Matcher, Query
from resolver.matching.persist import SavedMatcherError, SavedMatchers, load_matcher, save_matcher
from resolver.model.artefact import ModelArtefact, load_artefact
from resolver.model.train import registry_rows
from resolver.registry.ingest import parse_all
from resolver.registry.store import RegistryStore
from resolver.settings import EMBEDDED_REGISTRY

ROOT = Path(__file__).resolve().parents[2]

# Listed names as the lists write them, noisy spellings, other scripts, other kinds, and names on no list.
QUERIES = [
    ("Oleg DERIPASKA", "person", ["1968-01-02"], ["ru"]),
    ("Дерипаска Олег Владимирович", "person", [], []),
    ("SBERBANK OF RUSSIA", "organization", [], []),
    ("Sberbank Rossii PAO", None, [], []),
    ("ABRAMOVITJ Roman", "person", [], []),
    ("Rosoboronexport", "organization", [], []),
    ("محمد علي", "person", [], []),
    ("Kim Jong Un", "person", [], []),
    ("ISLAMIC REVOLUTIONARY GUARD CORPS", None, [], []),
    ("Maria Gonzalez Smith", "person", ["1980-05-05"], ["es"]),
    ("Northern Trading LLC", "organization", [], ["ca"]),
    ("VOLGA-DNEPR AIRLINES", "organization", [], []),
]


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    store = RegistryStore(tmp_path_factory.mktemp("persist") / "registry.duckdb")
    store.ingest(parse_all([EMBEDDED_REGISTRY]))  # the real OFAC SDN and UN lists the package ships
    return registry_rows(store, index_keys=True)[0]


@pytest.fixture(scope="module")
def artefact() -> ModelArtefact:
    return load_artefact()


@pytest.fixture(scope="module")
def built(rows: list[dict[str, Any]], artefact: ModelArtefact) -> Matcher:
    return Matcher(iter(rows), artefact)


@pytest.fixture(scope="module")
def saved(built: Matcher, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_matcher(built, tmp_path_factory.mktemp("saved") / "matcher")


def _answers(matcher: Matcher) -> list[list[tuple[Any, ...]]]:
    out = []
    for name, kind, dates, countries in QUERIES:
        matches, _ = matcher.resolve(Query(name, kind, birth_dates=dates, countries=countries), threshold=-8.0)
        out.append(
            [(m.entity_id, m.matched_name, m.match_weight, [(e.comparison, e.level, e.weight) for e in m.evidence])
             for m in matches]
        )  # fmt: skip
    return out


def test_a_mapped_matcher_answers_exactly_as_the_built_one(
    built: Matcher, saved: Path, artefact: ModelArtefact
) -> None:
    loaded = load_matcher(saved, artefact)
    expected = _answers(built)
    assert sum(len(a) for a in expected) >= 20  # the queries do find things
    assert _answers(loaded) == expected
    assert len(loaded.rows) == len(built.rows)
    for name, column in built.rows.columns.items():  # every row, every column, decoded alike
        theirs = loaded.rows.columns[name]
        assert [column[i] for i in range(0, len(column), 97)] == [theirs[i] for i in range(0, len(theirs), 97)], name


def test_a_mapped_matcher_holds_read_only_maps_not_copies(saved: Path, artefact: ModelArtefact) -> None:
    loaded = load_matcher(saved, artefact)
    names = loaded.rows.columns["name_sorted"]
    tokens = loaded.rows.columns["name_tokens"]
    assert isinstance(names, StringColumn) and isinstance(tokens, TokenColumn)
    assert isinstance(names._buf, mmap.mmap)
    for arr in (names.hashes, names.histograms, tokens.ids, tokens.offsets, loaded.index.arrays[2]):
        assert arr is not None and not arr.flags.writeable
        assert isinstance(arr.base, mmap.mmap) or isinstance(getattr(arr.base, "base", None), mmap.mmap)
    with pytest.raises(ValueError):
        tokens.ids[0] = 1


def test_another_process_with_another_string_hash_seed_gets_the_same_answers(built: Matcher, saved: Path) -> None:
    # Python salts str hashes per process: the saved row hashes must not depend on it.
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from resolver.model.artefact import load_artefact\n"
        "from resolver.matching.persist import load_matcher\n"
        "from tests.matching.test_persist import _answers\n"
        "print(json.dumps(_answers(load_matcher(Path(sys.argv[1]), load_artefact()))))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script, str(saved)], env=env, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    theirs = json.loads(out.stdout.strip().splitlines()[-1])
    assert theirs == json.loads(json.dumps(_answers(built)))


def test_a_saved_matcher_is_never_overwritten_and_a_damaged_one_is_refused(
    built: Matcher, saved: Path, artefact: ModelArtefact, tmp_path: Path
) -> None:
    with pytest.raises(FileExistsError):
        save_matcher(built, saved)
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(saved), str(copy)], check=True)
    meta = json.loads((copy / "meta.json").read_text())
    (copy / "meta.json").write_text(json.dumps({**meta, "features": "0" * 64}))
    with pytest.raises(SavedMatcherError, match="other name-preparation code"):
        load_matcher(copy, artefact)
    (copy / "meta.json").write_text(json.dumps(meta))
    load_matcher(copy, artefact)  # as saved: fine
    (copy / "name_sorted.hashes.npy").unlink()
    with pytest.raises(SavedMatcherError, match="cannot load"):
        load_matcher(copy, artefact)
    with pytest.raises(SavedMatcherError, match="not a saved matcher"):
        load_matcher(tmp_path / "nothing here", artefact)


def test_saved_matchers_build_a_key_once_even_when_asked_at_once(
    rows: list[dict[str, Any]], artefact: ModelArtefact, tmp_path: Path
) -> None:
    cache = SavedMatchers(tmp_path / "matchers")
    builds = []

    def build() -> Matcher:
        builds.append(threading.get_ident())
        time.sleep(0.5)  # long enough for the other caller to find the lock taken
        return Matcher(iter(rows[:3000]), artefact)

    hows: list[str] = []
    callers = [threading.Thread(target=lambda: hows.append(cache.get("k1", artefact, build)[1])) for _ in range(2)]
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    assert len(builds) == 1 and sorted(hows) == ["mapped", "saved"]
    matcher, how = cache.get("k1", artefact, build)
    assert how == "mapped" and len(builds) == 1 and len(matcher.rows) == 3000


def test_saved_matchers_keep_the_newest_and_prune_the_rest(
    rows: list[dict[str, Any]], artefact: ModelArtefact, tmp_path: Path
) -> None:
    cache = SavedMatchers(tmp_path / "matchers", keep=2)
    for key in ("a", "b", "c"):
        cache.get(key, artefact, lambda: Matcher(iter(rows[:500]), artefact))
        time.sleep(0.01)  # distinct modification times
    kept = sorted(p.name.split("-")[0] for p in (tmp_path / "matchers").iterdir() if p.is_dir())
    assert kept == ["b", "c"]


def test_an_unwritable_directory_serves_the_built_matcher_with_a_warning(
    rows: list[dict[str, Any]], artefact: ModelArtefact, tmp_path: Path
) -> None:
    if os.geteuid() == 0:
        blocker = tmp_path / "a file"  # root writes anywhere: a file where the directory should be blocks it
        blocker.write_text("")
        root = blocker / "matchers"
    else:
        (tmp_path / "ro").mkdir(mode=0o555)
        root = tmp_path / "ro" / "matchers"
    with structlog.testing.capture_logs() as logs:
        matcher, how = SavedMatchers(root).get("k", artefact, lambda: Matcher(iter(rows[:500]), artefact))
    assert how == "built" and len(matcher.rows) == 500
    assert any(e["event"] == "saved matchers unavailable; building in memory" for e in logs)
    assert isinstance(matcher.rows.columns["name_sorted"], StringColumn)
    assert not isinstance(matcher.rows.columns["name_sorted"]._buf, mmap.mmap)
