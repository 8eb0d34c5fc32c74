"""Who is an operator: a request with the operator token, or one made directly from loopback."""

from __future__ import annotations

import hmac
import ipaddress

from flask import current_app, request

# Set by a reverse proxy: a request carrying them was relayed, so its loopback address is the proxy's.
_FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _presented_token() -> str | None:
    authorization = request.headers.get("Authorization", "")
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return request.headers.get("X-Operator-Token")


def _from_loopback() -> bool:
    if any(name in request.headers for name in _FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def is_operator() -> bool:
    """True for ``Authorization: Bearer <OPERATOR_TOKEN>`` / ``X-Operator-Token``, or a direct loopback
    request (unless ``OPERATOR_ALLOW_LOOPBACK`` is off)."""
    expected = current_app.config.get("OPERATOR_TOKEN")
    presented = _presented_token()
    if expected and presented and hmac.compare_digest(presented.encode(), expected.encode()):
        return True
    return bool(current_app.config.get("OPERATOR_ALLOW_LOOPBACK", True)) and _from_loopback()
