"""Background work: refresh Etsy listings, restock returned items, and the periodic sweeps.

Jobs take ids, load inside the job and scope every query to their seller. The periodic functions are
the only cross-seller readers: they just find work and enqueue one seller-scoped job per item.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import exists, func, or_, select

from connector_app.accounts.preferences import SellerSettings
from connector_app.connect.models import CONNECTED, EtsyConnection
from connector_app.extensions import db, rq
from connector_app.listings import restock
from connector_app.listings.models import CLAIMED, SENDING, ListingRefresh, RestockedRequest, RestockRecord
from connector_app.listings.services import forget_listings, refresh_listings, refresh_state
from connector_app.listings.signals import listings_refreshed
from connector_app.marketplaces.errors import MarketplaceError
from connector_app.returns.models import ReturnRequest
from connector_app.tenancy import get_for_seller
from connector_app.timeutil import utcnow
from connector_app.transactions import enqueue_after_commit, is_waiting_for_queue, job_step

log = logging.getLogger(__name__)

REFRESH_EVERY = timedelta(hours=1)
RETRY_CLAIMED_AFTER = timedelta(minutes=5)
SWEEP_LIMIT = 500


def refresh_listings_job(seller_id: int, connection_id: int) -> None:
    connection = get_for_seller(EtsyConnection, seller_id, id=connection_id)
    if connection is None or connection.status != CONNECTED:
        return
    try:
        count = refresh_listings(connection)
    except MarketplaceError as exc:
        db.session.rollback()
        refresh_state(connection).error = exc.seller_message()
        db.session.commit()
        log.warning("Etsy listings refresh failed for connection %s: %s", connection_id, exc)
        return
    db.session.commit()
    log.info("refreshed %s Etsy listings for connection %s", count, connection_id)
    listings_refreshed.send(None, seller_id=seller_id, connection_id=connection_id)


QUEUED, ALREADY, COOLING_DOWN = "queued", "already", "cooling-down"


def refresh_job_id(connection_id: int) -> str:
    return f"listings-refresh-{connection_id}"


def _pending(job_id: str) -> bool:
    """Whether the job waits in the queue or a worker is running it (not merely left behind)."""
    queue = rq.queue
    if queue.get_job_position(job_id) is not None:
        return True
    job = queue.fetch_job(job_id)
    return job is not None and job.get_status(refresh=False) == "started"


def enqueue_refresh(connection: EtsyConnection, *, cooldown: int = 0) -> str:
    """Refresh a shop's listings once the current transaction commits: one job per connection at a
    time (a deterministic job id).

    ``cooldown`` (seconds, for the seller's button): at most one refresh per connection in that time,
    so a loop of clicks cannot spend the app-wide Etsy quota. Returns QUEUED, ALREADY or COOLING_DOWN.
    """
    job_id = refresh_job_id(connection.id)
    if _pending(job_id) or is_waiting_for_queue(job_id):
        return ALREADY
    if cooldown > 0:
        key = f"connector:cooldown:listings-refresh:{connection.seller_id}:{connection.id}"
        if not rq.connection.set(key, 1, nx=True, ex=cooldown):
            return COOLING_DOWN
    job = "connector_app.listings.jobs.refresh_listings_job"
    enqueue_after_commit(job, connection.seller_id, connection.id, job_id=job_id)
    return QUEUED


def on_etsy_connected(connection: EtsyConnection, replaced: EtsyConnection | None = None, **_) -> None:
    """``connect.signals.etsy_connected``: fetch the new shop's listings now (SKU links, restocking)
    instead of at the next periodic sweep; a replaced shop's listings leave the cache at once (in the
    same unit of work as the switch), so nothing links to or restocks the old shop any more."""
    if replaced is not None and replaced.id != connection.id:
        forget_listings(replaced)
    enqueue_refresh(connection)


def restock_job(seller_id: int, request_pk: int) -> None:
    restock.restock_request(seller_id, request_pk)


def restock_candidates(seller_id: int, request_pks: list[int]) -> list[int]:
    """Which of these requests may need a restock now (cheap filter before enqueueing jobs)."""
    settings = db.session.get(SellerSettings, seller_id)
    if settings is None or not settings.restock_on_complete or not request_pks:
        return []
    return list(
        db.session.scalars(
            select(ReturnRequest.id).where(
                ReturnRequest.seller_id == seller_id,
                ReturnRequest.id.in_(request_pks),
                ReturnRequest.request_type == restock.RESTOCK_TYPE,
                ReturnRequest.status == restock.COMPLETE_STATUS,
                ~exists().where(RestockedRequest.request_pk == ReturnRequest.id),
                ReturnRequest.update_time >= (settings.restock_after or 0),
            )
        )
    )


def on_requests_changed(sender, *, seller_id: int, request_pks: list[int], source: str, **_) -> None:
    """``returns.signals.requests_changed`` receiver: one restock job per request that completed."""
    try:
        for pk in restock_candidates(seller_id, request_pks):
            rq.enqueue(restock_job, seller_id, pk)
    except Exception:  # never break the sync or action that sent the signal; the sweep catches up
        log.exception("could not enqueue restocks for seller %s", seller_id)


def periodic_listings_and_restocks() -> None:
    """Every few minutes: refresh stale listing caches, retry unfinished restocks, catch missed ones."""
    now = utcnow()
    due = db.session.execute(
        select(EtsyConnection.seller_id, EtsyConnection.id)
        .outerjoin(ListingRefresh, ListingRefresh.etsy_connection_id == EtsyConnection.id)
        .where(EtsyConnection.status == CONNECTED)
        .where(or_(ListingRefresh.refreshed_at.is_(None), ListingRefresh.refreshed_at < now - REFRESH_EVERY))
    ).all()
    with job_step():  # the refresh jobs are queued when this step commits
        for seller_id, connection_id in due:
            enqueue_refresh(get_for_seller(EtsyConnection, seller_id, id=connection_id))
    unfinished = db.session.execute(
        select(RestockRecord.seller_id, RestockRecord.request_pk)
        .where(
            or_(
                (RestockRecord.state == CLAIMED) & (RestockRecord.claimed_at < now - RETRY_CLAIMED_AFTER),
                (RestockRecord.state == SENDING) & (RestockRecord.sending_at < now - restock.STALE_SENDING),
            )
        )
        .distinct()
        .limit(SWEEP_LIMIT)
    ).all()
    missed = db.session.execute(
        select(ReturnRequest.seller_id, ReturnRequest.id)
        .join(SellerSettings, SellerSettings.seller_id == ReturnRequest.seller_id)
        .where(
            SellerSettings.restock_on_complete.is_(True),
            ReturnRequest.request_type == restock.RESTOCK_TYPE,
            ReturnRequest.status == restock.COMPLETE_STATUS,
            ~exists().where(RestockedRequest.request_pk == ReturnRequest.id),
            ReturnRequest.update_time >= func.coalesce(SellerSettings.restock_after, 0),
            ~exists().where(RestockRecord.request_pk == ReturnRequest.id),
        )
        .limit(SWEEP_LIMIT)
    ).all()
    for seller_id, request_pk in {*unfinished, *missed}:
        rq.enqueue(restock_job, seller_id, request_pk)
