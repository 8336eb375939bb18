"""Benchmark: the gRPC service's latency and throughput, against a no-op RPC floor and against Splink.

    python -m benchmarks.bench_service [--queries 2000] [--seconds 10] [--concurrency 1,2,4,8,16] [--workers 1,2]
                                       [--splink-queries 40] [--same-passes 3] [--distinct 100000] [--write]

One run, in this order, each step in its own process:

1. ``resolver ingest`` of the latest version of every shared registry (benchmarks/registry_files.py) into a fresh
   store in a temporary directory (on disk, not tmpfs: the audit log's fsync is real).
2. A prepare child: the store's model rows (``registry_rows``) and the queries, as bench_resolve makes them (noisy
   variants of registry names with their kind, and synthetic negatives as persons; names only; fixed seed). In the
   same child, on the first ``--splink-queries`` queries (half variants, half negatives): Splink's own per-record
   API, ``linker.inference.predict_between(registry, one-row query)`` against every registry row with the shipped
   model and threshold, one query per call (register the query, predict, fetch, drop both tables), after
   3 untimed calls; and the in-process ``Matcher.resolve`` (explain=True, limit 10, as the servicer calls it) on
   every query, single thread, after warm-up: the server's compute floor without gRPC or audit.
3. For each ``--workers`` value: ``resolver serve --workers W --threads T --audit-dir D`` (audit log on: every
   ResolveEntity is fsync'ed before it is answered; request logs at the server's default level go to a file),
   waited for until every worker logged "serving" and Health/Check says SERVING. Then, for each concurrency c,
   ResolveEntity and Health/Check (the no-op floor: same server, same interceptors; health needs no token):
   c client processes, one thread and one channel (one TCP connection) each, so that with --workers 2 the kernel
   spreads connections over both workers (SO_REUSEPORT pins a connection to one process). Each client makes
   ``--warmup`` untimed calls, then all start together and call back to back for ``--seconds``; every call's
   latency is kept (``perf_counter_ns`` around the blocking unary call). calls/s = calls started in the window /
   the window. Server CPU (utime + stime of every server process, /proc/PID/stat) is read before and after each
   window: server CPU ms per call. Then the Splink queries once more, c = 1, ``--same-passes`` passes, for the
   like-for-like ratio. Memory: VmRSS and VmHWM of the server process and all its descendants (the spawned
   workers), summed. The servers map the snapshot's matcher that step 1's ingest saved beside the store.
   Last, with ``--distinct N``: N more parties, each sent once (made like the queries, with the next seed: up to
   50,000 variants and 50,000 negatives), by DISTINCT_CLIENTS clients, and the memory once more. A server meets
   new names all day and fills its caches (name preparation, ownership assessments); the 2,000 queries above,
   repeated, do not show what that costs.
4. For each ``--workers`` value once more, start-up only, with the saved matcher removed: a builder process
   builds and saves it, then the serving processes map it.

The machine has 2 cores: the client processes run on the same cores as the server and compete with it (a Python
gRPC client spends a good fraction of a call's CPU itself), so calls/s at c > 1 is a lower bound for the server.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.stats import percentiles

SECTION = "Service latency (gRPC)"
SPLINK_WARMUP = 3
RESOLVE_WARMUP = 200
BATCH_CLIENTS = (1, 2)  # BatchResolveEntities streams at once (one client process each)
BATCH_IN_FLIGHT = 128  # parties a stream client has sent and not yet had answered, at most
DISTINCT_CLIENTS = 4  # client processes sending the --distinct parties
TICKS = os.sysconf("SC_CLK_TCK")
ROOT = Path(__file__).resolve().parents[1]


# -- pure helpers --------------------------------------------------------------------------------


def interleaved(n: int, start: int, stride: int, count: int) -> list[int]:
    """Query indices for one client of ``stride`` clients: start, start + stride, ... modulo n."""
    return [(start + k * stride) % n for k in range(count)]


# make_queries draws half the parties as variants of registry names and half from the 50,000 synthetic negatives
MAX_DISTINCT = 100_000


def distinct_count(text: str) -> int:
    """--distinct's value, refused with a clear message (not a traceback from a child) when it cannot be made."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= n <= MAX_DISTINCT:
        raise argparse.ArgumentTypeError(
            f"{n:,} distinct parties cannot be made: 0 to {MAX_DISTINCT:,} (half of them from the 50,000 synthetic "
            "negatives)"
        )
    return n


