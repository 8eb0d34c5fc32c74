"""The orders feature's answer to ``insights.signals.units_sold``: units sold per SKU, for the return rate.

Insights sits above orders and connects this receiver (orders never imports insights). One TikTok line
item is one unit (the API has no quantity field), so units = line items of orders placed in the period,
in the shops asked about, that were not cancelled. The answer covers the period only when every shop
asked about has finished an order sync: a full order sync reads the shop's orders since its earliest
(TikTok's search has no lower bound by default), so coverage starts at 0 and runs through the oldest of
those shops' last successful syncs.
"""

from __future__ import annotations

from sqlalchemy import func, select

from connector_app.extensions import db
from connector_app.insights.signals import UnitsSold
from connector_app.orders.models import Order, OrderLine
from connector_app.orders.sync import OrderSyncState
from connector_app.timeutil import ensure_aware

CANCELLED = "CANCELLED"


def units_sold(_sender, *, seller_id: int, shop_ids: list[int], start: int, end: int, skus: list[str]):
    if not shop_ids:
        return None
    states = db.session.execute(
        select(OrderSyncState.shop_pk, OrderSyncState.high_water, OrderSyncState.last_ok_at).where(
            OrderSyncState.seller_id == seller_id, OrderSyncState.shop_pk.in_(shop_ids)
        )
    ).all()
    synced = [s for s in states if s.high_water is not None and s.last_ok_at is not None]
    complete = len({s.shop_pk for s in synced}) == len(set(shop_ids))
    units: dict[str, int] = {}
    if skus:
        query = (
            select(OrderLine.seller_sku, func.count())
            .join(Order, Order.id == OrderLine.order_pk)
            .where(
                OrderLine.seller_id == seller_id,
                OrderLine.seller_sku.in_(skus),
                Order.seller_id == seller_id,
                Order.shop_pk.in_(shop_ids),
                Order.create_time >= start,
                Order.create_time < end,
                Order.status != CANCELLED,
            )
            .group_by(OrderLine.seller_sku)
        )
        units = {sku: int(n) for sku, n in db.session.execute(query).all()}
    if not complete:
        return UnitsSold(units=units)
    through = min(int(ensure_aware(s.last_ok_at).timestamp()) for s in synced)
    return UnitsSold(units=units, complete_from=0, complete_through=through)
