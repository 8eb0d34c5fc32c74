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
    app.config.update(
        TIKTOK_APP_KEY=sb.app_key,
        TIKTOK_APP_SECRET=sb.app_secret,
        TIKTOK_SERVICE_ID=sb.service_id,
        TIKTOK_AUTHORIZE_URL_US=f"{sb.url}/us/open/authorize",
        TIKTOK_AUTHORIZE_URL_ROW=f"{sb.url}/open/authorize",
        TIKTOK_AUTH_API_URL=sb.url,
        TIKTOK_API_URL=sb.url,
        ETSY_KEYSTRING=sb.etsy_keystring,
        ETSY_SHARED_SECRET=sb.etsy_shared_secret,
        ETSY_AUTHORIZE_URL=f"{sb.url}/oauth/connect",
        ETSY_TOKEN_URL=f"{sb.url}/v3/public/oauth/token",
        ETSY_API_URL=sb.url,
    )
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
        "/connect/tiktok/callback", query_string={"code": code, "state": state}, follow_redirects=True
    )
    assert "TikTok Shop refused the connection (Invalid auth_code" in guide_text(response)
    with sandbox_app.app_context():
        assert [s.shop_id for s in db.session.scalars(select(TikTokShop))] == [us_shop["id"]]
