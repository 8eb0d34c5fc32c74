"""Turn TikTok Shop JSON objects into the typed data of ``types``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Literal

from ..types import Money, open_enum, to_decimal, to_id, to_int, to_optional_int
from .types import (
    ARBITRATION_STATUSES,
    CANCEL_STATUSES,
    CANCEL_TYPES,
    NEXT_ACTIONS,
    RETURN_STATUSES,
    RETURN_TYPES,
    ROLES,
    SELLER_TYPES,
    AftersaleRequest,
    LineItem,
    NextAction,
    RefundAmount,
    RejectReason,
    ReturnRecord,
    ReturnShippingFee,
    Shop,
    TokenSet,
)

# ``*_expire_in`` are absolute unix timestamps; smaller values are durations (some proxies send those).
_TIMESTAMP_FLOOR = 1_000_000_000


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _expiry(value: Any, now: float | None = None) -> int:
    seconds = to_int(value)
    if seconds < _TIMESTAMP_FLOOR:
        return int(now if now is not None else time.time()) + seconds
    return seconds


def token_set(data: Mapping[str, Any], now: float | None = None) -> TokenSet:
    return TokenSet(
        access_token=_str(data.get("access_token")),
        access_token_expires_at=_expiry(data.get("access_token_expire_in"), now),
        refresh_token=_str(data.get("refresh_token")),
        refresh_token_expires_at=_expiry(data.get("refresh_token_expire_in"), now),
        open_id=_str(data.get("open_id")),
        seller_name=_str(data.get("seller_name")),
        seller_base_region=_str(data.get("seller_base_region")),
        granted_scopes=tuple(_str(s) for s in data.get("granted_scopes") or ()),
    )


def shop(data: Mapping[str, Any]) -> Shop:
    return Shop(
        id=to_id(data.get("id")),
        name=_str(data.get("name")),
        region=_str(data.get("region")),
        seller_type=open_enum("seller_type", data.get("seller_type"), SELLER_TYPES),
        cipher=_str(data.get("cipher")),
        code=_str(data.get("code")),
    )


def refund_amount(data: Mapping[str, Any] | None) -> RefundAmount | None:
    if not data:
        return None
    return RefundAmount(
        currency=_str(data.get("currency")),
        total=to_decimal(data.get("refund_total")),
        subtotal=to_decimal(data.get("refund_subtotal")),
        shipping_fee=to_decimal(data.get("refund_shipping_fee")),
        tax=to_decimal(data.get("refund_tax")),
    )


def _line_item(data: Mapping[str, Any], id_key: str) -> LineItem:
    refund = data.get("refund_amount") or {}
    image = data.get("product_image") or {}
    return LineItem(
        line_item_id=to_id(data.get(id_key)),
        order_line_item_id=to_id(data.get("order_line_item_id")),
        sku_id=to_id(data.get("sku_id")),
        seller_sku=_str(data.get("seller_sku")),
        sku_name=_str(data.get("sku_name")),
        product_name=_str(data.get("product_name")),
        image_url=_str(image.get("url") if isinstance(image, Mapping) else image),
        refund_total=to_decimal(refund.get("refund_total")),
        currency=_str(refund.get("currency")),
    )


def _next_actions(items: Any) -> tuple[NextAction, ...]:
    return tuple(
        NextAction(
            action=open_enum("seller_next_action", item.get("action"), NEXT_ACTIONS),
            deadline=to_optional_int(item.get("deadline")),
        )
        for item in items or ()
    )


def _shipping_fees(data: Mapping[str, Any]) -> tuple[ReturnShippingFee, ...]:
    """``shipping_fee_amount`` is an array of objects (one older page names it
    ``return_shipping_fee_amount``; a lone object is read as a one-item array)."""
    fees = data.get("shipping_fee_amount") or data.get("return_shipping_fee_amount") or ()
    if isinstance(fees, Mapping):
        fees = (fees,)
    if not isinstance(fees, list | tuple):
        return ()
    return tuple(
        ReturnShippingFee(
            currency=_str(fee.get("currency")),
            seller_paid=to_decimal(fee.get("seller_paid_return_shipping_fee")),
            platform_paid=to_decimal(fee.get("platform_paid_return_shipping_fee")),
            buyer_paid=to_decimal(fee.get("buyer_paid_return_shipping_fee")),
        )
        for fee in fees
        if isinstance(fee, Mapping)
    )


def _partial_refund(data: Any) -> Money | None:
    if not isinstance(data, Mapping):
        return None
    amount = to_decimal(data.get("amount"))
    return None if amount is None else Money(currency=_str(data.get("currency")), amount=amount)


def aftersale_request(data: Mapping[str, Any], kind: Literal["return", "cancellation"]) -> AftersaleRequest:
    """One return order or cancellation, in the same shape."""
    if kind == "return":
        prefix, types, statuses, items_key = "return", RETURN_TYPES, RETURN_STATUSES, "return_line_items"
        id_key, line_id_key = "return_id", "return_line_item_id"
    else:
        prefix, types, statuses, items_key = "cancel", CANCEL_TYPES, CANCEL_STATUSES, "cancel_line_items"
        id_key, line_id_key = "cancel_id", "cancel_line_item_id"
    keep = data.get("can_buyer_keep_item")
    return AftersaleRequest(
        request_id=to_id(data.get(id_key)),
        kind=kind,
        order_id=to_id(data.get("order_id")),
        request_type=open_enum(f"{prefix}_type", data.get(f"{prefix}_type"), types),
        status=open_enum(f"{prefix}_status", data.get(f"{prefix}_status"), statuses),
        arbitration_status=open_enum(
            "arbitration_status", data.get("arbitration_status"), ARBITRATION_STATUSES
        ),
        role=open_enum("role", data.get("role"), ROLES),
        reason=_str(data.get(f"{prefix}_reason")),
        reason_text=_str(data.get(f"{prefix}_reason_text")),
        create_time=to_int(data.get("create_time")),
        update_time=to_int(data.get("update_time")),
        shipment_type=_str(data.get("shipment_type")),
        tracking_number=_str(data.get("return_tracking_number")),
        provider_name=_str(data.get("return_provider_name")),
        next_actions=_next_actions(data.get("seller_next_action_response")),
        line_items=tuple(_line_item(item, line_id_key) for item in data.get(items_key) or ()),
        refund=refund_amount(data.get("refund_amount")),
        can_buyer_keep_item=keep if isinstance(keep, bool) else None,
        raw=dict(data),
        partial_refund=_partial_refund(data.get("partial_refund")),
        shipping_fees=_shipping_fees(data),
    )


def return_record(data: Mapping[str, Any]) -> ReturnRecord:
    images = data.get("images") or ()
    return ReturnRecord(
        event=_str(data.get("event")),
        role=open_enum("role", data.get("role"), ROLES),
        description=_str(data.get("description")),
        reason_text=_str(data.get("reason_text")),
        note=_str(data.get("note")),
        images=tuple(_str(i.get("url") if isinstance(i, Mapping) else i) for i in images),
        create_time=to_int(data.get("create_time")),
    )


def reject_reason(data: Mapping[str, Any]) -> RejectReason:
    return RejectReason(name=_str(data.get("name")), text=_str(data.get("text")))
