"""Background work of the actions feature: a bulk approval, one request at a time."""

from __future__ import annotations

import logging

from sqlalchemy import select

from connector_app.actions import services
from connector_app.actions.models import (
    FAILED,
    FINISHED,
    PENDING,
    REFUSED,
    RUNNING,
    SKIPPED,
    SUCCEEDED,
    ActionAudit,
    BulkAction,
)
from connector_app.extensions import db
from connector_app.returns.signals import notify_requests_changed
from connector_app.tenancy import for_seller, get_for_seller
from connector_app.timeutil import utcnow

log = logging.getLogger(__name__)
_COUNTERS = {SUCCEEDED: "succeeded", REFUSED: "refused", FAILED: "failed", SKIPPED: "skipped"}


def run_bulk(seller_id: int, bulk_id: str) -> None:
    """Send every pending approval of a bulk job; one commit per request so progress shows live.

    Safe to run again after a crash: requests already answered are skipped, and one whose answer was
    lost is resent with the same idempotency key (TikTok replays its first answer).
    """
    bulk = get_for_seller(BulkAction, seller_id, id=bulk_id)
    if bulk is None:
        log.warning("bulk action %s of seller %s is gone", bulk_id, seller_id)
        return
    bulk.state = RUNNING
    db.session.commit()
    audit_ids = db.session.scalars(
        select(ActionAudit.id)
        .where(ActionAudit.seller_id == seller_id, ActionAudit.bulk_id == bulk_id)
        .where(ActionAudit.state.in_((PENDING, FAILED)))
        .order_by(ActionAudit.id)
    ).all()
    for audit_id in audit_ids:
        audit = db.session.scalars(for_seller(ActionAudit, seller_id).where(ActionAudit.id == audit_id)).one()
        outcome = services.send(audit)
        bulk.done = min(bulk.total, bulk.done + 1)
        db.session.commit()
        notify_requests_changed(seller_id, outcome.changed_pks, "action")
    _finish(bulk)


def _finish(bulk: BulkAction) -> None:
    counts = dict.fromkeys(_COUNTERS.values(), 0)
    for audit in bulk.results:
        if audit.state in _COUNTERS:
            counts[_COUNTERS[audit.state]] += 1
    for name, value in counts.items():
        setattr(bulk, name, value)
    bulk.done = sum(counts.values())
    bulk.state = FINISHED
    bulk.finished_at = utcnow()
    db.session.commit()
