"""Signals other features subscribe to, so the returns data layer does not import them.

``requests_changed`` is sent AFTER the transaction that changed requests has committed, with
``seller_id`` and ``request_pks`` (ReturnRequest ids whose status changed) and ``source``
(sync | webhook | action). Receivers enqueue their own jobs (e.g. restocking Etsy inventory).

``grid_panels`` and ``detail_panels`` let the grid and the request detail show other features'
panels (sync controls, bulk actions, decisions, Etsy tasks) that the view gathers before rendering.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

requests_changed = _signals.signal("requests-changed")

timeline_entries = _signals.signal("timeline-entries")
"""sent by the timeline view with ``request`` (a ReturnRequest); receivers return a list of
``returns.timeline.TimelineEntry`` (for example the seller's own decisions)"""


def notify_requests_changed(seller_id: int, request_pks: list[int], source: str) -> None:
    if request_pks:
        requests_changed.send(None, seller_id=seller_id, request_pks=list(request_pks), source=source)


# Pages of the returns feature composed with other features' panels (see ``connector_app.panels``):
# receivers answer with a Panel, or a (template, context) tuple for the main slot.
grid_panels = _signals.signal("grid-panels")  # sent by the grid view: seller_id, shops
detail_panels = _signals.signal("detail-panels")  # sent by the detail view: request (a ReturnRequest)
sku_links = _signals.signal("sku-links")  # seller_id, skus: receivers answer {sku: url of its listing}


def links_for_skus(seller_id: int, skus) -> dict[str, str]:
    """``{SKU: URL}`` from whichever feature knows where the seller's SKUs are listed."""
    wanted = sorted({sku for sku in skus if sku})
    links: dict[str, str] = {}
    if wanted:
        for _receiver, answer in sku_links.send(None, seller_id=seller_id, skus=wanted):
            for sku, url in (answer or {}).items():
                links.setdefault(sku, url)
    return links
