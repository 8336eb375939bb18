import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EntityKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENTITY_KIND_UNSPECIFIED: _ClassVar[EntityKind]
    ENTITY_KIND_PERSON: _ClassVar[EntityKind]
    ENTITY_KIND_ORGANIZATION: _ClassVar[EntityKind]
    ENTITY_KIND_VESSEL: _ClassVar[EntityKind]
    ENTITY_KIND_AIRCRAFT: _ClassVar[EntityKind]

class NameKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NAME_KIND_UNSPECIFIED: _ClassVar[NameKind]
    NAME_KIND_PRIMARY: _ClassVar[NameKind]
    NAME_KIND_ALIAS: _ClassVar[NameKind]
    NAME_KIND_WEAK_ALIAS: _ClassVar[NameKind]
    NAME_KIND_FORMER: _ClassVar[NameKind]

class RelationKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RELATION_KIND_UNSPECIFIED: _ClassVar[RelationKind]
    RELATION_KIND_OWNERSHIP: _ClassVar[RelationKind]
    RELATION_KIND_CONTROL: _ClassVar[RelationKind]
    RELATION_KIND_DIRECTORSHIP: _ClassVar[RelationKind]
    RELATION_KIND_FAMILY: _ClassVar[RelationKind]
    RELATION_KIND_ASSOCIATE: _ClassVar[RelationKind]
    RELATION_KIND_LINKED_TO: _ClassVar[RelationKind]

class Jurisdiction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JURISDICTION_UNSPECIFIED: _ClassVar[Jurisdiction]
    JURISDICTION_US_OFAC: _ClassVar[Jurisdiction]
    JURISDICTION_EU: _ClassVar[Jurisdiction]
    JURISDICTION_UK: _ClassVar[Jurisdiction]
    JURISDICTION_US_BIS: _ClassVar[Jurisdiction]

class OwnershipVerdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OWNERSHIP_VERDICT_UNSPECIFIED: _ClassVar[OwnershipVerdict]
    OWNERSHIP_VERDICT_NONE: _ClassVar[OwnershipVerdict]
    OWNERSHIP_VERDICT_MINORITY_EXPOSURE: _ClassVar[OwnershipVerdict]
    OWNERSHIP_VERDICT_POSSIBLY_BLOCKED: _ClassVar[OwnershipVerdict]
    OWNERSHIP_VERDICT_BLOCKED_BY_OWNERSHIP: _ClassVar[OwnershipVerdict]
    OWNERSHIP_VERDICT_DIRECTLY_LISTED: _ClassVar[OwnershipVerdict]
ENTITY_KIND_UNSPECIFIED: EntityKind
ENTITY_KIND_PERSON: EntityKind
ENTITY_KIND_ORGANIZATION: EntityKind
ENTITY_KIND_VESSEL: EntityKind
ENTITY_KIND_AIRCRAFT: EntityKind
NAME_KIND_UNSPECIFIED: NameKind
NAME_KIND_PRIMARY: NameKind
NAME_KIND_ALIAS: NameKind
NAME_KIND_WEAK_ALIAS: NameKind
NAME_KIND_FORMER: NameKind
RELATION_KIND_UNSPECIFIED: RelationKind
RELATION_KIND_OWNERSHIP: RelationKind
RELATION_KIND_CONTROL: RelationKind
RELATION_KIND_DIRECTORSHIP: RelationKind
RELATION_KIND_FAMILY: RelationKind
RELATION_KIND_ASSOCIATE: RelationKind
RELATION_KIND_LINKED_TO: RelationKind
JURISDICTION_UNSPECIFIED: Jurisdiction
JURISDICTION_US_OFAC: Jurisdiction
JURISDICTION_EU: Jurisdiction
JURISDICTION_UK: Jurisdiction
JURISDICTION_US_BIS: Jurisdiction
OWNERSHIP_VERDICT_UNSPECIFIED: OwnershipVerdict
OWNERSHIP_VERDICT_NONE: OwnershipVerdict
OWNERSHIP_VERDICT_MINORITY_EXPOSURE: OwnershipVerdict
OWNERSHIP_VERDICT_POSSIBLY_BLOCKED: OwnershipVerdict
OWNERSHIP_VERDICT_BLOCKED_BY_OWNERSHIP: OwnershipVerdict
OWNERSHIP_VERDICT_DIRECTLY_LISTED: OwnershipVerdict

