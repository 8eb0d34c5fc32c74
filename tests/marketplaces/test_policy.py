"""Retry policies: a page's call gives up fast, a job's call waits as long as the marketplace asks."""

from __future__ import annotations

import pytest

from connector_app.marketplaces import RateLimited, ServerError
from connector_app.marketplaces.policy import BACKGROUND, INTERACTIVE, RetryPolicy
from connector_app.marketplaces.tiktok import TikTokClient

from .conftest import APP_KEY, APP_SECRET, NOW, TT_API, envelope

SHOPS = f"{TT_API}/authorization/202309/shops"
SLOW_DOWN = {
    "status": 429,
    "headers": {"Retry-After": "60"},
    "json": envelope(None, code=36009002, message="rl"),
}


def client(policy: RetryPolicy, sleeps) -> TikTokClient:
    return TikTokClient(APP_KEY, APP_SECRET, TT_API, "tok", sleep=sleeps, clock=lambda: NOW, policy=policy)


def test_interactive_calls_try_twice_and_never_wait_out_a_long_retry_after(rsps, sleeps):
    for _ in range(3):
        rsps.get(SHOPS, **SLOW_DOWN)

    with pytest.raises(RateLimited):
        client(INTERACTIVE, sleeps).get_authorized_shops()

    assert len(rsps.calls) == 2
    assert sleeps.calls == [INTERACTIVE.max_retry_after] and sum(sleeps.calls) <= 1.0


def test_background_calls_wait_as_long_as_the_marketplace_asks(rsps, sleeps):
    for _ in range(2):
        rsps.get(SHOPS, **SLOW_DOWN)
    rsps.get(SHOPS, json=envelope({"shops": []}))

    assert client(BACKGROUND, sleeps).get_authorized_shops() == []

    assert sleeps.calls == [60.0, 60.0]


def test_background_gives_up_after_six_attempts(rsps, sleeps):
    rsps.get(SHOPS, status=503, body="busy")

    with pytest.raises(ServerError):
        client(BACKGROUND, sleeps).get_authorized_shops()

    assert len(rsps.calls) == 6 and all(s <= BACKGROUND.backoff_max for s in sleeps.calls)


def test_each_attempt_uses_the_policys_timeout(rsps, sleeps):
    import requests

    seen = []

    class Session(requests.Session):
        def request(self, *args, **kwargs):
            seen.append(kwargs["timeout"])
            return super().request(*args, **kwargs)

    rsps.get(SHOPS, json=envelope({"shops": []}))
    TikTokClient(
        APP_KEY, APP_SECRET, TT_API, "t", session=Session(), policy=INTERACTIVE
    ).get_authorized_shops()
    assert seen == [INTERACTIVE.timeout]


def test_configuration_can_shorten_a_policy_but_never_lengthen_it():
    assert BACKGROUND.limited(read_timeout=2, backoff_base=0.01).timeout == (2, 2)
    assert BACKGROUND.limited(read_timeout=2, backoff_base=0.01).backoff_base == 0.01
    assert INTERACTIVE.limited(read_timeout=300, backoff_base=5).timeout == INTERACTIVE.timeout
    assert INTERACTIVE.limited(backoff_base=5).backoff_base == INTERACTIVE.backoff_base
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0, backoff_max=1, max_retry_after=1, timeout=1)
