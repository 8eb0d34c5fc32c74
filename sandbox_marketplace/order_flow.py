"""Order status flow, type-1 and FBT webhooks, and the "place an order" controls under ``/_sandbox``.

Flow (reference §2.4): UNPAID → ON_HOLD (only on shops whose apps all use 202309) → AWAITING_SHIPMENT →
AWAITING_COLLECTION → IN_TRANSIT → DELIVERED → COMPLETED; CANCELLED from UNPAID, ON_HOLD,
AWAITING_SHIPMENT (and AWAITING_COLLECTION in the US only). Every change sends webhook type 1, which
spells the cancelled status ``CANCEL``. FBT stock changes send type 24 carrying ``seller_open_id`` and
no ``shop_id``.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from typing import Any

from flask import Response, abort, jsonify, request

from . import clock
from .control import bp
from .core import sandbox
from .tiktok.orders import FBT, SELLER

ORDER_STATUS_CHANGE, FBT_INVENTORY_UPDATE = 1, 24
HANDLING_SECONDS, SHIPPING_DUE_SECONDS = 2 * 86400, 5 * 86400
NEXT = {
    "UNPAID": ("ON_HOLD", "AWAITING_SHIPMENT", "CANCELLED"),
    "ON_HOLD": ("AWAITING_SHIPMENT", "CANCELLED"),
    "AWAITING_SHIPMENT": ("PARTIALLY_SHIPPING", "AWAITING_COLLECTION", "CANCELLED"),
    "PARTIALLY_SHIPPING": ("AWAITING_COLLECTION", "CANCELLED"),
    "AWAITING_COLLECTION": ("IN_TRANSIT", "CANCELLED"),
    "IN_TRANSIT": ("DELIVERED",),
    "DELIVERED": ("COMPLETED",),
}
WEBHOOK_SPELLING = {"CANCELLED": "CANCEL"}


def _queue(
    conn: sqlite3.Connection, type_: int, shop_id: str, data: dict[str, Any], open_id: str = ""
) -> int:
    sb = sandbox()
    if not sb.settings["SANDBOX_WEBHOOKS_ENABLED"] or not sb.webhook_url:
        return 0
    notification_id = str(7_300_000_000_000_000_000 + secrets.randbelow(10**17))
    payload: dict[str, Any] = {"type": type_, "tts_notification_id": notification_id}
    payload.update({"seller_open_id": open_id} if open_id else {"shop_id": shop_id})
    payload.update({"timestamp": int(clock.now()), "data": data})
    cursor = conn.execute(
        "INSERT INTO webhook (url, type, shop_id, notification_id, body, next_at, state, created_at) "
        "VALUES (?,?,?,?,?,?, 'pending', ?)",
        (sb.webhook_url, type_, shop_id, notification_id, json.dumps(payload), time.time(), time.time()),
    )
    if sb.dispatcher is not None:
        sb.dispatcher.wake()
    return int(cursor.lastrowid)


def allowed(row: sqlite3.Row, status: str, region: str, on_hold: bool) -> bool:
    if status not in NEXT.get(row["status"], ()):
        return False
    if status == "ON_HOLD" and not on_hold:
        return False
    if row["status"] == "UNPAID" and status == "AWAITING_SHIPMENT" and on_hold:
        return False  # shops with ON_HOLD pass through it
    return not (row["status"] == "AWAITING_COLLECTION" and status == "CANCELLED" and region != "US")


def move(conn: sqlite3.Connection, order_id: str, status: str) -> sqlite3.Row:
    """Change an order's status (409 when the flow does not allow it) and send webhook type 1."""
    row = conn.execute("SELECT * FROM tt_order WHERE id=?", (order_id,)).fetchone()
    if row is None:
        abort(404)
    shop = conn.execute(
        "SELECT s.region, o.on_hold FROM tt_shop s JOIN tt_order_shop o ON o.shop_id=s.id WHERE s.id=?",
        (row["shop_id"],),
    ).fetchone()
    if not allowed(row, status, shop["region"], bool(shop["on_hold"])):
        abort(409, f"{row['status']} cannot become {status} on this shop")
    now = int(clock.now())
    values: dict[str, Any] = {"status": status, "update_time": max(now, row["update_time"] + 1)}
    if row["status"] == "UNPAID" and status != "CANCELLED":
        values.update(paid_time=now, shipping_due_time=now + SHIPPING_DUE_SECONDS)
        if row["fulfillment_type"] == SELLER:
            values["rts_sla_time"] = now + HANDLING_SECONDS
    if status == "CANCELLED":
        values["cancel_time"] = now
    if status == "AWAITING_COLLECTION" and not row["tracking_number"]:
        values.update(tracking_number=f"TT{secrets.randbelow(10**12):012d}", provider="USPS")
    sets = ", ".join(f"{key}=?" for key in values)
    conn.execute(f"UPDATE tt_order SET {sets} WHERE id=?", [*values.values(), order_id])  # noqa: S608
    data = {
        "order_id": order_id,
        "order_status": WEBHOOK_SPELLING.get(status, status),
        "is_on_hold_order": status == "ON_HOLD",
        "update_time": values["update_time"],
    }
    _queue(conn, ORDER_STATUS_CHANGE, row["shop_id"], data)
    return conn.execute("SELECT * FROM tt_order WHERE id=?", (order_id,)).fetchone()


