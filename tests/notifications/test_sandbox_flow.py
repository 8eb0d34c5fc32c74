"""End to end against the sandbox marketplace: a request waits, its deadline comes near, TikTok decides
it — with TikTok's webhooks (each delivered twice) and the scheduled tick racing them. The seller gets
each alert exactly once, in the app and by email, with links to the request."""

from __future__ import annotations

import json
import re
import time

import pytest

from connector_app.extensions import db
from connector_app.marketplaces.tiktok.signing import webhook_signature
from connector_app.notifications import services
from connector_app.sync import services as sync_services
from connector_app.transactions import job_step
from tests.fixtures.factories import PASSWORD
from tests.notifications.conftest import HOUR, by_kind, notifications, sent_mail, tick
from tests.sync.helpers import connect_shop, point_app_at, sandbox_for, work

pytestmark = pytest.mark.integration


def _deliver(client, app, sb, body: dict) -> None:
    """POST a webhook the sandbox queued, signed as TikTok signs it (the US app for a US shop)."""
    raw = json.dumps({**body, "timestamp": int(time.time())}, separators=(",", ":")).encode()
    key, secret = app.config["TIKTOK_US_APP_KEY"], app.config["TIKTOK_US_APP_SECRET"]
    response = client.post(
        "/webhooks/tiktok",
        data=raw,
        headers={"Authorization": webhook_signature(key, secret, raw), "content-type": "application/json"},
    )
    assert response.status_code == 200


def _twice(client, app, sb, shop, request_id: str) -> None:
    """TikTok's status-change webhook for the request (type 12), delivered twice, with the scheduled
    tick racing the jobs it starts."""
    [row] = [r for r in sb.all_requests(shop_id=shop.shop_id) if r["id"] == request_id]
    data = {"order_id": row["order_id"], "return_status": row["status"], "return_id": request_id}
    for n in range(2):
        body = {
            "type": 12,
            "tts_notification_id": f"{request_id}-{row['update_time']}-{n}",
            "shop_id": shop.shop_id,
        }
        _deliver(client, app, sb, {**body, "data": {**data, "update_time": row["update_time"]}})
    tick(app)
    work(app)  # the webhook jobs, then the alert jobs they queue
    tick(app)


def _mails_about(app, request_id: str) -> list:
    return [m for m in sent_mail(app) if f"/returns/{request_id}" in m.body]


def test_waiting_then_due_soon_then_decided_by_tiktok_each_told_once_with_links(app, client, auth, verified):
    with app.app_context():
        choice = {"decided_by_tiktok": {"in_app": True, "email": "immediate"}}
        services.save_choices(verified.id, thresholds=(24, 4), digest_minute=480, channels_by_kind=choice)
        db.session.commit()
    with sandbox_for(40) as sb:
        point_app_at(app, sb)
        shop = connect_shop(app, sb, verified)
        target = next(
            r for r in sb.all_requests(shop_id=shop.shop_id)
            if r["kind"] == "return" and r["status"] == "RETURN_OR_REFUND_REQUEST_PENDING"
        )["id"]  # fmt: skip
        sb.move_deadline(target, in_seconds=40 * HOUR)  # plenty of time: it just waits
        with app.app_context(), job_step():
            sync_services.start_sync(db.session.get(type(shop), shop.id))
        work(app)
        tick(app)
        [waiting] = [n for n in by_kind(notifications(app), "request_waiting") if target in n.title]
        assert waiting.link == f"/returns/{target}"
        assert _mails_about(app, target) == []  # waiting goes in the digest

        sb.move_deadline(target, in_seconds=3 * HOUR)  # TikTok: 3 hours left
        _twice(client, app, sb, shop, target)
        [near] = [n for n in by_kind(notifications(app), "deadline_near") if target in n.title]
        assert (near.stage, near.link) == (4, f"/returns/{target}")
        [near_mail] = _mails_about(app, target)
        assert near_mail.subject in (near.title, *(f"{n} alerts: A deadline is near" for n in range(2, 40)))

        # The deadline passes without an answer. (The sandbox's clock cannot simply move 3 h on: our
        # signed calls would fall outside its timestamp window. The deadline moves to the past instead.)
        sb.move_deadline(target, in_seconds=-60)
        _twice(client, app, sb, shop, target)
        decided = sb.advance_request(target)  # ... and TikTok decides
        assert decided["status"] in ("AWAITING_BUYER_SHIP", "RETURN_OR_REFUND_REQUEST_SUCCESS")
        _twice(client, app, sb, shop, target)

    alerts = [n for n in notifications(app) if n.subject_type == "request" and target in n.title]
    assert sorted(n.kind for n in alerts) == ["deadline_near", "decided_by_tiktok", "request_waiting"]
    [told] = by_kind(alerts, "decided_by_tiktok")
    assert told.title.startswith("TikTok decided ") and told.title.endswith(f"{target} for you")
    assert "passed without an answer" in told.body and told.link == f"/returns/{target}"
    mails = _mails_about(app, target)
    assert [m.subject for m in mails] == [near_mail.subject, told.title]  # one email each
    link = re.search(rf"http://127\.0\.0\.1:5000(/returns/{target})\b", mails[1].body).group(1)
    assert auth.login(verified.email, PASSWORD).status_code == 302
    assert client.get(link).status_code == 200
    page = client.get("/notifications").get_data(as_text=True)
    assert page.count(f"{target} needs your answer") == 1 and page.count(f"{target} for you") == 1
