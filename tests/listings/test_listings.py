"""The Etsy listings cache: refreshed from Etsy (stubbed with ``responses``), looked up by SKU."""

from __future__ import annotations

import pytest
import responses
from sqlalchemy import select

from connector_app.extensions import db, rq
from connector_app.listings import jobs
from connector_app.listings.models import EtsyListing, ListingRefresh
from connector_app.listings.services import listings_for_skus
from tests.actions.helpers import run_jobs

API = "http://127.0.0.1:5001/v3/application"


def _listing(listing_id, title, skus, quantity=3):
    return {
        "listing_id": listing_id,
        "title": title,
        "state": "active",
        "skus": skus,
        "quantity": quantity,
        "url": f"https://www.etsy.com/listing/{listing_id}",
        "price": {"amount": 2800, "divisor": 100, "currency_code": "USD"},
    }


@pytest.fixture
def etsy_shop(factories, seller):
    return factories.etsy_connection(seller, etsy_shop_id="4100")


def stub_shop(rsps, listings, inventories):
    rsps.add(
        responses.GET,
        f"{API}/shops/4100/listings",
        json={"count": len(listings), "results": listings},
        match=[responses.matchers.query_param_matcher({"state": "active", "limit": "100", "offset": "0"})],
    )
    for state in ("sold_out", "inactive"):
        rsps.add(
            responses.GET,
            f"{API}/shops/4100/listings",
            json={"count": 0, "results": []},
            match=[responses.matchers.query_param_matcher({"state": state, "limit": "100", "offset": "0"})],
        )
    for listing_id, stock in inventories.items():
        products = [
            {"sku": sku, "property_values": [], "offerings": [{"quantity": q, "is_enabled": True}]}
            for sku, q in stock.items()
        ]
        rsps.add(responses.GET, f"{API}/listings/{listing_id}/inventory", json={"products": products})


def test_refresh_stores_listings_and_sku_stock_and_links_by_sku(app, factories, seller, etsy_shop):
    with responses.RequestsMock() as rsps:
        stub_shop(
            rsps,
            [_listing("11", "Mug", ["MUG-B", "MUG-G"]), _listing("12", "Scarf", [])],
            {"11": {"MUG-B": 2, "MUG-G": 7}},
        )
        with app.app_context():
            jobs.refresh_listings_job(seller.id, etsy_shop.id)

    other = factories.seller(email="other@example.com")
    with app.app_context():
        found = listings_for_skus(seller.id, {"MUG-G", "NOPE"})
        assert set(found) == {"MUG-G"} and found["MUG-G"].url == "https://www.etsy.com/listing/11"
        assert listings_for_skus(other.id, {"MUG-G"}) == {}  # another seller's listings are not theirs
        stock = {s.sku: s.quantity for s in found["MUG-G"].skus}
        assert stock == {"MUG-B": 2, "MUG-G": 7}
        assert db.session.scalar(select(ListingRefresh.listing_count)) == 2

    with responses.RequestsMock() as rsps:  # the scarf was deleted on Etsy, the mug lost a variation
        stub_shop(rsps, [_listing("11", "Mug", ["MUG-B"])], {"11": {"MUG-B": 5}})
        with app.app_context():
            jobs.refresh_listings_job(seller.id, etsy_shop.id)
    with app.app_context():
        assert db.session.scalars(select(EtsyListing.listing_id)).all() == ["11"]
        assert listings_for_skus(seller.id, {"MUG-G"}) == {}
        assert {s.sku: s.quantity for s in listings_for_skus(seller.id, {"MUG-B"})["MUG-B"].skus} == {
            "MUG-B": 5
        }


def test_the_periodic_check_refreshes_connected_shops_that_are_due(app, factories, seller, etsy_shop):
    other = factories.seller(email="other@example.com")
    factories.etsy_connection(other, status="disconnected")
    with app.app_context():
        jobs.periodic_listings_and_restocks()
        queued = [rq.queue.fetch_job(i) for i in rq.queue.job_ids]
    assert [(j.func_name.rsplit(".", 1)[-1], j.args) for j in queued] == [
        ("refresh_listings_job", (seller.id, etsy_shop.id))
    ]
    with responses.RequestsMock() as rsps:
        stub_shop(rsps, [], {})
        run_jobs(app)
    with app.app_context():
        jobs.periodic_listings_and_restocks()
        assert rq.queue.job_ids == []  # refreshed just now: not due again for an hour


