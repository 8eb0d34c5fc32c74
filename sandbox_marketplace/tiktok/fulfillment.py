"""Fulfilment emulation for seller-shipped orders (reference §3), never kinder than TikTok.

Providers of the order's delivery option (an FBT option has none: 21008117); Mark Package As Shipped
only for US/UK/EU/JP shops and Ship Package only elsewhere (21008106); an FBT order cannot ship
(21008025), nor an order on hold (21011044), cancelled (21011041) or with a pending buyer cancellation
(21008044); shipping again answers "already shipped" (21008099); a tracking number already used is
21011025; a tracking correction works once within 72 h (21011049 after the window, 21011050 twice).
"""

from __future__ import annotations

import json

from flask import Response

from .. import clock
from ..core import sandbox
from ..domain import PROVIDERS as CARRIER_NAMES
from . import bp
from . import envelope as e
from .guard import authenticate
from .orders import FBT, _body
from .orders import ensure_schema as orders_schema

FIRST_PROVIDER_ID = 6617675021119438849


def _provider_ids() -> dict[str, list[tuple[str, str]]]:
    """Each market's carriers (the names the demo data uses, ``domain.PROVIDERS``) with stable ids."""
    table, next_id = {}, FIRST_PROVIDER_ID
    for region, names in CARRIER_NAMES.items():
        table[region] = [(str(next_id + n), name) for n, name in enumerate(names)]
        next_id += len(names)
    return table


PROVIDERS = _provider_ids()
DEFAULT_PROVIDERS = [(str(FIRST_PROVIDER_ID + 1000), "DHL")]  # a market the demo data has no carriers for
PROVIDER_NAMES = dict(p for providers in [*PROVIDERS.values(), DEFAULT_PROVIDERS] for p in providers)
FBT_OPTION = "7091146663229654786"
MARK_SHIPPED = {"US", "GB", "ES", "IE", "IT", "DE", "FR", "JP"}
FIX_WINDOW = 72 * 3600


def _providers(region: str) -> list[tuple[str, str]]:
    return PROVIDERS.get(region, DEFAULT_PROVIDERS)


@bp.get("/logistics/202309/delivery_options/<option_id>/shipping_providers")
def shipping_providers(option_id: str) -> Response:
    caller = authenticate()
    if option_id == FBT_OPTION:
        raise e.TikTokError(21008117, "The delivery option is fulfilled by TikTok: no shipping providers.")
    return e.ok({"shipping_providers": [{"id": i, "name": n} for i, n in _providers(caller.region)]})


def _order(conn, order_id: str, shop_id: str):
    row = conn.execute("SELECT * FROM tt_order WHERE id=?", (order_id,)).fetchone()
    if row is None or row["shop_id"] != shop_id:
        raise e.TikTokError(21008111, f"Order {order_id} does not belong to this shop.")
    return row


def _check_shippable(conn, row, tracking: str, provider: str, region: str) -> None:
    if row["fulfillment_type"] == FBT:
        raise e.TikTokError(21008025, "The order is fulfilled by the platform.")
    if row["status"] == "ON_HOLD":
        raise e.TikTokError(21011044, "The order is on hold and cannot be fulfilled yet.")
    if row["status"] == "CANCELLED":
        raise e.TikTokError(21011041, "The order has been cancelled.")
    if row["status"] not in ("AWAITING_SHIPMENT", "PARTIALLY_SHIPPING"):
        raise e.TikTokError(21008099, "The package has already been shipped.")
    if row["buyer_cancel"]:
        raise e.TikTokError(21008044, "The buyer has a pending cancellation request.")
    if provider not in {i for i, _ in _providers(region)}:
        raise e.TikTokError(e.INVALID_PARAMS, "shipping_provider_id is not a provider of this order.")
    if not tracking:
        raise e.TikTokError(e.INVALID_PARAMS, "tracking_number is required.")
    used = conn.execute(
        "SELECT 1 FROM tt_order WHERE tracking_number=? AND id<>? "
        "UNION ALL SELECT 1 FROM tt_package WHERE tracking_number=?",
        (tracking, row["id"], tracking),
    ).fetchone()
    if used is not None:
        raise e.TikTokError(21011025, "The tracking number has already been used.")


def _unshipped(conn, row) -> list[str]:
    shipped = {
        str(line_id)
        for (ids,) in conn.execute("SELECT line_ids FROM tt_package WHERE order_id=?", (row["id"],))
        for line_id in json.loads(ids)
    }
    return [str(line[0]) for line in json.loads(row["line_items"]) if str(line[0]) not in shipped]


def _ship(conn, row, tracking: str, provider: str, line_ids: list[str]) -> str:
    """One package with ``line_ids``. The order moves to awaiting collection once every line shipped,
    to partially shipping before that (a split shipment)."""
    from ..order_flow import move

    count = conn.execute("SELECT COUNT(*) FROM tt_package WHERE order_id=?", (row["id"],)).fetchone()[0]
    package_id = str(int(row["id"]) + 7) + (f"{count:02d}" if count else "")
    name = PROVIDER_NAMES.get(provider, provider)
    conn.execute(
        "INSERT INTO tt_package (id, order_id, tracking_number, provider_id, provider, shipped_at, fixes, "
        "line_ids) VALUES (?,?,?,?,?,?,0,?)",
        (package_id, row["id"], tracking, provider, name, int(clock.now()), json.dumps(line_ids)),
    )
    conn.execute("UPDATE tt_order SET tracking_number=?, provider=? WHERE id=?", (tracking, name, row["id"]))
    if _unshipped(conn, row):
        if row["status"] != "PARTIALLY_SHIPPING":
            move(conn, row["id"], "PARTIALLY_SHIPPING")
    else:
        move(conn, row["id"], "AWAITING_COLLECTION")
    return package_id


