"""TikTok's carriers for an order, cached per seller, shop and delivery option and refreshed by a job,
never fetched on a web request (as reject reasons are: ``actions.reasons``). An entry is served for a
day; after an hour it is refreshed in the background while still being served.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from connector_app import fetched
from connector_app.connect.clients import tiktok_client_for
from connector_app.marketplaces.errors import MarketplaceError
from connector_app.marketplaces.tiktok import fulfillment
from connector_app.orders.models import Order
from connector_app.tenancy import get_for_seller

log = logging.getLogger(__name__)

KEEP_SECONDS = 24 * 3600
FRESH_SECONDS = 3600
ERROR_SECONDS = 30  # a failed fetch is shown this long, then the next look tries again
CARRIERS_JOB = "connector_app.orders.shipping_jobs.refresh_carriers"


@dataclass
class Carriers:
    items: list[tuple[str, str]] = field(default_factory=list)  # (id, name)
    loading: bool = False
    error: str | None = None


def _carriers_key(order: Order) -> str:
    shop = order.shop
    return fetched.key("carriers", order.seller_id, shop.id, shop.shop_id, order.delivery_option_id or "-")


def carriers_for(order: Order) -> Carriers:
    """TikTok's carriers for this order's delivery option, as stored; queues a refresh when missing or old."""
    key = _carriers_key(order)
    try:
        entry = fetched.read_or_refresh(key, FRESH_SECONDS, CARRIERS_JOB, order.seller_id, order.id)
    except fetched.CacheUnavailable:
        log.warning("carriers cache unavailable", exc_info=True)
        return Carriers(error="TikTok's carriers cannot be loaded right now. Try again in a minute.")
    if entry is None:
        return Carriers(loading=True)
    if entry.error:
        return Carriers(error=entry.error)
    return Carriers([(str(c["id"]), str(c["name"])) for c in entry.value or ()])


def refresh_carriers(seller_id: int, order_pk: int) -> None:
    """Fetch the carriers from TikTok and store them (runs in a job)."""
    order = get_for_seller(Order, seller_id, id=order_pk)
    if order is None:
        return
    key = _carriers_key(order)
    if not order.delivery_option_id:
        fetched.store_error(
            key, "TikTok has not given this order a delivery option yet: sync it again.", ttl=ERROR_SECONDS
        )
        return
    try:
        providers = fulfillment.shipping_providers(tiktok_client_for(order.shop), order.delivery_option_id)
    except MarketplaceError as exc:
        log.info("carriers for order %s unavailable: %r", order.order_id, exc)
        fetched.store_error(
            key, f"TikTok's carriers could not be loaded: {exc.seller_message()}", ttl=ERROR_SECONDS
        )
        return
    fetched.store(key, [{"id": p.id, "name": p.name} for p in providers], ttl=KEEP_SECONDS)
