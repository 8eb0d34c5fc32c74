"""Marketplace-supplied URLs (Etsy listing links, TikTok record images, product images) reach an
``href`` or ``src`` only when they are ``https:`` — or, in development, on the configured sandbox's
own origin. Anything else (``javascript:``, ``data:``, plain http elsewhere) renders as no link.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, current_app

ORIGIN_SETTINGS = ("TIKTOK_API_URL", "ETSY_API_URL", "ETSY_AUTHORIZE_URL", "TIKTOK_AUTH_API_URL")


_CONTROL = re.compile(r"[\x00-\x1f]")


def _sandbox_origins() -> frozenset[str]:
    origins = set()
    for name in ORIGIN_SETTINGS:
        parts = urlsplit(current_app.config.get(name) or "")
        if parts.scheme == "http" and parts.netloc:
            origins.add(f"http://{parts.netloc}")
    return frozenset(origins)


@lru_cache(maxsize=4096)
def _checked(text: str, sandbox_origins: frozenset[str]) -> str | None:
    """The verdict on one URL (pages show the same images and listings again and again)."""
    if _CONTROL.search(text):
        return None
    parts = urlsplit(text)
    if parts.scheme == "https" and parts.netloc:
        return text
    if parts.scheme == "http" and parts.netloc and f"http://{parts.netloc}" in sandbox_origins:
        return text
    return None


def _origins() -> frozenset[str]:
    origins = current_app.extensions.get("safe_url_origins")
    if origins is None:
        origins = current_app.extensions["safe_url_origins"] = _sandbox_origins()
    return origins


def safe_url(value: object, origins: frozenset[str] | None = None) -> str | None:
    """``value`` when it is a URL the page may link to or load, else None."""
    if not isinstance(value, str) or not value or len(value) > 2048:
        return None
    return _checked(value.strip(), _origins() if origins is None else origins)


def checker():
    """``safe_url`` bound to this app's sandbox origins (for a loop over many URLs)."""
    origins = _origins()
    return lambda value: safe_url(value, origins)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["safe_url"] = safe_url
