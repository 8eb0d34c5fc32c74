"""Listing inventory (GET / PUT) and receipts."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, jsonify, request

from .. import clock
from ..core import sandbox
from . import bp
from .api import EtsyError, _int_arg, _own_shop, _user


def _load_listing(listing_id: int, user_id: int) -> Any:
    row = (
        sandbox()
        .store.conn()
        .execute("SELECT * FROM etsy_listing WHERE listing_id=?", (listing_id,))
        .fetchone()
    )
    if row is None:
        raise EtsyError(404, f"Listing with listing_id {listing_id} not found.")
    _own_shop(row["shop_id"], user_id)
    return row


@bp.get("/v3/application/listings/<int:listing_id>/inventory")
def get_inventory(listing_id: int) -> Response:
    row = _load_listing(listing_id, _user("listings_r"))
    return jsonify(json.loads(row["inventory"]) | {"listing": {"listing_id": listing_id}})


def _readiness(offering: dict[str, Any], where: str, profiles: set[int]) -> int | None:
    """Every offering of a physical listing carries ``readiness_state_id`` (the key is required, the
    value may be null) since processing profiles arrived in September 2025."""
    if "readiness_state_id" not in offering:
        raise EtsyError(400, f"{where}.readiness_state_id is required (it may be null).")
    value = offering["readiness_state_id"]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value not in profiles:
        raise EtsyError(
            400, f"{where}.readiness_state_id {value!r} is not a processing profile of this shop."
        )
    return value


def _validated_products(body: Any, currency: str, profiles: set[int]) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("products"), list) or not body["products"]:
        raise EtsyError(400, "products must be a non-empty array.")
    products = []
    for index, product in enumerate(body["products"]):
        offerings = product.get("offerings") if isinstance(product, dict) else None
        if not isinstance(offerings, list) or not offerings:
            raise EtsyError(400, f"products[{index}].offerings must be a non-empty array.")
        clean = []
        for o_index, offering in enumerate(offerings):
            try:
                quantity, price = int(offering["quantity"]), offering["price"]
                amount = (
                    round(float(price["amount"]) / price["divisor"] * 100)
                    if isinstance(price, dict)
                    else round(float(price) * 100)
                )
            except (KeyError, TypeError, ValueError):
                raise EtsyError(400, f"products[{index}].offerings need price and quantity.") from None
            if quantity < 0 or quantity > 999 or amount <= 0:
                raise EtsyError(400, f"products[{index}]: quantity must be 0-999 and price positive.")
            readiness = _readiness(offering, f"products[{index}].offerings[{o_index}]", profiles)
            clean.append(
                {
                    "offering_id": offering.get("offering_id", 0),
                    "quantity": quantity,
                    "is_enabled": bool(offering.get("is_enabled", True)),
                    "is_deleted": False,
                    "price": {"amount": amount, "divisor": 100, "currency_code": currency},
                    "readiness_state_id": readiness,
                }
            )
        products.append(
            {
                "product_id": product.get("product_id", 0),
                "sku": str(product.get("sku", "")),
                "is_deleted": False,
                "offerings": clean,
                "property_values": product.get("property_values", []),
            }
        )
    return products


@bp.put("/v3/application/listings/<int:listing_id>/inventory")
def put_inventory(listing_id: int) -> Response:
    row = _load_listing(listing_id, _user("listings_w"))
    body = request.get_json(silent=True)
    shop = (
        sandbox()
        .store.conn()
        .execute(
            "SELECT currency_code, readiness_state_ids FROM etsy_shop WHERE shop_id=?", (row["shop_id"],)
        )
        .fetchone()
    )
    profiles = set(json.loads(shop["readiness_state_ids"]))
    inventory = {"products": _validated_products(body, shop["currency_code"], profiles)}
    # Left out, an "_on_property" list is reset to empty, as Etsy does: the seller's processing times
    # stop varying by variation.
    for key in (
        "price_on_property",
        "quantity_on_property",
        "sku_on_property",
        "readiness_state_on_property",
    ):
        inventory[key] = list(body.get(key, []))
    quantity = sum(o["quantity"] for p in inventory["products"] for o in p["offerings"] if o["is_enabled"])
    if quantity == 0:  # Etsy cannot zero a listing through the API (EOA#395, #560): deactivate it instead
        raise EtsyError(400, "One offering must have quantity greater than 0")
    with sandbox().store.write() as conn:
        conn.execute(
            "UPDATE etsy_listing SET inventory=?, quantity=?, updated_timestamp=? WHERE listing_id=?",
            (json.dumps(inventory), quantity, int(clock.now()), listing_id),
        )
    return jsonify(inventory | {"listing": {"listing_id": listing_id}})


RECEIPT_SORT = {"created": "created_timestamp", "updated": "updated_timestamp", "receipt_id": "receipt_id"}


@bp.get("/v3/application/shops/<int:shop_id>/receipts")
def receipts(shop_id: int) -> Response:
    _own_shop(shop_id, _user("transactions_r"))
    args = request.args
    limit, offset = _int_arg("limit", 25, 1, 100), _int_arg("offset", 0, 0, 10**9)
    where, params = ["shop_id=?"], [shop_id]
    for arg, column, op in (
        ("min_created", "created_timestamp", ">="),
        ("max_created", "created_timestamp", "<="),
        ("min_last_modified", "updated_timestamp", ">="),
        ("max_last_modified", "updated_timestamp", "<="),
    ):
        if arg in args:
            where.append(f"{column} {op} ?")
            params.append(int(args[arg]))
    sort = RECEIPT_SORT.get(args.get("sort_on", "created"), "created_timestamp")
    order = "ASC" if args.get("sort_order", "desc").lower() in ("asc", "ascending", "up") else "DESC"
    rows = (
        sandbox()
        .store.conn()
        .execute(
            f"SELECT body FROM etsy_receipt WHERE {' AND '.join(where)} ORDER BY {sort} {order}, receipt_id",  # noqa: S608
            params,
        )
        .fetchall()
    )
    results = [json.loads(r[0]) for r in rows]
    flags = {"was_paid": "is_paid", "was_shipped": "is_shipped"}
    for arg, field in flags.items():
        if arg in args:
            wanted = args[arg].lower() == "true"
            results = [r for r in results if r[field] == wanted]
    if "was_canceled" in args:
        results = [
            r for r in results if (r["status"] == "canceled") == (args["was_canceled"].lower() == "true")
        ]
    return jsonify({"count": len(results), "results": results[offset : offset + limit]})


@bp.get("/v3/application/shops/<int:shop_id>/receipts/<int:receipt_id>")
def receipt(shop_id: int, receipt_id: int) -> Response:
    _own_shop(shop_id, _user("transactions_r"))
    row = (
        sandbox()
        .store.conn()
        .execute("SELECT body FROM etsy_receipt WHERE shop_id=? AND receipt_id=?", (shop_id, receipt_id))
        .fetchone()
    )
    if row is None:
        raise EtsyError(404, f"Receipt with receipt_id {receipt_id} not found.")
    return jsonify(json.loads(row[0]))
