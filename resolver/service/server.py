"""Building and running the gRPC server: one process, or N worker processes sharing one port.

Python threads share one GIL, so a process answers on one core at a time. `--workers N` starts N processes that
each bind the same port with SO_REUSEPORT (the kernel spreads connections across them); each loads the snapshot,
mapping the matcher that another process built and saved beside the store (one copy of its pages for all), and
watches the store for new ones. Shutdown (SIGTERM/SIGINT) marks health NOT_SERVING, stops taking
calls, and lets the calls in flight finish (the grace period) before the process exits.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import tempfile
import threading
from concurrent import futures
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from resolver.model.artefact import DEFAULT_MODEL_DIR, load_artefact
from resolver.registry.store import RegistryStore
from resolver.service.auth import Authenticator, load_grants
from resolver.service.observability import RELOADS, SNAPSHOT, CallInterceptor
from resolver.v1 import resolver_pb2 as pb
from resolver.v1 import resolver_pb2_grpc as pb_grpc

if TYPE_CHECKING:  # imported where used: the parent of --workers serves nothing and stays light
    from resolver.service.snapshot import SnapshotHolder

log = structlog.get_logger(__name__)

SERVICE = pb.DESCRIPTOR.services_by_name["ResolverService"].full_name
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


class ServeError(Exception):
    pass


@dataclass(frozen=True)
class ServeConfig:
    store: Path
    host: str = "127.0.0.1"
    port: int = 50051
    workers: int = 1
    threads: int = 8  # handler threads per process: calls wait on the GIL, not on I/O
    model_dir: Path = DEFAULT_MODEL_DIR
    tokens_file: Path | None = None
    tokens_env: str | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None  # set: clients must present a certificate signed by it (mutual TLS)
    audit_dir: Path | None = None  # None: no audit log (tests of other things only; `resolver serve` always sets it)
    # Whether this process also folds the audit journals into audit.duckdb. `serve` turns it off in the processes
    # that answer calls and folds in another one: a fold parses a few thousand records while holding the GIL.
    audit_fold: bool = True
    max_message_bytes: int = 4 * 1024 * 1024
    reload_interval_s: float = 2.0
    grace_s: float = 10.0
    metrics_port: int | None = None
    # Pin each process that answers calls to one CPU (worker i to the i-th CPU it may use): its gRPC poller and
    # handler threads hand every call to each other, which costs less on one core than across two.
    pin_cpus: bool = False
    cpu: int | None = None  # the CPU this process runs on; set by serve() when pin_cpus

    def check(self) -> None:
        """Refuse configurations that would be unsafe or cannot work, before anything is loaded."""
        if self.workers < 1:
            raise ServeError("--workers must be 1 or more")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ServeError("TLS needs both a certificate and its key (--tls-cert and --tls-key)")
        if self.tls_client_ca and not self.tls_cert:
            raise ServeError("mutual TLS (--tls-client-ca) needs server TLS too (--tls-cert, --tls-key)")
        for path in (self.tls_cert, self.tls_key, self.tls_client_ca, self.tokens_file):
            if path is not None and not path.is_file():
                raise ServeError(f"{path} is not a readable file")
        if self.host not in LOOPBACK and not (self.tokens_file or self.tokens_env):
            raise ServeError(
                f"listening on {self.host} (not loopback) requires authentication: "
                "give --tokens FILE or set RESOLVER_TOKENS"
            )


def _credentials(config: ServeConfig) -> grpc.ServerCredentials | None:
    if config.tls_cert is None or config.tls_key is None:
        return None
    pair = [(config.tls_key.read_bytes(), config.tls_cert.read_bytes())]
    if config.tls_client_ca is not None:
        return grpc.ssl_server_credentials(
            pair, root_certificates=config.tls_client_ca.read_bytes(), require_client_auth=True
        )
    return grpc.ssl_server_credentials(pair)


class Running:
    """A started server with what it needs to stop cleanly."""

    def __init__(
        self, server: grpc.Server, port: int, holder: SnapshotHolder, health_servicer: Any, audit: Any,
        fold_audit: bool = True,
    ):  # fmt: skip
        self.server = server
        self.port = port
        self.holder = holder
        self.health = health_servicer
        self.audit = audit
        self.fold_audit = fold_audit  # False: another process folds this one's journal, after it has stopped

    def stop(self, grace_s: float) -> None:
        self.health.enter_graceful_shutdown()  # NOT_SERVING first: balancers stop sending new calls
        self.holder.stop()
        self.server.stop(grace_s).wait()
        if self.audit is not None:
            self.audit.close(fold=self.fold_audit)
        log.info("server stopped", port=self.port)


def start(config: ServeConfig, holder: SnapshotHolder | None = None) -> Running:
    """Build the snapshot (unless given), start the server, and return once it is listening."""
    from resolver.service.servicer import ResolverServicer
    from resolver.service.snapshot import SnapshotHolder

    config.check()
    grants = load_grants(config.tokens_file, config.tokens_env)
    authenticator = Authenticator(grants) if (config.tokens_file or config.tokens_env) else None
    store = RegistryStore(config.store)
    if holder is None:
        holder = SnapshotHolder(store, load_artefact(config.model_dir), build_elsewhere=True)
    SNAPSHOT.set(holder.current.snapshot_id)
    audit = None
    if config.audit_dir is not None:
        from resolver.service.audit import AuditLog

        audit = AuditLog(config.audit_dir)
        if config.audit_fold:
            audit.start_folding()
    options = [
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.max_send_message_length", config.max_message_bytes),
        ("grpc.so_reuseport", 1 if config.workers > 1 else 0),
    ]
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=config.threads, thread_name_prefix="rpc"),
        interceptors=[CallInterceptor(authenticator)],
        options=options,
    )
    pb_grpc.add_ResolverServiceServicer_to_server(ResolverServicer(holder, audit), server)  # type: ignore[no-untyped-call]
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((SERVICE, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    address = f"{config.host}:{config.port}"
    credentials = _credentials(config)
    try:
        port = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    except RuntimeError as exc:
        raise ServeError(f"cannot listen on {address}: {exc}") from None
    server.start()
    for name in ("", SERVICE):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)

    def on_reload() -> None:
        SNAPSHOT.set(holder.current.snapshot_id)
        RELOADS.inc()

    holder.on_swap = on_reload
    holder.watch(config.reload_interval_s)
    log.info(
        "serving", address=f"{config.host}:{port}", snapshot_id=holder.current.snapshot_id,
        model=holder.artefact.version, tls=credentials is not None, mutual_tls=config.tls_client_ca is not None,
        authentication=authenticator is not None, pid=os.getpid(),
    )  # fmt: skip
    return Running(server, port, holder, health_servicer, audit, config.audit_fold)


def _pin(cpu: int) -> None:
    """Run every thread of this process, and the threads they start, on ``cpu`` only. Pinning only saves time:
    where the system refuses it, the process serves unpinned, with a warning."""
    try:
        for task in Path("/proc/self/task").iterdir():  # sched_setaffinity(0) would pin the calling thread only
            with contextlib.suppress(ProcessLookupError):  # a thread that has just ended
                os.sched_setaffinity(int(task.name), {cpu})
    except OSError as exc:
        log.warning("not pinned", cpu=cpu, pid=os.getpid(), error=str(exc))
        return
    log.info("pinned", cpu=cpu, pid=os.getpid())


def _run_until_signalled(config: ServeConfig) -> None:
    if config.cpu is not None:
        _pin(config.cpu)
    running = start(config)
    stopping = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        log.info("shutting down", signal=signal.Signals(signum).name, grace_s=config.grace_s)
        stopping.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    stopping.wait()
    running.stop(config.grace_s)


def _worker(config: ServeConfig, index: int) -> None:
    from resolver.logs import configure_logging_from_env

    configure_logging_from_env()
    structlog.contextvars.bind_contextvars(worker=index)
    _run_until_signalled(config)


def serve(config: ServeConfig) -> None:
    """Serve until SIGTERM/SIGINT: in this process, or in `config.workers` processes on one port. The audit
    journals are folded outside the processes that answer calls: by a folder process next to a single server
    process, or by the parent of the workers."""
    config.check()
    context = multiprocessing.get_context("spawn")  # a fresh interpreter each: no forked locks or threads
    cpus = sorted(os.sched_getaffinity(0)) if config.pin_cpus else []

    def cpu_of(worker: int) -> int | None:  # worker i on the i-th CPU it may use, in turn
        return cpus[worker % len(cpus)] if cpus else None

    # A process of its own builds and saves the snapshot's matcher (unless `resolver ingest` did), then exits: the
    # processes that serve map it (one copy of its pages for all of them), and none keeps the heap a build leaves
    # behind. Should it fail, they build it themselves (under a lock: one builds, the others map what it saved).
    from resolver.service.builder import prepare_matcher_elsewhere

    prepare_matcher_elsewhere(config.store, config.model_dir)
    if config.workers == 1:
        config = replace(config, cpu=cpu_of(0))
        _serve_metrics(config)
        if config.audit_dir is None:
            _run_until_signalled(config)
            return
        stop = context.Event()
        from resolver.service.audit import fold_until

        folder = context.Process(target=fold_until, args=(config.audit_dir, stop, os.getpid()), name="audit-folder")
        folder.start()
        try:
            _run_until_signalled(replace(config, audit_fold=False))
        finally:
            stop.set()
            folder.join(60)
        return
    if config.port == 0:
        raise ServeError("--workers N needs a fixed --port: the workers must share it")
    # Metrics of all workers are summed by the parent (prometheus_client multiprocess mode).
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="resolver-metrics-"))
    _serve_metrics(config, multiprocess=True)
    workers = [
        context.Process(
            target=_worker,
            args=(replace(config, audit_fold=False, cpu=cpu_of(i)), i),
            name=f"worker-{i}",
        )
        for i in range(config.workers)
    ]
    for process in workers:
        process.start()
    audit = None
    if config.audit_dir is not None:
        from resolver.service.audit import AuditLog

        audit = AuditLog(config.audit_dir)  # never appended to here: it only folds the workers' journals
        audit.start_folding()
    stopping = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    while not stopping.wait(1.0):
        if dead := [p for p in workers if not p.is_alive()]:
            log.error("worker exited; stopping the others", workers=[p.name for p in dead])
            break
    for process in workers:
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, signal.SIGTERM)
    for process in workers:
        process.join(config.grace_s + 30)
    if audit is not None:
        audit.close()  # the workers' last records


def _serve_metrics(config: ServeConfig, multiprocess: bool = False) -> None:
    if config.metrics_port is None:
        return
    from prometheus_client import CollectorRegistry, start_http_server

    if multiprocess:
        from prometheus_client import multiprocess as mp

        registry = CollectorRegistry()
        mp.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        start_http_server(
            config.metrics_port, addr=config.host if config.host in LOOPBACK else "0.0.0.0", registry=registry
        )
    else:
        start_http_server(config.metrics_port, addr=config.host if config.host in LOOPBACK else "0.0.0.0")
    log.info("metrics", port=config.metrics_port)
