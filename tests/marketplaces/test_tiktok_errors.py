"""TikTok envelope errors and every retry path (sleep is recorded, never waited)."""

import logging
from dataclasses import replace

import pytest
import requests

from connector_app.marketplaces import (
    AuthorizationLost,
    BadSignature,
    DecisionRefused,
    MalformedResponse,
    MarketplaceError,
    NotFound,
    RateLimited,
    RequestRefused,
    ServerError,
    TokenExpired,
    TransportError,
)
from connector_app.marketplaces.policy import BACKGROUND
from connector_app.marketplaces.tiktok import TikTokClient

from .conftest import APP_KEY, APP_SECRET, TT_API, assert_signed, envelope, query_of

SHOPS = f"{TT_API}/authorization/202309/shops"
OK = envelope({"shops": [{"id": "1", "cipher": "c"}]})


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        (106001, 200, BadSignature),
        (105005, 200, AuthorizationLost),
        (101000, 200, AuthorizationLost),
        (25020004, 200, DecisionRefused),
        (25020003, 200, DecisionRefused),
        (36009004, 400, RequestRefused),
        (106013, 200, MarketplaceError),
        (12345678, 404, NotFound),
    ],
)
def test_error_codes_map_to_typed_errors_without_retry(tiktok, rsps, sleeps, code, status, error):
    rsps.get(
        SHOPS, json=envelope(None, code=code, message="Something is wrong", request_id="rq-7"), status=status
    )
    with pytest.raises(error) as info:
        tiktok.get_authorized_shops()
    assert type(info.value) is error
    assert info.value.code == str(code) and info.value.request_id == "rq-7"
    assert info.value.http_status == status and info.value.retryable is False
    assert len(rsps.calls) == 1 and sleeps.calls == []


def test_not_found_message_maps_to_not_found(tiktok, rsps):
    rsps.get(SHOPS, json=envelope(None, code=25001999, message="Return order not found"))
    with pytest.raises(NotFound):
        tiktok.get_authorized_shops()


def test_error_sentences_are_readable(tiktok, rsps):
    rsps.get(SHOPS, json=envelope(None, code=25020004, message="The decision is not allowed."))
    with pytest.raises(RequestRefused) as info:
        tiktok.get_authorized_shops()
    assert str(info.value) == "TikTok Shop refused the request: The decision is not allowed."


@pytest.mark.parametrize(
    "first",
    [
        {"status": 429, "json": envelope(None, code=36009002, message="rate")},
        {"status": 200, "json": envelope(None, code=36009002, message="rate")},
        {"status": 200, "json": envelope(None, code=36009003, message="internal")},
        {"status": 200, "json": envelope(None, code=25001028, message="lock failed")},
        {"status": 503, "body": "Service Unavailable"},
        {"status": 500, "json": {"oops": True}},
        {"status": 502, "body": "<html>bad gateway</html>"},
        {"status": 200, "body": "<html>not json</html>"},
        {"status": 200, "json": {"code": 0, "data": []}},
        {"body": requests.ReadTimeout("read timed out")},
        {"body": requests.ConnectTimeout("connect timed out")},
        {"body": requests.ConnectionError("reset")},
    ],
)
def test_transient_failures_are_retried_with_backoff(tiktok, rsps, sleeps, caplog, first):
    rsps.get(SHOPS, **first)
    rsps.get(SHOPS, json=OK)
    with caplog.at_level(logging.WARNING, logger="connector_app.marketplaces.http"):
        shops = tiktok.get_authorized_shops()
    assert [s.id for s in shops] == ["1"]
    assert len(rsps.calls) == 2
    assert len(sleeps.calls) == 1 and 0 <= sleeps.calls[0] <= 30
    assert "retrying" in caplog.text and "attempt 1/4" in caplog.text


def test_retry_after_is_honoured(tiktok, rsps, sleeps):
    rsps.get(
        SHOPS, status=429, headers={"Retry-After": "7"}, json=envelope(None, code=36009002, message="rl")
    )
    rsps.get(SHOPS, json=OK)
    tiktok.get_authorized_shops()
    assert sleeps.calls == [7.0]


