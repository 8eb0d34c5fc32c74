from __future__ import annotations

import pytest
import responses

from connector_app.accounts.preferences import settings_for_update
from connector_app.extensions import db
from connector_app.listings.models import EtsyListing, EtsyListingSku, ListingRefresh
from connector_app.timeutil import utcnow
from tests.orders.helpers import LISTING, FakeEtsy


@pytest.fixture
def shop(app, factories, seller):
    """A TikTok shop and an Etsy shop whose listing has SKU-1 (2) and SKU-2 (5); the setting is on."""
    shop = factories.tiktok_shop(seller)
    connection = factories.etsy_connection(seller, etsy_shop_id="777")
    with app.app_context():
        listing = EtsyListing(
            seller_id=seller.id,
            etsy_connection_id=connection.id,
            listing_id=LISTING,
            title="Mug",
            url=f"https://www.etsy.com/listing/{LISTING}",
        )
        listing.skus = [
            EtsyListingSku(seller_id=seller.id, sku="SKU-1", quantity=2),
            EtsyListingSku(seller_id=seller.id, sku="SKU-2", quantity=5),
        ]
        db.session.add_all(
            [
                listing,
                ListingRefresh(seller_id=seller.id, etsy_connection_id=connection.id, refreshed_at=utcnow()),
            ]
        )
        settings = settings_for_update(seller.id)
        settings.stock_follows_sales = True
        db.session.flush()
        settings.stock_follows_sales_after = 1_800_000_000  # orders paid (TikTok's time) after this count
        db.session.commit()
    return shop


@pytest.fixture
def etsy():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeEtsy(rsps, {"SKU-1": 2, "SKU-2": 5}, "777")
