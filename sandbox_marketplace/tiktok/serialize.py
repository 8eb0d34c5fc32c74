"""Rows of the ``request`` table → TikTok JSON objects (returns and cancellations)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from flask import request

from .. import domain as d
from ..core import sandbox


def _money(row: sqlite3.Row) -> dict[str, str]:
    return {
        "currency": row["currency"],
        "refund_total": row["refund_total"],
        "refund_subtotal": row["refund_subtotal"],
        "refund_shipping_fee": row["refund_shipping_fee"],
        "refund_tax": row["refund_tax"],
    }


def _line_items(row: sqlite3.Row, prefix: str) -> list[dict[str, Any]]:
    from ..seed_requests import format_minor

    sb = sandbox()
    items = []
    for position, (order_line_item_id, seller_sku, price) in enumerate(json.loads(row["line_items"])):
        sku = sb.sku(seller_sku)
        items.append(
            {
                f"{prefix}_line_item_id": str(row["id"] * 10 + position + 1),
                "order_line_item_id": str(order_line_item_id),
                "sku_id": sku.get("sku_id", ""),
                "sku_name": sku.get("sku_name", ""),
                "product_name": sku.get("product_name", ""),
                "seller_sku": seller_sku,
                "product_image": {"url": f"{request.host_url}_sandbox/images/{seller_sku}.svg"},
                "refund_amount": {
                    "currency": row["currency"],
                    "refund_total": format_minor(price, row["currency"]),
                    "refund_subtotal": format_minor(price, row["currency"]),
                    "refund_shipping_fee": format_minor(0, row["currency"]),
                    "refund_tax": format_minor(0, row["currency"]),
                },
            }
        )
    return items


def next_actions(row: sqlite3.Row) -> list[dict[str, Any]]:
    if not row["next_action"]:
        return []
    return [{"action": row["next_action"], "deadline": row["deadline"]}]


def return_order(row: sqlite3.Row) -> dict[str, Any]:
    partial = json.loads(row["partial_refund"]) if row["partial_refund"] else None
    return {
        "return_id": str(row["id"]),
        "order_id": row["order_id"],
        "buyer_user_id": row["buyer_user_id"],
        "return_type": row["type"],
        "return_status": row["status"],
        "arbitration_status": row["arbitration_status"],
        "role": row["role"],
        "return_reason": row["reason"],
        "return_reason_text": row["reason_text"],
        "create_time": row["create_time"],
        "update_time": row["update_time"],
        "shipment_type": row["shipment_type"],
        "return_tracking_number": row["tracking_number"],
        "return_provider_name": row["provider_name"],
        "return_provider_id": "",
        "can_buyer_keep_item": bool(row["can_buyer_keep_item"]),
        "seller_next_action_response": next_actions(row),
        "refund_amount": _money(row),
        "shipping_fee_amount": _return_shipping(row),
        "partial_refund": partial,
        "return_line_items": _line_items(row, "return"),
    }


def _return_shipping(row: sqlite3.Row) -> list[dict[str, str]]:
    """Who pays the parcel back (an array of objects, reference §6): nobody when no item comes back,
    the buyer when they no longer need it, otherwise the seller."""
    from ..seed_requests import format_minor

    zero = format_minor(0, row["currency"])
    fee = row["refund_shipping_fee"] if row["type"] != "REFUND" else zero
    buyer_pays = row["reason"].endswith("no_longer_needed")
    return [
        {
            "currency": row["currency"],
            "seller_paid_return_shipping_fee": zero if buyer_pays else fee,
            "platform_paid_return_shipping_fee": zero,
            "buyer_paid_return_shipping_fee": fee if buyer_pays else zero,
        }
    ]


def cancellation(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "cancel_id": str(row["id"]),
        "order_id": row["order_id"],
        "buyer_user_id": row["buyer_user_id"],
        "cancel_type": row["type"],
        "cancel_status": row["status"],
        "role": row["role"],
        "cancel_reason": row["reason"],
        "cancel_reason_text": row["reason_text"],
        "create_time": row["create_time"],
        "update_time": row["update_time"],
        "seller_next_action_response": next_actions(row),
        "refund_amount": _money(row),
        "cancel_line_items": _line_items(row, "cancel"),
    }


def serialize(row: sqlite3.Row) -> dict[str, Any]:
    return return_order(row) if row["kind"] == d.RETURN else cancellation(row)
