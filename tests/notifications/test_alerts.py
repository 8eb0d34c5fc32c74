"""What is alerted, when, and how often: requests waiting, deadlines near, TikTok deciding, connections
and sync — each alert once, in the app and (right away or in the digest) by email."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from connector_app.connect import services as connect_services
from connector_app.connect.clients import mark_needs_reconnect
from connector_app.connect.models import CONNECTED, EtsyConnection, TikTokAuthorization, TikTokShop
from connector_app.extensions import db
from connector_app.notifications import services
from connector_app.notifications.models import SENT, SKIPPED
from connector_app.returns.models import ReturnRequest
from connector_app.returns.signals import notify_requests_changed
from connector_app.returns.turns import record_answer
from connector_app.sync.models import FAILED, ShopSyncState, SyncRun
from connector_app.timeutil import utcnow
from tests.notifications.conftest import (
    HOUR,
    by_kind,
    deliveries,
    notifications,
    now_unix,
    sent_mail,
    tick,
    waiting_request,
)
from tests.sync.helpers import work

RID = "576800000000000001"


def test_a_new_waiting_request_is_in_the_app_once_and_left_for_the_digest(app, factories, shop):
    waiting_request(factories, shop, RID, deadline=now_unix() + 40 * HOUR, product_name="Linen apron")
    tick(app)
    tick(app)
    [alert] = notifications(app)
    assert alert.kind == "request_waiting" and alert.in_app and alert.read_at is None
    assert alert.title == f"Return and refund {RID} is waiting for your answer"
    assert "Linen apron" in alert.body and "Approve or reject the return by" in alert.body
    assert alert.link == f"/returns/{RID}"
    assert deliveries(app) == [] and sent_mail(app) == []  # "waiting" is emailed in the daily digest


def test_each_threshold_crossed_is_one_alert_and_one_email(app, factories, shop):
    start = utcnow()
    waiting_request(factories, shop, RID, deadline=now_unix() + 30 * HOUR)
    tick(app, start)
    for hours in (7, 8, 12, 27, 27.1, 29):  # 23 h, 22 h, 18 h, 3 h, 2.9 h and 1 h before the deadline
        tick(app, start + timedelta(hours=hours))
    near = by_kind(notifications(app), "deadline_near")
    assert [n.stage for n in near] == [24, 4]
    assert near[1].title == f"4 h left: Return and refund {RID} needs your answer"
    assert "If you do not, TikTok approves the request for you." in near[1].body
    mails = sent_mail(app)
    assert [m.subject for m in mails] == [n.title for n in near]
    assert all(d.state == SENT and d.message_id for d in deliveries(app))
    assert f"http://127.0.0.1:5000/returns/{RID}" in mails[1].body


def test_a_request_first_seen_inside_a_threshold_gets_the_tightest_alert_only(app, factories, shop):
    waiting_request(factories, shop, RID, deadline=now_unix() + 3 * HOUR)
    tick(app)
    [alert] = notifications(app)
    assert (alert.kind, alert.stage) == ("deadline_near", 4)  # not also "24 h left", not "waiting"
    assert len(sent_mail(app)) == 1


def test_requests_due_at_once_are_one_email_listing_each(app, factories, shop):
    for n in range(3):
        waiting_request(factories, shop, f"57680000000000001{n}", deadline=now_unix() + 10 * HOUR)
    tick(app)
    [mail] = sent_mail(app)
    assert mail.subject == "3 alerts: A deadline is near"
    for n in range(3):
        assert f"/returns/57680000000000001{n}" in mail.body
    assert len({d.message_id for d in deliveries(app)}) == 1


def test_a_request_answered_through_the_app_gets_no_deadline_alert(app, factories, shop):
    start = utcnow()
    waiting_request(factories, shop, RID, deadline=now_unix() + 30 * HOUR)
    tick(app, start)
    with app.app_context():
        request = db.session.scalars(select(ReturnRequest)).one()
        record_answer(shop.seller_id, request.id, "APPROVE_RETURN", utcnow())
        db.session.commit()
    tick(app, start + timedelta(hours=7))
    tick(app, start + timedelta(hours=27))
    assert by_kind(notifications(app), "deadline_near") == []
    assert sent_mail(app) == []


def test_an_alert_whose_request_moved_on_before_it_was_sent_is_not_emailed(app, factories, shop):
    from connector_app.notifications import delivery, scan

    waiting_request(factories, shop, RID, deadline=now_unix() + 5 * HOUR)
    with app.app_context():
        scan.run_scan()  # decided and committed; the send job has not run yet
    factories.returns(shop, [factories.aftersale(request_id=RID, status="AWAITING_BUYER_SHIP")], "webhook")
    with app.app_context():
        delivery.send_due()
    [sent] = deliveries(app)
    assert sent.state == SKIPPED and "answered or moved on" in sent.detail
    assert sent_mail(app) == []
    assert len(notifications(app)) == 1  # the in-app notification stays: it was true when raised


def test_tiktok_deciding_after_the_deadline_is_told_with_the_status_and_what_it_cost(app, factories, shop):
    deadline = now_unix() - 60
    waiting_request(factories, shop, RID, deadline=deadline, update_time=deadline - 48 * HOUR, total="80.00")
    tick(app)
    late = factories.aftersale(
        request_id=RID, status="AWAITING_BUYER_SHIP", update_time=deadline + 30, total="80.00", currency="GBP"
    )
    factories.returns(shop, [late], "webhook")
    tick(app)
    tick(app)
    [decided] = by_kind(notifications(app), "decided_by_tiktok")
    assert decided.title == f"TikTok decided Return and refund {RID} for you"
    moved = "TikTok moved the request to “Waiting for the buyer to ship” (Aftersale Returning)."
    assert moved in decided.body
    assert "The refund at stake: 80.00 GBP." in decided.body
    assert decided.link == f"/returns/{RID}"
    assert sent_mail(app) == []  # by default in the daily digest


def test_a_request_answered_on_tiktok_in_time_is_not_reported_as_decided(app, factories, shop):
    waiting_request(factories, shop, RID, deadline=now_unix() + 40 * HOUR)
    factories.returns(shop, [factories.aftersale(request_id=RID, status="AWAITING_BUYER_SHIP")], "webhook")
    tick(app)
    assert [n.kind for n in notifications(app)] == []  # it never waited when the scan looked


def test_a_moved_deadline_is_noticed_though_no_status_changed(app, factories, shop):
    waiting_request(factories, shop, RID, deadline=now_unix() + 40 * HOUR)
    tick(app)
    waiting_request(factories, shop, RID, deadline=now_unix() + 2 * HOUR, update_time=now_unix())
    tick(app)
    assert [(n.kind, n.stage) for n in notifications(app)] == [("request_waiting", 0), ("deadline_near", 4)]


def test_the_sellers_own_thresholds_apply(app, factories, shop):
    with app.app_context():
        services.save_choices(shop.seller_id, thresholds=(12,), digest_minute=480, channels_by_kind={})
        db.session.commit()
    waiting_request(factories, shop, RID, deadline=now_unix() + 20 * HOUR)
    waiting_request(factories, shop, "576800000000000002", deadline=now_unix() + 10 * HOUR)
    tick(app)
    alerts = {n.subject_id: (n.kind, n.stage) for n in notifications(app)}
    assert sorted(alerts.values()) == [("deadline_near", 12), ("request_waiting", 0)]


def test_a_kind_switched_off_in_the_app_is_still_emailed_and_never_unread(app, factories, shop, client, auth):
    with app.app_context():
        choice = {"deadline_near": {"in_app": False, "email": "immediate"}}
        services.save_choices(shop.seller_id, thresholds=(24, 4), digest_minute=480, channels_by_kind=choice)
        db.session.commit()
    waiting_request(factories, shop, RID, deadline=now_unix() + 3 * HOUR)
    tick(app)
    [alert] = notifications(app)
    assert not alert.in_app and alert.read_at is not None
    assert len(sent_mail(app)) == 1
    with app.app_context():
        assert services.unread_count(shop.seller_id) == 0


def test_email_switched_off_creates_no_delivery(app, factories, shop):
    with app.app_context():
        choice = {"deadline_near": {"in_app": True, "email": "off"}}
        services.save_choices(shop.seller_id, thresholds=(24, 4), digest_minute=480, channels_by_kind=choice)
        db.session.commit()
    waiting_request(factories, shop, RID, deadline=now_unix() + 3 * HOUR)
    tick(app)
    assert len(notifications(app)) == 1 and deliveries(app) == [] and sent_mail(app) == []


def test_an_unconfirmed_address_gets_no_alert_email(app, factories):
    seller = factories.seller(email="new@shop.example")  # never followed the verification link
    shop = factories.tiktok_shop(seller)
    waiting_request(factories, shop, RID, deadline=now_unix() + 3 * HOUR)
    tick(app)
    [skipped] = deliveries(app)
    assert skipped.state == SKIPPED and "not confirmed" in skipped.detail
    assert sent_mail(app) == []


def test_alerts_are_per_seller(app, factories, shop):
    other = factories.seller(email="other@shop.example")
    other_shop = factories.tiktok_shop(other)
    waiting_request(factories, shop, RID, deadline=now_unix() + 3 * HOUR)
    waiting_request(factories, other_shop, "576800000000000009", deadline=now_unix() + 3 * HOUR)
    tick(app)
    assert len(notifications(app, shop.seller_id)) == 1
    assert len(notifications(app, other.id)) == 1
    assert [m.to for m in sent_mail(app)] == [["owner@shop.example"]]  # the other address is unconfirmed


def test_a_sync_page_queues_no_alert_job_the_next_tick_reads_what_it_changed(app, factories, shop):
    from connector_app.extensions import rq

    waiting_request(factories, shop, RID, deadline=now_unix() + 3 * HOUR)
    with app.app_context():
        pk = db.session.scalar(select(ReturnRequest.id))
        notify_requests_changed(shop.seller_id, [pk], "sync")
        assert rq.queue.count == 0  # a full sync sends this for every page: no job per page
    tick(app)
    assert [n.kind for n in notifications(app)] == ["deadline_near"]


def test_a_change_of_requests_raises_its_alerts_at_once_without_the_scan(app, factories, shop):
    result = waiting_request(factories, shop, RID, deadline=now_unix() + 3 * HOUR)
    assert result is not None
    with app.app_context():
        pk = db.session.scalar(select(ReturnRequest.id))
        notify_requests_changed(shop.seller_id, [pk], "webhook")  # as a webhook job does after its commit
    work(app)
    [alert] = notifications(app)
    assert alert.kind == "deadline_near" and len(sent_mail(app)) == 1
    tick(app)
    assert len(notifications(app)) == 1 and len(sent_mail(app)) == 1


# -- connections and sync ---------------------------------------------------------------------------


def test_a_deauthorized_shop_is_told_once_right_away_and_again_after_a_new_connection(app, shop):
    with app.app_context():
        connect_services.mark_shop_deauthorized(shop.shop_id, "The seller deauthorized the app.")
        db.session.commit()  # the webhook job's step; the alert job is queued with it
    work(app)
    tick(app)
    [lost] = notifications(app)
    assert lost.kind == "connection_lost" and lost.link == "/connect"
    assert lost.title == "Reconnect TikTok Shop: Harbor Goods (US)"
    assert "removed" in lost.body
    assert [m.subject for m in sent_mail(app)] == [lost.title]
    with app.app_context():  # the seller reconnects; later the access is lost again
        auth = db.session.get(TikTokAuthorization, shop.authorization_id)
        shop_row = db.session.get(TikTokShop, shop.id)
        auth.status = shop_row.status = CONNECTED
        auth.connected_at = shop_row.connected_at = utcnow() + timedelta(seconds=1)
        db.session.commit()
        connect_services.mark_shop_deauthorized(shop.shop_id, "Removed again.")
        db.session.commit()
    work(app)
    assert len(by_kind(notifications(app), "connection_lost")) == 2


def test_a_refused_refresh_is_a_lost_connection(app, factories, shop):
    etsy = factories.etsy_connection(shop_owner := factories.seller(email="etsy@shop.example"))
    with app.app_context():
        auth = db.session.get(TikTokAuthorization, shop.authorization_id)
        mark_needs_reconnect(TikTokAuthorization, auth, "TikTok Shop refused to renew the access.")
        mark_needs_reconnect(
            EtsyConnection, db.session.get(EtsyConnection, etsy.id), "Etsy said invalid_grant"
        )
        db.session.commit()
    tick(app)
    lost = by_kind(notifications(app), "connection_lost")
    assert {(n.seller_id, n.subject_type) for n in lost} == {
        (shop.seller_id, "tiktok"),
        (shop_owner.id, "etsy"),
    }
    assert any("TikTok Shop refused to renew the access." in n.body for n in lost)


def test_an_authorization_about_to_end_is_told_once_per_end_date(app, shop):
    ends = now_unix() + 20 * 24 * HOUR
    for _ in range(2):  # TikTok repeats the notice daily: the same end date is one alert
        with app.app_context():
            connect_services.note_authorization_expiring(shop.shop_id, ends)
            db.session.commit()
        work(app)
        tick(app)
    [expiring] = by_kind(notifications(app), "connection_expiring")
    assert expiring.deadline == ends and "Reconnect" in expiring.body
    assert sent_mail(app) == []  # in the digest by default


def test_a_sync_failing_longer_than_its_interval_allows_is_told_once_per_episode(app, shop):
    def fail_since(last_ok):
        with app.app_context():
            state = db.session.get(ShopSyncState, shop.id)
            state.sync_interval_minutes, state.last_sync_ok_at = 15, last_ok
            state.last_sync_at = utcnow() - timedelta(minutes=1)
            db.session.add(
                SyncRun(
                    id=f"run-{now_unix()}-{last_ok.minute}", seller_id=shop.seller_id, tiktok_shop_id=shop.id,
                    kind="incremental", state=FAILED, error="TikTok Shop did not answer in time.",
                    finished_at=utcnow(),
                )
            )  # fmt: skip
            db.session.commit()

    fail_since(utcnow() - timedelta(minutes=20))  # within twice the interval: not yet
    tick(app)
    assert notifications(app) == []
    fail_since(utcnow() - timedelta(hours=2))
    tick(app)
    tick(app)
    [failing] = notifications(app)
    assert failing.kind == "sync_failing" and failing.link == "/sync"
    assert "TikTok Shop did not answer in time" in failing.body
    assert len(sent_mail(app)) == 1
    with app.app_context():  # it recovers, then fails again: a new episode
        state = db.session.get(ShopSyncState, shop.id)
        state.last_sync_ok_at = state.last_sync_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    fail_since(utcnow() - timedelta(minutes=50))
    tick(app)
    assert len(notifications(app)) == 2
