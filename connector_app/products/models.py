"""The catalog mirror (TikTok products and SKUs, Etsy SKUs with price and stock), the SKU links, each
shop's TikTok Shop Settings, and the push ledger.

``PushRecord`` is unique per (SKU, field, change): a change is the Etsy value the push sets, stamped
with the Etsy listing's ``updated`` time. Duplicate triggers insert nothing new; racing workers move a
row ``claimed → sending`` with one UPDATE only one of them wins; a row found ``sending`` after a
crash is verified by reading TikTok back and becomes ``done`` or ``check`` (a visible task), never a
second write.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
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

# TikTokSku.link_state
LINKED = "linked"
NO_MATCH = "no_match"
DUPLICATE_ETSY = "duplicate_etsy"
DUPLICATE_TIKTOK = "duplicate_tiktok"
UNLINKED = "unlinked"  # the seller unlinked it by hand
LINK_LABELS = {
    LINKED: "Linked",
    NO_MATCH: "No Etsy match",
    DUPLICATE_ETSY: "Duplicate SKU on Etsy",
    DUPLICATE_TIKTOK: "Duplicate SKU on TikTok",
    UNLINKED: "Unlinked by you",
}

# TikTok's product status, as the seller reads it (unknown values show as they come)
STATUS_LABELS = {
    "ACTIVATE": "live",
    "PENDING": "in review",
    "FAILED": "review failed",
    "DRAFT": "draft",
    "SELLER_DEACTIVATED": "deactivated by you",
    "PLATFORM_DEACTIVATED": "deactivated by TikTok",
    "FREEZE": "frozen by TikTok",
    "DELETED": "deleted",
}

# PushRecord.state
CLAIMED = "claimed"
SENDING = "sending"
DONE = "done"
FAILED = "failed"  # TikTok refused it (the reason is stored); a later change is a new record
CHECK = "check"  # sent, outcome unknown and TikTok's value is not the target: the seller checks
HELD = "held"  # a price change above the limit waits for the seller's confirmation
SUPERSEDED = "superseded"  # held, and Etsy changed again before the seller confirmed: never sent
OPEN_STATES = (CLAIMED, SENDING)

PRICE, INVENTORY, INFO = "price", "inventory", "info"


class TikTokProduct(SellerOwned, db.Model):
    __tablename__ = "tiktok_products"
    __table_args__ = (
        UniqueConstraint("tiktok_shop_id", "product_id", name="uq_tiktok_products_shop_product"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tiktok_shop_id: Mapped[int] = mapped_column(ForeignKey("tiktok_shops.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(512), default="")
    status: Mapped[str] = mapped_column(String(32), default="")
    audit_status: Mapped[str] = mapped_column(String(32), default="")
    audit_failed: Mapped[str | None] = mapped_column(Text)
    update_time: Mapped[int] = mapped_column(Integer, default=0)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    shop = relationship("TikTokShop")
    skus: Mapped[list[TikTokSku]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="TikTokSku.id"
    )


class TikTokSku(SellerOwned, db.Model):
    __tablename__ = "tiktok_skus"
    __table_args__ = (
        UniqueConstraint("product_pk", "sku_id", name="uq_tiktok_skus_product_sku"),
        Index("ix_tiktok_skus_seller_shop_state", "seller_id", "tiktok_shop_id", "link_state"),
        Index("ix_tiktok_skus_seller_sku", "seller_id", "seller_sku"),
    )
    seller_id_indexed = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_pk: Mapped[int] = mapped_column(ForeignKey("tiktok_products.id", ondelete="CASCADE"), index=True)
    tiktok_shop_id: Mapped[int] = mapped_column(ForeignKey("tiktok_shops.id", ondelete="CASCADE"))
    sku_id: Mapped[str] = mapped_column(String(32))
    seller_sku: Mapped[str] = mapped_column(String(128), default="")
    price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="")
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    warehouse_stock: Mapped[dict] = mapped_column(JSON, default=dict)  # {warehouse_id: quantity}
    is_fbt: Mapped[bool] = mapped_column(Boolean, default=False)
    link_state: Mapped[str] = mapped_column(String(20), default=NO_MATCH)
    etsy_sku_pk: Mapped[int | None] = mapped_column(ForeignKey("etsy_catalog_skus.id", ondelete="SET NULL"))
    differs: Mapped[bool] = mapped_column(Boolean, default=False)
    last_push_state: Mapped[str | None] = mapped_column(String(16))
    last_push_message: Mapped[str | None] = mapped_column(Text)
    last_push_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    product: Mapped[TikTokProduct] = relationship(back_populates="skus")
    etsy: Mapped[EtsyCatalogSku | None] = relationship()


class EtsyCatalogSku(SellerOwned, db.Model):
    """One Etsy SKU with its own price and stock (the listings cache has neither per SKU)."""

    __tablename__ = "etsy_catalog_skus"
    __table_args__ = (
        UniqueConstraint("etsy_connection_id", "listing_id", "sku", name="uq_etsy_catalog_skus_listing_sku"),
        Index("ix_etsy_catalog_skus_seller_sku", "seller_id", "sku"),
    )
    seller_id_indexed = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    etsy_connection_id: Mapped[int] = mapped_column(ForeignKey("etsy_connections.id", ondelete="CASCADE"))
    listing_id: Mapped[str] = mapped_column(String(32))
    sku: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(512), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="active")
    url: Mapped[str | None] = mapped_column(String(1024))
    price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="")
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    listing_updated: Mapped[int] = mapped_column(Integer, default=0)
    gone: Mapped[bool] = mapped_column(Boolean, default=False)  # not seen on Etsy any more: sets nothing


class SkuLinkOverride(SellerOwned, db.Model):
    """The seller's hand-made link (to an Etsy SKU) or unlink of one TikTok SKU (by its TikTok ids, so it
    survives a re-read of the product)."""

    __tablename__ = "sku_link_overrides"
    __table_args__ = (UniqueConstraint("tiktok_shop_id", "sku_id", name="uq_sku_link_overrides_shop_sku"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tiktok_shop_id: Mapped[int] = mapped_column(ForeignKey("tiktok_shops.id", ondelete="CASCADE"))
    sku_id: Mapped[str] = mapped_column(String(32))
    etsy_listing_id: Mapped[str | None] = mapped_column(String(32))  # None: unlinked
    etsy_sku: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProductSyncSettings(SellerOwned, db.Model):
    """TikTok Shop Settings of one shop. Everything is off until the seller confirms a preview."""

    __tablename__ = "product_sync_settings"
    seller_id_indexed = True

    tiktok_shop_id: Mapped[int] = mapped_column(
        ForeignKey("tiktok_shops.id", ondelete="CASCADE"), primary_key=True
    )
    sync_product_info: Mapped[bool] = mapped_column(Boolean, default=False)
    sync_price: Mapped[bool] = mapped_column(Boolean, default=False)
    sync_inventory: Mapped[bool] = mapped_column(Boolean, default=False)
    price_mode: Mapped[str] = mapped_column(String(8), default="percent")  # percent | fixed
    price_adjust: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal(0))
    price_rounding: Mapped[str] = mapped_column(String(8), default="none")  # none | 99 | whole
    currency_rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))  # Etsy → TikTok, seller-entered
    max_price_change_percent: Mapped[int] = mapped_column(Integer, default=50)
    inventory_buffer: Mapped[int] = mapped_column(Integer, default=0)
    inventory_max: Mapped[int | None] = mapped_column(Integer)
    inventory_percent: Mapped[int] = mapped_column(Integer, default=100)
    warehouse_ids: Mapped[list] = mapped_column(JSON, default=list)  # [] = the SKU's own warehouses
    interval_minutes: Mapped[int] = mapped_column(Integer, default=15)
    etsy_high_water: Mapped[int | None] = mapped_column(Integer)  # newest Etsy listing change read
    tiktok_high_water: Mapped[int | None] = mapped_column(Integer)  # newest TikTok product update read
    known_warehouses: Mapped[list] = mapped_column(JSON, default=list)  # [[id, name], ...] sales, not FBT
    fbt_warehouses: Mapped[list] = mapped_column(JSON, default=list)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The last run that read every listing of the Etsy shop (not only those past the high-water mark).
    last_full_read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def anything_on(self) -> bool:
        return self.sync_product_info or self.sync_price or self.sync_inventory


class PushRecord(SellerOwned, db.Model):
    __tablename__ = "product_push_records"
    __table_args__ = (
        UniqueConstraint("sku_pk", "field", "change_key", name="uq_product_push_records_change"),
        Index("ix_product_push_records_seller_state", "seller_id", "state"),
        # The alerts' scan: the rows that reached a state needing the seller since the last scan.
        Index("ix_product_push_records_state_updated", "state", "updated_at"),
    )
    seller_id_indexed = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sku_pk: Mapped[int] = mapped_column(ForeignKey("tiktok_skus.id", ondelete="CASCADE"), index=True)
    tiktok_shop_id: Mapped[int] = mapped_column(ForeignKey("tiktok_shops.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(String(32))
    sku_id: Mapped[str] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(12))
    change_key: Mapped[str] = mapped_column(String(200))
    before: Mapped[str | None] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default=CLAIMED)
    message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_id: Mapped[str | None] = mapped_column(String(64))  # the catalog run (SyncRun) that sent it
    confirmed_by: Mapped[str | None] = mapped_column(String(254))  # who confirmed a held change
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sending_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Every change of the row (ORM flushes and Core UPDATEs alike): what the alerts' scan reads by.
    updated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
