"""`resolver train` refuses broken tuning files before it trains, and writes no artefact."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("flag", "content", "message"),
    [
        ("--tune-pairs", "name1,name2,label\nIvan Petrov,Ivan Petrov,yes\n", "line 2: label must be 0 or 1"),
        ("--tune-pairs", "name1,label\nIvan,1\n", "missing columns: name2"),
        ("--tune-pairs", "name1,name2,label,schema\nIvan,Ivan,1,Planet\n", "line 2: unknown schema"),
        ("--tune-negatives", "name,kind\nIvan Petrov,dragon\n", "line 2: unknown kind 'dragon'"),
        ("--tune-negatives", "full_name\nIvan Petrov\n", "missing column: name"),
        ("--exclude-names", b"Ivan\n\xff\xfe\n", "line 2"),
    ],
)
def test_bad_tuning_input_fails_before_training(tmp_path: Path, flag: str, content: str | bytes, message: str) -> None:
    bad = tmp_path / "input.csv"
    if isinstance(content, bytes):
        bad.write_bytes(content)
    else:
        bad.write_text(content, encoding="utf-8")
    out = tmp_path / "model"
    done = subprocess.run(
        [sys.executable, "-m", "resolver.cli", "train", "--store", str(tmp_path / "none.duckdb"), "--out", str(out),
         flag, str(bad)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert message in done.stderr and str(bad) in done.stderr
    assert not out.exists()
    assert not (tmp_path / "none.duckdb").exists()  # nothing was opened, let alone trained
