"""Order API and FBT inventory emulation (reference ``tiktok-products-orders-fbt.md`` §2, §4).

Never kinder than TikTok: ``page_size`` 1–100 is required, at most 50 ids per detail call, an id of
another shop is error 21008111, one ``order_status`` string per search (the webhook's ``CANCEL`` is not
an API status), no ``fulfillment_type`` filter, ≤ 100 ``sku_ids`` per FBT search, one line item per
unit, no address in UNPAID / ON_HOLD and masked names and phones on FBT and cancelled orders.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from typing import Any

from flask import Response, request

from ..core import sandbox
from . import bp
from . import envelope as e
from .guard import authenticate

SCHEMA = """
CREATE TABLE IF NOT EXISTS tt_order (id TEXT PRIMARY KEY, shop_id TEXT NOT NULL, status TEXT NOT NULL,
    fulfillment_type TEXT NOT NULL, create_time INTEGER NOT NULL, update_time INTEGER NOT NULL,
    paid_time INTEGER, rts_sla_time INTEGER, shipping_due_time INTEGER, cancel_time INTEGER,
    currency TEXT NOT NULL, line_items TEXT NOT NULL, shipping TEXT NOT NULL, tax TEXT NOT NULL,
    recipient TEXT NOT NULL, tracking_number TEXT NOT NULL DEFAULT '', provider TEXT NOT NULL DEFAULT '',
    buyer_cancel INTEGER NOT NULL DEFAULT 0, user_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_order_update ON tt_order (shop_id, update_time, id);
CREATE INDEX IF NOT EXISTS ix_order_create ON tt_order (shop_id, create_time, id);
CREATE TABLE IF NOT EXISTS tt_order_shop (shop_id TEXT PRIMARY KEY, on_hold INTEGER NOT NULL,
    fbt INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS fbt_stock (shop_id TEXT NOT NULL, sku_id TEXT NOT NULL, seller_sku TEXT NOT NULL,
    warehouse_id TEXT NOT NULL, total INTEGER NOT NULL, available INTEGER NOT NULL,
    reserved INTEGER NOT NULL, PRIMARY KEY (shop_id, sku_id, warehouse_id));
CREATE TABLE IF NOT EXISTS tt_package (id TEXT PRIMARY KEY, order_id TEXT NOT NULL,
    tracking_number TEXT NOT NULL, provider_id TEXT NOT NULL, provider TEXT NOT NULL DEFAULT '',
    shipped_at INTEGER NOT NULL, fixes INTEGER NOT NULL, line_ids TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS ix_package_order ON tt_package (order_id);
"""
STATUSES = (
    "UNPAID",
    "ON_HOLD",
    "AWAITING_SHIPMENT",
    "PARTIALLY_SHIPPING",
    "AWAITING_COLLECTION",
    "IN_TRANSIT",
    "DELIVERED",
    "COMPLETED",
    "CANCELLED",
)
FBT = "FULFILLMENT_BY_TIKTOK"
SELLER = "FULFILLMENT_BY_SELLER"
ORDER_NOT_IN_SHOP = 21008111
PAGE_MAX, DETAIL_MAX, FBT_IDS_MAX = 100, 50, 100
NO_ADDRESS = frozenset({"UNPAID", "ON_HOLD"})
_TIME_FILTERS = {
    "create_time_ge": ("create_time", ">="),
    "create_time_lt": ("create_time", "<"),
    "update_time_ge": ("update_time", ">="),
    "update_time_lt": ("update_time", "<"),
}


def ensure_schema(conn: sqlite3.Connection) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def money(minor: int, currency: str) -> str:
    from ..seed_requests import format_minor

    return format_minor(minor, currency)


def _mask(value: str, keep: int = 1) -> str:
    return " ".join(word[:keep] + "*" * 3 for word in value.split()) if value else ""


def _recipient(row: sqlite3.Row) -> dict[str, Any] | None:
    if row["status"] in NO_ADDRESS:
        return None
    full = json.loads(row["recipient"])
    if row["fulfillment_type"] == FBT or row["status"] == "CANCELLED":
        return {
            "name": _mask(full.get("name", "")),
            "phone_number": full.get("phone_number", "")[:5] + "******" + full.get("phone_number", "")[-2:],
            "full_address": full.get("region", ""),
            "region_code": full.get("region_code", ""),
        }
    return {key: full[key] for key in ("name", "phone_number", "full_address", "postal_code", "region_code")}


# US and UK local sellers get no package id before the package ships (the reference, §3 line items);
# elsewhere an order's package exists from the start and Ship Package names it.
PACKAGE_AFTER_SHIPPING = {"US", "GB"}
SHIPPED_STATUSES = ("AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED")


def packages_of(conn: sqlite3.Connection, order_ids: list[str]) -> dict[str, dict[str, sqlite3.Row]]:
    """{order id: {line id: the package it shipped in}} — a split shipment ships some lines only."""
    found: dict[str, dict[str, sqlite3.Row]] = {}
    if not order_ids:
        return found
    marks = ",".join("?" * len(order_ids))
    for package in conn.execute(f"SELECT * FROM tt_package WHERE order_id IN ({marks})", order_ids):  # noqa: S608
        for line_id in json.loads(package["line_ids"]):
            found.setdefault(package["order_id"], {})[str(line_id)] = package
    return found


def serialize(
    row: sqlite3.Row, region: str = "US", packages: dict[str, sqlite3.Row] | None = None
) -> dict[str, Any]:
    sb = sandbox()
    packages = packages or {}
    currency = row["currency"]
    lines = []
    subtotal = 0
    for line_id, seller_sku, price in json.loads(row["line_items"]):
        sku = sb.sku(seller_sku)
        subtotal += price
        package = packages.get(str(line_id))
        shipped = package is not None or row["status"] in SHIPPED_STATUSES
        if package is not None:
            package_id, tracking, provider = package["id"], package["tracking_number"], package["provider"]
        else:
            package_id = str(int(row["id"]) + 7) if shipped or region not in PACKAGE_AFTER_SHIPPING else ""
            # A line still to ship of a split shipment has no tracking yet; the order's own is its parcels'.
            tracking, provider = ("", "") if packages else (row["tracking_number"], row["provider"])
        lines.append(
            {
                "id": str(line_id),
                "sku_id": sku.get("sku_id", ""),
                "seller_sku": seller_sku,
                "product_id": str(sku.get("product_id", "")),
                "product_name": sku.get("product_name", ""),
                "sku_name": sku.get("sku_name", ""),
                "sku_image": f"{request.host_url}_sandbox/images/{seller_sku}.svg",
                "sale_price": money(price, currency),
                "original_price": money(price, currency),
                "currency": currency,
                "display_status": row["status"],
                "package_id": package_id,
                "tracking_number": tracking,
                "shipping_provider_name": provider,
            }
        )
    shipping, tax = int(row["shipping"]), int(row["tax"])
    data: dict[str, Any] = {
        "id": row["id"],
        "status": row["status"],
        "fulfillment_type": row["fulfillment_type"],
        "shipping_type": "TIKTOK" if row["fulfillment_type"] == FBT else "SELLER",
        "user_id": row["user_id"],
        "buyer_email": f"v{row['user_id'][-8:]}@scs.tiktokw.us",
        "create_time": row["create_time"],
        "update_time": row["update_time"],
        "is_on_hold_order": row["status"] == "ON_HOLD",
        "is_buyer_request_cancel": bool(row["buyer_cancel"]),
        "tracking_number": row["tracking_number"],
        "shipping_provider": row["provider"],
        "delivery_option_id": "7091146663229654786"
        if row["fulfillment_type"] == FBT
        else "7091146663229654785",
        "payment": {
            "currency": currency,
            "original_total_product_price": money(subtotal, currency),
            "seller_discount": money(0, currency),
            "platform_discount": money(0, currency),
            "sub_total": money(subtotal, currency),
            "shipping_fee": money(shipping, currency),
            "tax": money(tax, currency),
            "total_amount": money(subtotal + shipping + tax, currency),
        },
        "line_items": lines,
    }
    for key in ("paid_time", "rts_sla_time", "shipping_due_time", "cancel_time"):
        if row[key] is not None and (key != "rts_sla_time" or row["fulfillment_type"] != FBT):
            data[key] = row[key]
    recipient = _recipient(row)
    if recipient is not None:
        data["recipient_address"] = recipient
    return data


def _body() -> dict[str, Any]:
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise e.TikTokError(e.INVALID_PARAMS, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise e.TikTokError(e.INVALID_PARAMS, "The request body must be a JSON object.")
    return body


def _page_size() -> int:
    try:
        size = int(request.args.get("page_size", ""))
    except ValueError:
        raise e.TikTokError(e.INVALID_PARAMS, "page_size is required and must be an integer.") from None
    if not 1 <= size <= PAGE_MAX:
        raise e.TikTokError(e.INVALID_PARAMS, f"page_size must be between 1 and {PAGE_MAX}.")
    return size


def _token(value: dict[str, Any] | None, raw: str | None = None) -> Any:
    if value is not None:
        return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()
    try:
        return json.loads(base64.urlsafe_b64decode((raw or "").encode()))
    except (ValueError, json.JSONDecodeError):
        raise e.TikTokError(e.INVALID_PARAMS, "page_token is invalid.") from None


@bp.post("/order/202309/orders/search")
def search_orders() -> Response:
    caller = authenticate()
    size = _page_size()
    field, order = request.args.get("sort_field", "create_time"), request.args.get("sort_order", "DESC")
    if field not in ("create_time", "update_time") or order not in ("ASC", "DESC"):
        raise e.TikTokError(e.INVALID_PARAMS, "sort_field or sort_order is invalid.")
    body = _body()
    where, params = ["shop_id = ?"], [caller.shop_id]
    if "order_status" in body:
        if body["order_status"] not in STATUSES:
            raise e.TikTokError(e.INVALID_PARAMS, "order_status is not a valid order status.")
        where.append("status = ?")
        params.append(body["order_status"])
    if "shipping_type" in body:
        if body["shipping_type"] not in ("TIKTOK", "SELLER"):
            raise e.TikTokError(e.INVALID_PARAMS, "shipping_type must be TIKTOK or SELLER.")
        where.append("fulfillment_type " + ("= ?" if body["shipping_type"] == "TIKTOK" else "!= ?"))
        params.append(FBT)
    for key, (column, op) in _TIME_FILTERS.items():
        if key in body:
            if not isinstance(body[key], int) or isinstance(body[key], bool):
                raise e.TikTokError(e.INVALID_PARAMS, f"{key} must be a unix timestamp in seconds.")
            where.append(f"{column} {op} ?")
            params.append(body[key])
    conn = sandbox().store.conn()
    total = conn.execute(f"SELECT COUNT(*) FROM tt_order WHERE {' AND '.join(where)}", params).fetchone()[0]  # noqa: S608
    if request.args.get("page_token"):
        cursor = _token(None, request.args["page_token"])
        if not isinstance(cursor, dict) or cursor.get("f") != field or cursor.get("o") != order:
            raise e.TikTokError(e.INVALID_PARAMS, "page_token does not match this sort.")
        where.append(f"({field}, id) {'>' if order == 'ASC' else '<'} (?, ?)")
        params.extend([cursor["v"], cursor["i"]])
    rows = conn.execute(
        f"SELECT * FROM tt_order WHERE {' AND '.join(where)} ORDER BY {field} {order}, id {order} LIMIT ?",  # noqa: S608
        [*params, size + 1],
    ).fetchall()
    token = ""
    if len(rows) > size:
        rows = rows[:size]
        token = _token({"f": field, "o": order, "v": rows[-1][field], "i": rows[-1]["id"]})
    shipped = packages_of(conn, [r["id"] for r in rows])
    return e.ok(
        {
            "orders": [serialize(r, caller.region, shipped.get(r["id"])) for r in rows],
            "next_page_token": token,
            "total_count": total,
        }
    )


@bp.get("/order/202507/orders")
def order_detail() -> Response:
    caller = authenticate()
    ids = [i for i in request.args.get("ids", "").split(",") if i]
    if not ids:
        raise e.TikTokError(e.INVALID_PARAMS, "ids is required.")
    if len(ids) > DETAIL_MAX:
        raise e.TikTokError(e.INVALID_PARAMS, f"ids: at most {DETAIL_MAX} order ids per call.")
    conn = sandbox().store.conn()
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT * FROM tt_order WHERE id IN ({marks})", ids).fetchall()  # noqa: S608
    found = {r["id"]: r for r in rows if r["shop_id"] == caller.shop_id}
    missing = [i for i in ids if i not in found]
    if missing:
        raise e.TikTokError(ORDER_NOT_IN_SHOP, f"Order {missing[0]} does not belong to this shop.")
    shipped = packages_of(conn, list(found))
    return e.ok({"orders": [serialize(found[i], caller.region, shipped.get(i)) for i in dict.fromkeys(ids)]})


@bp.post("/fbt/202408/inventory/search")
def fbt_inventory() -> Response:
    caller = authenticate()
    size = _page_size()
    body = _body()
    sku_ids = body.get("sku_ids")
    conn = sandbox().store.conn()
    where, params = ["shop_id = ?"], [caller.shop_id]
    if sku_ids is not None:
        if not isinstance(sku_ids, list) or len(sku_ids) > FBT_IDS_MAX:
            raise e.TikTokError(e.INVALID_PARAMS, f"sku_ids: at most {FBT_IDS_MAX} ids.")
        where.append(f"sku_id IN ({','.join('?' * len(sku_ids))})" if sku_ids else "0")
        params.extend(str(s) for s in sku_ids)
    else:
        where.append("total > 0")  # with no filter TikTok lists only goods with stock
    offset = int(_token(None, request.args["page_token"])) if request.args.get("page_token") else 0
    sql = (
        f"SELECT * FROM fbt_stock WHERE {' AND '.join(where)} ORDER BY sku_id, warehouse_id LIMIT ? OFFSET ?"  # noqa: S608
    )
    rows = conn.execute(sql, [*params, size + 1, offset]).fetchall()
    token = _token(offset + size) if len(rows) > size else ""
    items = []
    for r in rows[:size]:
        hand = {
            "total_quantity": r["total"],
            "available_quantity": r["available"],
            "reserved_quantity": r["reserved"],
        }
        goods = {"id": "G" + r["sku_id"][-10:], "reference_code": r["seller_sku"], "name": r["seller_sku"]}
        goods["skus"] = [{"id": r["sku_id"], "on_hand_detail": hand}]
        items.append({"goods": goods, "fbt_warehouse_id": r["warehouse_id"], "on_hand_detail": hand})
    return e.ok({"inventory": items, "next_page_token": token, "total_count": len(items)})
