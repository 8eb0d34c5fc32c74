"""The /_sandbox control API (JSON) and the HTML state page. Faults never apply here."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request

from . import apps, clock
from . import webhooks as wh
from .core import sandbox
from .lifecycle import advance, advance_one

bp = Blueprint("control", __name__, url_prefix="/_sandbox")


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


@bp.route("/clock", methods=["GET", "POST"])
def clock_control():
    """``POST {"advance": seconds}`` moves the marketplace's clock forward; both answer its time."""
    sb = sandbox()
    if request.method == "POST":
        try:
            sb.clock.advance(float(_body().get("advance", 0)))
        except (TypeError, ValueError) as exc:
            return jsonify({"error": str(exc)}), 400
    return jsonify({"now": sb.clock.now(), "offset": sb.clock.offset})


def state_data() -> dict[str, Any]:
    sb = sandbox()
    conn = sb.store.conn()
    shops = [
        dict(r)
        for r in conn.execute(
            "SELECT s.id, s.name, s.region, s.cipher, s.currency, s.seller_type, t.name AS seller, t.open_id "
            "FROM tt_shop s JOIN tt_seller t ON t.id=s.seller_id ORDER BY t.id, s.id"
        )
    ]
    for shop in shops:
        shop["counts"] = counts(shop["id"])
    now = int(clock.now())
    tokens = [
        dict(r) | {"expired": r["access_expires_at"] <= now}
        for r in conn.execute(
            "SELECT k.access_token, k.seller_id, k.access_expires_at, k.calls, t.name FROM tt_token k "
            "JOIN tt_seller t ON t.id=k.seller_id ORDER BY k.created_at DESC LIMIT 20"
        )
    ]
    etsy_tokens = [
        dict(r) | {"expired": r["expires_at"] <= now}
        for r in conn.execute(
            "SELECT access_token, user_id, expires_at, calls, revoked FROM etsy_token "
            "ORDER BY rowid DESC LIMIT 20"
        )
    ]
    users = [
        dict(r)
        for r in conn.execute(
            "SELECT u.user_id, u.login_name, s.shop_id, s.shop_name, s.currency_code FROM etsy_user u "
            "JOIN etsy_shop s ON s.shop_id=u.shop_id ORDER BY u.user_id"
        )
    ]
    return {
        "apps": [
            {
                "group": a.group,
                "app_key": a.app_key,
                "service_id": a.service_id,
                "redirect_url": a.redirect_url,
            }
            for a in apps.apps(sb.settings).values()
        ],
        "seed": int(sb.store.meta("seed", "0")),
        "returns": int(sb.store.meta("returns", "0")),
        "shops": shops,
        "etsy_users": users,
        "tiktok_tokens": tokens,
        "etsy_tokens": etsy_tokens,
        "faults": sb.faults.active(),
        "webhook_url": sb.webhook_url,
        "webhooks": deliveries(20),
        "calls": list(sb.calls)[:30],
    }


def counts(shop_id: str | None = None) -> dict[str, int]:
    sql = (
        "SELECT status, COUNT(*) FROM request"  # noqa: S608 - fixed SQL, only the parameter varies
        + (" WHERE shop_id=?" if shop_id else "")
        + " GROUP BY status"
    )
    return dict(sandbox().store.conn().execute(sql, (shop_id,) if shop_id else ()).fetchall())


