"""What the health endpoints and ``flask worker --check`` look at. Every check answers, never raises."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import func, select, text

from connector_app.extensions import db, rq
from connector_app.queue import age_seconds as _age_seconds

log = logging.getLogger(__name__)


def check_database() -> dict:
    backend = db.engine.url.get_backend_name()
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True, "backend": backend}
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        log.warning("health: database down: %s", exc)
        db.session.rollback()
        return {"ok": False, "backend": backend, "error": type(exc).__name__}


def check_redis() -> dict:
    backend = "redis" if current_app.config.get("REDIS_URL") else "embedded-redis"
    try:
        rq.connection.ping()
        return {"ok": True, "backend": backend}
    except Exception as exc:  # noqa: BLE001
        log.warning("health: redis down: %s", exc)
        return {"ok": False, "backend": backend, "error": type(exc).__name__}


def workers_report(now: datetime | None = None) -> list[dict]:
    return rq.workers_report(now)


def queue_report(now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    queue = rq.queue
    oldest_age = None
    first = queue.get_job_ids(0, 1)  # RQ pops from the left: index 0 waited longest
    if first:
        job = queue.fetch_job(first[0])
        oldest_age = _age_seconds(job.enqueued_at if job else None, now)
    return {
        "name": queue.name,
        "depth": queue.count,
        "oldest_job_age_seconds": oldest_age,
        "started": queue.started_job_registry.count,
        "scheduled": queue.scheduled_job_registry.count,
        "failed": queue.failed_job_registry.count,
    }


def sync_report(now: datetime | None = None) -> list[dict]:
    """Last sync per shop, by internal ids (no seller data on an operator page)."""
    from connector_app.connect.models import TikTokShop
    from connector_app.sync.models import ShopSyncState

    now = now or datetime.now(UTC)
    rows = db.session.execute(
        select(
            TikTokShop.id, TikTokShop.seller_id, TikTokShop.status, ShopSyncState.last_sync_at,
            ShopSyncState.last_sync_ok_at,
        )
        .outerjoin(ShopSyncState, ShopSyncState.tiktok_shop_id == TikTokShop.id)
        .order_by(TikTokShop.id)
    ).all()  # fmt: skip
    return [
        {
            "shop": row.id,
            "seller": row.seller_id,
            "status": row.status,
            "last_sync_age_seconds": _age_seconds(row.last_sync_at, now),
            "last_sync_ok_age_seconds": _age_seconds(row.last_sync_ok_at, now),
        }
        for row in rows
    ]


def webhook_report(now: datetime | None = None, sample: int = 100) -> dict:
    """Lag of the last ``sample`` processed deliveries (TikTok's timestamp → processed), and the backlog."""
    from connector_app.webhooks.models import WebhookEvent

    now = now or datetime.now(UTC)
    pending, oldest_pending = db.session.execute(
        select(func.count(WebhookEvent.id), func.min(WebhookEvent.received_at)).where(
            WebhookEvent.processed_at.is_(None)
        )
    ).one()
    recent = db.session.execute(
        select(WebhookEvent.payload, WebhookEvent.processed_at)
        .where(WebhookEvent.processed_at.is_not(None))
        .order_by(WebhookEvent.processed_at.desc())
        .limit(sample)
    ).all()
    lags = sorted(
        lag
        for payload, processed_at in recent
        if (lag := webhook_lag_seconds(payload, processed_at)) is not None
    )
    return {
        "pending": pending,
        "oldest_pending_age_seconds": _age_seconds(oldest_pending, now),
        "recent_processed": len(lags),
        "lag_p50_seconds": lags[len(lags) // 2] if lags else None,
        "lag_max_seconds": lags[-1] if lags else None,
    }


def webhook_lag_seconds(payload: dict | None, processed_at: datetime | None) -> float | None:
    """Seconds from TikTok's ``timestamp`` (unix seconds) in the delivery to ``processed_at``."""
    timestamp = (payload or {}).get("timestamp")
    if processed_at is None or isinstance(timestamp, bool) or not isinstance(timestamp, int | float):
        return None
    if processed_at.tzinfo is None:
        processed_at = processed_at.replace(tzinfo=UTC)
    return round(max(0.0, processed_at.timestamp() - timestamp), 3)
