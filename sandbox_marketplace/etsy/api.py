"""Etsy /v3/application endpoints with x-api-key, Bearer tokens, scopes and rate-limit headers."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from flask import Response, g, jsonify, request

from .. import clock
from ..core import sandbox
from . import bp


class EtsyError(Exception):
    def __init__(self, status: int, error: str, description: str | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.description = status, error, description


@bp.errorhandler(EtsyError)
def _etsy_error(exc: EtsyError) -> Response:
    body = {"error": exc.error} | ({"error_description": exc.description} if exc.description else {})
    response = jsonify(body)
    response.status_code = exc.status
    return response


@bp.before_request
def _api_key_and_limits() -> Response | None:
    if not request.path.startswith("/v3/application/"):
        return None
    sb = sandbox()
    settings = sb.settings
    keystring, _, secret = request.headers.get("x-api-key", "").partition(":")
    if keystring != settings["SANDBOX_ETSY_KEYSTRING"]:
        raise EtsyError(403, "Invalid API key: should be a valid keystring:shared_secret pair.")
    if not secret:
        raise EtsyError(403, "Shared secret is required in x-api-key header.")
    if secret != settings["SANDBOX_ETSY_SHARED_SECRET"]:
        raise EtsyError(403, "Invalid shared secret in x-api-key header.")
    qps, qpd = int(settings["SANDBOX_ETSY_QPS"]), int(settings["SANDBOX_ETSY_QPD"])
    now = time.time()
    while sb.etsy_day and now - sb.etsy_day[0] > 86400:
        sb.etsy_day.popleft()
    if sb.rate_limited(("etsy", keystring), qps) or len(sb.etsy_day) >= qpd:
        response = jsonify({"error": f"You have exceeded your quota of: {qps} requests per second."})
        response.status_code = 429
        response.headers["retry-after"] = "1"
        g.etsy_limits = (qps, 0, qpd, max(0, qpd - len(sb.etsy_day)))
        return response
    sb.etsy_day.append(now)
    g.etsy_limits = (qps, sb.remaining_this_second(("etsy", keystring), qps), qpd, qpd - len(sb.etsy_day))
    return None


@bp.after_request
def _limit_headers(response: Response) -> Response:
    response.headers["X-Etsy-Request-Uuid"] = str(uuid.uuid4())
    limits = g.get("etsy_limits")
    if limits:
        for name, value in zip(
            ("x-limit-per-second", "x-remaining-this-second", "x-limit-per-day", "x-remaining-today"),
            limits,
            strict=True,
        ):
            response.headers[name] = str(value)
    return response


def _user(scope: str) -> int:
    """The user behind the Bearer token, after checking expiry and ``scope``."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise EtsyError(401, "invalid_token", "access token is required")
    token = header[len("Bearer ") :]
    sb = sandbox()
    limit = sb.faults.snapshot()["expire_token_after_calls"]
    now = int(clock.now())
    with sb.store.write() as conn:
        row = conn.execute("SELECT * FROM etsy_token WHERE access_token=?", (token,)).fetchone()
        if row is None:
            raise EtsyError(401, "invalid_token", "access token is not valid")
        expires, calls = row["expires_at"], row["calls"] + 1
        if limit is not None and calls > int(limit) and expires > now:
            expires = now - 1
        conn.execute(
            "UPDATE etsy_token SET calls=?, expires_at=? WHERE access_token=?", (calls, expires, token)
        )
    if expires <= now:
        raise EtsyError(401, "invalid_token", "access token is expired")
    if scope not in row["scope"].split():
        raise EtsyError(403, "insufficient_scope", f"the {scope} scope is required")
    return int(row["user_id"])


def _own_shop(shop_id: int, user_id: int) -> Any:
    shop = sandbox().store.conn().execute("SELECT * FROM etsy_shop WHERE shop_id=?", (shop_id,)).fetchone()
    if shop is None:
        raise EtsyError(404, f"Shop with shop_id {shop_id} not found.")
    if shop["user_id"] != user_id:
        raise EtsyError(403, "The shop does not belong to the authenticated user.")
    return shop


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        raise EtsyError(400, f"Expected int for {name}.") from None
    if not low <= value <= high:
        raise EtsyError(400, f"{name} must be between {low} and {high}.")
    return value


