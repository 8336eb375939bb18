"""The `resolver` command line. Results go to stdout; logs and progress go to stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from resolver.logs import configure_logging
from resolver.registry.errors import IngestError
from resolver.registry.store import RegistryStore, StoreError, StoreStatus
from resolver.service.audit_cli import app as audit_app
from resolver.settings import EMBEDDED_REGISTRY, Settings

app = typer.Typer(help="Entity resolution and sanctions screening.", no_args_is_help=True, add_completion=False)
registry_app = typer.Typer(help="Inspect the registry store.", no_args_is_help=True)
app.add_typer(registry_app, name="registry")
app.add_typer(audit_app, name="audit")

err = Console(stderr=True, soft_wrap=True)  # error lines are read by scripts too: never wrap them
# A fixed width keeps text output byte-stable whatever the terminal (status output depends on the store only).
out = Console(width=120, highlight=False, soft_wrap=False)

StoreOption = Annotated[
    Path | None, typer.Option("--store", help="Registry store file (default: $RESOLVER_STORE or ~/.local/share).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.callback()
def _configure() -> None:
    settings = Settings.from_env()
    configure_logging(settings.log_format, settings.log_level)


def _store(store: Path | None) -> RegistryStore:
    return RegistryStore(store or Settings.from_env().store)


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
    return typer.Exit(code=1)


def _dump(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n")


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Registry files or folders.", show_default=False)] = None,
    format_name: Annotated[str | None, typer.Option("--format", help="Skip detection: read every file as FMT.")] = None,
    source: Annotated[str | None, typer.Option("--source", help="Name of the source (one source only).")] = None,
    embedded: Annotated[bool, typer.Option("--embedded", help="Ingest the registry shipped with the package.")] = False,
    note: Annotated[str | None, typer.Option("--note", help="A note stored with the snapshot.")] = None,
    store: StoreOption = None,
) -> None:
    """Parse registry files and write a new snapshot (atomic: all of it or nothing), and save its matcher."""
    from resolver.matching.persist import SavedMatchers
    from resolver.registry.ingest import parse_all, plan
    from resolver.service.snapshot import prepare_matcher, saved_matchers_dir

    registry = _store(store)
    inputs = list(paths or [])
    if embedded:
        inputs.append(EMBEDDED_REGISTRY)
    if not inputs:
        raise _fail("name files or folders to ingest, or pass --embedded")
    try:
        groups = plan(inputs, format_name)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal,
        ) as bar:  # fmt: skip
            task = bar.add_task("parsing", total=len(groups) + 1)
            parsed = parse_all(
                inputs, format_name=format_name, source=source,
                on_parsed=lambda p: bar.update(task, advance=1, description=f"parsed {p.source}"),
            )  # fmt: skip
            bar.update(task, description="writing snapshot")
            # Servers that see the new snapshot wait for its matcher (built and saved here, once) rather than
            # each building their own while they serve.
            saved = SavedMatchers(saved_matchers_dir(registry))
            with saved.locked() as held:
                result = registry.ingest(parsed, note=note)
                if result.snapshot_id is not None and held:
                    bar.update(task, description="building the snapshot's matcher")
                    try:
                        prepare_matcher(registry.path, holding_lock=True)
                    except Exception as exc:  # the snapshot is written: a server builds the matcher instead
                        err.print(f"warning: the snapshot's matcher was not saved ({exc}); servers will build it")
            bar.update(task, advance=1)
    except (IngestError, StoreError) as exc:
        raise _fail(f"{exc}\nthe store is unchanged") from None
    table = Table("source", "format", "entities", "names", "relations", "result", box=None)
    for p in parsed:
        counts = result.counts[p.source]
        table.add_row(
            p.source, p.format, str(counts["entities"]), str(counts.get("names", "-")), str(counts["relations"]),
            "new version" if p.source in result.changed else "unchanged",
        )  # fmt: skip
    out.print(table)
    if result.snapshot_id is None:
        out.print("no change: no new snapshot")
    else:
        out.print(f"snapshot {result.snapshot_id} written to {registry.path}")


@app.command("formats")
def list_formats() -> None:
    """The registry formats `resolver ingest` reads."""
    from resolver.registry.parsers import formats

    table = Table("format", "description", box=None)
    for fmt in formats().values():
        table.add_row(fmt.name, fmt.description)
    out.print(table)


def _status_json(status: StoreStatus) -> dict[str, Any]:
    return {
        "snapshot_id": status.snapshot_id,
        "snapshot_digest": status.snapshot_digest,
        "created_at": status.created_at,
        "entities": status.entities,
        "names": status.names,
        "sources": [asdict(s) for s in status.sources],
    }


@registry_app.command("status")
def registry_status(
    as_json: JsonOption = False,
    snapshot: Annotated[int | None, typer.Option(help="A past snapshot (default: current).")] = None,
    store: StoreOption = None,
) -> None:
    """The current snapshot and each source's version, hash and counts."""
    try:
        status = _store(store).status(snapshot)
    except StoreError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        _dump(_status_json(status))
        return
    if status.snapshot_id is None:
        out.print("no snapshot yet: run `resolver ingest`")
        return
    out.print(f"snapshot {status.snapshot_id}  digest {status.snapshot_digest[:16] if status.snapshot_digest else ''}")
    out.print(f"created  {status.created_at}")
    table = Table("source", "version", "published", "sha256", "entities", "names", "by kind", box=None)
    for s in status.sources:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(s.entities_by_kind.items()))
        table.add_row(
            s.source, str(s.version_id), s.publisher_date or "-", s.digest[:12], str(s.entities), str(s.names), kinds
        )
    out.print(table)
    out.print(f"total: {status.entities} entities, {status.names} names")


