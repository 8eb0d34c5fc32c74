"""Saving what the settings page edits: the seller's preferences and account.

Functions flush; the request commits once.
"""

from __future__ import annotations

from sqlalchemy import delete

from connector_app.accounts.models import LoginFailure, Seller
from connector_app.accounts.preferences import PAGE_SIZES, SellerSettings
from connector_app.connect.models import TikTokShop
from connector_app.extensions import db


def save_returns_settings(
    settings: SellerSettings,
    *,
    restock_on_complete: bool,
    default_shop: TikTokShop | None,
    page_size: int,
) -> SellerSettings:
    if page_size not in PAGE_SIZES:
        raise ValueError(f"unsupported page size {page_size}")
    if default_shop is not None and default_shop.seller_id != settings.seller_id:
        raise ValueError("the default shop must be one of the seller's shops")
    settings.restock_on_complete = restock_on_complete
    settings.default_shop_id = default_shop.id if default_shop else None
    settings.page_size = page_size
    db.session.flush()
    return settings


def save_account_preferences(seller: Seller, *, timezone: str, date_format: str) -> Seller:
    seller.timezone = timezone
    seller.date_format = date_format
    db.session.flush()
    return seller


def delete_account(seller: Seller) -> None:
    """Remove the seller and everything they own (tokens included) — and nothing of anyone else's.

    Every seller-owned table carries ``seller_id``; rows are deleted child tables first so it works
    whether or not the database enforces ON DELETE CASCADE.
    """
    seller_id = seller.id
    for table in reversed(db.metadata.sorted_tables):
        if "seller_id" in table.c and table.name != Seller.__tablename__:
            db.session.execute(delete(table).where(table.c.seller_id == seller_id))
    db.session.execute(delete(LoginFailure).where(LoginFailure.email_key == seller.email_key))
    db.session.delete(seller)
    db.session.flush()
