"""Keeping the summaries current: a refresh job per seller, armed by changes and swept by the scheduler.

- ``returns.requests_changed`` (a sync page, a webhook or a decision committed) arms one refresh of
  that seller ``DEBOUNCE`` seconds later; more changes meanwhile ride along (a Redis key, plus a
  per-process note so a sync's pages do not even ask Redis again). The job deletes the key first, so
  a change it may not see arms the next one.
- ``periodic_refresh`` (every five minutes, from ``flask cron``) queues a refresh for every seller
  with a request or seller turn changed after their marks: what a lost signal, a deadline TikTok
  moved (which changes no status) or an unreachable Redis left behind. It remembers when it last ran
  (in Redis), so it reads only the turns changed since then.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import exists, func, select

from connector_app.accounts.models import Seller
from connector_app.dbutil import retry_on_conflict
from connector_app.extensions import db, rq
from connector_app.insights import summaries
from connector_app.insights.models import InsightState
from connector_app.returns.models import ReturnRequest, SellerTurn
from connector_app.timeutil import ensure_aware, utcnow
from connector_app.transactions import job_step

log = logging.getLogger(__name__)

DEBOUNCE = 10  # seconds between a change and the refresh that takes it in
PERIODIC_SECONDS = 5 * 60
JOB = "connector_app.insights.jobs.refresh_job"
BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
_armed_until: dict[tuple[str, int], float] = {}  # (queue, seller) -> monotonic time


def pending_key(seller_id: int) -> str:
    return f"{current_app.config['RQ_QUEUE']}:insights:pending:{seller_id}"


def arm_refresh(seller_id: int) -> bool:
    """Queue a refresh of the seller in ``DEBOUNCE`` seconds unless one is pending; True if queued."""
    memo = (current_app.config["RQ_QUEUE"], seller_id)
    if _armed_until.get(memo, 0.0) > time.monotonic():
        return False
    _armed_until[memo] = time.monotonic() + DEBOUNCE
    if not rq.connection.set(pending_key(seller_id), 1, nx=True, ex=DEBOUNCE * 30):
        return False
    description = f"insights refresh of seller {seller_id}"
    rq.queue.enqueue_in(timedelta(seconds=DEBOUNCE), JOB, seller_id, job_timeout=600, description=description)
    return True


def on_requests_changed(sender, *, seller_id: int, **_) -> None:
    """``returns.signals.requests_changed``: the seller's figures are out of date."""
    try:
        arm_refresh(seller_id)
    except Exception:  # never break the sync or webhook that sent the signal; the sweep catches up
        log.warning("could not arm an insights refresh for seller %s", seller_id, exc_info=True)


def refresh_job(seller_id: int) -> None:
    try:
        rq.connection.delete(pending_key(seller_id))
    except Exception:  # noqa: BLE001 - only the debounce suffers; the refresh itself needs no Redis
        log.warning("could not clear the insights refresh key of seller %s", seller_id, exc_info=True)
    refresh_seller(seller_id)


def refresh_seller(seller_id: int, *, full: bool = False) -> summaries.RefreshResult | None:
    """Refresh one seller's summaries in one transaction (retried if it lost a race); None if the
    seller no longer exists."""

    def unit() -> summaries.RefreshResult | None:
        with job_step():
            if db.session.get(Seller, seller_id) is None:
                return None
            return summaries.refresh(seller_id, full=full)

    started = time.perf_counter()
    result = retry_on_conflict(unit, describe=f"insights refresh of seller {seller_id}")
    if result is not None:
        log.info(
            "insights of seller %s: %s week(s) recomputed%s in %.2f s",
            seller_id,
            result.weeks,
            " (full rebuild)" if result.full else "",
            time.perf_counter() - started,
        )
    return result


def sweep_key() -> str:
    return f"{current_app.config['RQ_QUEUE']}:insights:last-sweep"


def sellers_to_refresh(since: datetime | None = None) -> list[int]:
    """Sellers with a request or a turn changed after their marks (or never refreshed at all).

    Requests: an index probe per seller (``seller_id, synced_at``). Turns: the ``updated_at`` index from
    ``since`` (the previous sweep's start, less ``OVERLAP``: anything older was found by that sweep),
    or from the oldest seller mark when that is unknown.
    """
    state = InsightState
    stale_requests = select(Seller.id).outerjoin(state, state.seller_id == Seller.id)
    stale_requests = stale_requests.where(
        exists().where(
            ReturnRequest.seller_id == Seller.id,
            ReturnRequest.synced_at > func.coalesce(state.requests_through, BEGINNING),
        )
    )
    found = set(db.session.scalars(stale_requests))
    lower = since - summaries.OVERLAP if since else db.session.scalar(select(func.min(state.turns_through)))
    if lower is not None:
        changed = select(SellerTurn.seller_id, func.max(SellerTurn.updated_at)).where(
            SellerTurn.updated_at > lower
        )
        marks = dict(db.session.execute(select(state.seller_id, state.turns_through)).all())
        for seller_id, latest in db.session.execute(changed.group_by(SellerTurn.seller_id)):
            mark = marks.get(seller_id)
            if mark is None or ensure_aware(latest) > ensure_aware(mark):
                found.add(seller_id)
    return sorted(found)


def periodic_refresh() -> int:
    """The scheduler's sweep: arm a refresh for every seller whose figures are behind."""
    started = utcnow()
    try:
        mark = rq.connection.get(sweep_key())
        since = datetime.fromisoformat(mark.decode()) if mark else None
    except (RedisError, ValueError):
        since = None
    armed = 0
    for seller_id in sellers_to_refresh(since):
        armed += arm_refresh(seller_id)
    db.session.rollback()  # read-only
    try:
        rq.connection.set(sweep_key(), started.isoformat(), ex=7 * 86_400)
    except RedisError:  # the next sweep reads turns from the oldest seller mark instead
        log.warning("could not store the insights sweep mark", exc_info=True)
    return armed


def refresh_all(*, full: bool = False) -> int:
    """Refresh every seller now, in this process (the ``flask insights rebuild`` command)."""
    sellers = list(db.session.scalars(select(Seller.id).order_by(Seller.id)))
    db.session.rollback()
    for seller_id in sellers:
        refresh_seller(seller_id, full=full)
    return len(sellers)
