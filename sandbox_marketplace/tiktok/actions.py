"""Approve / Reject of returns and cancellations, with decision checks and idempotency keys."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Response, request

from .. import domain as d
from ..core import sandbox
from ..transitions import change_status
from . import bp
from . import envelope as e
from .api import load_request
from .guard import Caller, authenticate


def _body() -> dict[str, Any]:
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise e.TikTokError(e.INVALID_PARAMS, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise e.TikTokError(e.INVALID_PARAMS, "The request body must be a JSON object.")
    return body


def _partial(row: sqlite3.Row, body: dict[str, Any]) -> str:
    offer = body.get("partial_refund")
    try:
        amount = Decimal(str(offer["amount"]))
        currency = offer["currency"]
    except (TypeError, KeyError, InvalidOperation):
        raise e.TikTokError(e.INVALID_PARAMS, "partial_refund{currency, amount} is required.") from None
    if currency != row["currency"] or not Decimal(0) < amount < Decimal(row["refund_total"]):
        raise e.TikTokError(
            e.INVALID_PARAMS, "partial_refund must be in the order currency and below the total."
        )
    return json.dumps({"currency": currency, "amount": str(offer["amount"])})


def _apply_return(conn: sqlite3.Connection, row: sqlite3.Row, decision: str, body: dict[str, Any]) -> None:
    replacement = row["type"] == "REPLACEMENT"
    reason = body.get("reject_reason", "")
    note = body.get("comment", "")
    if decision == "APPROVE_REFUND":
        change_status(conn, row, d.R_SUCCESS, "SELLER")
    elif decision == "APPROVE_RETURN":
        if body.get("buyer_keep_item"):
            change_status(conn, row, d.R_SUCCESS, "SELLER", can_buyer_keep_item=1)
        else:
            change_status(conn, row, d.R_AWAIT_SHIP, "SELLER")
    elif decision == "OFFER_PARTIAL_REFUND":
        change_status(conn, row, d.R_AWAIT_BUYER, "SELLER", partial_refund=_partial(row, body))
    elif decision == "APPROVE_RECEIVED_PACKAGE":
        change_status(conn, row, d.X_COMPLETE if replacement else d.R_SUCCESS, "SELLER")
    elif decision == "APPROVE_REPLACEMENT":
        change_status(conn, row, d.R_AWAIT_SHIP, "SELLER")
    elif decision == "ISSUE_REPLACEMENT_REFUND":
        change_status(conn, row, d.X_REFUND_SUCCESS, "SELLER")
    elif decision == "REJECT_RECEIVED_PACKAGE":
        change_status(conn, row, d.R_REJECT_RECEIVE, "SELLER", reason_text=reason, note=note)
    elif decision == "REJECT_REPLACEMENT":
        change_status(conn, row, d.X_REJECT, "SELLER", reason_text=reason, note=note)
    else:  # REJECT_REFUND / REJECT_RETURN
        change_status(conn, row, d.R_REJECT, "SELLER", reason_text=reason, note=note)


def _check_reason(row: sqlite3.Row, caller: Caller, body: dict[str, Any]) -> None:
    names = {name for name, _ in d.reject_reasons(row["kind"], row["status"], caller.region)}
    reason = body.get("reject_reason")
    if reason in names:
        return
    if reason in d.known_reject_reason_names():
        raise e.TikTokError(e.REASON_OFFLINE, "The reject reason is offline for this request.")
    raise e.TikTokError(e.INVALID_PARAMS, "reject_reason must be a name returned by Get Reject Reasons.")


def _refuse_cancellation(row: sqlite3.Row, caller: Caller, approve: bool) -> None:
    if not approve and caller.region == "US":
        # Since 31 March 2024 a US seller rejects a buyer's cancellation by shipping the order.
        raise e.TikTokError(
            e.INVALID_PARAMS,
            "Reject Cancellation is not available for US shops: ship the order to reject the cancellation.",
        )
    if not row["next_action"]:
        raise e.TikTokError(e.ALREADY_HANDLED, "The cancellation is not waiting for a seller response.")


def _refuse_return(row: sqlite3.Row, approve: bool, decision: Any) -> None:
    """The documented refusals of a return decision, in the situations they describe."""
    if row["arbitration_status"] == "IN_PROGRESS":
        raise e.TikTokError(e.WITH_PLATFORM, "The request has been transferred to the platform operator.")
    action = row["next_action"]
    allowed = (d.APPROVE_DECISIONS if approve else d.REJECT_DECISIONS).get(action, ())
    if action and decision in allowed:
        return
    if row["status"] in d.CANCELLED_STATUSES:
        raise e.TikTokError(e.ALREADY_CANCELLED, "The request has already been cancelled.")
    if not approve and row["status"] in d.APPROVED_STATUSES and not action:
        raise e.TikTokError(
            e.ALREADY_APPROVED, "The request has already been approved and cannot be rejected."
        )
    if decision == "APPROVE_RECEIVED_PACKAGE":
        raise e.TikTokError(e.CANNOT_APPROVE_RECEIPT, "The current status cannot approve the receipt.")
    if approve and not action:
        raise e.TikTokError(e.STATUS_CANNOT_APPROVE, "The current status cannot approve the application.")
    raise e.TikTokError(
        e.WRONG_DECISION, f"decision {decision!r} does not answer {action or 'this status'}: use {allowed}."
    )


def _handle(kind: str, request_id: str, approve: bool) -> Response:
    caller = authenticate()
    key = request.args.get("idempotency_key", "")
    sb = sandbox()
    with sb.store.write() as conn:
        if key:
            seen = conn.execute(
                "SELECT * FROM idempotency WHERE shop_id=? AND key=?", (caller.shop_id, key)
            ).fetchone()
            if seen is not None:
                if seen["path"] != request.path:
                    raise e.TikTokError(
                        e.INVALID_PARAMS, "idempotency_key was already used for another request."
                    )
                return Response(seen["response"], status=seen["status"], mimetype="application/json")
        row = load_request(kind, request_id, caller.shop_id)
        body = _body()
        if kind == d.CANCEL:
            _refuse_cancellation(row, caller, approve)
            if approve:
                change_status(conn, row, d.C_SUCCESS, "SELLER")
            else:
                _check_reason(row, caller, body)
                change_status(
                    conn,
                    row,
                    d.C_CANCELLED,
                    "SELLER",
                    reason_text=body["reject_reason"],
                    note=str(body.get("comment", "")),
                )
        else:
            decision = body.get("decision")
            _refuse_return(row, approve, decision)
            if not approve:
                _check_reason(row, caller, body)
            _apply_return(conn, row, decision, body)
        response = e.ok({})
        if key:
            conn.execute(
                "INSERT INTO idempotency VALUES (?,?,?,?,?)",
                (caller.shop_id, key, request.path, response.status_code, response.get_data(as_text=True)),
            )
        return response


@bp.post("/return_refund/202309/returns/<return_id>/approve")
def approve_return(return_id: str) -> Response:
    return _handle(d.RETURN, return_id, approve=True)


@bp.post("/return_refund/202309/returns/<return_id>/reject")
def reject_return(return_id: str) -> Response:
    return _handle(d.RETURN, return_id, approve=False)


@bp.post("/return_refund/202309/cancellations/<cancel_id>/approve")
def approve_cancellation(cancel_id: str) -> Response:
    return _handle(d.CANCEL, cancel_id, approve=True)


@bp.post("/return_refund/202309/cancellations/<cancel_id>/reject")
def reject_cancellation(cancel_id: str) -> Response:
    return _handle(d.CANCEL, cancel_id, approve=False)
