"""The ONE table mapping TikTok's after-sale statuses to the grid's tabs, and what each means in words.

From the product's reference (TikTok Shop API §4): the grid keeps the legacy "aftersale" tab names sellers
know. A status not listed here is kept as-is, shown under All as "Other" with its raw value. Each tab and
each status has a one-line plain explanation (the tabs' tooltips and help text, the status badges').

Beside the nine tabs the grid has one more view, ``NEEDS`` ("Needs your answer"): every request TikTok
is waiting on the seller for, whatever its tab.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tab:
    key: str  # URL value: /returns?tab=<key>
    label: str
    legacy_code: int | None
    statuses: tuple[str, ...]
    help: str = ""  # one plain sentence: what the requests under this tab are


TABS: tuple[Tab, ...] = (
    Tab("all", "All", None, (), "Every request synced from your TikTok Shops, whatever its status."),
    Tab(
        "applying",
        "Aftersale Applying",
        1,
        (
            "RETURN_OR_REFUND_REQUEST_PENDING",
            "REPLACEMENT_REQUEST_PENDING",
            "AWAITING_BUYER_RESPONSE",
            "CANCELLATION_REQUEST_PENDING",
        ),
        "New requests: the buyer asked for a refund, return, replacement or cancellation; "
        "most wait for your answer.",
    ),
    Tab(
        "reject_application",
        "Aftersale Reject Application",
        2,
        ("REFUND_OR_RETURN_REQUEST_REJECT", "REPLACEMENT_REQUEST_REJECT"),
        "Requests that were rejected; the buyer may still appeal to TikTok.",
    ),
    Tab(
        "returning",
        "Aftersale Returning",
        3,
        ("AWAITING_BUYER_SHIP",),
        "Returns you approved: TikTok waits for the buyer to send the item back.",
    ),
    Tab(
        "buyer_shipped",
        "Aftersale Buyer Shipped",
        4,
        ("BUYER_SHIPPED_ITEM",),
        "The buyer sent the item back: confirm it arrived, or report a problem with it.",
    ),
    Tab(
        "seller_reject_receive",
        "Aftersale Seller Reject Receive",
        5,
        ("REJECT_RECEIVE_PACKAGE",),
        "You reported a problem with a returned parcel; TikTok may review the case.",
    ),
    Tab(
        "success",
        "Aftersale Success",
        50,
        (
            "RETURN_OR_REFUND_REQUEST_SUCCESS",
            "REPLACEMENT_REQUEST_REFUND_SUCCESS",
            "CANCELLATION_REQUEST_SUCCESS",
        ),
        "Approved: TikTok is refunding the buyer (or the order was cancelled).",
    ),
    Tab(
        "closed",
        "Closed",
        99,
        (
            "RETURN_OR_REFUND_REQUEST_CANCEL",
            "REPLACEMENT_REQUEST_CANCEL",
            "CANCELLATION_REQUEST_CANCEL",
            "CANCELLATION_REQUEST_CANCELLED",
        ),
        "Withdrawn by the buyer or closed by TikTok: nothing more happens.",
    ),
    Tab(
        "complete",
        "Complete",
        100,
        (
            "RETURN_OR_REFUND_REQUEST_COMPLETE",
            "REPLACEMENT_REQUEST_COMPLETE",
            "CANCELLATION_REQUEST_COMPLETE",
        ),
        "Finished: the buyer was refunded and any return was received.",
    ),
)

NEEDS = Tab(
    "needs",
    "Needs your answer",
    None,
    (),
    "Every request TikTok is waiting on you to answer, soonest deadline first. Unanswered requests are "
    "decided by TikTok when their deadline passes, usually in the buyer's favour.",
)

# What a status means, in one sentence a seller understands (TikTok's names are internal).
STATUS_HELP: dict[str, str] = {
    "RETURN_OR_REFUND_REQUEST_PENDING": "The buyer asked for a refund or return and waits for your answer.",
    "REPLACEMENT_REQUEST_PENDING": "The buyer asked for a replacement and waits for your answer.",
    "AWAITING_BUYER_RESPONSE": "TikTok is waiting for the buyer to reply before the request can go on.",
    "CANCELLATION_REQUEST_PENDING": "The buyer asked to cancel the order; answer before you ship.",
    "REFUND_OR_RETURN_REQUEST_REJECT": "The refund or return was rejected; the buyer may appeal to TikTok.",
    "REPLACEMENT_REQUEST_REJECT": "The replacement was rejected; the buyer may appeal to TikTok.",
    "AWAITING_BUYER_SHIP": "The return was approved; the buyer still has to send the item back.",
    "BUYER_SHIPPED_ITEM": "The buyer sent the item back; confirm it arrived, or report a problem with it.",
    "REJECT_RECEIVE_PACKAGE": "You reported a problem with the returned parcel; TikTok may review the case.",
    "RETURN_OR_REFUND_REQUEST_SUCCESS": "Approved: TikTok is refunding the buyer.",
    "REPLACEMENT_REQUEST_REFUND_SUCCESS": "The replacement became a refund; TikTok pays the buyer.",
    "CANCELLATION_REQUEST_SUCCESS": "The order was cancelled; TikTok refunds the buyer. Do not ship it.",
    "RETURN_OR_REFUND_REQUEST_CANCEL": "Withdrawn by the buyer or closed by TikTok: nothing more happens.",
    "REPLACEMENT_REQUEST_CANCEL": "The buyer withdrew the replacement request, or TikTok closed it.",
    "CANCELLATION_REQUEST_CANCEL": "The cancellation was withdrawn or closed: the order stands.",
    "CANCELLATION_REQUEST_CANCELLED": "The cancellation was withdrawn or closed: the order stands.",
    "RETURN_OR_REFUND_REQUEST_COMPLETE": "Finished: the buyer was refunded and any return was received.",
    "REPLACEMENT_REQUEST_COMPLETE": "Finished: the replacement reached the buyer.",
    "CANCELLATION_REQUEST_COMPLETE": "Finished: the order is cancelled and the buyer refunded.",
}

# How the badges read (TikTok's names as a seller would say them).
STATUS_LABELS: dict[str, str] = {
    "RETURN_OR_REFUND_REQUEST_PENDING": "Refund or return requested",
    "REPLACEMENT_REQUEST_PENDING": "Replacement requested",
    "AWAITING_BUYER_RESPONSE": "Waiting for the buyer",
    "CANCELLATION_REQUEST_PENDING": "Cancellation requested",
    "REFUND_OR_RETURN_REQUEST_REJECT": "Refund or return rejected",
    "REPLACEMENT_REQUEST_REJECT": "Replacement rejected",
    "AWAITING_BUYER_SHIP": "Waiting for the buyer to ship",
    "BUYER_SHIPPED_ITEM": "Buyer shipped the item",
    "REJECT_RECEIVE_PACKAGE": "Returned parcel disputed",
    "RETURN_OR_REFUND_REQUEST_SUCCESS": "Refund approved",
    "REPLACEMENT_REQUEST_REFUND_SUCCESS": "Replacement refunded",
    "CANCELLATION_REQUEST_SUCCESS": "Order cancelled",
    "RETURN_OR_REFUND_REQUEST_CANCEL": "Withdrawn or closed",
    "REPLACEMENT_REQUEST_CANCEL": "Withdrawn or closed",
    "CANCELLATION_REQUEST_CANCEL": "Cancellation withdrawn",
    "CANCELLATION_REQUEST_CANCELLED": "Cancellation withdrawn",
    "RETURN_OR_REFUND_REQUEST_COMPLETE": "Complete",
    "REPLACEMENT_REQUEST_COMPLETE": "Complete",
    "CANCELLATION_REQUEST_COMPLETE": "Complete",
}

OTHER = "other"  # stored tab of a status this table does not know (listed under All only)
TABS_BY_KEY: dict[str, Tab] = {tab.key: tab for tab in TABS}
VIEWS_BY_KEY: dict[str, Tab] = {NEEDS.key: NEEDS, **TABS_BY_KEY}  # what ``?tab=`` may name
TAB_OF_STATUS: dict[str, str] = {status: tab.key for tab in TABS for status in tab.statuses}


def tab_for_status(status: str | None) -> str:
    """The tab key a status belongs to; ``"other"`` for statuses TikTok added after this table."""
    return TAB_OF_STATUS.get(status or "", OTHER)


def status_label(status: str | None) -> str:
    if not status:
        return "Unknown"
    if status not in TAB_OF_STATUS:
        return f"Other ({status})"
    return STATUS_LABELS.get(status) or status.replace("_", " ").capitalize()


def status_help(status: str | None) -> str:
    """One sentence saying what the status means for the seller."""
    if status in STATUS_HELP:
        return STATUS_HELP[status]
    return "A status TikTok added recently; see the request's timeline for what happened."
