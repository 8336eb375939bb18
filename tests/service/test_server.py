"""The service through a real server on a loopback port: real channels, real metadata, real status details.

The registry is the embedded default one (OFAC SDN 2024 + UN 2026), ingested into a temporary store, so these
tests need no shared data.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import structlog
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from grpc_status import rpc_status

from resolver.registry.ingest import parse_all
from resolver.registry.store import RegistryStore
from resolver.service.audit import AuditLog
from resolver.service.server import Running, ServeConfig, ServeError, start
from resolver.settings import EMBEDDED_REGISTRY
from resolver.v1 import resolver_pb2 as pb
from resolver.v1 import resolver_pb2_grpc as pb_grpc

TOKEN = "test-token-0123456789abcdef"
READ_ONLY_TOKEN = "status-only-token-0123456789"
AUTH = [("authorization", f"Bearer {TOKEN}")]
PESKOV = "us_ofac_sdn:35320"  # PESKOV, Dmitriy Sergeevich (RUSSIA-EO14024)
SBERBANK = "us_ofac_sdn:17018"  # PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Running, Path]]:
    base = tmp_path_factory.mktemp("served")
    store = RegistryStore(base / "registry.duckdb")
    store.ingest(parse_all([EMBEDDED_REGISTRY]))
    config = ServeConfig(
        store=store.path,
        port=0,
        audit_dir=base / "audit",
        tokens_env=f"svc:{TOKEN},status:{READ_ONLY_TOKEN}:GetRegistryStatus",
        reload_interval_s=0.2,
        max_message_bytes=256 * 1024,
    )
    running = start(config)
    yield running, base
    running.stop(1.0)


@pytest.fixture(scope="module")
def channel(served: tuple[Running, Path]) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(f"127.0.0.1:{served[0].port}") as ch:
        yield ch


@pytest.fixture(scope="module")
def stub(channel: grpc.Channel) -> pb_grpc.ResolverServiceStub:
    return pb_grpc.ResolverServiceStub(channel)


def resolve(stub: pb_grpc.ResolverServiceStub, **party: object) -> pb.ResolveEntityResponse:
    response: pb.ResolveEntityResponse = stub.ResolveEntity(
        pb.ResolveEntityRequest(party=pb.Party(**party)), metadata=AUTH, timeout=10
    )
    return response


def violations(error: grpc.RpcError) -> list[str]:
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status"
    fields = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        assert detail.Unpack(bad)
        fields += [v.field for v in bad.field_violations]
    return fields


def test_russia_listed_person_resolves_from_cyrillic_with_evidence_and_provenance(
    stub: pb_grpc.ResolverServiceStub, served: tuple[Running, Path]
) -> None:
    response = resolve(stub, name="Песков Дмитрий Сергеевич", kind=pb.ENTITY_KIND_PERSON)
    assert response.matches, "no match for a designated person's Cyrillic name"
    top = response.matches[0]
    assert top.entity.id == PESKOV
    assert "RUSSIA-EO14024" in top.entity.programs
    assert top.entity.source == "us_ofac_sdn" and len(top.entity.source_version.digest) == 64
    assert "PESKOV" in top.matched_name
    assert 0 < top.match_probability <= 1
    name = next(e for e in top.evidence if e.comparison == "name")
    assert name.match_weight > 10 and name.level
    assert abs(sum(e.match_weight for e in top.evidence) + _prior_weight(served) - top.match_weight) < 1e-9
    p = response.provenance
    snapshot = served[0].holder.current
    assert (p.snapshot_id, p.snapshot_digest) == (snapshot.snapshot_id, snapshot.digest)
    assert p.model_version == snapshot.artefact.version and p.model_version.startswith("fs-")
    assert p.threshold_match_weight == snapshot.matcher.threshold and 0 < p.threshold < 1
    assert len(response.request_id) == 32


def _prior_weight(served: tuple[Running, Path]) -> float:
    import math

    prior = served[0].holder.current.artefact.prior
    return math.log2(prior / (1 - prior))


def test_russia_listed_company_resolves_with_its_legal_form_dropped(stub: pb_grpc.ResolverServiceStub) -> None:
    response = resolve(stub, name="PAO Sberbank of Russia", kind=pb.ENTITY_KIND_ORGANIZATION, country="RU")
    assert response.matches[0].entity.id == SBERBANK
    comparisons = {e.comparison: e for e in response.matches[0].evidence}
    assert comparisons["country"].match_weight > 0  # the listing ties Sberbank to Russia


def test_an_unlisted_party_gets_no_match(stub: pb_grpc.ResolverServiceStub) -> None:
    response = resolve(stub, name="Margarethe Vandersloot-Okonkwo", kind=pb.ENTITY_KIND_PERSON, country="NL")
    assert list(response.matches) == []
    assert response.provenance.model_version


def test_options_filter_limit_and_threshold(stub: pb_grpc.ResolverServiceStub) -> None:
    party = pb.Party(name="Sberbank", kind=pb.ENTITY_KIND_ORGANIZATION)
    loose = pb.ResolveOptions(threshold=0.001, limit=3)
    response = stub.ResolveEntity(pb.ResolveEntityRequest(party=party, options=loose), metadata=AUTH)
    assert 1 <= len(response.matches) <= 3
    assert all(m.match_probability >= 0.001 for m in response.matches)
    assert response.provenance.threshold == pytest.approx(0.001)
    other_source = pb.ResolveOptions(threshold=0.001, sources=["un_sc"])
    response = stub.ResolveEntity(pb.ResolveEntityRequest(party=party, options=other_source), metadata=AUTH)
    assert all(m.entity.source == "un_sc" for m in response.matches)
    by_topic = pb.ResolveOptions(threshold=0.001, topics=["sanction"])
    response = stub.ResolveEntity(pb.ResolveEntityRequest(party=party, options=by_topic), metadata=AUTH)
    assert response.matches and all("sanction" in m.entity.topics for m in response.matches)
    no_topic = pb.ResolveOptions(threshold=0.001, topics=["no.such.topic"])
    response = stub.ResolveEntity(pb.ResolveEntityRequest(party=party, options=no_topic), metadata=AUTH)
    assert [m.entity.id for m in response.matches] == []
    excluded = pb.ResolveOptions(threshold=0.001, exclude_entity_ids=[SBERBANK])
    response = stub.ResolveEntity(pb.ResolveEntityRequest(party=party, options=excluded), metadata=AUTH)
    assert SBERBANK not in [m.entity.id for m in response.matches]


def test_health_is_serving_without_a_token(channel: grpc.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "resolver.v1.ResolverService"):
        reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_service(channel: grpc.Channel) -> None:
    services = ProtoReflectionDescriptorDatabase(channel).get_services()
    assert "resolver.v1.ResolverService" in services
    assert "grpc.health.v1.Health" in services


@pytest.mark.parametrize(
    ("party", "options", "field"),
    [
        (pb.Party(name=""), None, "party.name"),
        (pb.Party(name="   "), None, "party.name"),
        (pb.Party(name="---"), None, "party.name"),
        (pb.Party(name="Ivanov " * 20_000), None, "party.name"),  # 140,000 characters
        (pb.Party(name="Iva\x00nov"), None, "party.name"),
        (pb.Party(name="Ivanov", birth_date=pb.PartialDate(year=1970, month=13)), None, "party.birth_date.month"),
        (pb.Party(name="Ivanov", birth_date=pb.PartialDate(year=1970, month=2, day=30)), None, "party.birth_date.day"),
        (pb.Party(name="Ivanov", country="Narnia"), None, "party.country"),
        (pb.Party(name="Ivanov", kind=99), None, "party.kind"),  # type: ignore[arg-type]
        (pb.Party(name="Ivanov", aliases=[""]), None, "party.aliases[0]"),
        (pb.Party(name="Ivanov", identifiers=[pb.Identifier(scheme="passport")]), None, "party.identifiers[0].value"),
        (pb.Party(name="Ivanov"), pb.ResolveOptions(limit=1000), "options.limit"),
        (pb.Party(name="Ivanov"), pb.ResolveOptions(threshold=1.5), "options.threshold"),
        (None, None, "party"),
    ],
)
def test_each_bad_field_gives_invalid_argument_naming_it(
    stub: pb_grpc.ResolverServiceStub, party: pb.Party | None, options: pb.ResolveOptions | None, field: str
) -> None:
    request = pb.ResolveEntityRequest(party=party, options=options)
    with pytest.raises(grpc.RpcError) as caught:
        stub.ResolveEntity(request, metadata=AUTH, timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in violations(caught.value)
    assert field in (caught.value.details() or "")


def test_a_windows_1252_character_decoded_as_a_c1_control_is_put_back_not_refused(
    stub: pb_grpc.ResolverServiceStub,
) -> None:
    # "\x92" is a Windows-1252 apostrophe that some step decoded as Latin-1 (lists publish names so): the party is
    # screened as "PES’KOV"; a C0 control ("\x00") is still refused (above)
    response = resolve(stub, name="PES\x92KOV Dmitriy Sergeevich", kind=pb.ENTITY_KIND_PERSON)
    assert response.matches and response.matches[0].entity.id == PESKOV


def test_mixed_script_and_invisible_characters_give_a_sane_answer(stub: pb_grpc.ResolverServiceStub) -> None:
    response = resolve(stub, name="PES\u200bKOV Дмитрий Sergeevich", kind=pb.ENTITY_KIND_PERSON)
    assert response.matches and response.matches[0].entity.id == PESKOV


def test_an_oversized_message_is_resource_exhausted(stub: pb_grpc.ResolverServiceStub) -> None:
    party = pb.Party(name="Ivanov", address="x" * 300 * 1024)  # over the 256 KiB limit of this server
    with pytest.raises(grpc.RpcError) as caught:
        stub.ResolveEntity(pb.ResolveEntityRequest(party=party), metadata=AUTH, timeout=10)
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        ([], grpc.StatusCode.UNAUTHENTICATED),
        ([("authorization", "Bearer not-a-known-token-at-all")], grpc.StatusCode.UNAUTHENTICATED),
        ([("authorization", f"Basic {TOKEN}")], grpc.StatusCode.UNAUTHENTICATED),
        ([("authorization", f"Bearer {READ_ONLY_TOKEN}")], grpc.StatusCode.PERMISSION_DENIED),
    ],
)
def test_missing_wrong_or_insufficient_tokens_are_refused(
    stub: pb_grpc.ResolverServiceStub, metadata: list[tuple[str, str]], code: grpc.StatusCode
) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        stub.ResolveEntity(pb.ResolveEntityRequest(party=pb.Party(name="Ivanov")), metadata=metadata, timeout=10)
    assert caught.value.code() == code


def test_a_token_limited_to_status_may_read_status(stub: pb_grpc.ResolverServiceStub) -> None:
    status = stub.GetRegistryStatus(
        pb.GetRegistryStatusRequest(), metadata=[("authorization", f"Bearer {READ_ONLY_TOKEN}")]
    )
    assert {s.version.source for s in status.sources} == {"us_ofac_sdn", "un_sc"}
    assert status.entity_count == sum(s.entity_count for s in status.sources) > 15_000
    assert status.model_version.startswith("fs-")


def test_get_entity_returns_the_full_record(stub: pb_grpc.ResolverServiceStub) -> None:
    response = stub.GetEntity(pb.GetEntityRequest(entity_id=SBERBANK), metadata=AUTH, timeout=10)
    record = response.entity
    assert record.entity.primary_name == "PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA"
    assert any(n.value == "SBERBANK ROSSII" for n in record.names)
    assert any(c.code == "ru" for c in record.countries)
    assert record.identifiers and record.addresses
    assert response.provenance.snapshot_id >= 1
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetEntity(pb.GetEntityRequest(entity_id="us_ofac_sdn:0"), metadata=AUTH, timeout=10)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetEntity(pb.GetEntityRequest(entity_id=""), metadata=AUTH, timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    bad_date = pb.GetEntityRequest(entity_id=SBERBANK, as_of=pb.PartialDate(year=2024, month=2, day=30))
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetEntity(bad_date, metadata=AUTH, timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violations(caught.value) == ["as_of.day"]


def test_batch_answers_each_party_once_and_reports_bad_ones_in_stream(stub: pb_grpc.ResolverServiceStub) -> None:
    names = ["Sberbank of Russia", "", "Песков Дмитрий Сергеевич", "Nobody Inparticular"]
    requests = [
        pb.BatchResolveEntitiesRequest(correlation_id=f"c{i}", party=pb.Party(name=name))
        for i, name in enumerate(names)
    ]
    responses = list(stub.BatchResolveEntities(iter(requests), metadata=AUTH, timeout=30))
    assert [r.correlation_id for r in responses] == ["c0", "c1", "c2", "c3"]
    assert responses[0].result.matches[0].entity.id == SBERBANK
    assert responses[1].HasField("error") and responses[1].error.field_violations[0].field == "party.name"
    assert responses[2].result.matches[0].entity.id == PESKOV
    assert responses[3].HasField("result") and not responses[3].result.matches


def test_a_batch_sent_at_once_is_answered_in_order_and_audited_with_fewer_fsyncs_than_parties(
    stub: pb_grpc.ResolverServiceStub, served: tuple[Running, Path]
) -> None:
    audit = served[0].audit
    names = [f"Ivan Petrov {i}" for i in range(300)]
    names[7], names[150] = "Sberbank of Russia", ""  # a match, and an invalid party answered in the stream
    requests = [
        pb.BatchResolveEntitiesRequest(correlation_id=f"p{i}", party=pb.Party(name=n)) for i, n in enumerate(names)
    ]
    syncs = audit.syncs
    responses = list(stub.BatchResolveEntities(iter(requests), metadata=AUTH, timeout=60))
    assert [r.correlation_id for r in responses] == [f"p{i}" for i in range(300)]
    assert responses[7].result.matches[0].entity.id == SBERBANK
    assert responses[150].error.field_violations[0].field == "party.name"
    # every resolved party is in the audit log, written in batches: the parties already received share an fsync
    audited = [
        row for row in AuditLog(served[1] / "audit").query(limit=10_000) if row["method"] == "BatchResolveEntities"
    ]
    ids = {row["request_id"] for row in audited}
    assert all(r.result.request_id in ids for i, r in enumerate(responses) if i != 150)
    assert audit.syncs - syncs < 150, f"{audit.syncs - syncs} fsyncs for 299 parties"


def test_a_batch_client_that_waits_for_each_answer_is_not_kept_waiting(stub: pb_grpc.ResolverServiceStub) -> None:
    answered = threading.Event()

    def lockstep() -> Iterator[pb.BatchResolveEntitiesRequest]:
        for i in range(5):
            yield pb.BatchResolveEntitiesRequest(correlation_id=f"l{i}", party=pb.Party(name="Sberbank of Russia"))
            assert answered.wait(10)
            answered.clear()

    seen = []
    for response in stub.BatchResolveEntities(lockstep(), metadata=AUTH, timeout=30):
        seen.append(response.correlation_id)
        answered.set()
    assert seen == [f"l{i}" for i in range(5)]


def test_a_deadline_stops_a_long_batch(stub: pb_grpc.ResolverServiceStub, served: tuple[Running, Path]) -> None:
    def parties() -> Iterator[pb.BatchResolveEntitiesRequest]:
        for i in range(100_000):
            yield pb.BatchResolveEntitiesRequest(correlation_id=f"d{i}", party=pb.Party(name=f"Ivan Petrov {i}"))

    received = 0
    with pytest.raises(grpc.RpcError) as caught:
        for _ in stub.BatchResolveEntities(parties(), metadata=AUTH, timeout=0.5):
            received += 1
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert received < 100_000


def test_every_call_is_in_the_audit_log(stub: pb_grpc.ResolverServiceStub, served: tuple[Running, Path]) -> None:
    ids = [f"audit-test-{i}" for i in range(5)]
    for request_id in ids:
        stub.ResolveEntity(
            pb.ResolveEntityRequest(request_id=request_id, party=pb.Party(name="Sberbank of Russia")), metadata=AUTH
        )
    audit = AuditLog(served[1] / "audit")
    for request_id in ids:
        (row,) = audit.query(request_id=request_id)
        assert row["caller"] == "svc" and row["method"] == "ResolveEntity"
        assert row["party"]["name"] == "Sberbank of Russia"
        assert row["matches"][0]["entity_id"] == SBERBANK
        assert row["snapshot_id"] == served[0].holder.current.snapshot_id
        assert row["model_version"].startswith("fs-")


def _rpc_lines(logs: list[dict[str, object]], count: int) -> list[dict[str, object]]:
    """The request log lines among ``logs``, once ``count`` are there: each is written once its call has ended."""
    deadline = time.monotonic() + 10
    while sum(e["event"] == "rpc" for e in list(logs)) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return [e for e in list(logs) if e["event"] == "rpc"]


def test_each_call_leaves_one_request_log_line_and_its_metrics_without_the_party_or_the_token(
    stub: pb_grpc.ResolverServiceStub, served: tuple[Running, Path]
) -> None:
    from prometheus_client import REGISTRY

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    ok, refused = {"method": "ResolveEntity", "code": "OK"}, {"method": "ResolveEntity", "code": "UNAUTHENTICATED"}
    before = (sample("resolver_requests_total", **ok), sample("resolver_requests_total", **refused))
    timed_before = sample("resolver_request_duration_seconds_count", method="ResolveEntity")
    scored_before = sample("resolver_candidates_per_query_count")
    wrong = "wrong-token-9876543210fedcba"
    with structlog.testing.capture_logs() as logs:
        response = stub.ResolveEntity(
            pb.ResolveEntityRequest(request_id="log-test-1", party=pb.Party(name="Песков Дмитрий Сергеевич")),
            metadata=AUTH,
            timeout=10,
        )
        with pytest.raises(grpc.RpcError):
            stub.ResolveEntity(
                pb.ResolveEntityRequest(party=pb.Party(name="Песков Дмитрий Сергеевич")),
                metadata=[("authorization", f"Bearer {wrong}")],
                timeout=10,
            )
        lines = _rpc_lines(logs, 2)
    answered, refused_line = lines
    assert answered["method"] == "ResolveEntity" and answered["code"] == "OK" and answered["caller"] == "svc"
    assert answered["request_id"] == "log-test-1" and answered["log_level"] == "info"
    assert answered["matches"] == len(response.matches) >= 1
    assert answered["snapshot_id"] == response.provenance.snapshot_id
    assert isinstance(answered["latency_ms"], float) and answered["latency_ms"] > 0
    assert refused_line["code"] == "UNAUTHENTICATED" and refused_line["log_level"] == "warning"
    # what was asked and who asked with which secret stay out of the ordinary logs (the audit log keeps the party)
    text = repr(logs)
    assert "Песков" not in text and "PESKOV" not in text.upper() and TOKEN not in text and wrong not in text
    assert sample("resolver_requests_total", **ok) == before[0] + 1
    assert sample("resolver_requests_total", **refused) == before[1] + 1
    assert sample("resolver_request_duration_seconds_count", method="ResolveEntity") == timed_before + 2
    assert sample("resolver_candidates_per_query_count") == scored_before + 1


def test_shutdown_lets_the_calls_in_flight_finish_then_refuses_new_ones(
    served: tuple[Running, Path], tmp_path: Path
) -> None:
    # a server of its own on the same store (this one is stopped); no tokens, so no metadata below
    running = start(ServeConfig(store=served[1] / "registry.duckdb", port=0, audit_dir=tmp_path / "audit"))
    parties = 1500
    answered: list[pb.BatchResolveEntitiesResponse] = []
    failed: list[BaseException] = []
    started = threading.Event()
    with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        stub = pb_grpc.ResolverServiceStub(channel)
        names = ["Sberbank of Russia", "Ivan Petrov", "Песков Дмитрий Сергеевич"]
        requests = [
            pb.BatchResolveEntitiesRequest(correlation_id=f"d{i}", party=pb.Party(name=names[i % 3]))
            for i in range(parties)
        ]

        def stream() -> None:
            try:
                for response in stub.BatchResolveEntities(iter(requests), timeout=120):
                    answered.append(response)
                    started.set()
            except grpc.RpcError as exc:
                failed.append(exc)

        client = threading.Thread(target=stream)
        client.start()
        assert started.wait(60)
        in_flight = len(answered)
        running.stop(60)  # returns once the calls in flight are done
        client.join(60)
        assert not failed, failed
        assert in_flight < parties, "the stream had ended before the shutdown began: nothing was in flight"
        assert [r.correlation_id for r in answered] == [f"d{i}" for i in range(parties)]
        assert all(r.HasField("result") for r in answered)
        with pytest.raises(grpc.RpcError) as caught:
            stub.ResolveEntity(pb.ResolveEntityRequest(party=pb.Party(name="Ivan Petrov")), timeout=5)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    # and every answer the stream got is in the audit log
    audited = {row["request_id"] for row in AuditLog(tmp_path / "audit").query(limit=10_000)}
    assert {r.result.request_id for r in answered} <= audited and len(audited) == parties


def test_non_loopback_without_tokens_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ServeError, match="requires authentication"):
        ServeConfig(store=tmp_path / "s.duckdb", host="0.0.0.0").check()
    with pytest.raises(ServeError, match="both a certificate and its key"):
        ServeConfig(store=tmp_path / "s.duckdb", tls_cert=tmp_path / "c.pem").check()


def test_an_ingest_during_traffic_changes_the_snapshot_with_no_failed_call(
    stub: pb_grpc.ResolverServiceStub, served: tuple[Running, Path], tmp_path: Path
) -> None:
    running, base = served
    before = running.holder.current.snapshot_id
    old_matcher = weakref.ref(running.holder.current.matcher)
    watchlist = tmp_path / "Targets.csv"
    watchlist.write_text("id,name,kind\nWL-1,Ivan Testovich Watchlistov,person\n", encoding="utf-8")
    failures: list[str] = []
    seen: set[int] = set()
    stop = threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            try:
                seen.add(resolve(stub, name="Sberbank of Russia").provenance.snapshot_id)
            except grpc.RpcError as exc:
                failures.append(f"{exc.code()}: {exc.details()}")

    workers = [threading.Thread(target=traffic) for _ in range(4)]
    for w in workers:
        w.start()
    try:
        subprocess.run(
            [sys.executable, "-m", "resolver.cli", "ingest", str(watchlist), "--store", str(base / "registry.duckdb")],
            check=True,
            capture_output=True,
            timeout=120,
        )
        deadline = time.monotonic() + 60
        while running.holder.current.snapshot_id == before and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # calls against the new snapshot, too
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert failures == []
    after = running.holder.current.snapshot_id
    assert after > before and {before, after} <= seen
    response = resolve(stub, name="Ivan Testovich Watchlistov", kind=pb.ENTITY_KIND_PERSON)
    assert response.matches[0].entity.id == "watchlist_targets:WL-1"
    assert response.provenance.snapshot_id == after
    # the old snapshot is gone once no call holds it: freed by reference counting, although the collector
    # never looks at snapshots (gc.freeze, snapshot.settle)
    deadline = time.monotonic() + 10
    while old_matcher() is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert old_matcher() is None


def test_a_snapshot_written_without_its_matcher_is_built_by_another_process(
    stub: pb_grpc.ResolverServiceStub, served: tuple[Running, Path], tmp_path: Path
) -> None:
    # The store's own API writes no matcher (the command line does): the server has a process of its own build
    # and save it, and maps it; its own threads never build one.
    running, base = served
    before = running.holder.current.snapshot_id
    watchlist = tmp_path / "Second.csv"
    watchlist.write_text("id,name,kind\nWL-2,Petra Testovna Secondlistova,person\n", encoding="utf-8")
    with structlog.testing.capture_logs() as logs:
        RegistryStore(base / "registry.duckdb").ingest(parse_all([watchlist]))
        deadline = time.monotonic() + 120
        while running.holder.current.snapshot_id == before and time.monotonic() < deadline:
            time.sleep(0.1)
    assert running.holder.current.snapshot_id > before
    assert [e["matcher"] for e in logs if e["event"] == "snapshot loaded"] == ["mapped"]
    response = resolve(stub, name="Petra Testovna Secondlistova", kind=pb.ENTITY_KIND_PERSON)
    assert response.matches[0].entity.id == "watchlist_second:WL-2"