@registry_app.command("snapshots")
def registry_snapshots(as_json: JsonOption = False, store: StoreOption = None) -> None:
    """Every snapshot in the store, oldest first."""
    try:
        rows = _store(store).snapshots()
    except StoreError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        _dump([{"snapshot_id": i, "digest": d, "created_at": c, "note": n} for i, d, c, n in rows])
        return
    table = Table("snapshot", "digest", "created", "note", box=None)
    for i, d, c, n in rows:
        table.add_row(str(i), d[:16], c, n or "")
    out.print(table)


@registry_app.command("diff")
def registry_diff(
    old: Annotated[int, typer.Argument(help="Older snapshot id.")],
    new: Annotated[int, typer.Argument(help="Newer snapshot id.")],
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option(help="Rows shown per section in text output (0: all).")] = 50,
    store: StoreOption = None,
) -> None:
    """Entities added, removed and changed between two snapshots."""
    try:
        diff = _store(store).diff(old, new)
    except StoreError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        _dump(asdict(diff))
        return
    out.print(
        f"snapshot {old} -> {new}: {len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed"
    )
    for label, rows in (("added", diff.added), ("removed", diff.removed), ("changed", diff.changed)):
        if not rows:
            continue
        table = Table(label, "kind", "name", "what changed", box=None)
        for change in rows[: limit or None]:
            table.add_row(change.entity_id, change.kind, change.primary_name, ", ".join(change.fields))
        out.print(table)
        if limit and len(rows) > limit:
            out.print(f"... and {len(rows) - limit} more {label} (use --limit 0 or --json)")


@registry_app.command("entity")
def registry_entity(
    entity_id: Annotated[str, typer.Argument(help="Entity id, e.g. us_ofac_sdn:12345.")],
    snapshot: Annotated[int | None, typer.Option(help="A past snapshot (default: current).")] = None,
    store: StoreOption = None,
) -> None:
    """One entity's full record (names, identifiers, dates, countries, addresses, relations) as JSON."""
    try:
        _dump(_store(store).entity(entity_id, snapshot))
    except StoreError as exc:
        raise _fail(str(exc)) from None


@registry_app.command("find")
def registry_find(
    text: Annotated[str, typer.Argument(help="Text contained in a name (case-insensitive).")],
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 20,
    store: StoreOption = None,
) -> None:
    """Entities with a name containing TEXT: a lookup aid, not the matcher."""
    try:
        rows = _store(store).find(text, limit=limit)
    except StoreError as exc:
        raise _fail(str(exc)) from None
    table = Table("entity", "primary name", "matching name", box=None)
    for row in rows:
        table.add_row(*row)
    out.print(table)


