"""The daily digest: at the seller's chosen time in their timezone, once a day, everything waiting with
its deadline and what happened since the last one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from connector_app.accounts.models import Seller
from connector_app.extensions import db
from connector_app.notifications import digest, services
from connector_app.notifications.models import DigestSchedule
from connector_app.notifications.preferences import next_digest_at, prefs_of
from connector_app.timeutil import ensure_aware, utcnow
from tests.notifications.conftest import (
    HOUR,
    by_kind,
    notifications,
    now_unix,
    sent_mail,
    tick,
    waiting_request,
)


def _set_timezone(app, seller_id: int, name: str) -> None:
    with app.app_context():
        seller = db.session.get(Seller, seller_id)
        seller.timezone, seller.date_format = name, "%d %b %Y, %H:%M"
        db.session.commit()


def _schedule(app, seller_id: int) -> datetime:
    with app.app_context():
        return ensure_aware(db.session.get(DigestSchedule, seller_id).next_at)


def test_the_next_digest_is_at_the_chosen_local_time_across_daylight_saving():
    # New York: 08:00 is 13:00 UTC in winter and 12:00 UTC in summer (clocks moved on 8 March 2026).
    before = datetime(2026, 3, 7, 14, 0, tzinfo=UTC)
    first = next_digest_at("America/New_York", 8 * 60, before)
    second = next_digest_at("America/New_York", 8 * 60, first)
    assert first == datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert second == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    assert next_digest_at("Asia/Tokyo", 8 * 60, before) == datetime(2026, 3, 7, 23, 0, tzinfo=UTC)
    assert next_digest_at("Not/AZone", 30, before) == datetime(2026, 3, 8, 0, 30, tzinfo=UTC)  # UTC


def test_one_digest_a_day_at_the_local_time_lists_what_waits_and_what_happened(
    app, factories, shop, verified
):
    _set_timezone(app, verified.id, "Asia/Tokyo")
    waiting_request(factories, shop, "576800000000000001", deadline=now_unix() + 40 * HOUR)
    waiting_request(factories, shop, "576800000000000002", deadline=now_unix() + 30 * HOUR)
    decided_at = now_unix() - 60
    waiting_request(factories, shop, "576800000000000003", deadline=decided_at, update_time=decided_at - HOUR)
    tick(app)
    late = factories.aftersale(
        request_id="576800000000000003",
        status="RETURN_OR_REFUND_REQUEST_SUCCESS",
        update_time=decided_at + 30,
    )
    factories.returns(shop, [late])
    now = utcnow()
    tick(app, now, digests=True)  # gives the seller a schedule: the next 08:00 in Tokyo
    due = _schedule(app, verified.id).astimezone(ZoneInfo("Asia/Tokyo"))
    assert (due.hour, due.minute) == (8, 0) and due > now
    assert not [m for m in sent_mail(app) if "daily summary" in m.subject]

    tick(app, now + timedelta(days=1), digests=True)
    tick(app, now + timedelta(days=1, minutes=1), digests=True)  # a second scheduler, a minute later
    [mail] = [m for m in sent_mail(app) if "daily summary" in m.subject]
    assert mail.subject == "Your daily summary: 2 requests waiting for your answer"
    first, second = mail.body.index("576800000000000002"), mail.body.index("576800000000000001")
    assert first < second  # soonest deadline first
    assert "Approve or reject the return: request 576800000000000002" in mail.body
    assert "http://127.0.0.1:5000/returns/576800000000000002" in mail.body
    assert "TikTok decided Return and refund 576800000000000003 for you" in mail.body  # a digest-mode kind
    assert "List-Unsubscribe" in mail.extra_headers
    [digest_row] = by_kind(notifications(app), "digest")
    assert not digest_row.in_app  # not under the bell
    tokyo_day = (now + timedelta(days=1)).astimezone(ZoneInfo("Asia/Tokyo"))
    assert digest_row.deadline == int(tokyo_day.strftime("%Y%m%d"))  # one a day: the local date is its key

    tick(app, now + timedelta(days=2), digests=True)
    assert len([m for m in sent_mail(app) if "daily summary" in m.subject]) == 2


def test_nothing_to_say_is_no_digest(app, verified):
    now = utcnow()
    tick(app, now, digests=True)
    tick(app, now + timedelta(days=1), digests=True)
    assert sent_mail(app) == [] and notifications(app) == []
    assert _schedule(app, verified.id) is not None


def test_a_digest_switched_off_is_not_sent_and_a_new_time_moves_the_schedule(app, factories, shop, verified):
    waiting_request(factories, shop, "576800000000000001", deadline=now_unix() + 40 * HOUR)
    with app.app_context():
        services.save_choices(
            verified.id,
            thresholds=(24, 4),
            digest_minute=6 * 60,
            channels_by_kind={"digest": {"email": "off"}},
        )
        digest.reschedule(db.session.get(Seller, verified.id), prefs_of(verified.id))
        db.session.commit()
    due = _schedule(app, verified.id)
    assert (due.hour, due.minute) == (6, 0)  # the seller is in UTC
    now = utcnow()
    tick(app, now + timedelta(days=1), digests=True)
    assert [m for m in sent_mail(app) if "daily summary" in m.subject] == []
    with app.app_context():
        assert ensure_aware(db.session.scalars(select(DigestSchedule)).one().next_at) > due
