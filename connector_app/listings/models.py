"""The seller's Etsy listings and their SKUs (a cache refreshed from Etsy), and restock records.

``EtsyListingSku`` is indexed by (seller_id, sku): a TikTok line item's ``seller_sku`` finds its Etsy
listing in one indexed look-up. ``RestockRecord`` is unique per (request, sku): see ``listings.restock``
for the exactly-once protocol its ``state`` implements.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connector_app.extensions import db
from connector_app.returns.models import BigId
from connector_app.tenancy import SellerOwned
from connector_app.timeutil import utcnow

# RestockRecord.state
CLAIMED = "claimed"  # decided, no Etsy write attempted yet: safe to (re)try
SENDING = "sending"  # the inventory PUT may have reached Etsy: verify before doing anything else
DONE = "done"  # Etsy's stock was raised (verified)
CHECK = "check"  # could not confirm whether Etsy applied the write: the seller checks (never guessed)
NO_MATCH = "no_match"  # no Etsy listing carries this SKU (or no Etsy shop connected): manual task
OPEN_STATES = (CLAIMED, SENDING)


class EtsyListing(SellerOwned, db.Model):
    __tablename__ = "etsy_listings"
    __table_args__ = (
        UniqueConstraint("etsy_connection_id", "listing_id", name="uq_etsy_listings_conn_listing"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    etsy_connection_id: Mapped[int] = mapped_column(
        ForeignKey("etsy_connections.id", ondelete="CASCADE"), index=True
    )
    listing_id: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(512), default="")
    state: Mapped[str] = mapped_column(String(16), default="active")
    url: Mapped[str | None] = mapped_column(String(1024))
    quantity: Mapped[int | None] = mapped_column(Integer)
    price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    skus: Mapped[list[EtsyListingSku]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="EtsyListingSku.sku"
    )


class EtsyListingSku(SellerOwned, db.Model):
    __tablename__ = "etsy_listing_skus"
    __table_args__ = (
        UniqueConstraint("listing_pk", "sku", name="uq_etsy_listing_skus_listing_sku"),
        Index("ix_etsy_listing_skus_seller_sku", "seller_id", "sku"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    listing_pk: Mapped[int] = mapped_column(ForeignKey("etsy_listings.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(128))
    quantity: Mapped[int | None] = mapped_column(Integer)  # this SKU's stock on Etsy at the last refresh

    listing: Mapped[EtsyListing] = relationship(back_populates="skus")


class ListingRefresh(SellerOwned, db.Model):
    """When an Etsy shop's listings were last fetched (one row per connection)."""

    __tablename__ = "etsy_listing_refreshes"

    etsy_connection_id: Mapped[int] = mapped_column(
        ForeignKey("etsy_connections.id", ondelete="CASCADE"), primary_key=True
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    listing_count: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class RestockRecord(SellerOwned, db.Model):
    __tablename__ = "restock_records"
    __table_args__ = (UniqueConstraint("request_pk", "sku", name="uq_restock_records_request_sku"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("return_requests.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(128))
    quantity: Mapped[int] = mapped_column(Integer)
    listing_id: Mapped[str | None] = mapped_column(String(32))  # Etsy's listing id
    state: Mapped[str] = mapped_column(String(16), default=CLAIMED)
    stock_before: Mapped[int | None] = mapped_column(Integer)  # read from Etsy just before the write
    stock_target: Mapped[int | None] = mapped_column(Integer)  # what the write sets
    stock_seen: Mapped[int | None] = mapped_column(Integer)  # read back when verifying an interrupted write
    message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sending_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RestockedRequest(SellerOwned, db.Model):
    """A return whose every returned SKU is back in Etsy stock (owned here, not on the request)."""

    __tablename__ = "restocked_requests"
    seller_id_indexed = False  # the primary key is the request; every query names it

    request_pk: Mapped[int] = mapped_column(
        BigId, ForeignKey("return_requests.id", ondelete="CASCADE"), primary_key=True
    )
    restocked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
