"""Starting sync runs: one at a time per shop and subject across processes, dead-run detection, resume.

A run is "active" while it is queued or running; its ``active_shop_id`` then holds the shop's id
under a unique constraint with its ``subject`` (``sync.subjects``), so whichever process inserts
first wins and every other one gets the running run back. Functions here flush and never commit:
the request (or the job step) commits, and the run's job is queued after that commit
(``enqueue_after_commit``). A run whose worker vanished (SIGKILL, OOM, a machine restart) is
detected by its stale heartbeat together with the RQ job's state, marked ``dead`` by the scheduler's
:func:`reap_dead_runs` (never by a page view), and the next run resumes from its checkpoint (phase,
page token, counters) instead of starting over.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import timedelta

from flask import current_app
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased, joinedload

from connector_app.connect.models import CONNECTED, DISCONNECTED, TikTokAuthorization, TikTokShop
from connector_app.connect.signals import GuideSyncStep
from connector_app.dbutil import insert_ignore
from connector_app.extensions import db, rq
from connector_app.sync import schedule, subjects
from connector_app.sync.models import (
    ACTIVE_STATES,
    DEAD,
    FAILED,
    QUEUED,
    SUCCEEDED,
    ShopSyncState,
    SyncRun,
)
from connector_app.tenancy import for_seller
from connector_app.timeutil import ensure_aware, utcnow
from connector_app.transactions import enqueue_after_commit, is_waiting_for_queue

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


def shops_with_last_sync(seller_id: int) -> list[tuple[TikTokShop, ShopSyncState | None]]:
    """The seller's shops that are not disconnected, each with its sync state (when it last synced),
    authorizations loaded (whether a shop can sync): one query, for the grid's Sync Returns controls."""
    query = (
        for_seller(TikTokShop, seller_id)
        .outerjoin(ShopSyncState, ShopSyncState.tiktok_shop_id == TikTokShop.id)
        .add_columns(ShopSyncState)
        .options(joinedload(TikTokShop.authorization))
        .where(TikTokShop.status != DISCONNECTED)
        .order_by(TikTokShop.name, TikTokShop.id)
    )
    return [(shop, state) for shop, state in db.session.execute(query).unique()]


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
        if status is None and is_waiting_for_queue(run.id):
            return False  # committed, waiting for Redis to come back: the outbox queues it
        return status is None or status in _ENDED_JOB_STATES
    return True


def mark_dead(run: SyncRun) -> bool:
    """Mark an active run dead (keeping its checkpoint). False when it had already ended meanwhile.
    Flushes; the caller's step commits."""
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
    db.session.refresh(run)
    if result.rowcount:
        log.warning("sync run %s for shop %s is dead: marked so", run.id, run.tiktok_shop_id)
    return bool(result.rowcount)


def reap_dead_runs() -> int:
    """Periodic (``flask cron``): mark every active run whose worker vanished dead; returns how many.

    Reads only active runs (a handful across all sellers); each is marked in its own step.
    """
    from connector_app.transactions import job_step

    reaped = 0
    active = db.session.scalars(select(SyncRun).where(SyncRun.state.in_(ACTIVE_STATES))).all()
    for run in active:
        with job_step():
            if is_dead(run) and mark_dead(run):
                reaped += 1
    return reaped


def _resumable(shop: TikTokShop, full: bool, subject: str) -> SyncRun | None:
    """The shop's latest run of ``subject`` if it ended half-way (failed or dead) with a checkpoint."""
    query = (
        for_seller(SyncRun, shop.seller_id)
        .where(SyncRun.tiktok_shop_id == shop.id, SyncRun.subject == subject)
        .order_by(SyncRun.created_at.desc())
        .limit(1)
    )
    last = db.session.scalars(query).first()
    if last is None or last.state not in (FAILED, DEAD) or last.phase is None:
        return None
    if full and last.kind != FULL:
        return None  # a full resync was asked for: an incremental checkpoint does not cover it
    return last


