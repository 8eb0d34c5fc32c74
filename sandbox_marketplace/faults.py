"""Fault injection for the marketplace API routes (never for /_sandbox)."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

FAULT_KEYS = {
    "latency_ms": 0,
    "rate_429": 0.0,
    "retry_after": 1,
    "rate_500": 0.0,
    "rate_503": 0.0,
    "rate_timeout": 0.0,
    "timeout_seconds": 30.0,
    "rate_malformed": 0.0,
    "token_ttl_seconds": None,
    "expire_token_after_calls": None,
    "seed": None,
}
OUTCOMES = ("429", "500", "503", "timeout", "malformed")


class Faults:
    """Current fault settings and a seeded random source to decide which call fails."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.config: dict[str, Any] = dict(FAULT_KEYS)
        self._rng = random.Random()

    def set(self, values: dict[str, Any]) -> dict[str, Any]:
        unknown = set(values) - set(FAULT_KEYS) - {"expire_tokens_now"}
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}")
        with self._lock:
            for key, value in values.items():
                if key != "expire_tokens_now":
                    self.config[key] = value
            if "seed" in values:
                self._rng = random.Random(values["seed"])
            return dict(self.config)

    def clear(self) -> None:
        with self._lock:
            self.config = dict(FAULT_KEYS)
            self._rng = random.Random()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self.config)

    def active(self) -> dict[str, Any]:
        """The settings that change anything now: non-default values, and a fault's companion setting
        (``retry_after``, ``timeout_seconds``) only while that fault is on."""
        config = self.snapshot()
        companions = {"retry_after": "rate_429", "timeout_seconds": "rate_timeout"}
        return {
            k: v
            for k, v in config.items()
            if v != FAULT_KEYS[k] and v not in (None, 0, 0.0) or (k in companions and config[companions[k]])
        }

    def draw(self) -> str | None:
        """Sleep the configured latency, then pick this call's fault (None = answer normally)."""
        with self._lock:
            config = dict(self.config)
            roll = self._rng.random()
        if config["latency_ms"]:
            time.sleep(float(config["latency_ms"]) / 1000)
        threshold = 0.0
        for outcome in OUTCOMES:
            threshold += float(config[f"rate_{outcome}"] or 0)
            if roll < threshold:
                return outcome
        return None
