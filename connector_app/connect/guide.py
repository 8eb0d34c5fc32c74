"""What the connection guide and the "needs reconnecting" banner show — read-only views of a seller's
connections. Steps: 1 account, 2 Etsy, 3 TikTok Shop, 4 first sync."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, g, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from connector_app.connect.models import (
    CONNECTED,
    DISCONNECTED,
    NEEDS_RECONNECT,
    EtsyConnection,
    TikTokAuthorization,
    TikTokShop,
)
from connector_app.extensions import db
from connector_app.sync.models import ACTIVE_STATES, FAILED, SUCCEEDED, SyncRun
from connector_app.tenancy import for_seller
from connector_app.timeutil import ensure_aware, utcnow

# Step states
DONE = "done"
TODO = "todo"
ATTENTION = "attention"  # needs reconnecting
WAITING = "waiting"  # cannot start before an earlier step
RUNNING = "running"
FAILED_STATE = "failed"

EXPIRY_WARNING = timedelta(days=30)


@dataclass
class Step:
    key: str
    number: int
    title: str
    state: str = TODO
    current: bool = False


@dataclass
class ShopLine:
    """One TikTok shop as the guide lists it."""

    shop: TikTokShop
    state: str  # connected | needs_reconnect
    reason: str | None = None
    expires_at: datetime | None = None  # authorization ends soon


@dataclass
class Guide:
    steps: list[Step]
    etsy: list[EtsyConnection]
    etsy_previous: EtsyConnection | None
    shops: list[ShopLine]
    runs: list[SyncRun] = field(default_factory=list)
    sync_available: bool = False

    @property
    def current(self) -> Step | None:
        return next((s for s in self.steps if s.current), None)

    @property
    def finished(self) -> bool:
        return all(s.state == DONE for s in self.steps)

    def step(self, key: str) -> Step:
        return next(s for s in self.steps if s.key == key)

    @property
    def active_runs(self) -> list[SyncRun]:
        return [r for r in self.runs if r.state in ACTIVE_STATES]

    @property
    def failed_runs(self) -> list[SyncRun]:
        return [r for r in self.runs if r.state == FAILED]


def _expiring(authorization: TikTokAuthorization | None) -> datetime | None:
    if authorization is None or authorization.refresh_token_expires_at is None:
        return None
    ends = ensure_aware(authorization.refresh_token_expires_at)
    return ends if ends - utcnow() < EXPIRY_WARNING else None


def _shop_line(shop: TikTokShop) -> ShopLine:
    authorization = shop.authorization
    if shop.status == NEEDS_RECONNECT:
        return ShopLine(shop, NEEDS_RECONNECT, shop.status_reason)
    if authorization is None or authorization.status != CONNECTED:
        reason = authorization.status_reason if authorization is not None else None
        return ShopLine(shop, NEEDS_RECONNECT, reason or "TikTok Shop no longer authorizes the connector.")
    return ShopLine(shop, CONNECTED, expires_at=_expiring(authorization))


def _latest_runs(seller_id: int, shop_ids: list[int]) -> list[SyncRun]:
    if not shop_ids:
        return []
    earlier = aliased(SyncRun)
    latest = (
        select(func.max(earlier.created_at))
        .where(earlier.tiktok_shop_id == SyncRun.tiktok_shop_id)
        .scalar_subquery()
    )
    query = (
        for_seller(SyncRun, seller_id)
        .where(SyncRun.tiktok_shop_id.in_(shop_ids), SyncRun.created_at == latest)
        .order_by(SyncRun.tiktok_shop_id)
    )
    runs: dict[int, SyncRun] = {}
    for run in db.session.scalars(query):
        runs.setdefault(run.tiktok_shop_id, run)
    return list(runs.values())


def build_guide(seller_id: int) -> Guide:
    etsy_rows = list(db.session.scalars(for_seller(EtsyConnection, seller_id).order_by(EtsyConnection.id)))
    etsy = [c for c in etsy_rows if c.status != DISCONNECTED]
    previous = next((c for c in reversed(etsy_rows) if c.status == DISCONNECTED), None)
    shops = db.session.scalars(
        for_seller(TikTokShop, seller_id)
        .where(TikTokShop.status != DISCONNECTED)
        .order_by(TikTokShop.name, TikTokShop.id)
    )
    lines = [_shop_line(s) for s in shops]
    connected_ids = [line.shop.id for line in lines if line.state == CONNECTED]
    runs = _latest_runs(seller_id, connected_ids)

    etsy_step = Step("etsy", 2, "Connect your Etsy shop")
    if any(c.status == CONNECTED for c in etsy):
        etsy_step.state = DONE
    elif etsy:
        etsy_step.state = ATTENTION
    tiktok_step = Step("tiktok", 3, "Connect your TikTok Shop")
    if any(line.state == NEEDS_RECONNECT for line in lines):
        tiktok_step.state = ATTENTION
    elif connected_ids:
        tiktok_step.state = DONE
    sync_step = Step("sync", 4, "Run your first sync")
    if not connected_ids:
        sync_step.state = WAITING
    elif any(r.state in ACTIVE_STATES for r in runs):
        sync_step.state = RUNNING
    elif any(r.state == SUCCEEDED for r in runs) or any(
        line.shop.last_sync_ok_at for line in lines if line.state == CONNECTED
    ):
        sync_step.state = DONE
    elif any(r.state == FAILED for r in runs):
        sync_step.state = FAILED_STATE

    steps = [Step("account", 1, "Create your account", DONE), etsy_step, tiktok_step, sync_step]
    current = next((s for s in steps if s.state != DONE and s.state != WAITING), None)
    if current is not None:
        current.current = True
    return Guide(
        steps=steps,
        etsy=etsy,
        etsy_previous=previous,
        shops=lines,
        runs=runs,
        sync_available="sync.start" in current_app.view_functions,
    )


@dataclass(frozen=True)
class Alert:
    level: str  # danger | warning
    message: str
    action_url: str
    action_label: str
    when: datetime | None = None  # shown in the seller's timezone


def reconnect_sentence(subject: str, reason: str | None) -> str:
    """One sentence: "<subject> reconnecting: <reason>." (the stored reason is one clause)."""
    clause = (reason or "").strip().rstrip(". ")
    return f"{subject} reconnecting: {clause}." if clause else f"{subject} reconnecting."


def _alerts(seller_id: int) -> list[Alert]:
    alerts: list[Alert] = []
    etsy = db.session.scalars(
        for_seller(EtsyConnection, seller_id).where(EtsyConnection.status == NEEDS_RECONNECT)
    )
    for connection in etsy:
        alerts.append(
            Alert(
                "danger",
                reconnect_sentence(f"Your Etsy shop {connection.shop_name} needs", connection.status_reason),
                url_for("connect.etsy_start"),
                "Reconnect Etsy",
            )
        )
    shops = db.session.scalars(
        for_seller(TikTokShop, seller_id).where(TikTokShop.status != DISCONNECTED).order_by(TikTokShop.name)
    )
    expiring: dict[int, tuple[TikTokAuthorization, list[TikTokShop]]] = {}
    lost: dict[tuple[str, int], list[ShopLine]] = {}
    for shop in shops:
        line = _shop_line(shop)
        if line.state == NEEDS_RECONNECT:
            # One banner per lost authorization, however many of its shops it covered.
            key = ("auth", shop.authorization_id) if shop.authorization_id else ("shop", shop.id)
            lost.setdefault(key, []).append(line)
        elif line.expires_at is not None:
            expiring.setdefault(shop.authorization.id, (shop.authorization, []))[1].append(shop)
    for lines in lost.values():
        labels = ", ".join(line.shop.label for line in lines)
        subject = (
            f"Your TikTok Shop {labels} needs" if len(lines) == 1 else f"Your TikTok Shops {labels} need"
        )
        alerts.append(
            Alert(
                "danger",
                reconnect_sentence(subject, lines[0].reason),
                url_for("connect.tiktok_start", region=lines[0].shop.region),
                "Reconnect TikTok Shop",
            )
        )
    for authorization, group in expiring.values():
        labels = ", ".join(s.label for s in group)
        alerts.append(
            Alert(
                "warning",
                f"TikTok Shop's authorization for {labels} is about to end; reconnect to "
                "renew it and keep syncing.",
                url_for("connect.tiktok_start", region=group[0].region),
                "Renew now",
                when=ensure_aware(authorization.refresh_token_expires_at),
            )
        )
    return alerts


def connection_alerts() -> list[Alert]:
    """The logged-in seller's connection problems, computed once per request (for the banner)."""
    if not current_user.is_authenticated:
        return []
    if "connect_alerts" not in g:
        g.connect_alerts = _alerts(current_user.id)
    return g.connect_alerts
