"""Marketplace clients for a seller's stored connections, with token refresh done right.

Every feature gets its API clients here: ``tiktok_client_for(shop)`` and ``etsy_client_for(connection)``.
They make calls with the background retry policy unless the caller passes ``policy=INTERACTIVE`` (the
OAuth callbacks, the only place a person waits on a marketplace call); ``MARKETPLACE_TIMEOUT`` and
``MARKETPLACE_BACKOFF_BASE`` can shorten a policy's read timeout and first backoff (tests do).
Tokens are refreshed shortly before they expire and on an expired-token answer, under a per-connection
lock in Redis (so two workers never refresh the same token at once — Etsy rotates refresh tokens and a
second refresh would revoke the first), and the new tokens are written at once on their own connection,
independently of the caller's transaction. A refresh that fails for good marks the connection
"needs reconnecting" and raises ``AuthorizationLost``.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from functools import partial

import requests
from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value

from connector_app.connect.models import (
    CONNECTED,
    NEEDS_RECONNECT,
    EtsyConnection,
    TikTokAuthorization,
    TikTokShop,
)
from connector_app.connect.signals import connection_lost
from connector_app.connect.tiktok_apps import tiktok_app
from connector_app.extensions import db, rq
from connector_app.marketplaces.errors import AuthorizationLost, MarketplaceError, NotConnected
from connector_app.marketplaces.etsy import EtsyAuth, EtsyClient
from connector_app.marketplaces.http import SharedRateLimiter
from connector_app.marketplaces.policy import BACKGROUND, TOKEN_CALLS, RetryPolicy
from connector_app.marketplaces.tiktok import TikTokAuth, TikTokClient
from connector_app.marketplaces.tiktok.client import REQUESTS_PER_SECOND as TIKTOK_REQUESTS_PER_SECOND
from connector_app.observability.metrics import observe_marketplace
from connector_app.timeutil import ensure_aware, from_unix, utcnow

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)
_sessions: dict[tuple[int, str], requests.Session] = {}


def http_session(name: str) -> requests.Session:
    """One pooled HTTP session per marketplace per process (RQ forks: never share across processes)."""
    key = (os.getpid(), name)
    if key not in _sessions:
        _sessions[key] = requests.Session()
    return _sessions[key]


def configured(policy: RetryPolicy) -> RetryPolicy:
    """``policy`` within the configured read timeout (MARKETPLACE_TIMEOUT) and first backoff
    (MARKETPLACE_BACKOFF_BASE; tests make it small)."""
    config = current_app.config
    return policy.limited(
        read_timeout=float(config["MARKETPLACE_TIMEOUT"]),
        backoff_base=float(config.get("MARKETPLACE_BACKOFF_BASE", 0.5)),
    )


def tiktok_auth(region_group: str | None) -> TikTokAuth:
    """Token exchange and refresh with the app of ``region_group`` (the US or the global app)."""
    app = tiktok_app(region_group)
    return TikTokAuth(
        app.app_key,
        app.app_secret,
        current_app.config["TIKTOK_AUTH_API_URL"],
        session=http_session("tiktok"),
        policy=configured(TOKEN_CALLS),
        observer=observe_marketplace,
    )


def etsy_auth() -> EtsyAuth:
    config = current_app.config
    return EtsyAuth(
        config["ETSY_KEYSTRING"],
        config["ETSY_TOKEN_URL"],
        session=http_session("etsy"),
        policy=configured(TOKEN_CALLS),
        observer=observe_marketplace,
    )


def _lock(kind: str, ident: int):
    return rq.connection.lock(f"connector:token-refresh:{kind}:{ident}", timeout=60, blocking_timeout=45)


def _persist(model, row, values: dict) -> None:
    """Write token fields at once on a separate connection, and mirror them on the loaded row."""
    with db.engine.begin() as conn:
        conn.execute(update(model).where(model.id == row.id).values(**values))
    for name, value in values.items():
        set_committed_value(row, name, value)


def _read_committed(model, row) -> None:
    """Reload token fields from the database (another process may have refreshed them)."""
    with db.engine.connect() as conn:
        fresh = conn.execute(model.__table__.select().where(model.__table__.c.id == row.id)).mappings().one()
    for name in (
        "access_token",
        "refresh_token",
        "access_token_expires_at",
        "refresh_token_expires_at",
        "status",
    ):
        set_committed_value(row, name, fresh[name])


def mark_needs_reconnect(model, row, reason: str) -> None:
    """``reason`` is one clause (``AuthorizationLost.reason()``): the banner puts it in its sentence."""
    reason = reason.strip().rstrip(". ")
    log.warning("%s %s needs reconnecting: %s", model.__tablename__, row.id, reason)
    _persist(model, row, {"status": NEEDS_RECONNECT, "status_reason": reason})
    connection_lost.send(row, seller_id=row.seller_id, committed=True)


def _refresh(model, row, kind: str, label: str, failed_token: str | None, fetch) -> str:
    """The one refresh protocol for both marketplaces, under a per-connection lock across processes.

    ``fetch(refresh_token)`` calls the marketplace and returns the columns to store. A token that
    another process already replaced is reused; a refresh refused for good marks the connection.
    """
    with _lock(kind, row.id):
        _read_committed(model, row)
        if row.status != CONNECTED:
            raise NotConnected(row.status_reason or f"{label} needs reconnecting", marketplace=label)
        if failed_token is not None and row.access_token != failed_token:
            return row.access_token  # someone else refreshed while we waited
        if failed_token is None and not _expiring(row):
            return row.access_token
        try:
            values = fetch(row.refresh_token)
        except NotConnected:
            raise
        except AuthorizationLost as exc:
            mark_needs_reconnect(model, row, exc.reason())
            raise
        _persist(model, row, {**values, "refreshed_at": utcnow()})
        return values["access_token"]


def refresh_tiktok(authorization: TikTokAuthorization, failed_token: str | None = None) -> str:
    """Refresh the authorization's tokens (once, across all processes); return the access token."""

    def fetch(refresh_token: str) -> dict:
        tokens = tiktok_auth(authorization.region_group).refresh(refresh_token)
        return {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "access_token_expires_at": from_unix(tokens.access_token_expires_at),
            "refresh_token_expires_at": from_unix(tokens.refresh_token_expires_at),
        }

    return _refresh(TikTokAuthorization, authorization, "tiktok", "TikTok Shop", failed_token, fetch)


