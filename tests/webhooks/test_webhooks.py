"""POST /webhooks/tiktok: signature, replay, malformed and oversized bodies, duplicates, and the job."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from connector_app.connect.models import NEEDS_RECONNECT, TikTokAuthorization, TikTokShop
from connector_app.connect.services import app_group_of_shop  # noqa: E402 - before any monkeypatch
from connector_app.extensions import db, rq
from connector_app.marketplaces.tiktok.signing import webhook_signature
from connector_app.sync import services
from connector_app.sync.models import SUCCEEDED, ShopSyncState, SyncRun
from connector_app.timeutil import ensure_aware, utcnow
from connector_app.transactions import job_step
from connector_app.webhooks.models import WebhookEvent
from tests.sync.helpers import (
    app_view,
    connect_shop,
    point_app_at,
    sandbox_for,
    sandbox_view,
    tab_counts,
    work,
)
from tests.sync.test_faults import ROOT, _wait_for
from tests.sync.worker_app import environment

counter = iter(range(10**6))


def payload(type_: int = 12, shop_id: str = "7494000000000000001", **data) -> dict:
    return {"type": type_, "tts_notification_id": f"n-{next(counter)}", "shop_id": shop_id,
            "timestamp": int(time.time()), "data": data}  # fmt: skip


def app_credentials(app, raw: bytes) -> tuple[str, str]:
    """The key and secret of the app TikTok signs this shop's webhooks with (US shops: the US app)."""
    try:
        shop_id = str(json.loads(raw).get("shop_id") or "")
    except (ValueError, AttributeError):
        shop_id = ""
    with app.app_context():
        group = app_group_of_shop(shop_id)
    if group == "US":
        return app.config["TIKTOK_US_APP_KEY"], app.config["TIKTOK_US_APP_SECRET"]
    return app.config["TIKTOK_APP_KEY"], app.config["TIKTOK_APP_SECRET"]


def deliver(client, app, body: dict | bytes, signature: str | None = None):
    raw = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
    if signature is None:
        signature = webhook_signature(*app_credentials(app, raw), raw)
    return client.post(
        "/webhooks/tiktok", data=raw, headers={"Authorization": signature, "content-type": "application/json"}
    )


def events(app) -> list[WebhookEvent]:
    with app.app_context():
        return list(db.session.scalars(db.select(WebhookEvent)))


def test_signed_delivery_is_stored_acknowledged_empty_and_queued(client, app):
    response = deliver(client, app, payload(return_id="1"))
    assert response.status_code == 200 and response.data == b""
    (event,) = events(app)
    with app.app_context():
        assert rq.queue.fetch_job(f"webhook-{event.id}") is not None


def test_duplicate_delivery_is_acknowledged_and_ignored(client, app):
    body = payload(return_id="1")
    assert deliver(client, app, body).status_code == 200
    assert deliver(client, app, body).status_code == 200
    assert len(events(app)) == 1
    with app.app_context():
        assert rq.queue.count == 1


@pytest.mark.parametrize("signature", ["", "0" * 64, "Bearer x"])
def test_bad_signature_is_401(client, app, signature):
    assert deliver(client, app, payload(), signature=signature).status_code == 401
    assert events(app) == []


def test_signature_covers_the_raw_body(client, app):
    raw = json.dumps(payload(), separators=(",", ":")).encode()
    signature = webhook_signature(app.config["TIKTOK_APP_KEY"], app.config["TIKTOK_APP_SECRET"], raw)
    reformatted = json.dumps(json.loads(raw), indent=1).encode()  # same JSON, other bytes
    assert deliver(client, app, reformatted, signature=signature).status_code == 401


def test_stale_timestamp_is_refused(client, app):
    body = payload()
    body["timestamp"] -= app.config["WEBHOOK_MAX_AGE_SECONDS"] + 60
    assert deliver(client, app, body).status_code == 400
    assert events(app) == []


@pytest.mark.parametrize("raw", [b"{not json", b"[1,2]", b'{"type":"12","timestamp":1}', b""])
def test_broken_json_is_400(client, app, raw):
    assert deliver(client, app, raw).status_code == 400


def test_oversized_body_is_413(client, app):
    body = payload(padding="x" * (app.config["MAX_CONTENT_LENGTH"] + 10))
    assert deliver(client, app, body).status_code == 413


def test_unknown_shop_and_type_are_acknowledged_and_recorded(client, app, factories, seller):
    shop = factories.tiktok_shop(seller)
    deliver(client, app, payload(12, shop_id="999", return_id="1"))
    deliver(client, app, payload(99, shop_id=shop.shop_id))
    work(app)
    outcomes = sorted(e.outcome for e in events(app))
    assert outcomes == ["ignored: unknown shop", "ignored: unknown type 99"]


def test_deauthorization_and_expiry_reach_the_seller(client, app, factories, seller, logged_in):
    shop = factories.tiktok_shop(seller, name="Pine", region="GB")
    deliver(client, app, payload(7, shop_id=shop.shop_id, expiration_time=int(utcnow().timestamp()) + 86400))
    work(app)
    with app.app_context():
        authorization = db.session.get(TikTokAuthorization, shop.authorization_id)
        assert ensure_aware(authorization.refresh_token_expires_at) < utcnow() + timedelta(days=2)
    assert "about to end" in logged_in.get("/connect").get_data(as_text=True)  # the banner says so

    deliver(client, app, payload(6, shop_id=shop.shop_id, message="The seller deauthorized the app."))
    work(app)
    with app.app_context():
        stored = db.session.get(TikTokShop, shop.id)
        assert stored.status == NEEDS_RECONNECT and "access was removed" in stored.status_reason
        assert db.session.get(ShopSyncState, shop.id).next_sync_at is None  # no longer scheduled
    page = logged_in.get("/returns").get_data(as_text=True)
    assert "Your TikTok Shop Pine (GB) needs reconnecting: " in page  # one sentence, with the reason
    assert sorted(e.outcome for e in events(app)) == [
        "authorization expiry noted",
        "shop marked as needing reconnection",
    ]


