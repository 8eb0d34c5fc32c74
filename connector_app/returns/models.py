"""Return, refund, replacement and cancellation requests as synced from TikTok Shop.

Keyed by marketplace ids (strings); every row carries ``seller_id``. Times from TikTok are unix seconds.
``tab`` is derived from ``status`` through ``returns.tabs`` and stored so tab queries use an index;
``ReturnTabCount`` keeps per-shop counts so a page view never counts all of a seller's rows.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connector_app.extensions import db
from connector_app.tenancy import SellerOwned
from connector_app.timeutil import utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")  # SQLite only auto-increments INTEGER keys
Money = Numeric(14, 2)

# Sort keys of the nullable columns, as SQL the expression indexes below repeat verbatim: requests without
# a deadline sort after every real deadline, requests without an amount sort as zero.
NO_DEADLINE = 4611686018427387904  # 2**62
DEADLINE_SORT_SQL = f"coalesce(respond_by, {NO_DEADLINE})"
AMOUNT_SORT_SQL = "coalesce(refund_total, 0)"
# Amounts are only compared within a currency: the amount sort orders by currency, then amount.
CURRENCY_SORT_SQL = "coalesce(currency, '')"
# The "Needs your answer" view reads a partial index of the requests waiting on the seller. The
# predicate is written as each database's planner matches it against the query's (see queries.NEEDS).
NEEDS_WHERE_SQLITE = "needs_action = 1"
NEEDS_WHERE_POSTGRESQL = "needs_action"

KIND_RETURN = "return"
KIND_CANCELLATION = "cancellation"


class ReturnRequest(SellerOwned, db.Model):
    __tablename__ = "return_requests"
    __table_args__ = (
        UniqueConstraint("tiktok_shop_id", "kind", "request_id", name="uq_return_requests_shop_kind_id"),
        # The sync's per-page lookup by request id. (Search matches order ids too, but in an OR with a
        # substring match that no b-tree serves, so an order-id index would only slow every write.)
        Index("ix_return_requests_seller_request", "seller_id", "request_id"),
        Index("ix_return_requests_seller_tab_update", "seller_id", "tab", "update_time", "id"),
        Index("ix_return_requests_seller_update", "seller_id", "update_time", "id"),
        Index("ix_return_requests_seller_tab_create", "seller_id", "tab", "create_time", "id"),
        Index("ix_return_requests_seller_create", "seller_id", "create_time", "id"),
        # Grid sorts by deadline and amount (keyset on the sort key, then id), with and without a tab.
        Index("ix_return_requests_seller_deadline", "seller_id", text(DEADLINE_SORT_SQL), "id"),
        Index("ix_return_requests_seller_tab_deadline", "seller_id", "tab", text(DEADLINE_SORT_SQL), "id"),
        Index(
            "ix_return_requests_seller_currency_amount",
            "seller_id",
            text(CURRENCY_SORT_SQL),
            text(AMOUNT_SORT_SQL),
            "id",
        ),
        Index(
            "ix_return_requests_seller_tab_currency_amount",
            "seller_id",
            "tab",
            text(CURRENCY_SORT_SQL),
            text(AMOUNT_SORT_SQL),
            "id",
        ),
        # "Needs your answer": only the requests waiting on the seller, by deadline.
        Index(
            "ix_return_requests_seller_needs_deadline",
            "seller_id",
            text(DEADLINE_SORT_SQL),
            "id",
            sqlite_where=text(NEEDS_WHERE_SQLITE),
            postgresql_where=text(NEEDS_WHERE_POSTGRESQL),
        ),
        # The live-refresh marker (latest synced_at of a seller) and the reason filter's options.
        Index("ix_return_requests_seller_synced", "seller_id", "synced_at"),
        Index("ix_return_requests_seller_reason", "seller_id", "reason"),
    )
    seller_id_indexed = False  # every index above starts with it

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Indexed as the first column of uq_return_requests_shop_kind_id.
    tiktok_shop_id: Mapped[int] = mapped_column(ForeignKey("tiktok_shops.id", ondelete="CASCADE"))
    request_id: Mapped[str] = mapped_column(String(64))  # return_id or cancel_id
    kind: Mapped[str] = mapped_column(String(16))  # "return" | "cancellation"
    request_type: Mapped[str] = mapped_column(
        String(32)
    )  # REFUND | RETURN_AND_REFUND | REPLACEMENT | CANCEL ...
    order_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(64))
    tab: Mapped[str] = mapped_column(String(32))
    arbitration_status: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(255))
    reason_text: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str | None] = mapped_column(String(3))
    refund_total: Mapped[Decimal | None] = mapped_column(Money)
    refund_subtotal: Mapped[Decimal | None] = mapped_column(Money)
    refund_shipping: Mapped[Decimal | None] = mapped_column(Money)
    refund_tax: Mapped[Decimal | None] = mapped_column(Money)
    shipment_type: Mapped[str | None] = mapped_column(String(32))
    tracking_number: Mapped[str | None] = mapped_column(String(128))
    carrier: Mapped[str | None] = mapped_column(String(128))
    can_buyer_keep_item: Mapped[bool | None] = mapped_column(Boolean)
    next_action: Mapped[str | None] = mapped_column(String(64))  # what TikTok waits on the seller for
    respond_by: Mapped[int | None] = mapped_column(BigInteger)  # unix s deadline of next_action
    needs_action: Mapped[bool] = mapped_column(Boolean, default=False)
    create_time: Mapped[int] = mapped_column(BigInteger)
    update_time: Mapped[int] = mapped_column(BigInteger)
    search_text: Mapped[str] = mapped_column(Text, default="")  # folded ids, tracking, SKUs (search.py)
    fingerprint: Mapped[str | None] = mapped_column(String(40))  # digest of the stored content
    first_synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    line_items: Mapped[list[ReturnLineItem]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="ReturnLineItem.id"
    )
    shop = relationship("TikTokShop")


class ReturnLineItem(SellerOwned, db.Model):
    __tablename__ = "return_line_items"
    __table_args__ = (
        UniqueConstraint("request_pk", "line_item_id", name="uq_return_line_items_request_line"),
        Index("ix_return_line_items_seller_sku", "seller_id", "seller_sku"),
    )
    seller_id_indexed = False  # ix_return_line_items_seller_sku starts with it

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Indexed as the first column of uq_return_line_items_request_line.
    request_pk: Mapped[int] = mapped_column(ForeignKey("return_requests.id", ondelete="CASCADE"))
    line_item_id: Mapped[str] = mapped_column(String(64))
    order_line_item_id: Mapped[str | None] = mapped_column(String(64))
    sku_id: Mapped[str | None] = mapped_column(String(64))
    seller_sku: Mapped[str | None] = mapped_column(String(128))
    sku_name: Mapped[str | None] = mapped_column(String(255))
    product_name: Mapped[str | None] = mapped_column(String(512))
    image_url: Mapped[str | None] = mapped_column(String(1024))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    refund_total: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))

    request: Mapped[ReturnRequest] = relationship(back_populates="line_items")


class ReturnStatusChange(SellerOwned, db.Model):
    """A status change the app observed (sync, webhook or the seller's own action)."""

    __tablename__ = "return_status_changes"
    __table_args__ = (Index("ix_return_status_changes_seller_id_id", "seller_id", "id"),)
    seller_id_indexed = False  # ix_return_status_changes_seller_id_id starts with it

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("return_requests.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(64))
    to_status: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16))  # sync | webhook | action
    marketplace_time: Mapped[int | None] = mapped_column(BigInteger)  # TikTok's update_time
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# How a seller turn ended (``SellerTurn.outcome``).
ANSWERED_HERE = "answered_here"  # a decision sent through this app succeeded
CHANGED_ELSEWHERE = "changed_elsewhere"  # moved on before the deadline: answered on TikTok, or withdrawn
DECIDED_BY_TIKTOK = "decided_by_tiktok"  # moved on after the deadline with no answer from the seller
TURN_OUTCOMES = (ANSWERED_HERE, CHANGED_ELSEWHERE, DECIDED_BY_TIKTOK)


