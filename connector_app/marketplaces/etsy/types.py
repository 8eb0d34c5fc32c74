"""Plain typed data returned by the Etsy client (money as Decimal, ids as str)."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from ..types import Page

RECEIPT_STATUSES = frozenset(
    {"paid", "completed", "open", "payment processing", "canceled", "fully refunded", "partially refunded"}
)
LISTING_STATES = frozenset({"active", "inactive", "sold_out", "draft", "expired"})
_PROPERTY_VALUE_KEYS = ("property_id", "value_ids", "scale_id", "property_name", "values")


@dataclass(frozen=True)
class EtsyTokenSet:
    access_token: str
    refresh_token: str
    expires_at: int
    user_id: str


@dataclass(frozen=True)
class EtsyMe:
    user_id: str
    shop_id: str


@dataclass(frozen=True)
class EtsyShop:
    shop_id: str
    shop_name: str
    currency_code: str
    url: str


@dataclass(frozen=True)
class Listing:
    listing_id: str
    title: str
    state: str
    url: str
    skus: tuple[str, ...]
    quantity: int | None
    price: Decimal | None
    currency: str


def _put_price(price: Any) -> float | None:
    """Inventory GET gives Money objects ``{amount, divisor}``; the PUT wants a plain number."""
    if isinstance(price, dict):
        amount, divisor = price.get("amount"), price.get("divisor") or 1
        if amount is None:
            return None
        return float(Decimal(str(amount)) / Decimal(str(divisor)))
    return None if price is None else float(Decimal(str(price)))


@dataclass(frozen=True)
class Inventory:
    listing_id: str
    products: list[dict[str, Any]]
    price_on_property: tuple[int, ...] = ()
    quantity_on_property: tuple[int, ...] = ()
    sku_on_property: tuple[int, ...] = ()
    # Processing profiles (since 2025-09): the property ids the profile varies by, sent back unchanged.
    readiness_state_on_property: tuple[int, ...] = ()

    @property
    def skus(self) -> tuple[str, ...]:
        return tuple(str(p.get("sku") or "") for p in self.products)

    def quantity_of(self, sku: str) -> int | None:
        for product in self.products:
            if product.get("sku") == sku:
                return sum(int(o.get("quantity") or 0) for o in product.get("offerings") or ())
        return None

    def with_quantity_added(self, sku: str, quantity: int) -> Inventory | None:
        """A copy with ``quantity`` added to the first enabled offering of ``sku``; ``None`` if absent."""
        products = copy.deepcopy(self.products)
        for product in products:
            if product.get("sku") != sku:
                continue
            offerings = product.get("offerings") or []
            if not offerings:
                return None
            target = next((o for o in offerings if o.get("is_enabled", True)), offerings[0])
            target["quantity"] = int(target.get("quantity") or 0) + quantity
            return replace(self, products=products)
        return None

    def to_put_body(self) -> dict[str, Any]:
        """The updateListingInventory body: read-only ids dropped, prices as numbers."""
        products = []
        for product in self.products:
            if product.get("is_deleted"):
                continue
            products.append(
                {
                    "sku": product.get("sku") or "",
                    "property_values": [
                        {k: pv[k] for k in _PROPERTY_VALUE_KEYS if k in pv}
                        for pv in product.get("property_values") or ()
                    ],
                    "offerings": [
                        {
                            "price": _put_price(o.get("price")),
                            "quantity": int(o.get("quantity") or 0),
                            "is_enabled": bool(o.get("is_enabled", True)),
                            # Required key, nullable value: the offering's processing profile.
                            "readiness_state_id": o.get("readiness_state_id"),
                        }
                        for o in product.get("offerings") or ()
                        if not o.get("is_deleted")
                    ],
                }
            )
        return {
            "products": products,
            "price_on_property": list(self.price_on_property),
            "quantity_on_property": list(self.quantity_on_property),
            "sku_on_property": list(self.sku_on_property),
            "readiness_state_on_property": list(self.readiness_state_on_property),
        }


@dataclass(frozen=True)
class Transaction:
    transaction_id: str
    listing_id: str
    product_id: str
    sku: str
    quantity: int
    price: Decimal | None
    currency: str


@dataclass(frozen=True)
class Refund:
    amount: Decimal | None
    currency: str
    created: int
    reason: str
    note_from_issuer: str
    status: str


@dataclass(frozen=True)
class Receipt:
    receipt_id: str
    status: str
    created: int
    updated: int
    transactions: tuple[Transaction, ...] = ()
    refunds: tuple[Refund, ...] = ()
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class RateLimitState:
    limit_per_second: int | None = None
    remaining_this_second: int | None = None
    limit_per_day: int | None = None
    remaining_today: int | None = None
    observed_at: float | None = field(default=None, compare=False)


__all__ = [
    "EtsyMe",
    "EtsyShop",
    "EtsyTokenSet",
    "Inventory",
    "Listing",
    "Page",
    "RateLimitState",
    "Receipt",
    "Refund",
    "Transaction",
]
