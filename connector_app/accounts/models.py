from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from connector_app.extensions import db
from connector_app.timeutil import utcnow


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class Seller(UserMixin, db.Model):
    """A seller account (one tenant). ``email_key`` is the lower-cased email: unique case-insensitively."""

    __tablename__ = "sellers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Rotated on password change: every other session of this seller is logged out.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    date_format: Mapped[str] = mapped_column(String(32), default="%Y-%m-%d %H:%M")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def get_id(self) -> str:
        return self.session_token

    def __repr__(self) -> str:
        return f"<Seller {self.id}>"


class LoginFailure(db.Model):
    """One failed login; recent failures per email or address throttle further attempts."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_key_created_at", "email_key", "created_at"),
        Index("ix_login_failures_remote_addr_created_at", "remote_addr", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email_key: Mapped[str] = mapped_column(String(254))
    remote_addr: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    seller_id: Mapped[int | None] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"))
