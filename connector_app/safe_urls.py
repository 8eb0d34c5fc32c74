"""Marketplace-supplied URLs (Etsy listing links, TikTok record images, product images) reach an
``href`` or ``src`` only when they are ``https:`` — or, in development, on the configured sandbox's
own origin. Anything else (``javascript:``, ``data:``, plain http elsewhere) renders as no link.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app

ORIGIN_SETTINGS = ("TIKTOK_API_URL", "ETSY_API_URL", "ETSY_AUTHORIZE_URL", "TIKTOK_AUTH_API_URL")


def _sandbox_origins() -> set[str]:
    origins = set()
    for name in ORIGIN_SETTINGS:
        parts = urlsplit(current_app.config.get(name) or "")
        if parts.scheme == "http" and parts.netloc:
            origins.add(f"http://{parts.netloc}")
    return origins


def safe_url(value: object) -> str | None:
    """``value`` when it is a URL the page may link to or load, else None."""
    if not isinstance(value, str) or not value or len(value) > 2048:
        return None
    text = value.strip()
    if any(ord(ch) < 32 for ch in text):
        return None
    parts = urlsplit(text)
    if parts.scheme == "https" and parts.netloc:
        return text
    if parts.scheme == "http" and parts.netloc and f"http://{parts.netloc}" in _sandbox_origins():
        return text
    return None


def init_app(app: Flask) -> None:
    app.jinja_env.filters["safe_url"] = safe_url