@bp.get("/v3/application/openapi-ping")
def ping() -> Response:
    return jsonify({"application_id": 1_000_001})


@bp.get("/v3/application/users/me")
def me() -> Response:
    user_id = _user("shops_r")
    row = (
        sandbox().store.conn().execute("SELECT shop_id FROM etsy_user WHERE user_id=?", (user_id,)).fetchone()
    )
    return jsonify({"user_id": user_id, "shop_id": row["shop_id"]})


@bp.get("/v3/application/shops/<int:shop_id>")
def get_shop(shop_id: int) -> Response:
    shop = sandbox().store.conn().execute("SELECT * FROM etsy_shop WHERE shop_id=?", (shop_id,)).fetchone()
    if shop is None:
        raise EtsyError(404, f"Shop with shop_id {shop_id} not found.")
    return jsonify(
        {
            "shop_id": shop["shop_id"],
            "user_id": shop["user_id"],
            "shop_name": shop["shop_name"],
            "currency_code": shop["currency_code"],
            "url": f"https://www.etsy.com/shop/{shop['shop_name']}",
            "create_date": shop["created_timestamp"],
            "created_timestamp": shop["created_timestamp"],
            "is_vacation": False,
            "listing_active_count": 5,
        }
    )


def _listing(row: Any) -> dict[str, Any]:
    price = round(float(row["price"]) * 100)
    return {
        "listing_id": row["listing_id"],
        "shop_id": row["shop_id"],
        "title": row["title"],
        "state": row["state"],
        "quantity": row["quantity"],
        "has_variations": True,
        "price": {"amount": price, "divisor": 100, "currency_code": row["currency_code"]},
        "skus": [p["sku"] for p in json.loads(row["inventory"])["products"]],
        "created_timestamp": row["created_timestamp"],
        "updated_timestamp": row["updated_timestamp"],
    }


@bp.get("/v3/application/shops/<int:shop_id>/listings")
def listings(shop_id: int) -> Response:
    _own_shop(shop_id, _user("listings_r"))
    limit, offset = _int_arg("limit", 25, 1, 100), _int_arg("offset", 0, 0, 10**9)
    state = request.args.get("state", "active")
    conn = sandbox().store.conn()
    count = conn.execute(
        "SELECT COUNT(*) FROM etsy_listing WHERE shop_id=? AND state=?", (shop_id, state)
    ).fetchone()[0]
    order = "l.updated_timestamp DESC, l.listing_id DESC" if _sorted_by_update() else "l.listing_id"
    rows = conn.execute(
        "SELECT l.*, s.currency_code FROM etsy_listing l JOIN etsy_shop s ON s.shop_id=l.shop_id "  # noqa: S608
        f"WHERE l.shop_id=? AND l.state=? ORDER BY {order} LIMIT ? OFFSET ?",
        (shop_id, state, limit, offset),
    ).fetchall()
    return jsonify({"count": count, "results": [_with_includes(_listing(r), r) for r in rows]})


def _sorted_by_update() -> bool:
    return request.args.get("sort_on") == "updated" and request.args.get("sort_order", "desc") in (
        "desc",
        "descending",
        "down",
    )


def _with_includes(listing: dict[str, Any], row: Any) -> dict[str, Any]:
    """``includes=Inventory`` adds the listing's inventory (how variations are returned)."""
    includes = {part.strip() for part in request.args.get("includes", "").split(",")}
    listing["description"] = f"{row['title']}, handmade in our studio."
    listing["last_modified_timestamp"] = row["updated_timestamp"]
    if "Inventory" in includes:
        listing["inventory"] = json.loads(row["inventory"])
    return listing


@bp.get("/v3/application/listings/<int:listing_id>")
def get_listing(listing_id: int) -> Response:
    _user("listings_r")
    row = (
        sandbox()
        .store.conn()
        .execute(
            "SELECT l.*, s.currency_code FROM etsy_listing l JOIN etsy_shop s ON s.shop_id=l.shop_id "
            "WHERE l.listing_id=?",
            (listing_id,),
        )
        .fetchone()
    )
    if row is None:
        raise EtsyError(404, f"Listing with listing_id {listing_id} not found.")
    return jsonify(_with_includes(_listing(row), row))
