"""TikTok Shop request signatures (reference §2) and webhook signatures (§5)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

EXCLUDED = ("sign", "access_token")


def sign(app_secret: str, path: str, params: Mapping[str, str], body: bytes = b"") -> str:
    """Lowercase hex HMAC-SHA256 of ``secret + path + sorted(key+value) + body + secret``."""
    base = path + "".join(key + str(params[key]) for key in sorted(params) if key not in EXCLUDED)
    secret = app_secret.encode()
    return hmac.new(secret, secret + base.encode() + body + secret, hashlib.sha256).hexdigest()


def webhook_signature(app_key: str, app_secret: str, body: bytes) -> str:
    """The ``Authorization`` header of a webhook: HMAC-SHA256(app_secret, app_key + raw body)."""
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()