ModelOption = Annotated[
    Path | None, typer.Option("--model", help="Model directory (default: the model shipped in the package).")
]


@app.command()
def train(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory to write the model artefact to.")],
    exclude_names: Annotated[
        Path | None, typer.Option(help="File of names, one per line: entities holding one are not trained on.")
    ] = None,
    tune_pairs: Annotated[
        Path | None, typer.Option(help="Labelled pairs CSV (name1,name2,label[,schema,...]) to choose the threshold.")
    ] = None,
    u_max_pairs: Annotated[float, typer.Option(help="Random pairs for estimating u.")] = 5e6,
    max_fpr: Annotated[
        float, typer.Option(help="With --tune-pairs: the share of non-matching pairs the threshold may flag.")
    ] = 0.05,
    seed: Annotated[int, typer.Option(help="Seed of the random sampling.")] = 1,
    tune_negatives: Annotated[
        Path | None,
        typer.Option(help="CSV of parties on no list (name[,kind,birth_date,country]): raise the threshold for them."),
    ] = None,
    max_flagged: Annotated[
        float, typer.Option(help="With --tune-negatives: the share of those parties the threshold may flag.")
    ] = 0.004,
    store: StoreOption = None,
) -> None:
    """Train the Splink model from the registry (aliases of one listing are the labels)."""
    from resolver.model.training import run_training

    try:
        artefact = run_training(
            _store(store),
            out_dir,
            exclude_names=exclude_names,
            tune_pairs=tune_pairs,
            u_max_pairs=u_max_pairs,
            seed=seed,
            max_fpr=max_fpr,
            tune_negatives=tune_negatives,
            max_flagged=max_flagged,
        )
    except (IngestError, StoreError) as exc:
        raise _fail(str(exc)) from None
    m = artefact.manifest
    out.print(f"model {artefact.version} written to {out_dir}")
    out.print(
        f"trained on snapshot {m['trained_on']['snapshot_id']}: {m['trained_on']['entities']} entities, "
        f"{m['trained_on']['rows']} names ({m['trained_on']['entities_excluded']} entities held out)"
    )
    out.print(f"threshold: match weight {artefact.threshold_match_weight:.3f} ({m['threshold_source']})")


@app.command()
def compare(
    pairs: Annotated[
        Path, typer.Option("--pairs", help="CSV with name1,name2 (+ schema, dob1, dob2, country1, country2).")
    ],
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the scored CSV.")],
    model: ModelOption = None,
) -> None:
    """Score name pairs with the model (match_weight, match_probability, match at the default threshold)."""
    from resolver.matching.pairs import compare_file
    from resolver.matching.scorer import CompiledModel
    from resolver.model.artefact import DEFAULT_MODEL_DIR, ModelError, load_artefact

    try:
        artefact = load_artefact(model or DEFAULT_MODEL_DIR)
        scorer = CompiledModel(artefact.model, artefact.term_frequencies)
        n = compare_file(scorer, artefact, pairs, out_path)
    except (IngestError, ModelError) as exc:
        raise _fail(str(exc)) from None
    err.print(f"{n} pairs scored with model {artefact.version} -> {out_path}")


