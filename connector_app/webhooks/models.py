"""One row per received webhook delivery."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from connector_app.extensions import db
from connector_app.timeutil import utcnow


class WebhookEvent(db.Model):
    """A webhook delivery from TikTok. ``notification_id`` is unique: duplicates are ignored."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[str] = mapped_column(String(128), unique=True)
    # Named ``event_type`` in Python: an attribute called ``type`` would shadow the builtin while
    # SQLAlchemy evaluates this class's annotations. The column keeps TikTok's name.
    event_type: Mapped[int] = mapped_column("type", Integer)
    shop_id: Mapped[str | None] = mapped_column(String(64), index=True)  # TikTok's shop id
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(Text)
