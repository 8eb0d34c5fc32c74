"""The ``{code, message, request_id, data}`` envelope: data on success, a typed error otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from .. import errors
from ..errors import (
    AuthorizationLost,
    BadSignature,
    DecisionRefused,
    MalformedResponse,
    MarketplaceError,
    NotFound,
    RateLimited,
    RequestRefused,
    ServerError,
    TokenExpired,
    TokenInvalid,
)
from ..http import load_json, parse_retry_after

MARKETPLACE = "TikTok Shop"

TOKEN_EXPIRED = 105002
SCOPE_NOT_GRANTED = 105005
BAD_SIGNATURE = 106001
TOKEN_SHOP_MISMATCH = 101000
RATE_LIMITED = 36009002
INTERNAL_ERROR = 36009003
# "Many different request problems (read the message)": an invalid, revoked or garbage access token
# (the message names x-tts-access-token), a missing sign, a bad app_key, a timestamp outside the window,
# an unexpected shop_cipher.
REQUEST_INVALID = 36009004
LOCK_FAILED = 25001028

# Refusals of a return or cancellation decision (Partner Center docs; reference §6).
DECISION_REFUSALS: dict[int, str] = {
    25011010: errors.WITH_PLATFORM,  # transferred to the platform operator
    25011012: errors.STATUS_MOVED_ON,  # the status cannot approve the application
    25011013: errors.CANNOT_APPROVE_RECEIPT,  # the receipt cannot be approved
    25020009: errors.ALREADY_CANCELLED,
    25020010: errors.ALREADY_APPROVED,  # already approved, cannot be rejected
    25020003: errors.ALREADY_HANDLED,  # cancellations: not waiting for the seller
    25020004: errors.WRONG_DECISION,
    25020011: errors.NOT_ALLOWED,
    25020012: errors.NOT_ALLOWED,
    25011025: errors.NOT_ALLOWED,
    25001003: errors.NOT_ALLOWED,
    25001020: errors.REASON_OFFLINE,
}

_CODE_ERRORS: dict[int, type[MarketplaceError]] = {
    TOKEN_EXPIRED: TokenExpired,
    BAD_SIGNATURE: BadSignature,
    SCOPE_NOT_GRANTED: AuthorizationLost,
    TOKEN_SHOP_MISMATCH: AuthorizationLost,
    RATE_LIMITED: RateLimited,
    INTERNAL_ERROR: ServerError,
    LOCK_FAILED: ServerError,  # the return is locked by another operation: retry
}
_TOKEN_WORDS = ("x-tts-access-token", "access token", "access_token")
_CREDENTIAL_WORDS = ("app_key", "app key", "sign ", "sign.", "signature", "sign parameter")
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


def _request_invalid(message: str) -> type[MarketplaceError]:
    """36009004 covers many problems: the message says which one."""
    lowered = message.lower()
    if any(word in lowered for word in _TOKEN_WORDS):
        return TokenInvalid
    if any(word in lowered for word in _CREDENTIAL_WORDS):
        return BadSignature
    return RequestRefused


def error_for(
    code: int | None, message: str, http_status: int, request_id: str | None, retry_after: float | None
) -> MarketplaceError:
    if code in DECISION_REFUSALS:
        return DecisionRefused(
            message or f"code {code}",
            reason=DECISION_REFUSALS[code],
            code=code,
            http_status=http_status,
            request_id=request_id,
            marketplace=MARKETPLACE,
        )
    cls = _CODE_ERRORS.get(code) if code is not None else None
    if code == REQUEST_INVALID:
        cls = _request_invalid(message)
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
