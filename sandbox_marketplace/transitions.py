"""The one place request status changes: bumps update_time, appends a record, queues webhooks."""

from __future__ import annotations

import sqlite3
from typing import Any

from . import clock, records
from . import domain as d
from .webhooks import queue_status_change


def change_status(
    conn: sqlite3.Connection,
    row: sqlite3.Row,
    status: str,
    role: str,
    *,
    next_action: str = "",
    deadline: int = 0,
    reason_text: str = "",
    note: str = "",
    event: str = "",
    **columns: Any,
) -> sqlite3.Row:
    """Move ``row`` to ``status`` (and set other columns); return the updated row."""
    now = max(int(clock.now()), row["update_time"] + 1)
    values = {
        "status": status,
        "next_action": next_action,
        "deadline": deadline,
        "update_time": now,
        **columns,
    }
    assignments = ", ".join(f"{column}=?" for column in values)
    conn.execute(f"UPDATE request SET {assignments} WHERE id=?", [*values.values(), row["id"]])  # noqa: S608
    records.append(conn, row["id"], status, role, now, reason_text, note, event)
    updated = conn.execute("SELECT * FROM request WHERE id=?", (row["id"],)).fetchone()
    queue_status_change(conn, updated)
    return updated


def seller_deadline() -> int:
    return int(clock.now()) + d.RESPONSE_WINDOW
