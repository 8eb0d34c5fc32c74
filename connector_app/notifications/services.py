"""Every write of the alerts feature: raising alerts (exactly once), reading them, the seller's choices.

``raise_alerts`` inserts the notifications of a batch with ``INSERT … ON CONFLICT DO NOTHING RETURNING``
on their unique key (seller, kind, subject, deadline, stage): only the rows this statement inserted
come back, and only those get their channel deliveries, inserted in the same transaction. Two scans,
a scan and a webhook, or a job run twice that reach the same alert: the first to commit creates it,
the others insert nothing (on PostgreSQL the second waits on the unique index until the first
commits, then skips). Functions flush and never commit: the job step or request commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects import sqlite

from connector_app.extensions import db
from connector_app.notifications.channels import channels
from connector_app.notifications.kinds import IMMEDIATE, OFF, Alert
from connector_app.notifications.models import PENDING, Delivery, Notification
from connector_app.notifications.paths import chunked
from connector_app.notifications.preferences import prefs_for, settings_for_update
from connector_app.notifications.sources import all_kinds
from connector_app.tenancy import for_seller
from connector_app.timeutil import utcnow

KEY = ["seller_id", "kind", "subject_type", "subject_id", "deadline", "stage"]
UNREAD_SHOWN_UP_TO = 99  # the bell says "99+" beyond


def insert_new(table, rows: list[dict], conflict: list[str], returning: list[str]) -> list:
    """``INSERT rows … ON CONFLICT (conflict) DO NOTHING RETURNING returning``: the rows this statement
    inserted, never those another transaction inserted first.

    PostgreSQL: one statement whatever the number of rows, each column sent as one array
    (``INSERT … SELECT * FROM unnest(…)``) — psycopg parses a statement's text on every execution, and
    parsing a VALUES list of thousands of parameters costs more than running it. SQLite: one
    executemany (SQLAlchemy's batched VALUES, compiled once).
    """
    if not rows:
        return []
    bind = db.session.get_bind()
    if bind.dialect.name != "postgresql":
        columns = [table.c[name] for name in returning]
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=conflict).returning(*columns)
        return list(db.session.execute(statement, rows))
    names = list(rows[0])
    arrays = ", ".join(f"CAST(:{name} AS {table.c[name].type.compile(bind.dialect)}[])" for name in names)
    statement = text(
        f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays}) "  # noqa: S608 - our columns
        f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING RETURNING {', '.join(returning)}"
    )
    return list(db.session.execute(statement, {name: [row[name] for row in rows] for name in names}))


@dataclass
class Raised:
    created: int = 0  # notifications this call created (the others existed: raised before)
    deliveries: list[int] = field(default_factory=list)  # their deliveries to send, after the commit


def raise_alerts(alerts: Sequence[Alert], now: datetime | None = None) -> Raised:
    """Create the notifications of ``alerts`` that do not exist yet, with a delivery for every channel
    the seller wants them on right away."""
    now = now or utcnow()
    unique = list({alert.key: alert for alert in alerts}.values())
    if not unique:
        return Raised()
    prefs = prefs_for(alert.seller_id for alert in unique)
    created: list[tuple[int, int, str]] = []
    for batch in chunked(unique, 5000):
        rows = [
            {
                "seller_id": a.seller_id,
                "kind": a.kind,
                "subject_type": a.subject_type,
                "subject_id": a.subject_id,
                "deadline": a.deadline,
                "stage": a.stage,
                "title": a.title[:200],
                "body": a.body,
                "link": a.link[:512],
                "in_app": prefs[a.seller_id].in_app(a.kind),
                "created_at": now,
                # Not shown in the app (the seller switched it off for this kind): never unread.
                "read_at": None if prefs[a.seller_id].in_app(a.kind) else now,
            }
            for a in batch
        ]
        inserted = insert_new(Notification.__table__, rows, KEY, ["id", "seller_id", "kind"])
        created += [tuple(row) for row in inserted]
    return Raised(len(created), add_deliveries(created, prefs, now))


def add_deliveries(created: list[tuple[int, int, str]], prefs: dict, now: datetime) -> list[int]:
    """Deliveries for just-created notifications ``(id, seller_id, kind)`` on every immediate channel."""
    rows = []
    for notification_id, seller_id, kind in created:
        for channel in channels():
            if channel.mode(prefs[seller_id], kind) == IMMEDIATE:
                rows.append(
                    {
                        "seller_id": seller_id,
                        "notification_id": notification_id,
                        "channel": channel.name,
                        "state": PENDING,
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                )
    ids: list[int] = []
    for batch in chunked(rows, 5000):
        ids += [
            row[0] for row in insert_new(Delivery.__table__, batch, ["notification_id", "channel"], ["id"])
        ]
    return ids


# -- the seller's notifications ---------------------------------------------------------------------


def unread_count(seller_id: int) -> int:
    """Unread in-app notifications, counted up to ``UNREAD_SHOWN_UP_TO + 1`` (the bell's "99+")."""
    unread = (
        for_seller(Notification, seller_id)
        .with_only_columns(Notification.id)
        .where(Notification.read_at.is_(None))
        .limit(UNREAD_SHOWN_UP_TO + 1)
        .subquery()
    )
    return db.session.scalar(select(func.count()).select_from(unread)) or 0


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(seller_id: int, up_to_id: int | None = None) -> int:
    """Mark the seller's unread notifications read (those up to ``up_to_id``: the ones on screen)."""
    statement = (
        update(Notification)
        .where(Notification.seller_id == seller_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if up_to_id is not None:
        statement = statement.where(Notification.id <= up_to_id)
    return db.session.execute(statement).rowcount or 0


# -- the seller's choices ---------------------------------------------------------------------------


def save_choices(
    seller_id: int,
    *,
    thresholds: tuple[int, ...],
    digest_minute: int,
    channels_by_kind: dict[str, dict],
) -> None:
    row = settings_for_update(seller_id)
    row.thresholds = ",".join(str(h) for h in thresholds)
    row.digest_minute = digest_minute
    row.channels = {kind: dict(choice) for kind, choice in channels_by_kind.items() if kind in all_kinds()}
    row.updated_at = utcnow()
    db.session.flush()


def unsubscribe(seller_id: int, kind: str) -> bool:
    """Stop email of ``kind`` for the seller (the one-click link); True if it was on."""
    if kind not in all_kinds():
        return False
    row = settings_for_update(seller_id)
    choices = {key: dict(value) for key, value in (row.channels or {}).items()}
    was_on = prefs_for([seller_id])[seller_id].email(kind) != OFF
    choices.setdefault(kind, {})["email"] = OFF
    row.channels = choices  # a new dict: the JSON column sees the change
    row.updated_at = utcnow()
    db.session.flush()
    return was_on
