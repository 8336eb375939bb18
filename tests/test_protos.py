"""The committed stubs match the proto, and the contract has what the clients rely on."""

from __future__ import annotations

from pathlib import Path

from resolver.v1 import _generate, resolver_pb2


def test_committed_stubs_are_fresh(tmp_path: Path) -> None:
    written = _generate.generate(tmp_path)
    assert written, "protoc wrote nothing"
    for fresh in written:
        committed = _generate.ROOT / fresh.relative_to(tmp_path)
        assert committed.exists(), f"{committed} is missing: run python -m resolver.v1._generate"
        assert committed.read_bytes() == fresh.read_bytes(), (
            f"{committed.name} is stale: run python -m resolver.v1._generate and commit"
        )


def test_service_has_the_four_methods() -> None:
    service = resolver_pb2.DESCRIPTOR.services_by_name["ResolverService"]
    methods = {m.name: m for m in service.methods}
    assert set(methods) == {"ResolveEntity", "BatchResolveEntities", "GetEntity", "GetRegistryStatus"}
    batch = methods["BatchResolveEntities"]
    assert batch.client_streaming and batch.server_streaming
    assert resolver_pb2.DESCRIPTOR.package == "resolver.v1"


def test_messages_round_trip() -> None:
    request = resolver_pb2.ResolveEntityRequest(
        party=resolver_pb2.Party(
            name="Roman Abramovich",
            kind=resolver_pb2.ENTITY_KIND_PERSON,
            birth_date=resolver_pb2.PartialDate(year=1966, month=10, day=24),
            identifiers=[resolver_pb2.Identifier(scheme="Passport", value="CB982788")],
        ),
        options=resolver_pb2.ResolveOptions(threshold=0.8, limit=5),
    )
    decoded = resolver_pb2.ResolveEntityRequest.FromString(request.SerializeToString())
    assert decoded == request
    assert decoded.options.HasField("threshold")
    assert not resolver_pb2.ResolveOptions().HasField("threshold")
    share = resolver_pb2.Share(range=resolver_pb2.ShareRange(min=75, max=100, min_inclusive=True, max_inclusive=True))
    assert share.WhichOneof("value") == "range"
    assert resolver_pb2.Share().WhichOneof("value") is None  # unknown stays unknown