class ResolveEntityRequest(_message.Message):
    __slots__ = ("party", "options", "request_id")
    PARTY_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    party: Party
    options: ResolveOptions
    request_id: str
    def __init__(self, party: _Optional[_Union[Party, _Mapping]] = ..., options: _Optional[_Union[ResolveOptions, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ResolveEntityResponse(_message.Message):
    __slots__ = ("request_id", "matches", "provenance", "party_ownership")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    PARTY_OWNERSHIP_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    matches: _containers.RepeatedCompositeFieldContainer[Match]
    provenance: Provenance
    party_ownership: OwnershipAssessment
    def __init__(self, request_id: _Optional[str] = ..., matches: _Optional[_Iterable[_Union[Match, _Mapping]]] = ..., provenance: _Optional[_Union[Provenance, _Mapping]] = ..., party_ownership: _Optional[_Union[OwnershipAssessment, _Mapping]] = ...) -> None: ...

class BatchResolveEntitiesRequest(_message.Message):
    __slots__ = ("correlation_id", "party", "options")
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    PARTY_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    correlation_id: str
    party: Party
    options: ResolveOptions
    def __init__(self, correlation_id: _Optional[str] = ..., party: _Optional[_Union[Party, _Mapping]] = ..., options: _Optional[_Union[ResolveOptions, _Mapping]] = ...) -> None: ...

class BatchResolveEntitiesResponse(_message.Message):
    __slots__ = ("correlation_id", "result", "error")
    CORRELATION_ID_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    correlation_id: str
    result: ResolveEntityResponse
    error: Error
    def __init__(self, correlation_id: _Optional[str] = ..., result: _Optional[_Union[ResolveEntityResponse, _Mapping]] = ..., error: _Optional[_Union[Error, _Mapping]] = ...) -> None: ...

class GetEntityRequest(_message.Message):
    __slots__ = ("entity_id", "snapshot_id", "as_of")
    ENTITY_ID_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_ID_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    entity_id: str
    snapshot_id: int
    as_of: PartialDate
    def __init__(self, entity_id: _Optional[str] = ..., snapshot_id: _Optional[int] = ..., as_of: _Optional[_Union[PartialDate, _Mapping]] = ...) -> None: ...

class GetEntityResponse(_message.Message):
    __slots__ = ("entity", "provenance")
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    entity: EntityRecord
    provenance: Provenance
    def __init__(self, entity: _Optional[_Union[EntityRecord, _Mapping]] = ..., provenance: _Optional[_Union[Provenance, _Mapping]] = ...) -> None: ...

class GetRegistryStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetRegistryStatusResponse(_message.Message):
    __slots__ = ("snapshot_id", "snapshot_digest", "snapshot_created_at", "sources", "entity_count", "name_count", "model_version")
    SNAPSHOT_ID_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    ENTITY_COUNT_FIELD_NUMBER: _ClassVar[int]
    NAME_COUNT_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    snapshot_id: int
    snapshot_digest: str
    snapshot_created_at: _timestamp_pb2.Timestamp
    sources: _containers.RepeatedCompositeFieldContainer[SourceStatus]
    entity_count: int
    name_count: int
    model_version: str
    def __init__(self, snapshot_id: _Optional[int] = ..., snapshot_digest: _Optional[str] = ..., snapshot_created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sources: _Optional[_Iterable[_Union[SourceStatus, _Mapping]]] = ..., entity_count: _Optional[int] = ..., name_count: _Optional[int] = ..., model_version: _Optional[str] = ...) -> None: ...

class Party(_message.Message):
    __slots__ = ("name", "kind", "country", "birth_date", "nationality", "address", "identifiers", "aliases")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    NATIONALITY_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: EntityKind
    country: str
    birth_date: PartialDate
    nationality: str
    address: str
    identifiers: _containers.RepeatedCompositeFieldContainer[Identifier]
    aliases: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[EntityKind, str]] = ..., country: _Optional[str] = ..., birth_date: _Optional[_Union[PartialDate, _Mapping]] = ..., nationality: _Optional[str] = ..., address: _Optional[str] = ..., identifiers: _Optional[_Iterable[_Union[Identifier, _Mapping]]] = ..., aliases: _Optional[_Iterable[str]] = ...) -> None: ...

class ResolveOptions(_message.Message):
    __slots__ = ("threshold", "limit", "sources", "topics", "exclude_entity_ids", "as_of", "skip_ownership")
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_ENTITY_IDS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    SKIP_OWNERSHIP_FIELD_NUMBER: _ClassVar[int]
    threshold: float
    limit: int
    sources: _containers.RepeatedScalarFieldContainer[str]
    topics: _containers.RepeatedScalarFieldContainer[str]
    exclude_entity_ids: _containers.RepeatedScalarFieldContainer[str]
    as_of: PartialDate
    skip_ownership: bool
    def __init__(self, threshold: _Optional[float] = ..., limit: _Optional[int] = ..., sources: _Optional[_Iterable[str]] = ..., topics: _Optional[_Iterable[str]] = ..., exclude_entity_ids: _Optional[_Iterable[str]] = ..., as_of: _Optional[_Union[PartialDate, _Mapping]] = ..., skip_ownership: _Optional[bool] = ...) -> None: ...

class Match(_message.Message):
    __slots__ = ("entity", "matched_name", "match_probability", "match_weight", "evidence", "ownership")
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    MATCHED_NAME_FIELD_NUMBER: _ClassVar[int]
    MATCH_PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    MATCH_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    OWNERSHIP_FIELD_NUMBER: _ClassVar[int]
    entity: RegistryEntity
    matched_name: str
    match_probability: float
    match_weight: float
    evidence: _containers.RepeatedCompositeFieldContainer[FeatureEvidence]
    ownership: OwnershipAssessment
    def __init__(self, entity: _Optional[_Union[RegistryEntity, _Mapping]] = ..., matched_name: _Optional[str] = ..., match_probability: _Optional[float] = ..., match_weight: _Optional[float] = ..., evidence: _Optional[_Iterable[_Union[FeatureEvidence, _Mapping]]] = ..., ownership: _Optional[_Union[OwnershipAssessment, _Mapping]] = ...) -> None: ...

class FeatureEvidence(_message.Message):
    __slots__ = ("comparison", "level", "match_weight", "tf_adjustment_weight", "query_value", "candidate_value")
    COMPARISON_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MATCH_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    TF_ADJUSTMENT_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    QUERY_VALUE_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_VALUE_FIELD_NUMBER: _ClassVar[int]
    comparison: str
    level: str
    match_weight: float
    tf_adjustment_weight: float
    query_value: str
    candidate_value: str
    def __init__(self, comparison: _Optional[str] = ..., level: _Optional[str] = ..., match_weight: _Optional[float] = ..., tf_adjustment_weight: _Optional[float] = ..., query_value: _Optional[str] = ..., candidate_value: _Optional[str] = ...) -> None: ...

class RegistryEntity(_message.Message):
    __slots__ = ("id", "source", "source_id", "source_version", "kind", "primary_name", "programs", "topics", "lists", "listing_date")
    ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_VERSION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_NAME_FIELD_NUMBER: _ClassVar[int]
    PROGRAMS_FIELD_NUMBER: _ClassVar[int]
    TOPICS_FIELD_NUMBER: _ClassVar[int]
    LISTS_FIELD_NUMBER: _ClassVar[int]
    LISTING_DATE_FIELD_NUMBER: _ClassVar[int]
    id: str
    source: str
    source_id: str
    source_version: SourceVersion
    kind: EntityKind
    primary_name: str
    programs: _containers.RepeatedScalarFieldContainer[str]
    topics: _containers.RepeatedScalarFieldContainer[str]
    lists: _containers.RepeatedScalarFieldContainer[str]
    listing_date: PartialDate
    def __init__(self, id: _Optional[str] = ..., source: _Optional[str] = ..., source_id: _Optional[str] = ..., source_version: _Optional[_Union[SourceVersion, _Mapping]] = ..., kind: _Optional[_Union[EntityKind, str]] = ..., primary_name: _Optional[str] = ..., programs: _Optional[_Iterable[str]] = ..., topics: _Optional[_Iterable[str]] = ..., lists: _Optional[_Iterable[str]] = ..., listing_date: _Optional[_Union[PartialDate, _Mapping]] = ...) -> None: ...

class EntityRecord(_message.Message):
    __slots__ = ("entity", "names", "identifiers", "birth_dates", "birth_places", "countries", "addresses", "relations", "ownership", "notes", "gender")
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    NAMES_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATES_FIELD_NUMBER: _ClassVar[int]
    BIRTH_PLACES_FIELD_NUMBER: _ClassVar[int]
    COUNTRIES_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    RELATIONS_FIELD_NUMBER: _ClassVar[int]
    OWNERSHIP_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    entity: RegistryEntity
    names: _containers.RepeatedCompositeFieldContainer[EntityName]
    identifiers: _containers.RepeatedCompositeFieldContainer[Identifier]
    birth_dates: _containers.RepeatedCompositeFieldContainer[BirthDate]
    birth_places: _containers.RepeatedScalarFieldContainer[str]
    countries: _containers.RepeatedCompositeFieldContainer[CountryLink]
    addresses: _containers.RepeatedCompositeFieldContainer[Address]
    relations: _containers.RepeatedCompositeFieldContainer[Relation]
    ownership: OwnershipAssessment
    notes: str
    gender: str
    def __init__(self, entity: _Optional[_Union[RegistryEntity, _Mapping]] = ..., names: _Optional[_Iterable[_Union[EntityName, _Mapping]]] = ..., identifiers: _Optional[_Iterable[_Union[Identifier, _Mapping]]] = ..., birth_dates: _Optional[_Iterable[_Union[BirthDate, _Mapping]]] = ..., birth_places: _Optional[_Iterable[str]] = ..., countries: _Optional[_Iterable[_Union[CountryLink, _Mapping]]] = ..., addresses: _Optional[_Iterable[_Union[Address, _Mapping]]] = ..., relations: _Optional[_Iterable[_Union[Relation, _Mapping]]] = ..., ownership: _Optional[_Union[OwnershipAssessment, _Mapping]] = ..., notes: _Optional[str] = ..., gender: _Optional[str] = ...) -> None: ...

class EntityName(_message.Message):
    __slots__ = ("value", "kind", "script", "lang", "quality")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    LANG_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FIELD_NUMBER: _ClassVar[int]
    value: str
    kind: NameKind
    script: str
    lang: str
    quality: str
    def __init__(self, value: _Optional[str] = ..., kind: _Optional[_Union[NameKind, str]] = ..., script: _Optional[str] = ..., lang: _Optional[str] = ..., quality: _Optional[str] = ...) -> None: ...

class Identifier(_message.Message):
    __slots__ = ("scheme", "value", "country")
    SCHEME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    scheme: str
    value: str
    country: str
    def __init__(self, scheme: _Optional[str] = ..., value: _Optional[str] = ..., country: _Optional[str] = ...) -> None: ...

class BirthDate(_message.Message):
    __slots__ = ("raw", "date")
    RAW_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    raw: str
    date: PartialDate
    def __init__(self, raw: _Optional[str] = ..., date: _Optional[_Union[PartialDate, _Mapping]] = ...) -> None: ...

class CountryLink(_message.Message):
    __slots__ = ("code", "role")
    CODE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    code: str
    role: str
    def __init__(self, code: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class Address(_message.Message):
    __slots__ = ("full", "street", "city", "postal_code", "region", "country")
    FULL_FIELD_NUMBER: _ClassVar[int]
    STREET_FIELD_NUMBER: _ClassVar[int]
    CITY_FIELD_NUMBER: _ClassVar[int]
    POSTAL_CODE_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    full: str
    street: str
    city: str
    postal_code: str
    region: str
    country: str
    def __init__(self, full: _Optional[str] = ..., street: _Optional[str] = ..., city: _Optional[str] = ..., postal_code: _Optional[str] = ..., region: _Optional[str] = ..., country: _Optional[str] = ...) -> None: ...

class Relation(_message.Message):
    __slots__ = ("subject_id", "object_id", "object_name", "kind", "share", "start_date", "end_date", "role", "source")
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    OBJECT_NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    subject_id: str
    object_id: str
    object_name: str
    kind: RelationKind
    share: Share
    start_date: PartialDate
    end_date: PartialDate
    role: str
    source: str
    def __init__(self, subject_id: _Optional[str] = ..., object_id: _Optional[str] = ..., object_name: _Optional[str] = ..., kind: _Optional[_Union[RelationKind, str]] = ..., share: _Optional[_Union[Share, _Mapping]] = ..., start_date: _Optional[_Union[PartialDate, _Mapping]] = ..., end_date: _Optional[_Union[PartialDate, _Mapping]] = ..., role: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class OwnershipAssessment(_message.Message):
    __slots__ = ("node_id", "chains", "verdicts", "as_of")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    CHAINS_FIELD_NUMBER: _ClassVar[int]
    VERDICTS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    chains: _containers.RepeatedCompositeFieldContainer[OwnershipChain]
    verdicts: _containers.RepeatedCompositeFieldContainer[JurisdictionVerdict]
    as_of: PartialDate
    def __init__(self, node_id: _Optional[str] = ..., chains: _Optional[_Iterable[_Union[OwnershipChain, _Mapping]]] = ..., verdicts: _Optional[_Iterable[_Union[JurisdictionVerdict, _Mapping]]] = ..., as_of: _Optional[_Union[PartialDate, _Mapping]] = ...) -> None: ...

class OwnershipChain(_message.Message):
    __slots__ = ("steps", "effective_share", "listed_entity_id")
    STEPS_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_SHARE_FIELD_NUMBER: _ClassVar[int]
    LISTED_ENTITY_ID_FIELD_NUMBER: _ClassVar[int]
    steps: _containers.RepeatedCompositeFieldContainer[OwnershipStep]
    effective_share: float
    listed_entity_id: str
    def __init__(self, steps: _Optional[_Iterable[_Union[OwnershipStep, _Mapping]]] = ..., effective_share: _Optional[float] = ..., listed_entity_id: _Optional[str] = ...) -> None: ...

class OwnershipStep(_message.Message):
    __slots__ = ("owner_id", "owner_name", "owned_id", "owned_name", "kind", "share", "source", "start_date", "end_date", "owner_lists")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_NAME_FIELD_NUMBER: _ClassVar[int]
    OWNED_ID_FIELD_NUMBER: _ClassVar[int]
    OWNED_NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    SHARE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    START_DATE_FIELD_NUMBER: _ClassVar[int]
    END_DATE_FIELD_NUMBER: _ClassVar[int]
    OWNER_LISTS_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    owner_name: str
    owned_id: str
    owned_name: str
    kind: RelationKind
    share: Share
    source: str
    start_date: PartialDate
    end_date: PartialDate
    owner_lists: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, owner_id: _Optional[str] = ..., owner_name: _Optional[str] = ..., owned_id: _Optional[str] = ..., owned_name: _Optional[str] = ..., kind: _Optional[_Union[RelationKind, str]] = ..., share: _Optional[_Union[Share, _Mapping]] = ..., source: _Optional[str] = ..., start_date: _Optional[_Union[PartialDate, _Mapping]] = ..., end_date: _Optional[_Union[PartialDate, _Mapping]] = ..., owner_lists: _Optional[_Iterable[str]] = ...) -> None: ...

class Share(_message.Message):
    __slots__ = ("exact", "range")
    EXACT_FIELD_NUMBER: _ClassVar[int]
    RANGE_FIELD_NUMBER: _ClassVar[int]
    exact: float
    range: ShareRange
    def __init__(self, exact: _Optional[float] = ..., range: _Optional[_Union[ShareRange, _Mapping]] = ...) -> None: ...

class ShareRange(_message.Message):
    __slots__ = ("min", "max", "min_inclusive", "max_inclusive")
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    MIN_INCLUSIVE_FIELD_NUMBER: _ClassVar[int]
    MAX_INCLUSIVE_FIELD_NUMBER: _ClassVar[int]
    min: float
    max: float
    min_inclusive: bool
    max_inclusive: bool
    def __init__(self, min: _Optional[float] = ..., max: _Optional[float] = ..., min_inclusive: _Optional[bool] = ..., max_inclusive: _Optional[bool] = ...) -> None: ...

class JurisdictionVerdict(_message.Message):
    __slots__ = ("jurisdiction", "verdict", "counted_share", "listed_owner_ids", "explanation", "chain_indexes")
    JURISDICTION_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    COUNTED_SHARE_FIELD_NUMBER: _ClassVar[int]
    LISTED_OWNER_IDS_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    CHAIN_INDEXES_FIELD_NUMBER: _ClassVar[int]
    jurisdiction: Jurisdiction
    verdict: OwnershipVerdict
    counted_share: float
    listed_owner_ids: _containers.RepeatedScalarFieldContainer[str]
    explanation: str
    chain_indexes: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, jurisdiction: _Optional[_Union[Jurisdiction, str]] = ..., verdict: _Optional[_Union[OwnershipVerdict, str]] = ..., counted_share: _Optional[float] = ..., listed_owner_ids: _Optional[_Iterable[str]] = ..., explanation: _Optional[str] = ..., chain_indexes: _Optional[_Iterable[int]] = ...) -> None: ...

class Provenance(_message.Message):
    __slots__ = ("snapshot_id", "snapshot_digest", "model_version", "threshold", "threshold_match_weight")
    SNAPSHOT_ID_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_MATCH_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    snapshot_id: int
    snapshot_digest: str
    model_version: str
    threshold: float
    threshold_match_weight: float
    def __init__(self, snapshot_id: _Optional[int] = ..., snapshot_digest: _Optional[str] = ..., model_version: _Optional[str] = ..., threshold: _Optional[float] = ..., threshold_match_weight: _Optional[float] = ...) -> None: ...

class SourceVersion(_message.Message):
    __slots__ = ("source", "version_id", "publisher_date", "digest")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLISHER_DATE_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    source: str
    version_id: int
    publisher_date: str
    digest: str
    def __init__(self, source: _Optional[str] = ..., version_id: _Optional[int] = ..., publisher_date: _Optional[str] = ..., digest: _Optional[str] = ...) -> None: ...

class SourceStatus(_message.Message):
    __slots__ = ("version", "format", "ingested_at", "entity_count", "name_count", "relation_count", "entities_by_kind", "files")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    INGESTED_AT_FIELD_NUMBER: _ClassVar[int]
    ENTITY_COUNT_FIELD_NUMBER: _ClassVar[int]
    NAME_COUNT_FIELD_NUMBER: _ClassVar[int]
    RELATION_COUNT_FIELD_NUMBER: _ClassVar[int]
    ENTITIES_BY_KIND_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    version: SourceVersion
    format: str
    ingested_at: _timestamp_pb2.Timestamp
    entity_count: int
    name_count: int
    relation_count: int
    entities_by_kind: _containers.RepeatedCompositeFieldContainer[KindCount]
    files: _containers.RepeatedCompositeFieldContainer[SourceFile]
    def __init__(self, version: _Optional[_Union[SourceVersion, _Mapping]] = ..., format: _Optional[str] = ..., ingested_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., entity_count: _Optional[int] = ..., name_count: _Optional[int] = ..., relation_count: _Optional[int] = ..., entities_by_kind: _Optional[_Iterable[_Union[KindCount, _Mapping]]] = ..., files: _Optional[_Iterable[_Union[SourceFile, _Mapping]]] = ...) -> None: ...

class KindCount(_message.Message):
    __slots__ = ("kind", "count")
    KIND_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    kind: EntityKind
    count: int
    def __init__(self, kind: _Optional[_Union[EntityKind, str]] = ..., count: _Optional[int] = ...) -> None: ...

class SourceFile(_message.Message):
    __slots__ = ("name", "sha256", "size_bytes")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    name: str
    sha256: str
    size_bytes: int
    def __init__(self, name: _Optional[str] = ..., sha256: _Optional[str] = ..., size_bytes: _Optional[int] = ...) -> None: ...

class PartialDate(_message.Message):
    __slots__ = ("year", "month", "day")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    year: int
    month: int
    day: int
    def __init__(self, year: _Optional[int] = ..., month: _Optional[int] = ..., day: _Optional[int] = ...) -> None: ...

class Error(_message.Message):
    __slots__ = ("code", "message", "field_violations")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    field_violations: _containers.RepeatedCompositeFieldContainer[FieldViolation]
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., field_violations: _Optional[_Iterable[_Union[FieldViolation, _Mapping]]] = ...) -> None: ...

class FieldViolation(_message.Message):
    __slots__ = ("field", "description")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    field: str
    description: str
    def __init__(self, field: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...
