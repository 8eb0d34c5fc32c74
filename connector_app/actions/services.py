"""Every write of the actions feature: starting decisions (single or bulk) and recording their progress.

A seller's decision never calls TikTok on the web request: the view calls ``start_decision`` (one
request) or ``start_bulk`` (several), which claim the decisions under the form's idempotency key and
queue the ``run_bulk`` job with ``enqueue_after_commit`` — the job is queued when the request's
transaction commits, and if Redis is down the job waits in the outbox (``waiting_for_queue``) until the
scheduler queues it. A single decision is a bulk of one: same job, same progress, same exactly-once
path (``sending.send``).

Functions flush and never commit: the request (or the job's ``job_step``) commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from connector_app.actions import queries
from connector_app.actions.decisions import DECISIONS_BY_SLUG, Decision, allowed_decisions
from connector_app.actions.models import (
    FAILED,
    FINAL_STATES,
    FINISHED,
    PENDING,
    QUEUED,
    REFUSED,
    RUNNING,
    SKIPPED,
    SUCCEEDED,
    ActionAudit,
    BulkAction,
)
from connector_app.actions.queries import find_audit, rq_job_id, waiting_for_queue
from connector_app.actions.sending import needs_sending
from connector_app.dbutil import insert_ignore
from connector_app.extensions import db
from connector_app.returns.models import ReturnRequest
from connector_app.tenancy import for_seller, get_for_seller
from connector_app.timeutil import utcnow
from connector_app.transactions import enqueue_after_commit

JOB = "connector_app.actions.jobs.run_bulk"
JOB_TIMEOUT = 30 * 60
MAX_BULK = 500
# A bulk job not finished within this long no longer blocks the seller from starting another.
ONE_BULK_AT_A_TIME_FOR = timedelta(minutes=15)
_COUNTERS = {SUCCEEDED: "succeeded", REFUSED: "refused", FAILED: "failed", SKIPPED: "skipped"}


class KeyConflict(ValueError):
    """The idempotency key was already used for a different request, decision or seller."""


class BulkRefused(ValueError):
    """A bulk approval that cannot start; the message tells the seller why."""


@dataclass
class Started:
    job: BulkAction
    repeated: bool  # a repeated submit of the same form: nothing new was queued


def _insert_ignore(table, values: dict, key: str) -> bool:
    """INSERT … ON CONFLICT (key) DO NOTHING; True if this statement inserted the row."""
    return insert_ignore(table, [values], [key]) == 1


def claim(
    request: ReturnRequest,
    decision: Decision,
    idempotency_key: str,
    actor: str,
    *,
    reject_reason: str | None = None,
    reject_reason_text: str | None = None,
    comment: str | None = None,
    bulk_id: str | None = None,
) -> tuple[ActionAudit, bool]:
    """Record the decision under its key; ``(row, True)`` if this call created it. Flushes."""
    values = {
        "seller_id": request.seller_id,
        "idempotency_key": idempotency_key,
        "request_pk": request.id,
        "request_id": request.request_id,
        "decision": decision.name,
        "reject_reason": reject_reason,
        "reject_reason_text": reject_reason_text,
        "comment": comment or None,
        "actor": actor,
        "state": PENDING,
        "status_before": request.status,
        "bulk_id": bulk_id,
        "attempts": 0,
        "created_at": utcnow(),
    }
    created = _insert_ignore(ActionAudit.__table__, values, "idempotency_key")
    audit = find_audit(request.seller_id, idempotency_key)
    if audit is None or audit.request_pk != request.id or audit.decision != decision.name:
        raise KeyConflict(idempotency_key)
    return audit, created


CHANGED_SINCE_CONFIRMED = (
    "Not sent: the request changed since you confirmed, and TikTok no longer waits for this decision."
)


def record_skip(
    request: ReturnRequest,
    idempotency_key: str,
    actor: str,
    *,
    bulk_id: str,
    decision: str = "APPROVE",
    message: str = CHANGED_SINCE_CONFIRMED,
) -> ActionAudit:
    """A bulk row that is not sent (it changed since the seller confirmed): reported, never sent."""
    audit = ActionAudit(
        seller_id=request.seller_id,
        idempotency_key=idempotency_key,
        request_pk=request.id,
        request_id=request.request_id,
        decision=decision,
        actor=actor,
        state=SKIPPED,
        message=message,
        status_before=request.status,
        bulk_id=bulk_id,
        attempts=0,
        completed_at=utcnow(),
    )
    db.session.add(audit)
    db.session.flush()
    return audit


def _new_job(seller_id: int, key: str, *, total: int, actor: str, tab: str | None = None):
    """``(job, created)``; ``job`` is None when another seller's job has this key."""
    values = {
        "id": key,
        "seller_id": seller_id,
        "tab": tab,
        "state": QUEUED,
        "total": total,
        "done": 0,
        "succeeded": 0,
        "refused": 0,
        "failed": 0,
        "skipped": 0,
        "actor": actor,
        "created_at": utcnow(),
    }
    created = _insert_ignore(BulkAction.__table__, values, "id")
    return get_for_seller(BulkAction, seller_id, id=key), created


