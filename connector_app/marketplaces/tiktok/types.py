"""Plain typed data returned by the TikTok Shop client (money as Decimal, ids as str).

Enum-like fields are kept as the raw string the API sent: unknown values never crash (see ``parsing``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from ..types import Money, Page

RETURN_TYPES = frozenset({"REFUND", "RETURN_AND_REFUND", "REPLACEMENT"})
CANCEL_TYPES = frozenset({"CANCEL", "BUYER_CANCEL"})
RETURN_STATUSES = frozenset(
    {
        "RETURN_OR_REFUND_REQUEST_PENDING",
        "REFUND_OR_RETURN_REQUEST_REJECT",
        "AWAITING_BUYER_SHIP",
        "BUYER_SHIPPED_ITEM",
        "REJECT_RECEIVE_PACKAGE",
        "RETURN_OR_REFUND_REQUEST_SUCCESS",
        "RETURN_OR_REFUND_REQUEST_CANCEL",
        "RETURN_OR_REFUND_REQUEST_COMPLETE",
        "REPLACEMENT_REQUEST_PENDING",
        "REPLACEMENT_REQUEST_REJECT",
        "REPLACEMENT_REQUEST_REFUND_SUCCESS",
        "REPLACEMENT_REQUEST_CANCEL",
        "REPLACEMENT_REQUEST_COMPLETE",
        "AWAITING_BUYER_RESPONSE",
    }
)
CANCEL_STATUSES = frozenset(
    {
        "CANCELLATION_REQUEST_PENDING",
        "CANCELLATION_REQUEST_SUCCESS",
        "CANCELLATION_REQUEST_CANCEL",
        "CANCELLATION_REQUEST_CANCELLED",
        "CANCELLATION_REQUEST_COMPLETE",
    }
)
ARBITRATION_STATUSES = frozenset({"IN_PROGRESS", "SUPPORT_BUYER", "SUPPORT_SELLER", "CLOSED"})
ROLES = frozenset({"BUYER", "SELLER", "OPERATOR", "SYSTEM"})
NEXT_ACTIONS = frozenset(
    {
        "SELLER_RESPOND_REFUND",
        "SELLER_RESPOND_RETURN",
        "SELLER_RESPOND_RECEIVE_PACKAGE",
        "SELLER_RESPOND_REPLACEMENT",
        "SELLER_RESPOND_CANCEL",
    }
)
SELLER_TYPES = frozenset({"CROSS_BORDER", "LOCAL"})


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    access_token_expires_at: int
    refresh_token: str
    refresh_token_expires_at: int
    open_id: str
    seller_name: str
    seller_base_region: str
    granted_scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shop:
    id: str
    name: str
    region: str
    seller_type: str
    cipher: str
    code: str


@dataclass(frozen=True)
class RefundAmount:
    currency: str
    total: Decimal | None
    subtotal: Decimal | None = None
    shipping_fee: Decimal | None = None
    tax: Decimal | None = None


@dataclass(frozen=True)
class NextAction:
    action: str
    deadline: int | None


@dataclass(frozen=True)
class LineItem:
    line_item_id: str
    order_line_item_id: str
    sku_id: str
    seller_sku: str
    sku_name: str
    product_name: str
    image_url: str
    refund_total: Decimal | None
    currency: str


@dataclass(frozen=True)
class ReturnShippingFee:
    """One entry of a return's ``shipping_fee_amount`` array; amounts are Decimal or None."""

    currency: str
    seller_paid: Decimal | None = None
    platform_paid: Decimal | None = None
    buyer_paid: Decimal | None = None


@dataclass(frozen=True)
class AftersaleRequest:
    """A return (``kind="return"``) or a cancellation (``kind="cancellation"``)."""

    request_id: str
    kind: Literal["return", "cancellation"]
    order_id: str
    request_type: str
    status: str
    arbitration_status: str
    role: str
    reason: str
    reason_text: str
    create_time: int
    update_time: int
    shipment_type: str = ""
    tracking_number: str = ""
    provider_name: str = ""
    next_actions: tuple[NextAction, ...] = ()
    line_items: tuple[LineItem, ...] = ()
    refund: RefundAmount | None = None
    can_buyer_keep_item: bool | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    partial_refund: Money | None = None
    # ``shipping_fee_amount``: who pays the return shipping (an array of objects).
    shipping_fees: tuple[ReturnShippingFee, ...] = field(default=(), compare=False)

    @property
    def deadline(self) -> int | None:
        """The earliest time the seller must answer by, if any."""
        deadlines = [a.deadline for a in self.next_actions if a.deadline]
        return min(deadlines) if deadlines else None


@dataclass(frozen=True)
class ReturnRecord:
    event: str
    role: str
    description: str
    reason_text: str
    note: str
    images: tuple[str, ...]
    create_time: int


@dataclass(frozen=True)
class RejectReason:
    name: str
    text: str


@dataclass(frozen=True)
class ActionResult:
    """Outcome of approve/reject: ``request_id`` is the return or cancellation acted on."""

    request_id: str
    raw: dict[str, Any] = field(default_factory=dict)
    api_request_id: str | None = None


__all__ = [
    "ActionResult",
    "AftersaleRequest",
    "LineItem",
    "Money",
    "NextAction",
    "Page",
    "RefundAmount",
    "RejectReason",
    "ReturnRecord",
    "Shop",
    "TokenSet",
]
