"""Sending deliveries exactly once — the same protocol for every channel.

1. **Decided.** A ``Delivery`` row (``pending``) committed together with its notification, under the
   notification's unique key (``services.raise_alerts``). Nothing is sent yet; a crash here loses
   nothing: the row waits, and every ``send_due`` (after the commit, and the scheduled sweep) finds it.
2. **Connected.** The channel's sender is opened (SMTP connect, STARTTLS, login) before anything is
   claimed: a mail server that cannot be reached leaves the rows ``pending`` (retried with back-off).
3. **Claimed.** ``pending``/``failed`` → ``sending`` with one UPDATE that only one process can win
   (``WHERE state IN (...)``), COMMITTED before the hand-off. Two workers, two schedulers or a job run
   twice: the loser claims nothing and sends nothing.
4. **Handed off, then recorded.** ``sent`` with the message id; a refusal for good is ``gave_up``; any
   other failure is ``failed`` with the next attempt after an exponential back-off.

A sender killed between 3 and 4 leaves ``sending``. Whether the channel took the message cannot be
known, so it is never sent again: after ``ALERT_SEND_LEASE_SECONDS`` it becomes ``unconfirmed`` and
the notifications page says so (the in-app notification stands). That window is the SMTP
transaction alone (step 2 happened before); a crash anywhere earlier is retried.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from connector_app.accounts.models import Seller
from connector_app.dbutil import retry_on_conflict
from connector_app.extensions import db
from connector_app.notifications.channels import Outgoing, Refused, channel_named
from connector_app.notifications.models import (
    FAILED,
    GAVE_UP,
    SENDABLE,
    SENDING,
    SENT,
    SKIPPED,
    UNCONFIRMED,
    Delivery,
    Notification,
)
from connector_app.notifications.preferences import prefs_for
from connector_app.notifications.sources import source_of
from connector_app.timeutil import utcnow
from connector_app.transactions import job_step

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=1)  # 1, 2, 4 … 64 minutes between attempts
UNCONFIRMED_DETAIL = (
    "The connector stopped while handing this email to the mail server, so it cannot tell whether it "
    "went out. It is not sent again (you would get it twice); check your inbox."
)


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    unconfirmed: int = 0
    batches: list[list[int]] = field(default_factory=list)


def lease() -> timedelta:
    return timedelta(seconds=int(current_app.config.get("ALERT_SEND_LEASE_SECONDS") or 300))


def backoff(attempts: int) -> timedelta:
    return BACKOFF_BASE * (2 ** max(0, min(attempts, MAX_ATTEMPTS) - 1))


def expire_stale(now: datetime | None = None) -> int:
    """``sending`` rows older than the lease: their sender died mid hand-off. Never resent."""
    now = now or utcnow()

    def unit():
        with job_step():
            return db.session.execute(
                update(Delivery)
                .where(Delivery.state == SENDING, Delivery.claimed_at < now - lease())
                .values(state=UNCONFIRMED, detail=UNCONFIRMED_DETAIL)
                .execution_options(synchronize_session=False)
            )

    result = retry_on_conflict(unit, describe="expiring alert deliveries")
    if result.rowcount:
        log.warning(
            "%s alert deliveries could not be confirmed (their sender stopped mid-send)", result.rowcount
        )
    return result.rowcount or 0


def send_due(ids: list[int] | None = None, now: datetime | None = None, limit: int = 500) -> SendReport:
    """Send the deliveries that are due (or just ``ids``), batched per (channel, seller, kind)."""
    now = now or utcnow()
    report = SendReport(unconfirmed=expire_stale(now))
    query = (
        select(Delivery.id, Delivery.channel, Delivery.seller_id, Notification.kind)
        .join(Notification, Notification.id == Delivery.notification_id)
        .where(Delivery.state.in_(SENDABLE), Delivery.next_attempt_at <= now)
        .order_by(Delivery.id)
        .limit(limit)
    )
    if ids is not None:
        query = query.where(Delivery.id.in_(ids))
    batches: dict[str, dict[tuple[int, str], list[int]]] = defaultdict(lambda: defaultdict(list))
    for delivery_id, channel, seller_id, kind in db.session.execute(query):
        batches[channel][(seller_id, kind)].append(delivery_id)
    db.session.rollback()  # end the read: no transaction stays open while a channel connects
    for name, groups in batches.items():
        channel = channel_named(name)
        if channel is None:
            log.error("alert deliveries for unknown channel %r left pending", name)
            continue
        _send_on(channel, groups, report, now)
    return report


def _send_on(channel, groups: dict[tuple[int, str], list[int]], report: SendReport, now: datetime) -> None:
    # What cannot or need not go is skipped first: no connection is opened for nothing.
    left: dict[tuple[int, str], list[int]] = {}
    for (seller_id, kind), ids in groups.items():
        keep = retry_on_conflict(
            lambda s=seller_id, k=kind, i=ids: _skip(channel, s, k, i, report), describe="skipping deliveries"
        )
        if keep:
            left[(seller_id, kind)] = keep
    if not left:
        return
    try:
        sender_context = channel.open()
        sender = sender_context.__enter__()
    except Exception as exc:  # noqa: BLE001 - unreachable: nothing was claimed, retry later
        log.warning("%s channel unavailable: %s", channel.name, type(exc).__name__)
        for ids in left.values():
            _retry_later(ids, f"{channel.label} could not be reached ({type(exc).__name__}).", now)
            report.failed += len(ids)
        return
    try:
        for (seller_id, kind), ids in left.items():
            _send_batch(channel, sender, seller_id, kind, ids, report)
    finally:
        sender_context.__exit__(None, None, None)


def _send_batch(channel, sender, seller_id: int, kind: str, ids: list[int], report: SendReport) -> None:
    claimed = retry_on_conflict(lambda: _claim_step(ids), describe="claiming alert deliveries")
    if not claimed:
        return
    with job_step():  # read what was claimed (committed above) for the message
        deliveries = list(
            db.session.scalars(
                select(Delivery)
                .where(Delivery.id.in_(claimed))
                .options(selectinload(Delivery.notification))
                .order_by(Delivery.id)
            )
        )
        seller = db.session.get(Seller, seller_id)
        outgoing = Outgoing(seller, kind, [d.notification for d in deliveries], deliveries)
        db.session.expunge_all()
    report.batches.append(claimed)
    try:
        message_id = sender.send(outgoing)
    except Refused as exc:
        _record(claimed, GAVE_UP, detail=f"Not sent: {exc}.")
        report.failed += len(claimed)
        return
    except Exception as exc:  # noqa: BLE001 - any other failure: not taken; retry with back-off
        log.warning("alert batch %s not sent (%s): retrying later", claimed, type(exc).__name__)
        _failed(claimed, f"{channel.label} failed ({type(exc).__name__}); trying again later.")
        report.failed += len(claimed)
        return
    _record(claimed, SENT, message_id=message_id, sent_at=utcnow())
    report.sent += len(claimed)


def _claim_step(ids: list[int]) -> list[int]:
    with job_step():
        return _claim(ids)


def _skip(channel, seller_id: int, kind: str, ids: list[int], report: SendReport) -> list[int]:
    """Skip what this channel cannot deliver to the seller or what is no longer worth sending (one
    committed step); returns the ids still to send."""
    with job_step():
        seller = db.session.get(Seller, seller_id)
        prefs = prefs_for([seller_id])[seller_id]
        deliveries = _sendable(ids)
        if seller is None or not deliveries:
            return []
        notes = [d.notification for d in deliveries]
        source = source_of(kind)
        relevant = source.still_relevant(notes) if source is not None else {n.id for n in notes}
        why_not = channel.unavailable(seller, prefs, kind)
        skip = [d for d in deliveries if why_not or d.notification_id not in relevant]
        for delivery in skip:
            delivery.state = SKIPPED
            delivery.detail = why_not or "Not sent: the request was answered or moved on before it was due."
        report.skipped += len(skip)
        return [d.id for d in deliveries if d not in skip]


def _sendable(ids: list[int]) -> list[Delivery]:
    return list(
        db.session.scalars(
            select(Delivery)
            .where(Delivery.id.in_(ids), Delivery.state.in_(SENDABLE))
            .options(selectinload(Delivery.notification))
            .order_by(Delivery.id)
        )
    )


def _claim(ids: list[int]) -> list[int]:
    """``pending``/``failed`` → ``sending``; the ids this process won (flushed; the step commits)."""
    if not ids:
        return []
    table = Delivery.__table__
    statement = (
        update(table)
        .where(table.c.id.in_(ids), table.c.state.in_(SENDABLE))
        .values(state=SENDING, claimed_at=utcnow(), attempts=table.c.attempts + 1, detail=None)
        .returning(table.c.id)
    )
    return sorted(db.session.scalars(statement))


def _record(ids: list[int], state: str, **values) -> None:
    def unit() -> None:
        with job_step():
            db.session.execute(
                update(Delivery)
                .where(Delivery.id.in_(ids), Delivery.state == SENDING)
                .values(state=state, **values)
                .execution_options(synchronize_session=False)
            )

    retry_on_conflict(unit, describe="recording alert deliveries")


def _failed(ids: list[int], detail: str) -> None:
    retry_on_conflict(lambda: _failed_step(ids, detail), describe="recording failed alert deliveries")


def _failed_step(ids: list[int], detail: str) -> None:
    with job_step():
        for delivery in db.session.scalars(
            select(Delivery).where(Delivery.id.in_(ids), Delivery.state == SENDING)
        ):
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.state, delivery.detail = (
                    GAVE_UP,
                    f"Not sent after {delivery.attempts} attempts: {detail}",
                )
            else:
                delivery.state, delivery.detail = FAILED, detail
                delivery.next_attempt_at = utcnow() + backoff(delivery.attempts)


def _retry_later(ids: list[int], detail: str, now: datetime) -> None:
    """The channel could not be opened: nothing was claimed; count an attempt and wait."""
    retry_on_conflict(lambda: _retry_later_step(ids, detail, now), describe="postponing alert deliveries")


def _retry_later_step(ids: list[int], detail: str, now: datetime) -> None:
    with job_step():
        for delivery in db.session.scalars(
            select(Delivery).where(Delivery.id.in_(ids), Delivery.state.in_(SENDABLE))
        ):
            delivery.attempts += 1
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.state, delivery.detail = (
                    GAVE_UP,
                    f"Not sent after {delivery.attempts} attempts: {detail}",
                )
            else:
                delivery.state, delivery.detail = FAILED, detail
                delivery.next_attempt_at = now + backoff(delivery.attempts)
