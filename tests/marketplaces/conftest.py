"""Fixtures for the marketplace client unit tests (outside HTTP stubbed with ``responses``)."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses

from connector_app.marketplaces.etsy import EtsyClient
from connector_app.marketplaces.policy import BACKGROUND
from connector_app.marketplaces.tiktok import TikTokClient
from connector_app.marketplaces.tiktok.signing import sign

TT_API = "https://open-api.test"
ETSY_API = "https://api.etsy.test"
APP_KEY = "29a39d"
APP_SECRET = "e59af819cc"
NOW = 1_700_000_000
FOUR_TRIES = dataclasses.replace(BACKGROUND, attempts=4)


class SleepRecorder:
    """Stands in for ``time.sleep``: records the delays instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def envelope(data=None, code=0, message="Success", request_id="req-1") -> dict:
    return {"code": code, "message": message, "request_id": request_id, "data": data}


def query_of(call) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(call.request.url).query, keep_blank_values=True))


def assert_signed(call, secret: str = APP_SECRET) -> None:
    params = query_of(call)
    path = urlsplit(call.request.url).path
    assert params["sign"] == sign(secret, path, params, call.request.body or None)


def body_of(call) -> dict:
    return json.loads(call.request.body)


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def tiktok(sleeps) -> TikTokClient:
    return TikTokClient(
        APP_KEY, APP_SECRET, TT_API, "tok-1", "ROW_abc", sleep=sleeps, clock=lambda: NOW, policy=FOUR_TRIES
    )


@pytest.fixture
def etsy(sleeps) -> EtsyClient:
    return EtsyClient("key", "secret", ETSY_API, "12345678.tok", sleep=sleeps, policy=FOUR_TRIES)
