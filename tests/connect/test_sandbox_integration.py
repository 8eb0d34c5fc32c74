"""Both connection flows against the sandbox marketplace over loopback: the app side through the Flask
test client, the marketplace side (consent pages, token endpoints, APIs) over real HTTP."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from connector_app.connect.models import CONNECTED, EtsyConnection, TikTokShop
from connector_app.extensions import db
from connector_app.sync.models import ShopSyncState
from sandbox_marketplace.testing import SandboxServer
from tests.connect.helpers import guide_text

pytestmark = pytest.mark.integration

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
SELLER = re.compile(r'name="seller" value="(\d+)"[^>]*>\s*<strong>([^<]+)</strong>')
USER = re.compile(r'name="user" value="(\d+)"')


@pytest.fixture(scope="module")
def sb():
    with SandboxServer(seed=3, returns=20) as server:
        yield server


@pytest.fixture
def sandbox_app(app, sb):
    app.config.update(sb.connector_config())
    return app


def _consent(location: str, choice: dict[str, str], decision: str = "approve") -> str:
    """Open the sandbox consent page, submit it like the seller would; return the app URL it redirects to."""
    page = requests.get(location, timeout=10)
    assert page.status_code == 200, page.text
    form = {name: html.unescape(value) for name, value in HIDDEN.findall(page.text)}
    answer = requests.post(
        location, data={**form, **choice, "decision": decision}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def _sellers(location: str) -> dict[str, str]:
    return {
        html.unescape(name): ident for ident, name in SELLER.findall(requests.get(location, timeout=10).text)
    }


def test_connect_etsy_against_the_sandbox(sandbox_app, logged_in, sb):
    location = logged_in.get("/connect/etsy").headers["Location"]
    assert location.startswith(f"{sb.url}/oauth/connect?")
    user = USER.search(requests.get(location, timeout=10).text).group(1)
    callback = _consent(location, {"user": user})
    page = guide_text(logged_in.get(callback, follow_redirects=True))
    assert "Connected your Etsy shop" in page

    expected = next(u for u in sb.state()["etsy_users"] if str(u["user_id"]) == user)
    with sandbox_app.app_context():
        connection = db.session.scalars(select(EtsyConnection)).one()
        assert connection.etsy_user_id == user and connection.status == CONNECTED
        assert connection.etsy_shop_id == str(expected["shop_id"])
        assert connection.shop_name and connection.currency
    # the same callback again: its state was used up, nothing changes
    page = guide_text(logged_in.get(callback, follow_redirects=True))
    assert "This connection link has expired" in page


def test_etsy_refusal_against_the_sandbox(sandbox_app, logged_in):
    location = logged_in.get("/connect/etsy").headers["Location"]
    user = USER.search(requests.get(location, timeout=10).text).group(1)
    callback = _consent(location, {"user": user}, decision="refuse")
    page = guide_text(logged_in.get(callback, follow_redirects=True))
    assert "You declined the connection on Etsy" in page
    with sandbox_app.app_context():
        assert db.session.scalars(select(EtsyConnection)).all() == []


def test_connect_a_multi_shop_tiktok_seller_against_the_sandbox(sandbox_app, logged_in, sb):
    by_seller: dict[str, list[dict]] = {}
    for shop in sb.shops():
        by_seller.setdefault(shop["seller"], []).append(shop)
    name, remote = next(
        (n, s) for n, s in by_seller.items() if len(s) >= 2 and all(x["region"] != "US" for x in s)
    )

    location = logged_in.get(f"/connect/tiktok?region={remote[0]['region']}").headers["Location"]
    assert location.startswith(f"{sb.url}/open/authorize?service_id=")
    callback = _consent(location, {"seller": _sellers(location)[name]})
    page = guide_text(logged_in.get(callback, follow_redirects=True))
    assert "Which shops should the connector manage?" in page
    for shop in remote:
        assert html.escape(shop["name"]) in page

    response = logged_in.post_form(
        "/connect/tiktok/shops", {"shops": [s["id"] for s in remote]}, follow_redirects=True
    )
    assert "Connected your TikTok Shop" in guide_text(response)
    with sandbox_app.app_context():
        shops = {s.shop_id: s for s in db.session.scalars(select(TikTokShop))}
        assert set(shops) == {s["id"] for s in remote}
        for expected in remote:
            row = shops[expected["id"]]
            assert (row.name, row.region, row.cipher) == (
                expected["name"],
                expected["region"],
                expected["cipher"],
            )
            assert row.is_connected and db.session.get(ShopSyncState, row.id).next_sync_at is not None
        assert {s.authorization.region_group for s in shops.values()} == {"ROW"}


def test_connect_a_us_tiktok_shop_and_reuse_the_code(sandbox_app, logged_in, sb):
    us_shop = next(s for s in sb.shops() if s["region"] == "US")
    location = logged_in.get("/connect/tiktok?region=US").headers["Location"]
    assert location.startswith(f"{sb.url}/us/open/authorize?")
    callback = _consent(location, {"seller": _sellers(location)[us_shop["seller"]]})
    page = guide_text(logged_in.get(callback, follow_redirects=True))
    assert f"Connected your TikTok Shop {html.escape(us_shop['name'])} (US)." in page

    # a fresh state with the old (used) auth code: TikTok refuses it, the guide says so
    fresh = logged_in.get("/connect/tiktok?region=US").headers["Location"]
    state = dict(p.split("=", 1) for p in urlsplit(fresh).query.split("&"))["state"]
    code = dict(p.split("=", 1) for p in urlsplit(callback).query.split("&"))["code"]
    response = logged_in.get(
        "/connect/tiktok/us/callback", query_string={"code": code, "state": state}, follow_redirects=True
    )
    assert "TikTok Shop refused the connection (Invalid auth_code" in guide_text(response)
    with sandbox_app.app_context():
        assert [s.shop_id for s in db.session.scalars(select(TikTokShop))] == [us_shop["id"]]


def _connect_region(client, sb, region: str, seller: str) -> str:
    location = client.get(f"/connect/tiktok?region={region}").headers["Location"]
    callback = _consent(location, {"seller": _sellers(location)[seller]})
    response = client.get(callback, follow_redirects=True)
    if "Which shops should the connector manage?" in response.get_data(as_text=True):
        wanted = [s["id"] for s in sb.shops() if s["seller"] == seller]
        response = client.post_form("/connect/tiktok/shops", {"shops": wanted}, follow_redirects=True)
    return guide_text(response)


def test_a_us_and_a_gb_shop_connect_in_one_account_with_two_apps(sandbox_app, logged_in, sb):
    assert "Connected your TikTok Shop" in _connect_region(logged_in, sb, "US", "Harbor & Pine Goods")
    assert "Connected your TikTok Shop" in _connect_region(logged_in, sb, "GB", "Lindenhof Atelier")
    from connector_app.connect.clients import tiktok_client_for

    with sandbox_app.app_context():
        shops = list(db.session.scalars(select(TikTokShop).order_by(TikTokShop.region)))
        assert {s.region for s in shops} == {"US", "GB", "DE"}
        groups = {s.region: s.authorization.region_group for s in shops}
        assert groups == {"US": "US", "GB": "ROW", "DE": "ROW"}
        for shop in shops:
            client = tiktok_client_for(shop)
            expected_key = sb.us_app_key if shop.region == "US" else sb.app_key
            assert client.app_key == expected_key
            assert client.search_returns(page_size=10).items is not None  # signed calls accepted


def test_app_store_install_without_state_ends_connected(sandbox_app, client, auth, seller, sb):
    """Logged out, the seller installs from the App Store, logs in, confirms: the shop is connected."""
    install = f"{sb.url}/us/open/authorize?service_id={sb.us_service_id}"
    assert "Install from the App Store" in requests.get(f"{sb.url}/_sandbox/", timeout=10).text
    us_seller = next(s for s in sb.shops() if s["region"] == "US")["seller"]
    callback = _consent(install, {"seller": _sellers(install)[us_seller]})
    assert "state=" not in callback and callback.startswith("/connect/tiktok/us/callback?code=")

    landed = client.get(callback)
    assert landed.status_code == 302 and landed.headers["Location"].endswith("/login")
    with client.session_transaction() as session:
        code = callback.split("code=", 1)[1]
        assert code not in repr(dict(session)), "the code is kept server-side, not in the cookie"
    after_login = auth.login(seller.email, "correct horse battery")
    assert after_login.headers["Location"].endswith("/connect/tiktok/install")
    page = guide_text(client.get("/connect/tiktok/install"))
    assert "Finish installing from the TikTok Shop App Store" in page and "US Partner Center" in page
    response = client.post_form("/connect/tiktok/install", {"confirm": "yes"}, follow_redirects=True)
    assert "Connected your TikTok Shop" in guide_text(response)
    with sandbox_app.app_context():
        [shop] = db.session.scalars(select(TikTokShop)).all()
        assert shop.region == "US" and shop.authorization.region_group == "US" and shop.is_connected
    again = client.get("/connect/tiktok/install", follow_redirects=True)
    assert "The App Store install took too long" in guide_text(again), "the code is single-use"
