"""One unit of work per request and per job step, and jobs enqueued only after their rows commit.

- **Requests.** :func:`init_app` commits the session once, after the view returned a response below
  400 to a writing method (POST, PUT, PATCH, DELETE), and rolls back otherwise. Views and services
  never commit: services ``flush()`` when they need ids or constraint checks. A GET or HEAD never
  commits (the test suite fails any that does), except the OAuth callbacks marked
  :func:`commits_on_get`, which marketplaces call as a GET.
- **Job steps.** A job wraps each durable step in ``with job_step():`` — commit on success, roll
  back on error — so a SIGKILL loses at most the step in flight.
- **Enqueue after commit (a transactional outbox).** :func:`enqueue_after_commit` adds a
  ``job_outbox`` row in the caller's transaction and remembers the job. When that transaction
  commits, the job is put on the RQ queue and its row deleted. If the queue cannot be reached the
  row stays, with the error, and the scheduler's :func:`flush_outbox` puts it on the queue once Redis
  answers again: a job is never lost because Redis blinked, and never queued for rows that did not
  commit. Jobs take ids and re-check state, so the rare double enqueue (queued, then the delete
  failed) changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import Flask, current_app, request
from redis.exceptions import RedisError
from rq import Retry
from sqlalchemy import JSON, DateTime, Integer, String, Text, delete, event, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from connector_app.extensions import db, rq
from connector_app.timeutil import utcnow

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PENDING = "enqueue_after_commit"
RETRY_AFTER = timedelta(seconds=30)  # a row this old was not queued by its own commit: the sweep does it
CLAIM_FOR = timedelta(seconds=60)


class JobOutbox(db.Model):
    """A job whose rows committed and that is not (known to be) on the queue yet."""

    __tablename__ = "job_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(64), unique=True)
    func: Mapped[str] = mapped_column(String(200))  # dotted path: enqueuing never imports the job
    args: Mapped[list] = mapped_column(JSON, default=list)
    options: Mapped[dict] = mapped_column(JSON, default=dict)  # enqueue_call keyword arguments
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


def enqueue_after_commit(func: str, *args, job_id: str | None = None, **options) -> str:
    """Queue ``func(*args)`` (a dotted path) once the current transaction commits; returns the job id.

    ``options`` are RQ ``enqueue_call`` keyword arguments (``timeout``, ``result_ttl``, ``description`` …),
    plus ``retry_intervals=[s, …]`` for RQ's retries. Nothing is queued if the transaction rolls back.
    """
    job_id = job_id or uuid.uuid4().hex
    row = JobOutbox(job_id=job_id, func=func, args=list(args), options=dict(options))
    db.session.add(row)
    db.session.info.setdefault(_PENDING, []).append((job_id, func, list(args), dict(options)))
    return job_id


def is_waiting_for_queue(job_id: str) -> bool:
    """True while ``job_id`` committed but is not on the queue yet (Redis was unreachable)."""
    return db.session.scalar(select(JobOutbox.id).where(JobOutbox.job_id == job_id)) is not None


def _put_on_queue(func: str, args: list, options: dict, job_id: str) -> None:
    options = dict(options)
    intervals = options.pop("retry_intervals", None)  # stored as plain data; RQ wants a Retry
    if intervals:
        options["retry"] = Retry(max=len(intervals), interval=list(intervals))
    rq.queue.enqueue_call(func, args=tuple(args), job_id=job_id, **options)


def _after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    queued, failed = [], []
    for job_id, func, args, options in pending:
        try:
            _put_on_queue(func, args, options, job_id)
            queued.append(job_id)
        except (RedisError, OSError) as exc:
            log.error("job %s (%s) could not be queued: %s; the scheduler retries it", job_id, func, exc)
            failed.append((job_id, type(exc).__name__))
    # The session cannot emit SQL inside after_commit: book-keeping goes through its own connection.
    with db.engine.begin() as conn:
        if queued:
            conn.execute(delete(JobOutbox).where(JobOutbox.job_id.in_(queued)))
        for job_id, error in failed:
            conn.execute(
                update(JobOutbox)
                .where(JobOutbox.job_id == job_id)
                .values(attempts=JobOutbox.attempts + 1, last_error=f"queue unavailable ({error})")
            )


def _after_soft_rollback(session: Session, previous_transaction) -> None:
    # Rolling back the whole transaction forgets its jobs (their outbox rows are gone with it). Fired
    # for every rollback() call, also one that never reached the database.
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def flush_outbox(now: datetime | None = None, limit: int = 200) -> int:
    """Put on the queue every outbox job its own commit could not queue; returns how many were queued.

    Run by the scheduler. Each row is claimed first (an UPDATE only one process wins), so two
    schedulers never queue the same row at once.
    """
    now = now or utcnow()
    rows = db.session.scalars(
        select(JobOutbox)
        .where(
            JobOutbox.created_at <= now - RETRY_AFTER,
            or_(JobOutbox.claimed_until.is_(None), JobOutbox.claimed_until < now),
        )
        .order_by(JobOutbox.id)
        .limit(limit)
    ).all()
    done = 0
    for row in rows:
        with job_step():
            claimed = db.session.execute(
                update(JobOutbox)
                .where(
                    JobOutbox.id == row.id,
                    or_(JobOutbox.claimed_until.is_(None), JobOutbox.claimed_until < now),
                )
                .values(claimed_until=now + CLAIM_FOR)
                .execution_options(synchronize_session=False)
            ).rowcount
        if not claimed:
            continue
        try:
            _put_on_queue(row.func, row.args, row.options, row.job_id)
        except (RedisError, OSError) as exc:
            log.warning("outbox job %s still cannot be queued: %s", row.job_id, type(exc).__name__)
            error = f"queue unavailable ({type(exc).__name__})"
            with job_step():
                db.session.execute(
                    update(JobOutbox)
                    .where(JobOutbox.id == row.id)
                    .values(attempts=JobOutbox.attempts + 1, last_error=error)
                )
            break  # the queue is down: the next sweep tries again
        with job_step():
            db.session.execute(delete(JobOutbox).where(JobOutbox.id == row.id))
        log.info("outbox job %s (%s) queued by the scheduler", row.job_id, row.func)
        done += 1
    return done


@contextmanager
def job_step() -> Iterator[None]:
    """One durable step of a job: commit when the block ends, roll back if it raises."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def commits_on_get(view):
    """Mark a GET view that must write: an OAuth redirect back from a marketplace, which the
    marketplace sends as a GET by protocol. Every other GET is read-only."""
    view.commits_on_get = True
    return view


def view_commits_on_get() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "commits_on_get", False))


def _end_request(response):
    if request.method in SAFE_METHODS and not view_commits_on_get():
        return response  # GET never writes: whatever the session holds is dropped at teardown
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


_listening = False


def init_app(app: Flask) -> None:
    global _listening
    app.after_request(_end_request)
    if not _listening:  # on this extension's sessionmaker only (not every Session of the process), once
        event.listen(db.session, "after_commit", _after_commit)
        event.listen(db.session, "after_soft_rollback", _after_soft_rollback)
        _listening = True
    from connector_app.commands import register_periodic

    register_periodic(app, flush_outbox, int(app.config.get("OUTBOX_SWEEP_SECONDS", 30)))
