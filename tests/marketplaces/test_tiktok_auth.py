from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from connector_app.marketplaces import (
    AuthorizationLost,
    MalformedResponse,
    MarketplaceError,
    RateLimited,
    TransportError,
)
from connector_app.marketplaces.tiktok import TikTokAuth, parse_token_response

from .conftest import envelope, query_of

AUTH = "https://auth.test"
TOKEN_DATA = {
    "access_token": "ROW_access",
    "access_token_expire_in": 1660556783,
    "refresh_token": "ROW_refresh",
    "refresh_token_expire_in": 1691487031,
    "open_id": "open-1",
    "seller_name": "Maple Crafts",
    "seller_base_region": "GB",
    "user_type": 0,
    "granted_scopes": ["seller.return_refund.basic", "seller.authorization.info"],
}


@pytest.fixture
def auth(sleeps):
    return TikTokAuth("key", "secret", AUTH + "/", sleep=sleeps)


def test_authorize_url_keeps_configured_base_and_adds_service_id_and_state():
    url = TikTokAuth.authorize_url("https://services.tiktokshops.us/open/authorize", "svc 1", "st/ate")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "services.tiktokshops.us", "/open/authorize")
    assert dict(parse_qsl(parts.query)) == {"service_id": "svc 1", "state": "st/ate"}


def test_get_token_sends_spelled_grant_type_and_parses_absolute_expiry(auth, rsps):
    rsps.get(f"{AUTH}/api/v2/token/get", json=envelope(TOKEN_DATA))
    tokens = auth.get_token("the-code")
    assert query_of(rsps.calls[0]) == {
        "app_key": "key",
        "app_secret": "secret",
        "auth_code": "the-code",
        "grant_type": "authorized_code",
    }
    assert tokens.access_token == "ROW_access"
    assert tokens.access_token_expires_at == 1660556783
    assert tokens.refresh_token_expires_at == 1691487031
    assert tokens.seller_base_region == "GB"
    assert tokens.granted_scopes == ("seller.return_refund.basic", "seller.authorization.info")


def test_short_expiry_values_are_durations_from_now():
    tokens = parse_token_response(
        envelope({**TOKEN_DATA, "access_token_expire_in": 3600, "refresh_token_expire_in": 86400})
    )
    import time

    assert abs(tokens.access_token_expires_at - (time.time() + 3600)) < 5
    assert abs(tokens.refresh_token_expires_at - (time.time() + 86400)) < 5


def test_parse_token_response_raises_typed_errors():
    with pytest.raises(MarketplaceError, match="invalid auth code") as info:
        parse_token_response(envelope(None, code=36004004, message="invalid auth code"))
    assert info.value.code == "36004004"
    with pytest.raises(MalformedResponse):
        parse_token_response({"code": 0, "data": {}})
    with pytest.raises(MalformedResponse):
        parse_token_response({"unexpected": True})


def test_refresh_sends_refresh_grant(auth, rsps):
    rsps.get(f"{AUTH}/api/v2/token/refresh", json=envelope({**TOKEN_DATA, "access_token": "ROW_new"}))
    assert auth.refresh("ROW_refresh").access_token == "ROW_new"
    assert query_of(rsps.calls[0])["grant_type"] == "refresh_token"
    assert query_of(rsps.calls[0])["refresh_token"] == "ROW_refresh"


def test_refused_refresh_means_the_seller_must_reconnect(auth, rsps):
    rsps.get(
        f"{AUTH}/api/v2/token/refresh", json=envelope(None, code=36004005, message="refresh token is expired")
    )
    with pytest.raises(AuthorizationLost) as info:
        auth.refresh("old")
    assert "reconnect" in str(info.value)
    assert "refresh token is expired" in str(info.value)
    assert len(rsps.calls) == 1


def test_token_call_retries_rate_limit_and_connection_failure_but_not_read_timeout(auth, rsps, sleeps):
    url = f"{AUTH}/api/v2/token/refresh"
    rsps.get(url, json=envelope(None, code=36009002, message="too many"), status=429)
    rsps.get(url, body=requests.ConnectionError("refused"))
    rsps.get(url, json=envelope(TOKEN_DATA))
    assert auth.refresh("r").access_token == "ROW_access"
    assert len(sleeps.calls) == 2

    rsps.get(url, body=requests.ReadTimeout("slow"))
    rsps.get(url, json=envelope(TOKEN_DATA))
    with pytest.raises(TransportError):
        auth.refresh("r")  # may have rotated the token server-side: never repeated blindly
    assert len(rsps.calls) == 4


def test_rate_limited_token_calls_give_up_after_max_attempts(auth, rsps):
    rsps.get(f"{AUTH}/api/v2/token/get", json=envelope(None, code=36009002, message="slow down"))
    with pytest.raises(RateLimited):
        auth.get_token("c")
    assert len(rsps.calls) == 4
