"""One module per registry format. Each module defines:

- ``FORMAT``: the name used by ``resolver ingest --format``;
- ``DESCRIPTION``: one line for ``resolver formats``;
- ``sniff(path, head) -> bool``: True when the file looks like this format (``head`` is the
  first 64 KiB decoded leniently);
- ``parse(paths, source) -> ParsedSource``: read one source's files (``source`` overrides the
  default source name); raise ``IngestError`` naming file, line/element and problem;
- optionally ``group(paths) -> list[list[Path]]``: split files of this format into sources
  (the OFAC sdn/alt/add trio is one source); by default each file is its own source.
"""

from __future__ import annotations

import gzip
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from resolver.registry.errors import IngestError
from resolver.registry.records import ParsedSource

# Order matters for detection: specific formats before generic ones.
_MODULES = (
    "ofac_xml",
    "un_xml",
    "eu_xml",
    "uk_hmt",
    "fca_combined",
    "csl",
    "bis_dpl",
    "ftm",
    "uk_psc",
    "gleif_rr",
    "ownership_csv",
    "watchlist",
    "ofac_csv",
)


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    sniff: Callable[[Path, str], bool]
    parse: Callable[[list[Path], str | None], ParsedSource]
    group: Callable[[list[Path]], list[list[Path]]]


def _one_per_file(paths: list[Path]) -> list[list[Path]]:
    return [[p] for p in paths]


def _load(module: ModuleType) -> Format:
    return Format(
        name=module.FORMAT,
        description=module.DESCRIPTION,
        sniff=module.sniff,
        parse=module.parse,
        group=getattr(module, "group", _one_per_file),
    )


def formats() -> dict[str, Format]:
    """All known formats by name, in detection order."""
    loaded = [_load(importlib.import_module(f"{__name__}.{m}")) for m in _MODULES]
    return {f.name: f for f in loaded}


def head(path: Path, size: int = 65536) -> str:
    """The start of a file (decompressed for .gz), decoded leniently, for sniffing."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        data: bytes = fh.read(size)
    return data.decode("utf-8", errors="replace").lstrip("\ufeff")


def detect(path: Path) -> Format:
    """The format of one file, by content; IngestError when nothing recognises it."""
    text = head(path)
    for fmt in formats().values():
        if fmt.sniff(path, text):
            return fmt
    raise IngestError(path, None, "unrecognised format; pass --format (see `resolver formats`)")
