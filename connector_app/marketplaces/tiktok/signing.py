"""TikTok Shop request and webhook signatures (HMAC-SHA256, lowercase hex)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

EXCLUDED_PARAMS = frozenset({"sign", "access_token"})


def sign(app_secret: str, path: str, params: Mapping[str, str], body: bytes | None = None) -> str:
    """The ``sign`` query parameter for a call to ``path`` with ``params`` and the exact ``body`` bytes.

    Keys (minus ``sign`` and ``access_token``) are sorted by byte order and concatenated as key+value
    after the path; the raw body follows; the whole is wrapped in the secret and HMAC'd with it.
    """
    pairs = sorted(
        ((k, str(v)) for k, v in params.items() if k not in EXCLUDED_PARAMS),
        key=lambda kv: kv[0].encode("utf-8"),
    )
    payload = (path + "".join(k + v for k, v in pairs)).encode("utf-8")
    if body:
        payload += body
    secret = app_secret.encode("utf-8")
    return hmac.new(secret, secret + payload + secret, hashlib.sha256).hexdigest()


def webhook_signature(app_key: str, app_secret: str, body: bytes) -> str:
    """The ``Authorization`` header TikTok sends with a webhook: HMAC(app_secret, app_key + body)."""
    return hmac.new(app_secret.encode("utf-8"), app_key.encode("utf-8") + body, hashlib.sha256).hexdigest()


def verify_webhook(app_key: str, app_secret: str, body: bytes, authorization_header: str) -> bool:
    """Constant-time check of a webhook's ``Authorization`` header against the raw body."""
    if not authorization_header:
        return False
    expected = webhook_signature(app_key, app_secret, body)
    return hmac.compare_digest(expected.encode("ascii"), authorization_header.strip().encode("utf-8"))
