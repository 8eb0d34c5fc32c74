"""Starting sync runs: one at a time per shop across processes, with dead-run detection and resume.

A run is "active" while it is queued or running; its ``active_shop_id`` then holds the shop's id
under a unique constraint, so whichever process inserts first wins and every other one gets the
running run back. A run whose worker vanished (SIGKILL, OOM, a machine restart) is detected by its
stale heartbeat together with the RQ job's state, marked ``dead``, and the next run resumes from its
checkpoint (phase, page token, counters) instead of starting over.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from connector_app.connect.models import CONNECTED, TikTokAuthorization, TikTokShop
from connector_app.extensions import db, rq
from connector_app.sync.models import ACTIVE_STATES, DEAD, FAILED, QUEUED, RUNNING, SyncRun
from connector_app.tenancy import for_seller
from connector_app.timeutil import ensure_aware, utcnow

log = logging.getLogger(__name__)

FULL = "full"
INCREMENTAL = "incremental"
DEAD_MESSAGE = "The sync stopped responding (its worker was interrupted); the next sync resumes from here."
_ENDED_JOB_STATES = {JobStatus.FAILED, JobStatus.FINISHED, JobStatus.STOPPED, JobStatus.CANCELED}


class SyncUnavailable(Exception):
    """The job queue could not be reached: the run was not started."""


def stale_after() -> timedelta:
    """How long a run may go without a heartbeat before it counts as dead (config SYNC_STALE_SECONDS)."""
    return timedelta(seconds=float(current_app.config.get("SYNC_STALE_SECONDS", 90)))


def connected_shops(seller_id: int) -> list[TikTokShop]:
    query = (
        for_seller(TikTokShop, seller_id)
        .join(TikTokAuthorization, TikTokShop.authorization_id == TikTokAuthorization.id)
        .where(TikTokShop.status == CONNECTED, TikTokAuthorization.status == CONNECTED)
        .order_by(TikTokShop.name, TikTokShop.id)
    )
    return list(db.session.scalars(query))


def active_runs(seller_id: int) -> list[SyncRun]:
    query = for_seller(SyncRun, seller_id).where(SyncRun.state.in_(ACTIVE_STATES))
    return list(db.session.scalars(query.order_by(SyncRun.created_at)))


def recent_runs(seller_id: int, limit: int = 50) -> list[SyncRun]:
    query = for_seller(SyncRun, seller_id).order_by(SyncRun.created_at.desc()).limit(limit)
    return list(db.session.scalars(query))


def _job_status(run_id: str) -> str | None:
    try:
        return Job.fetch(run_id, connection=rq.connection).get_status(refresh=False)
    except NoSuchJobError:
        return None


def is_dead(run: SyncRun) -> bool:
    """True when an active run will never make progress again.

    Cheap while the run looks healthy: RQ is only asked once the heartbeat (or, for a queued run, its
    creation) is older than ``stale_after()``. A queued run is dead when its job is gone or ended; a
    running run is dead when its job ended without the run saying so, or when it stopped beating (its
    worker was killed: RQ still lists the job as started, so the heartbeat is what tells).
    """
    if run.state not in ACTIVE_STATES:
        return False
    last_sign = run.heartbeat_at or run.started_at or run.created_at
    if utcnow() - ensure_aware(last_sign) < stale_after():
        return False
    status = _job_status(run.id)
    if run.state == QUEUED:
        return status is None or status in _ENDED_JOB_STATES
    return True


def mark_dead(run: SyncRun) -> bool:
    """Mark an active run dead (keeping its checkpoint). False when it had already ended meanwhile."""
    result = db.session.execute(
        update(SyncRun)
        .where(SyncRun.id == run.id, SyncRun.state.in_(ACTIVE_STATES))
        .values(
            state=DEAD,
            active_shop_id=None,
            finished_at=utcnow(),
            error=DEAD_MESSAGE,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(run)
    if result.rowcount:
        log.warning("sync run %s for shop %s is dead: marked so", run.id, run.tiktok_shop_id)
    return bool(result.rowcount)


def reap_if_dead(run: SyncRun) -> SyncRun:
    """Used by the progress views: a dead run is shown as such instead of 'running' forever."""
    if is_dead(run):
        mark_dead(run)
    return run


def _resumable(shop: TikTokShop, full: bool) -> SyncRun | None:
    """The shop's latest run if it ended half-way (failed or dead) with a checkpoint to resume from."""
    query = (
        for_seller(SyncRun, shop.seller_id)
        .where(SyncRun.tiktok_shop_id == shop.id)
        .order_by(SyncRun.created_at.desc())
        .limit(1)
    )
    last = db.session.scalars(query).first()
    if last is None or last.state not in (FAILED, DEAD) or last.phase is None:
        return None
    if full and last.kind != FULL:
        return None  # a full resync was asked for: an incremental checkpoint does not cover it
    return last


