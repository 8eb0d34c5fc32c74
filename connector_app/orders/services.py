"""Store orders from TikTok (sync pages, webhook re-fetches) and FBT stock. The only writers of orders.

Upserts are idempotent: the same snapshot twice changes nothing, and an older snapshot never replaces a
newer one (webhooks arrive reordered). Rows are locked FOR UPDATE (PostgreSQL) so a webhook and the
scheduled sync serialize per order; a concurrent first insert is a unique-key conflict the caller
retries (``dbutil.retry_on_conflict``). Services flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Row, bindparam, select

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.marketplaces.tiktok.order_types import FbtStock as FbtRow
from connector_app.marketplaces.tiktok.order_types import Order as TikTokOrder
from connector_app.orders.models import FbtStock, Order, OrderLine
from connector_app.orders.tabs import tab_of
from connector_app.returns.search import MAX_SEARCH_TEXT, fold
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
    """Folded like returns' (case- and accent-insensitive): "macrame" finds "Macramé".

    The parts are joined, then folded once; plain ASCII (most orders) only needs lower-casing, which
    is what folding does to it."""
    parts = [item.id, item.tracking_number]
    for line in item.lines:
        parts += [line.seller_sku, line.product_name, line.sku_name, line.tracking_number]
    text = " ".join(p for p in parts if p)
    return (text.lower() if text.isascii() else fold(text))[:MAX_SEARCH_TEXT]


# What decides whether a stored order changed (``total`` is left out: it follows ``payment``).
_COMPARED = (
    "status", "tab", "fulfillment_type", "is_fbt", "shipping_type", "create_time", "update_time", "paid_time",
    "rts_sla_time", "shipping_due_time", "cancel_time", "currency", "payment", "recipient", "buyer_email",
    "buyer_message", "tracking_number", "shipping_provider", "delivery_option_id", "is_buyer_request_cancel",
    "cancel_reason", "cancellation_initiator", "search_text",
)  # fmt: skip


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


_LINE_STATE = ("tracking_number", "package_id", "display_status")


def _stored(shop: TikTokShop, order_ids: list[str]) -> tuple[dict[str, Row], dict[int, dict[str, tuple]]]:
    """The stored orders of a page (locked FOR UPDATE on PostgreSQL) and their lines' shipping state,
    as plain rows: two queries, no ORM objects to build, track or flush."""
    table, lines = Order.__table__, OrderLine.__table__
    compared = [table.c[key] for key in _COMPARED]
    orders = {
        row.order_id: row
        for row in db.session.execute(
            select(table.c.id, table.c.order_id, table.c.history, *compared)
            .where(
                table.c.seller_id == shop.seller_id,
                table.c.shop_pk == shop.id,
                table.c.order_id.in_(order_ids),
            )
            .with_for_update()
        )
    }
    known: dict[int, dict[str, tuple]] = {}
    if orders:
        for row in db.session.execute(
            select(lines.c.order_pk, lines.c.line_id, *(lines.c[k] for k in _LINE_STATE)).where(
                lines.c.order_pk.in_([row.id for row in orders.values()])
            )
        ):
            known.setdefault(row.order_pk, {})[row.line_id] = tuple(row)[2:]
    return orders, known


def _lines_changed(item: TikTokOrder, known: dict[str, tuple]) -> bool:
    if len(known) != len(item.lines):
        return True
    for line in item.lines:
        state = known.get(line.id)
        if state is None or state != (
            line.tracking_number or None,
            line.package_id or None,
            line.display_status or None,
        ):
            return True
    return False


def upsert_orders(shop: TikTokShop, items: Sequence[TikTokOrder]) -> UpsertResult:
    """Store one page of orders for ``shop``. Flushes; the caller commits.

    A page is a handful of statements whatever its size: one read of the stored orders and one of
    their lines, one multi-row INSERT of the new orders and one of their lines, one executemany
    UPDATE of the changed orders, and one DELETE + INSERT of the lines of orders whose lines changed.
    """
    result = UpsertResult()
    latest: dict[str, TikTokOrder] = {}
    for item in items:
        if item.id and (item.id not in latest or item.update_time >= latest[item.id].update_time):
            latest[item.id] = item
    if not latest:
        return result
    db.session.flush()  # the Core statements below see whatever the session holds
    existing, known_lines = _stored(shop, list(latest))
    now = utcnow()
    created: list[dict] = []
    updates: list[dict] = []
    relined: dict[int, TikTokOrder] = {}
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
                    "synced_at": now,
                }
            )
            result.created += 1
            continue
        if item.update_time < row.update_time:
            result.unchanged += 1  # an older snapshot (a reordered webhook): never go back in time
            continue
        lines_changed = _lines_changed(item, known_lines.get(row.id, {}))
        if not lines_changed and all(getattr(row, key) == fields[key] for key in _COMPARED):
            result.unchanged += 1
            continue
        history = list(row.history or [])
        if row.status != item.status:
            history.append([item.status, item.update_time])
            result.changed_pks.append(row.id)
        updates.append({**fields, "b_id": row.id, "history": history, "synced_at": now})
        if lines_changed:
            relined[row.id] = item
        result.updated += 1
    table, line_table = Order.__table__, OrderLine.__table__
    if updates:  # one executemany: every changed order of the page
        db.session.execute(table.update().where(table.c.id == bindparam("b_id")), updates)
    if relined:  # delete first: (order, line id) is unique
        db.session.execute(line_table.delete().where(line_table.c.order_pk.in_(list(relined))))
    fresh = [
        {**_line_row(shop.seller_id, line), "order_pk": pk}
        for pk, item in relined.items()
        for line in item.lines
    ]
    if created:  # new orders: one executemany, then their ids in one read
        db.session.execute(table.insert(), created)
        ids = db.session.execute(
            select(table.c.id, table.c.order_id).where(
                table.c.shop_pk == shop.id, table.c.order_id.in_([c["order_id"] for c in created])
            )
        ).all()
        fresh += [
            {**_line_row(shop.seller_id, line), "order_pk": pk}
            for pk, order_id in ids
            for line in latest[order_id].lines
        ]
        result.changed_pks.extend(pk for pk, _ in ids)
    if fresh:
        db.session.execute(line_table.insert(), fresh)  # one executemany
    if updates or relined:
        _expire_loaded(set(relined) | {u["b_id"] for u in updates})
    return result


def _expire_loaded(pks: set[int]) -> None:
    """Orders (and their lines) this session already holds were just rewritten underneath it."""
    for obj in list(db.session.identity_map.values()):
        if (isinstance(obj, Order) and obj.id in pks) or (isinstance(obj, OrderLine) and obj.order_pk in pks):
            db.session.expire(obj)


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