def status_kib(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM and Pss of one process, in KiB (empty when it is gone). Pss (proportional set size)
    divides each shared page among the processes sharing it: summed over processes, a library's pages
    count once, where summed RSS counts them once per process."""
    out: dict[str, int] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return out
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0])
    for line in rollup.splitlines():
        name, _, value = line.partition(":")
        if name == "Pss":
            out["Pss"] = int(value.split()[0])
    return out


def descendants(pid: int) -> list[int]:
    """pid and every process below it (children of children ...)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def cpu_seconds(pids: Sequence[int]) -> dict[int, float]:
    """utime + stime of each of the given processes, in seconds."""
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15 of stat)
    return out


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (/proc/stat: everything but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICKS  # user nice system idle iowait irq softirq steal


def _role(pid: int, serving: set[int]) -> str:
    """What a process of the server's tree is; ``serving``: the pids that logged "serving"."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"
    if "resource_tracker" in cmd:
        return "resource tracker"
    if "spawn_main" in cmd:
        return "worker" if pid in serving else "audit folder"
    return "serve" if " serve " in cmd else cmd[:40]


def tree_memory(pid: int, serving: set[int]) -> dict[str, Any]:
    """VmRSS, VmHWM and Pss summed over pid and its descendants, in KiB, and each process's
    (role, RSS, HWM, PSS)."""
    rows = [(p, status_kib(p)) for p in descendants(pid)]
    rows = [(p, r) for p, r in rows if r]
    return {
        "rss_kib": sum(r.get("VmRSS", 0) for _, r in rows),
        "hwm_kib": sum(r.get("VmHWM", 0) for _, r in rows),
        "pss_kib": sum(r.get("Pss", 0) for _, r in rows),
        "processes": [(_role(p, serving), r.get("VmRSS", 0), r.get("VmHWM", 0), r.get("Pss", 0)) for p, r in rows],
    }


# -- prepare: rows, queries, Splink, in-process resolve (a child) --------------------------------


def _splink(
    rows: list[dict[str, Any]], queries: list[tuple[str, str | None, str]], picked: list[int], artefact: Any
) -> tuple[float, list[float], int]:
    """Splink's per-record API: one Linker over every registry row, tf table once, then one query per call.

    Returns the setup seconds, the milliseconds of each call, and how many queries had a pair at the threshold."""
    import pyarrow as pa
    from splink import DuckDBAPI, Linker

    from resolver.model.features import model_row

    started = time.perf_counter()
    db = DuckDBAPI()
    table = pa.Table.from_pylist(rows)
    registry = db.register(table, dataset_display_name="registry")
    linker = Linker(registry, artefact.model, log_level=None)
    linker.table_management.compute_tf_table("name_norm")
    setup_s = time.perf_counter() - started

    def call(n: int, i: int) -> tuple[float, int]:
        name, kind, _ = queries[i]
        record = model_row(f"q{n}", None, name, kind)
        begin = time.perf_counter_ns()
        q = db.register(pa.Table.from_pylist([record], schema=table.schema), dataset_display_name=f"query_{n}")
        res = linker.inference.predict_between(
            registry, q, threshold_match_weight=artefact.threshold_match_weight, warning_mode="never"
        )
        pairs = res.as_record_list()
        res.drop_table_from_database_and_remove_from_cache()
        q.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        return (time.perf_counter_ns() - begin) / 1e6, len(pairs)

    for n in range(SPLINK_WARMUP):
        call(10_000 + n, picked[n % len(picked)])
    calls = [call(n, i) for n, i in enumerate(picked)]
    return setup_s, [c[0] for c in calls], sum(1 for c in calls if c[1])


def _valid(name: str, kind: str | None) -> bool:
    """Whether the service accepts Party(name, kind) (its own request check)."""
    from resolver.service.client import KIND_VALUES
    from resolver.service.errors import InvalidRequest
    from resolver.service.requests import party_query
    from resolver.v1 import resolver_pb2 as pb

    try:
        party_query(pb.Party(name=name, kind=KIND_VALUES.get(kind or "", pb.ENTITY_KIND_UNSPECIFIED)))
    except InvalidRequest:
        return False
    return True


def _accepted(queries: list[tuple[str, str | None, str]]) -> tuple[list[tuple[str, str | None, str]], list[str]]:
    """The queries the service accepts, and the names of those it would refuse (a refusal is not a resolve)."""
    accepted, refused = [], []
    for query in queries:
        (accepted if _valid(*query[:2]) else refused).append(query)
    return accepted, [q[0] for q in refused]


def _prepare(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.accuracy.split import shared_data_dir
    from benchmarks.bench_resolve import code_digest, make_queries
    from resolver.logs import configure_logging
    from resolver.matching.engine import Matcher, Query
    from resolver.model.artefact import load_artefact
    from resolver.model.train import registry_rows
    from resolver.registry.store import RegistryStore

    configure_logging("json", "warning")
    out = Path(args.out)
    rows, info = registry_rows(RegistryStore(Path(args.store)))
    artefact = load_artefact()
    columns = {"name": [r["name"] for r in rows], "kind": [r["kind"] for r in rows]}
    queries, rejected = _accepted(make_queries(columns, args.queries, shared_data_dir(), args.seed))
    (out / "queries.json").write_text(json.dumps(queries), encoding="utf-8")
    made = make_queries(columns, args.distinct, shared_data_dir(), args.seed + 1) if args.distinct else []
    distinct, distinct_rejected = _accepted(made)
    (out / "distinct.json").write_text(json.dumps(distinct), encoding="utf-8")
    variants = [i for i, q in enumerate(queries) if q[2] == "variant"]
    negatives = [i for i, q in enumerate(queries) if q[2] == "negative"]
    half = args.splink_queries // 2
    picked = variants[:half] + negatives[: args.splink_queries - half]
    result: dict[str, Any] = {
        "names": len(rows),
        "entities": info["entities"],
        "snapshot_digest": info["snapshot_digest"],
        "model": artefact.version,
        "threshold": artefact.threshold_match_weight,
        "code": code_digest(),
        "queries": {"variant": len(variants), "negative": len(negatives)},
        "splink_picked": picked,
        "rejected": rejected,
        "distinct": len(distinct),
        "distinct_rejected": distinct_rejected,
    }

    setup_s, result["splink_ms"], flagged = _splink(rows, queries, picked, artefact)
    result["splink_setup_s"], result["splink_flagged"] = setup_s, flagged

    # The in-process floor: Matcher.resolve as the servicer calls it, single thread.
    started = time.perf_counter()
    matcher = Matcher.from_rows(rows, artefact)
    result["build_s"] = time.perf_counter() - started
    del rows
    objs = [Query(name, kind=kind) for name, kind, _ in queries]
    for i in range(min(RESOLVE_WARMUP, len(objs))):
        matcher.resolve(objs[i], limit=10, explain=True)
    times = np.empty(len(objs))
    for i, query in enumerate(objs):
        begin = time.perf_counter_ns()
        matcher.resolve(query, limit=10, explain=True)
        times[i] = (time.perf_counter_ns() - begin) / 1e6
    result["inprocess_ms"] = times.tolist()
    return result


# -- a client process ----------------------------------------------------------------------------


def _parties(queries: list[Any]) -> list[Any]:
    """The benchmark queries as the Party messages both client kinds send."""
    from resolver.service.client import KIND_VALUES
    from resolver.v1 import resolver_pb2 as pb

    return [
        pb.Party(name=name, kind=KIND_VALUES.get(kind or "", pb.ENTITY_KIND_UNSPECIFIED)) for name, kind, _ in queries
    ]


def _await_go() -> float:
    """Say "ready", then wait for "go START_AT SECONDS" (time.time() of the common start) and for that time;
    returns SECONDS."""
    print("ready", flush=True)
    go = sys.stdin.readline().split()
    start_at, seconds = float(go[1]), float(go[2])
    time.sleep(max(0.0, start_at - time.time()))
    return seconds


def _client_result(
    args: argparse.Namespace, channel: Any, latencies: list[float], errors: int, cpu: float, matched: list[int]
) -> dict[str, Any]:
    """Close the channel, save the latencies for the parent, and report the rest."""
    channel.close()
    np.save(args.latency_file, np.asarray(latencies, dtype=np.float64))
    return {"calls": len(latencies), "errors": errors, "client_cpu_s": cpu, "matched": matched}


def _client(args: argparse.Namespace) -> dict[str, Any]:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from resolver.v1 import resolver_pb2 as pb
    from resolver.v1 import resolver_pb2_grpc as pb_grpc

    queries = json.loads(Path(args.queries_file).read_text(encoding="utf-8"))
    if args.once:  # this client's share of the parties, each sent once, no warm-up
        queries, args.warmup = queries[args.client_index :: args.clients], 0
    channel = grpc.insecure_channel(args.address)
    grpc.channel_ready_future(channel).result(timeout=60)
    if args.method == "batch":
        return _batch_client(args, channel, queries)
    if args.method == "resolve":
        call = pb_grpc.ResolverServiceStub(channel).ResolveEntity  # type: ignore[no-untyped-call]
        requests = [pb.ResolveEntityRequest(party=party) for party in _parties(queries)]
    else:
        call = health_pb2_grpc.HealthStub(channel).Check
        requests = [health_pb2.HealthCheckRequest()] * len(queries)
    if args.indices:
        order = [int(i) for i in args.indices.split(",")] * args.passes
    elif args.once:
        order = list(range(len(requests)))
    else:
        order = interleaved(len(requests), args.client_index, args.clients, len(requests))
    for k in range(args.warmup):
        call(requests[order[k % len(order)]], timeout=30)
    seconds = _await_go()
    latencies: list[float] = []
    matched: list[int] = []
    errors = 0
    cpu0 = time.process_time()
    end = time.perf_counter() + seconds
    k = 0
    while True:
        if args.indices or args.once:
            if k >= len(order):
                break
        elif time.perf_counter() >= end:
            break
        request = requests[order[k % len(order)]]
        k += 1
        begin = time.perf_counter_ns()
        try:
            response = call(request, timeout=30)
        except grpc.RpcError:
            errors += 1
            continue
        latencies.append((time.perf_counter_ns() - begin) / 1e6)
        if args.method == "resolve":
            matched.append(len(response.matches))
    return _client_result(args, channel, latencies, errors, time.process_time() - cpu0, matched)


def _batch_client(args: argparse.Namespace, channel: Any, queries: list[Any]) -> dict[str, Any]:
    """One BatchResolveEntities stream, sending parties for the window with at most BATCH_IN_FLIGHT unanswered
    (gRPC's own flow control lets a client buffer tens of thousands); a party's latency is from its send to its
    answer, its wait behind the parties sent before it included."""
    from resolver.v1 import resolver_pb2 as pb
    from resolver.v1 import resolver_pb2_grpc as pb_grpc

    stub = pb_grpc.ResolverServiceStub(channel)  # type: ignore[no-untyped-call]
    requests = _parties(queries)
    order = interleaved(len(requests), args.client_index, args.clients, len(requests))
    sent: dict[str, int] = {}
    window = threading.Semaphore(BATCH_IN_FLIGHT)  # released by each answer

    def parties(until: float, most: int) -> Iterator[Any]:
        k = 0
        while k < most and time.perf_counter() < until:
            while not window.acquire(timeout=1.0):  # the answers have stalled: stop sending at the window's end
                if time.perf_counter() >= until:
                    return
            correlation = str(k)
            sent[correlation] = time.perf_counter_ns()
            yield pb.BatchResolveEntitiesRequest(correlation_id=correlation, party=requests[order[k % len(order)]])
            k += 1

    for _ in stub.BatchResolveEntities(parties(float("inf"), args.warmup), timeout=120):
        window.release()
    seconds = _await_go()
    latencies: list[float] = []
    matched: list[int] = []
    errors = 0
    sent.clear()
    cpu0 = time.process_time()
    stream = parties(time.perf_counter() + seconds, sys.maxsize)
    for response in stub.BatchResolveEntities(stream, timeout=seconds + 120):
        latencies.append((time.perf_counter_ns() - sent.pop(response.correlation_id)) / 1e6)
        window.release()
        if response.HasField("error"):
            errors += 1
        else:
            matched.append(len(response.result.matches))
    return _client_result(args, channel, latencies, errors, time.process_time() - cpu0, matched)


# -- the server ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`resolver serve` in a subprocess; ready once every worker logged "serving" and health says SERVING."""

    def __init__(self, store: Path, tmp: Path, workers: int, threads: int, pin_cpus: bool = False) -> None:
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.workers = workers
        self.log_path = tmp / f"server-w{workers}.log"
        self.command = [
            str(Path(sys.executable).with_name("resolver")), "serve", "--store", str(store), "--port", str(self.port),
            "--workers", str(workers), "--threads", str(threads), "--audit-dir", str(tmp / f"audit-w{workers}"),
        ] + (["--pin-cpus"] if pin_cpus else [])  # fmt: skip
        env = dict(os.environ, RESOLVER_LOG_FORMAT="json")
        self.log = self.log_path.open("wb")
        started = time.perf_counter()
        self.process = subprocess.Popen(self.command, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        try:
            self._wait_ready(timeout_s=600)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.perf_counter() - started

    def _wait_ready(self, timeout_s: float) -> None:
        import grpc
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited {self.process.returncode}: see {self.log_path}")
            serving = sum('"serving"' in line for line in self.log_path.read_text(errors="replace").splitlines())
            if serving >= self.workers:
                with grpc.insecure_channel(self.address) as ch:
                    try:
                        answer = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=5)
                        if answer.status == health_pb2.HealthCheckResponse.SERVING:
                            return
                    except grpc.RpcError:
                        pass
            time.sleep(0.5)
        raise SystemExit(f"server not serving after {timeout_s} s: see {self.log_path}")

    def pids(self) -> list[int]:
        return descendants(self.process.pid)

    def memory(self) -> dict[str, int]:
        serving = set()
        for line in self.log_path.read_text(errors="replace").splitlines():
            if '"serving"' in line and line.startswith("{"):
                with contextlib.suppress(ValueError, KeyError):
                    serving.add(int(json.loads(line)["pid"]))
        return tree_memory(self.process.pid, serving)

    def stop(self) -> None:
        pids = self.pids()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            for pid in reversed(pids):  # only the processes this benchmark started
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()


# -- running clients -----------------------------------------------------------------------------


def _run_clients(
    server: Server, method: str, clients: int, args: argparse.Namespace, tmp: Path, indices: list[int] | None = None,
    *, queries: str = "queries.json", once: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """`clients` client processes against the server; their latencies, calls/s and the server's CPU per call.
    ``once``: each party of ``queries`` sent once, shared out among the clients, instead of a timed window."""
    procs = []
    files = []
    for i in range(clients):
        latency_file = tmp / f"lat-{method}-{clients}-{i}.npy"
        files.append(latency_file)
        cmd = [
            sys.executable, "-m", "benchmarks.bench_service", "--child", "client", "--address", server.address,
            "--method", method, "--client-index", str(i), "--clients", str(clients), "--warmup", str(args.warmup),
            "--queries-file", str(tmp / queries), "--latency-file", str(latency_file),
        ]  # fmt: skip
        if once:
            cmd.append("--once")
        if indices is not None:
            cmd += ["--indices", ",".join(map(str, indices)), "--passes", str(args.same_passes)]
        procs.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT))
    for p in procs:
        assert p.stdout is not None
        line = p.stdout.readline().strip()
        if line != "ready":
            for q in procs:
                q.kill()
            raise SystemExit(f"client failed to start ({method}, c={clients}): {line!r}")
    pids = server.pids()
    start_at = time.time() + 0.3
    for p in procs:
        assert p.stdin is not None
        p.stdin.write(f"go {start_at} {args.seconds}\n")
        p.stdin.flush()
    time.sleep(max(0.0, start_at - time.time()))
    cpu0 = cpu_seconds(pids)
    busy0 = machine_busy_seconds()
    wall0 = time.perf_counter()
    results = []
    for p in procs:
        out, _ = p.communicate(timeout=args.seconds + 3600)
        if p.returncode != 0:
            raise SystemExit(f"client exited {p.returncode} ({method}, c={clients})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    wall = time.perf_counter() - wall0
    busy = machine_busy_seconds() - busy0
    cpu1 = cpu_seconds(pids)
    per_process = sorted((cpu1.get(p, 0.0) - cpu0.get(p, 0.0) for p in pids), reverse=True)
    server_cpu = sum(per_process)
    latencies = np.concatenate([np.load(f) for f in files])
    calls = int(latencies.size)
    window = args.seconds if indices is None and method != "batch" and not once else wall
    return {
        "method": method,
        "clients": clients,
        "calls": calls,
        "errors": sum(r["errors"] for r in results),
        "calls_per_s": calls / window,
        "latency_ms": percentiles(latencies),
        "server_cpu_ms_per_call": 1000 * server_cpu / max(calls, 1),
        "server_cpu_cores": server_cpu / wall,
        "server_cpu_split": [c / wall for c in per_process if c / wall >= 0.01],
        "client_cpu_cores": sum(r["client_cpu_s"] for r in results) / wall,
        "machine_busy_cores": busy / wall,
        "flagged": sum(1 for r in results for m in r["matched"] if m),
        "latencies": latencies.tolist() if indices is not None else None,
    }


def _child_json(args: list[str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "benchmarks.bench_service", *args], capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-5000:])
        raise SystemExit(f"child {args[:2]} exited {done.returncode}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from benchmarks.accuracy.split import shared_data_dir
    from benchmarks.registry_files import latest_registry_paths

    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp_name:
        tmp = Path(tmp_name)
        store = tmp / "registry.duckdb"
        started = time.perf_counter()
        files = [str(p) for p in latest_registry_paths(shared_data_dir() / "registries")]
        ingest = subprocess.run(
            [str(Path(sys.executable).with_name("resolver")), "ingest", *files, "--store", str(store)],
            capture_output=True,
            text=True,
        )
        if ingest.returncode != 0:
            sys.stderr.write(ingest.stderr[-5000:])
            raise SystemExit("ingest failed")
        ingest_s = time.perf_counter() - started
        _log(f"ingested in {ingest_s:.0f} s; preparing queries, Splink and the in-process floor ...")
        prep = _child_json(
            [
                "--child", "prepare", "--store", str(store), "--out", str(tmp), "--queries", str(args.queries),
                "--seed", str(args.seed), "--splink-queries", str(args.splink_queries),
                "--distinct", str(args.distinct),
            ]
        )  # fmt: skip
        prep["ingest_s"] = ingest_s
        _log(f"prepared: {prep['names']:,} names; Splink median {np.median(prep['splink_ms']):.1f} ms")
        runs = []
        for workers in args.workers:
            server = Server(store, tmp, workers, args.threads, args.pin_cpus)
            try:
                idle = server.memory()
                _log(f"server --workers {workers} ready in {server.startup_s:.0f} s ({idle['rss_kib'] / 1024:.0f} MiB)")
                cells = []
                for clients in args.concurrency:
                    for method in ("resolve", "health"):
                        cell = _run_clients(server, method, clients, args, tmp)
                        cells.append(cell)
                        _log(
                            f"  w={workers} c={clients} {method}: {cell['calls_per_s']:,.0f} calls/s, "
                            f"p50 {cell['latency_ms']['p50']:.2f} ms, p99 {cell['latency_ms']['p99']:.2f} ms"
                        )
                streams = []
                for clients in BATCH_CLIENTS:
                    cell = _run_clients(server, "batch", clients, args, tmp)
                    streams.append(cell)
                    _log(f"  w={workers} {clients} batch stream(s): {cell['calls_per_s']:,.0f} parties/s")
                same = _run_clients(server, "resolve", 1, args, tmp, indices=prep["splink_picked"])
                run_ = {
                    "workers": workers,
                    "startup_s": server.startup_s,
                    "idle": idle,
                    "after": server.memory(),
                    "cells": cells,
                    "streams": streams,
                    "same": same,
                }
                if prep["distinct"]:
                    _log(f"  w={workers}: {prep['distinct']:,} distinct parties, each once ...")
                    run_["distinct"] = _run_clients(
                        server, "resolve", DISTINCT_CLIENTS, args, tmp, queries="distinct.json", once=True
                    )
                    run_["after_distinct"] = server.memory()
                runs.append(run_)
            finally:
                server.stop()  # also when a step fails: no server is left behind
        # Start-up without the matcher `resolver ingest` saved: a builder process builds and saves it first.
        for run_ in runs:
            shutil.rmtree(store.with_name(store.name + ".matchers"), ignore_errors=True)
            server = Server(store, tmp, run_["workers"], args.threads, args.pin_cpus)
            try:
                run_["cold"] = {"startup_s": server.startup_s, "idle": server.memory()}
                _log(f"server --workers {run_['workers']}, no saved matcher: ready in {server.startup_s:.0f} s")
            finally:
                server.stop()
        return {
            "prepare": prep, "runs": runs, "load_start": load_start, "load_end": os.getloadavg()[0], "seed": args.seed,
        }  # fmt: skip


# -- the report ----------------------------------------------------------------------------------


def _ms(x: float) -> str:
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:,.0f}"


def _mib(kib: float) -> str:
    return f"{kib / 1024:,.0f} MiB"


def _target(ok: bool) -> str:
    return "met" if ok else "**not met**"


def report(result: dict[str, Any], args: argparse.Namespace) -> str:
    prep, runs = result["prepare"], result["runs"]
    splink = percentiles(prep["splink_ms"])
    inproc = percentiles(prep["inprocess_ms"])
    inproc_same = percentiles([prep["inprocess_ms"][i] for i in prep["splink_picked"]])
    n_splink = len(prep["splink_picked"])
    out = [
        f"Registry: the latest version of every shared registry, **{prep['names']:,} names** of "
        f"{prep['entities']:,} entities (snapshot {prep['snapshot_digest'][:12]}; `resolver ingest` "
        f"{prep['ingest_s']:.0f} s). Model {prep['model']} at its shipped threshold (match weight "
        f"{prep['threshold']:g}), resolver sources {prep['code']} (sha256 of resolver/**/*.py). Queries: "
        f"{prep['queries']['variant']:,} noisy variants of registry names (with their kind) + "
        f"{prep['queries']['negative']:,} synthetic negatives (as persons), names only, seed {args.seed}, as "
        "bench_resolve makes them; each client cycles through them from its own offset."
        + (
            f" {len(prep['rejected'])} generated queries the service refuses as invalid (e.g. a registry name with a "
            "control character) were dropped: " + ", ".join(repr(n) for n in prep["rejected"][:3]) + "."
            if prep["rejected"]
            else ""
        ),
        "",
        f"Server: `resolver serve --workers W --threads {args.threads} --audit-dir D"
        f"{' --pin-cpus' if args.pin_cpus else ''}` on loopback, no TLS, no "
        "tokens; audit log on (each ResolveEntity fsync'ed before the answer, group commit); request logs (one "
        "JSON line per call, default level) to a file. Clients: c processes, one thread and one channel each, "
        f"{args.warmup} untimed warm-up calls each, then {args.seconds:g} s of back-to-back blocking unary calls, "
        "all starting together; latency = the client's wall time per call. ResolveEntity sends `Party(name, "
        "kind)` with default options (limit 10, explain on). Health/Check (no request fields) is the no-op floor: "
        "same server, same interceptors, same client code. The machine has **2 cores shared by server and "
        "clients** (and other users): client CPU is listed, and calls/s at c > 1 is what the pair achieves, a "
        "lower bound for the server alone.",
        "",
        "### Latency and throughput",
        "",
        "server CPU/call = utime + stime of all server processes over the window / calls; cores = CPU seconds per "
        "wall second (server, with the split over its busy processes in brackets; clients; the whole machine from "
        "/proc/stat, of 2: what is neither server nor client is other work on the shared machine). Latencies in ms. "
        f"Load average (1 min) when the run started: {result['load_start']:.2f}; when it ended: "
        f"{result['load_end']:.2f}.",
        "",
        "| workers | c | RPC | calls | calls/s | p50 | p95 | p99 | max | mean | server CPU/call | server cores | "
        "client cores | machine busy cores |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        for cell in r["cells"]:
            p = cell["latency_ms"]
            name = "ResolveEntity" if cell["method"] == "resolve" else "Health/Check"
            err = f" ({cell['errors']} errors)" if cell["errors"] else ""
            parts = cell["server_cpu_split"]
            split = f" ({' + '.join(f'{c:.2f}' for c in parts)})" if len(parts) > 1 else ""
            out.append(
                f"| {r['workers']} | {cell['clients']} | {name} | {cell['calls']:,}{err} | "
                f"{cell['calls_per_s']:,.0f} | {_ms(p['p50'])} | {_ms(p['p95'])} | {_ms(p['p99'])} | "
                f"{_ms(p['max'])} | {_ms(p['mean'])} | {cell['server_cpu_ms_per_call']:.2f} ms | "
                f"{cell['server_cpu_cores']:.2f}{split} | {cell['client_cpu_cores']:.2f} | "
                f"{cell['machine_busy_cores']:.2f} |"
            )
    out += [
        "",
        "ResolveEntity over the floor (Health/Check at the same workers and c): "
        + "; ".join(
            f"w={r['workers']} c={res['clients']}: p50 +{res['latency_ms']['p50'] - hc['latency_ms']['p50']:.2f} ms, "
            f"calls/s {res['calls_per_s'] / hc['calls_per_s']:.2f}x the floor's"
            for r in runs
            for res, hc in zip(r["cells"][0::2], r["cells"][1::2], strict=True)
            if res["clients"] == min(args.concurrency)
        )
        + f". In process (prepare child, single thread, no gRPC, no audit): `Matcher.resolve(Query(name, kind), "
        f"limit=10, explain=True)` on all {len(prep['inprocess_ms']):,} queries after {RESOLVE_WARMUP} untimed: "
        f"p50 {_ms(inproc['p50'])}, p95 {_ms(inproc['p95'])}, p99 {_ms(inproc['p99'])}, mean {_ms(inproc['mean'])} "
        f"ms (Matcher build {prep['build_s']:.1f} s)."
        + "".join(
            f" At --workers {r['workers']}, c = {res['clients']}: ResolveEntity p50 {_ms(res['latency_ms']['p50'])} ms "
            f"= the floor's {_ms(hc['latency_ms']['p50'])} + in-process resolve p50 {_ms(inproc['p50'])} + "
            f"{_ms(res['latency_ms']['p50'] - hc['latency_ms']['p50'] - inproc['p50'])} ms left for the request check, "
            "the response (explain), the audit append and its fsync, and the rest; server CPU per call "
            f"{res['server_cpu_ms_per_call']:.2f} ms vs the floor's {hc['server_cpu_ms_per_call']:.2f} ms."
            for r in runs
            for res, hc in zip(r["cells"][0::2], r["cells"][1::2], strict=True)
            if res["clients"] == min(args.concurrency)
        ),
        "",
        "### Against Splink's per-record API (same queries)",
        "",
        f"{n_splink} queries (the first {n_splink // 2} variants and {n_splink - n_splink // 2} negatives), one "
        "per call. Splink: `linker.inference.predict_between(registry, query)` with the shipped model and threshold "
        f"against all {prep['names']:,} registry rows, in one process with a `Linker` built once (setup "
        f"{prep['splink_setup_s']:.1f} s: register the registry, tf table of name_norm), each call registering the "
        f"one-row query, predicting, fetching and dropping both tables; {SPLINK_WARMUP} untimed calls first; "
        "DuckDB uses both cores. Service: the same queries through ResolveEntity at c = 1, "
        f"{args.same_passes} passes.",
        "",
        "| what | calls | p50 | p95 | max | mean | queries with a match |",
        "|---|---|---|---|---|---|---|",
        f"| Splink predict_between | {n_splink} | {_ms(splink['p50'])} | {_ms(splink['p95'])} | "
        f"{_ms(splink['max'])} | {_ms(splink['mean'])} | {prep['splink_flagged']} of {n_splink} |",
    ]
    for r in runs:
        s = r["same"]
        p = s["latency_ms"]
        out.append(
            f"| ResolveEntity, --workers {r['workers']}, c = 1 | {s['calls']} | {_ms(p['p50'])} | {_ms(p['p95'])} | "
            f"{_ms(p['max'])} | {_ms(p['mean'])} | {s['flagged'] // max(args.same_passes, 1)} of {n_splink} |"
        )
    out.append(
        f"| Matcher.resolve in process | {n_splink} | {_ms(inproc_same['p50'])} | {_ms(inproc_same['p95'])} | "
        f"{_ms(inproc_same['max'])} | {_ms(inproc_same['mean'])} | |"
    )
    ratios = {
        r["workers"]: (
            splink["p50"] / r["same"]["latency_ms"]["p50"],
            splink["mean"] / r["same"]["latency_ms"]["mean"],
        )
        for r in runs
    }
    out += [
        "",
        "Ratio (Splink / service, same queries, same run): "
        + "; ".join(f"--workers {w}: p50 {a:,.0f}x, mean {b:,.0f}x" for w, (a, b) in ratios.items())
        + ". Splink blocks with the model's own rules (name_sorted, name_phonetic, any shared name token) and "
        "scores every blocked pair in SQL; the service uses its candidate index and compiled scorer.",
    ]
    out += [
        "",
        "### Batch stream (BatchResolveEntities)",
        "",
        f"Each client process opens one stream and sends the same queries (Party(name, kind)) for {args.seconds:g} s, "
        f"keeping at most {BATCH_IN_FLIGHT} parties unanswered, after a stream of its warm-up parties; parties/s = "
        "answers over the wall "
        "time until the last answer; a party's latency runs from its send to its answer, so it includes the time "
        "it waits behind the parties sent before it. Audit log on, as above.",
        "",
        "| workers | streams | parties | parties/s | p50 | p99 | server CPU/party | server cores | client cores |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        for cell in r["streams"]:
            p = cell["latency_ms"]
            err = f" ({cell['errors']} errors)" if cell["errors"] else ""
            out.append(
                f"| {r['workers']} | {cell['clients']} | {cell['calls']:,}{err} | {cell['calls_per_s']:,.0f} | "
                f"{_ms(p['p50'])} | {_ms(p['p99'])} | {cell['server_cpu_ms_per_call']:.2f} ms | "
                f"{cell['server_cpu_cores']:.2f} | {cell['client_cpu_cores']:.2f} |"
            )
    out += [
        "",
        "### Server memory",
        "",
        "VmRSS, VmHWM (peak) and PSS summed over the `resolver serve` process and its descendants (the server "
        "process and the audit folder it spawns; with --workers > 1, the parent, which folds the audit journals, "
        "and its spawned workers). Summed RSS and summed VmHWM count the pages the processes share (Python, "
        "numpy, DuckDB and gRPC libraries) once per process; PSS (proportional set size, /proc/PID/smaps_rollup) "
        "divides each shared page among its sharers, so the sum counts it once. Start-up to SERVING: with the "
        "matcher that `resolver ingest` saved beside the store (every serving process maps it), and, in a second "
        "start, without it (a builder process builds and saves it first).",
        "",
        "| workers | start-up to SERVING | start-up, no saved matcher | RSS when ready | RSS after the run "
        "| peak (sum of VmHWM) | PSS after the run | per process after the run: RSS / peak / PSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        each = "; ".join(
            f"{role} {_mib(rss)} / {_mib(hwm)} / {_mib(pss)}" for role, rss, hwm, pss in r["after"]["processes"]
        )
        cold = f"{r['cold']['startup_s']:.0f} s" if "cold" in r else "–"
        out.append(
            f"| {r['workers']} | {r['startup_s']:.0f} s | {cold} | {_mib(r['idle']['rss_kib'])} | "
            f"{_mib(r['after']['rss_kib'])} | {_mib(r['after']['hwm_kib'])} | {_mib(r['after']['pss_kib'])} | "
            f"{each} |"
        )
    out += _distinct_report(result)
    # Issue targets, computed from the figures above.
    resolve_cells = [(r["workers"], c) for r in runs for c in r["cells"] if c["method"] == "resolve"]
    c1 = [(w, c) for w, c in resolve_cells if c["clients"] == 1]
    best_w, best = max(resolve_cells, key=lambda wc: wc[1]["calls_per_s"])
    out += [
        "",
        "### Issue targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
    ]
    for w, c in c1:
        out.append(
            f"| p50 <= 1 ms at concurrency 1 | {_ms(c['latency_ms']['p50'])} ms (--workers {w}) | "
            f"{_target(c['latency_ms']['p50'] <= 1)} |"
        )
    for w, c in c1:
        out.append(
            f"| p99 <= 5 ms at concurrency 1 | {_ms(c['latency_ms']['p99'])} ms (--workers {w}) | "
            f"{_target(c['latency_ms']['p99'] <= 5)} |"
        )
    out.append(
        f"| >= 2,000 calls/s on 2 cores | best {best['calls_per_s']:,.0f} calls/s (--workers {best_w}, "
        f"c = {best['clients']}; clients on the same 2 cores) | {_target(best['calls_per_s'] >= 2000)} |"
    )
    for w, (a, b) in ratios.items():
        out.append(
            f"| >= 100x faster than Splink's per-record API | p50 {a:,.0f}x, mean {b:,.0f}x (--workers {w}, "
            f"{n_splink} queries) | {_target(a >= 100)} (p50); {_target(b >= 100)} (mean) |"
        )
    for r in runs:
        last = r.get("after_distinct", r["after"])  # VmHWM is a lifetime peak: the last reading holds the run's
        after = f"after the {r['distinct']['calls']:,} distinct parties" if "distinct" in r else "after the run"
        out.append(
            f"| server memory <= 1 GB | summed peak {_mib(last['hwm_kib'])}, summed RSS {after} "
            f"{_mib(last['rss_kib'])}, PSS {after} {_mib(last['pss_kib'])} "
            f"(--workers {r['workers']}) | {_target(last['hwm_kib'] * 1024 <= 1e9)} (summed peak); "
            f"{_target(last['pss_kib'] * 1024 <= 1e9)} (PSS) |"
        )
    return "\n".join(out)


def _distinct_report(result: dict[str, Any]) -> list[str]:
    """The --distinct phase: new parties, each sent once, and the server's memory after them."""
    runs = [r for r in result["runs"] if "distinct" in r]
    if not runs:
        return []
    prep = result["prepare"]
    refused = len(prep["distinct_rejected"])
    out = [
        "",
        "### Server memory after distinct parties",
        "",
        f"After the steps above, on the same server: {prep['distinct']:,} parties not sent before, each once "
        f"(made as the queries are, with seed {result['seed'] + 1}: noisy variants of registry names and synthetic "
        f"negatives"
        + (
            f"; {refused} that the server would refuse left out, e.g. {prep['distinct_rejected'][0]!r}"
            if refused
            else ""
        )
        + f"), shared out among {DISTINCT_CLIENTS} client processes calling back to back, audit log on. A server "
        "meets new names all day: each fills the name-preparation caches and each match's ownership assessment is "
        "cached, which repeating the 2,000 queries does not show. Latency here is of parties the server has not "
        "seen (its caches cold for their words), at concurrency 4.",
        "",
        "| workers | parties | calls/s | p50 | p99 | summed RSS before / after | summed peak (VmHWM) after | "
        "PSS before / after | per process after: RSS / peak / PSS |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        cell, before, after = r["distinct"], r["after"], r["after_distinct"]
        err = f" ({cell['errors']} errors)" if cell["errors"] else ""
        each = "; ".join(f"{role} {_mib(a)} / {_mib(b)} / {_mib(c)}" for role, a, b, c in after["processes"])
        out.append(
            f"| {r['workers']} | {cell['calls']:,}{err} | {cell['calls_per_s']:,.0f} | "
            f"{_ms(cell['latency_ms']['p50'])} | {_ms(cell['latency_ms']['p99'])} | "
            f"{_mib(before['rss_kib'])} / {_mib(after['rss_kib'])} | {_mib(after['hwm_kib'])} | "
            f"{_mib(before['pss_kib'])} / {_mib(after['pss_kib'])} | {each} |"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per (workers, RPC, c)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed calls per client process")
    parser.add_argument("--concurrency", default="1,2,4,8,16")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--threads", type=int, default=8, help="server handler threads per process")
    parser.add_argument("--pin-cpus", action="store_true", help="serve with --pin-cpus (one CPU per process)")
    parser.add_argument("--splink-queries", type=int, default=40)
    parser.add_argument("--same-passes", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument(
        "--distinct",
        type=distinct_count,
        default=0,
        help="then this many distinct parties (0 to 100,000), each sent once",
    )
    parser.add_argument("--write", action="store_true", help=f'replace the "{SECTION}" section of RESULTS.md')
    # children
    parser.add_argument("--child", choices=("prepare", "client"), help=argparse.SUPPRESS)
    for name in ("--store", "--out", "--address", "--method", "--queries-file", "--latency-file", "--indices"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    parser.add_argument("--client-index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--passes", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--once", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "prepare":
        print(json.dumps(_prepare(args)))
        return
    if args.child == "client":
        print(json.dumps(_client(args)))
        return
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    args.workers = [int(w) for w in args.workers.split(",")]
    command = (
        f"python -m benchmarks.bench_service --queries {args.queries} --seconds {args.seconds:g} "
        f"--warmup {args.warmup} --concurrency {','.join(map(str, args.concurrency))} "
        f"--workers {','.join(map(str, args.workers))} --threads {args.threads} "
        + ("--pin-cpus " if args.pin_cpus else "")
        + f"--splink-queries {args.splink_queries} --same-passes {args.same_passes} --seed {args.seed}"
        + (f" --distinct {args.distinct}" if args.distinct else "")
        + (" --write" if args.write else "")
    )
    result = run(args)
    body = report(result, args)
    print(f"## {SECTION}\n\nCommand: `{command}`  \nPython {platform.python_version()}\n\n{body}")
    if args.write:
        from benchmarks.results import write_section

        write_section(SECTION, command, body)
        _log(f'wrote the "{SECTION}" section of benchmarks/RESULTS.md')


if __name__ == "__main__":
    main()
