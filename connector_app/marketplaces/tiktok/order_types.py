"""Plain typed data of TikTok Shop orders and Fulfilled-by-TikTok stock, and their parsing.

Facts (reference ``tiktok-products-orders-fbt.md`` §2 and §4): a line item is ONE unit (there is no
quantity field: two units of a SKU are two line items); money values are decimal strings; ids may
arrive as JSON numbers and are kept as strings; every enum is open-ended.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..types import open_enum, to_decimal, to_id, to_int, to_optional_int

ORDER_STATUSES = frozenset(
    {
        "UNPAID",
        "ON_HOLD",
        "AWAITING_SHIPMENT",
        "PARTIALLY_SHIPPING",
        "AWAITING_COLLECTION",
        "IN_TRANSIT",
        "DELIVERED",
        "COMPLETED",
        "CANCELLED",
    }
)
# The type-1 webhook spells the cancelled status ``CANCEL`` where the API says ``CANCELLED``.
_STATUS_SPELLINGS = {"CANCEL": "CANCELLED"}
FBT = "FULFILLMENT_BY_TIKTOK"
FULFILLMENT_TYPES = frozenset({"FULFILLMENT_BY_SELLER", FBT, "FULFILLMENT_BY_DILAYANI_TOKOPEDIA"})
PAYMENT_FIELDS = (
    "original_total_product_price",
    "seller_discount",
    "platform_discount",
    "sub_total",
    "original_shipping_fee",
    "shipping_fee_seller_discount",
    "shipping_fee_platform_discount",
    "shipping_fee",
    "tax",
    "retail_delivery_fee",
    "small_order_fee",
    "handling_fee",
    "total_amount",
)
# Recipient fields shown as TikTok sends them (masked or not); nothing else of the address is kept.
RECIPIENT_FIELDS = ("name", "phone_number", "full_address", "postal_code", "region_code")


def order_status(value: Any) -> str:
    """The API's spelling of an order status (``CANCEL`` from webhooks becomes ``CANCELLED``)."""
    raw = "" if value is None else str(value).strip().upper()
    return open_enum("order_status", _STATUS_SPELLINGS.get(raw, raw), ORDER_STATUSES)


@dataclass(frozen=True)
class BundlePart:
    sku_id: str
    seller_sku: str
    product_id: str
    count: int


@dataclass(frozen=True)
class OrderLine:
    """One unit of one SKU (TikTok has no quantity field)."""

    id: str
    sku_id: str
    seller_sku: str
    product_id: str
    product_name: str
    sku_name: str
    sale_price: Decimal | None
    original_price: Decimal | None
    currency: str
    display_status: str = ""
    package_id: str = ""
    package_status: str = ""
    tracking_number: str = ""
    shipping_provider_name: str = ""
    cancel_user: str = ""
    cancel_reason: str = ""
    bundle: tuple[BundlePart, ...] = ()


@dataclass(frozen=True)
class Order:
    id: str
    status: str
    fulfillment_type: str
    shipping_type: str
    create_time: int
    update_time: int
    paid_time: int | None
    rts_sla_time: int | None
    shipping_due_time: int | None
    cancel_time: int | None
    currency: str
    payment: dict[str, Decimal] = field(default_factory=dict)
    lines: tuple[OrderLine, ...] = ()
    is_on_hold_order: bool = False
    is_buyer_request_cancel: bool = False
    buyer_email: str = ""
    buyer_message: str = ""
    recipient: dict[str, str] = field(default_factory=dict)
    tracking_number: str = ""
    shipping_provider: str = ""
    delivery_option_id: str = ""
    cancellation_initiator: str = ""
    cancel_reason: str = ""
    warehouse_id: str = ""

    @property
    def is_fbt(self) -> bool:
        return self.fulfillment_type == FBT

    @property
    def total(self) -> Decimal | None:
        return self.payment.get("total_amount")


def units_by_sku(lines: tuple[OrderLine, ...] | list[OrderLine]) -> Counter[tuple[str, str]]:
    """Units to take from stock per (sku_id, seller_sku): one per line item, bundle parts by count."""
    units: Counter[tuple[str, str]] = Counter()
    for line in lines:
        if line.bundle:
            for part in line.bundle:
                units[(part.sku_id, part.seller_sku)] += part.count
        else:
            units[(line.sku_id, line.seller_sku)] += 1
    return units


