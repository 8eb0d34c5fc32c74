"""URLs for alerts, built outside a request (jobs): paths in the app, absolute links for email, and the
signed one-click unsubscribe token."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TypeVar

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, URLSafeSerializer

T = TypeVar("T")
UNSUBSCRIBE_SALT = "notifications-unsubscribe"


def chunked(items: Iterable[T], size: int = 1000) -> Iterator[list[T]]:
    """``items`` in lists of at most ``size`` (bounded ``IN (...)`` lists)."""
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def path_for(endpoint: str, **values) -> str:
    """The path of ``endpoint`` (no host), with or without a request."""
    if has_request_context():
        return url_for(endpoint, **values)
    adapter = current_app.extensions.get("notifications_url_adapter")
    if adapter is None:  # binding the URL map is the costly part: once per app
        adapter = current_app.extensions["notifications_url_adapter"] = current_app.url_map.bind("localhost")
    return adapter.build(endpoint, values)


def base_url() -> str:
    """Where sellers reach the app: ``PUBLIC_BASE_URL``, or the local web port in development."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/")
    return f"http://127.0.0.1:{os.environ.get('PORT') or 5000}"


def absolute(path: str) -> str:
    return base_url() + path


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(seller_id: int, kind: str) -> str:
    """A link that stops one kind of email for one seller; it works without logging in and never
    expires (it can only switch email off)."""
    return _serializer().dumps({"s": seller_id, "k": kind})


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = _serializer().loads(token)
        return int(data["s"]), str(data["k"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def unsubscribe_url(seller_id: int, kind: str) -> str:
    return absolute(path_for("notifications.unsubscribe", token=unsubscribe_token(seller_id, kind)))
