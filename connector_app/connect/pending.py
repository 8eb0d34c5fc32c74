"""Connections waiting for the seller's word: a TikTok authorization waiting for the seller to choose
which of its shops to connect, and an Etsy sign-in to a different shop than the connected one, waiting
for the seller to confirm the switch.

Nothing is written to the database before the seller's choice: the tokens (and the shop list) are kept
for a few minutes in Redis, encrypted with the token key, under a random id held in the session.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass

from flask import session

from connector_app.extensions import rq, token_cipher
from connector_app.marketplaces.etsy import EtsyMe, EtsyShop, EtsyTokenSet
from connector_app.marketplaces.tiktok import Shop, TokenSet

TTL_SECONDS = 15 * 60
SESSION_KEY = "connect_tiktok_pending"


@dataclass(frozen=True)
class PendingAuthorization:
    tokens: TokenSet
    region_group: str
    shops: tuple[Shop, ...]

    def shop(self, shop_id: str) -> Shop | None:
        return next((s for s in self.shops if s.id == shop_id), None)


def _key(seller_id: int, ident: str) -> str:
    return f"connector:connect:pending:{seller_id}:{ident}"


def hold(seller_id: int, pending: PendingAuthorization) -> None:
    ident = secrets.token_urlsafe(16)
    body = {
        "tokens": asdict(pending.tokens),
        "region_group": pending.region_group,
        "shops": [asdict(s) for s in pending.shops],
    }
    rq.connection.set(_key(seller_id, ident), token_cipher.encrypt(json.dumps(body)), ex=TTL_SECONDS)
    session[SESSION_KEY] = ident


def load(seller_id: int) -> PendingAuthorization | None:
    ident = session.get(SESSION_KEY)
    if not ident:
        return None
    raw = rq.connection.get(_key(seller_id, ident))
    if raw is None:
        return None
    body = json.loads(token_cipher.decrypt(raw))
    tokens = body["tokens"]
    tokens["granted_scopes"] = tuple(tokens.get("granted_scopes") or ())
    return PendingAuthorization(
        tokens=TokenSet(**tokens),
        region_group=body["region_group"],
        shops=tuple(Shop(**s) for s in body["shops"]),
    )


def drop(seller_id: int) -> None:
    ident = session.pop(SESSION_KEY, None)
    if ident:
        rq.connection.delete(_key(seller_id, ident))


# -- App Store installs --------------------------------------------------------------------------
# An install started on TikTok's App Store comes back with a code and no state, possibly before the
# seller has logged in. The code is kept in Redis (encrypted, for the 30 minutes it lives); the session
# cookie only holds a random id pointing at it.

INSTALL_TTL_SECONDS = 30 * 60
INSTALL_KEY = "connect_tiktok_install"


@dataclass(frozen=True)
class PendingInstall:
    region_group: str
    code: str


def _install_key(ident: str) -> str:
    return f"connector:connect:install:{ident}"


def hold_install(install: PendingInstall) -> None:
    ident = secrets.token_urlsafe(16)
    body = json.dumps({"region_group": install.region_group, "code": install.code})
    rq.connection.set(_install_key(ident), token_cipher.encrypt(body), ex=INSTALL_TTL_SECONDS)
    session[INSTALL_KEY] = ident


def peek_install() -> PendingInstall | None:
    ident = session.get(INSTALL_KEY)
    raw = rq.connection.get(_install_key(ident)) if ident else None
    if raw is None:
        return None
    body = json.loads(token_cipher.decrypt(raw))
    return PendingInstall(region_group=body["region_group"], code=body["code"])


def take_install() -> PendingInstall | None:
    """The pending install, removed at once: its code is single-use."""
    install = peek_install()
    ident = session.pop(INSTALL_KEY, None)
    if ident:
        rq.connection.delete(_install_key(ident))
    return install


# -- Etsy: switching the account to another Etsy shop ----------------------------------------------
# The seller signed in to Etsy as a different shop than the one connected: nothing is swapped before
# the seller confirms. The new shop's tokens wait in Redis (encrypted) for a few minutes meanwhile.

ETSY_SWITCH_KEY = "connect_etsy_switch"


@dataclass(frozen=True)
class PendingEtsySwitch:
    tokens: EtsyTokenSet
    me: EtsyMe
    shop: EtsyShop
    scopes: str


def _etsy_key(seller_id: int, ident: str) -> str:
    return f"connector:connect:etsy-switch:{seller_id}:{ident}"


def hold_etsy_switch(seller_id: int, pending: PendingEtsySwitch) -> None:
    ident = secrets.token_urlsafe(16)
    body = {
        "tokens": asdict(pending.tokens),
        "me": asdict(pending.me),
        "shop": asdict(pending.shop),
        "scopes": pending.scopes,
    }
    rq.connection.set(_etsy_key(seller_id, ident), token_cipher.encrypt(json.dumps(body)), ex=TTL_SECONDS)
    session[ETSY_SWITCH_KEY] = ident


def load_etsy_switch(seller_id: int) -> PendingEtsySwitch | None:
    ident = session.get(ETSY_SWITCH_KEY)
    raw = rq.connection.get(_etsy_key(seller_id, ident)) if ident else None
    if raw is None:
        return None
    body = json.loads(token_cipher.decrypt(raw))
    return PendingEtsySwitch(
        tokens=EtsyTokenSet(**body["tokens"]),
        me=EtsyMe(**body["me"]),
        shop=EtsyShop(**body["shop"]),
        scopes=body["scopes"],
    )


def drop_etsy_switch(seller_id: int) -> None:
    ident = session.pop(ETSY_SWITCH_KEY, None)
    if ident:
        rq.connection.delete(_etsy_key(seller_id, ident))
