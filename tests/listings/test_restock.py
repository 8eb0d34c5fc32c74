"""Restocking Etsy exactly once when a return-and-refund completes (Etsy stubbed with ``responses``)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
import responses
from sqlalchemy import select

from connector_app.accounts.preferences import settings_for_update
from connector_app.extensions import db
from connector_app.listings import restock
from connector_app.listings.jobs import periodic_listings_and_restocks
from connector_app.listings.models import (
    EtsyListing,
    EtsyListingSku,
    ListingRefresh,
    RestockedRequest,
    RestockRecord,
)
from connector_app.listings.restock import HANDLED_BY_SELLER
from connector_app.returns.models import ReturnRequest
from connector_app.returns.services import upsert_requests
from connector_app.returns.signals import notify_requests_changed
from connector_app.timeutil import utcnow
from tests.actions.helpers import run_jobs

API = "http://127.0.0.1:5001/v3/application"
LISTING = "1500012345"


class FakeEtsy:
    """One listing with two SKUs; counts inventory writes."""

    def __init__(self, rsps: responses.RequestsMock) -> None:
        self.stock = {"SKU-1": 4, "SKU-2": 9}
        self.puts = 0
        url = f"{API}/listings/{LISTING}/inventory"
        rsps.add_callback(responses.GET, url, callback=self._get)
        rsps.add_callback(responses.PUT, url, callback=self._put)

    def _inventory(self) -> dict:
        return {
            "products": [
                {
                    "sku": sku,
                    "property_values": [],
                    "offerings": [
                        {"quantity": qty, "is_enabled": True, "price": {"amount": 2800, "divisor": 100}}
                    ],
                }
                for sku, qty in self.stock.items()
            ]
        }

    def _get(self, request):
        return 200, {}, json.dumps(self._inventory())

    def _put(self, request):
        self.puts += 1
        for product in json.loads(request.body)["products"]:
            self.stock[product["sku"]] = sum(o["quantity"] for o in product["offerings"])
        return 200, {}, json.dumps(self._inventory())


@pytest.fixture
def etsy():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeEtsy(rsps)


@pytest.fixture
def shop(app, factories, seller):
    shop = factories.tiktok_shop(seller)
    connection = factories.etsy_connection(seller)
    with app.app_context():
        listing = EtsyListing(
            seller_id=seller.id,
            etsy_connection_id=connection.id,
            listing_id=LISTING,
            title="Ceramic mug",
            url=f"https://www.etsy.com/listing/{LISTING}",
        )
        listing.skus = [
            EtsyListingSku(seller_id=seller.id, sku="SKU-1", quantity=4),
            EtsyListingSku(seller_id=seller.id, sku="SKU-2", quantity=9),
        ]
        db.session.add_all(
            [
                listing,
                ListingRefresh(seller_id=seller.id, etsy_connection_id=connection.id, refreshed_at=utcnow()),
            ]
        )
        settings_for_update(seller.id).restock_on_complete = True
        db.session.commit()
    return shop


def sync(app, shop, item):
    """What a sync page does: upsert, commit, then signal the changed requests."""
    with app.app_context():
        result = upsert_requests(db.session.merge(shop), [item], source="sync")
        db.session.commit()
        notify_requests_changed(shop.seller_id, result.status_changed, "sync")


def completed(factories, rid="5768000000000001", sku="SKU-1", **kw):
    """The request as TikTok shows it once complete (the same snapshot every time it is asked for)."""
    item = factories.aftersale(request_id=rid, sku=sku, update_time=1_700_000_000, **kw)
    return replace(item, status="RETURN_OR_REFUND_REQUEST_COMPLETE", update_time=1_800_000_000)


def the_request(app, rid="5768000000000001") -> ReturnRequest:
    with app.app_context():
        row = db.session.scalars(select(ReturnRequest).where(ReturnRequest.request_id == rid)).one()
        db.session.expunge(row)
        return row


def restocked_at(app, rid="5768000000000001"):
    """When the listings feature recorded the request as restocked, or None."""
    pk = the_request(app, rid).id
    with app.app_context():
        row = db.session.get(RestockedRequest, pk)
        return row.restocked_at if row is not None else None


def records(app) -> list[RestockRecord]:
    with app.app_context():
        rows = db.session.scalars(select(RestockRecord)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_a_completed_return_restocks_etsy_once_across_repeated_syncs(app, factories, shop, etsy, logged_in):
    done = completed(factories)
    sync(app, shop, replace(done, status="BUYER_SHIPPED_ITEM", update_time=1_700_000_000))
    run_jobs(app)
    assert etsy.puts == 0  # not complete yet

    sync(app, shop, done)
    sync(app, shop, done)
    with app.app_context():  # a webhook re-announcing the same change
        notify_requests_changed(shop.seller_id, [the_request(app).id], "webhook")
    run_jobs(app)
    sync(app, shop, done)
    with app.app_context():
        notify_requests_changed(shop.seller_id, [the_request(app).id], "sync")
    run_jobs(app)

    assert etsy.puts == 1 and etsy.stock == {"SKU-1": 5, "SKU-2": 9}
    [record] = records(app)
    assert (record.state, record.stock_before, record.stock_target) == ("done", 4, 5)
    assert restocked_at(app) is not None
    panel = logged_in.get("/returns/5768000000000001").get_data(as_text=True)
    assert "Restocked on Etsy" in panel and "+1 SKU SKU-1" in panel


def test_returns_completed_before_restocking_was_switched_on_are_never_restocked(
    app, factories, shop, etsy, seller
):
    with app.app_context():
        settings = settings_for_update(seller.id)
        switched_on = settings.restock_after
        assert switched_on is not None  # stamped when the fixture switched it on
    history = completed(factories, rid="5768000000000007")
    history = replace(history, update_time=switched_on - 3600)  # completed an hour before
    recent = replace(completed(factories, rid="5768000000000008", sku="SKU-2"), update_time=switched_on + 5)
    sync(app, shop, history)
    sync(app, shop, recent)
    run_jobs(app)
    with app.app_context():
        periodic_listings_and_restocks()  # the sweep for missed restocks does not pick history up either
    run_jobs(app)

    assert etsy.stock == {"SKU-1": 4, "SKU-2": 10}
    assert [r.sku for r in records(app)] == ["SKU-2"]
    assert restocked_at(app, "5768000000000007") is None


def test_switching_restocking_on_starts_it_from_that_moment(app, seller):
    with app.app_context():
        settings = settings_for_update(seller.id)
        assert (settings.restock_on_complete, settings.restock_after) == (False, None)
        settings.restock_on_complete = True
        db.session.commit()
        first = settings.restock_after
        assert abs(first - utcnow().timestamp()) < 5
        db.session.expire(settings)  # a later request that loads the row and saves the form again
        settings.restock_on_complete = True
        db.session.commit()
        assert settings.restock_after == first  # saved again while on: the start stays
        settings.restock_on_complete = False
        db.session.commit()
        assert settings.restock_after is None


def test_nothing_is_restocked_when_the_setting_is_off(app, factories, shop, etsy, seller, logged_in):
    with app.app_context():
        settings_for_update(seller.id).restock_on_complete = False
        db.session.commit()

    sync(app, shop, completed(factories))
    run_jobs(app)
    run_restock(app, seller.id)

    assert etsy.puts == 0 and records(app) == []
    panel = logged_in.get("/returns/5768000000000001").get_data(as_text=True)
    assert "Automatic restocking is off" in panel


@pytest.mark.parametrize(
    ("request_type", "status"),
    [
        ("REFUND", "RETURN_OR_REFUND_REQUEST_COMPLETE"),
        ("RETURN_AND_REFUND", "RETURN_OR_REFUND_REQUEST_SUCCESS"),
    ],
)
def test_only_completed_return_and_refunds_restock(app, factories, shop, etsy, request_type, status):
    item = factories.aftersale(
        request_type=request_type, status=status, sku="SKU-1", request_id="5768000000000001"
    )
    sync(app, shop, item)
    run_jobs(app)
    assert etsy.puts == 0 and records(app) == []


def run_restock(app, seller_id):
    with app.app_context():
        restock.restock_request(seller_id, the_request(app).id)


def claim_only(app, factories, shop):
    """Store the completed request and decide its restock, as a worker would before crashing."""
    with app.app_context():
        upsert_requests(db.session.merge(shop), [completed(factories)], source="sync")
        db.session.commit()
        restock.plan(shop.seller_id, the_request(app).id)
        db.session.commit()


def test_a_crash_after_the_claim_is_retried_once(app, factories, shop, etsy, seller):
    claim_only(app, factories, shop)
    assert [r.state for r in records(app)] == ["claimed"] and etsy.puts == 0

    run_restock(app, seller.id)  # the worker restarts and picks it up
    run_restock(app, seller.id)

    assert etsy.puts == 1 and etsy.stock["SKU-1"] == 5
    assert [r.state for r in records(app)] == ["done"]


def _interrupted(app, *, applied: bool, etsy):
    """A record left in "sending" by a worker that died during the inventory PUT."""
    with app.app_context():
        record = db.session.scalars(select(RestockRecord)).one()
        record.state, record.stock_before, record.stock_target = "sending", 4, 5
        record.sending_at = utcnow() - restock.STALE_SENDING - timedelta(seconds=1)
        db.session.commit()
    if applied:
        etsy.stock["SKU-1"] = 5


def test_an_interrupted_write_that_reached_etsy_is_not_repeated(app, factories, shop, etsy, seller):
    claim_only(app, factories, shop)
    _interrupted(app, applied=True, etsy=etsy)

    run_restock(app, seller.id)

    assert etsy.puts == 0 and etsy.stock["SKU-1"] == 5
    assert [r.state for r in records(app)] == ["done"]
    assert restocked_at(app) is not None


def test_an_unconfirmable_interrupted_write_becomes_a_task_never_a_second_write(
    app, factories, shop, etsy, seller, logged_in
):
    claim_only(app, factories, shop)
    _interrupted(app, applied=False, etsy=etsy)

    run_restock(app, seller.id)
    run_restock(app, seller.id)

    assert etsy.puts == 0 and etsy.stock["SKU-1"] == 4
    [record] = records(app)
    assert record.state == "check" and record.stock_seen == 4
    assert restocked_at(app) is None
    panel = logged_in.get("/returns/5768000000000001").get_data(as_text=True)
    assert "Check this listing" in panel and "Your turn" in panel


def test_a_write_still_in_flight_elsewhere_is_left_alone(app, factories, shop, etsy, seller):
    claim_only(app, factories, shop)
    _interrupted(app, applied=False, etsy=etsy)
    with app.app_context():
        db.session.scalars(select(RestockRecord)).one().sending_at = utcnow()
        db.session.commit()

    run_restock(app, seller.id)

    assert etsy.puts == 0 and [r.state for r in records(app)] == ["sending"]


def test_a_sku_without_an_etsy_listing_becomes_a_manual_task(app, factories, shop, etsy, logged_in):
    sync(app, shop, completed(factories, sku="NOT-ON-ETSY"))
    run_jobs(app)

    assert etsy.puts == 0
    [record] = records(app)
    assert record.state == "no_match"
    panel = logged_in.get("/returns/5768000000000001").get_data(as_text=True)
    assert "No Etsy listing has SKU NOT-ON-ETSY" in panel


def test_the_seller_closes_a_manual_task_once_handled_on_etsy(app, factories, shop, etsy, logged_in, auth):
    sync(app, shop, completed(factories, sku="NOT-ON-ETSY"))
    run_jobs(app)
    panel = logged_in.get("/returns/5768000000000001").get_data(as_text=True)
    assert "I&#39;ve handled this on Etsy" in panel or "I've handled this on Etsy" in panel
    url = "/listings/restock/5768000000000001/handled"

    assert logged_in.htmx("POST", url, data={"sku": "NOT-ON-ETSY"}, csrf=False).status_code == 400  # no token
    assert records(app)[0].state == "no_match"
    response = logged_in.htmx("POST", url, data={"sku": "NOT-ON-ETSY"})

    assert response.status_code == 200 and HANDLED_BY_SELLER in response.get_data(as_text=True)
    [record] = records(app)
    assert (record.state, record.message) == ("done", HANDLED_BY_SELLER)
    assert restocked_at(app) is not None and etsy.puts == 0
    again = logged_in.post_form(url, {"sku": "NOT-ON-ETSY"}, follow_redirects=True)  # nothing left to close
    assert "not waiting for you any more" in again.get_data(as_text=True)

    auth.logout()
    other = factories.seller("other@example.com")
    auth.login(other.email)
    assert logged_in.post_form(url, {"sku": "NOT-ON-ETSY"}).status_code == 404  # another seller's request


def test_a_restock_the_app_is_carrying_out_cannot_be_closed_by_hand(
    app, factories, shop, etsy, seller, logged_in
):
    claim_only(app, factories, shop)
    response = logged_in.post_form("/listings/restock/5768000000000001/handled", {"sku": "SKU-1"})
    assert response.status_code == 302
    assert [r.state for r in records(app)] == ["claimed"]


def test_an_etsy_refusal_leaves_the_restock_to_retry(app, factories, shop, seller):
    with responses.RequestsMock() as rsps:
        rsps.add(
            responses.GET,
            f"{API}/listings/{LISTING}/inventory",
            json={
                "products": [
                    {
                        "sku": "SKU-1",
                        "property_values": [],
                        "offerings": [{"quantity": 1, "is_enabled": True}],
                    }
                ]
            },
        )
        rsps.add(responses.PUT, f"{API}/listings/{LISTING}/inventory", status=400, json={"error": "bad"})
        claim_only(app, factories, shop)
        run_restock(app, seller.id)
    [record] = records(app)
    assert record.state == "claimed" and record.message


def test_restock_is_scoped_to_the_requests_seller(app, factories, shop, etsy):
    other = factories.seller(email="other@example.com")
    other_shop = factories.tiktok_shop(other)
    sync(app, other_shop, completed(factories, rid="5768000000000009"))
    run_jobs(app)

    assert etsy.puts == 0 and records(app) == []  # the other seller did not turn restocking on


def test_listings_are_refreshed_before_the_request_row_is_locked_never_while_holding_it(
    app, factories, shop, seller, monkeypatch
):
    from sqlalchemy import event

    events: list[str] = []
    monkeypatch.setattr(restock, "refresh_listings", lambda connection: events.append("etsy refresh") or 0)
    with app.app_context():
        db.session.execute(
            ListingRefresh.__table__.update().values(refreshed_at=utcnow() - timedelta(hours=1))
        )
        upsert_requests(db.session.merge(shop), [completed(factories, sku="SKU-NEW")], source="sync")
        db.session.commit()

        def on_execute(state):
            if state.is_select and state.statement._for_update_arg is not None:
                events.append("row lock")

        event.listen(db.session, "do_orm_execute", on_execute)
        try:
            assert restock.plan(seller.id, the_request(app).id)
        finally:
            event.remove(db.session, "do_orm_execute", on_execute)
        db.session.commit()

    assert events == ["etsy refresh", "row lock"]
    assert [(r.sku, r.state) for r in records(app)] == [("SKU-NEW", "no_match")]
