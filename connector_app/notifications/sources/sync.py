"""Sync that keeps failing: a connected shop whose automatic sync has not succeeded for longer than its
interval allows (twice the interval, as the sync page's "stale" mark), with failed attempts since.

Once per episode: the key is the last successful sync (or the connection, if none succeeded), so a
shop that recovers and fails again is told again. The scan reads the shops whose last attempt came
after their last success (few: the others are syncing fine).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from connector_app.connect.models import CONNECTED, TikTokAuthorization, TikTokShop
from connector_app.extensions import db
from connector_app.notifications import paths
from connector_app.notifications.kinds import IMMEDIATE, Alert, Kind
from connector_app.notifications.sources import Found, Window
from connector_app.sync.models import FAILED, ShopSyncState, SyncRun
from connector_app.sync.schedule import is_stale
from connector_app.timeutil import ensure_aware, to_unix

FAILING = Kind(
    "sync_failing",
    "Sync keeps failing",
    "A shop's automatic sync has not succeeded for twice its interval: what you see may be out of date.",
    email=IMMEDIATE,
    group="Stores and sync",
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SyncSource:
    name = "sync"
    kinds = (FAILING,)

    def scan(self, window: Window) -> Found:
        query = (
            select(TikTokShop, ShopSyncState)
            .join(ShopSyncState, ShopSyncState.tiktok_shop_id == TikTokShop.id)
            .join(TikTokAuthorization, TikTokAuthorization.id == TikTokShop.authorization_id)
            .where(
                TikTokShop.status == CONNECTED,
                TikTokAuthorization.status == CONNECTED,
                ShopSyncState.sync_interval_minutes > 0,
                ShopSyncState.last_sync_at.is_not(None),
                ShopSyncState.last_sync_at > func.coalesce(ShopSyncState.last_sync_ok_at, EPOCH),
            )
        )
        rows = db.session.execute(query).all()
        failing = [(shop, state) for shop, state in rows if is_stale(state, window.now)]
        errors = self._last_errors([shop.id for shop, _ in failing])
        link = paths.path_for("sync.index")
        alerts = []
        for shop, state in failing:
            since = state.last_sync_ok_at or shop.connected_at
            when = ensure_aware(since).strftime("%Y-%m-%d %H:%M UTC")
            last = state.last_sync_ok_at
            error = errors.get(shop.id)
            alerts.append(
                Alert(
                    seller_id=shop.seller_id,
                    kind=FAILING.key,
                    subject_type="shop",
                    subject_id=str(shop.id),
                    title=f"Returns from {shop.label} are not syncing",
                    body=(
                        f"The last successful sync was at {when}. " if last else "No sync has succeeded yet. "
                    )
                    + (f"The last attempt said: {error.rstrip('. ')}. " if error else "")
                    + "New requests and deadlines may be missing here; see the Sync page.",
                    link=link,
                    deadline=to_unix(since) or 0,
                )
            )
        return Found(alerts, rows_read=len(rows))

    def _last_errors(self, shop_ids: list[int]) -> dict[int, str]:
        errors: dict[int, str] = {}
        if shop_ids:
            runs = db.session.execute(
                select(SyncRun.tiktok_shop_id, SyncRun.error)
                .where(SyncRun.tiktok_shop_id.in_(shop_ids), SyncRun.state == FAILED)
                .order_by(SyncRun.tiktok_shop_id, SyncRun.finished_at.desc())
            )
            for shop_id, error in runs:
                if error and shop_id not in errors:
                    errors[shop_id] = error[:300]
        return errors

    def still_relevant(self, notifications: list) -> set[int]:
        return {n.id for n in notifications}


SOURCE = SyncSource()
