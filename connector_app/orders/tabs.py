"""The ONE table mapping TikTok order statuses to the grid's tabs, with what each means in words.

``PARTIALLY_SHIPPING`` is listed under Awaiting Shipment (something is still to ship); an unknown status
is kept as-is and shown under All only. "Needs attention" is not a status: it is every order with a
line no Etsy listing matches or an Etsy stock update that needs the seller (``Order.needs_attention``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    statuses: tuple[str, ...]
    help: str


ALL, ATTENTION = "all", "attention"
TABS: tuple[Tab, ...] = (
    Tab(ALL, "All", (), "Every order synced from your TikTok Shops."),
    Tab(
        "on_hold",
        "On Hold",
        ("ON_HOLD",),
        "Paid; the buyer may still cancel for about an hour. Not shippable yet.",
    ),
    Tab(
        "awaiting_shipment",
        "Awaiting Shipment",
        ("AWAITING_SHIPMENT", "PARTIALLY_SHIPPING"),
        "Paid and ready: ship before the ship-by time.",
    ),
    Tab(
        "awaiting_collection",
        "Awaiting Collection",
        ("AWAITING_COLLECTION",),
        "Shipped; waiting for the carrier.",
    ),
    Tab("in_transit", "In Transit", ("IN_TRANSIT",), "The carrier has every package."),
    Tab("delivered", "Delivered", ("DELIVERED",), "Delivered to the buyer."),
    Tab("completed", "Completed", ("COMPLETED",), "Closed: no more returns or refunds."),
    Tab("cancelled", "Cancelled", ("CANCELLED",), "Cancelled by the buyer, you, TikTok or the system."),
    Tab(
        ATTENTION,
        "Needs attention",
        (),
        "A line no Etsy listing matches, or an Etsy stock update you need to check.",
    ),
)
BY_KEY = {tab.key: tab for tab in TABS}
TAB_OF_STATUS = {status: tab.key for tab in TABS for status in tab.statuses}
OTHER = "other"
STATUS_LABELS = {
    "UNPAID": "Unpaid",
    "ON_HOLD": "On hold",
    "AWAITING_SHIPMENT": "Awaiting shipment",
    "PARTIALLY_SHIPPING": "Partially shipped",
    "AWAITING_COLLECTION": "Awaiting collection",
    "IN_TRANSIT": "In transit",
    "DELIVERED": "Delivered",
    "COMPLETED": "Completed",
    "CANCELLED": "Cancelled",
}
SHIPPABLE = frozenset({"AWAITING_SHIPMENT", "PARTIALLY_SHIPPING"})
NOT_SHIPPED = frozenset({"UNPAID", "ON_HOLD", "AWAITING_SHIPMENT"})
PAID = frozenset(
    {
        "ON_HOLD",
        "AWAITING_SHIPMENT",
        "PARTIALLY_SHIPPING",
        "AWAITING_COLLECTION",
        "IN_TRANSIT",
        "DELIVERED",
        "COMPLETED",
    }
)


def tab_of(status: str) -> str:
    return TAB_OF_STATUS.get(status, OTHER)


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", (status or "Other").replace("_", " ").capitalize())


def fulfilment_label(is_fbt: bool) -> str:
    return "Fulfilled by TikTok" if is_fbt else "Shipped by you"
