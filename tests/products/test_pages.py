"""The Products page, SKU links, TikTok Shop Settings with its preview, and the rules every route
keeps: another seller's data is a 404, anonymous visitors log in first, writes need the CSRF token."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from connector_app.accounts.preferences import SellerSettings
from connector_app.extensions import db
from connector_app.products import models as m
from connector_app.timeutil import utcnow
from tests.security.seed import seed_products


@pytest.fixture
def catalog(app, factories, seller):
    """Seller's shop with one linked SKU (price 20.00 on TikTok, 48.00 on Etsy, a held push) plus
    60 unlinked SKUs (paging) and another seller with its own catalog."""
    shop = factories.tiktok_shop(seller, name="Harbor US")
    etsy = factories.etsy_connection(seller)
    other = factories.seller(email="other@example.com")
    other_shop = factories.tiktok_shop(other, name="Other US")
    other_etsy = factories.etsy_connection(other)
    with app.app_context():
        ids = seed_products(seller.id, shop.id, etsy.id, "mine")
        others = seed_products(other.id, other_shop.id, other_etsy.id, "theirs")
        product = db.session.get(m.TikTokSku, ids[0]).product_pk
        for n in range(60):
            db.session.add(
                m.TikTokSku(
                    seller_id=seller.id, tiktok_shop_id=shop.id, product_pk=product, sku_id=f"9{n:05d}",
                    seller_sku=f"LOOSE-{n:02d}", price=Decimal("5.00"), currency="USD", quantity=1,
                    warehouse_stock={"W": 1}, link_state=m.NO_MATCH,
                )
            )  # fmt: skip
        db.session.commit()
    return {
        "shop": shop,
        "sku": ids[0],
        "etsy": ids[1],
        "push": ids[2],
        "other_shop": other_shop,
        "other": others,
    }


def test_the_page_lists_skus_side_by_side_with_tabs_as_urls_and_paging(logged_in, catalog):
    page = logged_in.get("/products")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Mine TikTok teapot product" in html
    assert "Theirs TikTok teapot product" not in html
    assert "Page 1 of 2" in html and 'id="products-count-unlinked">60<' in html
    differs = logged_in.get("/products?tab=differs").get_data(as_text=True)
    assert "SKU-MINE-TEAPOT" in differs and "LOOSE-01" not in differs
    assert "20.00 USD → 48.00 USD" in differs and "9 → 3" in differs  # TikTok → Etsy, side by side
    second = logged_in.get("/products?tab=all&page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second
    found = logged_in.get("/products?q=loose-07").get_data(as_text=True)
    assert "LOOSE-07" in found and "LOOSE-08" not in found
    errors = logged_in.get("/products?tab=errors").get_data(as_text=True)
    assert "Price change held" in errors and "SKU-MINE-TEAPOT" in errors


def test_htmx_gets_the_grid_fragment_with_out_of_band_counts(logged_in, catalog):
    response = logged_in.htmx("GET", "/products?tab=unlinked")
    html = response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"] and "<html" not in html
    assert 'id="products-grid"' in html and 'hx-swap-oob="true"' in html and "LOOSE-00" in html
    # The list reloads itself, as it is, when a catalog run ends (the progress fragment's sync-finished).
    assert 'hx-get="/products?tab=unlinked" hx-trigger="sync-finished from:body"' in html


def test_link_unlink_and_match_again(app, logged_in, catalog):
    sku = catalog["sku"]
    assert logged_in.post_form(f"/products/skus/{sku}/unlink").status_code == 303
    with app.app_context():
        assert db.session.get(m.TikTokSku, sku).link_state == m.UNLINKED
    response = logged_in.post_form(f"/products/skus/{sku}/link", {"etsy_sku": catalog["etsy"]})
    assert response.status_code == 303
    with app.app_context():
        row = db.session.get(m.TikTokSku, sku)
        assert (row.link_state, row.etsy_sku_pk) == (m.LINKED, catalog["etsy"])
    # linking to another seller's Etsy SKU is refused and changes nothing
    logged_in.post_form(f"/products/skus/{sku}/unlink")
    logged_in.post_form(f"/products/skus/{sku}/link", {"etsy_sku": catalog["other"][1]})
    with app.app_context():
        assert db.session.get(m.TikTokSku, sku).link_state == m.UNLINKED
    assert logged_in.post_form(f"/products/skus/{sku}/auto").status_code == 303
    with app.app_context():
        assert db.session.get(m.TikTokSku, sku).link_state == m.LINKED


def test_held_price_is_sent_only_after_the_sellers_confirmation(app, logged_in, catalog):
    assert logged_in.post_form(f"/products/pushes/{catalog['push']}/confirm").status_code == 303
    with app.app_context():
        assert db.session.get(m.PushRecord, catalog["push"]).state == m.CLAIMED


def test_another_sellers_products_are_404(logged_in, catalog):
    sku, etsy, push = catalog["other"]
    shop = catalog["other_shop"].id
    assert logged_in.get(f"/products/skus/{sku}").status_code == 404
    for url in (
        f"/products/skus/{sku}/unlink",
        f"/products/skus/{sku}/auto",
        f"/products/pushes/{push}/confirm",
        f"/products/shops/{shop}/sync",
        f"/products/settings/{shop}",
        f"/products/settings/{shop}/confirm",
    ):
        assert logged_in.post_form(url, {"etsy_sku": etsy, "on": "sync_price"}).status_code == 404, url
    assert logged_in.get(f"/products/settings/{shop}/preview?on=sync_price").status_code == 404


def test_anonymous_is_sent_to_login_and_writes_need_the_csrf_token(client, logged_in, catalog):
    sku = catalog["sku"]
    assert logged_in.post(f"/products/skus/{sku}/unlink").status_code == 400  # no token
    fresh = client.application.test_client()
    for url in ("/products", "/products/settings", f"/products/skus/{sku}"):
        response = fresh.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def _form(shop_id: int, **changes) -> dict:
    values = {
        "price_mode": "percent", "price_adjust": "0", "price_rounding": "none", "currency_rate": "",
        "max_price_change_percent": "50", "inventory_buffer": "0", "inventory_percent": "100",
        "inventory_max": "", "interval_minutes": "15",
    }  # fmt: skip
    return {**values, **changes}


def test_settings_one_form_per_shop_with_the_named_checkboxes_all_off(logged_in, catalog):
    html = logged_in.get("/products/settings").get_data(as_text=True)
    shop = catalog["shop"].id
    form = html[html.index(f'action="/products/settings/{shop}"') :]
    for name in ("sync_product_info", "sync_price", "sync_inventory"):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', form).group(0)
        assert 'type="checkbox"' in tag and "checked" not in tag


def test_switching_on_shows_the_preview_and_sends_nothing_until_confirmed(app, logged_in, catalog):
    shop = catalog["shop"].id
    response = logged_in.post_form(
        f"/products/settings/{shop}", _form(shop, sync_price="y", price_adjust="10")
    )
    assert (
        response.status_code == 303
        and f"/products/settings/{shop}/preview?on=sync_price" in response.headers["Location"]
    )
    with app.app_context():
        row = db.session.get(m.ProductSyncSettings, shop)
        assert row.sync_price is False and row.price_adjust == Decimal("10.00")  # rule saved, switch not on
    preview = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>1</strong> SKU will change" in preview and "20.00 → 52.80" in preview
    assert logged_in.post_form(f"/products/settings/{shop}/confirm", {"on": "sync_price"}).status_code == 303
    with app.app_context():
        assert db.session.get(m.ProductSyncSettings, shop).sync_price is True


def test_inventory_goes_on_only_while_etsy_stock_follows_tiktok_sales(app, logged_in, seller, catalog):
    shop = catalog["shop"].id
    logged_in.post_form(f"/products/settings/{shop}/confirm", {"on": "sync_inventory"})
    with app.app_context():
        assert db.session.get(m.ProductSyncSettings, shop).sync_inventory is False
        db.session.add(
            SellerSettings(
                seller_id=seller.id,
                stock_follows_sales=True,
                stock_follows_sales_after=int(utcnow().timestamp()),
            )
        )
        db.session.commit()
    logged_in.post_form(f"/products/settings/{shop}/confirm", {"on": "sync_inventory"})
    with app.app_context():
        assert db.session.get(m.ProductSyncSettings, shop).sync_inventory is True


def test_bad_settings_are_a_422_and_change_nothing(app, logged_in, catalog):
    shop = catalog["shop"].id
    response = logged_in.post_form(f"/products/settings/{shop}", _form(shop, inventory_percent="250"))
    assert response.status_code == 422
    with app.app_context():
        assert (
            db.session.scalar(
                select(m.ProductSyncSettings.inventory_percent).where(
                    m.ProductSyncSettings.tiktok_shop_id == shop
                )
            )
            == 100
        )


def _etsy_delivery(app, client, body: dict, secret: str | None = None, age: int = 0):
    import base64
    import json
    import time

    from connector_app.products.etsy_webhook import signature_of

    raw = json.dumps(body).encode()
    key = secret or app.config["ETSY_WEBHOOK_SECRET"]
    stamp = str(int(time.time()) - age)
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": stamp,
        "webhook-signature": "v1," + signature_of(key, "msg_1", stamp, raw),
        "content-type": "application/json",
    }
    assert base64.b64decode(key.removeprefix("whsec_"))
    return client.post("/products/webhooks/etsy", data=raw, headers=headers)


def test_etsy_order_paid_checks_the_following_shops_at_once(app, client, factories, seller, catalog):
    from connector_app.sync.models import SyncRun

    app.config["ETSY_WEBHOOK_SECRET"] = "whsec_" + __import__("base64").b64encode(b"k" * 24).decode()
    shop = catalog["shop"].id
    with app.app_context():
        etsy_shop = db.session.scalar(select(m.EtsyCatalogSku.etsy_connection_id).limit(1))
        from connector_app.connect.models import EtsyConnection

        shop_number = db.session.get(EtsyConnection, etsy_shop).etsy_shop_id
        db.session.get(m.ProductSyncSettings, shop).sync_price = True
        db.session.commit()
    body = {
        "event_type": "order.paid",
        "resource_url": "https://openapi.etsy.com/x",
        "shop_id": int(shop_number),
    }
    wrong = "whsec_" + __import__("base64").b64encode(b"x" * 24).decode()
    assert _etsy_delivery(app, client, body, secret=wrong).status_code == 401
    assert _etsy_delivery(app, client, body, age=3600).status_code == 401  # a replay
    assert _etsy_delivery(app, client, body).status_code == 200
    assert _etsy_delivery(app, client, body).status_code == 200  # delivered again: still one run
    with app.app_context():
        runs = db.session.scalars(select(SyncRun).where(SyncRun.subject == "catalog")).all()
        assert [(r.tiktok_shop_id, r.trigger) for r in runs] == [(shop, "etsy_order")]
