"""Urgency first: "Needs your answer", refund totals per currency, search that forgives accents, page
numbers, and the rows of shops that cannot be answered."""

from __future__ import annotations

import random
import re
from decimal import Decimal

from sqlalchemy import select

from connector_app.extensions import db
from connector_app.returns.models import ReturnTabCount
from connector_app.returns.services import counter_rows_from_requests
from connector_app.timeutil import utcnow
from tests.returns.conftest import row_ids, tab_count

NOW = int(utcnow().timestamp())
WAITING = "SELLER_RESPOND_REFUND"


def waiting(factories, **fields):
    return factories.aftersale(next_action=WAITING, **fields)


def test_the_grid_opens_on_what_waits_for_an_answer_overdue_first(logged_in, factories, shop):
    later = waiting(factories, deadline=NOW + 30 * 3600)
    overdue = waiting(factories, deadline=NOW - 3600)
    soon = waiting(factories, deadline=NOW + 3600)
    no_deadline = waiting(factories, deadline=None)
    done = factories.aftersale(status="RETURN_OR_REFUND_REQUEST_COMPLETE")
    factories.returns(shop, [later, overdue, soon, no_deadline, done])

    page = logged_in.get("/returns")
    html = page.get_data(as_text=True)
    assert row_ids(page) == [overdue.request_id, soon.request_id, later.request_id, no_deadline.request_id]
    assert tab_count(page, "needs") == 4 and tab_count(page, "all") == 5
    assert "Needs your answer" in html
    assert re.search(r"<strong class=\"grid-total\">4</strong>\s+requests waiting for your answer", html)
    assert "Deadline: soonest first" in html  # the sort reads as a seller says it
    # The nine tabs stay as they are, each with its plain explanation.
    for label in ("Aftersale Applying", "Aftersale Seller Reject Receive", "Closed", "Complete"):
        assert f'<span class="returns-tab-label">{label}</span>' in html
    assert 'title="The buyer sent the item back: confirm it arrived, or report a problem with it."' in html
    assert (
        'data-status="RETURN_OR_REFUND_REQUEST_PENDING" title="The buyer asked for a refund or return' in html
    )


def test_counters_follow_every_change_and_equal_a_recount(app, factories, shop):
    """Creates, status moves, currency and refund changes, requests starting and stopping waiting:
    the counters kept by the upserts always equal a GROUP BY over the requests."""
    rng = random.Random(7)
    statuses = [
        "RETURN_OR_REFUND_REQUEST_PENDING",
        "AWAITING_BUYER_SHIP",
        "RETURN_OR_REFUND_REQUEST_COMPLETE",
    ]
    ids = [f"5768COUNT{n:08d}" for n in range(25)]
    for round_ in range(6):
        batch = []
        for request_id in rng.sample(ids, 12):
            batch.append(
                factories.aftersale(
                    request_id=request_id,
                    status=rng.choice(statuses),
                    currency=rng.choice(["USD", "GBP"]),
                    total=f"{rng.randrange(100, 9000) / 100:.2f}",
                    next_action=rng.choice([None, WAITING]),
                    deadline=NOW + 3600,
                    update_time=NOW + round_,
                )
            )
        factories.returns(shop, batch)
    with app.app_context():
        kept = {
            (r.tab, r.currency): (r.count, r.refund_cents, r.needs_count, r.needs_refund_cents)
            for r in db.session.scalars(
                select(ReturnTabCount).where(ReturnTabCount.tiktok_shop_id == shop.id)
            )
            if r.count or r.refund_cents or r.needs_count
        }
        recounted = {
            (r["tab"], r["currency"]): (
                r["count"],
                r["refund_cents"],
                r["needs_count"],
                r["needs_refund_cents"],
            )
            for r in counter_rows_from_requests(shop)
        }
    assert kept == recounted and sum(v[0] for v in kept.values()) == 25


