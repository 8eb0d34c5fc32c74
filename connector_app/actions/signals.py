"""Signals of the actions feature, so features above it can add to the seller's action log.

``log_entries`` is sent by the action log view with ``seller_id`` and ``limit``; each receiver returns
a list of ``LogEntry`` (its latest ``limit`` actions, newest first), gathered by the view before it
renders. The orders feature answers with the shipments sent from the order pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from blinker import Namespace

_signals = Namespace()

log_entries = _signals.signal("action-log-entries")


@dataclass(frozen=True)
class LogEntry:
    when: datetime
    subject: str  # what it was done to ("Order 5760…")
    url: str
    action: str  # what was done
    actor: str
    outcome: str  # in words
    state: str  # the badge: ok | danger | warn | info
    message: str | None = None


def entries_for(seller_id: int, limit: int) -> list[LogEntry]:
    found = [
        entry
        for _receiver, answer in log_entries.send(None, seller_id=seller_id, limit=limit)
        for entry in answer or ()
    ]
    return sorted(found, key=lambda e: e.when, reverse=True)[:limit]
