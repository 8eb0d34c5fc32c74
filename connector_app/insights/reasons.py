"""Why things come back: TikTok's reason keys sorted into seller-fault and buyer-fault, and the other
classifications the insights page counts by.

**Reason mapping.** TikTok sends each request's reason as a key (``return_reason`` / ``cancel_reason``)
and a localized text. A key is *seller-fault* when the seller could have prevented the request (the item
arrived damaged, wrong, incomplete, not as described, of poor quality, lost or never delivered — the
seller ships and picks the carrier — or the seller cancelled: out of stock, pricing error); it is
*buyer-fault* when the buyer changed their mind (no longer needed, a better price elsewhere, a new
address, the delivery estimate shown at checkout was too long for them). TikTok's Shop Performance
Score counts only the non-buyer-fault share, so seller-fault is what a seller can act on. A key not in
this table is shown as *other* with TikTok's own text, never guessed from its wording; add it here once
its meaning is known. The keys are the ones TikTok Shop's 202309 Return & Refund API sends for returns,
refunds and cancellations, as the sandbox marketplace emulates them.
"""

from __future__ import annotations

from dataclasses import dataclass

SELLER_FAULT = "seller"
BUYER_FAULT = "buyer"
OTHER = "other"
FAULT_LABELS = {SELLER_FAULT: "Seller-fault", BUYER_FAULT: "Buyer-fault", OTHER: "Other"}


@dataclass(frozen=True)
class Reason:
    key: str
    fault: str
    label: str


REASONS: tuple[Reason, ...] = (
    # Returns and refunds after delivery.
    Reason("ecom_order_delivered_refund_and_return_reason_damaged", SELLER_FAULT, "Package or item damaged"),
    Reason("ecom_order_delivered_refund_and_return_reason_wrong_item", SELLER_FAULT, "Wrong item was sent"),
    Reason(
        "ecom_order_delivered_refund_and_return_reason_not_as_described",
        SELLER_FAULT,
        "Item doesn't match description",
    ),
    Reason(
        "ecom_order_delivered_refund_and_return_reason_missing_parts",
        SELLER_FAULT,
        "Missing parts or accessories",
    ),
    Reason("ecom_order_delivered_refund_and_return_reason_quality", SELLER_FAULT, "Poor quality"),
    Reason("ecom_order_delivered_refund_and_return_reason_no_longer_needed", BUYER_FAULT, "No longer needed"),
    # Refunds without a return: the parcel never arrived.
    Reason("ecom_order_shipped_refund_reason_package_lost", SELLER_FAULT, "Package lost in transit"),
    Reason("ecom_order_delivered_refund_reason_not_received", SELLER_FAULT, "Didn't receive the item"),
    # Cancellations before shipping, by the buyer ...
    Reason("ecom_order_to_ship_cancel_reason_change_address", BUYER_FAULT, "Need to change shipping address"),
    Reason("ecom_order_to_ship_cancel_reason_no_longer_needed", BUYER_FAULT, "No longer needed"),
    Reason("ecom_order_to_ship_cancel_reason_better_price", BUYER_FAULT, "Found a better price elsewhere"),
    Reason(
        "ecom_order_to_ship_cancel_reason_shipping_too_slow",
        BUYER_FAULT,
        "Estimated delivery time is too long",
    ),
    # ... and by the seller.
    Reason("seller_cancel_reason_out_of_stock", SELLER_FAULT, "Out of stock"),
    Reason("seller_cancel_reason_pricing_error", SELLER_FAULT, "Pricing error"),
)
BY_KEY = {reason.key: reason for reason in REASONS}
SELLER_FAULT_KEYS = tuple(r.key for r in REASONS if r.fault == SELLER_FAULT)
BUYER_FAULT_KEYS = tuple(r.key for r in REASONS if r.fault == BUYER_FAULT)


def fault_of(key: str | None) -> str:
    reason = BY_KEY.get(key or "")
    return reason.fault if reason else OTHER


def label_of(key: str | None, text: str | None = None) -> str:
    """What the seller reads: our label for a known key, else TikTok's text, else the key itself."""
    reason = BY_KEY.get(key or "")
    if reason:
        return reason.label
    return (text or "").strip() or key or "No reason given"


# Request types as the page splits them (the grid's type filter, plus "other" for types TikTok may add).
TYPES = {
    "refund": "Refund only",
    "return_and_refund": "Return and refund",
    "replacement": "Replacement",
    "cancellation": "Cancellation",
    "other": "Other",
}
RETURN_TYPES = {"REFUND": "refund", "RETURN_AND_REFUND": "return_and_refund", "REPLACEMENT": "replacement"}

# Statuses in which the buyer got (or is getting) the money back: the refunded amount counts these.
REFUNDED_STATUSES = (
    "RETURN_OR_REFUND_REQUEST_SUCCESS",
    "RETURN_OR_REFUND_REQUEST_COMPLETE",
    "REPLACEMENT_REQUEST_REFUND_SUCCESS",
    "CANCELLATION_REQUEST_SUCCESS",
    "CANCELLATION_REQUEST_COMPLETE",
)
# A seller turn that ended in one of these was withdrawn by the buyer: there was nothing left to answer.
WITHDRAWN_STATUSES = (
    "RETURN_OR_REFUND_REQUEST_CANCEL",
    "REPLACEMENT_REQUEST_CANCEL",
    "CANCELLATION_REQUEST_CANCEL",
    "CANCELLATION_REQUEST_CANCELLED",
)
