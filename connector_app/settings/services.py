"""Per-seller settings. ``get_settings`` always returns a row (defaults until the seller saves)."""

from __future__ import annotations

from connector_app.extensions import db
from connector_app.settings.models import SellerSettings


def get_settings(seller_id: int) -> SellerSettings:
    settings = db.session.get(SellerSettings, seller_id)
    if settings is None:
        settings = SellerSettings(seller_id=seller_id, restock_on_complete=False, page_size=50)
        db.session.add(settings)
        db.session.flush()
    return settings