def _has_snapshot(registry: RegistryStore) -> bool:
    if not registry.path.exists():
        return False
    try:
        return registry.status().snapshot_id is not None
    except StoreError:
        return False


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on; not loopback requires --tokens.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 50051,
    workers: Annotated[int, typer.Option(help="Processes sharing the port (SO_REUSEPORT): about one per core.")] = 1,
    threads: Annotated[int, typer.Option(help="Handler threads per process.")] = 8,
    tokens: Annotated[
        Path | None, typer.Option("--tokens", help="Bearer tokens file: caller:token[:Method,...] per line.")
    ] = None,
    tls_cert: Annotated[Path | None, typer.Option(help="TLS certificate chain (PEM).")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="TLS private key (PEM).")] = None,
    tls_client_ca: Annotated[
        Path | None, typer.Option(help="Require client certificates signed by this CA (mutual TLS).")
    ] = None,
    audit_dir: Annotated[
        Path | None,
        typer.Option(help="Audit log directory (default: $RESOLVER_AUDIT_DIR or 'audit' beside the store)."),
    ] = None,
    metrics_port: Annotated[int | None, typer.Option(help="Serve Prometheus metrics on this port.")] = None,
    max_message_bytes: Annotated[int, typer.Option(help="Largest request or response message.")] = 4 * 1024 * 1024,
    pin_cpus: Annotated[
        bool, typer.Option(help="Pin each serving process to one CPU (worker i to the i-th): less latency per call.")
    ] = False,
    model: ModelOption = None,
    store: StoreOption = None,
) -> None:
    """Serve ResolverService over gRPC. With no store yet, the embedded default registry is ingested first."""
    from resolver.model.artefact import DEFAULT_MODEL_DIR
    from resolver.service.audit import default_audit_dir
    from resolver.service.auth import TokenError
    from resolver.service.server import ServeConfig, ServeError
    from resolver.service.server import serve as run_server

    settings = Settings.from_env()
    registry = _store(store)
    if not _has_snapshot(registry):
        err.print(f"no snapshot in {registry.path}: ingesting the embedded default registry")
        # `resolver ingest --embedded` in a process of its own: it saves the snapshot's matcher too, and the heap
        # of the parse (~40 MiB) stays out of the process that serves. Its table is printed to stderr, as logs are.
        ingest_cmd = [sys.executable, "-m", "resolver.cli", "ingest", "--embedded", "--store", str(registry.path),
                      "--note", "embedded default registry"]  # fmt: skip
        done = subprocess.run(ingest_cmd, stdout=subprocess.PIPE, text=True, check=False)
        if done.stdout.strip():
            err.print(done.stdout.rstrip(), highlight=False, markup=False)
        if done.returncode != 0:
            raise _fail(f"the embedded default registry could not be ingested into {registry.path} (see above)")
    config = ServeConfig(
        store=registry.path,
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        model_dir=model or DEFAULT_MODEL_DIR,
        tokens_file=tokens or settings.tokens_file,
        tokens_env=settings.tokens,
        tls_cert=tls_cert,
        tls_key=tls_key,
        tls_client_ca=tls_client_ca,
        audit_dir=audit_dir or settings.audit_dir or default_audit_dir(registry.path),
        max_message_bytes=max_message_bytes,
        metrics_port=metrics_port,
        pin_cpus=pin_cpus,
    )
    try:
        run_server(config)
    except (ServeError, TokenError, StoreError) as exc:
        raise _fail(str(exc)) from None


