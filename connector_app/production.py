"""Production refuses to start half-configured.

With ``APP_ENV=production`` every marketplace credential must be a real one (not the sandbox's
published defaults), every marketplace URL must be https, and ``PUBLIC_BASE_URL`` must be set: the
OAuth callbacks are built from it (never from the request's Host header), and ``TRUSTED_HOSTS`` is
derived from it so a request for any other host is refused. Development (``make run``) accepts
anything, the sandbox included.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

SANDBOX_CREDENTIALS = {
    "TIKTOK_APP_KEY": "sandbox_app_key",
    "TIKTOK_APP_SECRET": "sandbox_app_secret",
    "TIKTOK_SERVICE_ID": "sandbox_service_id",
    "ETSY_KEYSTRING": "sandboxkeystring",
    "ETSY_SHARED_SECRET": "sandboxsharedsecret",
}
MARKETPLACE_URLS = (
    "TIKTOK_AUTHORIZE_URL_US",
    "TIKTOK_AUTHORIZE_URL_ROW",
    "TIKTOK_AUTH_API_URL",
    "TIKTOK_API_URL",
    "ETSY_AUTHORIZE_URL",
    "ETSY_TOKEN_URL",
    "ETSY_API_URL",
)


class ConfigurationError(RuntimeError):
    """The production configuration is incomplete; the message lists every problem."""


def is_production(config: Mapping[str, Any]) -> bool:
    return (config.get("APP_ENV") or "development").lower() == "production"


def problems(config: Mapping[str, Any]) -> list[str]:
    """Everything that keeps ``config`` from being a safe production configuration."""
    found = []
    base = urlsplit(config.get("PUBLIC_BASE_URL") or "")
    if base.scheme != "https" or not base.hostname:
        found.append(
            "PUBLIC_BASE_URL must be the https address sellers use, e.g. https://connector.example.com"
        )
    for name, sandbox_value in SANDBOX_CREDENTIALS.items():
        if not config.get(name) or config.get(name) == sandbox_value:
            found.append(f"{name} must be set to the real marketplace credential")
    for name in MARKETPLACE_URLS:
        url = urlsplit(config.get(name) or "")
        if url.scheme != "https" or not url.hostname:
            found.append(f"{name} must be an https:// URL")
    return found


def apply(config: dict) -> None:
    """Check a production configuration (raise ``ConfigurationError``) and derive ``TRUSTED_HOSTS``."""
    if not is_production(config):
        return
    found = problems(config)
    if found:
        raise ConfigurationError("APP_ENV=production, but:\n  - " + "\n  - ".join(found))
    if not config.get("TRUSTED_HOSTS"):
        config["TRUSTED_HOSTS"] = [urlsplit(config["PUBLIC_BASE_URL"]).hostname]
    config["SESSION_COOKIE_SECURE"] = True
    config["REMEMBER_COOKIE_SECURE"] = True
    config["PREFERRED_URL_SCHEME"] = "https"