def _enqueue(job: BulkAction, *, again: bool = False) -> None:
    job_id = rq_job_id(job)  # a run queued again gets a suffix
    job_id = f"{job_id}-again-{uuid.uuid4().hex[:12]}" if again else job_id
    enqueue_after_commit(
        JOB, job.seller_id, job.id, job_id=job_id, timeout=JOB_TIMEOUT, description=f"decisions {job.id}"
    )


def start_decision(
    request: ReturnRequest,
    decision: Decision,
    idempotency_key: str,
    actor: str,
    *,
    reject_reason: str | None = None,
    reject_reason_text: str | None = None,
    comment: str | None = None,
) -> Started:
    """Claim one decision and queue its job (after commit). A repeated submit queues nothing new,
    except for a decision that never got TikTok's answer (see ``resume``). Raises ``KeyConflict``."""
    job, created = _new_job(request.seller_id, idempotency_key, total=1, actor=actor)
    if job is None:
        raise KeyConflict(idempotency_key)
    if not created:
        audit = find_audit(request.seller_id, idempotency_key)
        if audit is None or audit.request_pk != request.id:
            raise KeyConflict(idempotency_key)
        return resume(audit)
    claim(
        request,
        decision,
        idempotency_key,
        actor,
        reject_reason=reject_reason,
        reject_reason_text=reject_reason_text,
        comment=comment,
        bulk_id=job.id,
    )
    _enqueue(job)
    return Started(job, repeated=False)


def resume(audit: ActionAudit) -> Started:
    """A repeated submit of a single decision: its job; queued again only if TikTok never answered
    (failed, or claimed long ago and not on the queue), with the same key so TikTok cannot act twice."""
    job = _job_of(audit)
    if needs_sending(audit) and not waiting_for_queue(job):
        _set_progress(job, QUEUED, done=0)
        _enqueue(job, again=True)
        return Started(job, repeated=False)
    return Started(job, repeated=True)


def _job_of(audit: ActionAudit) -> BulkAction:
    if audit.bulk_id is not None:
        return get_for_seller(BulkAction, audit.seller_id, id=audit.bulk_id)
    # A decision claimed before decisions were jobs: give it its job of one.
    state = FINISHED if audit.state in FINAL_STATES else QUEUED
    job, _ = _new_job(audit.seller_id, audit.idempotency_key, total=1, actor=audit.actor)
    if job is None:
        raise KeyConflict(audit.idempotency_key)
    audit.bulk_id = job.id
    _set_progress(job, state, done=1 if state == FINISHED else 0)
    return job


def running_bulk(seller_id: int) -> BulkAction | None:
    """The seller's bulk job still queued or running (started in the last ``ONE_BULK_AT_A_TIME_FOR``)."""
    return db.session.scalars(
        for_seller(BulkAction, seller_id)
        .where(
            BulkAction.tab.is_not(None),
            BulkAction.state != FINISHED,
            BulkAction.created_at > utcnow() - ONE_BULK_AT_A_TIME_FOR,
        )
        .order_by(BulkAction.created_at.desc())
        .limit(1)
    ).first()


