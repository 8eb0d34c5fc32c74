"""A seller's preferences: restocking, the grid's default shop and page size.

They belong to the seller's account, below every feature that reads them (returns, listings) and the
settings page that edits them. ``get_settings`` never writes (a page view reads defaults until the
seller saves); writers use ``settings_for_update``. The per-shop sync interval is the sync feature's.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, bindparam, event, select
from sqlalchemy.orm import Mapped, mapped_column

from connector_app.extensions import db
from connector_app.timeutil import utcnow

PAGE_SIZES = (25, 50, 100, 200)


class SellerSettings(db.Model):
    __tablename__ = "seller_settings"

    seller_id: Mapped[int] = mapped_column(ForeignKey("sellers.id", ondelete="CASCADE"), primary_key=True)
    restock_on_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    # When restocking was last switched on, in TikTok's time (unix seconds, like ``update_time``): only
    # returns that complete from then on are restocked, never the shop's history of completed returns.
    restock_after: Mapped[int | None] = mapped_column(BigInteger)
    default_shop_id: Mapped[int | None] = mapped_column(ForeignKey("tiktok_shops.id", ondelete="SET NULL"))
    page_size: Mapped[int] = mapped_column(Integer, default=50)
    # "Etsy stock follows TikTok sales": a paid seller-fulfilled TikTok order reduces Etsy's stock (the
    # orders feature) — off until the seller confirms it; catalog inventory sync requires it. Like
    # restocking, it starts from the moment it is switched on (TikTok's time, unix seconds): orders
    # paid before never touch Etsy.
    stock_follows_sales: Mapped[bool] = mapped_column(Boolean, default=False)
    stock_follows_sales_after: Mapped[int | None] = mapped_column(BigInteger)


@event.listens_for(SellerSettings.restock_on_complete, "set", active_history=True)
def _stamp_restock_after(target: SellerSettings, value, oldvalue, initiator) -> None:
    """Switching restocking on (however it is done) starts it from now; switching it off forgets."""
    if value and oldvalue is not True:
        target.restock_after = int(utcnow().timestamp())
    elif not value:
        target.restock_after = None


@event.listens_for(SellerSettings.stock_follows_sales, "set", active_history=True)
def _stamp_stock_follows_sales_after(target: SellerSettings, value, oldvalue, initiator) -> None:
    if value and oldvalue is not True:
        target.stock_follows_sales_after = int(utcnow().timestamp())
    elif not value:
        target.stock_follows_sales_after = None


_STOCK_FOLLOWS_SALES = select(
    SellerSettings.__table__.c.stock_follows_sales, SellerSettings.__table__.c.stock_follows_sales_after
).where(SellerSettings.__table__.c.seller_id == bindparam("seller_id"))


def stock_follows_sales(seller_id: int) -> int | None:
    """When Etsy's stock started following TikTok sales (unix seconds), or None while it is off.

    Orders reduce Etsy stock only for orders paid from then on; the catalog's inventory sync may be
    switched on only while this answers a time.
    """
    row = db.session.execute(_STOCK_FOLLOWS_SALES, {"seller_id": seller_id}).first()
    if row is None or not row.stock_follows_sales:
        return None
    return row.stock_follows_sales_after


def get_settings(seller_id: int) -> SellerSettings:
    """The seller's settings, or unsaved defaults (nothing is added to the session)."""
    return db.session.get(SellerSettings, seller_id) or SellerSettings(
        seller_id=seller_id, restock_on_complete=False, page_size=50
    )


_GRID_PREFERENCES = select(
    SellerSettings.__table__.c.default_shop_id, SellerSettings.__table__.c.page_size
).where(
    SellerSettings.__table__.c.seller_id == bindparam("seller_id")
)  # built once: every returns page reads it


def grid_preferences(seller_id: int) -> tuple[int | None, int]:
    """(default shop id, page size) of the returns grid: one small read, no ORM object."""
    row = db.session.execute(_GRID_PREFERENCES, {"seller_id": seller_id}).first()
    return (row.default_shop_id, row.page_size) if row is not None else (None, 50)


def settings_for_update(seller_id: int) -> SellerSettings:
    """The seller's stored settings row, created with the defaults if missing. Flushes."""
    settings = db.session.get(SellerSettings, seller_id)
    if settings is None:
        settings = SellerSettings(seller_id=seller_id, restock_on_complete=False, page_size=50)
        db.session.add(settings)
        db.session.flush()
    return settings
