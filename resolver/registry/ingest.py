"""From paths on the command line to parsed sources: expand folders, detect formats, group, parse.

Everything is parsed before the store is touched, so a bad file anywhere leaves the store as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import structlog

from resolver.registry.errors import IngestError
from resolver.registry.parsers import Format, detect, formats
from resolver.registry.parsers._common import gc_paused
from resolver.registry.records import ParsedSource

log = structlog.get_logger(__name__)

# Files a folder may hold that are not registries.
_SKIP_SUFFIXES = {".md", ".txt.sha256", ".sha256"}


def expand(paths: list[Path]) -> list[Path]:
    """Files named, plus the files inside named folders (recursively, sorted); missing paths raise."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not p.name.startswith(".") and p.suffix not in _SKIP_SUFFIXES
            )
        elif path.is_file():
            files.append(path)
        else:
            raise IngestError(path, None, "no such file or folder")
    if not files:
        raise IngestError(", ".join(map(str, paths)), None, "no files to ingest")
    return list(dict.fromkeys(files))


def plan(paths: list[Path], format_name: str | None = None) -> list[tuple[Format, list[Path]]]:
    """Group files into sources: (format, files of one source)."""
    known = formats()
    if format_name is not None and format_name not in known:
        raise IngestError(format_name, None, f"unknown format; known: {', '.join(sorted(known))}")
    by_format: dict[str, list[Path]] = {}
    for path in expand(paths):
        fmt = known[format_name] if format_name else detect(path)
        by_format.setdefault(fmt.name, []).append(path)
    return [(known[name], group) for name, files in by_format.items() for group in known[name].group(files)]


def parse_all(
    paths: list[Path],
    *,
    format_name: str | None = None,
    source: str | None = None,
    on_parsed: Callable[[ParsedSource], None] | None = None,
) -> list[ParsedSource]:
    """Parse every source the paths hold. ``source`` renames the one source (an error if there are several)."""
    groups = plan(paths, format_name)
    if source is not None and len(groups) != 1:
        raise IngestError(
            ", ".join(str(f) for _, g in groups for f in g),
            None,
            f"--source names one source; these files hold {len(groups)}",
        )
    parsed = []
    for fmt, files in groups:
        with gc_paused():
            result = fmt.parse(files, source)
        log.info(
            "parsed", source=result.source, format=fmt.name, files=[f.name for f in files],
            entities=len(result.entities), relations=len(result.relations),
        )  # fmt: skip
        parsed.append(result)
        if on_parsed is not None:
            on_parsed(result)
    return parsed
