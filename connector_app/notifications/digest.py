"""The daily digest: at the time each seller chose, in their timezone, one email listing everything
waiting for their answer with its deadline, and what happened since the last digest (the alerts of
kinds they get "in the daily digest").

A digest is a notification like any other (kind ``digest``, subject the seller, ``deadline`` the local
date as ``YYYYMMDD``), so it is created once per seller and day whatever runs the job, and goes out
through the same exactly-once delivery. It is not shown under the bell. Nothing to say: no digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import render_template
from sqlalchemy import select

from connector_app.accounts.models import Seller
from connector_app.connect.models import TikTokShop
from connector_app.dbutil import insert_ignore, retry_on_conflict
from connector_app.extensions import db
from connector_app.notifications import paths
from connector_app.notifications.kinds import DIGEST, DIGEST_KIND, Alert
from connector_app.notifications.models import DigestSchedule, Notification
from connector_app.notifications.preferences import Prefs, next_digest_at, prefs_for, prefs_of
from connector_app.notifications.services import raise_alerts
from connector_app.returns.display import NEXT_ACTION_LABELS
from connector_app.returns.models import ReturnRequest, SellerTurn
from connector_app.tenancy import for_seller
from connector_app.timeutil import ensure_aware, localize, utcnow
from connector_app.transactions import job_step

WAITING_LISTED = 50  # the digest lists this many waiting requests, soonest deadline first
SCHEDULE_BATCH = 1000


@dataclass
class Waiting:
    request_id: str
    label: str
    deadline: int | None
    shop: str
    link: str


def schedule_new_sellers(now: datetime) -> int:
    """Give every seller without a digest schedule one (their next digest time). Flushes."""
    missing = db.session.execute(
        select(Seller.id, Seller.timezone)
        .outerjoin(DigestSchedule, DigestSchedule.seller_id == Seller.id)
        .where(DigestSchedule.seller_id.is_(None))
        .limit(SCHEDULE_BATCH)
    ).all()
    prefs = prefs_for(sid for sid, _ in missing)
    rows = [
        {"seller_id": sid, "next_at": next_digest_at(tz, prefs[sid].digest_minute, now)}
        for sid, tz in missing
    ]
    return insert_ignore(DigestSchedule.__table__, rows, ["seller_id"]) if rows else 0


def reschedule(seller: Seller, prefs: Prefs, now: datetime | None = None) -> None:
    """The seller changed their digest time (or timezone): the next one follows it. Flushes."""
    now = now or utcnow()
    schedule = db.session.get(DigestSchedule, seller.id)
    when = next_digest_at(seller.timezone, prefs.digest_minute, now)
    if schedule is None:
        insert_ignore(DigestSchedule.__table__, [{"seller_id": seller.id, "next_at": when}], ["seller_id"])
    else:
        schedule.next_at = when
    db.session.flush()


def due_sellers(now: datetime, limit: int = 500) -> list[int]:
    return list(
        db.session.scalars(
            select(DigestSchedule.seller_id)
            .where(DigestSchedule.next_at <= now)
            .order_by(DigestSchedule.next_at)
            .limit(limit)
        )
    )


def run_digest(seller_id: int, now: datetime) -> list[int]:
    """Create the seller's digest for today (if it is due and has something to say) and move the
    schedule on; returns the deliveries to send. Flushes; the caller's job step commits."""
    schedule = db.session.get(DigestSchedule, seller_id, with_for_update=True)
    seller = db.session.get(Seller, seller_id)
    if schedule is None or seller is None or ensure_aware(schedule.next_at) > now:
        return []  # another scheduler did it a moment ago
    prefs = prefs_of(seller_id)
    since = ensure_aware(schedule.last_at) if schedule.last_at else now - timedelta(days=1)
    schedule.next_at = next_digest_at(seller.timezone, prefs.digest_minute, now)
    db.session.flush()
    if not prefs.digest_on:
        return []  # switched off: its alerts stay in the app (and "since the last digest" keeps counting)
    schedule.last_at = now
    waiting, total = waiting_for(seller_id)
    happened = happened_since(seller_id, prefs, since)
    if not waiting and not happened:
        return []
    local = localize(now, seller.timezone)
    text = render_template(
        "notifications/email/digest_body.txt",
        seller=seller,
        waiting=waiting,
        total=total,
        happened=happened,
        when=lambda unix: _when(unix, seller, now),
        absolute=paths.absolute,
    )
    alert = Alert(
        seller_id=seller_id,
        kind=DIGEST_KIND,
        subject_type="seller",
        subject_id=str(seller_id),
        title=f"Your daily summary: {total} request{'s' if total != 1 else ''} waiting for your answer",
        body=text,
        link=paths.path_for("notifications.index"),
        deadline=int(local.strftime("%Y%m%d")),
    )
    return raise_alerts([alert], now).deliveries


