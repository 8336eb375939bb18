"""Ownership through the service: chains and verdicts on matches, the party's own node, and GetEntity."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from resolver.registry.ingest import parse_all
from resolver.registry.store import RegistryStore
from resolver.service.server import Running, ServeConfig, start
from resolver.settings import EMBEDDED_REGISTRY
from resolver.v1 import resolver_pb2 as pb
from resolver.v1 import resolver_pb2_grpc as pb_grpc

RTC = "os_zala_entities:NK-ERScv7cLkkvZ3ejz7xiToj"  # LLC "RTC", 100% owned by A. V. Zakharov 2022-04 to 2023-10
CST = "os_zala_entities:NK-abdzbEBkqyT29GyREbiURZ"
KALASHNIKOV = "os_zala_entities:NK-nR5AXM9AVPq4pQaSPSaVam"


@pytest.fixture(scope="module")
def stub(registries: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[pb_grpc.ResolverServiceStub]:
    base = tmp_path_factory.mktemp("ownership")
    store = RegistryStore(base / "registry.duckdb")
    store.ingest(parse_all([EMBEDDED_REGISTRY, registries / "opensanctions" / "zala_entities.ftm.json"]))
    # Evraz: the parent on the UK list, the minority shareholder on the EU list, the subsidiary only in an agency's
    # corporate-registry edges
    (base / "uk.csv").write_text("id,name,kind,topics\nEV-1,Evraz plc,organization,sanction\n", encoding="utf-8")
    (base / "eu.csv").write_text("id,name,kind,topics\nAB-1,Roman Abramovich,person,sanction\n", encoding="utf-8")
    (base / "edges.csv").write_text(
        "owner_id,owner_name,owned_id,owned_name,owned_kind,percentage\n"
        "@gb_hmt:EV-1,,ENA,Evraz North America,organization,100\n@eu_fsf:AB-1,,@gb_hmt:EV-1,,,28.6\n",
        encoding="utf-8",
    )
    store.ingest(parse_all([base / "uk.csv"], format_name="watchlist", source="gb_hmt"))
    store.ingest(parse_all([base / "eu.csv"], format_name="watchlist", source="eu_fsf"))
    store.ingest(parse_all([base / "edges.csv"]))
    running: Running = start(ServeConfig(store=store.path, port=0, audit_dir=base / "audit"))
    with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        yield pb_grpc.ResolverServiceStub(channel)
    running.stop(1.0)


def _resolve(stub: pb_grpc.ResolverServiceStub, name: str, as_of: pb.PartialDate) -> pb.ResolveEntityResponse:
    request = pb.ResolveEntityRequest(
        party=pb.Party(name=name, kind=pb.ENTITY_KIND_ORGANIZATION), options=pb.ResolveOptions(as_of=as_of)
    )
    response: pb.ResolveEntityResponse = stub.ResolveEntity(request, timeout=30)
    return response


def test_a_match_carries_its_chains_and_verdicts_as_of_the_declaration(stub: pb_grpc.ResolverServiceStub) -> None:
    response = _resolve(
        stub, 'Товариство з обмеженою відповідальністю "РТЦ"', pb.PartialDate(year=2023, month=8, day=1)
    )
    match = next(m for m in response.matches if m.entity.id == RTC)
    ownership = match.ownership
    assert ownership.node_id == RTC and ownership.as_of.year == 2023
    chain = ownership.chains[0]
    assert chain.steps[0].owned_id == RTC and chain.steps[0].share.exact == 100.0
    assert (
        chain.steps[0].owner_name == "Alexander Vyacheslavovich ZAKHAROV"
        and "us_ofac_sdn" in chain.steps[0].owner_lists
    )
    assert chain.effective_share == 100.0
    verdicts = {pb.Jurisdiction.Name(v.jurisdiction): v for v in ownership.verdicts}
    ofac = verdicts["JURISDICTION_US_OFAC"]
    assert ofac.verdict == pb.OWNERSHIP_VERDICT_BLOCKED_BY_OWNERSHIP and ofac.counted_share == 100.0
    assert list(ofac.chain_indexes) == [0] and "ZAKHAROV" in ofac.explanation
    # a year later the holding had ended: no chain, nothing blocked
    later = _resolve(stub, 'Товариство з обмеженою відповідальністю "РТЦ"', pb.PartialDate(year=2024, month=6, day=1))
    again = next(m for m in later.matches if m.entity.id == RTC).ownership
    assert not again.chains
    assert all(v.verdict == pb.OWNERSHIP_VERDICT_NONE for v in again.verdicts)


def test_a_party_that_is_an_unlisted_subsidiary_gets_its_own_assessment(stub: pb_grpc.ResolverServiceStub) -> None:
    response = _resolve(stub, "Evraz North America", pb.PartialDate(year=2022, month=6, day=1))
    party = response.party_ownership
    assert party.node_id == "ownership_edges:ENA"
    verdicts = {v.jurisdiction: v for v in party.verdicts}
    assert verdicts[pb.JURISDICTION_UK].verdict == pb.OWNERSHIP_VERDICT_BLOCKED_BY_OWNERSHIP
    assert verdicts[pb.JURISDICTION_EU].verdict == pb.OWNERSHIP_VERDICT_MINORITY_EXPOSURE
    assert verdicts[pb.JURISDICTION_EU].counted_share == pytest.approx(28.6)
    assert verdicts[pb.JURISDICTION_US_OFAC].verdict == pb.OWNERSHIP_VERDICT_NONE
    abramovich = next(c for c in party.chains if c.listed_entity_id == "eu_fsf:AB-1")
    assert [s.owner_name for s in abramovich.steps] == ["Evraz plc", "Roman Abramovich"]


def test_skip_ownership_leaves_the_slot_empty(stub: pb_grpc.ResolverServiceStub) -> None:
    request = pb.ResolveEntityRequest(party=pb.Party(name="LLC CST"), options=pb.ResolveOptions(skip_ownership=True))
    response = stub.ResolveEntity(request, timeout=30)
    assert response.matches and not response.matches[0].HasField("ownership")


def test_get_entity_shows_owners_with_verdicts(stub: pb_grpc.ResolverServiceStub) -> None:
    request = pb.GetEntityRequest(entity_id=CST, as_of=pb.PartialDate(year=2021, month=6, day=1))
    record = stub.GetEntity(request, timeout=30).entity
    owners = {c.listed_entity_id: c.effective_share for c in record.ownership.chains}
    assert owners[KALASHNIKOV] == 49.0
    ofac = next(v for v in record.ownership.verdicts if v.jurisdiction == pb.JURISDICTION_US_OFAC)
    assert ofac.verdict == pb.OWNERSHIP_VERDICT_MINORITY_EXPOSURE and ofac.counted_share == 49.0
    assert any(r.kind == pb.RELATION_KIND_OWNERSHIP and r.share.exact == 49.0 for r in record.relations)


def test_get_entity_shows_holdings_stated_by_another_source(stub: pb_grpc.ResolverServiceStub) -> None:
    record = stub.GetEntity(pb.GetEntityRequest(entity_id="gb_hmt:EV-1"), timeout=30).entity
    holdings = [r for r in record.relations if r.subject_id == "gb_hmt:EV-1"]
    assert [(r.object_id, r.share.exact, r.source) for r in holdings] == [
        ("ownership_edges:ENA", 100.0, "ownership_edges")
    ]
    owners = [r for r in record.relations if r.object_id == "gb_hmt:EV-1"]
    assert [(r.subject_id, r.share.exact) for r in owners] == [("eu_fsf:AB-1", 28.6)]
