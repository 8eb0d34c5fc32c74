"""Connecting TikTok Shop end to end in-process: region → authorize redirect → callback → TikTok's
token exchange through Authlib → Get Authorized Shops → (choice) — and every failure."""

from __future__ import annotations

import re
import time

import pytest
import requests
from sqlalchemy import select

from connector_app.connect.models import CONNECTED, TikTokAuthorization, TikTokShop
from connector_app.extensions import db
from connector_app.returns.models import ReturnTabCount
from connector_app.sync.models import ShopSyncState, SyncRun
from connector_app.timeutil import ensure_aware
from tests.connect.helpers import (
    TIKTOK_SHOPS,
    TIKTOK_TOKEN,
    guide_text,
    query,
    start_tiktok,
    stub_tiktok,
    tiktok_envelope,
    tiktok_shop_data,
    tiktok_token_data,
)


def _rows(app):
    with app.app_context():
        shops = list(db.session.scalars(select(TikTokShop).order_by(TikTokShop.shop_id)))
        auths = list(db.session.scalars(select(TikTokAuthorization)))
        counts = db.session.scalar(select(db.func.count()).select_from(ReturnTabCount))
        db.session.expunge_all()
        return shops, auths, counts


def _callback(client, params: dict, **args):
    args = {"code": "tt-code", "state": params["state"], **args}
    return client.get("/connect/tiktok/callback", query_string=args, follow_redirects=True)


def _assert_failed(app, response, sentence: str, region: str = "GB") -> None:
    page = guide_text(response)
    assert "That did not work." in page
    assert sentence in page
    assert f'href="/connect/tiktok?region={region}" role="button">Try again</a>' in page
    assert "Traceback" not in page
    shops, auths, _ = _rows(app)
    assert shops == [] and auths == []


def test_region_is_chosen_first(logged_in):
    page = guide_text(logged_in.get("/connect/tiktok"))
    assert 'name="region"' in page and "United Kingdom" in page and "Vietnam" in page


@pytest.mark.parametrize(
    ("region", "host_key", "service_key"),
    [
        ("US", "TIKTOK_AUTHORIZE_URL_US", "TIKTOK_US_SERVICE_ID"),
        ("DE", "TIKTOK_AUTHORIZE_URL_ROW", "TIKTOK_SERVICE_ID"),
    ],
)
def test_region_selects_the_authorize_host_and_app(app, logged_in, region, host_key, service_key):
    response = logged_in.get(f"/connect/tiktok?region={region}")
    location = response.headers["Location"]
    assert location.startswith(app.config[host_key] + "?")
    params = query(location)
    assert set(params) == {"service_id", "state"}
    assert params["service_id"] == app.config[service_key]
    assert app.config["TIKTOK_US_SERVICE_ID"] != app.config["TIKTOK_SERVICE_ID"]


def test_connects_a_single_shop(app, logged_in, seller, mocked):
    stub_tiktok(mocked, [tiktok_shop_data(1)])
    response = _callback(logged_in, start_tiktok(logged_in))
    page = guide_text(response)
    assert "Connected your TikTok Shop Pine Shop 1 (GB)." in page
    assert "Connected as <strong>Pine Shop 1</strong>" in page

    token_call = mocked.calls[0].request
    assert token_call.method == "GET"
    assert query(token_call.url) == {
        "app_key": app.config["TIKTOK_APP_KEY"],
        "app_secret": app.config["TIKTOK_APP_SECRET"],
        "auth_code": "tt-code",
        "grant_type": "authorized_code",
    }
    shops_call = mocked.calls[1].request
    assert shops_call.headers["x-tts-access-token"] == "ROW_a"
    assert "shop_cipher" not in query(shops_call.url)

    [shop], [authorization], counts = _rows(app)
    assert (shop.seller_id, shop.shop_id, shop.name, shop.region) == (
        seller.id,
        "7494726673780100001",
        "Pine Shop 1",
        "GB",
    )
    assert (shop.cipher, shop.status, shop.authorization_id) == ("ROW_cipher_1", CONNECTED, authorization.id)
    with app.app_context():  # the sync feature queued its first sync at once, then the next one
        next_sync_at = db.session.get(ShopSyncState, shop.id).next_sync_at
        # one first run per scheduled subject (returns, and the features' own: orders …)
        [first_run] = db.session.scalars(select(SyncRun).where(SyncRun.subject == "returns")).all()
    assert (first_run.tiktok_shop_id, first_run.state, first_run.kind) == (shop.id, "queued", "full")
    assert next_sync_at is not None
    assert abs(ensure_aware(next_sync_at).timestamp() - time.time() - 15 * 60) < 60  # every 15 minutes
    assert counts > 0  # the grid's tab counters exist from the start
    assert (authorization.open_id, authorization.region_group, authorization.status) == (
        "open-abc",
        "ROW",
        CONNECTED,
    )
    assert authorization.access_token == "ROW_a" and authorization.refresh_token == "ROW_ref"
    # absolute expiry timestamps, not durations
    assert 6 * 86400 < authorization.access_token_expires_at.timestamp() - time.time() < 8 * 86400
    assert 364 * 86400 < authorization.refresh_token_expires_at.timestamp() - time.time() < 366 * 86400


