"""Keep benchmarks/RESULTS.md as sections, one per benchmark, each with the command that produced it."""

from __future__ import annotations

import platform
import re
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = """# Benchmark results

Every figure here was measured by the command printed with it, on the project's machine
(2 cores, 24 GiB, shared and noisy: ratios against a baseline measured in the same run are the
figures to compare, not absolute times).
"""


def write_section(title: str, command: str, body: str) -> None:
    """Replace (or append) the section `## title` in RESULTS.md."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else HEADER
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    section = (
        f"## {title}\n\nCommand: `{command}`  \nMeasured: {stamp}, Python {platform.python_version()}, "
        f"{platform.machine()}\n\n{body.strip()}\n"
    )
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
