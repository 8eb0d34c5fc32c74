"""Sending one claimed decision to TikTok, exactly once — the one path of single and bulk decisions.

Runs only in the ``run_bulk`` job (never on a web request thread), inside a ``job_step()``:

1. The decision was claimed first (``services.claim``): an ``ActionAudit`` row under the idempotency
   key that was generated when the confirmation form was rendered, COMMITTED before anything is sent.
2. ``send`` calls TikTok with that key as its ``idempotency_key`` query parameter, so a retry after a
   lost answer or a crash (the row is still ``pending``) cannot act twice: TikTok replays its first
   answer. On success the seller's turn is recorded as answered here (``returns.turns.record_answer``);
   it then re-fetches the request and upserts it (``source="action"``). A refusal by TikTok is
   recorded on the audit row and changes nothing else. The job step commits; the job then calls
   ``notify_requests_changed``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from connector_app.actions.decisions import DECISIONS_BY_SLUG, Decision
from connector_app.actions.models import FAILED, PENDING, REFUSED, SUCCEEDED, ActionAudit
from connector_app.actions.refusals import explain_refusal
from connector_app.connect.clients import tiktok_client_for
from connector_app.extensions import db
from connector_app.marketplaces.errors import MarketplaceError, RequestRefused
from connector_app.returns.models import KIND_CANCELLATION, ReturnRequest
from connector_app.returns.services import upsert_requests
from connector_app.returns.turns import record_answer
from connector_app.timeutil import ensure_aware, utcnow

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(minutes=2)


@dataclass
class Outcome:
    audit: ActionAudit
    changed_pks: list[int] = field(default_factory=list)  # requests whose status changed


def _call(request: ReturnRequest, decision: Decision, audit: ActionAudit) -> None:
    client = tiktok_client_for(request.shop)
    key = audit.idempotency_key
    if decision.cancellation:
        if decision.is_reject:
            client.reject_cancellation(
                request.request_id,
                reject_reason=audit.reject_reason or "",
                comment=audit.comment,
                idempotency_key=key,
            )
        else:
            client.approve_cancellation(request.request_id, idempotency_key=key)
    elif decision.is_reject:
        client.reject_return(
            request.request_id,
            decision.name,
            reject_reason=audit.reject_reason or "",
            comment=audit.comment,
            idempotency_key=key,
        )
    else:
        client.approve_return(request.request_id, decision.name, idempotency_key=key)


def refetch(request: ReturnRequest) -> list[int]:
    """Re-read the request from TikTok and store it; returns the ids whose status changed."""
    client = tiktok_client_for(request.shop)
    if request.kind == KIND_CANCELLATION:
        fresh = client.get_cancellation(request.request_id)
    else:
        fresh = client.get_return(request.request_id)
    if fresh is None:
        return []
    return upsert_requests(request.shop, [fresh], source="action").status_changed


def reread_after_refusal(request: ReturnRequest) -> list[int]:
    """After a refusal, the request as TikTok holds it now (a failed re-read leaves the stored one)."""
    try:
        return refetch(request)
    except MarketplaceError as exc:
        log.warning("re-reading %s after a refusal failed: %s", request.request_id, exc)
        return []


def send(audit: ActionAudit) -> Outcome:
    """Send a claimed (or earlier failed) decision to TikTok and record TikTok's answer. Flushes.

    The only writer of an audit row's outcome (state, message, attempts, status_after).
    """
    request = audit.request
    decision = DECISIONS_BY_SLUG[audit.decision.lower()]
    outcome = Outcome(audit)
    try:
        # Nothing is written (or flushed) before the call: the job holds no write lock while TikTok
        # makes it wait, and a token renewed during the call is written on its own connection, which
        # must not wait on this session's write (SQLite locks the whole database for it).
        with db.session.no_autoflush:
            _call(request, decision, audit)
    except RequestRefused as exc:
        # Nothing changed on TikTok; never resent. Re-read the request so the page shows where it is
        # now (and only the buttons that fit that), with the refusal in plain words.
        audit.state, audit.message = REFUSED, explain_refusal(exc, request, decision)
        outcome.changed_pks = reread_after_refusal(request)
        audit.status_after = request.status
    except MarketplaceError as exc:
        audit.state, audit.message = FAILED, exc.seller_message()
    else:
        audit.state, audit.message = SUCCEEDED, None
        record_answer(audit.seller_id, request.id, audit.decision, audit.created_at)
        try:
            outcome.changed_pks = refetch(request)
        except MarketplaceError as exc:  # the decision stands; the next sync brings the new status
            log.warning("re-fetching %s after %s failed: %s", request.request_id, audit.decision, exc)
        audit.status_after = request.status
    audit.attempts += 1
    audit.completed_at = utcnow()
    db.session.flush()
    return outcome


def needs_sending(audit: ActionAudit) -> bool:
    """Whether a repeated submit should queue the decision again: only what never got TikTok's answer.

    Sending again is safe because the same idempotency key goes with it and TikTok replays its first
    answer. A PENDING row younger than ``STALE_AFTER`` is on the queue or in flight: leave it.
    """
    if audit.state == FAILED:
        return True
    return audit.state == PENDING and utcnow() - ensure_aware(audit.created_at) > STALE_AFTER