def test_refund_totals_per_currency_for_the_filtered_set(logged_in, factories, shop):
    factories.returns(
        shop,
        [
            waiting(factories, total="10.50", currency="GBP", deadline=NOW + 60),
            waiting(factories, total="4.25", currency="GBP", deadline=NOW + 60, sku="RED"),
            factories.aftersale(total="99.99", currency="EUR", status="AWAITING_BUYER_SHIP"),
        ],
    )
    html = logged_in.get("/returns?tab=all").get_data(as_text=True)
    assert "refunds\n" in html and "14.75 GBP" in html and "99.99 EUR" in html
    needs = logged_in.get("/returns").get_data(as_text=True)
    assert "14.75 GBP" in needs and "99.99 EUR" not in needs
    filtered = logged_in.get("/returns?tab=all&q=red").get_data(as_text=True)
    assert "4.25 GBP" in filtered and "14.75 GBP" not in filtered  # the search narrows the totals too


def test_search_ignores_accents_and_case_and_finds_tracking_numbers(logged_in, factories, shop):
    macrame = factories.aftersale(product_name="Macramé Wall Hanging", sku="MW-1")
    tracked = factories.aftersale(tracking_number="1Z999AA10123456784", status="BUYER_SHIPPED_ITEM")
    factories.returns(shop, [macrame, tracked, factories.aftersale(product_name="Linen apron")])
    for query in ("Macrame", "MACRAMÉ", "macramé wall", "mw-1"):
        assert row_ids(logged_in.get("/returns", query_string={"tab": "all", "q": query})) == [
            macrame.request_id
        ], query
    assert row_ids(logged_in.get("/returns?tab=all&q=1z999aa1012")) == [tracked.request_id]
    assert row_ids(logged_in.get(f"/returns?tab=all&q={tracked.order_id}")) == [tracked.request_id]


def test_pages_are_numbered_with_first_last_and_jump(logged_in, factories, shop):
    items = [factories.aftersale(update_time=NOW - n) for n in range(60)]
    factories.returns(shop, items)
    first = logged_in.get("/returns?tab=all&size=25").get_data(as_text=True)
    assert "Page 1 of 3" in first and "Last »" in first and "Go to page" in first

    last = logged_in.get("/returns?tab=all&size=25&page=3")
    assert "Page 3 of 3" in last.get_data(as_text=True)
    assert row_ids(last) == [i.request_id for i in items[50:]]
    middle = logged_in.get("/returns?tab=all&size=25&page=2")
    assert row_ids(middle) == [i.request_id for i in items[25:50]]
    assert "« First" in middle.get_data(as_text=True)

    beyond = logged_in.get("/returns?tab=all&size=25&page=60")
    text = beyond.get_data(as_text=True)
    assert "There is no page 60: this list has 3 pages. Showing the last one." in text
    assert row_ids(beyond) == [i.request_id for i in items[50:]] and "Page 3 of 3" in text


def test_a_default_shop_still_says_what_waits_in_the_other_shops(app, logged_in, factories, seller, shop):
    second = factories.tiktok_shop(seller, name="Second", region="GB")
    factories.returns(shop, [waiting(factories, deadline=NOW + 60)])
    factories.returns(second, [waiting(factories, deadline=NOW + 60), waiting(factories, deadline=NOW + 90)])
    logged_in.post_form(
        "/settings/returns",
        {"default_shop": shop.id, "page_size": 50, f"interval_{shop.id}": 15, f"interval_{second.id}": 15},
    )
    html = logged_in.get("/returns").get_data(as_text=True)
    assert "You are looking at your default shop only." in html
    assert re.search(r"<strong>2</strong> in Second \(GB\)", html)
    assert "Show all shops" in html
    everything = logged_in.get("/returns?shop=all").get_data(as_text=True)
    assert "default shop only" not in everything


