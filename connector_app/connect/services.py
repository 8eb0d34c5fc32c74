"""Saving, re-linking and disconnecting store connections — the only code that changes them.

Functions change the session and ``flush()``; the caller commits once, after the whole flow has
succeeded, so a failure never leaves a half-saved connection. A marketplace shop belongs to the seller
account that connected it first: another account trying to connect it gets ``StoreClaimed``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from connector_app.connect.models import (
    CONNECTED,
    DISCONNECTED,
    NEEDS_RECONNECT,
    EtsyConnection,
    TikTokAuthorization,
    TikTokShop,
)
from connector_app.connect.signals import (
    authorization_expiring,
    connection_lost,
    etsy_connected,
    shop_connected,
    shop_disconnected,
)
from connector_app.connect.tiktok_apps import region_group
from connector_app.extensions import db
from connector_app.marketplaces.etsy import EtsyMe, EtsyShop, EtsyTokenSet
from connector_app.marketplaces.tiktok import Shop, TokenSet
from connector_app.tenancy import for_seller
from connector_app.timeutil import ensure_aware, from_unix, utcnow

log = logging.getLogger(__name__)
EXPIRY_NOTICE = timedelta(days=30)


class ConnectFailed(Exception):
    """A connection attempt that cannot complete; ``str()`` is the sentence shown to the seller."""


class StoreClaimed(ConnectFailed):
    pass


CLAIMED = (
    "{name} is already connected to another Returns Connector account. Log in with that account to "
    "manage it, or disconnect it there first."
)


@dataclass(frozen=True)
class EtsySaved:
    connection: EtsyConnection
    replaced: EtsyConnection | None  # the seller's previous Etsy shop, disconnected by this one


def _clear_tokens(row: EtsyConnection | TikTokAuthorization) -> None:
    row.access_token = None
    row.refresh_token = None
    row.access_token_expires_at = None
    row.refresh_token_expires_at = None


def current_etsy_connection(seller_id: int) -> EtsyConnection | None:
    """The seller's Etsy connection that is not disconnected (connected or needing reconnection)."""
    return db.session.scalars(
        for_seller(EtsyConnection, seller_id)
        .where(EtsyConnection.status != DISCONNECTED)
        .order_by(EtsyConnection.id)
        .limit(1)
    ).first()


def other_etsy_connection(seller_id: int, shop: EtsyShop) -> EtsyConnection | None:
    """The seller's current Etsy connection when it is another shop than ``shop`` (switching would
    replace it), else None. ``StoreClaimed`` when ``shop`` belongs to another account."""
    owner = db.session.scalar(
        select(EtsyConnection.seller_id).where(EtsyConnection.etsy_shop_id == shop.shop_id)
    )
    if owner is not None and owner != seller_id:
        raise StoreClaimed(CLAIMED.format(name=f"The Etsy shop {shop.shop_name}"))
    current = current_etsy_connection(seller_id)
    return current if current is not None and current.etsy_shop_id != shop.shop_id else None


def save_etsy_connection(
    seller_id: int, tokens: EtsyTokenSet, me: EtsyMe, shop: EtsyShop, scopes: str
) -> EtsySaved:
    """Connect (or re-link) the seller's Etsy shop. One Etsy shop per account: another one the seller
    had connected is disconnected, and named in the result so the page can say so."""
    existing = db.session.scalar(select(EtsyConnection).where(EtsyConnection.etsy_shop_id == shop.shop_id))
    if existing is not None and existing.seller_id != seller_id:
        raise StoreClaimed(CLAIMED.format(name=f"The Etsy shop {shop.shop_name}"))
    connection = existing or EtsyConnection(seller_id=seller_id, etsy_shop_id=shop.shop_id)
    connection.etsy_user_id = me.user_id or tokens.user_id
    connection.shop_name = shop.shop_name or f"Etsy shop {shop.shop_id}"
    connection.currency = shop.currency_code or None
    connection.shop_url = shop.url or None
    connection.scopes = scopes
    connection.access_token = tokens.access_token
    connection.refresh_token = tokens.refresh_token
    connection.access_token_expires_at = from_unix(tokens.expires_at)
    connection.refresh_token_expires_at = None
    connection.status = CONNECTED
    connection.status_reason = None
    connection.connected_at = utcnow()
    connection.refreshed_at = None
    db.session.add(connection)

    replaced = None
    others = db.session.scalars(
        for_seller(EtsyConnection, seller_id).where(
            EtsyConnection.etsy_shop_id != shop.shop_id, EtsyConnection.status != DISCONNECTED
        )
    )
    for other in others:
        disconnect_etsy(other)
        replaced = other
    db.session.flush()
    etsy_connected.send(connection, replaced=replaced)  # listings refreshes its cache (after commit)
    log.info("seller %s connected Etsy shop %s", seller_id, shop.shop_id)
    return EtsySaved(connection, replaced)


