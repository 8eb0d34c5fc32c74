"""Token refresh through ``connect.clients``: once across concurrent workers, Etsy's rotated refresh
token saved at once, and a refresh that fails for good shown as "needs reconnecting" everywhere."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs

import pytest

from connector_app.connect.clients import etsy_client_for, tiktok_client_for
from connector_app.connect.models import NEEDS_RECONNECT, EtsyConnection, TikTokAuthorization, TikTokShop
from connector_app.extensions import db
from connector_app.marketplaces.errors import AuthorizationLost
from connector_app.timeutil import utcnow
from tests.connect.helpers import (
    ETSY_TOKEN,
    TIKTOK_REFRESH,
    etsy_tokens,
    guide_text,
    query,
    tiktok_envelope,
    tiktok_token_data,
)


@pytest.fixture
def stale_etsy(app, factories, seller):
    connection = factories.etsy_connection(seller, shop_name="Harbor")
    with app.app_context():
        db.session.get(EtsyConnection, connection.id).access_token_expires_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    return connection


def test_two_workers_refresh_an_etsy_token_once_and_keep_the_rotated_one(
    app, stale_etsy, mocked, monkeypatch
):
    from connector_app.connect import clients

    refreshed_with = []
    both_refreshing = threading.Event()  # both workers decided the token needs refreshing
    arrived = []
    real_refresh = clients._refresh

    def refresh(*args, **kwargs):
        arrived.append(threading.current_thread().name)
        if len(arrived) == 2:
            both_refreshing.set()
        return real_refresh(*args, **kwargs)

    monkeypatch.setattr(clients, "_refresh", refresh)

    def token_endpoint(request):
        refreshed_with.append(parse_qs(request.body)["refresh_token"][0])
        # The first refresh answers only once the second worker is inside the refresh as well: the two
        # overlap for certain, and only the lock keeps the second from refreshing too.
        both_refreshing.wait(10)
        return 200, {}, json.dumps(etsy_tokens(access="new", refresh="rotated"))

    mocked.add_callback("POST", ETSY_TOKEN, callback=token_endpoint, content_type="application/json")
    tokens, errors = [], []
    start = threading.Barrier(2)

    def worker():
        try:
            start.wait(10)
            with app.app_context():
                connection = db.session.get(EtsyConnection, stale_etsy.id)
                tokens.append(etsy_client_for(connection).access_token)
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert both_refreshing.is_set(), "the two workers did not overlap"
    assert refreshed_with == [stale_etsy.refresh_token]  # one refresh, with the old token
    assert tokens == ["4242.new", "4242.new"]
    with app.app_context():
        row = db.session.get(EtsyConnection, stale_etsy.id)
        assert (row.access_token, row.refresh_token) == ("4242.new", "4242.rotated")
        assert row.access_token_expires_at.timestamp() > time.time() + 3000


def test_revoked_etsy_refresh_needs_reconnecting_on_every_page(app, logged_in, stale_etsy, mocked):
    mocked.post(
        ETSY_TOKEN,
        status=400,
        json={"error": "invalid_grant", "error_description": "refresh_token is revoked"},
    )
    with app.app_context(), pytest.raises(AuthorizationLost):
        etsy_client_for(db.session.get(EtsyConnection, stale_etsy.id))
    with app.app_context():
        assert db.session.get(EtsyConnection, stale_etsy.id).status == NEEDS_RECONNECT
    for url in ("/returns", "/settings", "/connect"):
        page = guide_text(logged_in.get(url))
        assert (
            "Your Etsy shop Harbor needs reconnecting: Etsy no longer authorizes this connection "
            "(refresh_token is revoked).</span>" in page
        )


def test_tiktok_refresh_saves_the_new_tokens(app, seller, factories, mocked):
    shop = factories.tiktok_shop(seller, region="GB")
    with app.app_context():
        authorization = db.session.get(TikTokAuthorization, shop.authorization_id)
        authorization.access_token_expires_at = utcnow() + timedelta(minutes=1)
        old_refresh = authorization.refresh_token
        db.session.commit()
    mocked.get(TIKTOK_REFRESH, json=tiktok_envelope(tiktok_token_data(access="ROW_new")))
    with app.app_context():
        client = tiktok_client_for(db.session.get(TikTokShop, shop.id))
        assert client.access_token == "ROW_new"
    assert query(mocked.calls[0].request.url)["refresh_token"] == old_refresh
    with app.app_context():
        authorization = db.session.get(TikTokAuthorization, shop.authorization_id)
        assert (authorization.access_token, authorization.refresh_token) == ("ROW_new", "ROW_ref")
        assert authorization.access_token_expires_at.timestamp() > time.time() + 6 * 86400


def test_tiktok_refresh_refused_needs_reconnecting(app, logged_in, seller, factories, mocked):
    shop = factories.tiktok_shop(seller, name="Pine GB", region="GB")
    with app.app_context():
        authorization = db.session.get(TikTokAuthorization, shop.authorization_id)
        authorization.access_token_expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    mocked.get(
        TIKTOK_REFRESH, json=tiktok_envelope(code=36004005, message="can not find related auth record")
    )
    with app.app_context(), pytest.raises(AuthorizationLost):
        tiktok_client_for(db.session.get(TikTokShop, shop.id))
    page = guide_text(logged_in.get("/returns"))
    assert (
        "Your TikTok Shop Pine GB (GB) needs reconnecting: TikTok Shop no longer authorizes this "
        "connection (can not find related auth record).</span>" in page
    )
    assert page.count("no longer authorizes") == 1, "one sentence, said once"
