"""What the clients report to an observer (metrics, logs): one event per HTTP attempt and per wait.

The marketplace library stays free of the app and of any metrics library: a client takes
``observer=callable`` and calls it with these plain records; the app decides what to do with them.
An observer that raises is logged and ignored, never breaks a call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_VERSION = re.compile(r"^(20\d{4}|v\d+)$")  # TikTok's 202309, Etsy's v3: part of the API's name


@dataclass(frozen=True)
class CallObserved:
    """One HTTP attempt: ``status`` is None when no answer came; ``error`` is the marketplace's error
    code (or the error's class name), None on success."""

    marketplace: str
    api: str
    status: int | None
    error: str | None
    seconds: float


@dataclass(frozen=True)
class RateLimitWaited:
    """A client slept ``seconds`` before a call: ``reason`` is ``limiter`` (our own spacing, or Etsy's
    per-second budget) or ``retry-after`` (the marketplace answered 429)."""

    marketplace: str
    reason: str
    seconds: float


Observer = Callable[[CallObserved | RateLimitWaited], None]


def api_label(describe: str) -> str:
    """One label per API, not per object: path segments with digits become ``{id}``, so
    ``GET /return_refund/202309/returns/5781/records`` is reported as
    ``GET /return_refund/202309/returns/{id}/records``."""
    method, _, path = describe.partition(" ")
    if not path.startswith("/"):
        return describe
    segments = [
        "{id}" if any(ch.isdigit() for ch in segment) and not _VERSION.match(segment) else segment
        for segment in path.split("?", 1)[0].split("/")
    ]
    return f"{method} {'/'.join(segments)}"
