"""Return records (the timeline shown by Get Return Records)."""

from __future__ import annotations

import sqlite3
from typing import Any

from . import domain as d

EVENTS: dict[str, tuple[str, str]] = {
    d.R_PENDING: ("BUYER_APPLY_RETURN", "The buyer requested a return or refund."),
    d.X_PENDING: ("BUYER_APPLY_REPLACEMENT", "The buyer requested a replacement."),
    d.R_REJECT: ("SELLER_REJECT_APPLY", "The seller rejected the request."),
    d.X_REJECT: ("SELLER_REJECT_REPLACEMENT", "The seller rejected the replacement."),
    d.R_AWAIT_SHIP: ("SELLER_APPROVE_APPLY", "The request was approved; waiting for the buyer to ship."),
    d.R_SHIPPED: ("BUYER_SHIP_ITEM", "The buyer shipped the item back."),
    d.R_REJECT_RECEIVE: ("SELLER_REJECT_RECEIVE", "The seller rejected the returned package."),
    d.R_SUCCESS: ("REFUND_SUCCESS", "The refund was approved."),
    d.X_REFUND_SUCCESS: ("REPLACEMENT_REFUND_SUCCESS", "A refund was issued instead of a replacement."),
    d.R_CANCEL: ("REQUEST_CLOSED", "The request was closed."),
    d.X_CANCEL: ("REQUEST_CLOSED", "The replacement request was closed."),
    d.R_COMPLETE: ("REFUND_COMPLETE", "The refund was paid out."),
    d.X_COMPLETE: ("REPLACEMENT_COMPLETE", "The replacement was completed."),
    d.R_AWAIT_BUYER: ("SELLER_OFFER_PARTIAL_REFUND", "The seller offered a partial refund."),
    d.C_PENDING: ("BUYER_APPLY_CANCEL", "The buyer requested to cancel the order."),
    d.C_SUCCESS: ("CANCEL_SUCCESS", "The cancellation was approved."),
    d.C_CANCELLED: ("CANCEL_CLOSED", "The cancellation request was closed."),
    d.C_COMPLETE: ("CANCEL_COMPLETE", "The cancellation refund was paid out."),
}


EVENT_TEXT = {
    "PACKAGE_DELIVERED": "The return package was delivered to the seller.",
    "BUYER_APPEAL": "The buyer asked TikTok Shop to review the rejection.",
}


def event_for(status: str) -> tuple[str, str]:
    return EVENTS.get(status, ("STATUS_CHANGED", f"Status changed to {status}."))


def synthesized(row: sqlite3.Row) -> list[dict[str, Any]]:
    """Records of the seeded history, spread between create_time and the seeded update_time."""
    path = row["history"].split("|")
    span = max(0, row["history_end"] - row["create_time"])
    records = []
    for index, status in enumerate(path):
        event, description = event_for(status)
        at = row["create_time"] + (span * index // max(1, len(path) - 1) if len(path) > 1 else 0)
        role = "BUYER" if index == 0 else ("SELLER" if "SELLER" in event else "SYSTEM")
        records.append(
            {
                "event": event,
                "role": role,
                "description": description,
                "reason_text": row["reason_text"] if index == 0 else "",
                "note": "",
                "images": [],
                "create_time": at,
            }
        )
    return records


def all_records(conn: sqlite3.Connection, row: sqlite3.Row) -> list[dict[str, Any]]:
    stored = conn.execute("SELECT * FROM record WHERE request_id=? ORDER BY id", (row["id"],)).fetchall()
    return synthesized(row) + [
        {
            "event": r["event"],
            "role": r["role"],
            "description": r["description"],
            "reason_text": r["reason_text"],
            "note": r["note"],
            "images": [],
            "create_time": r["create_time"],
        }
        for r in stored
    ]


def append(
    conn: sqlite3.Connection,
    request_id: int,
    status: str,
    role: str,
    at: int,
    reason_text: str = "",
    note: str = "",
    event: str = "",
) -> None:
    default_event, description = event_for(status)
    if event:
        description = EVENT_TEXT.get(event, description)
    event = event or default_event
    conn.execute(
        "INSERT INTO record (request_id, event, role, description, reason_text, note, create_time) "
        "VALUES (?,?,?,?,?,?,?)",
        (request_id, event, role, description, reason_text, note, at),
    )
