"""No marketplace call on a web request thread: the guard works, and a TikTok brown-out waits in the job."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from connector_app.actions.models import ActionAudit
from connector_app.connect.clients import tiktok_client_for
from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.marketplaces import http
from tests.actions.helpers import form_key, run_jobs
from tests.fixtures.request_thread import MarketplaceCallOnWebThread

pytestmark = pytest.mark.integration


def test_the_guard_refuses_a_marketplace_call_made_while_a_request_is_handled(
    app, waiting, no_marketplace_call_on_a_web_request
):
    shop, [item] = waiting("SELLER_RESPOND_REFUND")
    with app.app_context():
        client = tiktok_client_for(db.session.get(TikTokShop, shop.id))
        assert client.get_return(item["id"]) is not None  # a job (no request) may call TikTok
        with app.test_request_context("/returns"), pytest.raises(MarketplaceCallOnWebThread):
            client.get_return(item["id"])

    assert len(no_marketplace_call_on_a_web_request) == 1
    assert "GET /returns" in no_marketplace_call_on_a_web_request[0]
    no_marketplace_call_on_a_web_request.clear()  # seen: do not fail this test at teardown


def test_a_429_with_retry_after_60_on_approve_leaves_every_web_thread_free(
    app, logged_in, waiting, sandbox, monkeypatch
):
    _, [item, other] = waiting("SELLER_RESPOND_REFUND", 2)
    url = f"/actions/{item['id']}/approve_refund"
    key = form_key(logged_in.get(url).get_data(as_text=True))
    other_url = f"/actions/{other['id']}/approve_refund"
    other_key = form_key(logged_in.get(other_url).get_data(as_text=True))
    waits: list[float] = []
    job_waits, resume = threading.Event(), threading.Event()

    def pause(seconds: float) -> None:  # the job's wait between tries, held until the test releases it
        waits.append(seconds)
        job_waits.set()
        assert resume.wait(30)

    monkeypatch.setattr(http, "pause", pause)
    csrf = {"X-CSRFToken": logged_in.csrf_token()}
    sandbox.server.set_faults(rate_429=1.0, retry_after=60, seed=1)
    try:
        started = time.monotonic()
        response = logged_in.htmx("POST", url, {"idempotency_key": key}, csrf=False, headers=csrf)
        assert time.monotonic() - started < 1.0  # the request queued the decision, it did not wait
        assert response.status_code == 200 and 'role="progressbar"' in response.get_data(as_text=True)

        worker = threading.Thread(target=run_jobs, args=(app,), daemon=True)
        worker.start()
        assert job_waits.wait(20), "the job never met TikTok's 429"
        assert waits == [60.0]  # the job waits as long as TikTok asked

        # While the job waits (60 s, as far as it knows), the web keeps answering: reads and writes.
        started = time.monotonic()
        progress = logged_in.htmx("GET", f"/actions/bulk/{key}")
        second = logged_in.htmx("POST", other_url, {"idempotency_key": other_key}, csrf=False, headers=csrf)
        assert time.monotonic() - started < 2.0
        assert progress.status_code == 200 and "to TikTok…" in progress.get_data(as_text=True)
        assert second.status_code == 200
    finally:
        sandbox.server.clear_faults()
        resume.set()
    worker.join(60)
    assert not worker.is_alive()

    finished = logged_in.htmx("GET", f"/actions/bulk/{key}")
    assert finished.status_code == 286 and "done" in finished.get_data(as_text=True)
    with app.app_context():
        states = dict(db.session.execute(select(ActionAudit.idempotency_key, ActionAudit.state)).all())
    assert states == {key: "succeeded", other_key: "succeeded"}
