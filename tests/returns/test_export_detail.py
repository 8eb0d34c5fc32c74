"""CSV export (the grid's rows and columns, streamed), request detail with its timeline, live refresh."""

from __future__ import annotations

import csv
import io
import re

import pytest
import responses

from connector_app.extensions import rq
from connector_app.returns.export import COLUMNS
from connector_app.timeutil import utcnow
from tests.actions.helpers import run_jobs
from tests.returns.conftest import row_ids

NOW = int(utcnow().timestamp())


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_csv_has_the_grids_rows_and_columns_for_the_current_tab_and_filters(logged_in, factories, shop):
    items = [factories.aftersale(sku=f"SKU-{n}", update_time=NOW - n) for n in range(5)]
    items.append(factories.aftersale(status="AWAITING_BUYER_SHIP", sku="SKU-X"))
    factories.returns(shop, items)
    query = "tab=applying&sort=requested&dir=asc&size=25"

    response = logged_in.get(f"/returns/export.csv?{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert tuple(rows[0]) == COLUMNS
    assert [row[0] for row in rows[1:]] == row_ids(logged_in.get(f"/returns?{query}"))
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Type"] == "Return and refund" and first["Refund amount"] == "25.00"
    assert first["Currency"] == "USD" and first["Status"] == "Refund or return requested"
    assert "1 × Ceramic mug [SKU-" in first["Items"]

    searched = _csv(logged_in.get("/returns/export.csv?tab=all&q=sku-x"))
    assert [row[0] for row in searched[1:]] == [items[-1].request_id]


def test_csv_export_streams_every_row_past_one_batch(app, logged_in, factories, shop, monkeypatch):
    from connector_app.returns import export

    original = export.generate_csv
    monkeypatch.setattr(
        "connector_app.returns.routes.generate_csv", lambda *a, **k: original(*a, **k, batch_size=7)
    )
    items = [factories.aftersale(update_time=NOW - (n // 3)) for n in range(30)]
    factories.returns(shop, items)
    response = logged_in.get("/returns/export.csv?tab=all")
    chunks = list(response.response)
    assert len(chunks) >= 5  # one chunk per keyset batch, not one big string
    text = b"".join(chunks).decode("utf-8").lstrip("\ufeff")
    ids = [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]]
    assert sorted(ids) == sorted(i.request_id for i in items) and len(set(ids)) == 30


def test_csv_neutralises_spreadsheet_formulas(logged_in, factories, shop):
    factories.returns(shop, [factories.aftersale(product_name="=HYPERLINK(1)", reason_text="+cmd")])
    row = _csv(logged_in.get("/returns/export.csv?tab=all"))[1]
    assert row[COLUMNS.index("Items")] == "1 × =HYPERLINK(1) [SKU-1]"  # starts with the quantity: inert
    assert row[COLUMNS.index("Reason")] == "'+cmd"


def _records_url(app, request_id: str) -> str:
    return f"{app.config['TIKTOK_API_URL']}/return_refund/202309/returns/{request_id}/records"


@responses.activate
def test_detail_shows_everything_and_merges_the_timeline(app, logged_in, factories, shop):
    old = factories.aftersale(update_time=NOW - 3000, create_time=NOW - 4000, total="40.00")
    factories.returns(shop, [old])
    newer = factories.aftersale(
        request_id=old.request_id,
        status="AWAITING_BUYER_SHIP",
        update_time=NOW - 1000,
        create_time=NOW - 4000,
        total="40.00",
        tracking_number="1Z999",
        provider_name="UPS",
    )
    factories.returns(shop, [newer], source="webhook")
    responses.get(
        _records_url(app, old.request_id),
        json={
            "code": 0,
            "message": "Success",
            "request_id": "r1",
            "data": {
                "records": [
                    {
                        "event": "BUYER_APPLY",
                        "role": "BUYER",
                        "description": "Buyer asked for a refund",
                        "reason_text": "Wrong item",
                        "note": "",
                        "images": [],
                        "create_time": NOW - 3900,
                    },
                    {
                        "event": "SELLER_APPROVE",
                        "role": "SELLER",
                        "description": "Seller approved the return",
                        "reason_text": "",
                        "note": "ok",
                        "images": [],
                        "create_time": NOW - 1100,
                    },
                ]
            },
        },
    )
    html = logged_in.get(f"/returns/{old.request_id}").get_data(as_text=True)
    for text in ("Subtotal", "40.00 USD", "Ceramic mug", "UPS", "1Z999", "Return shipping", "Timeline"):
        assert text in html, text
    timeline_url = f"/returns/{old.request_id}/timeline"
    assert f'hx-get="{timeline_url}" hx-trigger="load"' in html  # loaded lazily
    assert f'<a href="{timeline_url}">' in html  # and a plain link without JavaScript
    assert len(responses.calls) == 0  # the detail page never calls TikTok

    loading = logged_in.htmx("GET", timeline_url).get_data(as_text=True)
    assert "Loading TikTok Shop's own history" in loading and 'hx-trigger="load delay:2s"' in loading
    assert "Status: Waiting for the buyer to ship" in loading  # what is stored shows at once
    assert len(responses.calls) == 0
    assert run_jobs(app) == 1  # the job fetches TikTok's records

    page = logged_in.get(timeline_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Loading" not in html
    order = [
        html.index("Status: Waiting for the buyer to ship"),
        html.index("Seller approved the return"),
        html.index("Status: Refund or return requested"),
        html.index("Buyer asked for a refund"),
    ]
    assert order == sorted(order)  # newest first, both sources interleaved by time
    assert "Recorded by this app (webhook)" in html

    drawer = logged_in.get(f"/returns/{old.request_id}", headers={"HX-Request": "true"})
    assert "<html" not in drawer.get_data(as_text=True) and "data-drawer-close" in drawer.get_data(
        as_text=True
    )
    fragment = logged_in.htmx("GET", timeline_url).get_data(as_text=True)
    assert "<html" not in fragment and "Buyer asked for a refund" in fragment
    assert run_jobs(app) == 0 and len(responses.calls) == 1  # the records are stored


@responses.activate
@pytest.mark.parametrize("failure", ["refused", "http500"])
def test_detail_survives_a_marketplace_error(app, logged_in, factories, shop, failure):
    item = factories.aftersale()
    factories.returns(shop, [item])
    if failure == "refused":
        body = {"code": 36009004, "message": "Invalid request", "request_id": "r2", "data": {}}
        responses.get(_records_url(app, item.request_id), json=body)
    else:
        responses.get(_records_url(app, item.request_id), status=500, body="boom")
    app.config["MARKETPLACE_BACKOFF_BASE"] = 0.01  # the job's retries, quickly
    logged_in.get(f"/returns/{item.request_id}/timeline")
    run_jobs(app)
    response = logged_in.get(f"/returns/{item.request_id}/timeline")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "could not be loaded" in html
    assert "Status: Refund or return requested" in html  # the app's own history still shows


def test_detail_of_a_cancellation_needs_no_marketplace_call(logged_in, factories, shop):
    item = factories.aftersale(
        kind="cancellation", request_type="CANCEL", status="CANCELLATION_REQUEST_PENDING"
    )
    factories.returns(shop, [item])
    with responses.RequestsMock():  # any outside call would fail the test
        html = logged_in.get(f"/returns/{item.request_id}").get_data(as_text=True)
        timeline = logged_in.get(f"/returns/{item.request_id}/timeline").get_data(as_text=True)
    assert "Cancellation" in html and "could not be loaded" not in timeline and "Loading" not in timeline
    assert "Status: Cancellation requested" in timeline and rq.queue.count == 0


def test_live_refresh_answers_204_until_something_changes(logged_in, factories, shop):
    item = factories.aftersale(update_time=NOW - 100)
    factories.returns(shop, [item])
    marker = re.search(
        r"/returns/changes\?since=([^\"&]+)", logged_in.get("/returns?tab=all").get_data(as_text=True)
    )[1]
    assert logged_in.get(f"/returns/changes?since={marker}").status_code == 204

    factories.returns(
        shop, [factories.aftersale(request_id=item.request_id, status="AWAITING_BUYER_SHIP", update_time=NOW)]
    )
    changed = logged_in.get(f"/returns/changes?since={marker}")
    assert changed.status_code == 200
    assert changed.headers["HX-Trigger"] == "returns-changed"
    new_marker = re.search(r"since=([^\"&]+)", changed.get_data(as_text=True))[1]
    assert new_marker != marker
    assert logged_in.get(f"/returns/changes?since={new_marker}").status_code == 204
