"""Seller authorization: the consent pages and the token exchange/refresh endpoints."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, redirect, render_template, request

from .. import apps, clock
from ..core import sandbox
from . import bp
from . import envelope as e

CODE_TTL = 30 * 60
GRANTED_SCOPES = ["seller.authorization.info", "seller.return_refund.basic", "seller.order.info"]


def _market_sellers(us: bool) -> list[dict[str, Any]]:
    conn = sandbox().store.conn()
    sellers = [dict(r) for r in conn.execute("SELECT * FROM tt_seller ORDER BY id")]
    sellers = [s for s in sellers if (s["base_region"] == "US") == us]
    for seller in sellers:
        rows = conn.execute("SELECT name, region FROM tt_shop WHERE seller_id=? ORDER BY id", (seller["id"],))
        seller["shops"] = [dict(r) for r in rows]
    return sellers


def issue_auth_code(seller_id: int) -> str:
    """A code of the app that serves the seller's market (it can only be exchanged by that app)."""
    code = secrets.token_urlsafe(24)
    with sandbox().store.write() as conn:
        seller = conn.execute("SELECT base_region FROM tt_seller WHERE id=?", (seller_id,)).fetchone()
        conn.execute(
            "INSERT INTO tt_code (code, seller_id, expires_at, used, app) VALUES (?,?,?,0,?)",
            (code, seller_id, int(clock.now()) + CODE_TTL, apps.group_of(seller["base_region"])),
        )
    return code


def _with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


@bp.route("/open/authorize", methods=["GET", "POST"], endpoint="authorize_row")
@bp.route("/us/open/authorize", methods=["GET", "POST"], endpoint="authorize_us")
def authorize() -> Any:
    sb = sandbox()
    values = request.values
    us = request.path.startswith("/us/")
    # Each authorize host serves the app of its own Partner Center: the other app's service id is
    # unknown there, exactly as on TikTok.
    app = apps.apps(sb.settings)[apps.US if us else apps.GLOBAL]
    if values.get("service_id") != app.service_id:
        body = render_template(
            "sandbox/error.html",
            title="Authorization failed",
            message="This app is not available: the service_id in the link is unknown.",
        )
        return Response(body, status=400)
    redirect_url = values.get("redirect_uri") or app.redirect_url
    state = values.get("state", "")
    # An install from the App Store carries no state: the seller comes back with the code only.
    back = {"state": state} if state else {}
    if request.method == "GET":
        return render_template(
            "sandbox/consent_tiktok.html",
            sellers=_market_sellers(us),
            state=state,
            redirect_url=redirect_url,
            service_id=values["service_id"],
            market="United States" if us else "Rest of world",
            redirect_uri=values.get("redirect_uri", ""),
            scopes=GRANTED_SCOPES,
            app_store=not state,
        )
    if values.get("decision") != "approve":
        return redirect(_with_query(redirect_url, {"error": "auth_denied", **back}))
    seller_ids = {s["id"] for s in _market_sellers(us)}
    try:
        seller_id = int(values.get("seller", ""))
    except ValueError:
        abort(400)
    if seller_id not in seller_ids:
        abort(400)
    return redirect(_with_query(redirect_url, {"code": issue_auth_code(seller_id), **back}))


def issue_tokens(conn: Any, seller_id: int, app: str) -> dict[str, Any]:
    """Create an access/refresh token pair and return the token response ``data``."""
    sb = sandbox()
    now = int(clock.now())
    seller = conn.execute("SELECT * FROM tt_seller WHERE id=?", (seller_id,)).fetchone()
    prefix = "TTP_" if seller["base_region"] == "US" else "ROW_"
    ttl = sb.faults.snapshot()["token_ttl_seconds"] or sb.settings["SANDBOX_TIKTOK_ACCESS_TTL"]
    access, refresh = prefix + secrets.token_urlsafe(32), prefix + secrets.token_urlsafe(32)
    access_exp, refresh_exp = now + int(ttl), now + int(sb.settings["SANDBOX_TIKTOK_REFRESH_TTL"])
    conn.execute(
        "INSERT INTO tt_token (access_token, refresh_token, seller_id, access_expires_at, "
        "refresh_expires_at, revoked, calls, created_at, app) VALUES (?,?,?,?,?,0,0,?,?)",
        (access, refresh, seller_id, access_exp, refresh_exp, now, app),
    )
    return {
        "access_token": access,
        "access_token_expire_in": access_exp,
        "refresh_token": refresh,
        "refresh_token_expire_in": refresh_exp,
        "open_id": seller["open_id"],
        "seller_name": seller["name"],
        "seller_base_region": seller["base_region"],
        "user_type": seller["user_type"],
        "granted_scopes": GRANTED_SCOPES,
    }


def _check_app(expected_grant: str) -> apps.App:
    args = request.args
    app = apps.by_key(sandbox().settings, args.get("app_key"))
    if app is None or args.get("app_secret") != app.app_secret:
        raise e.TikTokError(e.AUTH_APP, "Invalid app_key or app_secret.", 200)
    if args.get("grant_type") != expected_grant:
        raise e.TikTokError(e.INVALID_PARAMS, f"grant_type must be {expected_grant}.", 200)
    return app


@bp.get("/api/v2/token/get")
def token_get() -> Response:
    app = _check_app("authorized_code")
    code = request.args.get("auth_code", "")
    with sandbox().store.write() as conn:
        row = conn.execute("SELECT * FROM tt_code WHERE code=?", (code,)).fetchone()
        # A code of the other app is as unknown to this one as a made-up code (and stays unused).
        if row is None or row["used"] or row["expires_at"] < clock.now() or row["app"] != app.group:
            raise e.TikTokError(
                e.AUTH_CODE_INVALID, "Invalid auth_code: it is unknown, used or expired.", 200
            )
        conn.execute("UPDATE tt_code SET used=1 WHERE code=?", (code,))
        return e.envelope(0, "success", issue_tokens(conn, row["seller_id"], app.group))


@bp.get("/api/v2/token/refresh")
def token_refresh() -> Response:
    app = _check_app("refresh_token")
    token = request.args.get("refresh_token", "")
    with sandbox().store.write() as conn:
        row = conn.execute("SELECT * FROM tt_token WHERE refresh_token=?", (token,)).fetchone()
        if row is None or row["refresh_revoked"] or row["app"] != app.group:
            raise e.TikTokError(e.AUTH_RECORD_MISSING, "can not find related auth record", 200)
        if row["refresh_expires_at"] < clock.now():
            raise e.TikTokError(e.AUTH_RT_EXPIRED, "rt has expired", 200)
        # the old refresh token stops working at once; its access token lives until it expires
        conn.execute(
            "UPDATE tt_token SET refresh_token='used:' || refresh_token WHERE refresh_token=?", (token,)
        )
        return e.envelope(0, "success", issue_tokens(conn, row["seller_id"], app.group))
