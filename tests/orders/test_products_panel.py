"""Orders answers the catalog's ``fbt_stock`` question from the FBT stock it keeps: per (shop, SKU),
available and reserved over the FBT warehouses, each warehouse's units, and the oldest read time;
only the asking seller's rows and only the SKUs asked for."""

from __future__ import annotations

from datetime import timedelta

from connector_app.extensions import db
from connector_app.orders.models import FbtStock
from connector_app.products.signals import fbt_stock_for
from connector_app.timeutil import ensure_aware, utcnow


def test_fbt_stock_is_summed_per_sku_with_its_warehouses_and_oldest_read(app, factories, seller):
    shop = factories.tiktok_shop(seller, name="Harbor US")
    second_shop = factories.tiktok_shop(seller, name="Harbor UK")
    other = factories.seller(email="other@example.com")
    old, new = utcnow() - timedelta(hours=2), utcnow()
    with app.app_context():
        rows = [
            (seller.id, shop.id, "S1", "W1", 4, 1, old),
            (seller.id, shop.id, "S1", "W2", 6, 0, new),
            (seller.id, shop.id, "S2", "W1", 3, 0, new),  # not asked for
            (seller.id, second_shop.id, "S1", "W9", 50, 0, new),  # same SKU id, another shop
            (other.id, shop.id, "S1", "W3", 900, 0, new),  # another seller's row
        ]
        for owner, shop_pk, sku_id, warehouse, available, reserved, at in rows:
            db.session.add(
                FbtStock(
                    seller_id=owner, shop_pk=shop_pk, sku_id=sku_id, warehouse_id=warehouse,
                    total=available + reserved, available=available, reserved=reserved, updated_at=at,
                )
            )  # fmt: skip
        db.session.commit()
        found = fbt_stock_for(seller.id, [(shop.id, "S1"), (shop.id, "NONE")])
    assert set(found) == {(shop.id, "S1")}
    info = found[(shop.id, "S1")]
    assert (info.available, info.reserved) == (10, 1)
    assert info.warehouses == {"W1": 4, "W2": 6}
    assert abs((ensure_aware(info.as_of) - ensure_aware(old)).total_seconds()) < 1
