"""Control API helpers that act as the seller on the marketplaces' consent pages, and token revocation."""

from __future__ import annotations

from flask import Response, jsonify

from . import apps
from .control import _body, bp
from .core import sandbox
from .etsy.oauth import issue_code
from .tiktok.auth import issue_auth_code


@bp.post("/authorize/tiktok")
def authorize_tiktok() -> Response:
    body = _body()
    conn = sandbox().store.conn()
    sellers = conn.execute("SELECT * FROM tt_seller ORDER BY id").fetchall()
    wanted = body.get("seller")
    region = body.get("region")
    match = [s for s in sellers if wanted in (None, str(s["id"]), s["name"], s["open_id"])]
    if region:
        regions = {
            r[0] for r in conn.execute("SELECT DISTINCT seller_id FROM tt_shop WHERE region=?", (region,))
        }
        match = [s for s in match if s["id"] in regions]
    if not match:
        return jsonify({"error": "no such seller"}), 404
    seller = match[0]
    return jsonify(
        {
            "code": issue_auth_code(seller["id"]),
            "seller_id": seller["id"],
            "app": apps.group_of(seller["base_region"]),  # the only app that can exchange the code
        }
    )


@bp.post("/tokens/revoke")
def revoke_tokens() -> Response:
    """Revoke a seller's TikTok access tokens (``refresh: true`` revokes the refresh tokens too), as
    when the seller removes the app or TikTok invalidates the authorization."""
    body = _body()
    conn = sandbox().store.conn()
    wanted = body.get("seller")
    seller = next(
        (
            s
            for s in conn.execute("SELECT * FROM tt_seller")
            if wanted in (str(s["id"]), s["name"], s["open_id"])
        ),
        None,
    )
    if seller is None:
        return jsonify({"error": "no such seller"}), 404
    refresh = 1 if body.get("refresh") else 0
    with sandbox().store.write() as wconn:
        count = wconn.execute(
            "UPDATE tt_token SET revoked=1, refresh_revoked=MAX(refresh_revoked, ?) WHERE seller_id=?",
            (refresh, seller["id"]),
        ).rowcount
    return jsonify({"revoked": count, "refresh_revoked": bool(refresh)})


@bp.post("/authorize/etsy")
def authorize_etsy() -> Response:
    body = _body()
    conn = sandbox().store.conn()
    users = conn.execute("SELECT * FROM etsy_user ORDER BY user_id").fetchall()
    wanted = body.get("user")
    match = [u for u in users if wanted in (None, str(u["user_id"]), u["login_name"])]
    if not match or not body.get("code_challenge") or not body.get("redirect_uri"):
        return jsonify({"error": "user, code_challenge and redirect_uri are required"}), 400
    scope = body.get("scope", "transactions_r listings_r listings_w shops_r")
    code = issue_code(
        match[0]["user_id"],
        body.get("client_id") or sandbox().settings["SANDBOX_ETSY_KEYSTRING"],
        body["redirect_uri"],
        body["code_challenge"],
        scope,
    )
    return jsonify({"code": code, "state": body.get("state", ""), "user_id": match[0]["user_id"]})
