"""Responding to requests against the sandbox marketplace: every decision, refusals, idempotency.

A decision is claimed by the request and sent by a job (``run_jobs`` plays the worker): the POST
answers with the job's progress, and the job's progress URL shows the outcome once it ran.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from connector_app.actions.models import ActionAudit
from connector_app.extensions import db, rq
from connector_app.returns.models import ReturnRequest, ReturnStatusChange
from tests.actions.helpers import form_key, reject_form, run_jobs

pytestmark = pytest.mark.integration

# (next action, decision slug, status TikTok moves the request to)
APPROVALS = [
    ("SELLER_RESPOND_REFUND", "approve_refund", "RETURN_OR_REFUND_REQUEST_SUCCESS"),
    ("SELLER_RESPOND_RETURN", "approve_return", "AWAITING_BUYER_SHIP"),
    ("SELLER_RESPOND_RECEIVE_PACKAGE", "approve_received_package", "RETURN_OR_REFUND_REQUEST_SUCCESS"),
    ("SELLER_RESPOND_REPLACEMENT", "approve_replacement", None),
    ("SELLER_RESPOND_CANCEL", "approve_cancellation", "CANCELLATION_REQUEST_SUCCESS"),
]
REJECTIONS = [
    ("SELLER_RESPOND_REFUND", "reject_refund"),
    ("SELLER_RESPOND_RETURN", "reject_return"),
    ("SELLER_RESPOND_RECEIVE_PACKAGE", "reject_received_package"),
    ("SELLER_RESPOND_REPLACEMENT", "reject_replacement"),
    ("SELLER_RESPOND_CANCEL", "reject_cancellation"),
]


def stored(app, request_id: str) -> ReturnRequest:
    with app.app_context():
        row = db.session.scalars(select(ReturnRequest).where(ReturnRequest.request_id == request_id)).one()
        db.session.expunge(row)
        return row


def audits(app) -> list[ActionAudit]:
    with app.app_context():
        rows = db.session.scalars(select(ActionAudit).order_by(ActionAudit.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def remote(sandbox, request_id: str) -> dict:
    return next(r for r in sandbox.server.all_requests() if r["id"] == request_id)


@pytest.mark.parametrize(("action", "slug", "expected"), APPROVALS)
def test_every_approval_is_sent_and_the_request_moves_on(
    app, logged_in, waiting, sandbox, action, slug, expected
):
    _, [item] = waiting(action)
    url = f"/actions/{item['id']}/{slug}"
    form = logged_in.get(url)
    assert form.status_code == 200
    page = form.get_data(as_text=True)
    assert "Yes, approve" in page or "Yes, confirm" in page

    key = form_key(page)
    response = logged_in.htmx("POST", url, {"idempotency_key": key})

    assert response.status_code == 200
    started = response.get_data(as_text=True)
    assert 'id="action-panel"' in started and 'role="progressbar"' in started
    assert 'hx-trigger="every 1s"' in started and "to TikTok…" in started
    assert "Waiting for the job queue" not in started
    assert remote(sandbox, item["id"])["next_action"] == action  # nothing was sent by the request
    assert run_jobs(app) == 1
    finished = logged_in.htmx("GET", f"/actions/bulk/{key}")
    assert finished.status_code == 286  # htmx stops polling
    assert finished.headers["HX-Trigger"] == "returns-changed, request-decided"
    assert "done" in finished.get_data(as_text=True) and 'id="action-panel"' in finished.get_data(
        as_text=True
    )
    after = remote(sandbox, item["id"])
    assert after["next_action"] == ""
    row = stored(app, item["id"])
    assert row.status == after["status"] and not row.needs_action
    if expected:
        assert row.status == expected
    [audit] = audits(app)
    assert (audit.state, audit.decision, audit.actor) == ("succeeded", slug.upper(), "seller@example.com")
    assert audit.status_before != audit.status_after == row.status
    with app.app_context():
        sources = db.session.scalars(select(ReturnStatusChange.source).order_by(ReturnStatusChange.id)).all()
    assert sources[-1] == "action"


@pytest.mark.parametrize(("action", "slug"), REJECTIONS)
def test_every_rejection_uses_a_live_reason_and_a_comment(app, logged_in, waiting, sandbox, action, slug):
    _, [item] = waiting(action)
    url = f"/actions/{item['id']}/{slug}"
    page = reject_form(app, logged_in, url)
    reasons = [r.name for r in _live_reasons(app, item["id"])]
    assert reasons and all(f'value="{name}"' in page for name in reasons)
    in_place = logged_in.htmx("GET", url).get_data(as_text=True)  # htmx opens the confirm step in place
    assert "<html" not in in_place and 'id="action-panel"' in in_place and reasons[0] in in_place

    key = form_key(page)
    response = logged_in.post_form(
        url, {"idempotency_key": key, "reject_reason": reasons[0], "comment": "Item was used"}
    )

    assert response.status_code == 303  # without JavaScript: to the decision's progress page
    assert response.headers["Location"].endswith(f"/actions/bulk/{key}")
    assert "to TikTok…" in logged_in.get(f"/actions/bulk/{key}").get_data(as_text=True)
    run_jobs(app)
    outcome = logged_in.get(f"/actions/bulk/{key}").get_data(as_text=True)
    assert "done" in outcome and "Reason:" in outcome
    assert remote(sandbox, item["id"])["next_action"] == ""
    [audit] = audits(app)
    assert (audit.state, audit.reject_reason, audit.comment) == ("succeeded", reasons[0], "Item was used")
    assert audit.reject_reason_text
    assert stored(app, item["id"]).status == remote(sandbox, item["id"])["status"]


def _live_reasons(app, request_id):
    from connector_app.connect.clients import tiktok_client_for

    with app.app_context():
        row = db.session.scalars(select(ReturnRequest).where(ReturnRequest.request_id == request_id)).one()
        return tiktok_client_for(row.shop).get_reject_reasons(request_id)


def test_a_reject_needs_one_of_tiktoks_reasons(app, logged_in, waiting, sandbox):
    _, [item] = waiting("SELLER_RESPOND_RETURN")
    url = f"/actions/{item['id']}/reject_return"
    key = form_key(reject_form(app, logged_in, url))

    for reason in ("", "made_up_reason"):
        response = logged_in.post_form(url, {"idempotency_key": key, "reject_reason": reason})
        assert response.status_code == 400

    assert audits(app) == [] and rq.queue.count == 0
    assert remote(sandbox, item["id"])["next_action"] == "SELLER_RESPOND_RETURN"


def test_tiktoks_refusal_is_explained_and_changes_nothing_locally(app, logged_in, waiting, sandbox):
    shop, [item] = waiting("SELLER_RESPOND_RETURN")
    url = f"/actions/{item['id']}/approve_return"
    key = form_key(logged_in.get(url).get_data(as_text=True))
    _approve_elsewhere(app, shop, item["id"])  # e.g. in TikTok's Seller Center, after our page loaded
    before = stored(app, item["id"])

    response = logged_in.post_form(url, {"idempotency_key": key})
    run_jobs(app)

    page = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert response.status_code == 303
    assert "TikTok did not accept" in page and "has moved on since this page was loaded" in page
    assert "Nothing was changed; the request is now “waiting for the buyer to ship”" in page
    assert "36009004" not in page and "25011012" not in page, "no raw TikTok codes"
    after = stored(app, item["id"])  # re-read: the approval made in Seller Center is shown
    assert (before.status, after.status, after.needs_action) == (
        "RETURN_OR_REFUND_REQUEST_PENDING",
        "AWAITING_BUYER_SHIP",
        False,
    )
    detail = logged_in.get(f"/returns/{item['id']}").get_data(as_text=True)
    assert "/approve_return" not in detail and "/reject_return" not in detail, "no stale buttons"
    assert "TikTok is not waiting for your answer on this request" in detail
    [audit] = audits(app)
    assert (audit.state, audit.status_after) == ("refused", "AWAITING_BUYER_SHIP")
    again = logged_in.post_form(url, {"idempotency_key": key}).get_data(as_text=True)
    assert "was already submitted" in again and len(audits(app)) == 1, "a refusal is never resent"


def _approve_elsewhere(app, shop, request_id):
    from connector_app.connect.clients import tiktok_client_for
    from connector_app.connect.models import TikTokShop

    with app.app_context():
        client = tiktok_client_for(db.session.get(TikTokShop, shop.id))
        client.approve_return(request_id, "APPROVE_RETURN", idempotency_key="seller-center-1")


def test_a_decision_tiktok_does_not_wait_for_is_not_offered(app, logged_in, waiting):
    _, [item] = waiting("SELLER_RESPOND_RETURN")

    panel = logged_in.get(f"/actions/{item['id']}").get_data(as_text=True)
    wrong = logged_in.get(f"/actions/{item['id']}/approve_refund")
    posted = logged_in.post_form(f"/actions/{item['id']}/approve_refund", {"idempotency_key": "k" * 20})

    assert "Approve return" in panel and "Reject return" in panel
    assert "Approve refund" not in panel and "Approve cancellation" not in panel
    assert wrong.status_code == 409 and "not waiting for this decision" in wrong.get_data(as_text=True)
    assert posted.status_code == 409
    assert audits(app) == []


@pytest.mark.parametrize("htmx", [False, True])
def test_a_double_submit_acts_once_and_shows_the_first_outcome(app, logged_in, waiting, sandbox, htmx):
    _, [item] = waiting("SELLER_RESPOND_REFUND")
    url = f"/actions/{item['id']}/approve_refund"
    key = form_key(logged_in.get(url).get_data(as_text=True))

    send = (
        (lambda: logged_in.htmx("POST", url, {"idempotency_key": key}))
        if htmx
        else (lambda: logged_in.post_form(url, {"idempotency_key": key}))
    )
    first, second = send(), send()
    assert rq.queue.count == 1  # the second submit queued nothing
    run_jobs(app)
    third = send()

    assert first.status_code == (200 if htmx else 303) and second.status_code == 200
    assert third.status_code == (286 if htmx else 200)
    assert "already submitted" not in first.get_data(as_text=True)
    assert "already submitted" in second.get_data(as_text=True) and "to TikTok…" in second.get_data(
        as_text=True
    )
    assert "already submitted" in third.get_data(as_text=True) and "done" in third.get_data(as_text=True)
    assert run_jobs(app) == 0
    [audit] = audits(app)
    assert audit.attempts == 1 and audit.state == "succeeded"
    records = _records(app, item["id"])
    assert sum(1 for r in records if r.role == "SELLER") == 1


def _records(app, request_id):
    from connector_app.connect.clients import tiktok_client_for

    with app.app_context():
        row = db.session.scalars(select(ReturnRequest).where(ReturnRequest.request_id == request_id)).one()
        return tiktok_client_for(row.shop).get_return_records(request_id)


def test_a_failed_send_is_retried_with_the_same_key_and_acts_once(app, logged_in, waiting, sandbox):
    _, [item] = waiting("SELLER_RESPOND_REFUND")
    url = f"/actions/{item['id']}/approve_refund"
    key = form_key(logged_in.get(url).get_data(as_text=True))
    logged_in.post_form(url, {"idempotency_key": key})
    sandbox.server.set_faults(rate_500=1.0, seed=3)
    app.config.update(MARKETPLACE_TIMEOUT=2, MARKETPLACE_BACKOFF_BASE=0.01)  # the job's six tries, quickly
    try:
        run_jobs(app)
    finally:
        sandbox.server.clear_faults()
    failed = logged_in.get(f"/actions/bulk/{key}")
    assert "could not be sent" in failed.get_data(as_text=True)
    assert remote(sandbox, item["id"])["next_action"] == "SELLER_RESPOND_REFUND"

    retried = logged_in.post_form(url, {"idempotency_key": key})  # the same form, submitted again
    assert retried.status_code == 303
    retried = logged_in.get(retried.headers["Location"])

    assert "to TikTok…" in retried.get_data(as_text=True) and "already submitted" not in retried.get_data(
        as_text=True
    )
    assert run_jobs(app) == 1
    assert "done" in logged_in.get(f"/actions/bulk/{key}").get_data(as_text=True)
    [audit] = audits(app)
    assert audit.state == "succeeded" and audit.attempts == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ActionAudit)) == 1


def test_the_timeline_shows_the_decision_and_tiktoks_fresh_records_after_it(app, logged_in, waiting, sandbox):
    _, [item] = waiting("SELLER_RESPOND_RETURN")
    timeline = f"/returns/{item['id']}/timeline"
    logged_in.get(timeline)
    run_jobs(app)  # TikTok's records, as stored before the decision
    before = logged_in.get(timeline).get_data(as_text=True)
    assert "Loading" not in before and '<span class="muted">Seller</span>' not in before
    url = f"/actions/{item['id']}/approve_return"
    logged_in.post_form(url, {"idempotency_key": form_key(logged_in.get(url).get_data(as_text=True))})
    run_jobs(app)

    refetching = logged_in.get(timeline).get_data(as_text=True)
    assert "Loading TikTok Shop's own history" in refetching  # the stored records were out of date
    assert "Approve return" in refetching and "seller@example.com (in this app)" in refetching
    run_jobs(app)
    after = logged_in.get(timeline).get_data(as_text=True)
    assert after.count('<span class="muted">Seller</span>') == 1  # TikTok's record of the approval
