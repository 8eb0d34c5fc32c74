"""Signals other features answer so the action log shows their writes to TikTok beside the seller's
decisions, without actions importing them (layers: a feature above answers a signal defined here).

``log_entries`` is sent by the action log view with ``seller_id`` and ``limit``; each receiver answers
a list of ``LogEntry`` (newest first, at most ``limit``), gathered in the view before rendering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from blinker import Namespace

from connector_app.timeutil import ensure_aware

_signals = Namespace()

log_entries = _signals.signal("log-entries")

# LogEntry.kind → what the log calls it (and filters by)
PUSH, SHIPMENT = "push", "shipment"
KINDS = {PUSH: "Catalog push", SHIPMENT: "Shipment"}

# LogEntry.tone → the badge the log shows
OK, DANGER, WARN, INFO = "ok", "danger", "warn", "info"


@dataclass(frozen=True)
class LogLine:
    """One item of an entry (a SKU of a push): what it was, what was sent, and TikTok's answer."""

    label: str
    change: str
    outcome: str
    tone: str = INFO
    reason: str | None = None


@dataclass
class LogEntry:
    """One write to TikTok (for example one product call of the catalog sync)."""

    at: datetime
    kind: str  # a key of KINDS
    title: str
    actor: str
    outcome: str
    tone: str = INFO
    subject: str = ""
    subject_url: str | None = None
    lines: list[LogLine] = field(default_factory=list)
    detail: str | None = None  # one more sentence under the title (e.g. TikTok's message)


def gather(seller_id: int, limit: int) -> list[LogEntry]:
    """Every receiver's entries, newest first."""
    entries: list[LogEntry] = []
    for _receiver, answer in log_entries.send(None, seller_id=seller_id, limit=limit):
        entries.extend(answer or [])
    # Rows of some features are read back naive (SQLite keeps no zone): all are UTC.
    return sorted(entries, key=lambda e: ensure_aware(e.at), reverse=True)[:limit]
