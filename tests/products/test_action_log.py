"""Every catalog push is in the action log beside the seller's decisions: one entry per TikTok call
(a product's price, stock or information in one run), each SKU with what was sent and TikTok's answer
and reason, and what started the run; filterable as "catalog pushes"; another seller's pushes never
show."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector_app.extensions import db
from connector_app.products import models as m
from connector_app.sync.models import SUCCEEDED, SyncRun
from tests.security.seed import seed_products


@pytest.fixture
def pushes(app, factories, seller):
    """The seller's held price change, plus one stock call of a scheduled run that set two SKUs: one
    done, one refused with TikTok's reason. Another seller has a push of its own."""
    shop = factories.tiktok_shop(seller, name="Harbor US")
    etsy = factories.etsy_connection(seller)
    other = factories.seller(email="other@example.com")
    other_shop = factories.tiktok_shop(other, name="Other US")
    other_etsy = factories.etsy_connection(other)
    with app.app_context():
        sku_pk, _etsy, _held = seed_products(seller.id, shop.id, etsy.id, "mine")
        seed_products(other.id, other_shop.id, other_etsy.id, "theirs")
        first = db.session.get(m.TikTokSku, sku_pk)
        second = m.TikTokSku(
            seller_id=seller.id, tiktok_shop_id=shop.id, product_pk=first.product_pk,
            sku_id="1729000000000000002", seller_sku="SKU-MINE-CUP", price=Decimal("9.00"),
            currency="USD", quantity=1,
            warehouse_stock={"7300": 1}, link_state=m.LINKED,
        )  # fmt: skip
        db.session.add(second)
        db.session.add(
            SyncRun(
                id="catalog-run-1", seller_id=seller.id, tiktok_shop_id=shop.id, subject="catalog",
                kind="incremental", trigger="schedule", state=SUCCEEDED,
            )
        )  # fmt: skip
        db.session.flush()
        product_id = first.product.product_id
        for sku, state, message in (
            (first, m.DONE, None),
            (second, m.FAILED, "The SKU is locked by a promotion (12052230)"),
        ):
            db.session.add(
                m.PushRecord(
                    seller_id=seller.id, sku_pk=sku.id, tiktok_shop_id=shop.id, product_id=product_id,
                    sku_id=sku.sku_id, field=m.INVENTORY, change_key=f"5:{sku.sku_id}", before="7300=9",
                    target="7300=3", state=state, message=message, run_id="catalog-run-1",
                )
            )  # fmt: skip
        db.session.commit()
    return {"shop": shop, "product_id": product_id}


def test_each_push_call_is_one_entry_with_per_sku_results_and_what_started_it(logged_in, pushes):
    page = logged_in.get("/actions?show=pushes")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('class="log-push"') == 2  # the stock call of the run, and the held price change
    assert "Stock of 2 SKUs in Harbor US" in html and "Price of 1 SKU in Harbor US" in html
    assert "started by: The schedule" in html
    assert "SKU-MINE-CUP" in html and "The SKU is locked by a promotion (12052230)" in html
    assert "1 of 2 SKUs refused by TikTok" in html
    assert "7300=9 → 7300=3" in html and "20.00 → 48.00" in html
    assert "Waits for your confirmation" in html
    assert "Mine TikTok teapot product" in html and f"q={pushes['product_id']}" in html
    assert "THEIRS" not in html and "Theirs TikTok" not in html  # another seller's pushes never show


def test_the_log_shows_pushes_beside_decisions_and_filters_them(logged_in, pushes):
    everything = logged_in.get("/actions").get_data(as_text=True)
    assert everything.count('class="log-push"') == 2 and "Catalog pushes" in everything
    decisions = logged_in.get("/actions?show=decisions").get_data(as_text=True)
    assert 'class="log-push"' not in decisions and "No decisions yet" in decisions
    unknown = logged_in.get("/actions?show=<script>").get_data(as_text=True)
    assert unknown.count('class="log-push"') == 2  # an unknown filter shows everything


def test_a_seller_without_pushes_is_told_where_they_come_from(logged_in):
    html = logged_in.get("/actions?show=pushes").get_data(as_text=True)
    assert "No catalog pushes yet" in html and "/products/settings" in html


def test_a_held_change_the_seller_confirmed_says_who_confirmed_it(app, logged_in, pushes, seller):
    with app.app_context():
        held = db.session.scalars(
            db.select(m.PushRecord).where(m.PushRecord.state == m.HELD, m.PushRecord.seller_id == seller.id)
        ).one()
        held_id = held.id
    assert logged_in.post_form(f"/products/pushes/{held_id}/confirm").status_code == 303
    with app.app_context():
        held = db.session.get(m.PushRecord, held_id)
        assert held.confirmed_by == seller.email
        held.state, held.run_id, held.message = m.DONE, "catalog-run-1", None  # sent by the next run
        db.session.commit()
    html = logged_in.get("/actions?show=pushes").get_data(as_text=True)
    assert f"held price change confirmed by {seller.email}" in html
    assert "Waits for your confirmation" not in html
