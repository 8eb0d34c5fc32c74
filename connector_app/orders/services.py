"""Store orders from TikTok (sync pages, webhook re-fetches) and FBT stock. The only writers of orders.

Upserts are idempotent: the same snapshot twice changes nothing, and an older snapshot never replaces a
newer one (webhooks arrive reordered). Rows are locked FOR UPDATE (PostgreSQL) so a webhook and the
scheduled sync serialize per order; a concurrent first insert is a unique-key conflict the caller
retries (``dbutil.retry_on_conflict``). Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.marketplaces.tiktok.order_types import FbtStock as FbtRow
from connector_app.marketplaces.tiktok.order_types import Order as TikTokOrder
from connector_app.orders.models import FbtStock, Order, OrderLine
from connector_app.orders.tabs import tab_of
from connector_app.returns.search import search_text
from connector_app.tenancy import for_seller
from connector_app.timeutil import utcnow


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_pks: list[int] = field(default_factory=list)  # new orders and status changes
    max_update_time: int | None = None


def _search_text(item: TikTokOrder) -> str:
    """Folded like returns' (case- and accent-insensitive): "macrame" finds "Macramé"."""
    parts = [item.id, item.tracking_number]
    for line in item.lines:
        parts += [line.seller_sku, line.product_name, line.sku_name, line.tracking_number]
    return search_text(parts)


def _fields(item: TikTokOrder) -> dict:
    return {
        "status": item.status,
        "tab": tab_of(item.status),
        "fulfillment_type": item.fulfillment_type,
        "is_fbt": item.is_fbt,
        "shipping_type": item.shipping_type or None,
        "create_time": item.create_time,
        "update_time": item.update_time,
        "paid_time": item.paid_time,
        "rts_sla_time": item.rts_sla_time,
        "shipping_due_time": item.shipping_due_time,
        "cancel_time": item.cancel_time,
        "currency": item.currency or None,
        "total": item.total,
        "payment": {key: str(value) for key, value in item.payment.items()},
        "recipient": dict(item.recipient),
        "buyer_email": item.buyer_email or None,
        "buyer_message": item.buyer_message or None,
        "tracking_number": item.tracking_number or None,
        "shipping_provider": item.shipping_provider or None,
        "delivery_option_id": item.delivery_option_id or None,
        "is_buyer_request_cancel": item.is_buyer_request_cancel,
        "cancel_reason": item.cancel_reason or None,
        "cancellation_initiator": item.cancellation_initiator or None,
        "search_text": _search_text(item),
    }


def _line_row(seller_id: int, line) -> dict:
    return {
        "seller_id": seller_id,
        "line_id": line.id,
        "sku_id": line.sku_id or None,
        "seller_sku": line.seller_sku or None,
        "product_id": line.product_id or None,
        "product_name": line.product_name or None,
        "sku_name": line.sku_name or None,
        "sale_price": line.sale_price,
        "currency": line.currency or None,
        "display_status": line.display_status or None,
        "package_id": line.package_id or None,
        "tracking_number": line.tracking_number or None,
        "shipping_provider_name": line.shipping_provider_name or None,
        "bundle": [[p.sku_id, p.seller_sku, p.count] for p in line.bundle],
    }


def _lines(seller_id: int, item: TikTokOrder) -> list[OrderLine]:
    return [OrderLine(**_line_row(seller_id, line)) for line in item.lines]


