"""The running sandbox: storage, settings and the in-memory state shared by every request thread."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from flask import current_app

from .clock import Clock
from .faults import Faults
from .seed import seed_database
from .store import Store


class Sandbox:
    """Everything one sandbox app instance owns. Reached from views through :func:`sandbox`."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self.store = Store(settings["SANDBOX_DB"])
        self.faults = Faults()
        self.clock = Clock()  # the marketplace's time: tests move it forward instead of sleeping
        self.calls: deque[dict[str, Any]] = deque(maxlen=200)
        self.webhook_url: str = settings["SANDBOX_WEBHOOK_URL"]
        self._sku_cache: dict[str, dict[str, Any]] | None = None
        self._lock = threading.Lock()
        self._rate: dict[tuple[str, str], list[float]] = {}
        self.etsy_day: deque[float] = deque()
        self.dispatcher: Any = None  # set by webhooks.init_app
        self.ticker: Any = None

    # data -----------------------------------------------------------------------------------
    def ensure_seeded(self, force: bool = False) -> None:
        if force or not self.store.is_initialized():
            self.reset(self.settings["SANDBOX_SEED"], self.settings["SANDBOX_RETURNS"])

    def reset(self, seed: int, returns: int, anchor: int | None = None) -> None:
        seed_database(
            self.store, int(seed), int(returns), anchor, int(self.settings.get("SANDBOX_ORDERS_PER_SHOP", 40))
        )
        with self._lock:
            self._sku_cache = None
            self._rate.clear()
            self.etsy_day.clear()
        self.calls.clear()

    def sku(self, seller_sku: str) -> dict[str, Any]:
        """Catalog facts of a seller SKU (product name, TikTok sku_id, Etsy listing)."""
        with self._lock:
            if self._sku_cache is None:
                rows = self.store.conn().execute("SELECT * FROM sku").fetchall()
                self._sku_cache = {row["seller_sku"]: dict(row) for row in rows}
            return self._sku_cache.get(seller_sku, {})

    # observability ---------------------------------------------------------------------------
    def log_call(self, entry: dict[str, Any]) -> None:
        self.calls.appendleft(entry)

    def rate_limited(self, bucket: tuple[str, str], per_second: int) -> bool:
        """Sliding one-second window; True when this call is over the limit."""
        now = time.monotonic()
        with self._lock:
            hits = [t for t in self._rate.get(bucket, []) if now - t < 1.0]
            over = len(hits) >= per_second
            if not over:
                hits.append(now)
            self._rate[bucket] = hits
            return over

    def remaining_this_second(self, bucket: tuple[str, str], per_second: int) -> int:
        now = time.monotonic()
        with self._lock:
            return max(0, per_second - len([t for t in self._rate.get(bucket, []) if now - t < 1.0]))


def sandbox() -> Sandbox:
    """The :class:`Sandbox` of the current Flask app."""
    return current_app.extensions["sandbox"]