def refresh_etsy(connection: EtsyConnection, failed_token: str | None = None) -> str:
    """Refresh the Etsy tokens; Etsy rotates the refresh token, so the new one is stored at once."""

    def fetch(refresh_token: str) -> dict:
        tokens = etsy_auth().refresh(refresh_token)
        return {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "access_token_expires_at": from_unix(tokens.expires_at),
        }

    return _refresh(EtsyConnection, connection, "etsy", "Etsy", failed_token, fetch)


def _expiring(row) -> bool:
    expires = row.access_token_expires_at
    return expires is None or ensure_aware(expires) - utcnow() < REFRESH_MARGIN


def _usable(row) -> None:
    if row.status != CONNECTED or not row.access_token:
        raise NotConnected(row.status_reason or "this store needs reconnecting")


def _lost_handler(authorization: TikTokAuthorization):
    """Marks the authorization "needs reconnecting" when its token is refused even after renewing it."""

    def lost(exc: AuthorizationLost) -> None:
        if authorization.id is not None:
            mark_needs_reconnect(TikTokAuthorization, authorization, exc.reason())

    return lost


def tiktok_client_for(shop: TikTokShop, policy: RetryPolicy = BACKGROUND) -> TikTokClient:
    """A client for one connected shop; refreshes the authorization's token when needed."""
    authorization = shop.authorization
    if authorization is None or shop.status != CONNECTED:
        raise NotConnected(
            shop.status_reason or "this TikTok Shop is not connected", marketplace="TikTok Shop"
        )
    _usable(authorization)
    token = refresh_tiktok(authorization) if _expiring(authorization) else authorization.access_token
    app = tiktok_app(authorization.region_group)
    client = TikTokClient(
        app.app_key,
        app.app_secret,
        current_app.config["TIKTOK_API_URL"],
        token,
        shop.cipher,
        session=http_session("tiktok"),
        policy=configured(policy),
        observer=observe_marketplace,
        limiter=shop_rate_limiter(shop.cipher, app.app_key),
        on_authorization_lost=_lost_handler(authorization),
    )
    client.on_token_expired = lambda: refresh_tiktok(authorization, failed_token=client.access_token)
    return client