def upsert_orders(shop: TikTokShop, items: Sequence[TikTokOrder]) -> UpsertResult:
    """Store one page of orders for ``shop``. Flushes; the caller commits."""
    result = UpsertResult()
    latest: dict[str, TikTokOrder] = {}
    for item in items:
        if item.id and (item.id not in latest or item.update_time >= latest[item.id].update_time):
            latest[item.id] = item
    if not latest:
        return result
    existing = {
        row.order_id: row
        for row in db.session.scalars(
            for_seller(Order, shop.seller_id)
            .where(Order.shop_pk == shop.id, Order.order_id.in_(list(latest)))
            .options(selectinload(Order.lines))  # the stored lines of the page in one query
            .with_for_update(of=Order)
            .execution_options(populate_existing=True)
        )
    }
    created: list[dict] = []
    for order_id, item in latest.items():
        result.max_update_time = max(result.max_update_time or 0, item.update_time)
        fields = _fields(item)
        row = existing.get(order_id)
        if row is None:
            created.append(
                {
                    **fields,
                    "seller_id": shop.seller_id,
                    "shop_pk": shop.id,
                    "order_id": order_id,
                    "history": [[item.status, item.update_time]],
                    "needs_attention": False,
                    "synced_at": utcnow(),
                }
            )
            result.created += 1
            continue
        if item.update_time < row.update_time:
            result.unchanged += 1  # an older snapshot (a reordered webhook): never go back in time
            continue
        same = all(getattr(row, key) == value for key, value in fields.items() if key != "total")
        if same and len(row.lines) == len(item.lines):
            result.unchanged += 1
            continue
        if row.status != item.status:
            row.history = [*(row.history or []), [item.status, item.update_time]]
            result.changed_pks.append(row.id)
        for key, value in fields.items():
            setattr(row, key, value)
        row.synced_at = utcnow()
        known = {line.line_id: line for line in row.lines}
        fresh = _lines(shop.seller_id, item)
        if {line.line_id for line in fresh} != set(known) or any(
            (f.tracking_number, f.package_id, f.display_status)
            != (
                known[f.line_id].tracking_number,
                known[f.line_id].package_id,
                known[f.line_id].display_status,
            )
            for f in fresh
        ):
            for old in list(row.lines):  # delete first: (order, line id) is unique
                db.session.delete(old)
            db.session.flush()
            row.lines = fresh
            db.session.flush()
        result.updated += 1
    db.session.flush()
    if created:  # new orders and their lines: two multi-row INSERTs for the page
        table = Order.__table__
        ids = db.session.execute(
            table.insert().returning(table.c.id, table.c.order_id, sort_by_parameter_order=True), created
        ).all()
        lines = [
            {**_line_row(shop.seller_id, line), "order_pk": pk}
            for pk, order_id in ids
            for line in latest[order_id].lines
        ]
        if lines:
            db.session.execute(OrderLine.__table__.insert(), lines)  # one executemany
        result.changed_pks.extend(pk for pk, _ in ids)
    return result


def upsert_fbt_stock(
    shop: TikTokShop, rows: Sequence[FbtRow], skus_by_id: dict[str, str] | None = None
) -> int:
    """Store FBT on-hand stock per (SKU, FBT warehouse). Flushes."""
    stored = {
        (r.sku_id, r.warehouse_id): r
        for r in db.session.scalars(for_seller(FbtStock, shop.seller_id).where(FbtStock.shop_pk == shop.id))
    }
    for item in rows:
        row = stored.get((item.sku_id, item.fbt_warehouse_id))
        if row is None:
            row = FbtStock(
                seller_id=shop.seller_id,
                shop_pk=shop.id,
                sku_id=item.sku_id,
                warehouse_id=item.fbt_warehouse_id,
            )
            db.session.add(row)
            stored[(item.sku_id, item.fbt_warehouse_id)] = row
        row.total, row.available, row.reserved = item.total, item.available, item.reserved
        row.seller_sku = (skus_by_id or {}).get(item.sku_id) or row.seller_sku or item.goods_name or None
        row.updated_at = utcnow()
    db.session.flush()
    return len(rows)


def seller_skus_by_sku_id(seller_id: int, sku_ids: Sequence[str]) -> dict[str, str]:
    """TikTok sku_id → seller SKU, from the order lines already stored."""
    if not sku_ids:
        return {}
    rows = db.session.execute(
        select(OrderLine.sku_id, OrderLine.seller_sku)
        .where(OrderLine.seller_id == seller_id, OrderLine.sku_id.in_(list(sku_ids)))
        .distinct()
    ).all()
    return {sku_id: sku for sku_id, sku in rows if sku}