def deliveries(limit: int = 100) -> list[dict[str, Any]]:
    rows = (
        sandbox().store.conn().execute("SELECT * FROM webhook ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
    )
    return [dict(r) | {"body": json.loads(r["body"])} for r in rows]


@bp.get("/")
def page() -> str:
    from .control_page import FORM_TOKEN

    done = (request.args.get("done") or "")[:300]
    return render_template("sandbox/state.html", state=state_data(), token=FORM_TOKEN, done=done)


@bp.get("/state")
def state() -> Response:
    return jsonify(state_data())


@bp.get("/counts")
def counts_view() -> Response:
    return jsonify(counts(request.args.get("shop_id")))


@bp.route("/faults", methods=["POST", "DELETE"])
def faults() -> Response:
    sb = sandbox()
    if request.method == "DELETE":
        sb.faults.clear()
        return jsonify({"faults": sb.faults.snapshot()})
    body = _body()
    try:
        config = sb.faults.set(body)
    except ValueError as exc:
        return jsonify({"error": str(exc)}), 400
    if body.get("expire_tokens_now"):
        now = int(clock.now()) - 1
        with sb.store.write() as conn:
            conn.execute("UPDATE tt_token SET access_expires_at=? WHERE access_expires_at>?", (now, now))
            conn.execute("UPDATE etsy_token SET expires_at=? WHERE expires_at>?", (now, now))
    return jsonify({"faults": config})


@bp.post("/advance")
def advance_view() -> Response:
    body = _body()
    if body.get("request_id"):
        changed = advance_one(sandbox(), str(body["request_id"]))
        if changed is None:
            return jsonify({"error": "no such request, or it is in a final status"}), 404
        return jsonify({"changed": [changed]})
    changed = advance(sandbox(), int(body.get("count", 1)), body.get("shop_id"))
    return jsonify({"changed": changed})


@bp.post("/requests/<request_id>/deadline")
def move_deadline(request_id: str) -> Response:
    """``{"deadline": unix}`` or ``{"in_seconds": n}`` (from the sandbox's clock): TikTok moves the
    deadline of a request that waits on the seller; its ``update_time`` moves too, so an incremental
    sync sees it. ``"webhook": true`` also sends its status-change webhook (the status is unchanged)."""
    body = _body()
    sb = sandbox()
    try:
        if "deadline" in body:
            deadline = int(body["deadline"])
        else:
            deadline = int(clock.now()) + int(body.get("in_seconds", 0))
    except (TypeError, ValueError):
        return jsonify({"error": "deadline or in_seconds must be integers"}), 400
    if not request_id.isdigit():
        abort(404)
    with sb.store.write() as conn:
        row = conn.execute("SELECT * FROM request WHERE id=?", (int(request_id),)).fetchone()
        if row is None:
            abort(404)
        if not row["next_action"]:
            return jsonify({"error": "the request is not waiting on the seller"}), 409
        now = max(int(clock.now()), row["update_time"] + 1)
        conn.execute("UPDATE request SET deadline=?, update_time=? WHERE id=?", (deadline, now, row["id"]))
        row = conn.execute("SELECT * FROM request WHERE id=?", (row["id"],)).fetchone()
        if body.get("webhook"):
            wh.queue_status_change(conn, row)
    return jsonify({"id": str(row["id"]), "deadline": row["deadline"], "update_time": row["update_time"]})


@bp.post("/reset")
def reset() -> Response:
    body = _body()
    sb = sandbox()
    sb.reset(
        int(body.get("seed", sb.settings["SANDBOX_SEED"])),
        int(body.get("returns", sb.settings["SANDBOX_RETURNS"])),
        body.get("anchor"),
    )
    return jsonify({"seed": int(sb.store.meta("seed")), "returns": int(sb.store.meta("returns"))})


@bp.get("/requests")
def requests_dump() -> Response:
    """All requests (both kinds) ordered by id, 1000 a page; pass the last id as ``after``."""
    where, params = ["id > ?"], [int(request.args.get("after", "0") or 0)]
    if request.args.get("shop_id"):
        where.append("shop_id = ?")
        params.append(request.args["shop_id"])
    limit = min(int(request.args.get("limit", 1000)), 5000)
    rows = (
        sandbox()
        .store.conn()
        .execute(
            f"SELECT * FROM request WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",  # noqa: S608
            [*params, limit],  # noqa: S608
        )
        .fetchall()
    )
    items = [
        {
            "id": str(r["id"]),
            "kind": r["kind"],
            "shop_id": r["shop_id"],
            "order_id": r["order_id"],
            "type": r["type"],
            "status": r["status"],
            "arbitration_status": r["arbitration_status"],
            "currency": r["currency"],
            "refund_total": r["refund_total"],
            "refund_subtotal": r["refund_subtotal"],
            "refund_shipping_fee": r["refund_shipping_fee"],
            "refund_tax": r["refund_tax"],
            "next_action": r["next_action"],
            "deadline": r["deadline"],
            "create_time": r["create_time"],
            "update_time": r["update_time"],
        }
        for r in rows
    ]
    after = items[-1]["id"] if len(items) == limit else ""
    return jsonify({"requests": items, "next_after": after})


@bp.post("/webhooks")
def webhook_config() -> Response:
    url = _body().get("url", "")
    sandbox().webhook_url = url
    return jsonify({"url": url})


@bp.get("/webhooks")
def webhook_log() -> Response:
    return jsonify(
        {"url": sandbox().webhook_url, "deliveries": deliveries(int(request.args.get("limit", 100)))}
    )


@bp.post("/webhooks/send")
def webhook_send() -> Response:
    body = _body()
    sb = sandbox()
    type_, shop_id = int(body.get("type", 0)), str(body.get("shop_id", ""))
    conn = sb.store.conn()
    shop = conn.execute("SELECT * FROM tt_shop WHERE id=?", (shop_id,)).fetchone()
    if shop is None:
        abort(404)
    with sb.store.write() as wconn:
        if type_ in (wh.RETURN_STATUS_CHANGE, wh.CANCELLATION_STATUS_CHANGE):
            target = body.get("return_id") or body.get("cancel_id")
            row = conn.execute(
                "SELECT * FROM request WHERE id=? AND shop_id=?", (int(target or 0), shop_id)
            ).fetchone()
            if row is None:
                abort(404)
            ident = wh.queue_status_change(wconn, row)
        elif type_ == wh.DEAUTHORIZATION:
            wconn.execute(
                "UPDATE tt_token SET revoked=1, refresh_revoked=1 WHERE seller_id=?", (shop["seller_id"],)
            )
            ident = wh.queue(wconn, type_, shop_id, {"message": "The seller deauthorized the app."})
        elif type_ == wh.AUTHORIZATION_EXPIRING:
            expires = int(clock.now()) + 30 * 86400
            ident = wh.queue(
                wconn,
                type_,
                shop_id,
                {"message": "Authorization expires in 30 days.", "expiration_time": expires},
            )
        else:
            return jsonify({"error": "type must be 6, 7, 11 or 12"}), 400
    return jsonify({"id": ident})


@bp.get("/images/<sku>.svg")
def image(sku: str) -> Response:
    label = "".join(c for c in sku if c.isalnum() or c == "-")[:16]
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300"><rect width="300" height="300" '
        f'fill="#e8e2d6"/><text x="150" y="155" font-size="28" text-anchor="middle">{label}</text></svg>'
    )
    return Response(svg, mimetype="image/svg+xml")


# The authorization helpers and the state page's forms register their routes on ``bp``.
from . import control_auth, control_page  # noqa: E402,F401