@app.command()
def resolve(
    name: Annotated[str, typer.Argument(help="The party's name, in any script.")],
    kind: Annotated[str | None, typer.Option(help="person, organization, vessel or aircraft.")] = None,
    country: Annotated[str | None, typer.Option(help="Country code or name.")] = None,
    birth_date: Annotated[str | None, typer.Option("--dob", help="Date of birth: YYYY, YYYY-MM or YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many matches.")] = 10,
    threshold: Annotated[float | None, typer.Option(help="Match probability threshold (default: the model's).")] = None,
    address: Annotated[
        str | None, typer.Option("--address", help="Server host:port (default $RESOLVER_ADDRESS).")
    ] = None,
    token: Annotated[str | None, typer.Option(help="Bearer token (default $RESOLVER_TOKEN).")] = None,
    ca: Annotated[Path | None, typer.Option(help="Use TLS, trusting this CA certificate.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Resolve one party through a running server (`resolver serve`)."""
    from resolver.service import client
    from resolver.v1 import resolver_pb2 as pb

    settings = Settings.from_env()
    if kind is not None and kind not in client.KIND_VALUES:
        raise _fail(f"--kind must be one of {', '.join(client.KIND_VALUES)}")
    party = pb.Party(
        name=name, kind=client.KIND_VALUES.get(kind or "", pb.ENTITY_KIND_UNSPECIFIED), country=country or ""
    )
    if birth_date:
        try:
            parts = [int(p) for p in birth_date.split("-")] + [0, 0]
        except ValueError:
            raise _fail(f"--dob {birth_date!r} is not YYYY, YYYY-MM or YYYY-MM-DD") from None
        party.birth_date.CopyFrom(pb.PartialDate(year=parts[0], month=parts[1], day=parts[2]))
    options = pb.ResolveOptions(limit=limit)
    if threshold is not None:
        options.threshold = threshold
    target = client.Target(address or settings.address, token or settings.token, ca)
    try:
        response = client.resolve(target, pb.ResolveEntityRequest(party=party, options=options))
    except client.CallError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        _dump(client.as_dict(response))
        return
    p = response.provenance
    out.print(
        f"snapshot {p.snapshot_id} ({p.snapshot_digest[:12]}), model {p.model_version}, threshold "
        f"p >= {p.threshold:.3g} (weight {p.threshold_match_weight:.3f})"
    )
    out.print(f"request {response.request_id}")
    if not response.matches:
        out.print("no match")
        return
    table = Table("probability", "weight", "entity", "source", "matched name", "evidence", box=None)
    for m in response.matches:
        evidence = ", ".join(f"{e.comparison} {e.match_weight:+.1f}" for e in m.evidence if e.match_weight)
        table.add_row(
            f"{m.match_probability:.3f}", f"{m.match_weight:.2f}", m.entity.id, m.entity.source, m.matched_name,
            evidence,
        )  # fmt: skip
    out.print(table)


@app.command()
def ownership(
    party: Annotated[str, typer.Argument(help="An entity id (e.g. os_zala_entities:NK-...) or a name in the store.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Judge edges and listings on this date (YYYY-MM-DD; default today).")
    ] = None,
    depth: Annotated[int, typer.Option(help="At most this many ownership steps upwards.")] = 6,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Ownership chains from a party up to listed owners, and each jurisdiction's verdict."""
    import datetime as dt

    from resolver.ownership.assess import assess
    from resolver.ownership.load import load_graph
    from resolver.ownership.rules import load_rules

    if as_of is not None:
        try:
            as_of = dt.date.fromisoformat(as_of).isoformat()
        except ValueError:
            raise _fail(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
    if depth < 1:
        raise _fail("--depth must be 1 or more")
    registry = _store(store)
    try:
        rules = load_rules()
        graph = load_graph(registry, rules=rules)
        node_id = party if party in graph.index else None
        if node_id is None:
            found = registry.find(party, limit=50)
            exact = sorted({eid for eid, _, name in found if name.casefold() == party.casefold()})
            candidates = exact or sorted({eid for eid, _, _ in found})
            if len(candidates) != 1:
                named = dict((eid, name) for eid, name, _ in found)
                listing = "\n".join(f"  {eid}  {name}" for eid, name in list(named.items())[:20])
                what = "no entity" if not candidates else f"{len(candidates)} entities"
                raise _fail(f"{what} named {party!r}; give one entity id{':' if listing else ''}\n{listing}".rstrip())
            node_id = candidates[0]
    except StoreError as exc:
        raise _fail(str(exc)) from None
    result = assess(graph, node_id, rules, as_of, depth)
    if as_json:
        _dump(asdict(result))
        return
    out.print(f"{graph.names[graph.index[node_id]]} ({node_id}), as of {result.as_of}")
    for i, chain in enumerate(result.chains):
        steps = []
        for s in chain.steps:
            lists = f", listed: {', '.join(s.owner_lists[:4])}" if s.owner_lists else ""
            steps.append(f"{s.owner_name} ({s.kind} {s.share.text()}{lists})")
        effective = "" if chain.effective_share is None else f" (effective {chain.effective_share:.4g}%)"
        out.print(f"  chain {i}: " + " <- ".join(steps) + effective, markup=False)
    if result.truncated:
        out.print("  (more chains exist than are shown)")
    table = Table("jurisdiction", "verdict", "share counted", "explanation", box=None)
    for v in result.verdicts:
        counted = "" if v.counted_share is None else f"{v.counted_share:.4g}%"
        table.add_row(v.jurisdiction, v.verdict, counted, v.explanation)
    out.print(table)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
