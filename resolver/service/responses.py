"""Building response messages: matches with evidence and provenance, and full entity records."""

from __future__ import annotations

from typing import Any

from resolver.matching.engine import EntityMatch
from resolver.matching.scorer import probability
from resolver.ownership.assess import Assessment
from resolver.ownership.graph import Share
from resolver.service.snapshot import KINDS, ServedSnapshot, partial_date
from resolver.v1 import resolver_pb2 as pb

NAME_KINDS = {
    "primary": pb.NAME_KIND_PRIMARY,
    "alias": pb.NAME_KIND_ALIAS,
    "weak_alias": pb.NAME_KIND_WEAK_ALIAS,
    "former": pb.NAME_KIND_FORMER,
}
RELATION_KINDS = {
    "ownership": pb.RELATION_KIND_OWNERSHIP,
    "control": pb.RELATION_KIND_CONTROL,
    "directorship": pb.RELATION_KIND_DIRECTORSHIP,
    "family": pb.RELATION_KIND_FAMILY,
    "associate": pb.RELATION_KIND_ASSOCIATE,
    "linked_to": pb.RELATION_KIND_LINKED_TO,
}


def provenance(snapshot: ServedSnapshot, threshold_weight: float) -> pb.Provenance:
    return pb.Provenance(
        snapshot_id=snapshot.snapshot_id,
        snapshot_digest=snapshot.digest,
        model_version=snapshot.artefact.version,
        threshold=probability(threshold_weight),
        threshold_match_weight=threshold_weight,
    )


def match_message(snapshot: ServedSnapshot, match: EntityMatch) -> pb.Match:
    message = pb.Match(
        matched_name=match.matched_name,
        match_probability=match.match_probability,
        match_weight=match.match_weight,
        evidence=[
            pb.FeatureEvidence(
                comparison=e.comparison, level=e.level, match_weight=e.weight, tf_adjustment_weight=e.tf_adjustment
            )
            for e in match.evidence
        ],
    )
    entity = snapshot.entities.get(match.entity_id)
    if entity is not None:
        message.entity.CopyFrom(entity)
    else:  # a row without an entity record cannot happen in one snapshot; say what we know rather than fail
        message.entity.id = match.entity_id
    return message


def share_message(value: Share) -> pb.Share:
    return share(value.exact, value.low, value.high)


def assessment_message(assessment: Assessment) -> pb.OwnershipAssessment:
    """Chains and per-jurisdiction verdicts as the proto carries them."""
    out = pb.OwnershipAssessment(node_id=assessment.node_id)
    _set_date(out, "as_of", assessment.as_of)
    for chain in assessment.chains:
        message = out.chains.add(listed_entity_id=chain.listed_entity_id)
        if chain.effective_share is not None:
            message.effective_share = chain.effective_share
        for s in chain.steps:
            step = message.steps.add(
                owner_id=s.owner_id, owner_name=s.owner_name, owned_id=s.owned_id, owned_name=s.owned_name,
                kind=RELATION_KINDS.get(s.kind, pb.RELATION_KIND_UNSPECIFIED), source=s.source,
                owner_lists=list(s.owner_lists),
            )  # fmt: skip
            step.share.CopyFrom(share_message(s.share))
            _set_date(step, "start_date", s.start)
            _set_date(step, "end_date", s.end)
    for v in assessment.verdicts:
        verdict = out.verdicts.add(
            jurisdiction=pb.Jurisdiction.Value(f"JURISDICTION_{v.jurisdiction}"),
            verdict=pb.OwnershipVerdict.Value(f"OWNERSHIP_VERDICT_{v.verdict}"),
            listed_owner_ids=list(v.listed_owner_ids), explanation=v.explanation, chain_indexes=list(v.chain_indexes),
        )  # fmt: skip
        if v.counted_share is not None:
            verdict.counted_share = v.counted_share
    return out


def share(percentage: float | None, low: float | None, high: float | None) -> pb.Share:
    if percentage is not None:
        return pb.Share(exact=percentage)
    if low is not None or high is not None:
        return pb.Share(
            range=pb.ShareRange(
                min=low if low is not None else 0.0,
                max=high if high is not None else 100.0,
                min_inclusive=True,
                max_inclusive=True,
            )
        )
    return pb.Share()


def _set_date(message: Any, field: str, text: str | None) -> None:
    value = partial_date(text)
    if value is not None:
        getattr(message, field).CopyFrom(value)


def entity_record(record: dict[str, Any], snapshot: ServedSnapshot) -> pb.EntityRecord:
    """An entity's full record as the store returns it (RegistryStore.entity) → EntityRecord."""
    eid = record["entity_id"]
    summary = snapshot.entities.get(eid) if record.get("snapshot_id") == snapshot.snapshot_id else None
    if summary is None:
        summary = pb.RegistryEntity(
            id=eid, source=record["source"], source_id=record["source_id"],
            source_version=pb.SourceVersion(source=record["source"], version_id=record["version_id"]),
            kind=KINDS.get(record["kind"], pb.ENTITY_KIND_UNSPECIFIED), primary_name=record["primary_name"],
            programs=record["programs"], topics=record["topics"], lists=record["lists"],
        )  # fmt: skip
        _set_date(summary, "listing_date", record.get("listing_date"))
    out = pb.EntityRecord(
        entity=summary,
        birth_places=record.get("birth_places") or [],
        notes=record.get("notes") or "",
        gender=record.get("gender") or "",
    )
    for n in record.get("names", []):
        out.names.add(
            value=n["name"], kind=NAME_KINDS.get(n["kind"], pb.NAME_KIND_UNSPECIFIED), script=n["script"] or "",
            lang=n.get("lang") or "", quality=n.get("quality") or "",
        )  # fmt: skip
    for i in record.get("identifiers", []):
        out.identifiers.add(scheme=i["scheme"], value=i["value"], country=i.get("country") or "")
    for b in record.get("birth_dates", []):
        item = out.birth_dates.add(raw=b["raw"])
        _set_date(item, "date", b.get("date"))
    for c in record.get("countries", []):
        out.countries.add(code=c["code"], role=c["role"])
    for a in record.get("addresses", []):
        out.addresses.add(
            full=a["full_text"], street=a.get("street") or "", city=a.get("city") or "",
            postal_code=a.get("postal_code") or "", region=a.get("region") or "", country=a.get("country") or "",
        )  # fmt: skip
    for r in record.get("relations", []):
        relation = out.relations.add(
            subject_id=r["subject_id"], object_id=r.get("object_id") or "", object_name=r.get("object_name") or "",
            kind=RELATION_KINDS.get(r["kind"], pb.RELATION_KIND_UNSPECIFIED), role=r.get("role") or "",
            source=r.get("stated_by") or record["source"],
        )  # fmt: skip
        relation.share.CopyFrom(share(r.get("percentage"), r.get("percentage_min"), r.get("percentage_max")))
        _set_date(relation, "start_date", r.get("start_date"))
        _set_date(relation, "end_date", r.get("end_date"))
    return out