class SellerTurn(SellerOwned, db.Model):
    """One period in which a request waited on the seller (a ``SELLER_RESPOND_*`` next action).

    Written only by ``returns.turns`` (called by ``upsert_requests`` and by the action path when a
    decision succeeds); read by features above returns (alerts, insights), which returns never imports.

    Times named ``*_at`` as integers are TikTok's (unix seconds): ``started_at`` is the ``update_time``
    of the first snapshot in which the request waited, ``ended_at`` that of the snapshot in which it no
    longer did (or waited for another action). ``first_deadline`` is ``respond_by`` when the turn
    began, ``deadline`` the one in force now (TikTok may move it) or when it ended. The datetimes are
    the app's own clock: when the turn was recorded, closed, answered through the app, and last
    changed in any way (``updated_at``: readers catch up on what changed since they last looked).
    A request has at most one open turn (``ended_at IS NULL``).
    """

    __tablename__ = "seller_turns"
    __table_args__ = (
        # At most one open turn per request (also how a write finds it).
        Index(
            "uq_seller_turns_open_request",
            "request_pk",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        # Every turn of a request (history, and the cascade when a request is deleted).
        Index("ix_seller_turns_request", "request_pk", "id"),
        # "What is waiting and due soon", across all sellers: a range of open turns by deadline.
        Index(
            "ix_seller_turns_open_deadline",
            "deadline",
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        # One seller's waiting requests by deadline (digests, lists).
        Index(
            "ix_seller_turns_open_seller_deadline",
            "seller_id",
            "deadline",
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        # Per-seller aggregation by week (of the start).
        Index("ix_seller_turns_seller_started", "seller_id", "started_at"),
        # What changed since a reader last looked (opened, deadline moved, ended, answered).
        Index("ix_seller_turns_updated", "updated_at"),
    )
    seller_id_indexed = False  # ix_seller_turns_seller_started starts with it

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_pk: Mapped[int] = mapped_column(ForeignKey("return_requests.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(64))  # the SELLER_RESPOND_* action waited for
    start_status: Mapped[str] = mapped_column(String(64))  # the request's status when the turn began
    started_at: Mapped[int] = mapped_column(BigInteger)
    first_deadline: Mapped[int | None] = mapped_column(BigInteger)
    deadline: Mapped[int | None] = mapped_column(BigInteger)
    ended_at: Mapped[int | None] = mapped_column(BigInteger)
    outcome: Mapped[str | None] = mapped_column(String(24))  # one of TURN_OUTCOMES once ended
    end_status: Mapped[str | None] = mapped_column(String(64))  # the status the request moved to
    # The refund at stake when the turn ended (for DECIDED_BY_TIKTOK: what TikTok's decision cost).
    currency: Mapped[str | None] = mapped_column(String(3))
    refund_total: Mapped[Decimal | None] = mapped_column(Money)
    answer: Mapped[str | None] = mapped_column(String(40))  # the decision sent through this app
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_by: Mapped[str] = mapped_column(String(16))  # sync | webhook | action
    closed_by: Mapped[str | None] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closed_recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    request = relationship("ReturnRequest")

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


class ReturnTabCount(SellerOwned, db.Model):
    """A shop's requests in one tab and currency: how many, their refunds (in cents), and how many of them
    wait for the seller's answer (with their refunds). Kept in step by ``returns.services`` upserts, so
    the grid's counts, refund totals and "Needs your answer" count are one read of a few rows per shop.
    ``currency`` is "" for requests without a refund amount.
    """

    __tablename__ = "return_tab_counts"

    tiktok_shop_id: Mapped[int] = mapped_column(
        ForeignKey("tiktok_shops.id", ondelete="CASCADE"), primary_key=True
    )
    tab: Mapped[str] = mapped_column(String(32), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True, default="")
    count: Mapped[int] = mapped_column(Integer, default=0)
    refund_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    needs_count: Mapped[int] = mapped_column(Integer, default=0)
    needs_refund_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class ReturnReason(SellerOwned, db.Model):
    """A return reason the seller's requests use (the reason filter's options), written with the requests."""

    __tablename__ = "return_reasons"
    __table_args__ = (UniqueConstraint("seller_id", "reason", name="uq_return_reasons_seller_reason"),)
    seller_id_indexed = False  # the unique constraint starts with it

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reason: Mapped[str] = mapped_column(String(255))
    reason_text: Mapped[str | None] = mapped_column(Text)
