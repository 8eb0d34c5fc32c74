"""Every action route: another seller's request is a 404, anonymous visitors log in, CSRF is enforced."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from connector_app.actions.models import ActionAudit, BulkAction
from connector_app.extensions import db

ROUTES = [
    ("GET", "/actions/{rid}", None),
    ("GET", "/actions/{rid}/approve_return", None),
    ("POST", "/actions/{rid}/approve_return", {"idempotency_key": "k" * 24}),
    ("GET", "/actions/{rid}/reject_return", None),
    ("POST", "/actions/{rid}/reject_return", {"idempotency_key": "k" * 24, "reject_reason": "x"}),
    ("POST", "/actions/bulk/confirm", {"verb": "approve", "request_ids": ["{rid}"]}),
    ("POST", "/actions/bulk", {"idempotency_key": "k" * 24, "items": ["{rid}:APPROVE_RETURN"]}),
    ("GET", "/actions/bulk/{job}", None),
]


@pytest.fixture
def others(factories):
    """A request and a bulk job belonging to ANOTHER seller."""
    other = factories.seller(email="other@example.com")
    shop = factories.tiktok_shop(other)
    item = factories.aftersale(next_action="SELLER_RESPOND_RETURN", deadline=2_000_000_000)
    factories.returns(shop, [item])
    with factories.app.app_context():
        db.session.add(
            BulkAction(id="other-bulk-job-000000000", seller_id=other.id, total=0, actor=other.email)
        )
        db.session.commit()
    return {"rid": item.request_id, "job": "other-bulk-job-000000000"}


def _fill(value, ids):
    if isinstance(value, list):
        return [v.format(**ids) for v in value]
    return value.format(**ids)


@pytest.mark.parametrize(("method", "url", "data"), ROUTES)
def test_another_sellers_request_is_not_found(logged_in, others, method, url, data, app):
    data = {k: _fill(v, others) for k, v in (data or {}).items()}
    if method == "GET":
        response = logged_in.get(url.format(**others))
    else:
        response = logged_in.post_form(url.format(**others), data)
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ActionAudit)) == 0


@pytest.mark.parametrize(
    ("method", "url", "data"), [*ROUTES, ("GET", "/actions", None), ("GET", "/listings", None)]
)
def test_anonymous_is_sent_to_login(client, others, method, url, data):
    response = client.open(
        url.format(**others), method=method, data=data and {"csrf_token": client.csrf_token()}
    )
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", ["/actions/{rid}/approve_return", "/actions/bulk", "/listings/refresh"])
def test_posts_without_a_csrf_token_are_refused(logged_in, factories, seller, url, app):
    shop = factories.tiktok_shop(seller)
    item = factories.aftersale(next_action="SELLER_RESPOND_RETURN", deadline=2_000_000_000)
    factories.returns(shop, [item])

    response = logged_in.post(
        url.format(rid=item.request_id), data={"idempotency_key": "k" * 24, "request_ids": [item.request_id]}
    )

    assert response.status_code == 400
    assert "expired or was sent from elsewhere" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ActionAudit)) == 0


def test_the_panel_offers_only_what_tiktok_waits_for(logged_in, factories, seller):
    shop = factories.tiktok_shop(seller)
    waiting = factories.aftersale(next_action="SELLER_RESPOND_RECEIVE_PACKAGE", deadline=2_000_000_000)
    finished = factories.aftersale(status="RETURN_OR_REFUND_REQUEST_COMPLETE")
    factories.returns(shop, [waiting, finished])

    open_panel = logged_in.get(f"/actions/{waiting.request_id}").get_data(as_text=True)
    closed_panel = logged_in.get(f"/actions/{finished.request_id}").get_data(as_text=True)

    assert "Confirm package received" in open_panel and "Reject returned package" in open_panel
    assert "respond by" in open_panel
    assert "Nothing for you to decide" in closed_panel and 'role="button"' not in closed_panel
    # The Etsy side (nothing to refund there) is the listings feature's panel beside it on the detail page.
    detail = logged_in.get(f"/returns/{finished.request_id}").get_data(as_text=True)
    assert "Nothing for you to decide" in detail and "TikTok refunds the buyer" in detail


def test_the_action_log_lists_only_this_sellers_decisions(logged_in, others, app):
    page = logged_in.get("/actions")
    assert page.status_code == 200 and "No decisions yet" in page.get_data(as_text=True)
    assert others["rid"] not in page.get_data(as_text=True)
