"""Bearer-token authentication: who is calling, and may they call this method.

Tokens come from a file (one `caller:token[:Method,Method]` per line, `#` comments) or from the environment
(`RESOLVER_TOKENS`, the same entries separated by commas). A caller without a method list may call every method.
Presented tokens are compared in constant time against every known token, so timing tells nothing about which
prefix was right. Health checks and reflection need no token: load balancers and grpcurl call them.
"""

from __future__ import annotations

import contextvars
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OPEN_SERVICES = ("/grpc.health.v1.Health/", "/grpc.reflection.v1alpha.ServerReflection/", "/grpc.reflection.v1.")
ANONYMOUS = "anonymous"

# The caller of the request being handled (set by the interceptor, read by handlers and the audit log).
CALLER: contextvars.ContextVar[str] = contextvars.ContextVar("caller", default=ANONYMOUS)


class TokenError(ValueError):
    pass


@dataclass(frozen=True)
class Grant:
    caller: str
    token: bytes
    methods: frozenset[str] | None  # short method names ("ResolveEntity"); None = all


def parse_grants(lines: Iterable[str], origin: str) -> list[Grant]:
    grants: list[Grant] = []
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        if len(parts) not in (2, 3) or not parts[0].strip() or not parts[1].strip():
            raise TokenError(f"{origin}, entry {number}: expected caller:token or caller:token:Method,Method")
        caller, token = parts[0].strip(), parts[1].strip()
        if len(token) < 16:
            raise TokenError(f"{origin}, entry {number}: the token of {caller!r} is shorter than 16 characters")
        methods = frozenset(m.strip() for m in parts[2].split(",") if m.strip()) if len(parts) == 3 else None
        grants.append(Grant(caller, token.encode(), methods))
    return grants


def load_grants(path: Path | None, env_value: str | None) -> list[Grant]:
    grants: list[Grant] = []
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TokenError(f"cannot read the tokens file {path}: {exc.strerror}") from None
        grants += parse_grants(text.splitlines(), str(path))
    if env_value:
        grants += parse_grants(env_value.split(","), "RESOLVER_TOKENS")
    return grants


class Authenticator:
    def __init__(self, grants: list[Grant]) -> None:
        self.grants = grants

    def identify(self, token: str) -> Grant | None:
        presented = token.encode()
        found = None
        for grant in self.grants:  # no early exit: every comparison costs the same
            if hmac.compare_digest(grant.token, presented):
                found = grant
        return found


def bearer(metadata: Iterable[Any] | None) -> str | None:
    """The token of an `authorization: Bearer TOKEN` header; None when there is none (or another scheme)."""
    for key, value in metadata or ():
        if key == "authorization" and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


def is_open(method: str) -> bool:
    """Health checks and reflection need no token."""
    return method.startswith(OPEN_SERVICES)


def check(authenticator: Authenticator | None, method: str, metadata: Iterable[Any] | None) -> tuple[str, str | None]:
    """(caller, None) when the call may go on, or (caller, why) with why starting with UNAUTHENTICATED or
    PERMISSION_DENIED. Without an authenticator (loopback only, see server.py) every caller is anonymous."""
    if authenticator is None or is_open(method):
        return ANONYMOUS, None
    token = bearer(metadata)
    grant = authenticator.identify(token) if token else None
    if grant is None:
        return ANONYMOUS, "UNAUTHENTICATED: " + ("missing bearer token" if token is None else "unknown bearer token")
    short = method.rsplit("/", 1)[-1]
    if grant.methods is not None and short not in grant.methods:
        return grant.caller, f"PERMISSION_DENIED: caller {grant.caller!r} may not call {short}"
    return grant.caller, None