def test_several_shops_the_seller_chooses(app, logged_in, mocked):
    stub_tiktok(mocked, [tiktok_shop_data(1), tiktok_shop_data(2, "FR"), tiktok_shop_data(3, "DE")])
    response = _callback(logged_in, start_tiktok(logged_in))
    page = guide_text(response)
    assert "Which shops should the connector manage?" in page
    assert "Pine Shop 2 (FR)" in page and "Pine Shop 3 (DE)" in page
    assert _rows(app)[:2] == ([], [])  # nothing saved before the choice

    response = logged_in.post_form(
        "/connect/tiktok/shops",
        {"shops": ["7494726673780100001", "7494726673780100003"]},
        follow_redirects=True,
    )
    assert (
        "Connected your TikTok Shops Pine Shop 1 (GB) and Pine Shop 3 (DE). Their returns are syncing now."
        in (guide_text(response))
    )
    shops, [authorization], _ = _rows(app)
    assert [s.name for s in shops] == ["Pine Shop 1", "Pine Shop 3"]
    assert {s.authorization_id for s in shops} == {authorization.id}
    # the choice is used up
    response = logged_in.get("/connect/tiktok/shops", follow_redirects=True)
    assert "The shop choice took too long" in guide_text(response)


def test_a_second_connection_offers_only_the_new_shops_and_keeps_the_connected_ones(app, logged_in, mocked):
    """The seller connected the GB shop, then comes back for the DE one through the same TikTok account."""
    stub_tiktok(mocked, [tiktok_shop_data(1)])
    _callback(logged_in, start_tiktok(logged_in))
    [gb], _, _ = _rows(app)
    stub_tiktok(mocked, [tiktok_shop_data(1), tiktok_shop_data(2, "FR"), tiktok_shop_data(3, "DE")])
    page = guide_text(_callback(logged_in, start_tiktok(logged_in, region="DE")))
    assert "Already connected, and renewed whatever you tick here:" in page and "Pine Shop 1 (GB)" in page
    assert 'value="7494726673780100001"' not in page  # not offered again, so not "unticked" either
    assert re.search(r'checked[^>]*value="7494726673780100003"|value="7494726673780100003"[^>]*checked', page)
    assert not re.search(
        r'checked[^>]*value="7494726673780100002"|value="7494726673780100002"[^>]*checked', page
    )

    response = logged_in.post_form(
        "/connect/tiktok/shops", {"shops": ["7494726673780100003"]}, follow_redirects=True
    )
    text = guide_text(response)
    assert "Connected your TikTok Shop Pine Shop 3 (DE). Its returns are syncing now." in text
    assert "Renewed the connection of Pine Shop 1 (GB)." in text
    shops, _, _ = _rows(app)
    again = next(s for s in shops if s.shop_id == gb.shop_id)
    assert again.connected_at == gb.connected_at  # "connected since" is kept


def test_choosing_no_shop_asks_again(app, logged_in, mocked):
    stub_tiktok(mocked, [tiktok_shop_data(1), tiktok_shop_data(2)])
    _callback(logged_in, start_tiktok(logged_in))
    response = logged_in.post_form("/connect/tiktok/shops", {})
    page = guide_text(response)
    assert "Choose at least one shop to connect." in page
    assert "required" not in page.split("Shops to connect")[1].split("</fieldset>")[0]
    assert _rows(app)[0] == []


def test_cancelling_the_choice_connects_nothing(app, logged_in, mocked):
    stub_tiktok(mocked, [tiktok_shop_data(1), tiktok_shop_data(2)])
    _callback(logged_in, start_tiktok(logged_in))
    response = logged_in.post_form("/connect/tiktok/shops", {"cancel": "1"}, follow_redirects=True)
    assert "Nothing was connected." in guide_text(response)
    assert _rows(app)[:2] == ([], [])


def test_seller_refuses_consent(app, logged_in, mocked):
    params = start_tiktok(logged_in)
    response = logged_in.get(
        "/connect/tiktok/callback",
        query_string={"error": "auth_denied", "state": params["state"]},
        follow_redirects=True,
    )
    _assert_failed(app, response, "You declined the connection on TikTok Shop")
    assert not mocked.calls


def test_tampered_state(app, logged_in, mocked):
    start_tiktok(logged_in)
    args = {"code": "tt-code", "state": "forged"}
    response = logged_in.get("/connect/tiktok/callback", query_string=args, follow_redirects=True)
    _assert_failed(app, response, "This connection link has expired")
    assert not mocked.calls


def test_a_state_of_one_app_is_refused_on_the_other_apps_callback(app, logged_in, mocked):
    params = start_tiktok(logged_in, region="US")  # the US app's state
    args = {"code": "tt-code", "state": params["state"]}
    response = logged_in.get("/connect/tiktok/callback", query_string=args, follow_redirects=True)
    _assert_failed(app, response, "This connection link has expired", region="US")
    assert not mocked.calls


