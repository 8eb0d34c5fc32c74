"""A shop's sync schedule and what the sync knows of it (``ShopSyncState``).

Functions flush; the request or the scheduler's job step commits.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from connector_app.connect.models import CONNECTED, TikTokAuthorization, TikTokShop
from connector_app.extensions import db
from connector_app.sync.models import DEFAULT_INTERVAL_MINUTES, ShopSyncState
from connector_app.tenancy import for_seller
from connector_app.timeutil import ensure_aware, utcnow

SYNC_INTERVALS = (0, 5, 15, 60)  # minutes; 0 = automatic sync off


def state_for(shop: TikTokShop) -> ShopSyncState:
    """The shop's sync state, created with the defaults if it has none yet (for writers)."""
    state = db.session.get(ShopSyncState, shop.id)
    if state is None:
        state = ShopSyncState(
            tiktok_shop_id=shop.id, seller_id=shop.seller_id, sync_interval_minutes=DEFAULT_INTERVAL_MINUTES
        )
        db.session.add(state)
        db.session.flush()
    return state


def read_state(shop: TikTokShop) -> ShopSyncState:
    """The shop's sync state for reading: the stored row, or unsaved defaults (a GET never writes)."""
    state = db.session.get(ShopSyncState, shop.id)
    return state or ShopSyncState(
        tiktok_shop_id=shop.id, seller_id=shop.seller_id, sync_interval_minutes=DEFAULT_INTERVAL_MINUTES
    )


def states_by_shop(seller_id: int) -> dict[int, ShopSyncState]:
    """Every stored sync state of the seller's shops, in one query."""
    return {s.tiktok_shop_id: s for s in db.session.scalars(for_seller(ShopSyncState, seller_id))}


def schedule_first_sync(shop: TikTokShop, now=None) -> None:
    """A shop was connected: due for its first (or next) sync at once."""
    state_for(shop).next_sync_at = now or utcnow()
    db.session.flush()


def unschedule(shop: TikTokShop) -> None:
    state = db.session.get(ShopSyncState, shop.id)
    if state is not None:
        state.next_sync_at = None
        db.session.flush()


def set_sync_interval(shop: TikTokShop, minutes: int, now=None) -> bool:
    """Change a shop's automatic sync interval and reschedule it; True if it changed."""
    if minutes not in SYNC_INTERVALS:
        raise ValueError(f"unsupported sync interval {minutes}")
    state = state_for(shop)
    if state.sync_interval_minutes == minutes:
        return False
    state.sync_interval_minutes = minutes
    state.next_sync_at = (now or utcnow()) + timedelta(minutes=minutes) if minutes else None
    db.session.flush()
    return True


def due_shops(now=None) -> list[tuple[int, int]]:
    """(seller_id, shop id) of connected shops whose scheduled sync is due — across all sellers: the
    one system-wide query of this feature; the caller loads each shop through its seller."""
    now = now or utcnow()
    query = (
        select(TikTokShop.seller_id, TikTokShop.id)
        .join(ShopSyncState, ShopSyncState.tiktok_shop_id == TikTokShop.id)
        .join(TikTokAuthorization, TikTokShop.authorization_id == TikTokAuthorization.id)
        .where(
            TikTokShop.status == CONNECTED,
            TikTokAuthorization.status == CONNECTED,
            ShopSyncState.sync_interval_minutes > 0,
            (ShopSyncState.next_sync_at.is_(None)) | (ShopSyncState.next_sync_at <= now),
        )
        .order_by(ShopSyncState.next_sync_at.is_not(None), ShopSyncState.next_sync_at, TikTokShop.id)
    )
    return [(row.seller_id, row.id) for row in db.session.execute(query)]


def claim_scheduled_slot(shop: TikTokShop, now=None) -> bool:
    """Move the shop's ``next_sync_at`` one interval on, if it is still due (first claimer wins).
    Flushes; the scheduler's step commits."""
    now = now or utcnow()
    state = read_state(shop)
    result = db.session.execute(
        update(ShopSyncState)
        .where(
            ShopSyncState.tiktok_shop_id == shop.id,
            ShopSyncState.seller_id == shop.seller_id,
            (ShopSyncState.next_sync_at.is_(None)) | (ShopSyncState.next_sync_at <= now),
        )
        .values(next_sync_at=now + timedelta(minutes=state.sync_interval_minutes))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def is_stale(state: ShopSyncState, now=None) -> bool:
    """The shop's last successful sync is older than twice its interval (or it never synced)."""
    if state.sync_interval_minutes <= 0:
        return False
    if state.last_sync_ok_at is None:
        return True
    now = now or utcnow()
    return now - ensure_aware(state.last_sync_ok_at) > timedelta(minutes=2 * state.sync_interval_minutes)