def set_fbt_stock(
    conn: sqlite3.Connection, shop_id: str, sku_id: str, warehouse_id: str, available: int
) -> None:
    conn.execute(
        "UPDATE fbt_stock SET available=?, total=?+reserved WHERE shop_id=? AND sku_id=? AND warehouse_id=?",
        (available, available, shop_id, sku_id, warehouse_id),
    )
    row = conn.execute(
        "SELECT * FROM fbt_stock WHERE shop_id=? AND sku_id=? AND warehouse_id=?",
        (shop_id, sku_id, warehouse_id),
    ).fetchone()
    open_id = conn.execute(
        "SELECT t.open_id FROM tt_seller t JOIN tt_shop s ON s.seller_id=t.id WHERE s.id=?", (shop_id,)
    ).fetchone()[0]
    hand = {
        "total_quantity": row["total"],
        "reserved_quantity": row["reserved"],
        "available_quantity": available,
    }
    data = {
        "goods_id": "G" + sku_id[-10:],
        "sku_id": sku_id,
        "fbt_warehouse_inventory": [{"fbt_warehouse_id": warehouse_id, "on_hand_detail": hand}],
        "update_time": int(clock.now()),
    }
    _queue(conn, FBT_INVENTORY_UPDATE, shop_id, data, open_id=open_id)


def _json() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else request.form.to_dict()


@bp.post("/orders")
def place_order() -> Response:
    """Place an order on TikTok: ``shop_id``, ``seller_sku``, ``units`` (one line item each), ``fbt``,
    ``pay`` (default true: the order is paid at once and moves to ON_HOLD or AWAITING_SHIPMENT)."""
    body = _json()
    sb = sandbox()
    sku = sb.sku(str(body.get("seller_sku", "")))
    try:
        units = int(body.get("units", 1))
    except (TypeError, ValueError):
        units = 0
    if not sku or not 1 <= units <= 20:
        abort(400, "seller_sku must be a catalog SKU and units 1–20")
    conn = sb.store.conn()
    shop = conn.execute("SELECT * FROM tt_shop WHERE id=?", (str(body.get("shop_id", "")),)).fetchone()
    if shop is None or shop["etsy_shop_id"] != sku["etsy_shop_id"]:
        abort(404)
    fbt = str(body.get("fbt", "")).lower() in ("1", "true", "on")
    pay = str(body.get("pay", "true")).lower() not in ("0", "false", "off")
    return jsonify(_place(shop, sku["seller_sku"], units, fbt, pay))


def _place(shop: sqlite3.Row, seller_sku: str, units: int, fbt: bool, pay: bool) -> dict[str, Any]:
    """Insert an UNPAID order of ``units`` line items (webhook type 1), then pay it if asked."""
    sb = sandbox()
    sku = sb.sku(seller_sku)
    from .seed_catalog import minor_price

    price = minor_price(sku["price"], shop["currency"])
    order_id = str(578_000_000_000_000_000 + secrets.randbelow(10**15))
    lines = [[int(order_id) + n + 1, sku["seller_sku"], price] for n in range(units)]
    now = int(clock.now())
    recipient = {
        "name": "Jamie Buyer",
        "phone_number": "(+1)5550100123",
        "full_address": "1 Main St, Springfield",
        "postal_code": "12345",
        "region_code": shop["region"],
        "region": shop["region"],
    }
    with sb.store.write() as wconn:
        wconn.execute(
            "INSERT INTO tt_order (id, shop_id, status, fulfillment_type, create_time, update_time, "
            "currency, "
            "line_items, shipping, tax, recipient, user_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                order_id,
                shop["id"],
                "UNPAID",
                FBT if fbt else SELLER,
                now,
                now,
                shop["currency"],
                json.dumps(lines),
                "0",
                "0",
                json.dumps(recipient),
                str(7_000_000_000 + secrets.randbelow(10**9)),
            ),
        )
        _queue(
            wconn,
            ORDER_STATUS_CHANGE,
            shop["id"],
            {"order_id": order_id, "order_status": "UNPAID", "is_on_hold_order": False, "update_time": now},
        )
        status = "UNPAID"
        if pay:
            on_hold = wconn.execute(
                "SELECT on_hold FROM tt_order_shop WHERE shop_id=?", (shop["id"],)
            ).fetchone()
            status = move(wconn, order_id, "ON_HOLD" if on_hold and on_hold[0] else "AWAITING_SHIPMENT")[
                "status"
            ]
    return {"order_id": order_id, "status": status}


