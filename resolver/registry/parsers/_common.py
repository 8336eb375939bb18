"""Small helpers every parser shares: strict decoding, CSV/XML reading with locations, dates, countries."""

from __future__ import annotations

import csv
import gc
import gzip
import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from functools import lru_cache
from pathlib import Path

from lxml import etree
from rigour.territories import lookup_territory

from resolver.names.clean import repair_c1
from resolver.registry.errors import IngestError

_SPACE = re.compile(r"\s+")
_MONTHS = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}


def clean(value: str | None) -> str | None:
    """Collapse whitespace; empty and OFAC's "-0-" placeholder become None."""
    if value is None:
        return None
    value = _SPACE.sub(" ", value).strip()
    if not value or value == "-0-":
        return None
    return value


def read_bytes(path: Path) -> bytes:
    """A file's bytes; ``.gz`` files are decompressed (the embedded registry ships gzipped)."""
    try:
        if path.suffix == ".gz":
            return gzip.decompress(path.read_bytes())
        return path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise IngestError(path, None, f"cannot read: {exc}") from None


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """Decode a whole file strictly; a bad byte is an error naming its line, never a silent '?'. Windows-1252
    characters that the publisher's own tools turned into C1 controls are put back (names.clean.repair_c1)."""
    data = read_bytes(path)
    if encoding == "utf-8" and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return repair_c1(data.decode(encoding))
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise IngestError(path, f"line {line}", f"not valid {encoding} (byte {data[exc.start]:#04x})") from None


def iter_csv(
    path: Path,
    *,
    columns: int | None = None,
    min_columns: int | None = None,
    delimiter: str = ",",
    skip_lines: int = 0,
    encoding: str = "utf-8",
) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, row). Rows with the wrong number of columns raise IngestError."""
    text = read_text(path, encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            line = reader.line_num
            if line <= skip_lines or not row or (len(row) == 1 and not row[0].strip()):
                continue
            if columns is not None and len(row) != columns:
                raise IngestError(path, f"line {line}", f"expected {columns} columns, found {len(row)}")
            if min_columns is not None and len(row) < min_columns:
                raise IngestError(path, f"line {line}", f"expected at least {min_columns} columns, found {len(row)}")
            yield line, row
    except csv.Error as exc:
        raise IngestError(path, f"line {reader.line_num}", f"malformed CSV: {exc}") from None


def read_csv_header(
    path: Path, required: list[str], *, delimiter: str = ",", skip_lines: int = 0, encoding: str = "utf-8"
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row as dict) for a CSV with a header; missing required columns raise."""
    rows = iter_csv(path, delimiter=delimiter, skip_lines=skip_lines, encoding=encoding)
    try:
        _, header = next(rows)
    except StopIteration:
        raise IngestError(path, "line 1", "empty file: no header row") from None
    header = [h.strip().strip('"') for h in header]
    missing = [c for c in required if c not in header]
    if missing:
        raise IngestError(path, f"line {skip_lines + 1}", f"missing columns: {', '.join(missing)}")
    width = len(header)
    for line, row in rows:
        if len(row) != width:
            raise IngestError(path, f"line {line}", f"expected {width} columns, found {len(row)}")
        yield line, dict(zip(header, row, strict=True))


def parse_xml(path: Path) -> etree._Element:
    """Parse a whole XML file; a truncated or malformed file raises IngestError with the line."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=True)
    try:
        return etree.fromstring(read_bytes(path), parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else "?"
        raise IngestError(path, f"line {line}", f"malformed XML: {exc.msg}") from None


def local(tag: object) -> str:
    """An XML tag without its namespace."""
    text = str(tag)
    return text.rsplit("}", 1)[-1]


def child_text(el: etree._Element, name: str) -> str | None:
    """Text of the first direct child with this local name."""
    for child in el:
        if local(child.tag) == name:
            return clean(child.text)
    return None


def children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if local(c.tag) == name]


def element_location(el: etree._Element) -> str:
    line = el.sourceline
    return f"line {line} <{local(el.tag)}>" if line else f"<{local(el.tag)}>"


@lru_cache(maxsize=4096)
def country_code(raw: str | None) -> str | None:
    """Resolve a country name or code to rigour's territory code ("ru", "ua-cri"); None if blank."""
    value = clean(raw)
    if value is None:
        return None
    territory = lookup_territory(value)
    if territory is not None:
        return str(territory.code)
    return value.lower()


