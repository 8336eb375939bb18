"""`resolver audit`: query the audit log of screening decisions, or fold its journals into the database."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from resolver.service.audit import AuditError, AuditLog, default_audit_dir
from resolver.settings import Settings

app = typer.Typer(
    help="Query the audit log of screening decisions (newest first).",
    add_completion=False,
    invoke_without_command=True,
)
err = Console(stderr=True, soft_wrap=True)


def _default_dir() -> Path:
    settings = Settings.from_env()
    return settings.audit_dir or default_audit_dir(settings.store)


def _instant(value: str | None, option: str) -> datetime | None:
    """An ISO date or date-time; without a zone it is UTC, a date alone is its midnight."""
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO date or date-time (e.g. 2026-11-27 or 2026-11-27T14:30Z)", param_hint=option
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


DirOption = Annotated[
    Path | None,
    typer.Option(
        "--dir", help="Audit directory (default: $RESOLVER_AUDIT_DIR or 'audit' beside the store).", show_default=False
    ),
]


def _open(directory: Path | None) -> AuditLog:
    path = directory or _default_dir()
    if not path.is_dir():
        err.print(f"[red]error:[/red] no audit directory at {path}", highlight=False)
        raise typer.Exit(code=2)
    return AuditLog(path)


@app.callback()
def show(
    ctx: typer.Context,
    directory: DirOption = None,
    request_id: Annotated[str | None, typer.Option("--request-id", help="Only this request.")] = None,
    caller: Annotated[str | None, typer.Option("--caller", help="Only this caller.")] = None,
    entity: Annotated[str | None, typer.Option("--entity", help="Only decisions returning this entity id.")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="From this ISO date/time, inclusive (UTC unless a zone is given).")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Before this ISO date/time (exclusive).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many decisions.")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """Show decisions (folded and still journaled), newest first."""
    if ctx.invoked_subcommand is not None:
        return
    start, end = _instant(since, "--since"), _instant(until, "--until")
    audit = _open(directory)
    try:
        rows = audit.query(request_id=request_id, caller=caller, entity_id=entity, since=start, until=end, limit=limit)
    except AuditError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(code=1) from None
    if as_json:
        for row in rows:
            sys.stdout.write(json.dumps(_jsonable(row), ensure_ascii=False, sort_keys=True) + "\n")
        return
    out = Console(highlight=False)
    if not out.is_terminal:
        out.width = 200  # piped to a file: don't wrap a decision into 80 columns
    out.print(_table(rows))


@app.command()
def fold(directory: DirOption = None) -> None:
    """Move journaled decisions into audit.duckdb now (the service also does it every few seconds)."""
    audit = _open(directory)
    try:
        moved = audit.fold()
    except AuditError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(code=1) from None
    sys.stdout.write(f"folded {moved} decisions\n")


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime | date) else v for k, v in row.items()}


def _table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title=f"{len(rows)} decisions, newest first", title_justify="left")
    for name in ("at (UTC)", "request id", "caller", "method", "status", "party", "matches", "snapshot", "model"):
        table.add_column(name)
    table.add_column("threshold", justify="right")
    table.add_column("ms", justify="right")
    for row in rows:
        party = row["party"]
        matches = "\n".join(f"{m['entity_id']} ({m['match_weight']:.3g})" for m in row["matches"]) or "–"
        cells = (
            row["at"].strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
            row["request_id"],
            row["caller"],
            row["method"],
            row["status"],
            f"{party.get('name', '')} [{party.get('kind') or '?'}]",
            matches,
            f"{row['snapshot_id']} {row['snapshot_digest'][:12]}",
            row["model_version"],
            f"{row['threshold_match_weight']:.4g}",
            f"{row['latency_ms']:.2f}",
        )
        table.add_row(*(Text(cell) for cell in cells))  # Text: a name with [brackets] is data, not markup
    return table