@pytest.mark.integration
def test_status_change_refetches_the_request_and_updates_the_grid_data(client, app, seller):
    with sandbox_for(100) as sb:
        point_app_at(app, sb)
        shop = connect_shop(app, sb, seller)
        with app.app_context(), job_step():
            services.start_sync(db.session.get(type(shop), shop.id))
        work(app)
        (moved,) = sb.advance(1, shop_id=shop.shop_id)
        key = "return_id" if moved["kind"] == "return" else "cancel_id"
        deliver(
            client, app, payload(12 if moved["kind"] == "return" else 11, shop.shop_id, **{key: moved["id"]})
        )
        work(app)
        assert app_view(app, shop.id) == sandbox_view(sb, shop.shop_id)
        assert [e.outcome for e in events(app)] == ["updated"]


@pytest.mark.integration
@pytest.mark.slow  # real worker processes: in `make test` and CI, not in `make test-fast`
def test_webhook_storm_during_a_sync_ends_consistent(client, app, seller):
    with sandbox_for(1500) as sb:
        point_app_at(app, sb)
        shop = connect_shop(app, sb, seller)
        sb.set_faults(latency_ms=10)
        with app.app_context(), job_step():
            run_id = services.start_sync(db.session.get(type(shop), shop.id)).id
        command = [sys.executable, "-m", "flask", "--app", "tests.sync.worker_app:create", "worker"]
        workers = [subprocess.Popen(command, cwd=ROOT, env=environment(app)) for _ in range(2)]
        try:
            deliveries = 0
            for _ in range(5):
                for item in sb.advance(40, shop_id=shop.shop_id):
                    is_return = item["kind"] == "return"
                    key = "return_id" if is_return else "cancel_id"
                    body = payload(12 if is_return else 11, shop.shop_id, **{key: item["id"]})
                    for _ in range(2):  # every notification delivered twice
                        assert deliver(client, app, body).status_code == 200
                        deliveries += 1
                sb.advance_clock(1.05)  # the next step of a request gets a later update_time
            assert deliveries >= 400

            def settled() -> bool:
                with app.app_context():
                    run = db.session.get(SyncRun, run_id)
                    pending = db.session.scalar(
                        db.select(db.func.count())
                        .select_from(WebhookEvent)
                        .where(WebhookEvent.processed_at.is_(None))
                    )
                    return run.state == SUCCEEDED and pending == 0

            _wait_for(settled, timeout=90)
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=20)
        assert len(events(app)) == deliveries // 2
        assert app_view(app, shop.id) == sandbox_view(sb, shop.shop_id)
        stored, actual = tab_counts(app, shop.id)
        assert stored == actual


@pytest.mark.parametrize("region", ["US", "GB"])
def test_a_webhook_signed_by_the_other_app_is_refused(client, app, factories, seller, region):
    shop = factories.tiktok_shop(seller, region=region)
    raw = json.dumps(payload(7, shop_id=shop.shop_id), separators=(",", ":")).encode()
    mine = app_credentials(app, raw)
    other = (
        (app.config["TIKTOK_APP_KEY"], app.config["TIKTOK_APP_SECRET"])
        if region == "US"
        else (app.config["TIKTOK_US_APP_KEY"], app.config["TIKTOK_US_APP_SECRET"])
    )
    assert mine != other
    assert deliver(client, app, raw, signature=webhook_signature(*other, raw)).status_code == 401
    assert events(app) == []
    assert deliver(client, app, raw, signature=webhook_signature(*mine, raw)).status_code == 200


def test_a_webhook_for_an_unknown_shop_is_accepted_from_either_app(client, app):
    for key, secret in (
        (app.config["TIKTOK_APP_KEY"], app.config["TIKTOK_APP_SECRET"]),
        (app.config["TIKTOK_US_APP_KEY"], app.config["TIKTOK_US_APP_SECRET"]),
    ):
        raw = json.dumps(
            payload(12, shop_id="7499999999999999999", return_id="1"), separators=(",", ":")
        ).encode()
        assert deliver(client, app, raw, signature=webhook_signature(key, secret, raw)).status_code == 200
    assert len(events(app)) == 2


def test_other_types_are_offered_to_the_features_that_own_them(client, app, factories, seller):
    """A type this feature does not handle goes to webhook_received; the answer is recorded once."""
    from connector_app.webhooks.signals import webhook_received

    shop = factories.tiktok_shop(seller)
    seen = []

    def owner(event, *, shop, seller_id):
        seen.append((event.event_type, shop.shop_id if shop else None, seller_id))
        return "handled by its owner" if event.event_type == 77 else None

    webhook_received.connect(owner)
    try:
        deliver(client, app, payload(77, shop_id=shop.shop_id, order_id="576"))
        deliver(client, app, payload(42, shop_id=shop.shop_id))
        work(app)
    finally:
        webhook_received.disconnect(owner)
    assert sorted(seen) == [(42, shop.shop_id, seller.id), (77, shop.shop_id, seller.id)]
    by_type = {e.event_type: e for e in events(app)}
    assert by_type[77].outcome == "handled by its owner"
    assert by_type[77].seller_id == seller.id
    assert by_type[42].outcome == "ignored: unknown type 42"
