"""The clients report every HTTP attempt and every wait to an observer, one label per API."""

from __future__ import annotations

import pytest
import requests

from connector_app.marketplaces.errors import RateLimited, TransportError
from connector_app.marketplaces.http import TokenBucket
from connector_app.marketplaces.observe import CallObserved, RateLimitWaited, api_label
from connector_app.marketplaces.policy import RetryPolicy
from connector_app.marketplaces.tiktok import TikTokClient
from tests.marketplaces.conftest import APP_KEY, APP_SECRET, NOW, TT_API, envelope

RECORDS = f"{TT_API}/return_refund/202309/returns/5781234567/records"


@pytest.fixture
def events() -> list:
    return []


@pytest.fixture
def observed(sleeps, events) -> TikTokClient:
    return TikTokClient(
        APP_KEY, APP_SECRET, TT_API, "tok", "ROW_abc", sleep=sleeps, clock=lambda: NOW,
        policy=RetryPolicy(attempts=3, backoff_max=30, max_retry_after=120, timeout=(5, 30)),
        observer=events.append,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("describe", "label"),
    [
        ("GET /return_refund/202309/returns/57812/records", "GET /return_refund/202309/returns/{id}/records"),
        ("PUT /v3/application/listings/123/inventory", "PUT /v3/application/listings/{id}/inventory"),
        ("GET /v3/application/shops/42/receipts/77", "GET /v3/application/shops/{id}/receipts/{id}"),
        ("POST /authorization/202309/shops", "POST /authorization/202309/shops"),
        ("POST token", "POST token"),
    ],
)  # fmt: skip
def test_api_labels_name_the_api_not_the_object(describe, label):
    assert api_label(describe) == label


def test_a_successful_call_is_reported_with_its_status(observed, rsps, events):
    rsps.get(RECORDS, json=envelope({"records": []}))
    observed.get_return_records("5781234567")
    [event] = [e for e in events if isinstance(e, CallObserved)]
    assert (event.marketplace, event.api, event.status, event.error) == (
        "TikTok Shop",
        "GET /return_refund/202309/returns/{id}/records",
        200,
        None,
    )
    assert event.seconds >= 0


def test_every_failed_attempt_is_reported_with_the_marketplace_code(observed, rsps, events, sleeps):
    rsps.get(RECORDS, json=envelope(None, code=36009002, message="rl"))  # TikTok's rate limit code
    with pytest.raises(RateLimited):
        observed.get_return_records("5781234567")
    calls = [e for e in events if isinstance(e, CallObserved)]
    assert [(e.status, e.error) for e in calls] == [(200, "36009002")] * 3
    waits = [e for e in events if isinstance(e, RateLimitWaited) and e.reason == "retry-after"]
    assert [w.seconds for w in waits] == sleeps.calls  # both backoff sleeps after a 429-type answer


def test_no_answer_is_reported_without_a_status(observed, rsps, events):
    rsps.get(RECORDS, body=requests.ConnectionError("refused"))
    with pytest.raises(TransportError):
        observed.get_return_records("5781234567")
    assert {(e.status, e.error) for e in events if isinstance(e, CallObserved)} == {(None, "TransportError")}


def test_limiter_waits_are_reported(rsps, events, sleeps):
    bucket = TokenBucket(1, capacity=1, clock=lambda: 0.0, sleep=sleeps)  # time stands still
    client = TikTokClient(
        APP_KEY, APP_SECRET, TT_API, "tok", "ROW_abc", sleep=sleeps, clock=lambda: NOW, limiter=bucket,
        observer=events.append,
    )  # fmt: skip
    rsps.get(RECORDS, json=envelope({"records": []}))
    client.get_return_records("5781234567")
    client.get_return_records("5781234567")  # the bucket is empty: one second's wait
    assert [e for e in events if isinstance(e, RateLimitWaited)] == [
        RateLimitWaited("TikTok Shop", "limiter", 1.0)
    ]


def test_an_observer_that_fails_never_breaks_the_call(rsps, sleeps):
    def broken(_event):
        raise RuntimeError("metrics backend down")

    client = TikTokClient(APP_KEY, APP_SECRET, TT_API, "tok", "ROW_abc", sleep=sleeps, observer=broken)
    rsps.get(RECORDS, json=envelope({"records": [{"description": "x"}]}))
    assert len(client.get_return_records("5781234567")) == 1