def claimed_shop_ids(seller_id: int, shop_ids: Iterable[str]) -> set[str]:
    """Which of these TikTok shop ids are connected to another seller account."""
    ids = list(shop_ids)
    if not ids:
        return set()
    rows = db.session.scalars(
        select(TikTokShop.shop_id).where(TikTokShop.shop_id.in_(ids), TikTokShop.seller_id != seller_id)
    )
    return set(rows)


def connected_shop_ids(seller_id: int) -> set[str]:
    """TikTok shop ids the seller has connected (or that need reconnecting)."""
    query = for_seller(TikTokShop, seller_id).where(TikTokShop.status != DISCONNECTED)
    return {shop.shop_id for shop in db.session.scalars(query)}


def check_tiktok_claim(seller_id: int, tokens: TokenSet) -> None:
    """``StoreClaimed`` when this TikTok seller account is linked to another Returns Connector account."""
    owner = db.session.scalar(
        select(TikTokAuthorization.seller_id).where(TikTokAuthorization.open_id == tokens.open_id)
    )
    if owner is not None and owner != seller_id:
        raise StoreClaimed(CLAIMED.format(name=f"The TikTok Shop seller account {tokens.seller_name}"))


def save_tiktok_connection(
    seller_id: int, tokens: TokenSet, region_group: str, shops: Sequence[Shop]
) -> list[TikTokShop]:
    """Store the authorization's tokens and connect (or re-link) the chosen ``shops`` of it.

    Sends ``shop_connected`` for each shop (returns creates its tab counters, sync makes it due for
    its first sync at once).
    """
    check_tiktok_claim(seller_id, tokens)
    authorization = db.session.scalar(
        select(TikTokAuthorization).where(TikTokAuthorization.open_id == tokens.open_id)
    )
    claimed = claimed_shop_ids(seller_id, [s.id for s in shops])
    if claimed:
        names = ", ".join(s.name for s in shops if s.id in claimed)
        raise StoreClaimed(CLAIMED.format(name=f"The TikTok Shop {names}"))

    authorization = authorization or TikTokAuthorization(seller_id=seller_id, open_id=tokens.open_id)
    authorization.seller_name = tokens.seller_name or None
    authorization.seller_base_region = tokens.seller_base_region or None
    authorization.region_group = region_group
    authorization.granted_scopes = " ".join(tokens.granted_scopes) or None
    authorization.access_token = tokens.access_token
    authorization.refresh_token = tokens.refresh_token
    authorization.access_token_expires_at = from_unix(tokens.access_token_expires_at)
    authorization.refresh_token_expires_at = from_unix(tokens.refresh_token_expires_at)
    authorization.status = CONNECTED
    authorization.status_reason = None
    authorization.connected_at = utcnow()
    db.session.add(authorization)

    now = utcnow()
    connected = []
    for item in shops:
        shop = db.session.scalar(for_seller(TikTokShop, seller_id).where(TikTokShop.shop_id == item.id))
        shop = shop or TikTokShop(seller_id=seller_id, shop_id=item.id)
        was_connected = shop.status == CONNECTED and shop.authorization_id is not None
        shop.authorization = authorization
        shop.name = item.name or f"Shop {item.id}"
        shop.region = item.region or "?"
        shop.seller_type = item.seller_type or None
        shop.cipher = item.cipher
        shop.code = item.code or None
        shop.status = CONNECTED
        shop.status_reason = None
        if not was_connected:  # a renewed connection keeps its "connected since"
            shop.connected_at = now
        db.session.add(shop)
        db.session.flush()
        shop_connected.send(shop)  # tab counters, the first sync: other features' business
        connected.append(shop)
    db.session.flush()
    log.info("seller %s connected TikTok shops %s", seller_id, [s.shop_id for s in connected])
    return connected


