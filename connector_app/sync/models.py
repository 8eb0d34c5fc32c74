"""One row per sync job (id = the RQ job id)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connector_app.extensions import db
from connector_app.tenancy import SellerOwned
from connector_app.timeutil import utcnow

QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"
DEAD = "dead"  # the worker died mid-run; the next run resumes from its checkpoint
ACTIVE_STATES = (QUEUED, RUNNING)


class SyncRun(SellerOwned, db.Model):
    __tablename__ = "sync_runs"
    __table_args__ = (
        Index("ix_sync_runs_shop_state", "tiktok_shop_id", "state"),
        UniqueConstraint("active_shop_id", "subject", name="uq_sync_runs_active_shop_subject"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # RQ job id
    tiktok_shop_id: Mapped[int] = mapped_column(ForeignKey("tiktok_shops.id", ondelete="CASCADE"), index=True)
    # What the run reads: "returns" (this feature's), or a subject a feature above registered
    # (sync.subjects: "orders", "catalog" …).
    subject: Mapped[str] = mapped_column(String(16), default="returns", server_default="returns")
    kind: Mapped[str] = mapped_column(String(16))  # full | incremental
    trigger: Mapped[str] = mapped_column(String(16), default="manual")  # manual | schedule | webhook
    state: Mapped[str] = mapped_column(String(16), default=QUEUED)
    # The shop's id while this run is queued or running, NULL afterwards: the unique constraint on
    # (active_shop_id, subject) makes "one active run per shop and subject" hold across every process.
    active_shop_id: Mapped[int | None] = mapped_column(Integer)
    phase: Mapped[str | None] = mapped_column(String(16))  # returns | cancellations (a subject's own phases)
    page_token: Mapped[str | None] = mapped_column(Text)  # checkpoint: next page to fetch in `phase`
    window_start: Mapped[int | None] = mapped_column(Integer)  # update_time_ge used by this run
    phase_high_water: Mapped[int | None] = mapped_column(Integer)  # max update_time seen in `phase`
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    requests_done: Mapped[int] = mapped_column(Integer, default=0)
    total_expected: Mapped[int | None] = mapped_column(Integer)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_count: Mapped[int] = mapped_column(Integer, default=0)
    resumed_from: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)

    # Joined: progress fragments and the history show the shop's name; loaded with the run, never
    # lazily while a template renders.
    shop = relationship("TikTokShop", lazy="joined")

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def percent(self) -> int | None:
        """0-100, or None while the total is not known yet."""
        if self.state == SUCCEEDED:
            return 100
        if not self.total_expected:
            return None
        return max(0, min(99 if self.is_active else 100, self.requests_done * 100 // self.total_expected))


class ShopSyncState(SellerOwned, db.Model):
    """What the sync knows of one TikTok shop: its schedule and how far it has read.

    Created when the shop connects (the sync feature listens for ``shop_connected``); a shop without
    a row reads as the defaults below.
    """

    __tablename__ = "shop_sync_states"
    seller_id_indexed = False  # the primary key is the shop; every query names the shop

    tiktok_shop_id: Mapped[int] = mapped_column(
        ForeignKey("tiktok_shops.id", ondelete="CASCADE"), primary_key=True
    )
    sync_interval_minutes: Mapped[int] = mapped_column(Integer, default=15)  # 0 = automatic sync off
    next_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sync_ok_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    returns_high_water: Mapped[int | None] = mapped_column(Integer)  # max update_time seen (unix s)
    cancellations_high_water: Mapped[int | None] = mapped_column(Integer)

    shop = relationship("TikTokShop")


DEFAULT_INTERVAL_MINUTES = 15
