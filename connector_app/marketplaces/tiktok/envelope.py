"""The ``{code, message, request_id, data}`` envelope: data on success, a typed error otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from ..errors import (
    AuthorizationLost,
    BadSignature,
    MalformedResponse,
    MarketplaceError,
    NotFound,
    RateLimited,
    RequestRefused,
    ServerError,
    TokenExpired,
)
from ..http import load_json, parse_retry_after

MARKETPLACE = "TikTok Shop"

TOKEN_INVALID = 105001  # unknown/revoked token: renewing it either works or reports the lost link
TOKEN_EXPIRED = 105002
SCOPE_NOT_GRANTED = 105005
BAD_SIGNATURE = 106001
TOKEN_SHOP_MISMATCH = 101000
RATE_LIMITED = 36009002
INTERNAL_ERROR = 36009003
REQUEST_INVALID = 36009004
LOCK_FAILED = 25001028
WRONG_DECISION = frozenset({25020003, 25020004})

_CODE_ERRORS: dict[int, type[MarketplaceError]] = {
    TOKEN_EXPIRED: TokenExpired,
    TOKEN_INVALID: TokenExpired,
    BAD_SIGNATURE: BadSignature,
    SCOPE_NOT_GRANTED: AuthorizationLost,
    TOKEN_SHOP_MISMATCH: AuthorizationLost,
    RATE_LIMITED: RateLimited,
    INTERNAL_ERROR: ServerError,
    LOCK_FAILED: ServerError,  # the return is locked by another operation: retry
    REQUEST_INVALID: RequestRefused,
    **dict.fromkeys(WRONG_DECISION, RequestRefused),
}
_NOT_FOUND_WORDS = ("not found", "not exist", "does not exist")


@dataclass(frozen=True)
class Envelope:
    data: dict[str, Any]
    request_id: str | None
    message: str


def _status_error(status: int) -> type[MarketplaceError] | None:
    if status == 429:
        return RateLimited
    if status >= 500:
        return ServerError
    if status == 404:
        return NotFound
    return None


def error_for(
    code: int | None, message: str, http_status: int, request_id: str | None, retry_after: float | None
) -> MarketplaceError:
    cls = _CODE_ERRORS.get(code) if code is not None else None
    if cls is None:
        cls = _status_error(http_status)
    if cls is None and any(word in message.lower() for word in _NOT_FOUND_WORDS):
        cls = NotFound
    cls = cls or MarketplaceError
    return cls(
        message or f"HTTP {http_status}",
        code=code,
        http_status=http_status,
        request_id=request_id,
        retry_after=retry_after if cls is RateLimited or cls is ServerError else None,
        marketplace=MARKETPLACE,
    )


def unwrap(response: requests.Response) -> Envelope:
    """Return the envelope of a successful call, or raise the typed error it describes."""
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    try:
        payload = load_json(response, MARKETPLACE)
    except MalformedResponse:
        status_cls = _status_error(status)
        if status_cls is not None:
            raise error_for(None, f"HTTP {status}", status, None, retry_after) from None
        raise
    if not isinstance(payload, dict) or "code" not in payload:
        if status >= 400:
            raise error_for(None, f"HTTP {status}", status, None, retry_after)
        raise MalformedResponse("the answer has no result code", http_status=status, marketplace=MARKETPLACE)
    request_id = payload.get("request_id")
    message = str(payload.get("message") or "")
    try:
        code = int(payload["code"])
    except (TypeError, ValueError):
        raise MalformedResponse(
            f"unreadable result code {payload['code']!r}", http_status=status, marketplace=MARKETPLACE
        ) from None
    if code != 0 or status >= 400:
        raise error_for(code or None, message, status, request_id, retry_after)
    data = payload.get("data")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise MalformedResponse(
            "the answer's data is not an object",
            http_status=status,
            request_id=request_id,
            marketplace=MARKETPLACE,
        )
    return Envelope(data=data, request_id=request_id, message=message)
