"""Marketplace data fetched by a background job and kept in Redis for web requests to read.

A web request never calls a marketplace. It ``read``s what a job stored; on a miss, or when the entry
is older than the caller's freshness, it calls ``refresh_soon``, which queues the job at most once per
key at a time (a Redis ``SET NX`` marker that the job clears when it is done, or that expires). The
job calls ``store`` (or ``store_error``, so the page stops waiting and says what went wrong).

These jobs write no database rows the request depends on and are asked for again by the next read,
so they are put on the queue directly rather than through the transactional outbox (a GET never
commits, so an outbox row written by a GET would never be queued). Keys carry the RQ queue name,
so two deployments (or test workers) sharing one Redis never see each other's entries.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app
from redis.exceptions import RedisError

from connector_app.extensions import rq

log = logging.getLogger(__name__)

REFRESH_MARKER_SECONDS = 120  # a refresh job that died is asked for again after this long


class CacheUnavailable(RuntimeError):
    """Redis cannot be reached: nothing stored can be read and no refresh can be queued."""


@dataclass(frozen=True)
class Entry:
    value: Any  # JSON-shaped; None when the fetch failed
    error: str | None  # the seller-facing reason the last fetch failed
    fetched_at: float  # unix seconds

    def older_than(self, seconds: float) -> bool:
        return time.time() - self.fetched_at > seconds


def key(*parts: object) -> str:
    return ":".join([current_app.config["RQ_QUEUE"], "fetched", *map(str, parts)])


def read(name: str) -> Entry | None:
    try:
        raw = rq.connection.get(name)
    except (RedisError, OSError) as exc:
        raise CacheUnavailable(str(exc)) from exc
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        return Entry(data.get("value"), data.get("error"), float(data["fetched_at"]))
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def read_or_refresh(name: str, fresh_seconds: float, func: str, *args: object) -> Entry | None:
    """What is stored under ``name`` (None while nothing is); queues ``func(*args)`` when it is missing
    or older than ``fresh_seconds`` (the stale entry is still served). Raises ``CacheUnavailable``."""
    entry = read(name)
    if entry is None or entry.older_than(fresh_seconds):
        refresh_soon(name, func, *args)
    return entry


def store(name: str, value: Any, *, ttl: int) -> None:
    _put(name, {"value": value, "error": None, "fetched_at": time.time()}, ttl)


def store_error(name: str, message: str, *, ttl: int) -> None:
    _put(name, {"value": None, "error": message, "fetched_at": time.time()}, ttl)


def _put(name: str, data: dict, ttl: int) -> None:
    try:
        pipe = rq.connection.pipeline()
        pipe.set(name, json.dumps(data), ex=ttl)
        pipe.delete(f"{name}:refreshing")
        pipe.execute()
    except (RedisError, OSError):
        log.warning("could not store %s", name, exc_info=True)


def forget(names: list[str]) -> None:
    """Drop entries that are out of date: the next read queues a fresh fetch."""
    if not names:
        return
    try:
        rq.connection.delete(*names)
    except (RedisError, OSError):
        log.warning("could not forget %d stored entries", len(names), exc_info=True)


def refresh_soon(name: str, func: str, *args: object, timeout: int = 120) -> bool:
    """Queue ``func(*args)`` (a dotted path) unless a refresh of ``name`` is already queued or running.

    Returns True when a refresh is on its way (queued now or before). Raises ``CacheUnavailable``.
    """
    marker = f"{name}:refreshing"
    try:
        if not rq.connection.set(marker, "1", nx=True, ex=REFRESH_MARKER_SECONDS):
            return True
        rq.queue.enqueue_call(func, args=args, timeout=timeout, description=f"refresh {name}")
    except (RedisError, OSError) as exc:
        with contextlib.suppress(RedisError, OSError):  # else it expires
            rq.connection.delete(marker)
        raise CacheUnavailable(str(exc)) from exc
    return True
