"""Per-seller preferences (the per-shop sync interval lives on TikTokShop)."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from connector_app.extensions import db

PAGE_SIZES = (25, 50, 100, 200)
SYNC_INTERVALS = (0, 5, 15, 60)  # minutes; 0 = automatic sync off


class SellerSettings(db.Model):
    __tablename__ = "seller_settings"

    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True)
    restock_on_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    default_shop_id: Mapped[int | None] = mapped_column(ForeignKey("tiktok_shops.id", ondelete="SET NULL"))
    page_size: Mapped[int] = mapped_column(Integer, default=50)
