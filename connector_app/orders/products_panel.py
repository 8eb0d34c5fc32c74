"""What orders tells the Products page: the FBT stock it keeps per SKU and FBT warehouse
(``products.signals.fbt_stock``)."""

from __future__ import annotations

from sqlalchemy import tuple_

from connector_app.extensions import db
from connector_app.orders.models import FbtStock
from connector_app.products.signals import FbtStockInfo, SkuKey
from connector_app.tenancy import for_seller
from connector_app.timeutil import ensure_aware


def fbt_stock(_sender, *, seller_id: int, keys: list[SkuKey], **_) -> dict[SkuKey, FbtStockInfo]:
    """Per (shop, SKU): the units available and reserved over its FBT warehouses, each warehouse's
    available units, and the oldest read among them (what the page calls "as of")."""
    if not keys:
        return {}
    rows = db.session.scalars(
        for_seller(FbtStock, seller_id)
        .where(tuple_(FbtStock.shop_pk, FbtStock.sku_id).in_(list(keys)))
        .order_by(FbtStock.warehouse_id)
    ).all()
    grouped: dict[SkuKey, list[FbtStock]] = {}
    for row in rows:
        grouped.setdefault((row.shop_pk, row.sku_id), []).append(row)
    return {
        key: FbtStockInfo(
            available=sum(r.available for r in stock),
            reserved=sum(r.reserved for r in stock),
            as_of=min(ensure_aware(r.updated_at) for r in stock),
            warehouses={r.warehouse_id: r.available for r in stock},
        )
        for key, stock in grouped.items()
    }
