"""What deleting an account removes besides the seller's rows: everything kept outside the tables
that carry ``seller_id``. Settings sits above every feature, so it may name their keys and models.

- Redis: the feature caches and holds keyed by the seller id (return reasons and records, pending
  TikTok authorizations, notices, the Etsy call budget) and the seller's login idle marks.
- The queue: jobs take ``seller_id`` as their first argument; those still waiting are cancelled.
- Webhook events for the seller's TikTok shops, also those received before the shop was connected
  (they carry no ``seller_id``).
- Marketplace grants: neither TikTok Shop nor Etsy documents an API to revoke an app's grant, so the
  tokens are destroyed here and the page tells the seller where to remove the app (``REMOVE_APP``).
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, select

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db, rq
from connector_app.webhooks.models import WebhookEvent

log = logging.getLogger(__name__)

REMOVE_APP = (
    "To remove the connector's access on the marketplaces too, open TikTok Shop Seller Center → "
    "App & Service → My services and deauthorize it, and on Etsy open Your account → Settings → "
    "Apps you've connected and remove it."
)
REDIS_PATTERNS = (
    "connector:return-reasons:{id}",
    "connector:return-records:{id}:*",
    "connector:connect:pending:{id}:*",
    "connector:throttle-notice:{id}",
    "connector:etsy-budget:{id}:*",
    "connector:cooldown:*:{id}:*",
)


def purge_rows_outside_tenancy(seller_id: int) -> int:
    """Webhook events for the seller's shops (call before the shops are deleted); flushes."""
    shop_ids = list(db.session.scalars(select(TikTokShop.shop_id).where(TikTokShop.seller_id == seller_id)))
    if not shop_ids:
        return 0
    result = db.session.execute(delete(WebhookEvent).where(WebhookEvent.shop_id.in_(shop_ids)))
    db.session.flush()
    return result.rowcount or 0


def purge_redis(seller_id: int) -> int:
    """Delete the seller's Redis keys and cancel their queued jobs (after the deletion commits)."""
    connection = rq.connection
    removed = 0
    for pattern in REDIS_PATTERNS:
        keys = list(connection.scan_iter(match=pattern.format(id=seller_id), count=500))
        if keys:
            removed += connection.delete(*keys)
    queue = rq.queue
    for job in queue.get_jobs():
        if job is not None and job.args and job.args[0] == seller_id:
            job.cancel()
            job.delete()
            removed += 1
    return removed
