"""TikTok Shop after-sale vocabulary and the lifecycle rules of returns and cancellations."""

from __future__ import annotations

RETURN, CANCEL = "return", "cancel"

# return statuses
R_PENDING = "RETURN_OR_REFUND_REQUEST_PENDING"
R_REJECT = "REFUND_OR_RETURN_REQUEST_REJECT"
R_AWAIT_SHIP = "AWAITING_BUYER_SHIP"
R_SHIPPED = "BUYER_SHIPPED_ITEM"
R_REJECT_RECEIVE = "REJECT_RECEIVE_PACKAGE"
R_SUCCESS = "RETURN_OR_REFUND_REQUEST_SUCCESS"
R_CANCEL = "RETURN_OR_REFUND_REQUEST_CANCEL"
R_COMPLETE = "RETURN_OR_REFUND_REQUEST_COMPLETE"
X_PENDING = "REPLACEMENT_REQUEST_PENDING"
X_REJECT = "REPLACEMENT_REQUEST_REJECT"
X_REFUND_SUCCESS = "REPLACEMENT_REQUEST_REFUND_SUCCESS"
X_CANCEL = "REPLACEMENT_REQUEST_CANCEL"
X_COMPLETE = "REPLACEMENT_REQUEST_COMPLETE"
R_AWAIT_BUYER = "AWAITING_BUYER_RESPONSE"
RETURN_STATUSES = (
    R_PENDING,
    R_REJECT,
    R_AWAIT_SHIP,
    R_SHIPPED,
    R_REJECT_RECEIVE,
    R_SUCCESS,
    R_CANCEL,
    R_COMPLETE,
    X_PENDING,
    X_REJECT,
    X_REFUND_SUCCESS,
    X_CANCEL,
    X_COMPLETE,
    R_AWAIT_BUYER,
)

# cancellation statuses (the search filter spells the closed one CANCEL, responses CANCELLED)
C_PENDING = "CANCELLATION_REQUEST_PENDING"
C_SUCCESS = "CANCELLATION_REQUEST_SUCCESS"
C_CANCELLED = "CANCELLATION_REQUEST_CANCELLED"
C_COMPLETE = "CANCELLATION_REQUEST_COMPLETE"
CANCEL_STATUSES = (C_PENDING, C_SUCCESS, C_CANCELLED, C_COMPLETE)
CANCEL_STATUS_FILTER_ALIASES = {"CANCELLATION_REQUEST_CANCEL": C_CANCELLED}

RETURN_TYPES = ("REFUND", "RETURN_AND_REFUND", "REPLACEMENT")
CANCEL_TYPES = ("CANCEL", "BUYER_CANCEL")
ARBITRATION = ("IN_PROGRESS", "SUPPORT_BUYER", "SUPPORT_SELLER", "CLOSED")

# seller actions and the decisions that answer them
RESPOND_REFUND = "SELLER_RESPOND_REFUND"
RESPOND_RETURN = "SELLER_RESPOND_RETURN"
RESPOND_RECEIVE = "SELLER_RESPOND_RECEIVE_PACKAGE"
RESPOND_REPLACEMENT = "SELLER_RESPOND_REPLACEMENT"
RESPOND_CANCEL = "SELLER_RESPOND_CANCEL"

APPROVE_DECISIONS = {
    RESPOND_REFUND: ("APPROVE_REFUND", "OFFER_PARTIAL_REFUND"),
    RESPOND_RETURN: ("APPROVE_RETURN", "OFFER_PARTIAL_REFUND"),
    RESPOND_RECEIVE: ("APPROVE_RECEIVED_PACKAGE",),
    RESPOND_REPLACEMENT: ("APPROVE_REPLACEMENT", "ISSUE_REPLACEMENT_REFUND"),
}
REJECT_DECISIONS = {
    RESPOND_REFUND: ("REJECT_REFUND",),
    RESPOND_RETURN: ("REJECT_RETURN",),
    RESPOND_RECEIVE: ("REJECT_RECEIVED_PACKAGE",),
    RESPOND_REPLACEMENT: ("REJECT_REPLACEMENT",),
}
ALL_APPROVE = {d for ds in APPROVE_DECISIONS.values() for d in ds}
ALL_REJECT = {d for ds in REJECT_DECISIONS.values() for d in ds}

RESPONSE_WINDOW = 48 * 3600  # the seller must answer within 48 h or TikTok approves automatically


def pending_action(kind: str, rtype: str, status: str) -> str:
    """The action TikTok waits on the seller for in a status ('' when it waits on someone else).

    BUYER_SHIPPED_ITEM only waits on the seller once the parcel has arrived; callers decide that.
    """
    if kind == CANCEL:
        return RESPOND_CANCEL if status == C_PENDING else ""
    if status == R_PENDING:
        return RESPOND_REFUND if rtype == "REFUND" else RESPOND_RETURN
    if status == X_PENDING:
        return RESPOND_REPLACEMENT
    if status == R_SHIPPED:
        return RESPOND_RECEIVE
    return ""


