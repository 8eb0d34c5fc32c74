"""The settings page: every setting's effect, validation, password, delete account, access rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from connector_app.accounts.models import Seller
from connector_app.accounts.preferences import SellerSettings
from connector_app.connect.models import EtsyConnection, TikTokAuthorization, TikTokShop
from connector_app.extensions import db
from connector_app.returns.models import ReturnRequest
from connector_app.sync.models import ShopSyncState
from connector_app.timeutil import ensure_aware, utcnow
from tests.fixtures.factories import PASSWORD


def returns_form(shop, **overrides) -> dict:
    data = {f"interval_{shop.id}": "15", "default_shop": "0", "page_size": "50"}
    data.update(overrides)
    return data


def load(app, model, ident):
    with app.app_context():
        row = db.session.get(model, ident)
        if row is not None:
            db.session.expunge(row)
        return row


def test_the_page_explains_each_setting_and_shows_no_listing_sync(logged_in, factories, seller):
    factories.tiktok_shop(seller, name="Harbor")
    page = logged_in.get("/settings").get_data(as_text=True)
    for text in (
        "Automatic sync",
        "Restock Etsy inventory on completed returns",
        "Shop the returns list opens on",
        "Requests per page",
        "Timezone",
        "Date format",
        "Change password",
        "Delete account",
        'id="account"',
        "Connected stores",
    ):
        assert text in page
    assert "price" not in page.lower() and "product sync" not in page.lower()


@pytest.mark.parametrize(("minutes", "rescheduled"), [(5, True), (60, True), (0, False)])
def test_a_changed_sync_interval_reschedules_the_shop(
    app, logged_in, factories, seller, minutes, rescheduled
):
    shop = factories.tiktok_shop(seller, sync_interval_minutes=15, next_sync_at=utcnow() + timedelta(hours=5))
    before = utcnow()

    response = logged_in.post_form(
        "/settings/returns", returns_form(shop, **{f"interval_{shop.id}": str(minutes)})
    )

    assert response.status_code == 302
    saved = load(app, ShopSyncState, shop.id)
    assert saved.sync_interval_minutes == minutes
    if rescheduled:
        delta = ensure_aware(saved.next_sync_at) - before
        assert (
            timedelta(minutes=minutes) - timedelta(seconds=5)
            <= delta
            <= timedelta(minutes=minutes, seconds=5)
        )
    else:
        assert saved.next_sync_at is None


def test_an_unchanged_interval_keeps_the_schedule(app, logged_in, factories, seller):
    when = utcnow() + timedelta(minutes=3)
    shop = factories.tiktok_shop(seller, sync_interval_minutes=15, next_sync_at=when)
    logged_in.post_form("/settings/returns", returns_form(shop))
    assert ensure_aware(load(app, ShopSyncState, shop.id).next_sync_at) == when.replace(
        microsecond=when.microsecond
    )


def test_returns_settings_are_saved_in_place_with_htmx(app, logged_in, factories, seller):
    shop = factories.tiktok_shop(seller)
    data = returns_form(shop, restock_on_complete="y", default_shop=str(shop.id), page_size="100")
    data["csrf_token"] = logged_in.csrf_token()

    response = logged_in.htmx("POST", "/settings/returns", data)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Returns settings saved." in page and "<html" not in page and 'id="returns"' in page
    settings = load(app, SellerSettings, seller.id)
    assert (settings.restock_on_complete, settings.default_shop_id, settings.page_size) == (
        True,
        shop.id,
        100,
    )


@pytest.mark.parametrize(
    "bad",
    [{"page_size": "7"}, {"interval_X": "10"}, {"default_shop": "OTHER"}],
)
def test_invalid_returns_settings_are_refused(app, logged_in, factories, seller, bad):
    shop = factories.tiktok_shop(seller)
    other_shop = factories.tiktok_shop(factories.seller(email="other@example.com"))
    data = returns_form(shop)
    for key, value in bad.items():
        key = key.replace("X", str(shop.id))
        data[key] = str(other_shop.id) if value == "OTHER" else value

    response = logged_in.post_form("/settings/returns", data)

    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert (
        load(app, SellerSettings, seller.id) is None or load(app, SellerSettings, seller.id).page_size == 50
    )
    assert load(app, ShopSyncState, shop.id).sync_interval_minutes == 15


def test_timezone_and_date_format_apply_to_every_page(app, logged_in, seller):
    response = logged_in.post_form(
        "/settings/account", {"timezone": "Asia/Tokyo", "date_format": "%d %b %Y, %H:%M"}
    )
    assert response.status_code == 302
    saved = load(app, Seller, seller.id)
    assert (saved.timezone, saved.date_format) == ("Asia/Tokyo", "%d %b %Y, %H:%M")
    from connector_app.timeutil import localize

    expected = localize(utcnow(), "Asia/Tokyo").strftime("%d %b %Y, %H:")
    assert expected in logged_in.get("/settings").get_data(as_text=True)


@pytest.mark.parametrize(
    "data",
    [
        {"timezone": "Mars/Olympus", "date_format": "%Y-%m-%d %H:%M"},
        {"timezone": "UTC", "date_format": "%s; rm -rf"},
    ],
)
def test_unknown_timezones_and_formats_are_refused(app, logged_in, seller, data):
    response = logged_in.post_form("/settings/account", data)
    assert response.status_code == 400
    assert load(app, Seller, seller.id).timezone == "UTC"


def test_password_change_needs_the_current_password(app, logged_in, auth, seller):
    response = logged_in.post_form(
        "/settings/password",
        {
            "current_password": "wrong one!!",
            "new_password": "a new passphrase",
            "confirm": "a new passphrase",
        },
    )
    assert response.status_code == 400 and "not your current password" in response.get_data(as_text=True)
    assert load(app, Seller, seller.id).password_hash == seller.password_hash


def test_password_change_keeps_this_session_and_ends_the_others(app, logged_in, seller):
    other_device = app.test_client()
    other_device.__class__ = type(logged_in)
    assert other_device.post_form("/login", {"email": seller.email, "password": PASSWORD}).status_code == 302

    response = logged_in.post_form(
        "/settings/password",
        {"current_password": PASSWORD, "new_password": "a new passphrase", "confirm": "a new passphrase"},
    )

    assert response.status_code == 302
    assert logged_in.get("/settings").status_code == 200
    assert other_device.get("/settings").status_code == 302
    fresh = app.test_client()
    fresh.__class__ = type(logged_in)
    assert (
        fresh.post_form("/login", {"email": seller.email, "password": "a new passphrase"}).status_code == 302
    )


def _owned_counts(app, seller_id):
    with app.app_context():
        return {
            model.__name__: db.session.scalar(
                select(func.count()).select_from(model).where(model.seller_id == seller_id)
            )
            for model in (TikTokShop, TikTokAuthorization, EtsyConnection, ReturnRequest, SellerSettings)
        }


def test_delete_account_needs_the_password_and_removes_only_this_sellers_data(
    app, logged_in, factories, seller
):
    mine = factories.tiktok_shop(seller)
    factories.etsy_connection(seller)
    factories.returns(mine, [factories.aftersale()])
    logged_in.post_form("/settings/returns", returns_form(mine, restock_on_complete="y"))
    other = factories.seller(email="other@example.com")
    theirs = factories.tiktok_shop(other)
    factories.etsy_connection(other)
    factories.returns(theirs, [factories.aftersale()])
    other_before = _owned_counts(app, other.id)

    refused = logged_in.post_form("/settings/delete", {"password": "not it at all", "understood": "y"})
    assert refused.status_code == 400 and load(app, Seller, seller.id) is not None
    unticked = logged_in.post_form("/settings/delete", {"password": PASSWORD})
    assert unticked.status_code == 400 and load(app, Seller, seller.id) is not None

    response = logged_in.post_form("/settings/delete", {"password": PASSWORD, "understood": "y"})

    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert load(app, Seller, seller.id) is None
    assert set(_owned_counts(app, seller.id).values()) == {0}
    assert _owned_counts(app, other.id) == other_before
    assert logged_in.get("/settings").status_code == 302


def test_connected_stores_link_to_reconnect_and_disconnect(logged_in, factories, seller):
    shop = factories.tiktok_shop(seller, name="Harbor")
    etsy = factories.etsy_connection(seller, shop_name="HarborOnEtsy")
    page = logged_in.get("/settings").get_data(as_text=True)
    assert "Harbor" in page and "HarborOnEtsy" in page and "Connected" in page
    # Disconnect goes through the one confirmation page (no second, script-only confirm).
    assert f'href="/connect/tiktok/shops/{shop.id}/disconnect"' in page
    assert f'href="/connect/etsy/{etsy.id}/disconnect"' in page


ROUTES = [
    ("GET", "/settings"),
    ("POST", "/settings/returns"),
    ("POST", "/settings/account"),
    ("POST", "/settings/password"),
    ("POST", "/settings/delete"),
]


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_anonymous_is_sent_to_login(client, method, url):
    data = {"csrf_token": client.csrf_token()} if method == "POST" else None
    response = client.open(url, method=method, data=data)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", [u for m, u in ROUTES if m == "POST"])
def test_settings_posts_need_a_csrf_token(app, logged_in, seller, url):
    response = logged_in.post(
        url,
        data={
            "password": PASSWORD,
            "understood": "y",
            "timezone": "Asia/Tokyo",
            "date_format": "%Y-%m-%d %H:%M",
            "page_size": "100",
        },
    )
    assert response.status_code == 400
    assert load(app, Seller, seller.id) is not None and load(app, Seller, seller.id).timezone == "UTC"


def test_another_sellers_shop_cannot_be_configured(app, logged_in, factories, seller):
    theirs = factories.tiktok_shop(factories.seller(email="other@example.com"), sync_interval_minutes=15)
    logged_in.post_form(
        "/settings/returns", {f"interval_{theirs.id}": "0", "default_shop": "0", "page_size": "50"}
    )
    assert load(app, ShopSyncState, theirs.id).sync_interval_minutes == 15
