"""The guide's steps and states, disconnecting (confirmed, history kept), the banner on every page,
the webhook-facing services, and access control on every route."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from connector_app.connect import services
from connector_app.connect.models import (
    DISCONNECTED,
    NEEDS_RECONNECT,
    EtsyConnection,
    TikTokAuthorization,
    TikTokShop,
)
from connector_app.extensions import db
from connector_app.returns.models import ReturnRequest
from connector_app.sync.models import FAILED, SUCCEEDED, ShopSyncState, SyncRun
from connector_app.timeutil import utcnow
from tests.connect.helpers import guide_text


def _current_step(page: str) -> str:
    return page.split('aria-current="step"')[0].rsplit('id="step-', 1)[1].split('"')[0]


def test_new_seller_is_sent_to_the_guide_at_step_two(logged_in):
    response = logged_in.get("/")
    assert response.headers["Location"].endswith("/connect")
    page = guide_text(logged_in.get("/connect"))
    assert _current_step(page) == "etsy"
    assert "Signed in as seller@example.com" in page
    assert page.count("Not started") == 2 and "Waiting" in page


def test_step_three_then_four_become_current(logged_in, seller, factories):
    factories.etsy_connection(seller, shop_name="Harbor & Pine")
    page = guide_text(logged_in.get("/connect"))
    assert _current_step(page) == "tiktok"
    assert "Connected as <strong>Harbor &amp; Pine</strong>" in page

    factories.tiktok_shop(seller, name="Pine GB", region="GB")
    page = guide_text(logged_in.get("/connect"))
    assert _current_step(page) == "sync"
    assert 'action="/sync"' in page and "Start the first sync" in page
    assert logged_in.get("/").headers["Location"].endswith("/returns")


def test_first_sync_state_comes_from_sync_runs(app, logged_in, seller, factories):
    factories.etsy_connection(seller)
    shop = factories.tiktok_shop(seller, name="Pine GB", region="GB")
    with app.app_context():
        db.session.add(
            SyncRun(
                id="run-1",
                seller_id=seller.id,
                tiktok_shop_id=shop.id,
                kind="full",
                state=FAILED,
                error="TikTok Shop could not be reached.",
                created_at=utcnow() - timedelta(hours=1),
            )
        )
        db.session.commit()
    page = guide_text(logged_in.get("/connect"))
    assert "the last sync failed. TikTok Shop could not be reached." in page and "Try the sync again" in page
    with app.app_context():
        db.session.add(
            SyncRun(
                id="run-2",
                seller_id=seller.id,
                tiktok_shop_id=shop.id,
                kind="incremental",
                state=SUCCEEDED,
                finished_at=utcnow(),
            )
        )
        db.session.commit()
    page = guide_text(logged_in.get("/connect"))
    assert "last synced" in page and 'aria-current="step"' not in page
    assert "Both stores are connected" in page


def test_needs_reconnecting_shows_on_the_guide_and_every_page(logged_in, seller, factories):
    factories.etsy_connection(
        seller,
        shop_name="Harbor",
        status=NEEDS_RECONNECT,
        status_reason="Etsy no longer authorizes this connection (refresh_token is revoked).",
    )
    page = guide_text(logged_in.get("/connect"))
    assert _current_step(page) == "etsy" and "Needs reconnecting" in page
    for url in ("/settings", "/returns"):
        page = guide_text(logged_in.get(url))
        assert "Your Etsy shop Harbor needs reconnecting. Etsy no longer authorizes" in page
        assert 'href="/connect/etsy" role="button"' in page


def test_deauthorized_shop_needs_reconnecting(app, logged_in, seller, factories):
    shop = factories.tiktok_shop(seller, name="Pine GB", region="GB")
    with app.app_context():
        services.mark_shop_deauthorized(shop.shop_id, "The seller removed the app.")
        db.session.commit()
        assert services.mark_shop_deauthorized("unknown-shop", "x") is None
    page = guide_text(logged_in.get("/settings"))
    assert "Your TikTok Shop Pine GB (GB) needs reconnecting." in page
    assert "access was removed (The seller removed the app)" in page
    assert 'href="/connect/tiktok?region=GB"' in page


def test_authorization_expiring_warns_with_its_date(app, logged_in, seller, factories):
    shop = factories.tiktok_shop(seller, name="Pine GB", region="GB")
    ends = utcnow() + timedelta(days=20)
    with app.app_context():
        services.note_authorization_expiring(shop.shop_id, int(ends.timestamp()))
        db.session.commit()
    page = guide_text(logged_in.get("/settings"))
    assert "authorization for Pine GB (GB) is about to end" in page
    assert f"It ends on {ends.strftime('%Y-%m-%d')}" in page


# -- disconnect -------------------------------------------------------------------------------------


def test_disconnect_etsy_asks_first_then_forgets_the_tokens(app, logged_in, seller, factories):
    connection = factories.etsy_connection(seller, shop_name="Harbor")
    url = f"/connect/etsy/{connection.id}/disconnect"
    page = guide_text(logged_in.get(url))
    assert "Disconnect your Etsy shop Harbor?" in page and "Yes, disconnect" in page
    # a form that skipped the confirmation step (e.g. without JavaScript) lands on it
    page = guide_text(logged_in.post_form(url))
    assert "Disconnect your Etsy shop Harbor?" in page
    with app.app_context():
        assert db.session.get(EtsyConnection, connection.id).status != DISCONNECTED

    response = logged_in.post_form(url, {"confirm": "yes"}, follow_redirects=True)
    assert "Disconnected your Etsy shop Harbor." in guide_text(response)
    with app.app_context():
        row = db.session.get(EtsyConnection, connection.id)
        assert (row.status, row.access_token, row.refresh_token) == (DISCONNECTED, None, None)


def test_disconnect_tiktok_shop_keeps_its_history(app, logged_in, seller, factories):
    shop = factories.tiktok_shop(seller, name="Pine GB", region="GB")
    factories.returns(shop, [factories.aftersale()])
    response = logged_in.post_form(
        f"/connect/tiktok/shops/{shop.id}/disconnect", {"confirm": "yes"}, follow_redirects=True
    )
    assert "Disconnected the TikTok Shop Pine GB (GB)." in guide_text(response)
    with app.app_context():
        row = db.session.get(TikTokShop, shop.id)
        assert (row.status, row.authorization_id) == (DISCONNECTED, None)
        assert db.session.get(ShopSyncState, shop.id).next_sync_at is None  # no longer scheduled
        authorization = db.session.get(TikTokAuthorization, shop.authorization_id)
        assert (authorization.access_token, authorization.refresh_token) == (None, None)
        assert db.session.scalar(select(db.func.count()).select_from(ReturnRequest)) == 1
    assert logged_in.get("/").headers["Location"].endswith("/connect")


def test_disconnecting_one_shop_keeps_the_authorization_of_the_others(app, logged_in, seller, factories):
    first = factories.tiktok_shop(seller, name="A", region="GB")
    with app.app_context():
        second = TikTokShop(
            seller_id=seller.id,
            authorization_id=first.authorization_id,
            shop_id="999",
            name="B",
            region="FR",
            cipher="c",
        )
        db.session.add(second)
        db.session.commit()
    logged_in.post_form(f"/connect/tiktok/shops/{first.id}/disconnect", {"confirm": "yes"})
    with app.app_context():
        assert db.session.get(TikTokAuthorization, first.authorization_id).access_token is not None


# -- access control ---------------------------------------------------------------------------------

ROUTES = [
    ("GET", "/connect"),
    ("GET", "/connect/etsy"),
    ("GET", "/connect/etsy/callback"),
    ("GET", "/connect/tiktok"),
    ("GET", "/connect/tiktok/callback"),
    ("GET", "/connect/tiktok/shops"),
    ("GET", "/connect/etsy/{etsy}/disconnect"),
    ("GET", "/connect/tiktok/shops/{shop}/disconnect"),
]


@pytest.fixture
def others_stores(factories):
    other = factories.seller(email="other@example.com")
    return {"etsy": factories.etsy_connection(other).id, "shop": factories.tiktok_shop(other).id}


@pytest.mark.parametrize(("method", "url"), ROUTES + [("POST", "/connect/tiktok/shops")])
def test_anonymous_is_sent_to_login(client, others_stores, method, url):
    response = client.open(url.format(**others_stores), method=method)
    assert response.status_code in (302, 400)
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "url", ["/connect/etsy/{etsy}/disconnect", "/connect/tiktok/shops/{shop}/disconnect"]
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_another_sellers_store_is_404(app, logged_in, others_stores, url, method):
    url = url.format(**others_stores)
    response = logged_in.get(url) if method == "GET" else logged_in.post_form(url, {"confirm": "yes"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(EtsyConnection, others_stores["etsy"]).access_token is not None
        assert db.session.get(TikTokShop, others_stores["shop"]).status != DISCONNECTED


@pytest.mark.parametrize(
    "url",
    ["/connect/etsy/{etsy}/disconnect", "/connect/tiktok/shops/{shop}/disconnect", "/connect/tiktok/shops"],
)
def test_csrf_is_enforced_on_every_post(app, logged_in, seller, factories, url):
    ids = {"etsy": factories.etsy_connection(seller).id, "shop": factories.tiktok_shop(seller).id}
    response = logged_in.post(url.format(**ids), data={"confirm": "yes", "shops": ["1"]})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(EtsyConnection, ids["etsy"]).access_token is not None
        assert db.session.get(TikTokShop, ids["shop"]).status != DISCONNECTED