def _new_run(shop: TikTokShop, full: bool, trigger: str, subject: str) -> SyncRun:
    kind = FULL if full or not subjects.get(subject).has_synced(shop) else INCREMENTAL
    run = SyncRun(
        id=uuid.uuid4().hex,
        seller_id=shop.seller_id,
        tiktok_shop_id=shop.id,
        subject=subject,
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
    previous = _resumable(shop, full, subject)
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
    enqueue_after_commit(
        subjects.get(run.subject).job,
        run.seller_id,
        run.id,
        job_id=run.id,
        timeout=int(current_app.config.get("SYNC_JOB_TIMEOUT", 6 * 3600)),
        result_ttl=3600,
        failure_ttl=7 * 86400,
        description=f"{run.subject} sync shop {run.tiktok_shop_id} ({run.kind})",
    )


def start_sync(
    shop: TikTokShop, *, full: bool = False, trigger: str = "manual", subject: str = subjects.RETURNS
) -> SyncRun:
    """Queue a sync of ``shop``'s ``subject`` and return its run, or the run already active for both.

    Inserts the new run with ON CONFLICT DO NOTHING on the unique (``active_shop_id``, ``subject``):
    that decides, across processes, whose run is the one (a second writer skips and gets the first
    one's run back). The job is queued when the caller's transaction commits; if Redis cannot be
    reached then, the outbox queues it once Redis answers again (the run shows as queued meanwhile).
    """
    for _ in range(3):
        active = db.session.scalars(
            for_seller(SyncRun, shop.seller_id).where(
                SyncRun.tiktok_shop_id == shop.id,
                SyncRun.subject == subject,
                SyncRun.state.in_(ACTIVE_STATES),
            )
        ).first()
        if active is not None:
            if not is_dead(active):
                return active
            mark_dead(active)
            continue
        run = _new_run(shop, full, trigger, subject)
        values = {
            c.key: getattr(run, c.key) for c in SyncRun.__table__.columns if getattr(run, c.key) is not None
        }
        if not insert_ignore(SyncRun.__table__, [values], ["active_shop_id", "subject"]):
            continue  # another process started one a moment ago: show that one
        run = db.session.get(SyncRun, run.id)
        _enqueue(run)
        log.info("queued %s %s sync run %s for shop %s (%s)", run.kind, subject, run.id, shop.id, trigger)
        return run
    raise SyncUnavailable("Another sync for this shop is starting; try again in a moment.")


def start_syncs(shops: Sequence[TikTokShop], *, full: bool = False, trigger: str = "manual") -> list[SyncRun]:
    return [start_sync(shop, full=full, trigger=trigger) for shop in shops]


def latest_runs(seller_id: int, shop_ids: list[int], subject: str = subjects.RETURNS) -> list[SyncRun]:
    """The latest run of ``subject`` of each of these shops."""
    if not shop_ids:
        return []
    earlier = aliased(SyncRun)
    latest = (
        select(func.max(earlier.created_at))
        .where(earlier.tiktok_shop_id == SyncRun.tiktok_shop_id, earlier.subject == subject)
        .scalar_subquery()
    )
    query = (
        for_seller(SyncRun, seller_id)
        .where(SyncRun.tiktok_shop_id.in_(shop_ids), SyncRun.subject == subject, SyncRun.created_at == latest)
        .order_by(SyncRun.tiktok_shop_id)
    )
    runs: dict[int, SyncRun] = {}
    for run in db.session.scalars(query):
        runs.setdefault(run.tiktok_shop_id, run)
    return list(runs.values())


def guide_step(seller_id: int) -> GuideSyncStep:
    """The connection guide's "first sync" step for the seller's connected shops."""
    shops = connected_shops(seller_id)
    runs = latest_runs(seller_id, [shop.id for shop in shops])
    states = schedule.states_by_shop(seller_id)
    last_ok = [states[s.id].last_sync_ok_at for s in shops if s.id in states and states[s.id].last_sync_ok_at]
    step = GuideSyncStep(runs=runs, active=[r for r in runs if r.state in ACTIVE_STATES])
    step.last_ok_at = max(last_ok) if last_ok else None
    if step.active:
        step.state = "running"
    elif any(r.state == SUCCEEDED for r in runs) or step.last_ok_at is not None:
        step.state = "done"
    elif any(r.state == FAILED for r in runs):
        step.state = "failed"
    return step
