"""Health: web readiness that does not depend on workers, a worker probe, and operator-only details."""

from __future__ import annotations

import time

import pytest
from rq import Worker

from connector_app import create_app
from connector_app.config import TestConfig
from connector_app.extensions import db, rq
from connector_app.timeutil import utcnow
from connector_app.webhooks.models import WebhookEvent

REMOTE = {"REMOTE_ADDR": "203.0.113.7"}
TOKEN = {"Authorization": f"Bearer {TestConfig.OPERATOR_TOKEN}"}


@pytest.fixture
def live_worker(app):
    with app.app_context():
        worker = Worker([rq.queue], connection=rq.connection, name=f"probe-{time.monotonic_ns()}")
        worker.register_birth()
        worker.heartbeat()
    yield worker
    with app.app_context():
        worker.register_death()


def test_healthz_is_ready_without_any_worker_and_tells_the_public_nothing_more(client):
    response = client.get("/healthz", environ_base=REMOTE)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("environ", "headers"),
    [
        (REMOTE, TOKEN),
        (REMOTE, {"X-Operator-Token": TestConfig.OPERATOR_TOKEN}),
        ({"REMOTE_ADDR": "127.0.0.1"}, {}),
        ({"REMOTE_ADDR": "::1"}, {}),
    ],
)
def test_operators_see_the_details(client, environ, headers):
    body = client.get("/healthz", environ_base=environ, headers=headers).get_json()
    assert body["database"]["ok"] is True
    assert body["redis"] == {"ok": True, "backend": "redis"}


@pytest.mark.parametrize(
    ("environ", "headers"),
    [
        (REMOTE, {}),
        (REMOTE, {"Authorization": "Bearer wrong-token"}),
        # Relayed by a proxy on the same host: loopback is the proxy's address, not the visitor's.
        ({"REMOTE_ADDR": "127.0.0.1"}, {"X-Forwarded-For": "198.51.100.4"}),
        ({"REMOTE_ADDR": "127.0.0.1"}, {"Forwarded": "for=198.51.100.4"}),
    ],
)
def test_everyone_else_gets_no_details_and_no_operator_pages(client, environ, headers):
    assert client.get("/healthz", environ_base=environ, headers=headers).get_json() == {"status": "ok"}
    assert client.get("/status", environ_base=environ, headers=headers).status_code == 404
    assert client.get("/metrics", environ_base=environ, headers=headers).status_code == 404


def test_loopback_can_be_switched_off(app_config, client):
    app = create_app(type("NoLoopback", (TestConfig,), {**app_config, "OPERATOR_ALLOW_LOOPBACK": False}))
    local = app.test_client()
    assert local.get("/metrics").status_code == 404
    assert local.get("/metrics", headers=TOKEN).status_code == 200


def test_healthz_is_503_when_the_database_is_down(tmp_path, app_config):
    config = dict(app_config, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    broken = create_app(type("Broken", (TestConfig,), config)).test_client()
    response = broken.get("/healthz", environ_base=REMOTE)
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}
    details = broken.get("/healthz", environ_base=REMOTE, headers=TOKEN).get_json()
    assert details["database"]["ok"] is False and details["redis"]["ok"] is True


def test_healthz_is_503_when_redis_is_down(tmp_path, app_config):
    config = dict(app_config, REDIS_URL=f"unix://{tmp_path}/nobody-listens.sock")
    broken = create_app(type("NoRedis", (TestConfig,), config)).test_client()
    response = broken.get("/healthz", headers=TOKEN)
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["redis"]["ok"] is False and body["database"]["ok"]
    assert broken.get("/metrics", headers=TOKEN).status_code == 200  # a scrape still answers
    assert b"connector_queue_up 0.0" in broken.get("/metrics", headers=TOKEN).data


def test_worker_check_fails_without_a_worker_and_passes_with_one(app, live_worker):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["worker", "--check"]).exit_code == 0
    named = runner.invoke(args=["worker", "--check", "--name", live_worker.name])
    assert named.exit_code == 0 and live_worker.name in named.output
    assert runner.invoke(args=["worker", "--check", "--name", "someone-else"]).exit_code == 1
    with app.app_context():
        live_worker.register_death()
    result = runner.invoke(args=["worker", "--check"])
    assert result.exit_code == 1
    assert "no worker is alive" in result.output


def test_status_page_shows_queue_workers_syncs_and_webhook_lag(app, client, factories, seller, live_worker):
    shop = factories.tiktok_shop(seller, name="Status Page Shop")
    with app.app_context():
        rq.queue.enqueue("connector_app.sync.jobs.enqueue_due_syncs")
        processed = utcnow()
        db.session.add(
            WebhookEvent(
                notification_id="lag-1",
                event_type=12,
                shop_id=shop.shop_id,
                payload={"timestamp": int(processed.timestamp()) - 30},
                processed_at=processed,
            )
        )
        db.session.add(WebhookEvent(notification_id="lag-2", event_type=12, payload={}))
        db.session.commit()
    body = client.get("/status", headers={**TOKEN, "Accept": "application/json"}).get_json()
    assert body["queue"]["depth"] == 1
    assert body["queue"]["oldest_job_age_seconds"] >= 0
    assert [w["name"] for w in body["workers"]] == [live_worker.name]
    assert body["shops"] == [
        {
            "shop": shop.id,
            "seller": seller.id,
            "status": shop.status,
            "last_sync_age_seconds": None,
            "last_sync_ok_age_seconds": None,
        }
    ]
    assert body["webhooks"]["pending"] == 1
    assert 29 <= body["webhooks"]["lag_max_seconds"] <= 32
    page = client.get("/status", headers=TOKEN).get_data(as_text=True)
    assert live_worker.name in page and "Waiting: 1" in page
    assert "Status Page Shop" not in page  # an operator page shows ids, not a seller's data
