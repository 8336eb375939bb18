"""Errors as google.rpc.Status: a code, a message, and details a client can act on (field violations)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from resolver.v1 import resolver_pb2 as pb


@dataclass(frozen=True)
class Violation:
    field: str
    description: str


class InvalidRequest(Exception):
    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))
        self.violations = violations


def bad_request_status(violations: list[Violation]) -> status_pb2.Status:
    detail = any_pb2.Any()
    detail.Pack(
        error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in violations
            ]
        )
    )
    message = "invalid request: " + "; ".join(f"{v.field} {v.description}" for v in violations)
    return status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=message, details=[detail])


def abort_invalid(context: grpc.ServicerContext, error: InvalidRequest) -> NoReturn:
    context.abort_with_status(rpc_status.to_status(bad_request_status(error.violations)))
    raise AssertionError("abort_with_status returns by raising")  # pragma: no cover


def batch_error(error: InvalidRequest) -> pb.Error:
    """The same error as a batch response carries it (the stream goes on)."""
    status = bad_request_status(error.violations)
    return pb.Error(
        code=status.code,
        message=status.message,
        field_violations=[pb.FieldViolation(field=v.field, description=v.description) for v in error.violations],
    )


def abort(context: grpc.ServicerContext, code: grpc.StatusCode, message: str) -> NoReturn:
    """Any other error, still as a google.rpc.Status (no details)."""
    context.abort_with_status(rpc_status.to_status(status_pb2.Status(code=code.value[0], message=message)))
    raise AssertionError("abort_with_status returns by raising")  # pragma: no cover
