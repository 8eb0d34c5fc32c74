"""An invalid or revoked access token (TikTok 36009004, "x-tts-access-token is invalid") against the
sandbox: renewed once; when that does not help the shop needs reconnecting — one banner, one sentence —
and its requests cannot be answered until the seller reconnects."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from connector_app.connect.clients import tiktok_client_for
from connector_app.connect.models import CONNECTED, NEEDS_RECONNECT, TikTokAuthorization, TikTokShop
from connector_app.extensions import db
from connector_app.marketplaces.errors import AuthorizationLost

pytestmark = pytest.mark.integration
BANNER = re.compile(r'<section class="connect-alerts".*?</section>', re.S)


def _authorization(app, shop) -> TikTokAuthorization:
    with app.app_context():
        row = db.session.get(TikTokAuthorization, shop.authorization_id)
        db.session.expunge(row)
        return row


def test_a_revoked_access_token_is_renewed_once_and_the_call_goes_through(app, waiting, sandbox):
    shop, [item] = waiting("SELLER_RESPOND_RETURN")
    old = _authorization(app, shop).access_token
    sandbox.server.revoke_tiktok_tokens(sandbox.remote_shop(shop.shop_id)["seller"])
    with app.app_context():
        fresh = tiktok_client_for(db.session.get(TikTokShop, shop.id)).get_return(item["id"])
    assert fresh is not None and fresh.request_id == item["id"]
    renewed = _authorization(app, shop)
    assert renewed.access_token != old and renewed.status == CONNECTED


def test_a_lost_authorization_shows_one_banner_and_disables_the_shops_actions(
    app, logged_in, waiting, sandbox
):
    shop, [item] = waiting("SELLER_RESPOND_RETURN")
    sandbox.server.revoke_tiktok_tokens(sandbox.remote_shop(shop.shop_id)["seller"], refresh=True)
    with app.app_context(), pytest.raises(AuthorizationLost):
        tiktok_client_for(db.session.get(TikTokShop, shop.id)).get_return(item["id"])
    assert _authorization(app, shop).status == NEEDS_RECONNECT

    page = logged_in.get(f"/actions/{item['id']}").get_data(as_text=True)
    [banner] = BANNER.findall(page)
    sentences = re.findall(r"<span>(.*?)</span>", banner, re.S)
    assert len(sentences) == 1
    sentence = sentences[0].strip()
    assert sentence.startswith(f"Your TikTok Shop {shop.label} needs reconnecting: TikTok Shop ")
    assert sentence.count(".") == 1 and sentence.endswith(".") and sentence.count("reconnect") == 1
    assert page.count("needs reconnecting") == 1, "said once on the page"
    assert "You cannot answer requests of" in page and 'href="/connect/tiktok?region=' in page
    assert f"/actions/{item['id']}/approve_return" not in page, "no decision buttons"

    refused = logged_in.get(f"/actions/{item['id']}/approve_return")
    assert refused.status_code == 409 and "Reconnect" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(TikTokShop)).one().is_connected is False
