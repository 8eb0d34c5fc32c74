"""The ONE table mapping TikTok's after-sale statuses to the grid's tabs.

From the product's reference (TikTok Shop API §4): the grid keeps the legacy "aftersale" tab names sellers
know. A status not listed here is kept as-is, shown under All as "Other" with its raw value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tab:
    key: str  # URL value: /returns?tab=<key>
    label: str
    legacy_code: int | None
    statuses: tuple[str, ...]


TABS: tuple[Tab, ...] = (
    Tab("all", "All", None, ()),
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
    ),
    Tab(
        "reject_application",
        "Aftersale Reject Application",
        2,
        ("REFUND_OR_RETURN_REQUEST_REJECT", "REPLACEMENT_REQUEST_REJECT"),
    ),
    Tab("returning", "Aftersale Returning", 3, ("AWAITING_BUYER_SHIP",)),
    Tab("buyer_shipped", "Aftersale Buyer Shipped", 4, ("BUYER_SHIPPED_ITEM",)),
    Tab("seller_reject_receive", "Aftersale Seller Reject Receive", 5, ("REJECT_RECEIVE_PACKAGE",)),
    Tab(
        "success",
        "Aftersale Success",
        50,
        (
            "RETURN_OR_REFUND_REQUEST_SUCCESS",
            "REPLACEMENT_REQUEST_REFUND_SUCCESS",
            "CANCELLATION_REQUEST_SUCCESS",
        ),
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
    ),
)

OTHER = "other"  # stored tab of a status this table does not know (listed under All only)
TABS_BY_KEY: dict[str, Tab] = {tab.key: tab for tab in TABS}
TAB_OF_STATUS: dict[str, str] = {status: tab.key for tab in TABS for status in tab.statuses}


def tab_for_status(status: str | None) -> str:
    """The tab key a status belongs to; ``"other"`` for statuses TikTok added after this table."""
    return TAB_OF_STATUS.get(status or "", OTHER)


def status_label(status: str | None) -> str:
    if not status:
        return "Unknown"
    if status not in TAB_OF_STATUS:
        return f"Other ({status})"
    return status.replace("_", " ").capitalize()
