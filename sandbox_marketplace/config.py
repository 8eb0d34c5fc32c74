"""Settings of the sandbox marketplace, read from the environment with demo defaults."""

from __future__ import annotations

import os
from typing import Any

DEFAULTS: dict[str, Any] = {
    "SANDBOX_DB": "instance/sandbox.sqlite",
    "SANDBOX_PORT": 5001,
    "SANDBOX_SEED": 1,
    "SANDBOX_RETURNS": 300,
    "SANDBOX_RESEED": False,
    "SANDBOX_APP_KEY": "sandbox_app_key",
    "SANDBOX_APP_SECRET": "sandbox_app_secret",
    "SANDBOX_SERVICE_ID": "sandbox_service_id",
    "SANDBOX_ETSY_KEYSTRING": "sandboxkeystring",
    "SANDBOX_ETSY_SHARED_SECRET": "sandboxsharedsecret",
    # Space separated list of registered Etsy redirect URIs; empty accepts any http(s) URI.
    "SANDBOX_ETSY_REDIRECT_URIS": "",
    "SANDBOX_TIKTOK_REDIRECT_URL": "http://127.0.0.1:5000/connect/tiktok/callback",
    "SANDBOX_WEBHOOK_URL": "http://127.0.0.1:5000/webhooks/tiktok",
    # Multiplies TikTok's webhook retry schedule (+2 min, +30 min, +3 h, +12 h); 0.001 makes it seconds.
    "SANDBOX_WEBHOOK_RETRY_SCALE": 1.0,
    "SANDBOX_WEBHOOKS_ENABLED": True,
    "SANDBOX_TICK_SECONDS": 30.0,
    "SANDBOX_TICK_COUNT": 3,
    "SANDBOX_TIKTOK_ACCESS_TTL": 7 * 24 * 3600,
    "SANDBOX_TIKTOK_REFRESH_TTL": 365 * 24 * 3600,
    "SANDBOX_TIKTOK_QPS": 50,
    "SANDBOX_ETSY_ACCESS_TTL": 3600,
    "SANDBOX_ETSY_REFRESH_TTL": 90 * 24 * 3600,
    "SANDBOX_ETSY_QPS": 10,
    "SANDBOX_ETSY_QPD": 10000,
}


def _coerce(default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


def load_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then environment variables of the same name, then ``overrides``."""
    settings = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        if key in os.environ:
            settings[key] = _coerce(default, os.environ[key])
    settings.update(overrides or {})
    return settings
