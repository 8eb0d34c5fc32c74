"""The sandbox's clock: wall time plus an offset that only moves forward (``POST /_sandbox/clock``).

Token lifetimes, ``update_time`` stamps, deadlines and webhook timestamps read it, so a test moves
the marketplace's time instead of sleeping past it. Request pacing (rate limits, webhook retries)
stays on wall time: it is about real waiting.
"""

from __future__ import annotations

import threading
import time

from flask import current_app, has_app_context


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        return self._offset

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        if not 0 <= seconds <= 10 * 365 * 86400:
            raise ValueError("advance by 0 s up to ten years")
        with self._lock:
            self._offset += seconds
        return self.now()


def now() -> float:
    """The current sandbox's time (wall time outside a sandbox app)."""
    if has_app_context():
        sandbox = current_app.extensions.get("sandbox")
        if sandbox is not None:
            return sandbox.clock.now()
    return time.time()