@bp.post("/orders/<order_id>/status")
def order_status(order_id: str) -> Response:
    status = str(_json().get("status", ""))
    with sandbox().store.write() as conn:
        row = move(conn, order_id, status)
    return jsonify({"order_id": order_id, "status": row["status"], "update_time": row["update_time"]})


@bp.post("/fbt/stock")
def fbt_stock_control() -> Response:
    body = _json()
    try:
        available = int(body.get("available", -1))
    except (TypeError, ValueError):
        available = -1
    if available < 0:
        abort(400, "available must be ≥ 0")
    shop_id, sku_id = str(body.get("shop_id", "")), str(body.get("sku_id", ""))
    with sandbox().store.write() as conn:
        row = conn.execute(
            "SELECT warehouse_id FROM fbt_stock WHERE shop_id=? AND sku_id=?", (shop_id, sku_id)
        ).fetchone()
        if row is None:
            abort(404)
        set_fbt_stock(conn, shop_id, sku_id, row[0], available)
    return jsonify({"sku_id": sku_id, "available": available})


@bp.get("/orders")
def orders_dump() -> Response:
    shop_id, status = request.args.get("shop_id", ""), request.args.get("status", "")
    rows = (
        sandbox()
        .store.conn()
        .execute(
            "SELECT id, shop_id, status, fulfillment_type, line_items FROM tt_order "
            "WHERE (shop_id=? OR ?='') AND (status=? OR ?='') ORDER BY update_time DESC LIMIT 500",
            (shop_id, shop_id, status, status),
        )
    )
    return jsonify([dict(r) | {"line_items": json.loads(r["line_items"])} for r in rows])


@bp.post("/ui/order")
def ui_place_order():  # noqa: ANN201 - a redirect back to the state page
    """The state page's "Place an order on TikTok" form: a paid order of one SKU, to watch Etsy drop."""
    from .control_page import _back, _checked

    form = _checked()
    sb = sandbox()
    shop = sb.store.conn().execute("SELECT * FROM tt_shop WHERE id=?", (form.get("shop_id", ""),)).fetchone()
    if shop is None:
        abort(404)
    row = (
        sb.store.conn()
        .execute(
            "SELECT seller_sku FROM sku WHERE etsy_shop_id=? AND seller_sku=?",
            (shop["etsy_shop_id"], form.get("seller_sku", "").strip()),
        )
        .fetchone()
    )
    if row is None:
        return _back(f"{form.get('seller_sku', '')!r} is not a SKU of {shop['name']}.")
    placed = _place(shop, row[0], max(1, min(20, int(form.get("units") or 1))), form.get("fbt") == "on", True)
    return _back(f"Order {placed['order_id']} placed on {shop['name']}: {placed['status']}.")


@bp.get("/etsy/stock")
def etsy_stock() -> Response:
    """The Etsy side of a seller SKU as the sandbox holds it: listing, state, the SKU's quantity."""
    sku = sandbox().sku(request.args.get("seller_sku", ""))
    if not sku:
        abort(404)
    row = (
        sandbox()
        .store.conn()
        .execute("SELECT state, inventory FROM etsy_listing WHERE listing_id=?", (sku["listing_id"],))
        .fetchone()
    )
    products = json.loads(row["inventory"])["products"]
    quantity = sum(
        o["quantity"]
        for p in products
        if p["sku"] == sku["seller_sku"]
        for o in p["offerings"]
        if o["is_enabled"]
    )
    return jsonify({"listing_id": sku["listing_id"], "state": row["state"], "quantity": quantity})