@dataclass(frozen=True)
class FbtStock:
    """On-hand stock of one SKU in one FBT warehouse."""

    sku_id: str
    goods_id: str
    goods_name: str
    fbt_warehouse_id: str
    total: int
    available: int
    reserved: int


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _bundle(items: Any) -> tuple[BundlePart, ...]:
    return tuple(
        BundlePart(
            sku_id=to_id(item.get("sku_id")),
            seller_sku=_str(item.get("seller_sku")),
            product_id=to_id(item.get("product_id")),
            count=max(1, to_int(item.get("sku_count"), 1)),
        )
        for item in items or ()
        if isinstance(item, Mapping)
    )


def order_line(data: Mapping[str, Any]) -> OrderLine:
    return OrderLine(
        id=to_id(data.get("id")),
        sku_id=to_id(data.get("sku_id")),
        seller_sku=_str(data.get("seller_sku")),
        product_id=to_id(data.get("product_id")),
        product_name=_str(data.get("product_name")),
        sku_name=_str(data.get("sku_name")),
        sale_price=to_decimal(data.get("sale_price")),
        original_price=to_decimal(data.get("original_price")),
        currency=_str(data.get("currency")),
        display_status=_str(data.get("display_status")),
        package_id=to_id(data.get("package_id")),
        package_status=_str(data.get("package_status")),
        tracking_number=_str(data.get("tracking_number")),
        shipping_provider_name=_str(data.get("shipping_provider_name")),
        cancel_user=_str(data.get("cancel_user")),
        cancel_reason=_str(data.get("cancel_reason")),
        bundle=_bundle(data.get("combined_listing_skus")),
    )


def _recipient(data: Any) -> dict[str, str]:
    """The recipient exactly as TikTok gave it (absent in UNPAID/ON_HOLD; masked per market)."""
    if not isinstance(data, Mapping):
        return {}
    return {key: _str(data.get(key)) for key in RECIPIENT_FIELDS if data.get(key) not in (None, "")}


def order(data: Mapping[str, Any]) -> Order:
    payment = data.get("payment") if isinstance(data.get("payment"), Mapping) else {}
    amounts = {key: to_decimal(payment.get(key)) for key in PAYMENT_FIELDS}
    return Order(
        id=to_id(data.get("id")),
        status=order_status(data.get("status")),
        fulfillment_type=open_enum(
            "fulfillment_type", data.get("fulfillment_type") or "FULFILLMENT_BY_SELLER", FULFILLMENT_TYPES
        ),
        shipping_type=_str(data.get("shipping_type")),
        create_time=to_int(data.get("create_time")),
        update_time=to_int(data.get("update_time")),
        paid_time=to_optional_int(data.get("paid_time")),
        rts_sla_time=to_optional_int(data.get("rts_sla_time")),
        shipping_due_time=to_optional_int(data.get("shipping_due_time")),
        cancel_time=to_optional_int(data.get("cancel_time")),
        currency=_str(payment.get("currency")),
        payment={key: value for key, value in amounts.items() if value is not None},
        lines=tuple(order_line(item) for item in data.get("line_items") or () if isinstance(item, Mapping)),
        is_on_hold_order=bool(data.get("is_on_hold_order")),
        is_buyer_request_cancel=bool(data.get("is_buyer_request_cancel")),
        buyer_email=_str(data.get("buyer_email")),
        buyer_message=_str(data.get("buyer_message")),
        recipient=_recipient(data.get("recipient_address")),
        tracking_number=_str(data.get("tracking_number")),
        shipping_provider=_str(data.get("shipping_provider")),
        delivery_option_id=to_id(data.get("delivery_option_id")),
        cancellation_initiator=_str(data.get("cancellation_initiator")),
        cancel_reason=_str(data.get("cancel_reason")),
        warehouse_id=to_id(data.get("warehouse_id")),
    )


def fbt_stock(item: Mapping[str, Any]) -> list[FbtStock]:
    """One FBT inventory row (one goods item in one FBT warehouse) as stock per matched SKU."""
    goods = item.get("goods") if isinstance(item.get("goods"), Mapping) else {}
    warehouse = to_id(item.get("fbt_warehouse_id"))
    rows = []
    for sku in goods.get("skus") or ():
        on_hand = sku.get("on_hand_detail") or item.get("on_hand_detail") or {}
        rows.append(
            FbtStock(
                sku_id=to_id(sku.get("id")),
                goods_id=to_id(goods.get("id")),
                goods_name=_str(goods.get("name")),
                fbt_warehouse_id=warehouse,
                total=to_int(on_hand.get("total_quantity")),
                available=to_int(on_hand.get("available_quantity")),
                reserved=to_int(on_hand.get("reserved_quantity")),
            )
        )
    return rows