def test_expired_state(app, logged_in, mocked):
    params = start_tiktok(logged_in)
    with logged_in.session_transaction() as session:
        key = f"_state_tiktok_row_{params['state']}"
        session[key] = {**session[key], "exp": time.time() - 1}
    _assert_failed(app, _callback(logged_in, params), "This connection link has expired")
    assert not mocked.calls


def test_code_reused_or_expired(app, logged_in, mocked):
    mocked.get(
        TIKTOK_TOKEN,
        json=tiktok_envelope(code=36004004, message="Invalid auth_code: it is unknown, used or expired."),
    )
    response = _callback(logged_in, start_tiktok(logged_in))
    _assert_failed(
        app,
        response,
        "TikTok Shop refused the connection (Invalid auth_code: it is unknown, used or expired)",
    )


@pytest.mark.parametrize(
    ("stub", "sentence"),
    [
        ({"body": requests.exceptions.ConnectTimeout("slow")}, "TikTok Shop could not be reached"),
        ({"status": 502, "body": "bad gateway"}, "TikTok Shop had a temporary problem"),
        ({"status": 200, "body": "not json"}, "TikTok Shop sent an answer that could not be read"),
    ],
    ids=["timeout", "server-error", "unreadable"],
)
def test_token_endpoint_fails(app, logged_in, mocked, stub, sentence):
    mocked.get(TIKTOK_TOKEN, **stub)
    _assert_failed(app, _callback(logged_in, start_tiktok(logged_in)), sentence)


def test_authorization_covers_no_shop(app, logged_in, mocked):
    stub_tiktok(mocked, [])
    response = _callback(logged_in, start_tiktok(logged_in))
    _assert_failed(app, response, "This TikTok Shop account did not give access to any shop")


def test_authorized_shops_call_fails(app, logged_in, mocked):
    mocked.get(TIKTOK_TOKEN, json=tiktok_envelope(tiktok_token_data()))
    mocked.get(TIKTOK_SHOPS, json=tiktok_envelope(code=105005, message="scope not granted"))
    response = _callback(logged_in, start_tiktok(logged_in))
    _assert_failed(app, response, "TikTok Shop refused the connection (scope not granted)")


def test_reconnecting_relinks_without_duplicates(app, logged_in, seller, factories, mocked):
    old = factories.tiktok_shop(seller, region="GB", shop_id="7494726673780100001", status="needs_reconnect")
    stub_tiktok(mocked, [tiktok_shop_data(1)])
    guide_text(_callback(logged_in, start_tiktok(logged_in)))
    shops, auths, _ = _rows(app)
    assert [s.id for s in shops] == [old.id]
    assert shops[0].status == CONNECTED and shops[0].cipher == "ROW_cipher_1"
    new_auth = next(a for a in auths if a.open_id == "open-abc")
    assert shops[0].authorization_id == new_auth.id


def test_reconnecting_the_same_authorization_updates_it(app, logged_in, mocked):
    stub_tiktok(mocked, [tiktok_shop_data(1)])
    guide_text(_callback(logged_in, start_tiktok(logged_in)))
    mocked.replace("GET", TIKTOK_TOKEN, json=tiktok_envelope(tiktok_token_data(access="ROW_b")))
    guide_text(_callback(logged_in, start_tiktok(logged_in)))
    shops, [authorization], _ = _rows(app)
    assert len(shops) == 1 and authorization.access_token == "ROW_b"


def test_shop_of_another_account_cannot_be_claimed(app, logged_in, factories, mocked):
    other = factories.seller(email="other@example.com")
    factories.tiktok_shop(other, region="GB", shop_id="7494726673780100001")
    stub_tiktok(mocked, [tiktok_shop_data(1)])
    page = guide_text(_callback(logged_in, start_tiktok(logged_in)))
    assert "The TikTok Shop Pine Shop 1 is already connected to another Returns Connector account" in page
    shops, _, _ = _rows(app)
    assert [s.seller_id for s in shops] == [other.id]


def test_seller_account_of_another_account_cannot_be_claimed(app, logged_in, factories, mocked):
    other = factories.seller(email="other@example.com")
    factories.tiktok_shop(other, region="GB", shop_id="123")
    [theirs] = _rows(app)[1]
    stub_tiktok(mocked, [tiktok_shop_data(1)], token=tiktok_token_data(open_id=theirs.open_id))
    page = guide_text(_callback(logged_in, start_tiktok(logged_in)))
    assert "already connected to another Returns Connector account" in page
    assert [s.shop_id for s in _rows(app)[0]] == ["123"]


def test_claimed_shops_are_not_offered(app, logged_in, factories, mocked):
    other = factories.seller(email="other@example.com")
    factories.tiktok_shop(other, region="GB", shop_id="7494726673780100002")
    stub_tiktok(mocked, [tiktok_shop_data(1), tiktok_shop_data(2)])
    page = guide_text(_callback(logged_in, start_tiktok(logged_in)))
    assert "Pine Shop 2 (GB) — connected to another account" in page
    response = logged_in.post_form("/connect/tiktok/shops", {"shops": ["7494726673780100002"]})
    assert "is not a valid choice" in guide_text(response)
    assert [s.shop_id for s in _rows(app)[0]] == ["7494726673780100002"]
