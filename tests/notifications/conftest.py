"""Alert tests: a seller with a verified address and a shop; helpers to make requests wait and read
what was raised and emailed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connector_app.accounts.models import Seller
from connector_app.extensions import db
from connector_app.notifications.models import Delivery, Notification
from connector_app.timeutil import utcnow
from tests.fixtures.request_thread import no_marketplace_call_on_a_web_request  # noqa: F401 (autouse)

HOUR = 3600


@pytest.fixture
def verified(app, factories):
    seller = factories.seller(email="owner@shop.example")
    with app.app_context():
        db.session.get(Seller, seller.id).email_verified_at = utcnow()
        db.session.commit()
    return seller


@pytest.fixture
def shop(factories, verified):
    return factories.tiktok_shop(verified, name="Harbor Goods", region="US")


def sent_mail(app) -> list:
    """Flask-Mailman's locmem outbox of this test's app."""
    return list(getattr(app.extensions["mailman"], "outbox", []))


def now_unix() -> int:
    return int(utcnow().timestamp())


def notifications(app, seller_id: int | None = None) -> list[Notification]:
    with app.app_context():
        query = select(Notification).order_by(Notification.id)
        if seller_id is not None:
            query = query.where(Notification.seller_id == seller_id)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def deliveries(app) -> list[Delivery]:
    with app.app_context():
        rows = db.session.scalars(select(Delivery).order_by(Delivery.id)).all()
        db.session.expunge_all()
        return rows


def tick(app, now=None, *, digests: bool = False):
    """What the scheduled job does, at ``now`` (default: the real now); digests only when asked."""
    from connector_app.notifications import delivery, digest, scan

    with app.app_context():
        report = scan.run_scan(now)
        if digests:
            digest.run_due_digests(now)
        delivery.send_due(now=now)
        db.session.remove()
        return report


def waiting_request(factories, shop, request_id, *, deadline, update_time=None, **fields):
    """A request that waits on the seller (TikTok's SELLER_RESPOND_RETURN) until ``deadline``."""
    fields.setdefault("next_action", "SELLER_RESPOND_RETURN")
    item = factories.aftersale(
        request_id=request_id, deadline=deadline, update_time=update_time or now_unix() - 60, **fields
    )
    factories.returns(shop, [item])
    return item


def by_kind(rows, kind: str) -> list:
    return [row for row in rows if row.kind == kind]
