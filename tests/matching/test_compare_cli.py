"""`resolver compare` as a benchmark runs it: a real process, real pairs, and broken input."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest


def compare(src: Path, dst: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resolver.cli", "compare", "--pairs", str(src), "--out", str(dst)],
        capture_output=True,
        text=True,
    )


def test_scores_real_pairs_and_keeps_the_input_columns(tmp_path: Path, shared_data: Path) -> None:
    with (shared_data / "pairs" / "cross_script_pairs.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.reader(line for line in fh if not line.startswith("#")) if len(r) >= 2]
    src = tmp_path / "pairs.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["pair_id", "name1", "name2", "schema"])
        for i, row in enumerate(rows):
            writer.writerow([i, row[0], row[1], "LegalEntity"])
        writer.writerow(["x1", "Oleg Vladimirovich DERIPASKA", "Олег Владимирович Дерипаска", "Person"])
        writer.writerow(["x2", "Oleg Vladimirovich DERIPASKA", "Banco Nacional de Cuba", ""])
    done = compare(src, tmp_path / "out.csv")
    assert done.returncode == 0, done.stderr
    out = list(csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8")))
    assert len(out) == len(rows) + 2
    assert list(out[0]) == ["pair_id", "name1", "name2", "schema", "match_weight", "match_probability", "match"]
    by_id = {r["pair_id"]: r for r in out}
    assert by_id["x1"]["match"] == "true" and by_id["x2"]["match"] == "false"
    assert float(by_id["x1"]["match_weight"]) > float(by_id["x2"]["match_weight"])
    assert all(0.0 <= float(r["match_probability"]) <= 1.0 for r in out)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,b\nx,y\n", "missing columns: name1, name2"),
        ("name1,name2,schema\nIvan,Ivan,Planet\n", "line 2: unknown schema 'Planet'"),
        ("name1,name2\nIvan,\n", "line 2: name2 is empty"),
        ('name1,name2\n"Ivan,Petrov\n', "line"),
        ("name1,name2\nIvan,Petrov,extra\n", "line 2: more values than columns"),
    ],
)
def test_bad_input_fails_naming_the_line_and_writes_nothing(tmp_path: Path, content: str, message: str) -> None:
    src, dst = tmp_path / "pairs.csv", tmp_path / "out.csv"
    src.write_text(content, encoding="utf-8")
    done = compare(src, dst)
    assert done.returncode == 1
    assert message in done.stderr and str(src) in done.stderr
    assert not dst.exists()


def test_invalid_utf8_is_an_error(tmp_path: Path) -> None:
    src = tmp_path / "pairs.csv"
    src.write_bytes(b"name1,name2\nIvan,Petr\xff\n")
    done = compare(src, tmp_path / "out.csv")
    assert done.returncode == 1 and "line 2" in done.stderr and "utf-8" in done.stderr


def test_arabic_script_against_its_romanisation_and_an_unstated_kind(tmp_path: Path) -> None:
    # a real OFAC name (MOHAMMADI, Mohammad Shafiq) against its Persian spelling: the transliterations differ
    # ("mhmd sfyq mhmdy"), the consonant skeletons of the words do not; and the same names, kind unstated
    src = tmp_path / "pairs.csv"
    src.write_text(
        "pair_id,name1,name2,schema\n"
        "xs,MOHAMMADI Mohammad Shafiq,محمد شفیق محمدی,Person\n"
        "xs_unstated,MOHAMMADI Mohammad Shafiq,محمد شفیق محمدی,LegalEntity\n"
        "same_script,Mohammed Ali,Mahmoud Ala,Person\n",
        encoding="utf-8",
    )
    done = compare(src, tmp_path / "out.csv")
    assert done.returncode == 0, done.stderr
    by_id = {r["pair_id"]: r for r in csv.DictReader((tmp_path / "out.csv").open(encoding="utf-8"))}
    assert by_id["xs"]["match"] == "true"
    assert by_id["xs_unstated"]["match"] == "true"  # both names guessed persons: the kind still agrees
    assert float(by_id["xs_unstated"]["match_weight"]) == pytest.approx(float(by_id["xs"]["match_weight"]))
    assert by_id["same_script"]["match"] == "false"  # within one script, a shared skeleton is not enough
