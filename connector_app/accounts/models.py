from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from connector_app.extensions import db
from connector_app.timeutil import utcnow


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


class Seller(UserMixin, db.Model):
    """A seller account (one tenant). ``email_key`` is the lower-cased email: unique case-insensitively.

    ``sqlite_autoincrement``: SQLite never hands a deleted seller's id to a new account (caches, jobs
    and logs keyed by seller id can never point at someone else).
    """

    __tablename__ = "sellers"
    __table_args__ = {"sqlite_autoincrement": True}

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
    # Set when the seller follows the link emailed at sign-up; no alert email goes out before.
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # The login record this request was authenticated by (set by the user loader and at login).
    login_token = None  # str | None; a plain attribute, not a column

    def get_id(self) -> str:
        """What the session cookie and the remember cookie carry: account generation + login record."""
        return f"{self.session_token}:{self.login_token or ''}"

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    def __repr__(self) -> str:
        return f"<Seller {self.id}>"


class LoginSession(db.Model):
    """One login on one device. Its random token is in the session and remember cookies; a cookie whose
    record is gone (logout, "log out other devices", password change, expiry) is no longer a login."""

    __tablename__ = "login_sessions"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_login_token)
    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), index=True)
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
