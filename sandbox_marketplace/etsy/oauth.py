"""Etsy consent page and token endpoint (authorization_code + PKCE, rotating refresh tokens)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Any
from urllib.parse import urlencode

from flask import Response, jsonify, redirect, render_template, request

from .. import clock
from ..core import sandbox
from . import bp

CODE_TTL = 600
VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
SCOPES = (
    "transactions_r",
    "transactions_w",
    "listings_r",
    "listings_w",
    "listings_d",
    "shops_r",
    "shops_w",
    "profile_r",
    "email_r",
    "address_r",
)


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    return response


def _page_error(message: str) -> Response:
    return Response(
        render_template("sandbox/error.html", title="Etsy authorization failed", message=message), 400
    )


def _registered(redirect_uri: str) -> bool:
    allowed = sandbox().settings["SANDBOX_ETSY_REDIRECT_URIS"].split()
    return redirect_uri in allowed if allowed else redirect_uri.startswith(("http://", "https://"))


def issue_code(user_id: int, client_id: str, redirect_uri: str, challenge: str, scope: str) -> str:
    code = secrets.token_urlsafe(32)
    with sandbox().store.write() as conn:
        conn.execute(
            "INSERT INTO etsy_code VALUES (?,?,?,?,?,?,?,0)",
            (code, user_id, client_id, redirect_uri, challenge, scope, int(clock.now()) + CODE_TTL),
        )
    return code


@bp.route("/oauth/connect", methods=["GET", "POST"])
def connect() -> Any:
    v = request.values
    if v.get("response_type") != "code":
        return _page_error("response_type must be code.")
    if v.get("client_id") != sandbox().settings["SANDBOX_ETSY_KEYSTRING"]:
        return _page_error("The client_id is not a known app keystring.")
    redirect_uri = v.get("redirect_uri", "")
    if not _registered(redirect_uri):
        return _page_error("The redirect_uri is not registered for this app.")
    if not v.get("state"):
        return _page_error("The state parameter is required.")
    if not v.get("code_challenge") or v.get("code_challenge_method") != "S256":
        return _page_error("PKCE is required: send code_challenge with code_challenge_method=S256.")
    scope = v.get("scope", "")
    unknown = [s for s in scope.split() if s not in SCOPES]
    if unknown:
        return _page_error(f"Unknown scope: {' '.join(unknown)}.")
    if request.method == "GET":
        users = (
            sandbox()
            .store.conn()
            .execute(
                "SELECT u.*, s.shop_name FROM etsy_user u JOIN etsy_shop s ON s.shop_id=u.shop_id "
                "ORDER BY u.user_id"
            )
            .fetchall()
        )
        return render_template("sandbox/consent_etsy.html", users=users, params=v, scopes=scope.split())
    glue = "&" if "?" in redirect_uri else "?"
    if v.get("decision") != "approve":
        query = {
            "error": "access_denied",
            "error_description": "The user denied the request.",
            "state": v["state"],
        }
        return redirect(redirect_uri + glue + urlencode(query))
    code = issue_code(int(v.get("user", "0")), v["client_id"], redirect_uri, v["code_challenge"], scope)
    return redirect(redirect_uri + glue + urlencode({"code": code, "state": v["state"]}))


def issue_tokens(conn: Any, user_id: int, scope: str) -> dict[str, Any]:
    sb = sandbox()
    ttl = int(sb.faults.snapshot()["token_ttl_seconds"] or sb.settings["SANDBOX_ETSY_ACCESS_TTL"])
    now = int(clock.now())
    access, refresh = f"{user_id}.{secrets.token_urlsafe(40)}", f"{user_id}.{secrets.token_urlsafe(40)}"
    conn.execute(
        "INSERT INTO etsy_token VALUES (?,?,?,?,?,?,0,0)",
        (access, refresh, user_id, scope, now + ttl, now + sb.settings["SANDBOX_ETSY_REFRESH_TTL"]),
    )
    return {"access_token": access, "token_type": "Bearer", "expires_in": ttl, "refresh_token": refresh}


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@bp.post("/v3/public/oauth/token")
def token() -> Response:
    form = request.form
    grant = form.get("grant_type")
    if form.get("client_id") != sandbox().settings["SANDBOX_ETSY_KEYSTRING"]:
        return _oauth_error("invalid_client", "client_id is not a valid keystring", 401)
    with sandbox().store.write() as conn:
        if grant == "authorization_code":
            row = conn.execute("SELECT * FROM etsy_code WHERE code=?", (form.get("code", ""),)).fetchone()
            if row is None or row["expires_at"] < clock.now():
                return _oauth_error("invalid_grant", "code is invalid or expired")
            if row["used"]:
                return _oauth_error("invalid_grant", "code has been used previously")
            if row["client_id"] != form["client_id"]:
                return _oauth_error("invalid_grant", "code was issued to another client")
            if row["redirect_uri"] != form.get("redirect_uri"):
                return _oauth_error("invalid_grant", "redirect_uri does not match the authorization request")
            verifier = form.get("code_verifier", "")
            if not VERIFIER.match(verifier) or not hmac.compare_digest(
                _challenge(verifier), row["code_challenge"]
            ):
                return _oauth_error("invalid_grant", "code_verifier does not match the code_challenge")
            conn.execute("UPDATE etsy_code SET used=1 WHERE code=?", (row["code"],))
            return jsonify(issue_tokens(conn, row["user_id"], row["scope"]))
        if grant == "refresh_token":
            row = conn.execute(
                "SELECT * FROM etsy_token WHERE refresh_token=?", (form.get("refresh_token", ""),)
            ).fetchone()
            if row is None:
                return _oauth_error("invalid_grant", "refresh_token is invalid")
            if row["revoked"]:
                return _oauth_error("invalid_grant", "refresh_token is revoked")
            if row["refresh_expires_at"] < clock.now():
                return _oauth_error("invalid_grant", "refresh_token is expired")
            conn.execute("UPDATE etsy_token SET revoked=1 WHERE refresh_token=?", (row["refresh_token"],))
            return jsonify(issue_tokens(conn, row["user_id"], row["scope"]))
    return _oauth_error("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
