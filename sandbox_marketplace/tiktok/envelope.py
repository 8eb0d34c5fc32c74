"""The ``{code, message, request_id, data}`` envelope and the error codes the sandbox answers with."""

from __future__ import annotations

import secrets
import time
from typing import Any

from flask import Response, jsonify

OK = 0
# "Many different request problems (read message)": also an invalid, revoked or garbage access token
# (the message names x-tts-access-token), a missing sign, a bad app_key, a timestamp outside the window
# and an unexpected shop_cipher (reference §6).
INVALID_PARAMS = 36009004
TOKEN_INVALID = INVALID_PARAMS
BAD_TIMESTAMP = INVALID_PARAMS
RATE_LIMITED = 36009002
INTERNAL = 36009003
TOKEN_EXPIRED = 105002
BAD_SIGNATURE = 106001
MISSING_CIPHER = 106013
SHOP_MISMATCH = 101000
# Refusals of return and cancellation decisions (reference §6).
WITH_PLATFORM = 25011010  # transferred to the platform operator
STATUS_CANNOT_APPROVE = 25011012
CANNOT_APPROVE_RECEIPT = 25011013
ALREADY_CANCELLED = 25020009
ALREADY_APPROVED = 25020010  # already approved, cannot be rejected
REASON_OFFLINE = 25001020
ALREADY_HANDLED = 25020003  # cancellations only
WRONG_DECISION = 25020004
INVALID_TOKEN_MESSAGE = "x-tts-access-token is invalid"
# token endpoints (seen in public client code; not in the reference table)
AUTH_RT_EXPIRED = 36004001
AUTH_APP = 36004003
AUTH_CODE_INVALID = 36004004
AUTH_RECORD_MISSING = 36004005

HTTP_STATUS = {
    TOKEN_EXPIRED: 401,
    BAD_SIGNATURE: 401,
    SHOP_MISMATCH: 403,
    MISSING_CIPHER: 400,
    INVALID_PARAMS: 400,
    RATE_LIMITED: 429,
    INTERNAL: 500,
}


class TikTokError(Exception):
    """Raised by views; rendered as the TikTok error envelope."""

    def __init__(self, code: int, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status or HTTP_STATUS.get(code, 400)


def request_id() -> str:
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(9).upper()


def envelope(code: int, message: str, data: Any, status: int = 200) -> Response:
    response = jsonify({"code": code, "message": message, "request_id": request_id(), "data": data})
    response.status_code = status
    return response


def ok(data: Any) -> Response:
    return envelope(OK, "Success", data)


def error(exc: TikTokError) -> Response:
    return envelope(exc.code, exc.message, {}, exc.http_status)