def test_rows_of_a_disconnected_shop_offer_no_answer_but_a_reconnect_link(app, logged_in, factories, shop):
    from connector_app.connect.models import DISCONNECTED, NEEDS_RECONNECT, TikTokShop

    item = waiting(factories, deadline=NOW + 60)
    factories.returns(shop, [item])
    with app.app_context():
        db.session.get(TikTokShop, shop.id).status = NEEDS_RECONNECT
        db.session.commit()
    html = logged_in.get("/returns").get_data(as_text=True)
    row = re.search(rf'<tr id="row-{item.request_id}".*?</tr>', html, re.S).group(0)
    assert "Disconnected" in row and "Reconnect Main Street" in row and "/connect/tiktok?region=US" in row
    assert "deadline-chip" not in row and "Approve or reject" not in row
    assert "disabled" in row.split('name="request_ids"')[1].split(">")[0]  # no bulk decision either
    detail = logged_in.get(f"/returns/{item.request_id}").get_data(as_text=True)
    assert "Disconnected" in detail and "Approve refund" not in detail and "deadline-chip" not in detail

    with app.app_context():  # disconnected by the seller: no longer "waiting for your answer" here
        db.session.get(TikTokShop, shop.id).status = DISCONNECTED
        db.session.commit()
    needs = logged_in.get("/returns")
    assert row_ids(needs) == [] and tab_count(needs, "needs") == 0
    assert row_ids(logged_in.get("/returns?tab=all")) == [item.request_id]


def test_reasons_are_offered_as_soon_as_the_first_request_exists(logged_in, factories, shop):
    assert "Damaged in transit" not in logged_in.get("/returns").get_data(as_text=True)
    factories.returns(shop, [factories.aftersale(reason="damaged", reason_text="Damaged in transit")])
    assert '<option value="damaged">Damaged in transit</option>' in logged_in.get("/returns").get_data(
        as_text=True
    )


def test_the_amount_sort_never_compares_currencies(logged_in, factories, shop):
    items = [
        factories.aftersale(total="50.00", currency="EUR"),
        factories.aftersale(total="10.00", currency="GBP"),
        factories.aftersale(total="70.00", currency="GBP"),
        factories.aftersale(total="20.00", currency="EUR"),
    ]
    factories.returns(shop, items)
    order = row_ids(logged_in.get("/returns?tab=all&order=amount-desc"))
    by_id = {i.request_id: (i.refund.currency, i.refund.total) for i in items}
    assert [by_id[i] for i in order] == [
        ("GBP", Decimal("70.00")),
        ("GBP", Decimal("10.00")),
        ("EUR", Decimal("50.00")),
        ("EUR", Decimal("20.00")),
    ]
    paged = logged_in.get("/returns?tab=all&order=amount-desc&size=25").get_data(as_text=True)
    assert "Refund: largest first (per currency)" in paged


def test_dates_are_typed_in_the_sellers_date_format(app, logged_in, factories, seller, shop):
    from connector_app.accounts.models import Seller

    with app.app_context():
        db.session.get(Seller, seller.id).date_format = "%d/%m/%Y %H:%M"
        db.session.commit()
    html = logged_in.get("/returns?tab=all&from=2025-03-09").get_data(as_text=True)
    assert 'value="09/03/2025" placeholder="31/03/2025"' in html
    assert "is not a date" not in logged_in.get("/returns?tab=all&from=09/03/2025").get_data(as_text=True)


def test_every_value_a_marketplace_sends_is_escaped_in_the_rows(logged_in, factories, shop):
    """The grid's rows are written in Python (returns/rows.py): marketplace text never becomes markup."""
    hostile = '<img src=x onerror="alert(1)">&'
    item = factories.aftersale(
        product_name=hostile, sku=hostile, reason_text=hostile, next_action=WAITING, deadline=NOW + 60
    )
    factories.returns(shop, [item])
    html = logged_in.get("/returns?tab=all").get_data(as_text=True)
    row = re.search(rf'<tr id="row-{item.request_id}".*?</tr>', html, re.S).group(0)
    assert "<img src=x" not in row and 'onerror="' not in row
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;" in row