def waiting_for(seller_id: int) -> tuple[list[Waiting], int]:
    """The seller's requests waiting for an answer, soonest deadline first, and how many there are."""
    open_turns = for_seller(SellerTurn, seller_id).where(
        SellerTurn.ended_at.is_(None), SellerTurn.answered_at.is_(None)
    )
    total = db.session.scalar(open_turns.with_only_columns(db.func.count())) or 0
    rows = db.session.execute(
        open_turns.with_only_columns(
            ReturnRequest.request_id,
            SellerTurn.action,
            SellerTurn.deadline,
            TikTokShop.name,
            TikTokShop.region,
        )
        .join(ReturnRequest, ReturnRequest.id == SellerTurn.request_pk)
        .join(TikTokShop, TikTokShop.id == ReturnRequest.tiktok_shop_id)
        .order_by(SellerTurn.deadline.is_(None), SellerTurn.deadline, SellerTurn.id)
        .limit(WAITING_LISTED)
    ).all()
    return [
        Waiting(
            request_id=r.request_id,
            label=NEXT_ACTION_LABELS.get(r.action, "Answer it"),
            deadline=r.deadline,
            shop=f"{r.name} ({r.region})",
            link=paths.path_for("returns.detail", request_id=r.request_id),
        )
        for r in rows
    ], total


def happened_since(seller_id: int, prefs: Prefs, since: datetime) -> list[Notification]:
    """Alerts since ``since`` of the kinds this seller reads in the digest (newest first, at most 50)."""
    kinds = [kind for kind in _digest_kinds() if prefs.email(kind) == DIGEST]
    if not kinds:
        return []
    return list(
        db.session.scalars(
            for_seller(Notification, seller_id)
            .where(Notification.kind.in_(kinds), Notification.created_at >= since)
            .order_by(Notification.id.desc())
            .limit(50)
        )
    )


def _digest_kinds() -> list[str]:
    from connector_app.notifications.sources import all_kinds

    return [key for key in all_kinds() if key != DIGEST_KIND]


def _when(unix: int | None, seller: Seller, now: datetime | None = None) -> str:
    if not unix:
        return "no deadline"
    local = localize(int(unix), seller.timezone).strftime(seller.date_format or "%Y-%m-%d %H:%M")
    overdue = int(unix) <= int((now or utcnow()).timestamp())
    return f"{local} (passed: TikTok decides any moment)" if overdue else local


def run_due_digests(now: datetime | None = None) -> list[int]:
    """Every digest that is due, one job step each; returns the deliveries to send."""
    now = now or utcnow()

    def schedule() -> None:
        with job_step():
            schedule_new_sellers(now)

    def one(seller_id: int) -> list[int]:
        with job_step():
            return run_digest(seller_id, now)

    retry_on_conflict(schedule, describe="scheduling digests")
    deliveries: list[int] = []
    for seller_id in due_sellers(now):
        deliveries += retry_on_conflict(
            lambda sid=seller_id: one(sid), describe=f"digest of seller {seller_id}"
        )
    return deliveries
