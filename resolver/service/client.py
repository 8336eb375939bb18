"""A small client for the service (`resolver resolve`), and the plain-data form of its answers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.json_format import MessageToDict
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from resolver.v1 import resolver_pb2 as pb
from resolver.v1 import resolver_pb2_grpc as pb_grpc

KIND_VALUES = {
    "person": pb.ENTITY_KIND_PERSON,
    "organization": pb.ENTITY_KIND_ORGANIZATION,
    "vessel": pb.ENTITY_KIND_VESSEL,
    "aircraft": pb.ENTITY_KIND_AIRCRAFT,
}


class CallError(Exception):
    """A failed call, with the server's code, message and field violations."""

    def __init__(self, code: str, message: str, violations: list[tuple[str, str]]) -> None:
        details = "".join(f"\n  {f}: {d}" for f, d in violations)
        super().__init__(f"{code}: {message}{details}")
        self.code = code
        self.violations = violations


@dataclass(frozen=True)
class Target:
    address: str
    token: str | None = None
    ca_file: Path | None = None  # TLS: trust this CA (server certificate)
    cert_file: Path | None = None  # mutual TLS: the client's certificate ...
    key_file: Path | None = None  # ... and its key


def channel(target: Target) -> grpc.Channel:
    if target.ca_file is None:
        return grpc.insecure_channel(target.address)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=target.ca_file.read_bytes(),
        private_key=target.key_file.read_bytes() if target.key_file else None,
        certificate_chain=target.cert_file.read_bytes() if target.cert_file else None,
    )
    return grpc.secure_channel(target.address, credentials)


def metadata(target: Target) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {target.token}")] if target.token else []


def call_error(exc: grpc.RpcError) -> CallError:
    violations: list[tuple[str, str]] = []
    status = rpc_status.from_call(exc)
    if status is not None:
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                violations += [(v.field, v.description) for v in bad.field_violations]
    return CallError(exc.code().name, exc.details() or "", violations)


def resolve(target: Target, request: pb.ResolveEntityRequest, timeout_s: float = 10.0) -> pb.ResolveEntityResponse:
    with channel(target) as ch:
        stub = pb_grpc.ResolverServiceStub(ch)  # type: ignore[no-untyped-call]
        try:
            response: pb.ResolveEntityResponse = stub.ResolveEntity(
                request, timeout=timeout_s, metadata=metadata(target)
            )
        except grpc.RpcError as exc:
            raise call_error(exc) from None
    return response


def as_dict(message: Any) -> dict[str, Any]:
    """A message as JSON-able data (proto field names, enums by name, defaults included)."""
    result: dict[str, Any] = MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )
    return result