_shared_limiters: dict[tuple, SharedRateLimiter] = {}


def shop_rate_limiter(cipher: str, app_key: str | None = None) -> SharedRateLimiter:
    """TikTok's per-shop rate limit (per app and shop), shared by the web app and every worker through
    the app's Redis (a sync in one worker and webhook re-fetches in another count against the same limit)."""
    app_key = app_key or current_app.config["TIKTOK_APP_KEY"]
    key = (os.getpid(), id(rq.connection), app_key, cipher)
    limiter = _shared_limiters.get(key)
    if limiter is None:
        redis_key = f"{current_app.config['RQ_QUEUE']}:ratelimit:tiktok:{app_key}:{cipher}"
        limiter = _shared_limiters[key] = SharedRateLimiter(
            rq.connection, redis_key, TIKTOK_REQUESTS_PER_SECOND
        )
    return limiter


def tiktok_client_for_authorization(
    authorization: TikTokAuthorization, policy: RetryPolicy = BACKGROUND
) -> TikTokClient:
    """A client without a shop (Get Authorized Shops), signed with the authorization's app."""
    _usable(authorization)
    app = tiktok_app(authorization.region_group)
    client = TikTokClient(
        app.app_key,
        app.app_secret,
        current_app.config["TIKTOK_API_URL"],
        authorization.access_token,
        session=http_session("tiktok"),
        policy=configured(policy),
        observer=observe_marketplace,
        on_authorization_lost=_lost_handler(authorization),
    )
    client.on_token_expired = lambda: refresh_tiktok(authorization, failed_token=client.access_token)
    return client


class EtsyBudgetSpent(MarketplaceError):
    """The seller used up their share of the app's daily Etsy calls (resets at 00:00 UTC)."""

    def seller_message(self) -> str:
        return (
            "Your shop has used today's share of Etsy requests; listings and restocks continue "
            "automatically after midnight (UTC)."
        )


def spend_etsy_call(seller_id: int) -> None:
    """Count one Etsy call against the seller's daily budget (``ETSY_DAILY_CALLS_PER_SELLER``).

    Etsy's 10,000 calls a day belong to the whole app: one seller's loop must not stop everyone's
    restocks. The counter lives in Redis next to the shared rate limits (MULTI: INCR + EXPIRE). While
    Redis cannot be reached the call goes ahead.
    """
    budget = int(current_app.config["ETSY_DAILY_CALLS_PER_SELLER"])
    key = f"connector:etsy-budget:{seller_id}:{utcnow():%Y%m%d}"
    try:
        pipe = rq.connection.pipeline()
        pipe.incr(key)
        pipe.expire(key, 2 * 24 * 3600)
        used = int(pipe.execute()[0])
    except Exception as exc:
        log.warning("Etsy call budget unavailable (%s); not counting", type(exc).__name__)
        return
    if used > budget:
        raise EtsyBudgetSpent(f"daily Etsy call budget of {budget} used", marketplace="Etsy")


def etsy_client_for(connection: EtsyConnection, policy: RetryPolicy = BACKGROUND) -> EtsyClient:
    """A client for the seller's stored Etsy connection; every call counts against their daily budget."""
    _usable(connection)
    token = refresh_etsy(connection) if _expiring(connection) else connection.access_token
    client = etsy_client_with_token(token, policy, seller_id=connection.seller_id)
    client.on_token_expired = lambda: refresh_etsy(connection, failed_token=client.access_token)
    return client


def etsy_client_with_token(
    access_token: str, policy: RetryPolicy = BACKGROUND, *, seller_id: int | None = None
) -> EtsyClient:
    """A client for a token (not stored yet: the OAuth callback's first calls); with ``seller_id``,
    every call counts against that seller's daily Etsy budget."""
    config = current_app.config
    return EtsyClient(
        config["ETSY_KEYSTRING"],
        config["ETSY_SHARED_SECRET"],
        config["ETSY_API_URL"],
        access_token,
        session=http_session("etsy"),
        policy=configured(policy),
        observer=observe_marketplace,
        before_call=partial(spend_etsy_call, seller_id) if seller_id is not None else None,
    )
