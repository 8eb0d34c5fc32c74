"""Settings of the sandbox marketplace, read from the environment with demo defaults."""

from __future__ import annotations

import os
from typing import Any

DEFAULTS: dict[str, Any] = {
    "SANDBOX_DB": "instance/sandbox.sqlite",
    "SANDBOX_PORT": 5001,
    "SANDBOX_SEED": 1,
    "SANDBOX_RETURNS": 300,
    "SANDBOX_ORDERS_PER_SHOP": 40,  # demo orders of each shop, beside the orders of its returns
    "SANDBOX_RESEED": False,
    # Two TikTok apps, as in real life: one from the global Partner Center (every market but the US)
    # and one from the US Partner Center. Each has its own key, secret, service id and redirect URL.
    "SANDBOX_APP_KEY": "sandbox_app_key",
    "SANDBOX_APP_SECRET": "sandbox_app_secret",
    "SANDBOX_SERVICE_ID": "sandbox_service_id",
    "SANDBOX_US_APP_KEY": "sandbox_us_app_key",
    "SANDBOX_US_APP_SECRET": "sandbox_us_app_secret",
    "SANDBOX_US_SERVICE_ID": "sandbox_us_service_id",
    "SANDBOX_ETSY_KEYSTRING": "sandboxkeystring",
    "SANDBOX_ETSY_SHARED_SECRET": "sandboxsharedsecret",
    # Space separated list of registered Etsy redirect URIs; empty accepts any http(s) URI.
    "SANDBOX_ETSY_REDIRECT_URIS": "",
    # Where the connector runs: the redirect and webhook URLs below follow PORT unless set themselves.
    "SANDBOX_CONNECTOR_URL": "",
    "SANDBOX_TIKTOK_REDIRECT_URL": "",
    "SANDBOX_TIKTOK_US_REDIRECT_URL": "",
    "SANDBOX_WEBHOOK_URL": None,  # None: {connector}/webhooks/tiktok; "" turns webhooks off
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
    if default is None:
        return raw
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
    connector = (
        settings["SANDBOX_CONNECTOR_URL"] or f"http://127.0.0.1:{os.environ.get('PORT') or 5000}"
    ).rstrip("/")
    settings["SANDBOX_CONNECTOR_URL"] = connector
    settings["SANDBOX_TIKTOK_REDIRECT_URL"] = (
        settings["SANDBOX_TIKTOK_REDIRECT_URL"] or f"{connector}/connect/tiktok/callback"
    )
    settings["SANDBOX_TIKTOK_US_REDIRECT_URL"] = (
        settings["SANDBOX_TIKTOK_US_REDIRECT_URL"] or f"{connector}/connect/tiktok/us/callback"
    )
    if settings["SANDBOX_WEBHOOK_URL"] is None:
        settings["SANDBOX_WEBHOOK_URL"] = f"{connector}/webhooks/tiktok"
    return settings
