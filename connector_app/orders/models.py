"""TikTok orders (seller-fulfilled and Fulfilled by TikTok), their line items, and the Etsy stock ledger.

- ``Order`` keyed by (shop, TikTok order id); ``tab`` is derived from ``status`` (``orders.tabs``) and
  stored so each tab reads an index. Times are TikTok's unix seconds. ``recipient`` is exactly what
  TikTok gave (masked as TikTok masks it), never more.
- ``OrderLine``: one TikTok line item = one unit (TikTok has no quantity field).
- ``StockMove``: the ledger of Etsy stock changes caused by orders, unique per (order, SKU,
  direction): ``sale`` takes units off when a seller-fulfilled order is paid, ``restore`` puts them back
  when it is cancelled before shipping. The unique key is what makes each happen at most once; the
  states (as restocks) make it exactly once or a visible task.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connector_app.extensions import db
from connector_app.returns.models import BigId
from connector_app.tenancy import SellerOwned
from connector_app.timeutil import utcnow

Money = Numeric(14, 2)

# StockMove states (as restocks: listings.models)
CLAIMED = "claimed"  # decided; no Etsy write attempted yet: safe to (re)try
SENDING = "sending"  # the write may have reached Etsy: verify before anything else, never write again
DONE = "done"
CHECK = "check"  # could not confirm what Etsy applied: a "your turn" task for the seller
NO_MATCH = "no_match"  # no Etsy listing has the SKU (or Etsy is not connected): a task
OPEN_STATES = (CLAIMED, SENDING)
SKIPPED = "skipped"  # the order was cancelled before anything was written: nothing to do, ever
TASK_STATES = (CHECK, NO_MATCH)
SALE, RESTORE = "sale", "restore"


class Order(SellerOwned, db.Model):
    __tablename__ = "orders"
    seller_id_indexed = False
    __table_args__ = (
        UniqueConstraint("shop_pk", "order_id", name="uq_orders_shop_order"),
        Index("ix_orders_seller_tab_update", "seller_id", "tab", "update_time", "id"),
        Index("ix_orders_seller_update", "seller_id", "update_time", "id"),
        Index("ix_orders_seller_order", "seller_id", "order_id"),
        Index("ix_orders_seller_attention", "seller_id", "needs_attention"),
        # The alerts' ship-by scan: awaiting orders by ship-by time, and those synced since the last scan.
        Index("ix_orders_tab_fbt_ship_by", "tab", "is_fbt", "rts_sla_time"),
        Index("ix_orders_tab_fbt_synced", "tab", "is_fbt", "synced_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Leads the (shop_pk, order_id) unique index: no index of its own (a redundant one costs every write,
    # and the planner, with stale statistics during a shop's first sync, scans it instead of the unique one).
    shop_pk: Mapped[int] = mapped_column(ForeignKey("tiktok_shops.id", ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    tab: Mapped[str] = mapped_column(String(24))
    fulfillment_type: Mapped[str] = mapped_column(String(48))
    is_fbt: Mapped[bool] = mapped_column(Boolean, default=False)
    shipping_type: Mapped[str | None] = mapped_column(String(16))
    create_time: Mapped[int] = mapped_column(BigInteger)
    update_time: Mapped[int] = mapped_column(BigInteger)
    paid_time: Mapped[int | None] = mapped_column(BigInteger)
    rts_sla_time: Mapped[int | None] = mapped_column(BigInteger)  # ship by
    shipping_due_time: Mapped[int | None] = mapped_column(BigInteger)
    cancel_time: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    total: Mapped[Decimal | None] = mapped_column(Money)
    payment: Mapped[dict] = mapped_column(JSON, default=dict)
    recipient: Mapped[dict] = mapped_column(JSON, default=dict)
    buyer_email: Mapped[str | None] = mapped_column(String(255))
    buyer_message: Mapped[str | None] = mapped_column(Text)
    tracking_number: Mapped[str | None] = mapped_column(String(128))
    shipping_provider: Mapped[str | None] = mapped_column(String(128))
    delivery_option_id: Mapped[str | None] = mapped_column(String(32))  # whose carriers the seller picks from
    is_buyer_request_cancel: Mapped[bool] = mapped_column(Boolean, default=False)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancellation_initiator: Mapped[str | None] = mapped_column(String(16))
    # [[status, unix time seen], ...]: what the app saw, oldest first
    history: Mapped[list] = mapped_column(JSON, default=list)
    search_text: Mapped[str] = mapped_column(Text, default="")
    needs_attention: Mapped[bool] = mapped_column(Boolean, default=False)
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    shop = relationship("TikTokShop")
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )


class OrderLine(SellerOwned, db.Model):
    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_pk", "line_id", name="uq_order_lines_order_line"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Leads the (order_pk, line_id) unique index: no index of its own.
    order_pk: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"))
    line_id: Mapped[str] = mapped_column(String(32))
    sku_id: Mapped[str | None] = mapped_column(String(32))
    seller_sku: Mapped[str | None] = mapped_column(String(128), index=True)
    product_id: Mapped[str | None] = mapped_column(String(32))
    product_name: Mapped[str | None] = mapped_column(String(512))
    sku_name: Mapped[str | None] = mapped_column(String(255))
    sale_price: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    display_status: Mapped[str | None] = mapped_column(String(32))
    package_id: Mapped[str | None] = mapped_column(String(32))
    tracking_number: Mapped[str | None] = mapped_column(String(128))
    shipping_provider_name: Mapped[str | None] = mapped_column(String(128))
    bundle: Mapped[list] = mapped_column(JSON, default=list)  # [[sku_id, seller_sku, count], ...]

    order: Mapped[Order] = relationship(back_populates="lines")


class StockMove(SellerOwned, db.Model):
    __tablename__ = "order_stock_moves"
    __table_args__ = (
        UniqueConstraint("order_pk", "sku", "direction", name="uq_order_stock_moves_order_sku_dir"),
        Index("ix_order_stock_moves_seller_state", "seller_id", "state"),
        # The alerts' scan: the moves that became a task since the last scan.
        Index("ix_order_stock_moves_state_updated", "state", "updated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_pk: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(128))
    direction: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(Integer)
    listing_id: Mapped[str | None] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(16), default=CLAIMED)
    stock_before: Mapped[int | None] = mapped_column(Integer)
    stock_target: Mapped[int | None] = mapped_column(Integer)
    stock_seen: Mapped[int | None] = mapped_column(Integer)
    # The sale took the listing's last units: Etsy cannot hold 0, so the listing was deactivated
    # instead of writing 0 (stock_target stays the units Etsy still shows); a restore reactivates it.
    deactivated: Mapped[bool] = mapped_column(Boolean, default=False)
    listing_state: Mapped[str | None] = mapped_column(String(16))  # the state the batch sets, if any
    # What Etsy showed right before the batch was claimed: if a failed write left both unchanged, it did
    # not land (Etsy moves a listing's last-modified time on every inventory write).
    etsy_before: Mapped[int | None] = mapped_column(Integer)
    listing_updated: Mapped[int | None] = mapped_column(BigInteger)
    wrote: Mapped[bool] = mapped_column(Boolean, default=False)  # the batch PUTs quantities
    message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sending_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Every change of the row (ORM flushes and Core UPDATEs alike): what the alerts' scan reads by.
    updated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    order: Mapped[Order] = relationship()


class FbtStock(SellerOwned, db.Model):
    """FBT on-hand stock per (shop, SKU, FBT warehouse), read from the FBT inventory API."""

    __tablename__ = "order_fbt_stock"
    __table_args__ = (UniqueConstraint("shop_pk", "sku_id", "warehouse_id", name="uq_order_fbt_stock"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shop_pk: Mapped[int] = mapped_column(ForeignKey("tiktok_shops.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[str] = mapped_column(String(32))
    seller_sku: Mapped[str | None] = mapped_column(String(128))
    warehouse_id: Mapped[str] = mapped_column(String(64))
    total: Mapped[int] = mapped_column(Integer, default=0)
    available: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ListingHold(SellerOwned, db.Model):
    """Units Etsy still shows on a listing we deactivated because TikTok sold its last units.

    Etsy's stock of a SKU as the seller should read it is ``Etsy quantity − held``. A listing with a
    hold is inactive because of us; when a cancellation puts stock back, the hold shrinks and the
    listing is reactivated.
    """

    __tablename__ = "order_listing_holds"
    __table_args__ = (UniqueConstraint("seller_id", "listing_id", name="uq_order_listing_holds"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    listing_id: Mapped[str] = mapped_column(String(32))
    held: Mapped[dict] = mapped_column(JSON, default=dict)  # {sku: units}
    previous: Mapped[dict] = mapped_column(JSON, default=dict)  # before the batch in flight (to undo it)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# Shipment states (ship from the app; the same shape as stock moves)
SHIP_QUEUED = "queued"  # recorded, nothing sent to TikTok yet: safe to send
SHIP_SENDING = "sending"  # the call may have reached TikTok: read back, never send again
SHIP_DONE = "done"
SHIP_REFUSED = "refused"  # TikTok said no (the reason is in ``message``); nothing was shipped
SHIP_CHECK = "check"  # could not confirm what TikTok applied: a "your turn" task for the seller
SHIP_WITHDRAWN = "withdrawn"  # the seller checked a task and found it not shipped: the items are free again
SHIP_OPEN = (SHIP_QUEUED, SHIP_SENDING)
SHIP, CORRECT = "ship", "correct"


class Shipment(SellerOwned, db.Model):
    """One "mark shipped" (or one tracking correction) asked for from the order's page, and its log.

    ``key`` is generated when the form is rendered and is UNIQUE: a resent form or a double click finds
    the first row instead of shipping again. ``ShipmentLine`` is UNIQUE per (order, line), so two tabs
    with two different forms cannot both ship an item. ``correction_of`` is the order's id on a
    correction and UNIQUE: TikTok lets a tracking number be corrected once per order.
    """

    __tablename__ = "order_shipments"
    __table_args__ = (Index("ix_order_shipments_state_updated", "state", "updated_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    order_pk: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default=SHIP)
    correction_of: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    method: Mapped[str] = mapped_column(String(16))  # "mark_shipped" (US/UK/EU/JP) | "ship_package"
    provider_id: Mapped[str] = mapped_column(String(32))
    provider_name: Mapped[str] = mapped_column(String(128))
    tracking_number: Mapped[str] = mapped_column(String(64))
    line_ids: Mapped[list] = mapped_column(JSON, default=list)
    package_id: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default=SHIP_QUEUED)
    message: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(254))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sending_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    order: Mapped[Order] = relationship()


class ShipmentLine(SellerOwned, db.Model):
    """An order line claimed by a shipment: at most one open or done shipment per line."""

    __tablename__ = "order_shipment_lines"
    __table_args__ = (UniqueConstraint("order_pk", "line_id", name="uq_order_shipment_lines_order_line"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shipment_pk: Mapped[int] = mapped_column(
        BigId, ForeignKey("order_shipments.id", ondelete="CASCADE"), index=True
    )
    order_pk: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id", ondelete="CASCADE"))
    line_id: Mapped[str] = mapped_column(String(32))
