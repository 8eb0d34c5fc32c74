from urllib.parse import parse_qsl

import pytest
import requests

from connector_app.marketplaces import AuthorizationLost, MarketplaceError, ServerError, TransportError
from connector_app.marketplaces.etsy import AuthorizationRefused, EtsyAuth, parse_token_response

TOKEN_URL = "https://api.etsy.test/v3/public/oauth/token"
TOKENS = {
    "access_token": "12345678.O1zLaccess",
    "token_type": "Bearer",
    "expires_in": 3600,
    "refresh_token": "12345678.JNGIrefresh",
}


@pytest.fixture
def auth(sleeps):
    return EtsyAuth("keystr", TOKEN_URL, sleep=sleeps)


def form_of(call) -> dict:
    return dict(parse_qsl(call.request.body))


def test_exchange_code_posts_pkce_form_without_secret(auth, rsps):
    import time

    rsps.post(TOKEN_URL, json=TOKENS)
    tokens = auth.exchange_code("the-code", "https://app.test/etsy/callback", "v" * 43)
    call = rsps.calls[0]
    assert call.request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in call.request.headers
    assert form_of(call) == {
        "grant_type": "authorization_code",
        "client_id": "keystr",
        "redirect_uri": "https://app.test/etsy/callback",
        "code": "the-code",
        "code_verifier": "v" * 43,
    }
    assert tokens.user_id == "12345678"
    assert tokens.refresh_token == "12345678.JNGIrefresh"
    assert abs(tokens.expires_at - (time.time() + 3600)) < 5


def test_refresh_posts_refresh_grant(auth, rsps):
    rsps.post(TOKEN_URL, json={**TOKENS, "access_token": "12345678.new"})
    assert auth.refresh("12345678.JNGIrefresh").access_token == "12345678.new"
    assert form_of(rsps.calls[0]) == {
        "grant_type": "refresh_token",
        "client_id": "keystr",
        "refresh_token": "12345678.JNGIrefresh",
    }


def test_revoked_refresh_token_means_reconnect(auth, rsps):
    rsps.post(
        TOKEN_URL,
        status=400,
        json={"error": "invalid_grant", "error_description": "refresh_token is revoked"},
    )
    with pytest.raises(AuthorizationLost) as info:
        auth.refresh("12345678.old")
    assert info.value.message == "refresh_token is revoked"
    assert "reconnect" in str(info.value) and "refresh_token is revoked" in str(info.value)


def test_reused_code_is_a_clear_error(auth, rsps):
    rsps.post(
        TOKEN_URL,
        status=400,
        json={"error": "invalid_grant", "error_description": "code has been used previously"},
    )
    with pytest.raises(AuthorizationRefused) as info:
        auth.exchange_code("used", "https://app.test/cb", "v" * 43)
    assert isinstance(info.value, MarketplaceError) and not isinstance(info.value, AuthorizationLost)
    assert str(info.value) == (
        "Etsy did not accept the connection (code has been used previously); please connect your shop again."
    )


def test_other_oauth_errors_are_marketplace_errors(auth, rsps):
    rsps.post(TOKEN_URL, status=400, json={"error": "invalid_client", "error_description": "unknown client"})
    with pytest.raises(MarketplaceError, match="unknown client") as info:
        auth.refresh("x")
    assert info.value.code == "invalid_client"


def test_token_calls_retry_only_when_nothing_can_have_happened(auth, rsps, sleeps):
    rsps.post(TOKEN_URL, status=429, headers={"Retry-After": "3"}, json={"error": "slow down"})
    rsps.post(TOKEN_URL, body=requests.ConnectionError("refused"))
    rsps.post(TOKEN_URL, json=TOKENS)
    assert auth.refresh("r").user_id == "12345678"
    assert sleeps.calls[0] == 3.0 and len(sleeps.calls) == 2

    rsps.post(TOKEN_URL, status=500, body="boom")
    with pytest.raises(ServerError):
        auth.refresh("r")
    rsps.post(TOKEN_URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(TransportError):
        auth.refresh("r")


def test_parse_token_response():
    assert parse_token_response(TOKENS).user_id == "12345678"
    with pytest.raises(MarketplaceError):
        parse_token_response({"error": "invalid_request"})
    with pytest.raises(MarketplaceError):
        parse_token_response({"token_type": "Bearer"})