def ensure_schema(conn) -> None:
    orders_schema(conn)  # tt_package lives with the orders (their line items name their package)


@bp.post("/fulfillment/202309/orders/<order_id>/packages")
def mark_package_shipped(order_id: str) -> Response:
    caller = authenticate()
    if caller.region not in MARK_SHIPPED:
        raise e.TikTokError(21008106, "This API is not available in the shop's region: use Ship Package.")
    body = _body()
    tracking, provider = str(body.get("tracking_number") or ""), str(body.get("shipping_provider_id") or "")
    with sandbox().store.write() as conn:
        ensure_schema(conn)
        row = _order(conn, order_id, caller.shop_id)
        _check_shippable(conn, row, tracking, provider, caller.region)
        lines = [str(line[0]) for line in json.loads(row["line_items"])]
        unshipped = _unshipped(conn, row)
        wanted = [str(i) for i in body.get("order_line_item_ids") or unshipped]
        if not set(wanted) <= set(lines):
            raise e.TikTokError(e.INVALID_PARAMS, "order_line_item_ids are not line items of this order.")
        if not set(wanted) <= set(unshipped):
            raise e.TikTokError(21008099, "The package has already been shipped.")
        package_id = _ship(conn, row, tracking, provider, wanted)
    return e.ok({"order_id": order_id, "order_line_item_ids": wanted, "package_id": package_id})


@bp.post("/fulfillment/202309/packages/<package_id>/ship")
def ship_package(package_id: str) -> Response:
    caller = authenticate()
    if caller.region in MARK_SHIPPED:
        raise e.TikTokError(
            21008106, "This API is not available in the shop's region: use Mark Package As Shipped."
        )
    shipment = _body().get("self_shipment") or {}
    tracking, provider = (
        str(shipment.get("tracking_number") or ""),
        str(shipment.get("shipping_provider_id") or ""),
    )
    with sandbox().store.write() as conn:
        ensure_schema(conn)
        row = conn.execute(
            "SELECT * FROM tt_order WHERE shop_id=? AND CAST(id AS INTEGER) + 7 = ?",
            (caller.shop_id, int(package_id or 0)),
        ).fetchone()
        if row is None:
            raise e.TikTokError(e.INVALID_PARAMS, f"Package {package_id} does not exist.", 404)
        _check_shippable(conn, row, tracking, provider, caller.region)
        _ship(conn, row, tracking, provider, _unshipped(conn, row))  # the whole package
    return e.ok({})


@bp.get("/fulfillment/202309/packages/<package_id>")
def get_package(package_id: str) -> Response:
    caller = authenticate()
    conn = sandbox().store.conn()
    ensure_schema(conn)
    row = conn.execute(
        "SELECT p.*, o.shop_id, o.line_items, o.status FROM tt_package p "
        "JOIN tt_order o ON o.id=p.order_id WHERE p.id=?",
        (package_id,),
    ).fetchone()
    if row is None or row["shop_id"] != caller.shop_id:
        raise e.TikTokError(e.INVALID_PARAMS, f"Package {package_id} does not exist.", 404)
    status = "CANCELLED" if row["status"] == "CANCELLED" else "PROCESSING"
    return e.ok(
        {
            "package_id": row["id"],
            "package_status": status,
            "tracking_number": row["tracking_number"],
            "shipping_provider_id": row["provider_id"],
            "order_line_item_ids": [str(i) for i in json.loads(row["line_ids"])],
            "orders": [{"id": row["order_id"]}],
        }
    )


@bp.post("/fulfillment/202309/packages/<package_id>/shipping_info/update")
def update_tracking(package_id: str) -> Response:
    caller = authenticate()
    body = _body()
    tracking, provider = str(body.get("tracking_number") or ""), str(body.get("shipping_provider_id") or "")
    with sandbox().store.write() as conn:
        ensure_schema(conn)
        row = conn.execute(
            "SELECT p.*, o.shop_id FROM tt_package p JOIN tt_order o ON o.id=p.order_id WHERE p.id=?",
            (package_id,),
        ).fetchone()
        if row is None or row["shop_id"] != caller.shop_id:
            raise e.TikTokError(e.INVALID_PARAMS, f"Package {package_id} does not exist.", 404)
        if row["fixes"] >= 1:
            raise e.TikTokError(21011050, "The shipping information can be updated only once.")
        if clock.now() - row["shipped_at"] > FIX_WINDOW:
            raise e.TikTokError(21011049, "The shipping information can no longer be updated.")
        if not tracking or provider not in {i for i, _ in _providers(caller.region)}:
            raise e.TikTokError(
                e.INVALID_PARAMS, "tracking_number and a provider of this order are required."
            )
        conn.execute(
            "UPDATE tt_package SET tracking_number=?, provider_id=?, fixes=fixes+1 WHERE id=?",
            (tracking, provider, package_id),
        )
        conn.execute("UPDATE tt_order SET tracking_number=? WHERE id=?", (tracking, row["order_id"]))
    return e.ok({})
