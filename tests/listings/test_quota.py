"""One seller's loop cannot spend the app's Etsy quota: one refresh job per connection at a time, a
cooldown between refreshes, a daily per-seller budget of Etsy calls; one bulk job per seller."""

from __future__ import annotations

import pytest
import responses
from sqlalchemy import select

from connector_app.connect.clients import EtsyBudgetSpent, spend_etsy_call
from connector_app.extensions import db, rq
from connector_app.listings import jobs
from connector_app.listings.models import ListingRefresh
from connector_app.worker import AppWorker
from tests.listings.test_listings import _listing, etsy_shop, stub_shop  # noqa: F401 - fixture


def test_twenty_clicks_queue_one_refresh(app, logged_in, etsy_shop):  # noqa: F811
    for _ in range(20):
        assert logged_in.post_form("/listings/refresh").status_code == 302
    with app.app_context():
        assert rq.queue.job_ids == [jobs.refresh_job_id(etsy_shop.id)]
    with responses.RequestsMock() as rsps:
        stub_shop(rsps, [_listing("11", "Mug", ["MUG-B"])], {"11": {"MUG-B": 2}})
        with app.app_context():  # a real worker, so the job ends "finished" as in production
            AppWorker([rq.queue], connection=rq.connection, app=app).work(burst=True)
        calls = len(rsps.calls)
    assert calls == 4  # one crawl: three listing pages and one inventory
    page = logged_in.post_form("/listings/refresh", follow_redirects=True).get_data(as_text=True)
    assert "refresh again in 5 minutes" in page
    with app.app_context():
        assert rq.queue.job_ids == []  # cooling down: nothing queued


def test_the_daily_etsy_budget_stops_one_seller_and_not_the_next(app, factories, seller, etsy_shop):  # noqa: F811
    app.config["ETSY_DAILY_CALLS_PER_SELLER"] = 2
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        stub_shop(rsps, [_listing("11", "Mug", ["MUG-B"])], {"11": {"MUG-B": 2}})
        with app.app_context():
            jobs.refresh_listings_job(seller.id, etsy_shop.id)
        assert len(rsps.calls) == 2  # the third call was never sent
    with app.app_context():
        state = db.session.scalar(select(ListingRefresh))
        assert "today's share of Etsy requests" in state.error

    other = factories.seller(email="other@example.com")
    with app.app_context():
        spend_etsy_call(other.id)  # the other seller has a budget of their own
        with pytest.raises(EtsyBudgetSpent):
            spend_etsy_call(seller.id)
