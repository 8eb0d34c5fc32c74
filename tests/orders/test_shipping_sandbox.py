"""End to end against the sandbox marketplace: a seller ships a TikTok order from the order's page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from connector_app.connect.clients import tiktok_client_for
from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.marketplaces.tiktok import orders as api
from connector_app.orders.jobs import store_orders
from connector_app.orders.models import SHIP_DONE, Order, Shipment
from sandbox_marketplace.testing import SandboxServer
from tests.actions.helpers import connect_sandbox_shop, run_jobs

KEY = re.compile(r'name="key" value="([^"]+)"')
CARRIER = re.compile(r'<option value="(\d+)"\s*>USPS</option>')


@pytest.fixture(scope="module")
def sb() -> Iterator[SandboxServer]:
    with SandboxServer(seed=5, returns=20, SANDBOX_TIKTOK_QPS=10_000, SANDBOX_ETSY_QPS=10_000) as server:
        yield server


def _placed_order(app, sb, shop: TikTokShop, remote: dict) -> int:
    """A paid order placed on the sandbox (past its hold), synced into the app as the sync would."""
    sku = sb._call("GET", "/orders", params={"shop_id": remote["id"]})[0]["line_items"][0][1]
    placed = sb._call(
        "POST", "/orders", json={"shop_id": remote["id"], "seller_sku": sku, "units": 2, "pay": True}
    )
    if placed["status"] == "ON_HOLD":
        sb._call("POST", f"/orders/{placed['order_id']}/status", json={"status": "AWAITING_SHIPMENT"})
    with app.app_context():
        row = db.session.get(TikTokShop, shop.id)
        store_orders(row, api.get_orders(tiktok_client_for(row), [placed["order_id"]]))
        return db.session.scalar(select(Order.id).where(Order.order_id == placed["order_id"]))


def test_a_seller_ships_an_order_from_its_page(app, sb, factories, seller, logged_in):
    remote = next(s for s in sb.shops() if s["seller"] == "Harbor & Pine Goods" and s["region"] == "US")
    shop = connect_sandbox_shop(app, sb, factories, seller, remote)
    pk = _placed_order(app, sb, shop, remote)

    assert "Loading TikTok's carriers" in logged_in.get(f"/orders/{pk}").get_data(as_text=True)
    run_jobs(app)
    page = logged_in.get(f"/orders/{pk}").get_data(as_text=True)
    carrier, key = CARRIER.search(page).group(1), KEY.search(page).group(1)
    lines = re.findall(r'name="lines" value="(\d+)"', page)
    assert len(lines) == 2  # one TikTok line per unit
    form = {"key": key, "carrier": carrier, "tracking": "9400111899223344551234", "lines": lines}
    assert logged_in.post_form(f"/orders/{pk}/ship", form).status_code == 303
    assert logged_in.post_form(f"/orders/{pk}/ship", form).status_code == 303  # sent twice: shipped once
    run_jobs(app)

    with app.app_context():
        (shipment,) = db.session.scalars(select(Shipment)).all()
        assert shipment.state == SHIP_DONE and shipment.package_id
        order = db.session.get(Order, pk)
        assert order.status == "AWAITING_COLLECTION" and order.tracking_number == "9400111899223344551234"
    page = logged_in.get(f"/orders/{pk}").get_data(as_text=True)
    assert "Shipped with USPS 9400111899223344551234" in page and "Mark shipped on TikTok" not in page
    assert "Correct the tracking number (once)" in page


def test_a_sea_seller_ships_the_package_tiktok_named_before_shipping(app, sb, factories, seller, logged_in):
    """Indonesia ships by Ship Package: the order carries its package id before it ships (US and UK
    orders do not), and the sandbox refuses Mark Package As Shipped there as TikTok does."""
    remote = next(s for s in sb.shops() if s["region"] == "ID")
    shop = connect_sandbox_shop(app, sb, factories, seller, remote)
    pk = _placed_order(app, sb, shop, remote)
    with app.app_context():
        assert all(line.package_id for line in db.session.get(Order, pk).lines)

    assert "Loading TikTok's carriers" in logged_in.get(f"/orders/{pk}").get_data(as_text=True)
    run_jobs(app)
    page = logged_in.get(f"/orders/{pk}").get_data(as_text=True)
    carrier = re.search(r'<option value="(\d+)"\s*>J&amp;T Express</option>', page).group(1)
    key = KEY.search(page).group(1)
    lines = re.findall(r'name="lines" value="(\d+)"', page)
    form = {"key": key, "carrier": carrier, "tracking": "JT0012345678", "lines": lines}
    assert logged_in.post_form(f"/orders/{pk}/ship", form).status_code == 303
    run_jobs(app)

    with app.app_context():
        (shipment,) = db.session.scalars(select(Shipment).where(Shipment.order_pk == pk)).all()
        assert shipment.state == SHIP_DONE and shipment.package_id
        order = db.session.get(Order, pk)
        assert order.status == "AWAITING_COLLECTION" and order.tracking_number == "JT0012345678"


def test_a_split_shipment_from_the_page_leaves_the_other_item_to_ship(app, sb, factories, seller, logged_in):
    remote = next(s for s in sb.shops() if s["seller"] == "Harbor & Pine Goods" and s["region"] == "US")
    shop = connect_sandbox_shop(app, sb, factories, seller, remote)
    pk = _placed_order(app, sb, shop, remote)
    logged_in.get(f"/orders/{pk}")
    run_jobs(app)
    page = logged_in.get(f"/orders/{pk}").get_data(as_text=True)
    carrier, key = CARRIER.search(page).group(1), KEY.search(page).group(1)
    first, second = re.findall(r'name="lines" value="(\d+)"', page)
    form = {"key": key, "carrier": carrier, "tracking": "9400111899223344550001", "lines": [first]}
    assert logged_in.post_form(f"/orders/{pk}/ship", form).status_code == 303
    run_jobs(app)
    with app.app_context():
        (shipment,) = db.session.scalars(select(Shipment).where(Shipment.order_pk == pk)).all()
        assert shipment.state == SHIP_DONE
        row = db.session.get(TikTokShop, shop.id)
        (order,) = api.get_orders(tiktok_client_for(row), [db.session.get(Order, pk).order_id])
        assert order.status == "PARTIALLY_SHIPPING"
        store_orders(row, [order])  # as the status webhook's re-fetch does

    page = logged_in.get(f"/orders/{pk}").get_data(as_text=True)
    assert re.findall(r'name="lines" value="(\d+)"', page) == [second]  # only the item still to ship
    form = {"key": KEY.search(page).group(1), "carrier": carrier, "tracking": "9400111899223344550002",
            "lines": [second]}  # fmt: skip
    assert logged_in.post_form(f"/orders/{pk}/ship", form).status_code == 303
    run_jobs(app)
    with app.app_context():
        assert {s.state for s in db.session.scalars(select(Shipment).where(Shipment.order_pk == pk))} == {
            SHIP_DONE
        }
        row = db.session.get(TikTokShop, shop.id)
        (order,) = api.get_orders(tiktok_client_for(row), [db.session.get(Order, pk).order_id])
        assert order.status == "AWAITING_COLLECTION"
