"""Wrapping a gRPC method handler's behaviour: what the interceptors build on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc

Behavior = Callable[..., Any]


def wrap_handler(handler: Any, wrap: Callable[[Behavior], Behavior]) -> Any:
    """The same handler (same streaming shape, same serializers) with its behaviour passed through `wrap`."""
    if handler.request_streaming and handler.response_streaming:
        factory, behavior = grpc.stream_stream_rpc_method_handler, handler.stream_stream
    elif handler.request_streaming:
        factory, behavior = grpc.stream_unary_rpc_method_handler, handler.stream_unary
    elif handler.response_streaming:
        factory, behavior = grpc.unary_stream_rpc_method_handler, handler.unary_stream
    else:
        factory, behavior = grpc.unary_unary_rpc_method_handler, handler.unary_unary
    return factory(
        wrap(behavior),
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


def short_method(full: str) -> str:
    """ "/resolver.v1.ResolverService/ResolveEntity" → "ResolveEntity"."""
    return full.rsplit("/", 1)[-1]
