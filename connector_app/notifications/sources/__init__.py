"""The alert sources: one small module per thing a seller can be alerted about.

A source declares its kinds (:class:`~connector_app.notifications.kinds.Kind`), a scan that finds what
became due in a :class:`Window` (what changed or crossed a threshold since the last scheduled scan —
it reads only that, never everything a seller has), and builds each alert's message and link. It may
also say, just before an email goes out, which of its notifications are still worth sending
(``still_relevant``: a request answered meanwhile is not).

Adding a source (like `catalog` and `orders`): write
``sources/<name>.py`` with a class like the ones here, and add ``<name>`` to ``MODULES``. The scan, the
exactly-once machinery, the settings page, the digest and every channel pick it up from the registry.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from connector_app.notifications.kinds import DIGEST_ONLY, Alert, Kind

MODULES = ("requests", "connections", "sync", "catalog", "orders")


@dataclass(frozen=True)
class Window:
    """A scheduled scan's view of time: ``since`` is where the previous scan stopped (minus a margin for
    transactions that committed late: re-reading is harmless, the unique key dedupes), ``now`` is where
    this one stops. ``first`` is true when no scan ran before."""

    since: datetime
    now: datetime
    first: bool = False

    @property
    def since_unix(self) -> int:
        return int(self.since.timestamp())

    @property
    def now_unix(self) -> int:
        return int(self.now.timestamp())


@dataclass
class Found:
    """What a scan found: the alerts, and how many rows it read to find them."""

    alerts: list[Alert] = field(default_factory=list)
    rows_read: int = 0


class Source(Protocol):
    name: str
    kinds: tuple[Kind, ...]

    def scan(self, window: Window) -> Found:
        """Alerts that became due in ``window`` (all sellers)."""

    def still_relevant(self, notifications: list) -> set[int]:
        """Of these notifications (of this source's kinds), the ids still worth sending now."""


_registry: list[Source] | None = None


def sources() -> list[Source]:
    global _registry
    if _registry is None:
        found: list[Source] = []
        for name in MODULES:
            module = importlib.import_module(f"{__name__}.{name}")
            found.append(module.SOURCE)
        _registry = found
    return _registry


_kinds: dict[str, Kind] | None = None


def all_kinds() -> dict[str, Kind]:
    """Every kind, in the order the settings page lists them; the digest last."""
    global _kinds
    if _kinds is None:
        kinds = {kind.key: kind for source in sources() for kind in source.kinds}
        kinds[DIGEST_ONLY.key] = DIGEST_ONLY
        _kinds = kinds
    return _kinds


def source_of(kind: str) -> Source | None:
    for source in sources():
        if any(k.key == kind for k in source.kinds):
            return source
    return None
