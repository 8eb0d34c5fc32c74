"""Sending the seller's decisions to TikTok, exactly once.

Order of events for one decision (single or bulk):

1. ``claim`` inserts an ``ActionAudit`` row under the idempotency key that was generated when the
   confirmation form was rendered; the caller COMMITS it before anything is sent. A second submit of the
   same form finds the row (unique key) and is shown the first outcome — it never calls TikTok.
2. ``send`` calls TikTok with the same key as its ``idempotency_key`` query parameter (TikTok replays its
   first answer, so a retry after a lost response cannot act twice), then re-fetches the request and
   upserts it (``source="action"``). A refusal by TikTok is recorded on the audit row and changes
   nothing else. The caller commits and then calls ``notify_requests_changed``.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.dialects import postgresql, sqlite

from connector_app.actions.decisions import DECISIONS_BY_SLUG, Decision, decisions_for, for_shop
from connector_app.actions.models import FAILED, PENDING, REFUSED, SKIPPED, SUCCEEDED, ActionAudit
from connector_app.actions.refusals import explain_refusal
from connector_app.connect.clients import tiktok_client_for
from connector_app.extensions import db
from connector_app.marketplaces.errors import MarketplaceError, RequestRefused
from connector_app.marketplaces.tiktok.types import RejectReason
from connector_app.returns.models import KIND_CANCELLATION, ReturnRequest
from connector_app.returns.services import upsert_requests
from connector_app.tenancy import for_seller, get_for_seller
from connector_app.timeutil import ensure_aware, utcnow

STALE_AFTER = timedelta(minutes=2)
log = logging.getLogger(__name__)


class KeyConflict(ValueError):
    """The idempotency key was already used for a different request or decision."""


@dataclass
class Outcome:
    audit: ActionAudit
    first_submit: bool  # False: a repeated submit, shown the first outcome
    changed_pks: list[int] = field(default_factory=list)


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


def allowed_decisions(request: ReturnRequest) -> tuple[Decision, ...]:
    """What the seller can send now: nothing while the shop needs reconnecting; no Reject
    Cancellation for US shops (they reject a cancellation by shipping the order)."""
    shop = request.shop
    if shop is None or not shop.is_connected:
        return ()
    return for_shop(decisions_for(request.next_action), shop.region)


def find_request(seller_id: int, request_id: str) -> ReturnRequest | None:
    return get_for_seller(ReturnRequest, seller_id, request_id=str(request_id))


def find_audit(seller_id: int, idempotency_key: str) -> ActionAudit | None:
    return get_for_seller(ActionAudit, seller_id, idempotency_key=idempotency_key)


def reject_reasons(request: ReturnRequest) -> list[RejectReason]:
    """The reasons TikTok accepts for rejecting this request, fetched live (they vary by market)."""
    return tiktok_client_for(request.shop).get_reject_reasons(request.request_id)


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
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(ActionAudit.__table__)
        .values(values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(ActionAudit.__table__.c.id)
    )
    # RETURNING yields the new id only when this statement inserted the row (rowcount is not portable).
    created = db.session.execute(statement).scalar_one_or_none() is not None
    audit = find_audit(request.seller_id, idempotency_key)
    if audit is None or audit.request_pk != request.id or audit.decision != decision.name:
        raise KeyConflict(idempotency_key)
    return audit, created


def record_skip(request: ReturnRequest, idempotency_key: str, actor: str, *, bulk_id: str) -> ActionAudit:
    """A bulk row with nothing to approve: reported, never sent."""
    audit = ActionAudit(
        seller_id=request.seller_id,
        idempotency_key=idempotency_key,
        request_pk=request.id,
        request_id=request.request_id,
        decision="APPROVE",
        actor=actor,
        state=SKIPPED,
        message="Nothing to approve: TikTok is not waiting for your answer on this request.",
        status_before=request.status,
        bulk_id=bulk_id,
        attempts=0,
        completed_at=utcnow(),
    )
    db.session.add(audit)
    db.session.flush()
    return audit


def decision_label(name: str) -> str:
    decision = DECISIONS_BY_SLUG.get(name.lower())
    return decision.label if decision else name.replace("_", " ").capitalize()


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
    """Send a claimed (or earlier failed) decision to TikTok. Flushes; the caller commits."""
    request = audit.request
    decision = DECISIONS_BY_SLUG[audit.decision.lower()]
    audit.attempts += 1
    outcome = Outcome(audit, first_submit=True)
    try:
        # Nothing is flushed while TikTok is called: a token renewed (or found lost) during the call is
        # written on its own connection, which must not wait on this session's write (SQLite locks the
        # whole database for it).
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
        try:
            outcome.changed_pks = refetch(request)
        except MarketplaceError as exc:  # the decision stands; the next sync brings the new status
            log.warning("re-fetching %s after %s failed: %s", request.request_id, audit.decision, exc)
        audit.status_after = request.status
    audit.completed_at = utcnow()
    db.session.flush()
    return outcome


def needs_sending(audit: ActionAudit) -> bool:
    """Whether a repeated submit should (re)send: only what never got an answer from TikTok.

    Resending is safe because the same idempotency key goes with it and TikTok replays its first
    answer. A PENDING row younger than ``STALE_AFTER`` is in flight in another request: leave it.
    """
    if audit.state == FAILED:
        return True
    return audit.state == PENDING and utcnow() - ensure_aware(audit.created_at) > STALE_AFTER


def history_for(request: ReturnRequest, limit: int = 10) -> list[ActionAudit]:
    """The latest decisions taken on one request, newest first."""
    query = (
        for_seller(ActionAudit, request.seller_id)
        .where(ActionAudit.request_pk == request.id)
        .order_by(ActionAudit.created_at.desc(), ActionAudit.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
