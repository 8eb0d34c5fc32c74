"""Turn Etsy JSON objects into the typed data of ``types``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..errors import MalformedResponse
from ..types import open_enum, to_decimal, to_id, to_int, to_optional_int
from .types import (
    LISTING_STATES,
    RECEIPT_STATUSES,
    EtsyTokenSet,
    Inventory,
    Listing,
    Receipt,
    Refund,
    Transaction,
)

MARKETPLACE = "Etsy"


def money(value: Any) -> tuple[Decimal | None, str]:
    """``{amount, divisor, currency_code}`` → (Decimal, currency)."""
    if not isinstance(value, Mapping):
        return to_decimal(value), ""
    amount = to_decimal(value.get("amount"))
    divisor = to_decimal(value.get("divisor")) or Decimal(1)
    return (None if amount is None else amount / divisor), str(value.get("currency_code") or "")


def token_set(payload: Mapping[str, Any], now: float | None = None) -> EtsyTokenSet:
    access = payload.get("access_token")
    if not isinstance(access, str) or not access:
        raise MalformedResponse("the token answer has no access token", marketplace=MARKETPLACE)
    expires_in = to_int(payload.get("expires_in"), 3600)
    return EtsyTokenSet(
        access_token=access,
        refresh_token=str(payload.get("refresh_token") or ""),
        expires_at=int(now if now is not None else time.time()) + expires_in,
        user_id=access.split(".", 1)[0] if "." in access else "",
    )


def listing(data: Mapping[str, Any]) -> Listing:
    price, currency = money(data.get("price"))
    return Listing(
        listing_id=to_id(data.get("listing_id")),
        title=str(data.get("title") or ""),
        state=open_enum("listing state", data.get("state"), LISTING_STATES),
        url=str(data.get("url") or ""),
        skus=tuple(str(s) for s in data.get("skus") or ()),
        quantity=to_optional_int(data.get("quantity")),
        price=price,
        currency=currency,
    )


def inventory(listing_id: str, data: Mapping[str, Any]) -> Inventory:
    products = data.get("products")
    if not isinstance(products, list):
        raise MalformedResponse("the inventory has no product list", marketplace=MARKETPLACE)
    return Inventory(
        listing_id=str(listing_id),
        products=[dict(p) for p in products],
        price_on_property=tuple(data.get("price_on_property") or ()),
        quantity_on_property=tuple(data.get("quantity_on_property") or ()),
        sku_on_property=tuple(data.get("sku_on_property") or ()),
        readiness_state_on_property=tuple(data.get("readiness_state_on_property") or ()),
    )


def _transaction(data: Mapping[str, Any]) -> Transaction:
    price, currency = money(data.get("price"))
    return Transaction(
        transaction_id=to_id(data.get("transaction_id")),
        listing_id=to_id(data.get("listing_id")),
        product_id=to_id(data.get("product_id")),
        sku=str(data.get("sku") or ""),
        quantity=to_int(data.get("quantity")),
        price=price,
        currency=currency,
    )


def _refund(data: Mapping[str, Any]) -> Refund:
    amount, currency = money(data.get("amount"))
    return Refund(
        amount=amount,
        currency=currency,
        created=to_int(data.get("created_timestamp", data.get("create_timestamp"))),
        reason=str(data.get("reason") or ""),
        note_from_issuer=str(data.get("note_from_issuer") or ""),
        status=str(data.get("status") or ""),
    )


def receipt(data: Mapping[str, Any]) -> Receipt:
    return Receipt(
        receipt_id=to_id(data.get("receipt_id")),
        status=open_enum("receipt status", data.get("status"), RECEIPT_STATUSES),
        created=to_int(data.get("created_timestamp", data.get("create_timestamp"))),
        updated=to_int(data.get("updated_timestamp", data.get("update_timestamp"))),
        transactions=tuple(_transaction(t) for t in data.get("transactions") or ()),
        refunds=tuple(_refund(r) for r in data.get("refunds") or ()),
        raw=dict(data),
    )