def test_the_listings_page_shows_the_cache(app, logged_in, seller, etsy_shop):
    with responses.RequestsMock() as rsps:
        stub_shop(rsps, [_listing("11", "Blue mug", ["MUG-B"])], {"11": {"MUG-B": 2}})
        with app.app_context():
            jobs.refresh_listings_job(seller.id, etsy_shop.id)
    page = logged_in.get("/listings").get_data(as_text=True)
    assert "Blue mug" in page and "MUG-B (2)" in page
    response = logged_in.post_form("/listings/refresh")
    assert response.status_code == 302
    with app.app_context():
        assert len(rq.queue.job_ids) == 1


def test_switching_etsy_shops_drops_the_old_listings_and_stores_says_how_many_skus_match(
    app, logged_in, factories, seller, etsy_shop
):
    from connector_app.connect import services as connect_services
    from connector_app.connect.models import EtsyConnection
    from connector_app.marketplaces.etsy import EtsyMe, EtsyShop, EtsyTokenSet

    shop = factories.tiktok_shop(seller)
    factories.returns(shop, [factories.aftersale(sku=sku) for sku in ("MUG-B", "SCARF-1", "NEW-1")])
    with responses.RequestsMock() as rsps:
        stub_shop(rsps, [_listing("11", "Blue mug", ["MUG-B"])], {"11": {"MUG-B": 2}})
        with app.app_context():
            jobs.refresh_listings_job(seller.id, etsy_shop.id)
    stores = logged_in.get("/connect").get_data(as_text=True)
    assert "1 of 3 SKUs in your TikTok requests match these listings" in stores
    assert 'href="/listings"' in stores  # the listings are reachable from Stores

    with app.app_context():  # the seller confirmed the switch to another Etsy shop
        tokens = EtsyTokenSet("9.acc", "9.ref", 2_000_000_000, "9")
        connect_services.save_etsy_connection(
            seller.id, tokens, EtsyMe("9", "4200"), EtsyShop("4200", "New shop", "USD", ""), scopes="x"
        )
        db.session.commit()
        assert db.session.scalars(select(EtsyListing)).all() == []  # nothing links to the old shop
        assert db.session.scalars(select(ListingRefresh)).all() == []
        new = db.session.scalar(select(EtsyConnection).where(EtsyConnection.etsy_shop_id == "4200"))
    assert "Fetching this shop's listings from Etsy" in logged_in.get("/connect").get_data(as_text=True)
    assert "Blue mug" not in logged_in.get("/listings").get_data(as_text=True)

    with responses.RequestsMock() as rsps:
        rsps.add(
            responses.GET,
            f"{API}/shops/4200/listings",
            json={"count": 1, "results": [_listing("21", "Hat", ["HAT"])]},
        )
        rsps.add(responses.GET, f"{API}/shops/4200/listings", json={"count": 0, "results": []})
        rsps.add(responses.GET, f"{API}/shops/4200/listings", json={"count": 0, "results": []})
        rsps.add(responses.GET, f"{API}/listings/21/inventory", json={"products": []})
        with app.app_context():
            jobs.refresh_listings_job(seller.id, new.id)
    stores = logged_in.get("/connect").get_data(as_text=True)
    assert "None of the 3 SKUs in your TikTok requests match this shop's listings." in stores


def test_the_listings_page_shows_nothing_of_a_disconnected_shop(app, logged_in, seller, etsy_shop):
    with responses.RequestsMock() as rsps:
        stub_shop(rsps, [_listing("11", "Blue mug", ["MUG-B"])], {"11": {"MUG-B": 2}})
        with app.app_context():
            jobs.refresh_listings_job(seller.id, etsy_shop.id)
    logged_in.post_form(f"/connect/etsy/{etsy_shop.id}/disconnect", {"confirm": "yes"})
    page = logged_in.get("/listings").get_data(as_text=True)
    assert "No Etsy shop is connected" in page and "Blue mug" not in page