def _new_run(shop: TikTokShop, full: bool, trigger: str) -> SyncRun:
    kind = FULL if full or shop.returns_high_water is None else INCREMENTAL
    run = SyncRun(
        id=uuid.uuid4().hex,
        seller_id=shop.seller_id,
        tiktok_shop_id=shop.id,
        kind=kind,
        trigger=trigger,
        state=QUEUED,
        active_shop_id=shop.id,
        pages_done=0,
        requests_done=0,
        created_count=0,
        updated_count=0,
        unchanged_count=0,
    )
    previous = _resumable(shop, full)
    if previous is not None:
        run.kind = previous.kind
        run.resumed_from = previous.id
        for name in (
            "phase",
            "page_token",
            "window_start",
            "phase_high_water",
            "pages_done",
            "requests_done",
            "total_expected",
            "created_count",
            "updated_count",
            "unchanged_count",
        ):
            setattr(run, name, getattr(previous, name))
    return run


def _enqueue(run: SyncRun) -> None:
    from connector_app.sync.jobs import run_sync

    rq.queue.enqueue_call(
        run_sync,
        args=(run.seller_id, run.id),
        job_id=run.id,
        timeout=int(current_app.config.get("SYNC_JOB_TIMEOUT", 6 * 3600)),
        result_ttl=3600,
        failure_ttl=7 * 86400,
        description=f"sync shop {run.tiktok_shop_id} ({run.kind})",
    )


def start_sync(shop: TikTokShop, *, full: bool = False, trigger: str = "manual") -> SyncRun:
    """Queue a sync of ``shop`` and return its run, or return the run already active for the shop.

    Commits: the run row must be visible to the worker before its job is queued, and the commit is
    what decides, across processes, which caller's run is the one. Raises ``SyncUnavailable`` when
    the queue cannot be reached (the run is then recorded as failed).
    """
    for _ in range(3):
        active = db.session.scalars(
            for_seller(SyncRun, shop.seller_id).where(
                SyncRun.tiktok_shop_id == shop.id, SyncRun.state.in_(ACTIVE_STATES)
            )
        ).first()
        if active is not None:
            if not is_dead(active):
                return active
            mark_dead(active)
            continue
        run = _new_run(shop, full, trigger)
        db.session.add(run)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another process started one a moment ago: show that one
            continue
        try:
            _enqueue(run)
        except RedisError as exc:
            log.error("could not queue sync run %s: %s", run.id, exc)
            run.state, run.active_shop_id, run.finished_at = FAILED, None, utcnow()
            run.error = "The sync could not be started because the job queue is unavailable."
            db.session.commit()
            raise SyncUnavailable(run.error) from exc
        log.info("queued %s sync run %s for shop %s (%s)", run.kind, run.id, shop.id, trigger)
        return run
    raise SyncUnavailable("Another sync for this shop is starting; try again in a moment.")


def start_syncs(shops: Sequence[TikTokShop], *, full: bool = False, trigger: str = "manual") -> list[SyncRun]:
    return [start_sync(shop, full=full, trigger=trigger) for shop in shops]


def due_shops(now=None) -> list[tuple[int, int]]:
    """(seller_id, shop id) of connected shops whose scheduled sync is due — across all sellers: the
    one system-wide query of this feature; the caller loads each shop through its seller."""
    now = now or utcnow()
    query = (
        select(TikTokShop.seller_id, TikTokShop.id)
        .join(TikTokAuthorization, TikTokShop.authorization_id == TikTokAuthorization.id)
        .where(
            TikTokShop.status == CONNECTED,
            TikTokAuthorization.status == CONNECTED,
            TikTokShop.sync_interval_minutes > 0,
            (TikTokShop.next_sync_at.is_(None)) | (TikTokShop.next_sync_at <= now),
        )
        .order_by(TikTokShop.next_sync_at.is_not(None), TikTokShop.next_sync_at, TikTokShop.id)
    )
    return [(row.seller_id, row.id) for row in db.session.execute(query)]


def claim_scheduled_slot(shop: TikTokShop, now=None) -> bool:
    """Move the shop's ``next_sync_at`` one interval on, if it is still due (first claimer wins)."""
    now = now or utcnow()
    result = db.session.execute(
        update(TikTokShop)
        .where(
            TikTokShop.id == shop.id,
            TikTokShop.seller_id == shop.seller_id,
            (TikTokShop.next_sync_at.is_(None)) | (TikTokShop.next_sync_at <= now),
        )
        .values(next_sync_at=now + timedelta(minutes=shop.sync_interval_minutes))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount)


def is_stale(shop: TikTokShop, now=None) -> bool:
    """The shop's last successful sync is older than twice its interval (or it never synced)."""
    if shop.sync_interval_minutes <= 0:
        return False
    if shop.last_sync_ok_at is None:
        return True
    now = now or utcnow()
    return now - ensure_aware(shop.last_sync_ok_at) > timedelta(minutes=2 * shop.sync_interval_minutes)


__all__ = [
    "FULL",
    "INCREMENTAL",
    "RUNNING",
    "SyncUnavailable",
    "active_runs",
    "claim_scheduled_slot",
    "connected_shops",
    "due_shops",
    "is_dead",
    "is_stale",
    "mark_dead",
    "reap_if_dead",
    "recent_runs",
    "start_sync",
    "start_syncs",
]
