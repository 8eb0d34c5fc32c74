"""Seller authorization: the consent pages and the token exchange/refresh endpoints."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from flask import Response, abort, redirect, render_template, request

from .. import clock
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
    code = secrets.token_urlsafe(24)
    with sandbox().store.write() as conn:
        conn.execute("INSERT INTO tt_code VALUES (?,?,?,0)", (code, seller_id, int(clock.now()) + CODE_TTL))
    return code


def _with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


@bp.route("/open/authorize", methods=["GET", "POST"], endpoint="authorize_row")
@bp.route("/us/open/authorize", methods=["GET", "POST"], endpoint="authorize_us")
def authorize() -> Any:
    sb = sandbox()
    values = request.values
    us = request.path.startswith("/us/")
    if values.get("service_id") != sb.settings["SANDBOX_SERVICE_ID"]:
        body = render_template(
            "sandbox/error.html",
            title="Authorization failed",
            message="This app is not available: the service_id in the link is unknown.",
        )
        return Response(body, status=400)
    redirect_url = values.get("redirect_uri") or sb.settings["SANDBOX_TIKTOK_REDIRECT_URL"]
    state = values.get("state", "")
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
        )
    if values.get("decision") != "approve":
        return redirect(_with_query(redirect_url, {"error": "auth_denied", "state": state}))
    seller_ids = {s["id"] for s in _market_sellers(us)}
    try:
        seller_id = int(values.get("seller", ""))
    except ValueError:
        abort(400)
    if seller_id not in seller_ids:
        abort(400)
    return redirect(_with_query(redirect_url, {"code": issue_auth_code(seller_id), "state": state}))


def issue_tokens(conn: Any, seller_id: int) -> dict[str, Any]:
    """Create an access/refresh token pair and return the token response ``data``."""
    sb = sandbox()
    now = int(clock.now())
    seller = conn.execute("SELECT * FROM tt_seller WHERE id=?", (seller_id,)).fetchone()
    prefix = "TTP_" if seller["base_region"] == "US" else "ROW_"
    ttl = sb.faults.snapshot()["token_ttl_seconds"] or sb.settings["SANDBOX_TIKTOK_ACCESS_TTL"]
    access, refresh = prefix + secrets.token_urlsafe(32), prefix + secrets.token_urlsafe(32)
    access_exp, refresh_exp = now + int(ttl), now + int(sb.settings["SANDBOX_TIKTOK_REFRESH_TTL"])
    conn.execute(
        "INSERT INTO tt_token VALUES (?,?,?,?,?,0,0,?)",
        (access, refresh, seller_id, access_exp, refresh_exp, now),
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


def _check_app(expected_grant: str) -> None:
    settings = sandbox().settings
    args = request.args
    if (
        args.get("app_key") != settings["SANDBOX_APP_KEY"]
        or args.get("app_secret") != settings["SANDBOX_APP_SECRET"]
    ):
        raise e.TikTokError(e.AUTH_APP, "Invalid app_key or app_secret.", 200)
    if args.get("grant_type") != expected_grant:
        raise e.TikTokError(e.INVALID_PARAMS, f"grant_type must be {expected_grant}.", 200)


@bp.get("/api/v2/token/get")
def token_get() -> Response:
    _check_app("authorized_code")
    code = request.args.get("auth_code", "")
    with sandbox().store.write() as conn:
        row = conn.execute("SELECT * FROM tt_code WHERE code=?", (code,)).fetchone()
        if row is None or row["used"] or row["expires_at"] < clock.now():
            raise e.TikTokError(
                e.AUTH_CODE_INVALID, "Invalid auth_code: it is unknown, used or expired.", 200
            )
        conn.execute("UPDATE tt_code SET used=1 WHERE code=?", (code,))
        return e.envelope(0, "success", issue_tokens(conn, row["seller_id"]))


@bp.get("/api/v2/token/refresh")
def token_refresh() -> Response:
    _check_app("refresh_token")
    token = request.args.get("refresh_token", "")
    with sandbox().store.write() as conn:
        row = conn.execute("SELECT * FROM tt_token WHERE refresh_token=?", (token,)).fetchone()
        if row is None or row["revoked"]:
            raise e.TikTokError(e.AUTH_RECORD_MISSING, "can not find related auth record", 200)
        if row["refresh_expires_at"] < clock.now():
            raise e.TikTokError(e.AUTH_RT_EXPIRED, "rt has expired", 200)
        # the old refresh token stops working at once; its access token lives until it expires
        conn.execute(
            "UPDATE tt_token SET refresh_token='used:' || refresh_token WHERE refresh_token=?", (token,)
        )
        return e.envelope(0, "success", issue_tokens(conn, row["seller_id"]))
