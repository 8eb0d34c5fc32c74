"""TikTok's documented refusals, driven against the sandbox through the seller's decision path.

Each case is a page loaded before the request moved on (in Seller Center, by the buyer, by TikTok's
platform team): the local copy still offers the decision, TikTok refuses it with its code. The seller
reads a plain sentence (never TikTok's raw message or code), the request is re-read and shown as it is
now without stale buttons, and the refused decision is never sent again.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connector_app.actions import services
from connector_app.actions.decisions import DECISIONS_BY_SLUG
from connector_app.actions.models import REFUSED, ActionAudit
from connector_app.actions.sending import needs_sending, send
from connector_app.extensions import db
from connector_app.returns.models import ReturnRequest
from connector_app.returns.tabs import tab_for_status
from tests.actions.helpers import connect_sandbox_shop, form_key, import_request, reject_form, run_jobs

pytestmark = pytest.mark.integration

PENDING = "RETURN_OR_REFUND_REQUEST_PENDING"
# (sandbox status now, arbitration, kind, the action the stale page offers, decision, code, sentence)
CASES = [
    ("REFUND_OR_RETURN_REQUEST_REJECT", "IN_PROGRESS", "return", "SELLER_RESPOND_REFUND", "approve_refund",
     "25011010", "platform team has taken this case over"),
    ("AWAITING_BUYER_SHIP", "", "return", "SELLER_RESPOND_RETURN", "approve_return",
     "25011012", "has moved on since this page was loaded"),
    ("BUYER_SHIPPED_ITEM", "", "return", "SELLER_RESPOND_RECEIVE_PACKAGE", "approve_received_package",
     "25011013", "has not been delivered back to you yet"),
    ("RETURN_OR_REFUND_REQUEST_CANCEL", "", "return", "SELLER_RESPOND_REFUND", "reject_refund",
     "25020009", "already cancelled"),
    ("AWAITING_BUYER_SHIP", "", "return", "SELLER_RESPOND_RETURN", "reject_return",
     "25020010", "already approved"),
    ("CANCELLATION_REQUEST_SUCCESS", "", "cancellation", "SELLER_RESPOND_CANCEL", "approve_cancellation",
     "25020003", "no longer waiting for your answer"),
]  # fmt: skip


def _gb_shop(sandbox) -> dict:
    return next(s for s in sandbox.server.shops() if s["region"] == "GB")


def _moved_on(sandbox, shop_id: str, status: str, arbitration: str, kind: str) -> dict:
    wanted_kind = "cancel" if kind == "cancellation" else "return"
    for item in sandbox.server.all_requests(shop_id):
        if (item["kind"], item["status"], item["next_action"]) != (wanted_kind, status, ""):
            continue
        if item["arbitration_status"] == arbitration and item["id"] not in sandbox.used:
            sandbox.used.add(item["id"])
            return item
    raise AssertionError(f"the sandbox has no {kind} in {status}/{arbitration or '-'} in shop {shop_id}")


def _as_loaded_earlier(app, request_id: str, action: str) -> None:
    """The seller's copy as it was when the page loaded: still waiting on ``action``."""
    with app.app_context():
        row = db.session.scalars(select(ReturnRequest).where(ReturnRequest.request_id == request_id)).one()
        earlier = "CANCELLATION_REQUEST_PENDING" if row.kind == "cancellation" else PENDING
        row.status, row.tab, row.next_action, row.needs_action = (
            earlier,
            tab_for_status(earlier),
            action,
            True,
        )
        row.arbitration_status, row.fingerprint = None, None
        db.session.commit()


def _stored(app, request_id: str) -> ReturnRequest:
    with app.app_context():
        row = db.session.scalars(select(ReturnRequest).where(ReturnRequest.request_id == request_id)).one()
        db.session.expunge(row)
        return row


@pytest.mark.parametrize(("status", "arbitration", "kind", "action", "slug", "code", "sentence"), CASES)
def test_each_refusal_is_explained_and_the_request_reread(
    app, logged_in, sandbox, factories, seller, status, arbitration, kind, action, slug, code, sentence
):
    remote_shop = _gb_shop(sandbox)
    shop = connect_sandbox_shop(app, sandbox.server, factories, seller, remote_shop)
    item = _moved_on(sandbox, remote_shop["id"], status, arbitration, kind)
    import_request(app, shop, item["id"], item["kind"])
    _as_loaded_earlier(app, item["id"], action)

    url = f"/actions/{item['id']}/{slug}"
    if DECISIONS_BY_SLUG[slug].is_reject:
        page = reject_form(app, logged_in, url)  # the reasons are fetched by a job first
    else:
        form = logged_in.get(url)
        assert form.status_code == 200, "the stale copy still offers the decision"
        page = form.get_data(as_text=True)
    data = {"idempotency_key": form_key(page)}
    if DECISIONS_BY_SLUG[slug].is_reject:
        data |= {"reject_reason": "seller_reject_apply_no_evidence"}
    response = logged_in.post_form(url, data)
    assert response.status_code == 303  # the decision is a job; its progress page shows the outcome
    assert run_jobs(app) >= 1

    body = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "TikTok did not accept" in body and sentence in body
    assert code not in body and "Nothing was changed; the request is now" in body
    assert f"/{slug}" not in body.split("Your decisions on this request")[0], "no stale buttons"
    row = _stored(app, item["id"])
    assert (row.status, row.next_action or "") == (status, ""), "re-read from TikTok"
    with app.app_context():
        [audit] = db.session.scalars(select(ActionAudit)).all()
        assert (audit.state, audit.status_after, audit.attempts) == (REFUSED, status, 1)
        assert not needs_sending(audit), "a refusal is never sent again"


def test_a_reject_reason_tiktok_took_offline_is_explained(app, sandbox, factories, seller):
    """25001020: the reason chosen on the page is no longer offered when the decision arrives."""
    [item] = sandbox.take("SELLER_RESPOND_RECEIVE_PACKAGE")
    remote_shop = sandbox.remote_shop(item["shop_id"])
    shop = connect_sandbox_shop(app, sandbox.server, factories, seller, remote_shop)
    import_request(app, shop, item["id"], item["kind"])
    with app.app_context():
        request = db.session.scalars(
            select(ReturnRequest).where(ReturnRequest.request_id == item["id"])
        ).one()
        decision = DECISIONS_BY_SLUG["reject_received_package"]
        offline = "seller_reject_apply_no_evidence"  # offered at the request stage, not on receipt
        audit, _ = services.claim(
            request, decision, "key-offline", "seller@example.com", reject_reason=offline
        )
        db.session.commit()
        send(audit)
        db.session.commit()
        assert audit.state == REFUSED
        assert "no longer offers the reason you chose" in audit.message
        assert request.next_action == "SELLER_RESPOND_RECEIVE_PACKAGE", "still waiting: choose another reason"