@dataclass(frozen=True)
class BulkChoice:
    """What the seller confirmed for a bulk job: each request and the decision it was shown with."""

    items: list[tuple[str, str]]  # (request id, decision name)
    reject_reason: str | None = None
    reject_reason_text: str | None = None
    comment: str | None = None


def start_bulk(seller_id: int, actor: str, key: str, choice: BulkChoice, tab: str | None) -> Started:
    """Claim the confirmed decision of each request and queue the job (after commit).

    Each request gets exactly the decision the confirmation showed; one that TikTok no longer waits
    for (the request moved on, its shop was disconnected) is recorded as skipped, never sent. Raises
    ``BulkRefused`` (nothing or too much chosen, an unknown decision), ``LookupError`` (an id that is not
    one of the seller's requests: never say which) and ``KeyConflict`` (another seller's key).
    """
    existing = get_for_seller(BulkAction, seller_id, id=key)
    if existing is not None:
        return Started(existing, repeated=True)
    items = list(dict(choice.items).items())  # one decision per request, first wins
    if not items:
        raise BulkRefused("Select at least one request first (tick the boxes in the list).")
    if len(items) > MAX_BULK:
        raise BulkRefused(f"Select at most {MAX_BULK} requests at a time.")
    decisions = {request_id: DECISIONS_BY_SLUG.get(name.lower()) for request_id, name in items}
    if None in decisions.values():
        raise BulkRefused("This confirmation is not valid any more; select the requests again.")
    if any(d.is_reject for d in decisions.values()) and not choice.reject_reason:
        raise BulkRefused("Choose one of TikTok's reasons for rejecting these requests.")
    rows = queries.requests_with_shops(seller_id, list(decisions))
    if len(rows) != len(decisions):
        raise LookupError("not the seller's requests")
    running = running_bulk(seller_id)
    if running is not None:  # one bulk job per seller at a time: show the one still running
        return Started(running, repeated=True)
    # A bulk job's ``tab`` is never NULL ("" for none): that is what tells it from a single decision's.
    job, created = _new_job(seller_id, key, total=len(rows), actor=actor, tab=tab or "")
    if job is None:
        raise KeyConflict(key)
    if not created:  # the same form, submitted twice at once
        return Started(job, repeated=True)
    order = list(decisions)
    for row in sorted(rows, key=lambda r: order.index(r.request_id)):
        decision = decisions[row.request_id]
        if decision not in allowed_decisions(row):
            record_skip(row, f"{key}-{row.id}", actor, bulk_id=key, decision=decision.name)
            continue
        reject = decision.is_reject
        claim(
            row,
            decision,
            f"{key}-{row.id}",
            actor,
            reject_reason=choice.reject_reason if reject else None,
            reject_reason_text=choice.reject_reason_text if reject else None,
            comment=choice.comment if reject else None,
            bulk_id=key,
        )
    _enqueue(job)
    return Started(job, repeated=False)


# -- the job's progress ------------------------------------------------------------------------------


def job_started(job: BulkAction) -> None:
    _set_progress(job, RUNNING, done=sum(1 for a in job.results if a.state in FINAL_STATES))


def job_advanced(job: BulkAction) -> None:
    _set_progress(job, RUNNING, done=job.done + 1)


def job_finished(job: BulkAction) -> None:
    _set_progress(job, FINISHED)


def _set_progress(job: BulkAction, state: str, *, done: int | None = None) -> None:
    """The one writer of a job's progress (state, done, outcome counters). Flushes."""
    job.state = state
    if done is not None:
        job.done = min(job.total, done)
    if state == FINISHED:
        counts = dict.fromkeys(_COUNTERS.values(), 0)
        for audit in job.results:
            if audit.state in _COUNTERS:
                counts[_COUNTERS[audit.state]] += 1
        for name, value in counts.items():
            setattr(job, name, value)
        job.done = sum(counts.values())
        job.finished_at = utcnow()
    else:
        job.finished_at = None
    db.session.flush()
