"""Storing webhook deliveries (deduplicated on ``tts_notification_id``) and queueing their job."""

from __future__ import annotations

import logging

from rq import Retry
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from connector_app.extensions import db, rq
from connector_app.sync.models import WebhookEvent

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
    from connector_app.webhooks.jobs import process_webhook

    rq.queue.enqueue_call(
        process_webhook,
        args=(event.id,),
        job_id=f"webhook-{event.id}",
        timeout=120,
        result_ttl=600,
        failure_ttl=7 * 86400,
        retry=Retry(max=len(RETRY_DELAYS), interval=RETRY_DELAYS),
        description=f"webhook {event.notification_id} type {event.event_type}",
    )