def disconnect_etsy(connection: EtsyConnection) -> None:
    """Forget the tokens; the row (and everything restocked through it) stays for the history."""
    _clear_tokens(connection)
    connection.status = DISCONNECTED
    connection.status_reason = None
    db.session.flush()


def disconnect_tiktok_shop(shop: TikTokShop) -> None:
    """Stop syncing the shop and drop its link to the authorization; synced returns stay.

    The authorization's tokens are deleted once none of its shops is connected any more.
    """
    authorization = shop.authorization
    shop.status = DISCONNECTED
    shop.status_reason = None
    shop.authorization = None
    db.session.flush()
    shop_disconnected.send(shop, reason=DISCONNECTED)
    if authorization is not None:
        still_used = db.session.scalar(
            for_seller(TikTokShop, authorization.seller_id).where(
                TikTokShop.authorization_id == authorization.id, TikTokShop.status != DISCONNECTED
            )
        )
        if still_used is None:
            _clear_tokens(authorization)
            authorization.status = DISCONNECTED
            authorization.status_reason = None
    db.session.flush()


def _shop_by_marketplace_id(shop_id: str) -> TikTokShop | None:
    # Webhooks name TikTok's (globally unique) shop id: that is how we learn which seller it is.
    return db.session.scalar(select(TikTokShop).where(TikTokShop.shop_id == str(shop_id)))


def app_group_of_shop(shop_id: str) -> str | None:
    """Which TikTok app ("US" or "ROW") a known shop belongs to; None for a shop we do not know."""
    shop = _shop_by_marketplace_id(shop_id) if shop_id else None
    if shop is None:
        return None
    if shop.authorization is not None:
        return shop.authorization.region_group
    return region_group(shop.region)


def mark_shop_deauthorized(shop_id: str, reason: str) -> TikTokShop | None:
    """The seller revoked the app in TikTok Shop (webhook type 6): the shop and its authorization need
    reconnecting, which every page says until the seller reconnects. Returns the shop, if known."""
    shop = _shop_by_marketplace_id(shop_id)
    if shop is None or shop.status == DISCONNECTED:
        return shop
    message = f"TikTok Shop reported that the app's access was removed ({reason.rstrip('. ')})"
    shop.status = NEEDS_RECONNECT
    shop.status_reason = message
    shop_disconnected.send(shop, reason=NEEDS_RECONNECT)
    if shop.authorization is not None and shop.authorization.status == CONNECTED:
        shop.authorization.status = NEEDS_RECONNECT
        shop.authorization.status_reason = message
    db.session.flush()
    connection_lost.send(shop, seller_id=shop.seller_id, committed=False)
    log.warning("TikTok shop %s (seller %s) deauthorized: %s", shop.shop_id, shop.seller_id, reason)
    return shop


def note_authorization_expiring(shop_id: str, expires_at: int | None) -> TikTokAuthorization | None:
    """TikTok warned that the authorization ends soon (webhook type 7). The end is recorded as the
    refresh token's expiry, which the guide and the banner turn into "reconnect before <date>"."""
    shop = _shop_by_marketplace_id(shop_id)
    authorization = shop.authorization if shop is not None else None
    if authorization is None:
        return None
    # Without a date, TikTok's notice means "within 30 days".
    ends = from_unix(expires_at) if expires_at else utcnow() + EXPIRY_NOTICE
    current = authorization.refresh_token_expires_at
    if current is None or ensure_aware(current) > ends:
        authorization.refresh_token_expires_at = ends
    db.session.flush()
    authorization_expiring.send(authorization, seller_id=authorization.seller_id, committed=False)
    log.info("TikTok authorization %s expires at %s", authorization.id, expires_at)
    return authorization
