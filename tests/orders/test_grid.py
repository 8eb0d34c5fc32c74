"""The orders grid, FBT view, CSV, detail, the setting: what a seller sees, and who may see it."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest
from sqlalchemy import select

from connector_app.extensions import db
from connector_app.orders.models import Order
from connector_app.returns.services import upsert_requests
from tests.orders.helpers import line, order, store


def pk_of(app, order_id: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Order.id).where(Order.order_id == order_id))


@pytest.fixture
def many(app, shop):
    statuses = [
        "ON_HOLD",
        "AWAITING_SHIPMENT",
        "AWAITING_COLLECTION",
        "IN_TRANSIT",
        "DELIVERED",
        "COMPLETED",
        "CANCELLED",
    ]
    items = [
        order(f"5760000000000001{i:02d}", status=s, paid_time=1_700_000_000) for i, s in enumerate(statuses)
    ]
    items.append(
        order(
            "576000000000000199",
            fulfillment_type="FULFILLMENT_BY_TIKTOK",
            skus=("SKU-2",),
            paid_time=1_700_000_000,
        )
    )
    items.append(
        order(
            "576000000000000198",
            skus=("SKU-1",),
            tracking_number="TRK-777",
            status="IN_TRANSIT",
            paid_time=1_700_000_000,
        )
    )
    store(app, shop, *items)
    return items


def test_tabs_have_counts_and_list_their_orders(app, many, logged_in):
    page = logged_in.get("/orders").get_data(as_text=True)
    for label in (
        "All",
        "On Hold",
        "Awaiting Shipment",
        "Awaiting Collection",
        "In Transit",
        "Delivered",
        "Completed",
        "Cancelled",
        "Needs attention",
    ):
        assert label in page
    assert 'id="order-tab-count-all">9<' in page
    assert 'id="order-tab-count-in_transit">2<' in page
    on_hold = logged_in.get("/orders?tab=on_hold").get_data(as_text=True)
    assert "576000000000000100" in on_hold and "576000000000000101" not in on_hold


def test_htmx_swaps_the_grid_and_counts_out_of_band(app, many, logged_in):
    response = logged_in.htmx("GET", "/orders?tab=cancelled")
    body = response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in body and 'id="orders-grid"' in body and 'hx-swap-oob="true"' in body
    assert "576000000000000106" in body


def test_search_filters_sort_and_paging(app, many, logged_in):
    found = logged_in.get("/orders?q=trk-777").get_data(as_text=True)
    assert "576000000000000198" in found and "576000000000000100" not in found
    assert "576000000000000199" in logged_in.get("/orders?q=sku-2").get_data(as_text=True)
    fbt_only = logged_in.get("/orders?type=fbt").get_data(as_text=True)
    assert "576000000000000199" in fbt_only and "576000000000000198" not in fbt_only
    first = logged_in.get("/orders?size=25&sort=created-asc").get_data(as_text=True)
    assert "Page 1 of 1" in first
    weird = logged_in.get("/orders?tab=nope&page=%C2%B2&from=yesterday")
    assert weird.status_code == 200 and "Unknown tab" in weird.get_data(as_text=True)


def test_search_ignores_accents_and_case(app, shop, logged_in):
    store(
        app,
        shop,
        order("576000000000000301", lines=(line(1, "SKU-9", product_name="Macramé Wall Hanging"),)),
        order("576000000000000302", lines=(line(2, "SKU-8", product_name="Plain mug"),)),
    )
    for typed in ("macrame", "MACRAMÉ", "Macrame wall"):
        page = logged_in.get("/orders", query_string={"q": typed}).get_data(as_text=True)
        assert "576000000000000301" in page and "576000000000000302" not in page, typed


def test_ship_by_countdown_only_for_seller_shipped_orders_to_ship(app, many, logged_in):
    page = logged_in.get("/orders?tab=awaiting_shipment").get_data(as_text=True)
    assert "deadline-chip" in page
    fbt = logged_in.get("/orders/fbt").get_data(as_text=True)
    assert "TikTok ships" in fbt and "576000000000000199" in fbt and "576000000000000101" not in fbt
    assert "(filtered)" not in fbt


def test_csv_export_lists_the_view(app, many, logged_in):
    response = logged_in.get("/orders/export.csv?tab=in_transit")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][0] == "order_id" and {r[0] for r in rows[1:]} == {
        "576000000000000103",
        "576000000000000198",
    }


def test_detail_shows_masked_buyer_and_links_returns_both_ways(app, many, shop, factories, logged_in):
    with app.app_context():
        item = factories.aftersale(request_id="4035000000000001", sku="SKU-1")
        upsert_requests(db.session.merge(shop), [replace(item, order_id="576000000000000105")])
        db.session.commit()
    pk = pk_of(app, "576000000000000105")
    page = logged_in.get(f"/orders/{pk}").get_data(as_text=True)
    assert "J*** S***" in page and "(+1)555*****23" in page
    assert "/returns/4035000000000001" in page
    back = logged_in.get("/returns/4035000000000001").get_data(as_text=True)
    assert f"/orders/{pk}" in back
    on_hold = logged_in.get(f"/orders/{pk_of(app, '576000000000000100')}").get_data(as_text=True)
    assert "TikTok will not ship it" in on_hold
    fbt = logged_in.get(f"/orders/{pk_of(app, '576000000000000199')}").get_data(as_text=True)
    assert "TikTok ships Fulfilled-by-TikTok orders" in fbt and "never changed" in fbt


@pytest.mark.parametrize(
    "path", ["/orders", "/orders/fbt", "/orders/export.csv", "/orders/stock", "/orders/{pk}"]
)
def test_anonymous_is_sent_to_login(app, many, client, path):
    response = client.get(path.format(pk=pk_of(app, "576000000000000100")))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/orders/{pk}", "/orders/moves/1/handled"])
def test_another_sellers_order_is_a_404(app, many, client, auth, factories, path):
    other = factories.seller(email="other@example.com")
    auth.login(other.email)
    url = path.format(pk=pk_of(app, "576000000000000100"))
    response = client.post_form(url) if "handled" in url else client.get(url)
    assert response.status_code == 404
    assert "576000000000000100" not in client.get("/orders").get_data(as_text=True)


def test_switching_the_setting_on_needs_the_confirmation_and_csrf(app, seller, logged_in):
    from connector_app.accounts.preferences import stock_follows_sales

    assert (
        logged_in.post("/orders/stock", data={"enabled": "1", "confirmed": "1"}).status_code == 400
    )  # no token
    asked = logged_in.post_form("/orders/stock", {"enabled": "1"})
    assert asked.status_code == 200 and "Switch it on?" in asked.get_data(as_text=True)
    with app.app_context():
        assert stock_follows_sales(seller.id) is None  # asking changed nothing
    done = logged_in.post_form("/orders/stock", {"enabled": "1", "confirmed": "1"})
    assert done.status_code == 303
    with app.app_context():
        assert stock_follows_sales(seller.id) is not None
    assert "since" in logged_in.get("/orders/stock").get_data(as_text=True)
    logged_in.post_form("/orders/stock", {"enabled": "0"})
    with app.app_context():
        assert stock_follows_sales(seller.id) is None
