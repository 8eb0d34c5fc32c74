"""Signals other features subscribe to, so the returns data layer does not import them.

``requests_changed`` is sent AFTER the transaction that changed requests has committed, with
``seller_id`` and ``request_pks`` (ReturnRequest ids whose status changed) and ``source``
(sync | webhook | action). Receivers enqueue their own jobs (e.g. restocking Etsy inventory).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

requests_changed = _signals.signal("requests-changed")

detail_panels = _signals.signal("detail-panels")
"""sent by the returns detail view with the ReturnRequest; receivers return (template, context)"""

timeline_entries = _signals.signal("timeline-entries")
"""sent by the timeline view with the ReturnRequest; receivers return a list of
``returns.timeline.TimelineEntry`` (for example the seller's own decisions)"""


def notify_requests_changed(seller_id: int, request_pks: list[int], source: str) -> None:
    if request_pks:
        requests_changed.send(None, seller_id=seller_id, request_pks=list(request_pks), source=source)
