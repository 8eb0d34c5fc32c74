"""Storing webhook deliveries (deduplicated on ``tts_notification_id``) and queueing their job."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from connector_app.extensions import db
from connector_app.timeutil import utcnow
from connector_app.transactions import enqueue_after_commit
from connector_app.webhooks.models import WebhookEvent

log = logging.getLogger(__name__)

RETRY_DELAYS = [10, 60, 300]  # transient marketplace failures; the scheduled sync is the backstop


def record_event(payload: dict) -> WebhookEvent | None:
    """Store a delivery; None when this notification was stored before (a duplicate delivery).

    The unique ``notification_id`` decides: of two deliveries racing each other, the second one's
    INSERT fails inside its savepoint and it is acknowledged as a duplicate. Flushes; the caller commits.
    """
    notification_id = str(payload["tts_notification_id"])[:128]
    exists = select(WebhookEvent.id).where(WebhookEvent.notification_id == notification_id)
    if db.session.execute(exists).first() is not None:
        return None
    shop_id = payload.get("shop_id")
    event = WebhookEvent(
        notification_id=notification_id,
        event_type=int(payload["type"]),
        shop_id=None if shop_id is None else str(shop_id)[:64],
        payload=payload,
    )
    try:
        with db.session.begin_nested():
            db.session.add(event)
    except IntegrityError:
        return None
    return event


def enqueue_processing(event: WebhookEvent) -> None:
    """Process the delivery in a job once it is committed (retried by RQ on marketplace faults)."""
    enqueue_after_commit(
        "connector_app.webhooks.jobs.process_webhook",
        event.id,
        job_id=f"webhook-{event.id}",
        timeout=120,
        result_ttl=600,
        failure_ttl=7 * 86400,
        retry_intervals=list(RETRY_DELAYS),
        description=f"webhook {event.notification_id} type {event.event_type}",
    )


def record_outcome(event_id: int, outcome: str, seller_id: int | None = None) -> None:
    """The delivery was handled: when, for which seller, and what was done. Flushes."""
    event = db.session.get(WebhookEvent, event_id)
    event.processed_at = utcnow()
    event.outcome = outcome
    if seller_id is not None:
        event.seller_id = seller_id
    db.session.flush()
