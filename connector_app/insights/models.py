"""Insights' summary tables: what the page reads instead of the requests themselves.

Each table holds one seller's figures per shop and per UTC week (stored as the unix day number of its
Monday) or slice of a week, with additive measures only: counts, and money as integer hundredths of the
stored amount (exact in every database, and never added across currencies). Every primary key starts
with ``(seller_id, first_day|week)``, and on SQLite the tables are clustered on it (``WITHOUT ROWID``), so a
period of a seller is one contiguous range of one index.

Products are the one dimension that grows with the seller (every SKU, every week), so the page does
not add up their weeks: ``InsightSkuRunning`` keeps, for every product and every week, the running
total through that week, and a period's figures are the difference of two weeks' rows — two rows per
product, whatever the period and however many requests.

All of it is derived data, written only by ``insights.summaries``: a week's rows are recomputed from
the requests and seller turns of that week whenever something in it changed (``InsightState``
remembers how far the seller's changes have been read), and ``flask insights rebuild`` recomputes
them all.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from connector_app.extensions import db
from connector_app.tenancy import SellerOwned


def _shop() -> Mapped[int]:
    return mapped_column(ForeignKey("tiktok_shops.id", ondelete="CASCADE"))


def _keys(table: str, *columns: str) -> tuple:
    """Primary key ``(seller_id, *columns)``, clustered on SQLite; the shop gets an index of its own
    (deleting a shop cascades here)."""
    return (
        PrimaryKeyConstraint("seller_id", *columns, name=f"pk_{table}"),
        Index(f"ix_{table}_shop", "tiktok_shop_id"),
        {"sqlite_with_rowid": False},
    )


class InsightSlice(SellerOwned, db.Model):
    """Requests opened in one slice of time, by type and currency: how many, how many refunded, how much.

    A slice is a week, or the part of a week in one calendar month (a week that spans two months has
    two slices), so both the weekly and the monthly series add up whole slices.
    """

    __tablename__ = "insight_slices"
    __table_args__ = _keys(__tablename__, "first_day", "request_type", "currency", "tiktok_shop_id")
    seller_id_indexed = False  # the primary key starts with it

    first_day: Mapped[int] = mapped_column(Integer)  # unix day number (UTC): a Monday or a 1st
    request_type: Mapped[str] = mapped_column(String(24))  # insights.reasons.TYPES key
    currency: Mapped[str] = mapped_column(String(3))  # "" when TikTok gave none
    tiktok_shop_id: Mapped[int] = _shop()
    requests: Mapped[int] = mapped_column(Integer, default=0)
    refunded: Mapped[int] = mapped_column(Integer, default=0)  # requests in a refunded status
    refund_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # their refund_total x 100


class InsightReasonWeek(SellerOwned, db.Model):
    """Requests opened in one week, by TikTok reason key and currency."""

    __tablename__ = "insight_reason_weeks"
    __table_args__ = _keys(__tablename__, "week", "reason", "currency", "tiktok_shop_id")
    seller_id_indexed = False

    week: Mapped[int] = mapped_column(Integer)  # unix day number of the Monday (UTC)
    reason: Mapped[str] = mapped_column(String(255))  # "" when TikTok gave none
    currency: Mapped[str] = mapped_column(String(3))
    tiktok_shop_id: Mapped[int] = _shop()
    reason_text: Mapped[str | None] = mapped_column(Text)  # TikTok's wording, for keys we do not know
    requests: Mapped[int] = mapped_column(Integer, default=0)
    refunded: Mapped[int] = mapped_column(Integer, default=0)
    refund_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class _SkuMeasures:
    """Requests that named a SKU (seller_sku of a line item), split by who was at fault."""

    week: Mapped[int] = mapped_column(Integer)
    tiktok_shop_id: Mapped[int] = _shop()
    sku: Mapped[str] = mapped_column(String(128))  # "" when the item had none
    currency: Mapped[str] = mapped_column(String(3))  # the request's currency
    product_name: Mapped[str | None] = mapped_column(String(512))
    requests: Mapped[int] = mapped_column(Integer, default=0)  # requests with this SKU among their items
    units: Mapped[int] = mapped_column(Integer, default=0)  # units of this SKU in them
    seller_fault: Mapped[int] = mapped_column(Integer, default=0)  # of ``requests``, by reason class
    buyer_fault: Mapped[int] = mapped_column(Integer, default=0)
    other_fault: Mapped[int] = mapped_column(Integer, default=0)
    refunded: Mapped[int] = mapped_column(Integer, default=0)
    refund_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # refunded line amounts x 100


SKU_MEASURES = ("requests", "units", "seller_fault", "buyer_fault", "other_fault", "refunded", "refund_cents")


class InsightSkuWeek(_SkuMeasures, SellerOwned, db.Model):
    """Requests opened in one week, per product (SKU)."""

    __tablename__ = "insight_sku_weeks"
    __table_args__ = _keys(__tablename__, "week", "tiktok_shop_id", "sku", "currency")
    seller_id_indexed = False


class InsightSkuRunning(_SkuMeasures, SellerOwned, db.Model):
    """Per product, the running total of ``InsightSkuWeek`` from the product's first week through
    ``week``: a row for every week from then to ``InsightState.sku_running_through``, so the figures of
    weeks [a, b] are the row of b minus the row of the week before a."""

    __tablename__ = "insight_sku_running"
    __table_args__ = _keys(__tablename__, "week", "tiktok_shop_id", "sku", "currency")
    seller_id_indexed = False


class InsightTurnWeek(SellerOwned, db.Model):
    """How the seller's turns that began in one week ended (``returns.SellerTurn``), by currency."""

    __tablename__ = "insight_turn_weeks"
    __table_args__ = _keys(__tablename__, "week", "currency", "tiktok_shop_id")
    seller_id_indexed = False

    week: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))  # of the refund at stake
    tiktok_shop_id: Mapped[int] = _shop()
    on_time: Mapped[int] = mapped_column(Integer, default=0)  # answered by the deadline
    late: Mapped[int] = mapped_column(Integer, default=0)  # answered after it, before TikTok acted
    decided: Mapped[int] = mapped_column(Integer, default=0)  # decided by TikTok after the deadline
    withdrawn: Mapped[int] = mapped_column(Integer, default=0)  # the buyer withdrew: nothing to answer
    waiting: Mapped[int] = mapped_column(Integer, default=0)  # still waiting on the seller
    decided_refund_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # at stake when TikTok decided
    # How long the answers took: {range index (counting.ANSWER_BOUNDS): answers}, keys as strings.
    answer_times: Mapped[dict] = mapped_column(JSON, default=dict)


class InsightState(SellerOwned, db.Model):
    """How far a seller's changes have been read into the summaries.

    The next refresh reads requests whose ``synced_at`` and turns whose ``updated_at`` are later than
    these marks. A mark is set a safety margin behind the refresh's own start, so a write whose
    transaction was still open while the refresh read is read by the next one.
    """

    __tablename__ = "insight_states"

    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True)
    requests_through: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    turns_through: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # last refresh began
    rebuilt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # last full rebuild
    sku_running_through: Mapped[int | None] = mapped_column(Integer)  # last week of InsightSkuRunning


SUMMARY_MODELS = (InsightSlice, InsightReasonWeek, InsightSkuWeek, InsightSkuRunning, InsightTurnWeek)
WEEKLY_MODELS = (InsightReasonWeek, InsightSkuWeek, InsightTurnWeek)  # recomputed week by week
