"""The insights page: what a seller sees before and after their figures exist, its controls as URLs,
htmx fragments, CSV files, the return rate's seam to the orders feature, and a fixed set of statements
whatever the seller's size."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from flask import has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

from connector_app.insights import units
from connector_app.insights.signals import UnitsSold, units_sold
from tests.insights.conftest import HOUR, period_start, read_csv, this_monday, unix


def _item(factories, n: int, created: int, **fields):
    fields.setdefault("status", "RETURN_OR_REFUND_REQUEST_COMPLETE")
    return factories.aftersale(
        request_id=f"5768{n:014d}", create_time=created, update_time=created + HOUR, **fields
    )


@pytest.fixture
def figures(factories, seller, us_shop, refresh):
    start = unix(period_start(4))
    items = [
        _item(factories, n, start + n * 3 * HOUR, sku="MUG-1" if n % 3 else "RING-2") for n in range(1, 10)
    ]
    items.append(_item(factories, 50, start, sku="=cmd|' /C calc'!A0", product_name="@SUM(1+1)*cmd"))
    factories.returns(us_shop, items)
    refresh(seller.id)


def test_without_a_shop_the_page_says_to_connect_one(logged_in):
    html = logged_in.get("/insights").get_data(as_text=True)
    assert "Connect your TikTok Shop to see insights" in html
    assert logged_in.get("/insights/export.csv?table=requests").status_code == 404


def test_a_shop_without_requests_says_to_sync(logged_in, us_shop):
    html = logged_in.get("/insights").get_data(as_text=True)
    assert "No requests are synced yet" in html and 'href="/returns"' in html
    assert '<p class="card-figure">0</p>' in html


def test_requests_not_summarised_yet_say_the_figures_are_being_prepared(logged_in, factories, us_shop):
    factories.returns(us_shop, [_item(factories, 1, unix(this_monday()))])
    html = logged_in.get("/insights").get_data(as_text=True)
    assert "Your figures are being prepared" in html


def test_changes_after_the_last_refresh_are_announced(logged_in, factories, us_shop, figures):
    html = logged_in.get("/insights").get_data(as_text=True)
    assert "Counted up to" in html and "Newer changes are being added" not in html
    factories.returns(us_shop, [_item(factories, 99, unix(this_monday()))])
    assert "Newer changes are being added" in logged_in.get("/insights").get_data(as_text=True)


def test_period_shop_and_grouping_are_urls_and_bad_values_are_explained(logged_in, us_shop, figures):
    html = logged_in.get("/insights?period=4w").get_data(as_text=True)
    assert 'aria-current="page">Last 4 weeks</a>' in html
    assert f"{period_start(4):%d %b %Y}" in html
    html = logged_in.get("/insights?period=forever&shop=999999&by=decade&from=2025-13-01").get_data(
        as_text=True
    )
    for message in (
        "There is no “forever” period",
        "That shop is not one of your connected shops",
        "Cannot group by “decade”",
        "The from date “2025-13-01” is not a date",
    ):
        assert message in html
    html = logged_in.get("/insights?from=2026-03-20&to=2026-01-05").get_data(as_text=True)
    assert "the dates were swapped" in html and "05 Jan 2026 – 22 Mar 2026" in html
    html = logged_in.get("/insights?from=2016-01-01&to=2026-01-01").get_data(as_text=True)
    assert "A period covers at most 157 weeks" in html


def test_htmx_gets_the_body_only(logged_in, figures):
    response = logged_in.get("/insights?period=26w", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert body.lstrip().startswith('<div id="insights-body"') and "<html" not in body
    assert 'id="chart-requests"' in body


def test_csv_files_escape_formulas_and_unknown_tables_are_404(logged_in, figures):
    rows = read_csv(logged_in.get("/insights/export.csv?table=products"))
    risky = next(row for row in rows if "calc" in row["SKU"])
    assert risky["SKU"].startswith("'=") and risky["Product"].startswith("'@")
    response = logged_in.get("/insights/export.csv?table=products")
    assert "attachment" in response.headers["Content-Disposition"]
    assert logged_in.get("/insights/export.csv?table=everything").status_code == 404
    assert logged_in.get("/insights/export.csv").status_code == 404


def test_charts_are_images_with_a_description_and_their_numbers_as_tables(logged_in, figures):
    html = logged_in.get("/insights").get_data(as_text=True)
    for chart in ("chart-requests", "chart-reasons", "chart-answers"):
        assert re.search(rf'role="img" aria-labelledby="{chart}-title {chart}-desc"', html), chart
        assert f'<desc id="{chart}-desc">' in html
    assert html.count('class="insights-table') >= 5
    for table in ("requests", "refunds", "reasons", "products", "answers"):
        assert f"/insights/export.csv?table={table}" in html


# --- return rate: the orders feature's answer ---------------------------------------------------


@contextmanager
def orders_answer(answer: UnitsSold | None, calls: list):
    """The orders feature answers ``answer`` (its real receiver, ``insights.units``, stands aside)."""

    def receiver(sender, **kwargs):
        calls.append(kwargs)
        return answer

    units_sold.disconnect(units.units_sold)
    units_sold.connect(receiver)
    try:
        yield
    finally:
        units_sold.disconnect(receiver)
        units_sold.connect(units.units_sold, weak=False)


NOT_SYNCED = "orders are not synced for this period"


def test_without_the_orders_feature_no_rate_is_shown(logged_in, figures):
    html = logged_in.get("/insights").get_data(as_text=True)
    assert NOT_SYNCED in html and ">Return rate</th>" not in html


def test_orders_covering_the_period_give_each_product_its_rate(logged_in, seller, us_shop, figures):
    calls: list = []
    start, end = unix(period_start(13), 0), unix(this_monday(), 0) + 7 * 86_400
    answer = UnitsSold({"MUG-1": 40, "RING-2": 6}, complete_from=start - 86_400, complete_through=end)
    with orders_answer(answer, calls):
        html = logged_in.get("/insights").get_data(as_text=True)
        rows = read_csv(logged_in.get("/insights/export.csv?table=products"))
    assert NOT_SYNCED not in html
    assert calls[0]["seller_id"] == seller.id and calls[0]["shop_ids"] == [us_shop.id]
    assert (calls[0]["start"], calls[0]["end"]) == (start, end)
    assert set(calls[0]["skus"]) == {"MUG-1", "RING-2", "=cmd|' /C calc'!A0"}
    by_sku = {row["SKU"]: row for row in rows}
    assert by_sku["MUG-1"]["Units sold"] == "40" and by_sku["MUG-1"]["Return rate (%)"] == "15.0"  # 6 / 40
    assert by_sku["RING-2"]["Units sold"] == "6" and by_sku["RING-2"]["Return rate (%)"] == "50.0"  # 3 / 6
    assert by_sku["'=cmd|' /C calc'!A0"]["Return rate (%)"] == ""  # none sold in the period: no rate
    assert "15.0 %" in html and "50.0 %" in html


@pytest.mark.parametrize(
    "answer",
    [
        UnitsSold({"MUG-1": 40}, complete_from=None, complete_through=None),  # not synced at all
        UnitsSold({"MUG-1": 40}, complete_from=unix(this_monday()), complete_through=unix(this_monday())),
        UnitsSold({"MUG-1": 40}, complete_from=0, complete_through=unix(period_start(2))),  # stops short
    ],
    ids=["never", "starts-late", "stops-early"],
)
def test_orders_that_do_not_cover_the_period_give_no_rate(logged_in, figures, answer):
    with orders_answer(answer, []):
        html = logged_in.get("/insights").get_data(as_text=True)
        rows = read_csv(logged_in.get("/insights/export.csv?table=products"))
    assert NOT_SYNCED in html and ">Return rate</th>" not in html
    assert all(row["Units sold"] == row["Return rate (%)"] == "" for row in rows)


# --- cost: a fixed set of statements --------------------------------------------------------------


class Statements:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if has_request_context():
            self.seen.append(statement)


def _page_statements(client) -> list[str]:
    counter = Statements()
    client.get("/insights?period=52w")
    event.listen(Engine, "before_cursor_execute", counter)
    try:
        assert client.get("/insights?period=52w").status_code == 200
    finally:
        event.remove(Engine, "before_cursor_execute", counter)
    return counter.seen


# The login record's seller, shops, the refresh state, the unread-changes probe, slices, reasons,
# products, turns, the Etsy links of the SKUs shown, and the layout's panels (reconnect banners, the
# sync indicator).
PAGE_STATEMENTS = 16


def test_the_page_runs_the_same_statements_for_ten_or_a_hundred_requests(
    logged_in, factories, us_shop, seller, refresh
):
    start = unix(period_start(50))
    factories.returns(
        us_shop, [_item(factories, n, start + n * 9 * HOUR, sku=f"S{n % 7}") for n in range(10)]
    )
    refresh(seller.id)
    small = _page_statements(logged_in)
    factories.returns(
        us_shop, [_item(factories, n, start + n * 3 * HOUR, sku=f"S{n % 40}") for n in range(10, 110)]
    )
    refresh(seller.id)
    big = _page_statements(logged_in)
    assert len(small) == len(big), "the statement count grew with the number of requests"
    assert len(big) <= PAGE_STATEMENTS, "\n".join(s.splitlines()[0][:100] for s in big)


# --- return rate from the synced orders (the receiver insights connects) ----------------------------


def _sold(app, shop, *, synced: bool) -> None:
    from connector_app.extensions import db
    from connector_app.orders.sync import OrderSyncState
    from connector_app.timeutil import utcnow
    from tests.orders.helpers import order, store

    inside, before = unix(period_start(4)) + 3600, unix(period_start(20))
    placed = dict(create_time=inside, update_time=inside + 60, paid_time=inside + 30)
    store(
        app,
        shop,
        *(order(f"5760000000000001{n:02d}", skus=("MUG-1",) * 10, **placed) for n in range(3)),
        order("576000000000000200", skus=("RING-2",) * 6, **placed),
        order("576000000000000300", status="CANCELLED", skus=("MUG-1",) * 5, **placed),  # not sold
        order("576000000000000400", skus=("MUG-1",) * 4, create_time=before, update_time=before + 60),
    )
    if synced:
        with app.app_context():
            db.session.add(
                OrderSyncState(
                    seller_id=shop.seller_id, shop_pk=shop.id, high_water=inside + 60, last_ok_at=utcnow()
                )
            )
            db.session.commit()


def test_synced_orders_give_each_product_its_rate(app, logged_in, us_shop, figures):
    _sold(app, us_shop, synced=True)
    html = logged_in.get("/insights").get_data(as_text=True)
    rows = {row["SKU"]: row for row in read_csv(logged_in.get("/insights/export.csv?table=products"))}
    assert NOT_SYNCED not in html
    # 3 orders x 10 mugs in the period; the cancelled order and the one before the period do not count
    assert rows["MUG-1"]["Units sold"] == "30" and rows["MUG-1"]["Return rate (%)"] == "20.0"  # 6 / 30
    assert rows["RING-2"]["Units sold"] == "6" and rows["RING-2"]["Return rate (%)"] == "50.0"  # 3 / 6


def test_orders_of_a_shop_never_fully_synced_give_no_rate(app, logged_in, us_shop, figures):
    _sold(app, us_shop, synced=False)
    html = logged_in.get("/insights").get_data(as_text=True)
    assert NOT_SYNCED in html and ">Return rate</th>" not in html
