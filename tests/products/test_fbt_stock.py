"""FBT SKUs' rows on the Products page show their stock in TikTok's warehouses (total and per
warehouse, with when it was read), which products asks for with its ``fbt_stock`` signal (orders,
above it, answers); a SKU nobody knows says so; another seller's stock never shows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from connector_app.extensions import db
from connector_app.orders.models import FbtStock
from connector_app.products import models as m
from connector_app.products.signals import FbtStockInfo, fbt_stock, fbt_stock_for
from connector_app.timeutil import utcnow
from tests.security.seed import seed_products


@pytest.fixture
def fbt(app, factories, seller):
    """The seller's linked SKU, now Fulfilled by TikTok, and a second FBT SKU nothing is known of."""
    shop = factories.tiktok_shop(seller, name="Harbor US")
    etsy = factories.etsy_connection(seller)
    with app.app_context():
        sku_pk, _etsy, _held = seed_products(seller.id, shop.id, etsy.id, "mine")
        sku = db.session.get(m.TikTokSku, sku_pk)
        sku.is_fbt = True
        db.session.add(
            m.TikTokSku(
                seller_id=seller.id, tiktok_shop_id=shop.id, product_pk=sku.product_pk,
                sku_id="1729000000000000777", seller_sku="SKU-FBT-UNREAD", price=Decimal("9.00"),
                currency="USD", quantity=0, warehouse_stock={}, link_state=m.NO_MATCH, is_fbt=True,
            )
        )  # fmt: skip
        db.session.commit()
        return {"shop": shop, "sku_id": sku.sku_id}


def test_the_page_shows_what_the_receiver_answers_for_fbt_skus_only(app, logged_in, fbt, seller):
    asked = []
    as_of = utcnow() - timedelta(minutes=5)

    def receiver(_sender, *, seller_id, keys, **_):
        asked.append((seller_id, list(keys)))
        key = (fbt["shop"].id, fbt["sku_id"])
        return {
            key: FbtStockInfo(
                available=1234, reserved=2, as_of=as_of, warehouses={"FBT-A": 1000, "FBT-B": 234}
            )
        }

    fbt_stock.connect(receiver)
    try:
        html = logged_in.get("/products?tab=fbt").get_data(as_text=True)
    finally:
        fbt_stock.disconnect(receiver)
    assert asked and asked[0][0] == seller.id
    assert sorted(asked[0][1]) == sorted(
        [(fbt["shop"].id, fbt["sku_id"]), (fbt["shop"].id, "1729000000000000777")]
    )
    assert "FBT: 1,234 available" in html and "2 reserved" in html
    assert "FBT-A: 1,000" in html and "FBT-B: 234" in html and "as of" in html
    assert "FBT stock not read yet" in html  # the SKU nobody knows


def test_no_question_is_asked_without_fbt_skus(app, seller):
    with app.app_context():
        assert fbt_stock_for(seller.id, []) == {}


def test_the_page_reads_the_fbt_stock_orders_keeps(app, logged_in, fbt, seller, factories):
    other = factories.seller(email="other@example.com")
    read_at = utcnow() - timedelta(hours=1)
    with app.app_context():
        for owner, warehouse, available in (
            (seller.id, "FBT-1", 7),
            (seller.id, "FBT-2", 5),
            (other.id, "FBT-X", 900),
        ):
            db.session.add(
                FbtStock(
                    seller_id=owner, shop_pk=fbt["shop"].id, sku_id=fbt["sku_id"], warehouse_id=warehouse,
                    total=available + 1, available=available, reserved=1, updated_at=read_at,
                )
            )  # fmt: skip
        db.session.commit()
    html = logged_in.get("/products?tab=fbt").get_data(as_text=True)
    assert "FBT: 12 available" in html and "2 reserved" in html  # this seller's two warehouses only
    assert "FBT-1: 7" in html and "FBT-2: 5" in html and "FBT-X" not in html
