"""The one writer of a running sync run's row: claim, heartbeat, checkpoint, finish, fail.

Each write matches only while the run is still this job's (``state = running``): a run the scheduler
marked dead meanwhile is never written again by its old job, which stops with ``RunTakenOver``.
Functions flush (through UPDATE statements); the job commits each step.
"""

from __future__ import annotations

from sqlalchemy import update

from connector_app.extensions import db
from connector_app.sync import schedule
from connector_app.sync.checkpoint import Checkpoint
from connector_app.sync.models import FAILED, QUEUED, RUNNING, SUCCEEDED, SyncRun
from connector_app.sync.subjects import RETURNS
from connector_app.tenancy import get_for_seller
from connector_app.timeutil import utcnow


class RunTakenOver(Exception):
    """The run is no longer ours (it was marked dead while we were slow): stop without writing."""


def _own_run(seller_id: int, run_id: str):
    return (
        update(SyncRun)
        .where(SyncRun.id == run_id, SyncRun.seller_id == seller_id, SyncRun.state == RUNNING)
        .execution_options(synchronize_session=False)
    )


def claim(run: SyncRun) -> bool:
    """queued → running, by exactly one worker. ``details.start_done`` anchors the time-left estimate."""
    now = utcnow()
    result = db.session.execute(
        update(SyncRun)
        .where(SyncRun.id == run.id, SyncRun.seller_id == run.seller_id, SyncRun.state == QUEUED)
        .values(state=RUNNING, started_at=now, heartbeat_at=now, details={"start_done": run.requests_done})
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def heartbeat(seller_id: int, run_id: str) -> None:
    if not db.session.execute(_own_run(seller_id, run_id).values(heartbeat_at=utcnow())).rowcount:
        raise RunTakenOver(run_id)


def checkpoint(seller_id: int, run_id: str, after: Checkpoint, *, finished: bool = False) -> None:
    """Write the run's checkpoint (and, when ``finished``, its success) with a heartbeat."""
    now = utcnow()
    values = {"heartbeat_at": now, **after.columns()}
    if finished:
        values.update(state=SUCCEEDED, finished_at=now, active_shop_id=None, error=None)
    if not db.session.execute(_own_run(seller_id, run_id).values(**values)).rowcount:
        raise RunTakenOver(run_id)


def fail(seller_id: int, run_id: str, message: str) -> None:
    """running → failed with a sentence for the seller; a returns run stamps the shop's last attempt."""
    now = utcnow()
    db.session.execute(
        _own_run(seller_id, run_id).values(
            state=FAILED, finished_at=now, active_shop_id=None, error=message, heartbeat_at=now
        )
    )
    run = get_for_seller(SyncRun, seller_id, id=run_id)
    if run is not None and run.shop is not None and run.subject == RETURNS:
        schedule.state_for(run.shop).last_sync_at = now
    db.session.flush()