def csv_header(head: str) -> set[str] | None:
    """The column names on the first line of a CSV file's head (for sniffing); None when it has none."""
    first = head.lstrip("\ufeff").split("\n", 1)[0].strip("\r")
    if not first:
        return None
    try:
        return {h.strip() for h in next(csv.reader(io.StringIO(first)))}
    except (csv.Error, StopIteration):
        return None


def iter_csv_records(
    path: Path, allowed: Sequence[str], required: Sequence[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, {column: value}) of a CSV file with a header, for the agency's own formats: the header must
    name only `allowed` columns, each once, and every `required` one; every row must have the header's width."""
    rows = iter_csv(path)
    try:
        header_line, header = next(rows)
    except StopIteration:
        raise IngestError(path, "line 1", "empty file: no header row") from None
    columns = [h.strip() for h in header]
    where = f"line {header_line}"
    unknown = [c for c in columns if c not in allowed]
    if unknown:
        raise IngestError(path, where, f"unknown columns: {', '.join(unknown)} (allowed: {', '.join(allowed)})")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise IngestError(path, where, f"repeated columns: {', '.join(repeated)}")
    missing = [c for c in required if c not in columns]
    if missing:
        raise IngestError(path, where, f"missing columns: {', '.join(missing)}")
    for line, values in rows:
        if len(values) != len(columns):
            raise IngestError(path, f"line {line}", f"expected {len(columns)} columns, found {len(values)}")
        yield line, dict(zip(columns, values, strict=True))


def first_occurrence(seen: dict[str, str], key: str, path: Path, line: int, column: str, what: str) -> None:
    """Note where ``key`` first appears in a file's rows; a second appearance fails, naming both places."""
    first = seen.get(key)
    if first is not None:
        raise IngestError(path, f"line {line}, column {column}", f"{what}, first at {first}")
    seen[key] = f"{path}:line {line}"


def _valid(y: int, m: int | None = None, d: int | None = None) -> bool:
    if not 1000 <= y <= 2100:
        return False
    if m is None:
        return True
    if not 1 <= m <= 12:
        return False
    if d is None:
        return True
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


def _iso(y: int, m: int | None = None, d: int | None = None) -> str | None:
    if not _valid(y, m, d):
        # keep what is valid: a bad day still tells the month, a bad month the year
        if m is not None and _valid(y, m):
            return f"{y:04d}-{m:02d}"
        return f"{y:04d}" if _valid(y) else None
    if m is None:
        return f"{y:04d}"
    if d is None:
        return f"{y:04d}-{m:02d}"
    return f"{y:04d}-{m:02d}-{d:02d}"


_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_DMY_TEXT = re.compile(r"^(?:(\d{1,2})\s+)?([A-Za-z]{3})[a-z]*\.?\s+(\d{4})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$")
_YEAR = re.compile(r"^(?:circa|approximately|approx\.?|about|ca\.?)?\s*(\d{4})$", re.IGNORECASE)


def parse_date(raw: str | None, *, month_first: bool = False) -> str | None:
    """Read the date formats the lists use into an ISO prefix; None when it is not a date.

    Handles "1966-10-24", "24 Oct 1966", "Oct 1966", "circa 1966", "24/10/1966" (or
    "06/19/2003" with month_first) and zero placeholders such as "00/10/1983".
    """
    value = clean(raw)
    if value is None:
        return None
    if m := _ISO.match(value):
        y, mo, d = int(m[1]), m[2], m[3]
        mo_i = int(mo) if mo and int(mo) else None
        d_i = int(d) if d and int(d) and mo_i else None
        return _iso(y, mo_i, d_i)
    if m := _YEAR.match(value):
        return _iso(int(m[1]))
    if m := _DMY_TEXT.match(value):
        month = _MONTHS.get(m[2].lower())
        if month is None:
            return None
        return _iso(int(m[3]), month, int(m[1]) if m[1] else None)
    if m := _NUMERIC.match(value):
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        mo, d = (a, b) if month_first else (b, a)
        if not mo:
            return _iso(y)
        return _iso(y, mo, d or None)
    return None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a parser builds many small records.

    The records hold no reference cycles, so reference counting frees them anyway; the
    collector's passes over the growing heap cost about a third of the parse time.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
