"""Connecting Etsy end to end in-process: authorize redirect (PKCE S256), callback, token exchange,
getMe/getShop — and every way it can fail, each ending on the guide with a sentence and a retry."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs

import pytest
import requests
from sqlalchemy import select, text

from connector_app.connect.models import CONNECTED, DISCONNECTED, EtsyConnection
from connector_app.extensions import db
from tests.connect.helpers import (
    ETSY_API,
    ETSY_TOKEN,
    etsy_tokens,
    guide_text,
    s256,
    start_etsy,
    stub_etsy_api,
)


def _connections(app) -> list[EtsyConnection]:
    with app.app_context():
        rows = list(db.session.scalars(select(EtsyConnection).order_by(EtsyConnection.id)))
        db.session.expunge_all()
        return rows


def _finish(client, params: dict, **extra) -> str:
    args = {"code": "auth-code-1", "state": params["state"], **extra}
    response = client.get("/connect/etsy/callback", query_string=args, follow_redirects=True)
    return guide_text(response)


def test_connects_etsy_with_pkce_and_records_the_shop(app, logged_in, seller, mocked):
    token_calls = []

    def token_endpoint(request):
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        token_calls.append((form, dict(request.headers)))
        return 200, {}, json.dumps(etsy_tokens())

    mocked.add_callback("POST", ETSY_TOKEN, callback=token_endpoint, content_type="application/json")
    stub_etsy_api(mocked)

    params = start_etsy(logged_in)
    assert params["client_id"] == app.config["ETSY_KEYSTRING"]
    assert params["code_challenge_method"] == "S256"
    assert set(params["scope"].split()) == {"transactions_r", "listings_r", "listings_w", "shops_r"}
    assert params["redirect_uri"] == "http://localhost/connect/etsy/callback"
    assert params["state"]

    page = _finish(logged_in, params)

    assert "Connected your Etsy shop Harbor &amp; Pine." in page
    assert "Connected as <strong>Harbor &amp; Pine</strong>" in page
    form, headers = token_calls[0]
    assert form["grant_type"] == "authorization_code"
    assert form["client_id"] == app.config["ETSY_KEYSTRING"]
    assert s256(form["code_verifier"]) == params["code_challenge"]
    assert form["redirect_uri"] == params["redirect_uri"]
    assert "client_secret" not in form and "Authorization" not in headers
    me_call = next(c for c in mocked.calls if c.request.url.endswith("/users/me"))
    expected_key = f"{app.config['ETSY_KEYSTRING']}:{app.config['ETSY_SHARED_SECRET']}"
    assert me_call.request.headers["x-api-key"] == expected_key
    assert me_call.request.headers["Authorization"] == "Bearer 4242.acc-1"

    [connection] = _connections(app)
    assert connection.seller_id == seller.id
    assert (connection.etsy_user_id, connection.etsy_shop_id) == ("4242", "777")
    assert (connection.shop_name, connection.currency) == ("Harbor & Pine", "EUR")
    assert connection.status == CONNECTED
    assert connection.access_token == "4242.acc-1" and connection.refresh_token == "4242.ref-1"
    assert abs(connection.access_token_expires_at.timestamp() - (time.time() + 3600)) < 60
    with app.app_context():  # encrypted at rest
        raw = db.session.execute(text("SELECT access_token, refresh_token FROM etsy_connections")).one()
    assert b"acc-1" not in bytes(raw[0]) and b"ref-1" not in bytes(raw[1])


def test_public_base_url_sets_the_callback(app, logged_in):
    app.config["PUBLIC_BASE_URL"] = "https://connector.example.com/"
    params = start_etsy(logged_in)
    assert params["redirect_uri"] == "https://connector.example.com/connect/etsy/callback"


def _assert_failed(app, page: str, sentence: str) -> None:
    assert "That did not work." in page
    assert sentence in page
    assert 'href="/connect/etsy" role="button">Try again</a>' in page
    assert "Traceback" not in page
    assert _connections(app) == []


def test_seller_refuses_consent(app, logged_in, mocked):
    params = start_etsy(logged_in)
    response = logged_in.get(
        "/connect/etsy/callback",
        query_string={"error": "access_denied", "error_description": "denied", "state": params["state"]},
        follow_redirects=True,
    )
    _assert_failed(app, guide_text(response), "You declined the connection on Etsy")
    assert not mocked.calls


@pytest.mark.parametrize("state", [None, "tampered-state"])
def test_missing_or_tampered_state(app, logged_in, mocked, state):
    start_etsy(logged_in)
    args = {"code": "auth-code-1"} | ({"state": state} if state else {})
    response = logged_in.get("/connect/etsy/callback", query_string=args, follow_redirects=True)
    _assert_failed(app, guide_text(response), "This connection link has expired")
    assert not mocked.calls  # no code exchange with an unverified state


def test_expired_state(app, logged_in, mocked):
    params = start_etsy(logged_in)
    with logged_in.session_transaction() as session:
        key = f"_state_etsy_{params['state']}"
        session[key] = {**session[key], "exp": time.time() - 1}
    _assert_failed(app, _finish(logged_in, params), "This connection link has expired")
    assert not mocked.calls


def test_state_is_single_use(app, logged_in, mocked):
    mocked.post(ETSY_TOKEN, json=etsy_tokens())
    stub_etsy_api(mocked)
    params = start_etsy(logged_in)
    _finish(logged_in, params)
    page = _finish(logged_in, params)
    assert "This connection link has expired" in page
    assert len(_connections(app)) == 1


def test_code_reused_or_expired(app, logged_in, mocked):
    mocked.post(
        ETSY_TOKEN,
        status=400,
        json={"error": "invalid_grant", "error_description": "code has been used previously"},
    )
    _assert_failed(app, _finish(logged_in, start_etsy(logged_in)), "Etsy did not accept the authorization")


@pytest.mark.parametrize(
    ("stub", "sentence"),
    [
        ({"body": requests.exceptions.ReadTimeout("slow")}, "Etsy could not be reached"),
        ({"status": 503, "body": "<html>down</html>"}, "Etsy had a temporary problem"),
        (
            {"status": 401, "json": {"error": "invalid_client", "error_description": "bad key"}},
            "Etsy refused",
        ),
    ],
    ids=["timeout", "server-error", "error-answer"],
)
def test_token_endpoint_fails(app, logged_in, mocked, stub, sentence):
    mocked.post(ETSY_TOKEN, **stub)
    _assert_failed(app, _finish(logged_in, start_etsy(logged_in)), sentence)


def test_account_without_a_shop(app, logged_in, mocked):
    mocked.post(ETSY_TOKEN, json=etsy_tokens())
    stub_etsy_api(mocked, shop_id=None)
    page = _finish(logged_in, start_etsy(logged_in))
    _assert_failed(app, page, "Your Etsy account does not have a shop yet")


def test_shop_lookup_fails(app, logged_in, mocked):
    mocked.post(ETSY_TOKEN, json=etsy_tokens())
    mocked.get(f"{ETSY_API}/users/me", json={"user_id": 4242, "shop_id": 777})
    mocked.get(f"{ETSY_API}/shops/777", status=500, body="oops")
    _assert_failed(app, _finish(logged_in, start_etsy(logged_in)), "Etsy is having a temporary problem")


def test_reconnecting_relinks_the_same_shop(app, logged_in, seller, factories, mocked):
    old = factories.etsy_connection(
        seller, etsy_shop_id="777", shop_name="Old name", status="needs_reconnect"
    )
    mocked.post(ETSY_TOKEN, json=etsy_tokens(access="fresh"))
    stub_etsy_api(mocked)
    page = _finish(logged_in, start_etsy(logged_in))
    assert "Connected your Etsy shop Harbor &amp; Pine." in page
    [connection] = _connections(app)
    assert connection.id == old.id
    assert (connection.status, connection.status_reason) == (CONNECTED, None)
    assert connection.access_token == "4242.fresh"


def test_signing_in_as_another_shop_asks_before_switching(app, logged_in, seller, factories, mocked):
    factories.etsy_connection(seller, etsy_shop_id="111", shop_name="First shop")
    mocked.post(ETSY_TOKEN, json=etsy_tokens())
    stub_etsy_api(mocked)
    page = _finish(logged_in, start_etsy(logged_in))
    assert "Switch to the Etsy shop Harbor &amp; Pine?" in page
    assert "First shop is disconnected and its listings are removed from the connector." in page
    [first] = _connections(app)  # nothing swapped yet
    assert (first.shop_name, first.status) == ("First shop", CONNECTED)

    kept = logged_in.post_form("/connect/etsy/switch", {"confirm": "no"}, follow_redirects=True)
    assert "Kept First shop connected; nothing was changed." in guide_text(kept)
    assert [c.shop_name for c in _connections(app)] == ["First shop"]
    again = logged_in.post_form("/connect/etsy/switch", {"confirm": "yes"}, follow_redirects=True)
    assert "no longer waiting; nothing was changed" in guide_text(again)  # used once

    _finish(logged_in, start_etsy(logged_in))
    switched = logged_in.post_form("/connect/etsy/switch", {"confirm": "yes"}, follow_redirects=True)
    assert "Switched to your Etsy shop Harbor &amp; Pine. First shop is disconnected" in guide_text(switched)
    first, second = _connections(app)
    assert (first.status, first.access_token) == (DISCONNECTED, None)
    assert (second.shop_name, second.status) == ("Harbor & Pine", CONNECTED)


def test_shop_of_another_account_cannot_be_claimed(app, logged_in, factories, mocked):
    other = factories.seller(email="other@example.com")
    factories.etsy_connection(other, etsy_shop_id="777", shop_name="Harbor & Pine")
    mocked.post(ETSY_TOKEN, json=etsy_tokens())
    stub_etsy_api(mocked)
    page = _finish(logged_in, start_etsy(logged_in))
    assert "is already connected to another Returns Connector account" in page
    [connection] = _connections(app)
    assert connection.seller_id == other.id and connection.access_token != "4242.acc-1"
