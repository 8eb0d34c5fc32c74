"""Reject reasons come from a cache a job fills: per seller, shop and decision; never fetched by a page."""

from __future__ import annotations

import responses

from connector_app.extensions import rq
from tests.actions.helpers import run_jobs


def _reasons_url(app) -> str:
    return f"{app.config['TIKTOK_API_URL']}/return_refund/202309/reject_reasons"


def _answer(*names: str) -> dict:
    reasons = [{"name": name, "text": name.replace("_", " ").capitalize()} for name in names]
    return {"code": 0, "message": "Success", "request_id": "r", "data": {"reasons": reasons}}


@responses.activate
def test_reasons_load_in_the_background_and_are_kept_per_shop(app, logged_in, factories, seller):
    us_shop = factories.tiktok_shop(seller, region="US")
    gb_shop = factories.tiktok_shop(seller, region="GB", shop_id="7000000000000000002", cipher="GBCIPHER")
    in_us = factories.aftersale(next_action="SELLER_RESPOND_RETURN", deadline=2_000_000_000)
    in_gb = factories.aftersale(next_action="SELLER_RESPOND_RETURN", deadline=2_000_000_000)
    factories.returns(us_shop, [in_us])
    factories.returns(gb_shop, [in_gb])
    responses.get(_reasons_url(app), json=_answer("seller_reject_used_item"))
    us_url = f"/actions/{in_us.request_id}/reject_return"

    cold = logged_in.htmx("GET", us_url)
    assert cold.status_code == 200 and "Loading TikTok's reasons" in cold.get_data(as_text=True)
    assert f'hx-get="{us_url}" hx-trigger="load delay:1s"' in cold.get_data(as_text=True)
    assert f'<a href="{us_url}">Reload</a>' in cold.get_data(as_text=True)  # without JavaScript
    logged_in.get(us_url)  # looking again queues nothing more while the fetch is on its way
    assert len(responses.calls) == 0 and rq.queue.count == 1

    assert run_jobs(app) == 1
    warm = logged_in.get(us_url).get_data(as_text=True)
    assert 'value="seller_reject_used_item"' in warm and "Loading" not in warm
    responses.replace(responses.GET, _reasons_url(app), json=_answer("seller_reject_outside_window"))
    logged_in.get(f"/actions/{in_us.request_id}/reject_return")
    assert len(responses.calls) == 1 and rq.queue.count == 0  # fresh: served from the cache

    other_shop = logged_in.get(f"/actions/{in_gb.request_id}/reject_return").get_data(as_text=True)
    assert "Loading TikTok's reasons" in other_shop  # another shop (market): never the first shop's reasons
    run_jobs(app)
    other_shop = logged_in.get(f"/actions/{in_gb.request_id}/reject_return").get_data(as_text=True)
    assert (
        'value="seller_reject_outside_window"' in other_shop and "seller_reject_used_item" not in other_shop
    )


@responses.activate
def test_a_failed_fetch_is_explained_and_tried_again_later(app, logged_in, factories, seller):
    shop = factories.tiktok_shop(seller)
    item = factories.aftersale(next_action="SELLER_RESPOND_REFUND", deadline=2_000_000_000)
    factories.returns(shop, [item])
    responses.get(_reasons_url(app), status=400, json={"code": 36009004, "message": "Invalid", "data": {}})
    url = f"/actions/{item.request_id}/reject_refund"

    logged_in.get(url)
    run_jobs(app)
    page = logged_in.get(url)

    assert page.status_code == 503 and "could not be loaded" in page.get_data(as_text=True)
    assert "Try again" in page.get_data(as_text=True) and 'name="reject_reason"' not in page.get_data(
        as_text=True
    )