def test_each_retry_is_resigned_with_a_fresh_timestamp(sleeps, rsps):
    ticks = iter([1000, 1001])
    client = TikTokClient(
        APP_KEY, APP_SECRET, TT_API, "tok", "ROW_abc", sleep=sleeps, clock=lambda: next(ticks)
    )
    rsps.get(SHOPS, status=503, body="busy")
    rsps.get(SHOPS, json=OK)
    client.get_authorized_shops()
    assert [query_of(c)["timestamp"] for c in rsps.calls] == ["1000", "1001"]
    for call in rsps.calls:
        assert_signed(call)


def test_backoff_grows_and_errors_surface_after_max_attempts(tiktok, rsps, sleeps):
    rsps.get(SHOPS, json=envelope(None, code=36009003, message="internal"))
    with pytest.raises(ServerError) as info:
        tiktok.get_authorized_shops()
    assert len(rsps.calls) == 4 and len(sleeps.calls) == 3
    assert info.value.retryable
    assert str(info.value) == "TikTok Shop is having a temporary problem; please try again later."


def test_rate_limit_and_timeouts_surface_typed_after_retries(tiktok, rsps):
    rsps.get(SHOPS, json=envelope(None, code=36009002, message="rl"))
    with pytest.raises(RateLimited):
        tiktok.get_authorized_shops()
    rsps.replace("GET", SHOPS, body=requests.ReadTimeout("slow"))
    with pytest.raises(TransportError) as info:
        tiktok.get_authorized_shops()
    assert "could not be reached" in str(info.value)
    rsps.replace("GET", SHOPS, body="garbage")
    with pytest.raises(MalformedResponse):
        tiktok.get_authorized_shops()


def test_timeout_is_passed_on_every_call(sleeps, rsps):
    seen = []

    class Session(requests.Session):
        def request(self, *args, **kwargs):
            seen.append(kwargs["timeout"])
            return super().request(*args, **kwargs)

    client = TikTokClient(
        "k",
        "s",
        TT_API,
        "t",
        "c",
        session=Session(),
        policy=replace(BACKGROUND, timeout=(2, 9)),
        sleep=sleeps,
    )
    rsps.get(SHOPS, json=OK)
    rsps.post(f"{TT_API}/return_refund/202309/returns/search", json=envelope({}))
    client.get_authorized_shops()
    client.search_returns()
    assert seen == [(2, 9), (2, 9)]


def test_expired_token_calls_the_hook_once_and_retries_with_the_new_token(sleeps, rsps):
    renewals = []

    def renew():
        renewals.append(1)
        return "tok-2"

    client = TikTokClient(APP_KEY, APP_SECRET, TT_API, "tok-1", "c", sleep=sleeps, on_token_expired=renew)
    rsps.get(SHOPS, json=envelope(None, code=105002, message="access token expired"))
    rsps.get(SHOPS, json=OK)
    assert [s.id for s in client.get_authorized_shops()] == ["1"]
    assert renewals == [1]
    assert [c.request.headers["x-tts-access-token"] for c in rsps.calls] == ["tok-1", "tok-2"]
    assert client.access_token == "tok-2"


def test_a_second_expiry_is_not_looped(sleeps, rsps):
    renewals = []
    client = TikTokClient(
        APP_KEY,
        APP_SECRET,
        TT_API,
        "tok-1",
        "c",
        sleep=sleeps,
        on_token_expired=lambda: renewals.append(1) or "x",
    )
    rsps.get(SHOPS, json=envelope(None, code=105002, message="access token expired"))
    with pytest.raises(TokenExpired):
        client.get_authorized_shops()
    assert renewals == [1] and len(rsps.calls) == 2


def test_expired_token_without_hook_raises(tiktok, rsps):
    rsps.get(SHOPS, json=envelope(None, code=105002, message="access token expired"))
    with pytest.raises(TokenExpired, match="expired"):
        tiktok.get_authorized_shops()
    assert len(rsps.calls) == 1
