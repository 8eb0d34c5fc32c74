"""The seller's "Etsy stock follows TikTok sales" setting: off by default, timed from when it is on."""

from connector_app.accounts.preferences import settings_for_update, stock_follows_sales
from connector_app.extensions import db


def test_off_until_switched_on_and_timed_from_then(app, seller):
    with app.app_context():
        assert stock_follows_sales(seller.id) is None
        settings = settings_for_update(seller.id)
        assert stock_follows_sales(seller.id) is None
        settings.stock_follows_sales = True
        db.session.commit()
        since = stock_follows_sales(seller.id)
        assert since is not None and since > 1_700_000_000
        settings = settings_for_update(seller.id)
        settings.stock_follows_sales = False
        db.session.commit()
        assert stock_follows_sales(seller.id) is None
