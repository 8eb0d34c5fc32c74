"""The grid: rows, search, every filter, every sort, keyset paging, htmx fragments and live counts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connector_app.accounts.models import Seller
from connector_app.extensions import db
from connector_app.timeutil import utcnow
from tests.returns.conftest import row_ids, tab_count

NOW = int(utcnow().timestamp())


def test_row_shows_what_the_seller_needs(logged_in, factories, shop):
    item = factories.aftersale(
        next_action="SELLER_RESPOND_RETURN",
        deadline=NOW + 5 * 3600,
        sku="MUG-BLUE",
        product_name="Blue ceramic mug",
        total="31.50",
        reason_text="Arrived broken",
    )
    factories.returns(shop, [item])
    html = logged_in.get("/returns?tab=all").get_data(as_text=True)
    for text in (
        item.request_id,
        item.order_id,
        "Return and refund",
        "Blue ceramic mug",
        "SKU MUG-BLUE",
        "Qty 1",
        "Arrived broken",
        "31.50 USD",
        'class="needs-action deadline-row-soon"',
        "Approve or reject the return",
        "deadline-soon",
        "left",
        'src="https://example.com/mug.jpg"',
    ):
        assert text in html, text


def test_overdue_deadline_is_highlighted(logged_in, factories, shop):
    factories.returns(shop, [factories.aftersale(next_action="SELLER_RESPOND_REFUND", deadline=NOW - 7200)])
    html = logged_in.get("/returns?tab=all").get_data(as_text=True)
    assert "deadline-overdue" in html and "overdue by 2 h" in html


def test_shop_with_region_shown_only_when_several_shops(logged_in, factories, seller, shop):
    factories.returns(shop, [factories.aftersale()])
    assert "Main Street (US)" not in logged_in.get("/returns?tab=all").get_data(as_text=True)
    second = factories.tiktok_shop(seller, name="Second", region="GB")
    factories.returns(second, [factories.aftersale()])
    html = logged_in.get("/returns?tab=all").get_data(as_text=True)
    assert "Main Street (US)" in html and "Second (GB)" in html


@pytest.mark.parametrize(
    "query", ["5768SEARCH0001", "5766ORDER00001", "mug-red", "Velvet", "velvet cushion", "MUG-R"]
)
def test_search_by_request_order_sku_or_product(logged_in, factories, shop, query):
    wanted = factories.aftersale(
        request_id="5768SEARCH0001", order_id="5766ORDER00001", sku="MUG-RED", product_name="Velvet cushion"
    )
    factories.returns(shop, [wanted, factories.aftersale(sku="OTHER", product_name="Linen apron")])
    assert row_ids(logged_in.get("/returns", query_string={"tab": "all", "q": query})) == [wanted.request_id]


def test_search_treats_wildcards_literally(logged_in, factories, shop):
    factories.returns(shop, [factories.aftersale(sku="A_B"), factories.aftersale(sku="AXB")])
    assert len(row_ids(logged_in.get("/returns?tab=all&q=a_b"))) == 1
    assert row_ids(logged_in.get("/returns?tab=all&q=%25")) == []


def test_filter_by_shop(logged_in, factories, seller, shop):
    second = factories.tiktok_shop(seller, name="Second")
    mine = factories.aftersale()
    factories.returns(shop, [mine])
    factories.returns(second, [factories.aftersale()])
    page = logged_in.get(f"/returns?tab=all&shop={shop.id}")
    assert row_ids(page) == [mine.request_id]
    assert tab_count(page, "all") == 1
    assert len(row_ids(logged_in.get("/returns?tab=all&shop=all"))) == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [("refund", "r1"), ("return_and_refund", "r2"), ("replacement", "r3"), ("cancellation", "c1")],
)
def test_filter_by_type(logged_in, factories, shop, value, expected):
    items = {
        "r1": factories.aftersale(request_type="REFUND"),
        "r2": factories.aftersale(request_type="RETURN_AND_REFUND"),
        "r3": factories.aftersale(request_type="REPLACEMENT", status="REPLACEMENT_REQUEST_PENDING"),
        "c1": factories.aftersale(
            kind="cancellation", request_type="CANCEL", status="CANCELLATION_REQUEST_PENDING"
        ),
    }
    factories.returns(shop, list(items.values()))
    page = logged_in.get(f"/returns?tab=all&type={value}")
    assert row_ids(page) == [items[expected].request_id]
    assert tab_count(page, "applying") == 1  # all four are pending: the filtered count is one


def test_filter_by_reason(logged_in, factories, shop):
    damaged = factories.aftersale(reason="damaged", reason_text="Damaged in transit")
    factories.returns(shop, [damaged, factories.aftersale(reason="wrong_size", reason_text="Wrong size")])
    page = logged_in.get("/returns?tab=all&reason=damaged")
    assert row_ids(page) == [damaged.request_id]
    assert "Damaged in transit" in logged_in.get("/returns?tab=all").get_data(
        as_text=True
    )  # offered as an option


def test_date_range_uses_the_sellers_timezone(app, logged_in, factories, seller, shop):
    late_evening_ny = int(datetime(2025, 3, 10, 3, 0, tzinfo=UTC).timestamp())  # 9 March 23:00 in New York
    item = factories.aftersale(create_time=late_evening_ny, update_time=late_evening_ny + 60)
    factories.returns(shop, [item, factories.aftersale()])
    assert (
        row_ids(logged_in.get("/returns?tab=all&from=2025-03-09&to=2025-03-09")) == []
    )  # UTC: it is 10 March
    with app.app_context():
        db.session.get(Seller, seller.id).timezone = "America/New_York"
        db.session.commit()
    assert row_ids(logged_in.get("/returns?tab=all&from=2025-03-09&to=2025-03-09")) == [item.request_id]
    assert row_ids(logged_in.get("/returns?tab=all&from=2025-03-10")) != [item.request_id]


def test_needs_my_action_filter(logged_in, factories, shop):
    waiting = factories.aftersale(next_action="SELLER_RESPOND_REFUND", deadline=NOW + 86400 * 2)
    factories.returns(shop, [waiting, factories.aftersale(status="AWAITING_BUYER_SHIP")])
    page = logged_in.get("/returns?tab=all&action=1")
    assert row_ids(page) == [waiting.request_id]
    assert tab_count(page, "all") == 1


@pytest.fixture
def sortable(factories, shop):
    items = [
        factories.aftersale(total="10.00", create_time=NOW - 500, update_time=NOW - 10),
        factories.aftersale(
            total="99.00",
            create_time=NOW - 300,
            update_time=NOW - 30,
            next_action="SELLER_RESPOND_RETURN",
            deadline=NOW + 100,
        ),
        factories.aftersale(
            total="50.00",
            create_time=NOW - 100,
            update_time=NOW - 20,
            next_action="SELLER_RESPOND_REFUND",
            deadline=NOW + 50,
        ),
    ]
    factories.returns(shop, items)
    return [item.request_id for item in items]


@pytest.mark.parametrize(
    ("sort", "direction", "order"),
    [
        ("updated", "desc", [0, 2, 1]),
        ("updated", "asc", [1, 2, 0]),
        ("requested", "desc", [2, 1, 0]),
        ("requested", "asc", [0, 1, 2]),
        ("amount", "desc", [1, 2, 0]),
        ("amount", "asc", [0, 2, 1]),
        ("deadline", "asc", [2, 1, 0]),  # no deadline sorts last
        ("deadline", "desc", [0, 1, 2]),
    ],
)
def test_every_sort(logged_in, sortable, sort, direction, order):
    page = logged_in.get(f"/returns?tab=all&sort={sort}&dir={direction}")
    assert row_ids(page) == [sortable[i] for i in order]


@pytest.mark.parametrize("sort", ["updated", "requested", "amount", "deadline"])
def test_keyset_pages_cover_every_row_once_both_ways(logged_in, factories, shop, sort):
    # 60 requests with many equal sort keys: the id breaks ties, so nothing is skipped or repeated.
    items = [
        factories.aftersale(
            total=f"{(n % 4) * 10}.00",
            create_time=NOW - 1000 + n // 3,
            update_time=NOW - (n // 5),
            next_action="SELLER_RESPOND_RETURN" if n % 2 else None,
            deadline=NOW + (n % 3) * 60 if n % 2 else None,
        )
        for n in range(60)
    ]
    factories.returns(shop, items)
    everything = row_ids(logged_in.get(f"/returns?tab=all&sort={sort}&size=100"))
    assert sorted(everything) == sorted(i.request_id for i in items)

    seen, pages, url = [], [], f"/returns?tab=all&sort={sort}&size=25"
    while url:
        response = logged_in.get(url)
        pages.append(url)
        seen += row_ids(response)
        url = _link(response, "next")
    assert seen == everything and len(pages) == 3

    back = []
    url = _link(logged_in.get(pages[-1]), "prev")
    while url:
        response = logged_in.get(url)
        back = row_ids(response) + back
        url = _link(response, "prev")
    assert back == everything[:50]


def _link(response, rel: str) -> str | None:
    import html
    import re

    match = re.search(rf'<a href="([^"]+)"[^>]*rel="{rel}"', response.get_data(as_text=True))
    return html.unescape(match.group(1)) if match else None


def test_page_size_choice_and_default_from_settings(app, logged_in, factories, seller, shop):
    factories.returns(shop, [factories.aftersale() for _ in range(30)])
    assert len(row_ids(logged_in.get("/returns?tab=all"))) == 30
    from connector_app.accounts.preferences import settings_for_update

    with app.app_context():
        settings_for_update(seller.id).page_size = 25
        db.session.commit()
    assert len(row_ids(logged_in.get("/returns?tab=all"))) == 25
    assert len(row_ids(logged_in.get("/returns?tab=all&size=50"))) == 30


def test_default_shop_from_settings(app, logged_in, factories, seller, shop):
    second = factories.tiktok_shop(seller, name="Second")
    factories.returns(shop, [factories.aftersale()])
    preferred = factories.aftersale()
    factories.returns(second, [preferred])
    from connector_app.accounts.preferences import settings_for_update

    with app.app_context():
        settings_for_update(seller.id).default_shop_id = second.id
        db.session.commit()
    assert row_ids(logged_in.get("/returns?tab=all")) == [preferred.request_id]
    assert len(row_ids(logged_in.get("/returns?tab=all&shop=all"))) == 2


def test_htmx_tab_switch_is_a_fragment_with_out_of_band_counts(logged_in, factories, shop):
    factories.returns(shop, [factories.aftersale(), factories.aftersale(status="AWAITING_BUYER_SHIP")])
    full = logged_in.get("/returns?tab=returning")
    fragment = logged_in.get("/returns?tab=returning", headers={"HX-Request": "true"})
    for response in (full, fragment):
        assert response.status_code == 200
        assert "HX-Request" in response.headers.get("Vary", "")
        assert len(row_ids(response)) == 1
        assert tab_count(response, "all") == 2 and tab_count(response, "applying") == 1
    assert "<html" in full.get_data(as_text=True)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="returns-tabs"' in body and 'hx-swap-oob="true"' in body
    assert 'id="returns-grid"' in body and 'hx-trigger="returns-changed from:body"' in body
    assert 'aria-current="page"' in body.split('id="returns-grid"')[0]  # the active tab moves too


def test_counts_follow_status_changes(logged_in, factories, shop):
    item = factories.aftersale(update_time=NOW - 100)
    factories.returns(shop, [item])
    page = logged_in.get("/returns?tab=all")
    assert (tab_count(page, "applying"), tab_count(page, "returning")) == (1, 0)

    moved = factories.aftersale(request_id=item.request_id, status="AWAITING_BUYER_SHIP", update_time=NOW)
    factories.returns(shop, [moved], source="webhook")
    page = logged_in.get("/returns?tab=returning", headers={"HX-Request": "true"})
    assert (tab_count(page, "all"), tab_count(page, "applying"), tab_count(page, "returning")) == (1, 0, 1)
    assert row_ids(page) == [item.request_id]
    assert row_ids(logged_in.get("/returns?tab=applying")) == []


def test_filtered_counts_are_counted_on_the_filtered_set(logged_in, factories, shop):
    factories.returns(
        shop,
        [
            factories.aftersale(sku="KEEP"),
            factories.aftersale(sku="KEEP", status="AWAITING_BUYER_SHIP"),
            factories.aftersale(sku="DROP"),
        ],
    )
    page = logged_in.get("/returns?tab=all&q=keep")
    assert (tab_count(page, "all"), tab_count(page, "applying"), tab_count(page, "returning")) == (2, 1, 1)


def test_empty_states(logged_in, factories, seller):
    no_store = logged_in.get("/returns?tab=all").get_data(as_text=True)
    assert 'href="/connect"' in no_store and "Connect" in no_store
    factories.tiktok_shop(seller)
    nothing = logged_in.get("/returns?tab=all").get_data(as_text=True)
    assert "No requests synced yet" in nothing and "Sync Returns" in nothing
