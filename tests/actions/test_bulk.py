"""Bulk decisions as a job with progress, against the sandbox marketplace: a confirmation first (what
each request gets, the refunds per currency), then exactly the confirmed decisions."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from connector_app.actions.models import ActionAudit, BulkAction
from connector_app.extensions import db
from connector_app.returns.models import ReturnRequest
from tests.actions.helpers import form_key, run_jobs

pytestmark = pytest.mark.integration


def confirmed_items(html: str) -> list[str]:
    return re.findall(r'name="items" value="([^"]+)"', html)


def test_selected_rows_are_confirmed_then_approved_by_a_job_with_per_request_results(
    app, logged_in, waiting, sandbox, factories, seller
):
    shop, refunds = waiting("SELLER_RESPOND_REFUND", 2)
    _, cancels = waiting("SELLER_RESPOND_CANCEL", 1)
    done = factories.aftersale(status="RETURN_OR_REFUND_REQUEST_COMPLETE")
    factories.returns(shop, [done])
    ids = [r["id"] for r in refunds + cancels] + [done.request_id]

    confirm = logged_in.htmx(
        "POST", "/actions/bulk/confirm", {"verb": "approve", "request_ids": ids, "tab": "applying"}
    )
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Approve 3 requests?" in html
    assert html.count("Approve refund</strong>") == 2 and "Approve cancellation</strong>" in html
    assert f"{done.request_id}</a>: TikTok is not waiting for your answer" in html  # left out, said why
    assert confirmed_items(html) == [
        f"{refunds[0]['id']}:APPROVE_REFUND",
        f"{refunds[1]['id']}:APPROVE_REFUND",
        f"{cancels[0]['id']}:APPROVE_CANCELLATION",
    ]
    assert all(r["next_action"] != "" for r in sandbox.server.all_requests() if r["id"] in ids[:3])
    with app.app_context():
        assert db.session.scalar(select(BulkAction.id)) is None  # the confirmation changes nothing
    key = form_key(html)
    form = {"idempotency_key": key, "items": confirmed_items(html), "verb": "approve", "tab": "applying"}

    started = logged_in.htmx("POST", "/actions/bulk", form)

    assert started.status_code == 200
    assert 'role="progressbar"' in started.get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in started.get_data(as_text=True)
    again = logged_in.htmx("POST", "/actions/bulk", form)
    assert again.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(BulkAction.total)) == 3  # the double submit started nothing new

    assert run_jobs(app) >= 1

    progress = logged_in.htmx("GET", f"/actions/bulk/{key}")
    page = progress.get_data(as_text=True)
    assert progress.status_code == 286
    assert progress.headers["HX-Trigger"] == "returns-changed"
    assert "Approved 3 of 3" in page
    with app.app_context():
        states = dict(db.session.execute(select(ActionAudit.request_id, ActionAudit.state)).all())
        statuses = dict(db.session.execute(select(ReturnRequest.request_id, ReturnRequest.status)).all())
    assert states == dict.fromkeys(ids[:3], "succeeded")
    assert statuses[refunds[0]["id"]] == "RETURN_OR_REFUND_REQUEST_SUCCESS"
    assert statuses[cancels[0]["id"]] == "CANCELLATION_REQUEST_SUCCESS"
    assert all(r["next_action"] == "" for r in sandbox.server.all_requests() if r["id"] in ids)


def test_a_request_that_changed_since_the_confirmation_is_left_alone(app, logged_in, waiting, sandbox):
    """The confirmation showed "Approve refund"; the request moved on meanwhile: nothing is sent for it."""
    _, [first, second] = waiting("SELLER_RESPOND_REFUND", 2)
    items = [
        f"{first['id']}:APPROVE_REFUND",
        f"{second['id']}:APPROVE_RETURN",
    ]  # second: not what TikTok waits for
    key = "changed-bulk-key-0123456789"

    logged_in.htmx("POST", "/actions/bulk", {"idempotency_key": key, "items": items, "verb": "approve"})
    run_jobs(app)

    page = logged_in.htmx("GET", f"/actions/bulk/{key}").get_data(as_text=True)
    assert "Approved 1 of 2" in page and "1 skipped (changed since you confirmed)" in page
    assert next(r for r in sandbox.server.all_requests() if r["id"] == second["id"])["next_action"] != ""


def test_bulk_without_javascript_redirects_to_a_progress_page(app, logged_in, waiting):
    _, [item] = waiting("SELLER_RESPOND_REFUND")
    key = "plain-bulk-key-0123456789"

    response = logged_in.post_form(
        "/actions/bulk", {"idempotency_key": key, "items": [f"{item['id']}:APPROVE_REFUND"]}
    )

    assert response.status_code == 303 and response.headers["Location"].endswith(f"/actions/bulk/{key}")
    run_jobs(app)
    page = logged_in.get(f"/actions/bulk/{key}")
    assert page.status_code == 200 and "Approved 1 of 1" in page.get_data(as_text=True)


def test_bulk_with_nothing_selected_explains_what_to_do(logged_in):
    response = logged_in.htmx("POST", "/actions/bulk", {"idempotency_key": "empty-bulk-key-0123456789"})
    assert response.status_code == 400
    assert "Select at least one request" in response.get_data(as_text=True)

    confirm = logged_in.htmx("POST", "/actions/bulk/confirm", {"verb": "approve"})
    assert confirm.status_code == 400
    assert "Select at least one request" in confirm.get_data(as_text=True)


def test_one_bulk_job_per_seller_at_a_time_with_a_prefixed_job_id(app, logged_in, seller, waiting):
    _, items = waiting("SELLER_RESPOND_REFUND", 2)
    first = logged_in.htmx(
        "POST",
        "/actions/bulk",
        {"idempotency_key": "first-key-0123456789", "items": [f"{items[0]['id']}:APPROVE_REFUND"]},
    )
    second = logged_in.htmx(
        "POST",
        "/actions/bulk",
        {"idempotency_key": "second-key-0123456789", "items": [f"{items[1]['id']}:APPROVE_REFUND"]},
    )
    assert first.status_code == second.status_code == 200
    from connector_app.extensions import rq

    with app.app_context():
        assert db.session.scalars(select(BulkAction.id)).all() == ["first-key-0123456789"]
        assert rq.queue.job_ids == [f"bulk-{seller.id}-first-key-0123456789"]


def test_a_bulk_started_while_the_queue_is_down_says_so_and_runs_once_the_queue_is_back(
    app, logged_in, waiting, sandbox, monkeypatch
):
    from datetime import timedelta

    from redis.exceptions import ConnectionError as RedisConnectionError

    from connector_app import transactions
    from connector_app.extensions import rq
    from connector_app.timeutil import utcnow

    _, items = waiting("SELLER_RESPOND_REFUND", 2)
    key = "queue-down-bulk-key-0123456789"

    def unreachable(*args, **kwargs):
        raise RedisConnectionError("Connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(transactions, "_put_on_queue", unreachable)
        started = logged_in.htmx(
            "POST",
            "/actions/bulk",
            {"idempotency_key": key, "items": [f"{i['id']}:APPROVE_REFUND" for i in items]},
        )
        polled = logged_in.htmx("GET", f"/actions/bulk/{key}")

    assert started.status_code == 200 and 'role="progressbar"' in started.get_data(as_text=True)
    assert "Waiting for the job queue" not in started.get_data(as_text=True)  # not tried yet when answered
    assert polled.status_code == 200 and "Waiting for the job queue" in polled.get_data(as_text=True)
    assert rq.queue.count == 0 and all(
        r["next_action"] == "SELLER_RESPOND_REFUND" for r in sandbox.server.all_requests() if r in items
    )

    with app.app_context():  # the scheduler's sweep, once Redis answers again
        assert transactions.flush_outbox(now=utcnow() + timedelta(minutes=1)) == 1
    assert "Waiting for the job queue" not in logged_in.htmx("GET", f"/actions/bulk/{key}").get_data(
        as_text=True
    )
    assert run_jobs(app) == 1

    done = logged_in.htmx("GET", f"/actions/bulk/{key}")
    assert done.status_code == 286 and "Approved 2 of 2" in done.get_data(as_text=True)


def test_bulk_reject_offers_only_reasons_valid_for_every_request_then_rejects_them(
    app, logged_in, waiting, sandbox
):
    _, refunds = waiting("SELLER_RESPOND_REFUND", 2)
    ids = [r["id"] for r in refunds]

    loading = logged_in.htmx("POST", "/actions/bulk/confirm", {"verb": "reject", "request_ids": ids})
    assert "Loading TikTok's reasons" in loading.get_data(as_text=True)
    assert 'hx-trigger="load delay:1s"' in loading.get_data(as_text=True)
    assert run_jobs(app) >= 1  # the job fetches the shop's reasons for this decision

    confirm = logged_in.htmx("POST", "/actions/bulk/confirm", {"verb": "reject", "request_ids": ids})
    html = confirm.get_data(as_text=True)
    assert "Reject 2 requests?" in html and html.count("Reject refund</strong>") == 2
    reasons = re.findall(r'name="reject_reason" type="radio" value="([^"]+)"', html) or re.findall(
        r'type="radio"[^>]*value="([^"]+)"', html
    )
    assert reasons, html
    form = {
        "idempotency_key": form_key(html),
        "items": confirmed_items(html),
        "verb": "reject",
        "comment": "Used item",
    }
    refused = logged_in.htmx("POST", "/actions/bulk", {**form, "reject_reason": "not-one-of-tiktoks"})
    assert refused.status_code == 400 and "fits every selected request" in refused.get_data(as_text=True)

    started = logged_in.htmx("POST", "/actions/bulk", {**form, "reject_reason": reasons[0]})
    assert started.status_code == 200
    run_jobs(app)
    done = logged_in.htmx("GET", f"/actions/bulk/{form['idempotency_key']}").get_data(as_text=True)
    assert "Rejected 2 of 2" in done
    with app.app_context():
        audits = db.session.scalars(select(ActionAudit)).all()
    assert {(a.decision, a.reject_reason, a.comment, a.state) for a in audits} == {
        ("REJECT_REFUND", reasons[0], "Used item", "succeeded")
    }


def test_select_all_matching_confirms_every_request_of_the_view(app, logged_in, waiting):
    _, returns = waiting("SELLER_RESPOND_RETURN", 2)

    confirm = logged_in.htmx(
        "POST", "/actions/bulk/confirm", {"verb": "approve", "scope": "matching", "view": "tab=needs"}
    )
    html = confirm.get_data(as_text=True)
    assert "Approve 2 requests?" in html
    assert sorted(confirmed_items(html)) == sorted(f"{r['id']}:APPROVE_RETURN" for r in returns)
