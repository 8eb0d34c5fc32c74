"""What the connection guide and the "needs reconnecting" banner show — read-only views of a seller's
connections. Steps: 1 account, 2 Etsy, 3 TikTok Shop, 4 first sync."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import url_for

from connector_app.connect.models import (
    CONNECTED,
    DISCONNECTED,
    NEEDS_RECONNECT,
    EtsyConnection,
    TikTokAuthorization,
    TikTokShop,
)
from connector_app.connect.signals import ask_guide_sync_step
from connector_app.extensions import db
from connector_app.panels import Panel
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
    runs: list = field(default_factory=list)  # the latest sync run of each connected shop
    active_runs: list = field(default_factory=list)
    failed_runs: list = field(default_factory=list)
    sync_available: bool = False

    @property
    def current(self) -> Step | None:
        return next((s for s in self.steps if s.current), None)

    @property
    def finished(self) -> bool:
        return all(s.state == DONE for s in self.steps)

    def step(self, key: str) -> Step:
        return next(s for s in self.steps if s.key == key)


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
    # Step 4 belongs to the sync feature, which answers for it (connect never imports sync).
    sync = ask_guide_sync_step(seller_id) if connected_ids else None

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
    elif sync is not None:
        sync_step.state = {"running": RUNNING, "done": DONE, "failed": FAILED_STATE}.get(sync.state, TODO)

    steps = [Step("account", 1, "Create your account", DONE), etsy_step, tiktok_step, sync_step]
    current = next((s for s in steps if s.state != DONE and s.state != WAITING), None)
    if current is not None:
        current.current = True
    return Guide(
        steps=steps,
        etsy=etsy,
        etsy_previous=previous,
        shops=lines,
        runs=sync.runs if sync else [],
        active_runs=sync.active if sync else [],
        failed_runs=[r for r in sync.runs if r.state == "failed"] if sync else [],
        sync_available=sync is not None and sync.available,
    )


@dataclass(frozen=True)
class Alert:
    level: str  # danger | warning
    message: str
    action_url: str
    action_label: str
    when: datetime | None = None  # shown in the seller's timezone


def _alerts(seller_id: int) -> list[Alert]:
    alerts: list[Alert] = []
    etsy = db.session.scalars(
        for_seller(EtsyConnection, seller_id).where(EtsyConnection.status == NEEDS_RECONNECT)
    )
    for connection in etsy:
        reason = f" {connection.status_reason}" if connection.status_reason else ""
        alerts.append(
            Alert(
                "danger",
                f"Your Etsy shop {connection.shop_name} needs reconnecting.{reason}",
                url_for("connect.etsy_start"),
                "Reconnect Etsy",
            )
        )
    shops = db.session.scalars(
        for_seller(TikTokShop, seller_id).where(TikTokShop.status != DISCONNECTED).order_by(TikTokShop.name)
    )
    expiring: dict[int, tuple[TikTokAuthorization, list[TikTokShop]]] = {}
    for shop in shops:
        line = _shop_line(shop)
        reconnect = url_for("connect.tiktok_start", region=shop.region)
        if line.state == NEEDS_RECONNECT:
            reason = f" {line.reason}" if line.reason else ""
            alerts.append(
                Alert(
                    "danger",
                    f"Your TikTok Shop {shop.label} needs reconnecting.{reason}",
                    reconnect,
                    "Reconnect TikTok Shop",
                )
            )
        elif line.expires_at is not None:
            expiring.setdefault(shop.authorization.id, (shop.authorization, []))[1].append(shop)
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


def connection_alerts(seller_id: int) -> list[Alert]:
    """The seller's connection problems, for the banner."""
    return _alerts(seller_id)


def alerts_panel(_sender, *, seller_id: int) -> Panel | None:
    """``page_chrome`` answer: the "needs reconnecting" banner, when there is something to say."""
    alerts = connection_alerts(seller_id)
    return Panel("connect/_alerts.html", {"alerts": alerts}, slot="banner") if alerts else None
