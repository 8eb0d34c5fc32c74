"""Per-seller preferences (the per-shop sync interval lives on TikTokShop)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, event
from sqlalchemy.orm import Mapped, mapped_column

from connector_app.extensions import db
from connector_app.timeutil import utcnow

PAGE_SIZES = (25, 50, 100, 200)
SYNC_INTERVALS = (0, 5, 15, 60)  # minutes; 0 = automatic sync off


class SellerSettings(db.Model):
    __tablename__ = "seller_settings"

    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True)
    restock_on_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    # When restocking was last switched on, in TikTok's time (unix seconds, like ``update_time``): only
    # returns that complete from then on are restocked, never the shop's history of completed returns.
    restock_after: Mapped[int | None] = mapped_column(BigInteger)
    default_shop_id: Mapped[int | None] = mapped_column(ForeignKey("tiktok_shops.id", ondelete="SET NULL"))
    page_size: Mapped[int] = mapped_column(Integer, default=50)


@event.listens_for(SellerSettings.restock_on_complete, "set", active_history=True)
def _stamp_restock_after(target: SellerSettings, value, oldvalue, initiator) -> None:
    """Switching restocking on (however it is done) starts it from now; switching it off forgets."""
    if value and oldvalue is not True:
        target.restock_after = int(utcnow().timestamp())
    elif not value:
        target.restock_after = None
