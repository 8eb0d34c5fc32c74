"""Installs from the TikTok Shop App Store: a code and no state, kept server-side while the seller logs
in or signs up, confirmed by the seller, then the same steps as any connection (TikTok stubbed)."""

from __future__ import annotations

from sqlalchemy import select

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from tests.connect.helpers import guide_text, query, stub_tiktok, tiktok_shop_data, tiktok_token_data


def _shops(app) -> list[TikTokShop]:
    with app.app_context():
        shops = list(db.session.scalars(select(TikTokShop)))
        db.session.expunge_all()
        return shops


def test_a_logged_in_seller_confirms_and_the_us_app_exchanges_the_code(app, logged_in, mocked):
    stub_tiktok(mocked, [tiktok_shop_data(1, region="US")])
    landed = logged_in.get("/connect/tiktok/us/callback", query_string={"code": "store-code"})
    assert landed.headers["Location"].endswith("/connect/tiktok/install")
    assert not mocked.calls, "nothing is exchanged before the seller confirms"
    page = guide_text(logged_in.get("/connect/tiktok/install"))
    assert "US Partner Center" in page
    response = logged_in.post_form("/connect/tiktok/install", {"confirm": "yes"}, follow_redirects=True)
    assert "Connected your TikTok Shop Pine Shop 1 (US)." in guide_text(response)
    token_query = query(mocked.calls[0].request.url)
    assert (token_query["app_key"], token_query["auth_code"]) == (
        app.config["TIKTOK_US_APP_KEY"],
        "store-code",
    )
    [shop] = _shops(app)
    assert shop.region == "US"


def test_the_global_apps_callback_uses_the_global_app(app, logged_in, mocked):
    stub_tiktok(mocked, [tiktok_shop_data(1)])
    logged_in.get("/connect/tiktok/callback", query_string={"code": "store-code"})
    logged_in.post_form("/connect/tiktok/install", {"confirm": "yes"})
    assert query(mocked.calls[0].request.url)["app_key"] == app.config["TIKTOK_APP_KEY"]
    assert [s.region for s in _shops(app)] == ["GB"]


def test_after_sign_up_the_install_continues(app, client, auth, mocked):
    stub_tiktok(mocked, [tiktok_shop_data(2)])
    landed = client.get("/connect/tiktok/callback", query_string={"code": "store-code"})
    assert landed.headers["Location"].endswith("/login")
    signed_up = auth.signup("new@example.com")
    assert signed_up.headers["Location"].endswith("/connect/tiktok/install")
    response = client.post_form("/connect/tiktok/install", {"confirm": "yes"}, follow_redirects=True)
    assert "Connected your TikTok Shop Pine Shop 2 (GB)." in guide_text(response)


def test_declining_connects_nothing_and_forgets_the_code(app, logged_in, mocked):
    logged_in.get("/connect/tiktok/callback", query_string={"code": "store-code"})
    response = logged_in.post_form("/connect/tiktok/install", {"confirm": "no"}, follow_redirects=True)
    assert "Nothing was connected." in guide_text(response)
    assert not mocked.calls and _shops(app) == []
    again = logged_in.get("/connect/tiktok/install", follow_redirects=True)
    assert "The App Store install took too long" in guide_text(again)


def test_the_claims_check_applies(app, client, auth, factories, mocked):
    other = factories.seller(email="other@example.com")
    factories.tiktok_shop(other, shop_id=tiktok_shop_data(3)["id"], region="GB")
    stub_tiktok(mocked, [tiktok_shop_data(3)], token=tiktok_token_data(open_id="open-other"))
    mine = factories.seller(email="mine@example.com")
    auth.login(mine.email)
    client.get("/connect/tiktok/callback", query_string={"code": "store-code"})
    response = client.post_form("/connect/tiktok/install", {"confirm": "yes"}, follow_redirects=True)
    assert "is already connected to another Returns Connector account" in guide_text(response)
    assert {s.seller_id for s in _shops(app)} == {other.id}


def test_a_post_without_the_csrf_token_is_refused(app, logged_in, mocked):
    logged_in.get("/connect/tiktok/callback", query_string={"code": "store-code"})
    response = logged_in.post("/connect/tiktok/install", data={"confirm": "yes"})
    assert response.status_code == 400 and not mocked.calls
