"""Background work of the orders feature: webhook re-fetches, Etsy stock writes and their sweep.

Jobs take ids, load inside the job and scope every query to their seller. The sweep is the only
cross-seller reader: it finds listings with open stock moves and enqueues one job per listing.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from connector_app.connect.clients import tiktok_client_for
from connector_app.connect.models import TikTokAuthorization, TikTokShop
from connector_app.dbutil import retry_on_conflict
from connector_app.extensions import db
from connector_app.marketplaces.tiktok import orders as api
from connector_app.orders import stock
from connector_app.orders.models import FbtStock
from connector_app.orders.services import upsert_orders
from connector_app.tenancy import for_seller, get_for_seller
from connector_app.timeutil import utcnow
from connector_app.transactions import enqueue_after_commit, job_step
from connector_app.webhooks.models import WebhookEvent
from connector_app.webhooks.services import record_outcome

log = logging.getLogger(__name__)

FBT_INVENTORY_UPDATE = 24


def store_orders(shop: TikTokShop, items: list) -> tuple[int, int]:
    """Upsert fetched orders, decide their Etsy stock moves, commit, then queue the writes.
    Returns (created, updated). A lost insert race is retried on fresh reads."""
    seller_id, shop_pk = shop.seller_id, shop.id

    def unit():
        with job_step():
            current = get_for_seller(TikTokShop, seller_id, id=shop_pk)
            result = upsert_orders(current, items)
            listings = stock.plan(seller_id, result.changed_pks)
            for listing_id in sorted(listings):
                enqueue_stock_write(seller_id, listing_id)
        return result

    result = retry_on_conflict(unit, describe=f"orders of shop {shop_pk}")
    return result.created, result.updated


def enqueue_stock_write(seller_id: int, listing_id: str) -> None:
    enqueue_after_commit(
        "connector_app.orders.jobs.apply_stock",
        seller_id,
        listing_id,
        description=f"Etsy stock of listing {listing_id}",
        retry_intervals=[10, 60, 300],
    )


def apply_stock(seller_id: int, listing_id: str) -> None:
    """RQ job: carry the open stock moves of one listing forward (one Etsy write per round)."""
    stock.process_listing(seller_id, listing_id)


def sweep_stock() -> int:
    """Periodic: listings with claimed moves or moves stuck in ``sending`` get a job (recovery)."""
    found = stock.listings_with_open_moves()
    with job_step():
        for seller_id, listing_id in found:
            enqueue_stock_write(seller_id, listing_id)
    return len(found)


def _pending_order_events(shop: TikTokShop, first: WebhookEvent) -> list[WebhookEvent]:
    """This delivery and the other unprocessed type-1 deliveries of the shop: one detail call for ≤ 50."""
    others = db.session.scalars(
        select(WebhookEvent)
        .where(
            WebhookEvent.shop_id == shop.shop_id,
            WebhookEvent.event_type == api.ORDER_STATUS_CHANGE,
            WebhookEvent.processed_at.is_(None),
            WebhookEvent.id != first.id,
        )
        .order_by(WebhookEvent.id)
        .limit(api.MAX_DETAIL_IDS - 1)
    ).all()
    return [first, *others]


def on_order_webhook(event: WebhookEvent, shop: TikTokShop | None) -> str:
    """Type 1: re-fetch the order's detail (with the shop's other waiting type-1 deliveries, batched)."""
    if shop is None:
        return "ignored: unknown shop"
    events = _pending_order_events(shop, event)
    ids: dict[str, list[int]] = {}
    for item in events:
        order_id, _status, _time = api.order_status_event(item.payload.get("data") or {})
        if order_id:
            ids.setdefault(order_id, []).append(item.id)
    if not ids:
        return "ignored: the notification names no order"
    fetched = api.get_orders(tiktok_client_for(shop), list(ids))
    created, updated = store_orders(shop, fetched)
    found = {order.id for order in fetched}
    with job_step():
        for order_id, event_ids in ids.items():
            outcome = "stored" if order_id in found else f"ignored: order {order_id} not found on TikTok Shop"
            for event_id in event_ids:
                if event_id != event.id:
                    record_outcome(event_id, f"{outcome} (with delivery {event.id})", shop.seller_id)
        record_outcome(event.id, f"{len(found)} order(s): {created} new, {updated} updated", shop.seller_id)
    return "orders updated"


def on_fbt_webhook(event: WebhookEvent) -> str:
    """FBT deliveries carry ``seller_open_id``, not ``shop_id``: the seller is found by its open_id."""
    open_id = str(event.payload.get("seller_open_id") or "")
    authorization = db.session.scalars(
        select(TikTokAuthorization).where(TikTokAuthorization.open_id == open_id)
    ).first()
    if authorization is None:
        outcome = "ignored: unknown seller_open_id"
        with job_step():
            record_outcome(event.id, outcome)
        return outcome
    seller_id = authorization.seller_id
    if event.event_type != FBT_INVENTORY_UPDATE:
        with job_step():
            record_outcome(event.id, f"noted: FBT event {event.event_type}", seller_id)
        return "noted"
    data = event.payload.get("data") or {}
    sku_id = str(data.get("sku_id") or "")
    updated = 0
    with job_step():
        shop_pks = [s.id for s in authorization.shops]
        for entry in data.get("fbt_warehouse_inventory") or ():
            hand = entry.get("on_hand_detail") or {}
            rows = db.session.scalars(
                for_seller(FbtStock, seller_id).where(
                    FbtStock.shop_pk.in_(shop_pks),
                    FbtStock.sku_id == sku_id,
                    FbtStock.warehouse_id == str(entry.get("fbt_warehouse_id") or ""),
                )
            ).all()
            for row in rows:
                row.total = int(hand.get("total_quantity") or 0)
                row.available = int(hand.get("available_quantity") or 0)
                row.reserved = int(hand.get("reserved_quantity") or 0)
                row.updated_at = utcnow()
                updated += 1
        outcome = (
            f"FBT stock of SKU {sku_id}: {updated} row(s) updated"
            if updated
            else "ignored: SKU not synced yet"
        )
        record_outcome(event.id, outcome, seller_id)
    return outcome


def on_webhook_received(
    event: WebhookEvent, shop: TikTokShop | None = None, seller_id: int | None = None
) -> str | None:
    """``webhooks.signals.webhook_received``: the types this feature owns (1, and FBT 21–24)."""
    if event.event_type == api.ORDER_STATUS_CHANGE:
        return on_order_webhook(event, shop)
    if event.event_type in api.FBT_WEBHOOK_TYPES:
        return on_fbt_webhook(event)
    return None
