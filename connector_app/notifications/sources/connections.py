"""Store connections: a TikTok authorization about to end, and a store whose access was lost.

- ``connection_expiring``: TikTok's upcoming-expiration webhook (type 7) records when the authorization
  ends (``refresh_token_expires_at``); within 30 days of that the seller is told once per end date.
- ``connection_lost``: the seller removed the app in TikTok Shop (type 6), or a marketplace refused to
  renew the access (TikTok or Etsy): once per connection episode (keyed by when it was connected, so
  losing it again after reconnecting is told again).

The connect feature says when either happens (``connect.signals.connection_lost`` /
``authorization_expiring``), which starts an evaluation at once; the scheduled scan is the backstop.
Lost and expiring connections are few: the scan reads them all each time (connections needing a
reconnect, and authorizations ending within the notice period).
"""

from __future__ import annotations

from sqlalchemy import select

from connector_app.connect.models import (
    CONNECTED,
    NEEDS_RECONNECT,
    EtsyConnection,
    TikTokAuthorization,
    TikTokShop,
)
from connector_app.connect.services import EXPIRY_NOTICE
from connector_app.extensions import db
from connector_app.notifications import paths
from connector_app.notifications.kinds import DIGEST, IMMEDIATE, Alert, Kind
from connector_app.notifications.sources import Found, Window
from connector_app.timeutil import ensure_aware, to_unix

EXPIRING = Kind(
    "connection_expiring",
    "A store connection is about to end",
    "TikTok Shop said the app's authorization ends soon: reconnect before then to keep syncing.",
    email=DIGEST,
    group="Stores and sync",
)
LOST = Kind(
    "connection_lost",
    "A store connection was lost",
    "TikTok Shop or Etsy stopped accepting the connector's access (the app was removed, or renewing "
    "the access was refused).",
    email=IMMEDIATE,
    group="Stores and sync",
)


def _date(moment) -> str:
    return ensure_aware(moment).strftime("%Y-%m-%d")


class ConnectionsSource:
    name = "connections"
    kinds = (EXPIRING, LOST)

    def scan(self, window: Window) -> Found:
        return self._find(window, seller_id=None)

    def for_seller(self, seller_id: int, window: Window) -> Found:
        return self._find(window, seller_id=seller_id)

    def _find(self, window: Window, seller_id: int | None) -> Found:
        def scoped(query, model):
            return query if seller_id is None else query.where(model.seller_id == seller_id)

        link = paths.path_for("connect.index")
        alerts: list[Alert] = []
        authorizations = db.session.scalars(
            scoped(select(TikTokAuthorization), TikTokAuthorization).where(
                (TikTokAuthorization.status == NEEDS_RECONNECT)
                | (
                    (TikTokAuthorization.status == CONNECTED)
                    & (TikTokAuthorization.refresh_token_expires_at <= window.now + EXPIRY_NOTICE)
                )
            )
        ).all()
        shop_names = self._shop_names([a.id for a in authorizations])
        rows = len(authorizations)
        for auth in authorizations:
            name = ", ".join(shop_names.get(auth.id, [])) or auth.seller_name or "your TikTok Shop"
            key = {
                "seller_id": auth.seller_id,
                "subject_type": "tiktok",
                "subject_id": str(auth.id),
                "link": link,
            }
            if auth.status == NEEDS_RECONNECT:
                reason = (auth.status_reason or "TikTok Shop refused the connector's access").rstrip(". ")
                alerts.append(
                    Alert(
                        kind=LOST.key,
                        title=f"Reconnect TikTok Shop: {name}",
                        body=f"{reason}. Returns stop syncing and you cannot answer requests here until you "
                        "reconnect on the Stores page.",
                        deadline=to_unix(auth.connected_at) or 0,
                        **key,
                    )
                )
            elif (
                auth.refresh_token_expires_at is not None
                and ensure_aware(auth.refresh_token_expires_at) > window.now
            ):
                ends = auth.refresh_token_expires_at
                alerts.append(
                    Alert(
                        kind=EXPIRING.key,
                        title=f"TikTok Shop access ends on {_date(ends)}: {name}",
                        body="TikTok Shop said the connector's authorization ends on "
                        f"{_date(ends)}. Reconnect on the Stores page before then to keep syncing returns.",
                        deadline=to_unix(ends) or 0,
                        **key,
                    )
                )
        shops = db.session.scalars(
            scoped(select(TikTokShop), TikTokShop).where(TikTokShop.status == NEEDS_RECONNECT)
        ).all()
        lost_auths = {a.id for a in authorizations if a.status == NEEDS_RECONNECT}
        rows += len(shops)
        for shop in shops:
            if shop.authorization_id in lost_auths:
                continue  # said once, for the whole authorization
            reason = (shop.status_reason or "TikTok Shop removed the connector's access").rstrip(". ")
            alerts.append(
                Alert(
                    seller_id=shop.seller_id,
                    kind=LOST.key,
                    subject_type="shop",
                    subject_id=str(shop.id),
                    title=f"Reconnect TikTok Shop: {shop.label}",
                    body=f"{reason}. Returns stop syncing for this shop until you reconnect on the Stores "
                    "page.",
                    link=link,
                    deadline=to_unix(shop.connected_at) or 0,
                )
            )
        etsy = db.session.scalars(
            scoped(select(EtsyConnection), EtsyConnection).where(EtsyConnection.status == NEEDS_RECONNECT)
        ).all()
        rows += len(etsy)
        for connection in etsy:
            reason = (connection.status_reason or "Etsy refused the connector's access").rstrip(". ")
            alerts.append(
                Alert(
                    seller_id=connection.seller_id,
                    kind=LOST.key,
                    subject_type="etsy",
                    subject_id=str(connection.id),
                    title=f"Reconnect Etsy: {connection.shop_name}",
                    body=f"{reason}. Returned items cannot be restocked on Etsy until you reconnect on the "
                    "Stores page.",
                    link=link,
                    deadline=to_unix(connection.connected_at) or 0,
                )
            )
        return Found(alerts, rows_read=rows)

    def _shop_names(self, authorization_ids: list[int]) -> dict[int, list[str]]:
        names: dict[int, list[str]] = {}
        if authorization_ids:
            rows = db.session.scalars(
                select(TikTokShop)
                .where(TikTokShop.authorization_id.in_(authorization_ids))
                .order_by(TikTokShop.name, TikTokShop.id)
            )
            for shop in rows:
                names.setdefault(shop.authorization_id, []).append(shop.label)
        return names

    def still_relevant(self, notifications: list) -> set[int]:
        return {n.id for n in notifications}


SOURCE = ConnectionsSource()
