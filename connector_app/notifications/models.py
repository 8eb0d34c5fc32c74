"""Alerts: what was decided to tell a seller, how it goes out on each channel, and the seller's choices.

- ``Notification``: one alert, UNIQUE per (seller, kind, subject, deadline, stage). Whoever inserts the
  row first decides that the alert exists; every other process, scan, webhook or retry that reaches
  the same key inserts nothing (``INSERT … ON CONFLICT DO NOTHING``) and sends nothing. It is the
  in-app notification (unless the seller switched the app off for its kind: then it is born read).
- ``Delivery``: one channel's sending of a notification (email now; later a seller webhook or chat),
  UNIQUE per (notification, channel) and created in the same transaction as the notification. Its
  ``state`` is the exactly-once protocol (see ``notifications.delivery``).
- ``AlertSettings``: the seller's thresholds, digest time and per-kind channels (defaults until saved).
- ``DigestSchedule``: when each seller's next daily digest is due.
- ``ScanMark``: how far the scheduled scan has read (one row per scan).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connector_app.extensions import db
from connector_app.returns.models import BigId
from connector_app.tenancy import SellerOwned
from connector_app.timeutil import utcnow

# Delivery states.
PENDING = "pending"  # decided, not sent yet (safe to send)
SENDING = "sending"  # handed to the channel; committed before the hand-off
SENT = "sent"  # the channel accepted it
FAILED = "failed"  # the channel refused or was unreachable: retried at next_attempt_at
UNCONFIRMED = "unconfirmed"  # the sender died during the hand-off: never sent again, shown to the seller
SKIPPED = "skipped"  # not sent, on purpose (address not confirmed, unsubscribed, already answered)
GAVE_UP = "gave_up"  # refused for good, or failed too often
SENDABLE = (PENDING, FAILED)


class Notification(SellerOwned, db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint(
            "seller_id",
            "kind",
            "subject_type",
            "subject_id",
            "deadline",
            "stage",
            name="uq_notifications_key",
        ),
        Index("ix_notifications_seller_newest", "seller_id", "id"),
        # The bell's unread count.
        Index(
            "ix_notifications_unread",
            "seller_id",
            sqlite_where=text("read_at IS NULL"),
            postgresql_where=text("read_at IS NULL"),
        ),
    )
    seller_id_indexed = False  # every index above starts with it

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject_type: Mapped[str] = mapped_column(String(16))  # request | shop | etsy | seller | order | ...
    subject_id: Mapped[str] = mapped_column(String(64))
    deadline: Mapped[int] = mapped_column(BigInteger, default=0)  # unix s the alert is about; 0: none
    stage: Mapped[int] = mapped_column(Integer, default=0)  # deadline alerts: the threshold in hours
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(512), default="")  # a path in this app
    in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="notification", order_by="Delivery.id", viewonly=True
    )

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Delivery(SellerOwned, db.Model):
    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "channel", name="uq_notification_deliveries_channel"),
        Index("ix_notification_deliveries_state_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    message_id: Mapped[str | None] = mapped_column(String(200))  # the channel's id of what it sent
    detail: Mapped[str | None] = mapped_column(Text)  # why it failed, was skipped or is unconfirmed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    notification: Mapped[Notification] = relationship(back_populates="deliveries")


class AlertSettings(db.Model):
    """A seller's alert choices; a seller without a row has the defaults (``preferences``)."""

    __tablename__ = "alert_settings"

    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True)
    thresholds: Mapped[str] = mapped_column(String(64), default="24,4")  # hours before a deadline
    digest_minute: Mapped[int] = mapped_column(Integer, default=8 * 60)  # local time of the daily digest
    channels: Mapped[dict] = mapped_column(JSON, default=dict)  # {kind: {"in_app": bool, "email": mode}}
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DigestSchedule(db.Model):
    """When a seller's next daily digest is due (every seller gets a row from the digest job)."""

    __tablename__ = "alert_digest_schedules"

    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True)
    next_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    last_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # the last digest's moment


class ScanMark(db.Model):
    """How far a scheduled scan has read: the moment up to which it looked, in the app's clock."""

    __tablename__ = "alert_scan_marks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    scanned_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
