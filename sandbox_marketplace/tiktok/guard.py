"""Checks every signed TikTok call the way the real gateway does, in the same order."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from flask import request

from .. import apps, clock
from ..core import sandbox
from ..signing import sign
from . import envelope as e

PAST_WINDOW, FUTURE_WINDOW = 300, 30


@dataclass(frozen=True)
class Caller:
    seller_id: int
    access_token: str
    shop_id: str = ""
    region: str = ""


def _check_signature() -> apps.App:
    """The calling app, after checking its key, the timestamp and the signature with its secret."""
    sb = sandbox()
    params = {key: request.args.get(key, "") for key in request.args}
    app = apps.by_key(sb.settings, params.get("app_key"))
    if app is None:
        raise e.TikTokError(e.INVALID_PARAMS, "Invalid credentials: the app_key is not recognised.", 401)
    given = params.get("sign", "")
    if not given:
        raise e.TikTokError(e.INVALID_PARAMS, "Invalid credentials: the sign parameter is missing.", 401)
    try:
        stamp = int(params.get("timestamp", ""))
    except ValueError:
        raise e.TikTokError(
            e.BAD_TIMESTAMP, "Invalid timestamp: a unix time in seconds is required.", 401
        ) from None
    now = int(clock.now())
    if stamp < now - PAST_WINDOW or stamp > now + FUTURE_WINDOW:
        raise e.TikTokError(
            e.BAD_TIMESTAMP, f"Invalid timestamp: {stamp} is outside the accepted window.", 401
        )
    is_multipart = (request.mimetype or "").startswith("multipart/")
    body = b"" if is_multipart else request.get_data(cache=True)
    expected = sign(app.app_secret, request.path, params, body)
    if not hmac.compare_digest(expected, given):
        raise e.TikTokError(e.BAD_SIGNATURE, "Invalid credentials: the signature does not match.")
    return app


def _check_token(app: apps.App) -> tuple[int, str]:
    sb = sandbox()
    token = request.headers.get("x-tts-access-token", "")
    if not token:
        raise e.TikTokError(e.TOKEN_INVALID, e.INVALID_TOKEN_MESSAGE + ": it is missing.", 401)
    now = int(clock.now())
    limit = sb.faults.snapshot()["expire_token_after_calls"]
    with sb.store.write() as conn:
        row = conn.execute("SELECT * FROM tt_token WHERE access_token=?", (token,)).fetchone()
        # Unknown, revoked, or issued to the other app: all the same "invalid" to TikTok.
        if row is None or row["revoked"] or row["app"] != app.group:
            raise e.TikTokError(e.TOKEN_INVALID, e.INVALID_TOKEN_MESSAGE, 401)
        calls = row["calls"] + 1
        expires = row["access_expires_at"]
        if limit is not None and calls > int(limit) and expires > now:
            expires = now - 1
        conn.execute(
            "UPDATE tt_token SET calls=?, access_expires_at=? WHERE access_token=?", (calls, expires, token)
        )
    if expires <= now:
        raise e.TikTokError(e.TOKEN_EXPIRED, "Access token is expired, please refresh it.")
    return row["seller_id"], token


def authenticate(shop_scoped: bool = True) -> Caller:
    """Verify app_key, timestamp, signature, access token and shop_cipher; return who is calling."""
    app = _check_signature()
    seller_id, token = _check_token(app)
    cipher = request.args.get("shop_cipher")
    if not shop_scoped:
        if cipher is not None:
            raise e.TikTokError(e.INVALID_PARAMS, "shop_cipher is not allowed on this API.")
        return Caller(seller_id, token)
    if not cipher:
        raise e.TikTokError(e.MISSING_CIPHER, "shop_cipher is required for this API.")
    shop = (
        sandbox()
        .store.conn()
        .execute("SELECT id, seller_id, region FROM tt_shop WHERE cipher=?", (cipher,))
        .fetchone()
    )
    if shop is None or shop["seller_id"] != seller_id:
        raise e.TikTokError(e.SHOP_MISMATCH, "The access token does not match the shop.")
    api = request.url_rule.rule if request.url_rule else request.path
    if sandbox().rate_limited((api, shop["id"]), sandbox().settings["SANDBOX_TIKTOK_QPS"]):
        raise e.TikTokError(e.RATE_LIMITED, "Too many requests: rate limit of this API exceeded.")
    return Caller(seller_id, token, shop["id"], shop["region"])
