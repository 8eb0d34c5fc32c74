"""Data that is gone is gone: deleting an account also purges its Redis keys, its queued jobs and the
webhook events of its shops, and the page says where to remove the app on the marketplaces."""

from __future__ import annotations

from sqlalchemy import select

from connector_app.extensions import db, rq
from connector_app.webhooks.models import WebhookEvent
from tests.fixtures.factories import PASSWORD


def _noop(*args) -> None:  # pragma: no cover - never runs: the job is cancelled
    pass


def test_deleting_an_account_purges_redis_jobs_and_webhook_events(app, logged_in, seller, factories):
    shop = factories.tiktok_shop(seller)
    other = factories.seller(email="other@example.com")
    with app.app_context():
        connection = rq.connection
        connection.set(f"connector:return-reasons:{seller.id}", "PRIVATE reason text")
        connection.set(f"connector:return-records:{seller.id}:{shop.id}:R1", "records")
        connection.set(f"connector:return-reasons:{other.id}", "the other seller's")
        mine = rq.enqueue(_noop, seller.id, 1)
        theirs = rq.enqueue(_noop, other.id, 1)
        db.session.add_all(
            [
                WebhookEvent(
                    notification_id="n-before", event_type=1, shop_id=shop.shop_id, payload={"x": 1}
                ),
                WebhookEvent(notification_id="n-other", event_type=1, shop_id="someone-else", payload={}),
            ]
        )
        db.session.commit()

    response = logged_in.post_form("/settings/delete", {"password": PASSWORD, "understood": "y"})
    assert response.status_code == 302
    page = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Seller Center" in page and "Apps you" in page  # where to remove the app's access

    with app.app_context():
        assert connection.get(f"connector:return-reasons:{seller.id}") is None
        assert connection.get(f"connector:return-records:{seller.id}:{shop.id}:R1") is None
        assert connection.get(f"connector:return-reasons:{other.id}") == b"the other seller's"
        assert rq.queue.fetch_job(mine.id) is None
        assert rq.queue.fetch_job(theirs.id) is not None
        left = db.session.scalars(select(WebhookEvent.notification_id)).all()
        assert left == ["n-other"]


def test_deleting_with_htmx_sends_the_browser_to_the_login_page(logged_in):
    """The delete form posts with htmx: the answer tells htmx to navigate, so the address bar shows
    /login with the login page (not /settings)."""
    response = logged_in.htmx("POST", "/settings/delete", {"password": PASSWORD, "understood": "y"})
    assert response.status_code == 200 and response.headers["HX-Redirect"] == "/login"
    assert logged_in.get("/settings").status_code == 302  # the account is gone: log in again
