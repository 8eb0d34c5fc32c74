"""Store connections. Tokens are encrypted at rest (EncryptedString) and carry absolute expiry times.

A marketplace shop can be connected by one seller account only (unique marketplace ids). Disconnect
clears the tokens but keeps the row, so the synced history stays and reconnecting re-links it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from connector_app.crypto import EncryptedString
from connector_app.extensions import db
from connector_app.tenancy import SellerOwned
from connector_app.timeutil import utcnow

# Connection states shown on the guide and in the banner.
CONNECTED = "connected"
NEEDS_RECONNECT = "needs_reconnect"
DISCONNECTED = "disconnected"


class TokenFields:
    access_token: Mapped[str | None] = mapped_column(EncryptedString)
    refresh_token: Mapped[str | None] = mapped_column(EncryptedString)
    access_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default=CONNECTED)
    status_reason: Mapped[str | None] = mapped_column(Text)
    connected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_connected(self) -> bool:
        return self.status == CONNECTED


class EtsyConnection(SellerOwned, TokenFields, db.Model):
    __tablename__ = "etsy_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    etsy_user_id: Mapped[str] = mapped_column(String(32))
    etsy_shop_id: Mapped[str] = mapped_column(String(32), unique=True)
    shop_name: Mapped[str] = mapped_column(String(255))
    currency: Mapped[str | None] = mapped_column(String(3))
    shop_url: Mapped[str | None] = mapped_column(String(512))
    scopes: Mapped[str | None] = mapped_column(String(255))


class TikTokAuthorization(SellerOwned, TokenFields, db.Model):
    """One TikTok Shop seller authorization; its tokens serve all of its shops."""

    __tablename__ = "tiktok_authorizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    open_id: Mapped[str] = mapped_column(String(128), unique=True)
    seller_name: Mapped[str | None] = mapped_column(String(255))
    seller_base_region: Mapped[str | None] = mapped_column(String(8))
    region_group: Mapped[str] = mapped_column(String(3), default="ROW")  # "US" or "ROW" authorize host
    granted_scopes: Mapped[str | None] = mapped_column(Text)

    shops: Mapped[list[TikTokShop]] = relationship(back_populates="authorization")


class TikTokShop(SellerOwned, db.Model):
    """A connected TikTok Shop. ``shop_id`` is TikTok's id (used by webhooks); ``cipher`` goes on calls."""

    __tablename__ = "tiktok_shops"
    __table_args__ = (UniqueConstraint("shop_id", name="uq_tiktok_shops_shop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    authorization_id: Mapped[int | None] = mapped_column(
        ForeignKey("tiktok_authorizations.id", ondelete="SET NULL"), index=True
    )
    shop_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    region: Mapped[str] = mapped_column(String(8))
    seller_type: Mapped[str | None] = mapped_column(String(32))
    cipher: Mapped[str] = mapped_column(String(255))
    code: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=CONNECTED)
    status_reason: Mapped[str | None] = mapped_column(Text)
    connected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    authorization: Mapped[TikTokAuthorization | None] = relationship(back_populates="shops")

    @property
    def is_connected(self) -> bool:
        return self.status == CONNECTED and (
            self.authorization is not None and self.authorization.status == CONNECTED
        )

    @property
    def label(self) -> str:
        return f"{self.name} ({self.region})"
