"""How the service is deployed: TLS and mutual TLS, several worker processes on one port, a clean shutdown."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from resolver.registry.ingest import parse_all
from resolver.registry.store import RegistryStore
from resolver.service.audit import DB_NAME
from resolver.service.server import Running, ServeConfig, start
from resolver.settings import EMBEDDED_REGISTRY
from resolver.v1 import resolver_pb2 as pb
from resolver.v1 import resolver_pb2_grpc as pb_grpc

TOKEN = "deployment-token-0123456789"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "registry.duckdb"
    RegistryStore(path).ingest(parse_all([EMBEDDED_REGISTRY]))
    return path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA, a server certificate for localhost and a client certificate, all signed by the CA."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make test certificates")
    d = tmp_path_factory.mktemp("certs")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
             "-keyout", "ca.key", "-out", "ca.pem", cwd=d)  # fmt: skip
    (d / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for name in ("server", "client"):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", f"{name}.key",
                 "-out", f"{name}.csr", cwd=d)  # fmt: skip
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-days", "2", "-extfile", "san.ext", "-out", f"{name}.pem", cwd=d)  # fmt: skip
    return d


@pytest.fixture(scope="module")
def mtls_server(store: Path, certs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    config = ServeConfig(
        store=store, port=0, tokens_env=f"svc:{TOKEN}", tls_cert=certs / "server.pem", tls_key=certs / "server.key",
        tls_client_ca=certs / "ca.pem", audit_dir=tmp_path_factory.mktemp("audit"),
    )  # fmt: skip
    running = start(config)
    yield running
    running.stop(1.0)


def _status(channel: grpc.Channel) -> pb.GetRegistryStatusResponse:
    stub = pb_grpc.ResolverServiceStub(channel)
    response: pb.GetRegistryStatusResponse = stub.GetRegistryStatus(
        pb.GetRegistryStatusRequest(), metadata=[("authorization", f"Bearer {TOKEN}")], timeout=5
    )
    return response


def test_mutual_tls_accepts_a_client_certificate_signed_by_the_ca(mtls_server: Running, certs: Path) -> None:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=(certs / "ca.pem").read_bytes(),
        private_key=(certs / "client.key").read_bytes(),
        certificate_chain=(certs / "client.pem").read_bytes(),
    )
    with grpc.secure_channel(f"localhost:{mtls_server.port}", credentials) as channel:
        assert _status(channel).entity_count > 15_000


def test_mutual_tls_refuses_a_client_without_a_certificate(mtls_server: Running, certs: Path) -> None:
    credentials = grpc.ssl_channel_credentials(root_certificates=(certs / "ca.pem").read_bytes())
    with grpc.secure_channel(f"localhost:{mtls_server.port}", credentials) as channel, pytest.raises(grpc.RpcError):
        _status(channel)


def test_a_plaintext_client_cannot_talk_to_a_tls_server(mtls_server: Running) -> None:
    with grpc.insecure_channel(f"localhost:{mtls_server.port}") as channel, pytest.raises(grpc.RpcError):
        _status(channel)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _cpus_of_every_thread(pid: int) -> set[frozenset[int]]:
    return {frozenset(os.sched_getaffinity(int(task.name))) for task in Path(f"/proc/{pid}/task").iterdir()}


def test_two_workers_share_one_port_each_on_its_cpu_and_stop_on_sigterm(store: Path, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "RESOLVER_LOG_FORMAT": "json"}
    cmd = [sys.executable, "-m", "resolver.cli", "serve", "--store", str(store), "--port", str(port), "--workers",
           "2", "--pin-cpus", "--audit-dir", str(tmp_path / "audit")]  # fmt: skip
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        pids: set[int] = set()
        deadline = time.monotonic() + 120
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=120)
            health = health_pb2_grpc.HealthStub(channel)
            assert health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == 1
        # Each new connection lands on one of the workers (SO_REUSEPORT): both must answer in time.
        while len(pids) < 2 and time.monotonic() < deadline:
            with grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.use_local_subchannel_pool", 1)]) as ch:
                stub = pb_grpc.ResolverServiceStub(ch)
                response = stub.ResolveEntity(
                    pb.ResolveEntityRequest(
                        party=pb.Party(name="Sberbank of Russia", kind=pb.ENTITY_KIND_ORGANIZATION)
                    ),
                    timeout=30,
                )
                assert response.matches
            pids |= _worker_pids_in_log(tmp_path / "audit")
        assert len(pids) == 2, "both workers answered"
        # --pin-cpus: every thread of a worker (gRPC's included) runs on one CPU, worker i on the i-th CPU
        allowed = sorted(os.sched_getaffinity(0))
        pinned = {pid: _cpus_of_every_thread(pid) for pid in pids}
        assert all(len(sets) == 1 and len(next(iter(sets))) == 1 for sets in pinned.values()), pinned
        assert {cpu for sets in pinned.values() for cpu in next(iter(sets))} == set(allowed[:2]), pinned
        # One snapshot matcher for both: each worker maps the files one process saved beside the store.
        mapped = {pid: _saved_matcher_files(pid, store) for pid in pids}
        first, second = mapped.values()
        assert first and first == second, mapped
        # pyarrow is for ingest and training: a worker that loaded it would carry ~50 MiB more
        arrow = {pid: [m for m in _mapped_files(pid) if "libarrow" in m] for pid in pids}
        assert not any(arrow.values()), arrow
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    assert server.returncode == 0, err[-2000:]
    assert err.count('"server stopped"') == 2
    loaded = [json.loads(line) for line in err.splitlines() if '"snapshot loaded"' in line]
    assert [event["matcher"] for event in loaded] == ["mapped", "mapped"], "no worker built the matcher itself"


def _mapped_files(pid: int) -> set[str]:
    """The files process ``pid`` maps (its libraries among them)."""
    lines = Path(f"/proc/{pid}/maps").read_text().splitlines()
    return {parts[5] for parts in (line.split(maxsplit=5) for line in lines) if len(parts) == 6}


def _saved_matcher_files(pid: int, store: Path) -> set[str]:
    """The files of saved matchers (beside ``store``) that process ``pid`` maps."""
    prefix = str(store.with_name(store.name + ".matchers")) + "/"
    return {path for path in _mapped_files(pid) if path.startswith(prefix)}


def _folded(audit_dir: Path) -> int:
    """Decisions in audit.duckdb (0 while it does not exist or a fold holds it)."""
    import duckdb

    try:
        with duckdb.connect(str(audit_dir / DB_NAME), read_only=True) as con:
            row = con.execute("SELECT count(*) FROM decisions").fetchone()
    except duckdb.Error:
        return 0
    return int(row[0]) if row else 0


def test_a_single_server_process_leaves_the_audit_fold_to_another(store: Path, tmp_path: Path) -> None:
    # the process answering calls only appends to its journal; a folder process moves the records into
    # audit.duckdb while it serves, and folds the last ones after it stops
    port, audit_dir = _free_port(), tmp_path / "audit"
    env = {**os.environ, "RESOLVER_LOG_FORMAT": "json"}
    cmd = [sys.executable, "-m", "resolver.cli", "serve", "--store", str(store), "--port", str(port),
           "--audit-dir", str(audit_dir)]  # fmt: skip
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=120)
            stub = pb_grpc.ResolverServiceStub(channel)
            for name in ("Sberbank of Russia", "Vladimir Putin", "Rosneft"):
                stub.ResolveEntity(pb.ResolveEntityRequest(party=pb.Party(name=name)), timeout=30)
            deadline = time.monotonic() + 30
            while _folded(audit_dir) < 3 and time.monotonic() < deadline:
                time.sleep(0.2)
            assert _folded(audit_dir) == 3, "folded while the server runs"
            stub.ResolveEntity(pb.ResolveEntityRequest(party=pb.Party(name="Gazprom")), timeout=30)
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    assert server.returncode == 0, err[-2000:]
    assert _folded(audit_dir) == 4
    assert not list(audit_dir.glob("journal-*.jsonl"))  # each journal folded, and deleted once its writer closed it
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    (serving,) = [e["pid"] for e in events if e["event"] == "serving"]
    folders = {e["pid"] for e in events if e["event"] == "audit_folded" and e["records"]}
    assert folders and serving not in folders, "the serving process folded nothing while it served"


def _worker_pids_in_log(audit_dir: Path) -> set[int]:
    # each worker process writes its own audit journal, named after its pid
    return {int(p.name.split("-")[1]) for p in audit_dir.glob("journal-*.jsonl")}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--host", "0.0.0.0"], "requires authentication"),
        (["--workers", "0"], "--workers must be 1 or more"),
        (["--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"], "is not a readable file"),
        (["--tls-client-ca", "/nonexistent/ca.pem"], "needs server TLS too"),
    ],
)
def test_serve_refuses_unsafe_or_impossible_settings_with_a_clear_error(
    store: Path, args: list[str], message: str
) -> None:
    from typer.testing import CliRunner

    from resolver.cli import app

    result = CliRunner().invoke(app, ["serve", "--store", str(store), "--port", "0", *args])
    assert result.exit_code == 1
    assert message in result.output


def test_a_refused_pinning_leaves_the_process_serving_unpinned_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from structlog.testing import capture_logs

    from resolver.service import server

    def refuse(pid: int, cpus: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    before = os.sched_getaffinity(0)
    monkeypatch.setattr(server.os, "sched_setaffinity", refuse)
    with capture_logs() as logs:
        server._pin(min(before))
    assert [entry["event"] for entry in logs] == ["not pinned"]
    assert "not permitted" in logs[0]["error"]
    assert os.sched_getaffinity(0) == before


def test_serve_on_a_fresh_store_ingests_the_embedded_registry_in_another_process_then_serves(tmp_path: Path) -> None:
    # the README's main job: no store yet. `resolver ingest --embedded` runs in a child (its heap stays there and it
    # saves the matcher); the server then maps that matcher and answers from snapshot 1.
    port, store = _free_port(), tmp_path / "fresh" / "registry.duckdb"
    env = {**os.environ, "RESOLVER_LOG_FORMAT": "json"}
    cmd = [sys.executable, "-m", "resolver.cli", "serve", "--store", str(store), "--port", str(port)]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=300)
            stub = pb_grpc.ResolverServiceStub(channel)
            status = stub.GetRegistryStatus(pb.GetRegistryStatusRequest(), timeout=30)
            assert status.snapshot_id == 1 and {s.version.source for s in status.sources} == {"us_ofac_sdn", "un_sc"}
            party = pb.Party(name="Sberbank of Russia", kind=pb.ENTITY_KIND_ORGANIZATION)
            response = stub.ResolveEntity(pb.ResolveEntityRequest(party=party), timeout=30)
            assert response.matches and response.provenance.snapshot_id == 1
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=60)
    assert server.returncode == 0, err[-2000:]
    assert "ingesting the embedded default registry" in err and "snapshot 1 written to" in err
    assert err.count("new version") == 2, "the ingest command's table: one row per source"
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    (serving,) = [e["pid"] for e in events if e["event"] == "serving"]
    loaded = [e for e in events if e["event"] == "snapshot loaded"]
    assert loaded and all(e["matcher"] == "mapped" for e in loaded), "the server mapped the matcher the ingest saved"
    assert serving == server.pid  # one worker: the command serves in its own process
    assert RegistryStore(store).status().snapshot_id == 1


def test_serve_says_so_when_the_embedded_registry_cannot_be_ingested(tmp_path: Path) -> None:
    blocker = tmp_path / "not a directory"
    blocker.write_text("a file where the store's folder should be")
    cmd = [sys.executable, "-m", "resolver.cli", "serve", "--store", str(blocker / "registry.duckdb"), "--port", "0"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "the embedded default registry could not be ingested into" in done.stderr


# What the supervisor of `resolver serve --workers N` (and a single server's audit folder) imports: the command line,
# the server module, the matcher builder's launcher and the audit log. It starts processes and folds journals; the
# matching code, Splink and the name libraries are the workers' (~40 MiB of each process's peak memory).
SUPERVISOR_IMPORTS = """
import json, sys
import resolver.cli, resolver.service.audit, resolver.service.builder, resolver.service.server
print(json.dumps(sorted(sys.modules)))
"""


def test_the_supervisor_of_the_workers_loads_no_matching_code() -> None:
    done = subprocess.run([sys.executable, "-c", SUPERVISOR_IMPORTS], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout))
    assert "resolver.service.server" in loaded  # the probe imported what it says
    heavy = {"splink", "rigour", "normality", "icu", "rapidfuzz", "resolver.matching.engine", "resolver.names"}
    assert not heavy & loaded, sorted(heavy & loaded)