RETURN_REASONS = (
    ("ecom_order_delivered_refund_and_return_reason_damaged", "Package or item damaged"),
    ("ecom_order_delivered_refund_and_return_reason_wrong_item", "Wrong item was sent"),
    ("ecom_order_delivered_refund_and_return_reason_not_as_described", "Item doesn't match description"),
    ("ecom_order_delivered_refund_and_return_reason_missing_parts", "Missing parts or accessories"),
    ("ecom_order_delivered_refund_and_return_reason_no_longer_needed", "No longer needed"),
    ("ecom_order_delivered_refund_and_return_reason_quality", "Poor quality"),
)
REFUND_REASONS = (
    ("ecom_order_shipped_refund_reason_package_lost", "Package lost in transit"),
    ("ecom_order_delivered_refund_reason_not_received", "Didn't receive the item"),
    ("ecom_order_delivered_refund_and_return_reason_damaged", "Package or item damaged"),
)
CANCEL_REASONS = (
    ("ecom_order_to_ship_cancel_reason_change_address", "Need to change shipping address"),
    ("ecom_order_to_ship_cancel_reason_no_longer_needed", "No longer needed"),
    ("ecom_order_to_ship_cancel_reason_better_price", "Found a better price elsewhere"),
    ("ecom_order_to_ship_cancel_reason_shipping_too_slow", "Estimated delivery time is too long"),
)
SELLER_CANCEL_REASONS = (
    ("seller_cancel_reason_out_of_stock", "Out of stock"),
    ("seller_cancel_reason_pricing_error", "Pricing error"),
)
PROVIDERS = {
    "US": ("USPS", "UPS", "FedEx"),
    "GB": ("Royal Mail", "Evri"),
    "DE": ("DHL", "Hermes"),
    "FR": ("La Poste", "Colissimo"),
    "ES": ("Correos", "SEUR"),
    "ID": ("J&T Express", "SiCepat"),
}

_BASE_REJECT = (
    ("seller_reject_apply_no_evidence", "Buyer did not provide sufficient evidence"),
    ("seller_reject_apply_item_used", "Item has been used or damaged by the buyer"),
    ("seller_reject_apply_agreed_with_buyer", "Reached another agreement with the buyer"),
)
_RECEIVE_REJECT = (
    ("seller_reject_receive_package_not_received", "Return package not received"),
    ("seller_reject_receive_package_wrong_item", "Returned item is not the item sold"),
    ("seller_reject_receive_package_damaged", "Returned item is damaged or incomplete"),
)
_CANCEL_REJECT = (
    ("seller_reject_cancel_already_shipped", "The package has already been shipped"),
    ("seller_reject_cancel_agreed_with_buyer", "Reached an agreement with the buyer to keep the order"),
)
_MARKET_EXTRA = {
    "US": (("seller_reject_apply_custom_made", "Custom or personalized item"),),
    "GB": (
        ("seller_reject_apply_outside_return_window", "Request made after the 14-day cancellation period"),
    ),
    "DE": (("seller_reject_apply_outside_return_window", "Widerrufsfrist abgelaufen (14 Tage)"),),
    "FR": (("seller_reject_apply_outside_return_window", "Délai de rétractation dépassé"),),
    "ES": (("seller_reject_apply_outside_return_window", "Plazo de desistimiento vencido"),),
    "ID": (("seller_reject_apply_video_unboxing_missing", "Buyer did not provide an unboxing video"),),
}


def reject_reasons(kind: str, status: str, region: str) -> tuple[tuple[str, str], ...]:
    """Reject reasons offered for a request: they depend on its kind, its stage and the market."""
    if kind == CANCEL:
        return _CANCEL_REJECT
    if status == R_SHIPPED:
        return _RECEIVE_REJECT
    return _BASE_REJECT + _MARKET_EXTRA.get(region, ())


def known_reject_reason_names() -> frozenset[str]:
    """Every reject reason any request of any market is offered (to tell "offline" from made up)."""
    groups = (_BASE_REJECT, _RECEIVE_REJECT, _CANCEL_REJECT, *_MARKET_EXTRA.values())
    return frozenset(name for group in groups for name, _ in group)


# Where a return stands once the seller (or TikTok) approved it.
APPROVED_STATUSES = frozenset(
    {R_AWAIT_SHIP, R_SHIPPED, R_SUCCESS, R_COMPLETE, R_AWAIT_BUYER, X_REFUND_SUCCESS, X_COMPLETE}
)
CANCELLED_STATUSES = frozenset({R_CANCEL, X_CANCEL})
