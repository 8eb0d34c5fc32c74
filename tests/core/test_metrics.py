"""``/metrics``: Prometheus text with what an operator watches, summed over processes in multiprocess mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import responses
from prometheus_client import REGISTRY
from sqlalchemy import text

from connector_app.config import TestConfig
from connector_app.connect.clients import etsy_auth, tiktok_client_for
from connector_app.extensions import db, rq
from connector_app.observability.metrics import (
    observe_rows_written,
    observe_webhook_processed,
)
from connector_app.sync.jobs import run_sync
from devtools.stack import BASE_DIR
from tests.connect.helpers import ETSY_TOKEN, etsy_tokens

TOKEN = {"Authorization": f"Bearer {TestConfig.OPERATOR_TOKEN}"}


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_are_prometheus_text_with_the_queue_read_at_scrape_time(app, client):
    with app.app_context():
        rq.queue.enqueue("connector_app.sync.jobs.enqueue_due_syncs")
    response = client.get("/metrics", headers=TOKEN)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    text = response.get_data(as_text=True)
    queue = rq_name(app)
    assert f'connector_queue_depth{{queue="{queue}"}} 1.0' in text
    assert f'connector_workers{{queue="{queue}"}} 0.0' in text
    assert "connector_queue_up 1.0" in text
    for family in ("connector_marketplace_calls_total", "connector_sync_run_duration_seconds"):
        assert f"# TYPE {family.removesuffix('_total')}" in text


def rq_name(app) -> str:
    with app.app_context():
        return rq.queue.name


def test_marketplace_calls_of_the_app_are_counted(app, mocked, factories, seller):
    before = sample(
        "connector_marketplace_calls_total", marketplace="Etsy", api="POST token", status="200", error=""
    )
    mocked.post(ETSY_TOKEN, json=etsy_tokens(access="a", refresh="r"))
    with app.app_context():
        etsy_auth().refresh("1001.old")
        shop = factories.tiktok_shop(seller)
        client = tiktok_client_for(db.session.merge(shop))
    after = sample(
        "connector_marketplace_calls_total", marketplace="Etsy", api="POST token", status="200", error=""
    )
    assert after == before + 1
    from connector_app.observability.metrics import observe_marketplace

    assert client._http.observer is observe_marketplace  # every client the app builds reports


def test_login_failures_are_counted(auth, seller):
    before = sample("connector_login_failures_total")
    auth.login(seller.email, "not the password")
    auth.login("nobody@example.com", "whatever it is")
    assert sample("connector_login_failures_total") == before + 2


def test_sync_runs_are_counted_by_outcome(app):
    before = sample("connector_sync_run_duration_seconds_count", outcome="skipped")
    with app.app_context():
        assert run_sync(1, "no-such-run") == "skipped"
    assert sample("connector_sync_run_duration_seconds_count", outcome="skipped") == before + 1


def test_rows_written_count_only_once_committed(app):
    def created() -> float:
        return sample("connector_rows_written_total", source="test", change="created")

    before = created()
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # a transaction is open, as when upsert_requests wrote rows
        observe_rows_written("test", 3, 0)
        db.session.rollback()
        assert created() == before
        db.session.execute(text("SELECT 1"))
        observe_rows_written("test", 2, 5)
        assert created() == before  # not before the commit
        db.session.commit()
    assert created() == before + 2
    assert sample("connector_rows_written_total", source="test", change="updated") >= 5


def test_webhook_lag_is_measured_from_tiktoks_timestamp():
    before_sum = sample("connector_webhook_lag_seconds_sum")
    before = sample("connector_webhook_lag_seconds_count")
    observe_webhook_processed({"timestamp": int(time.time()) - 20})
    observe_webhook_processed({"timestamp": "not a number"})  # ignored
    assert sample("connector_webhook_lag_seconds_count") == before + 1
    assert 19 <= sample("connector_webhook_lag_seconds_sum") - before_sum <= 25


def test_failed_jobs_are_counted_by_the_worker(app):
    from connector_app.worker import AppWorker

    job = "tests.core.worker_jobs.fail"
    before = sample("connector_job_failures_total", job=job)
    with app.app_context():
        rq.queue.enqueue(job)
        rq.queue.enqueue("tests.core.worker_jobs.take_a_while", 0)
        AppWorker([rq.queue], connection=rq.connection, app=app).work(burst=True)
    assert sample("connector_job_failures_total", job=job) == before + 1
    assert sample("connector_job_duration_seconds_count", job=job, outcome="failed") >= 1
    ok = sample(
        "connector_job_duration_seconds_count", job="tests.core.worker_jobs.take_a_while", outcome="ok"
    )
    assert ok >= 1


WRITER = """
import sys
from connector_app.observability.metrics import observe_login_failure, observe_rows_written
for _ in range(int(sys.argv[1])):
    observe_login_failure()
"""


def test_multiprocess_mode_adds_up_every_process(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for count in (2, 3):
        subprocess.run([sys.executable, "-c", WRITER, str(count)], cwd=BASE_DIR, env=env, check=True)
    reader = (
        "import json\n"
        "from connector_app.observability.metrics import render\n"
        "text = render(lambda: {'queue': 'q', 'depth': 4, 'oldest': 1.5, 'failed': 0, 'workers': 2})[0]\n"
        "print(json.dumps(text.decode()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", reader], cwd=BASE_DIR, env=env, check=True, capture_output=True
    )
    text = json.loads(out.stdout)
    assert "connector_login_failures_total 5.0" in text
    assert 'connector_queue_depth{queue="q"} 4.0' in text
