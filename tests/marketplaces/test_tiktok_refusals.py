"""TikTok's documented refusal codes and the invalid-token answer (36009004), as the client types them."""

import pytest

from connector_app.marketplaces import AuthorizationLost, BadSignature, RequestRefused
from connector_app.marketplaces import errors as e
from connector_app.marketplaces.errors import DecisionRefused, TokenInvalid
from connector_app.marketplaces.tiktok import TikTokClient

from .conftest import APP_KEY, APP_SECRET, NOW, TT_API, envelope

RR = f"{TT_API}/return_refund/202309"
SHOPS = f"{TT_API}/authorization/202309/shops"
INVALID_TOKEN = "x-tts-access-token is invalid"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (25011010, e.WITH_PLATFORM),
        (25011012, e.STATUS_MOVED_ON),
        (25011013, e.CANNOT_APPROVE_RECEIPT),
        (25020009, e.ALREADY_CANCELLED),
        (25020010, e.ALREADY_APPROVED),
        (25020011, e.NOT_ALLOWED),
        (25020012, e.NOT_ALLOWED),
        (25011025, e.NOT_ALLOWED),
        (25001003, e.NOT_ALLOWED),
        (25001020, e.REASON_OFFLINE),
        (25020003, e.ALREADY_HANDLED),
        (25020004, e.WRONG_DECISION),
    ],
)
def test_decision_refusals_are_typed_and_never_retried(tiktok, rsps, sleeps, code, reason):
    rsps.post(f"{RR}/returns/77/approve", json=envelope(None, code=code, message="raw TikTok text"))
    with pytest.raises(DecisionRefused) as caught:
        tiktok.approve_return("77", "APPROVE_REFUND", idempotency_key="k1")
    assert caught.value.reason == reason and caught.value.code == str(code)
    assert isinstance(caught.value, RequestRefused) and caught.value.retryable is False
    assert len(rsps.calls) == 1 and sleeps.calls == []


@pytest.mark.parametrize(
    ("message", "error"),
    [
        (INVALID_TOKEN, TokenInvalid),
        ("Invalid credentials: the sign parameter is missing.", BadSignature),
        ("Invalid app_key", BadSignature),
        ("Invalid timestamp: 1 is outside the accepted window.", RequestRefused),
        ("shop_cipher is not allowed on this API.", RequestRefused),
    ],
)
def test_36009004_is_read_by_its_message(sleeps, rsps, message, error):
    client = TikTokClient(APP_KEY, APP_SECRET, TT_API, "tok", sleep=sleeps, clock=lambda: NOW)
    rsps.get(SHOPS, json=envelope(None, code=36009004, message=message), status=401)
    expected = AuthorizationLost if error is TokenInvalid else error  # nothing can renew the token here
    with pytest.raises(expected):
        client.get_authorized_shops()


def test_an_invalid_token_is_renewed_once_then_the_call_succeeds(sleeps, rsps):
    renewals: list[str] = []
    client = TikTokClient(APP_KEY, APP_SECRET, TT_API, "old", sleep=sleeps, clock=lambda: NOW)
    client.on_token_expired = lambda: renewals.append("x") or "new"
    rsps.get(SHOPS, json=envelope(None, code=36009004, message=INVALID_TOKEN), status=401)
    rsps.get(SHOPS, json=envelope({"shops": []}))
    assert client.get_authorized_shops() == []
    assert renewals == ["x"]
    assert [c.request.headers["x-tts-access-token"] for c in rsps.calls] == ["old", "new"]


def test_an_invalid_token_after_renewing_is_a_lost_authorization(sleeps, rsps):
    lost: list[AuthorizationLost] = []
    client = TikTokClient(
        APP_KEY, APP_SECRET, TT_API, "old", sleep=sleeps, clock=lambda: NOW, on_authorization_lost=lost.append
    )
    client.on_token_expired = lambda: "new"
    rsps.get(SHOPS, json=envelope(None, code=36009004, message=INVALID_TOKEN), status=401)
    with pytest.raises(AuthorizationLost) as caught:
        client.get_authorized_shops()
    assert len(rsps.calls) == 2, "renewed exactly once"
    assert lost == [caught.value]
    assert caught.value.reason().startswith("TikTok Shop no longer authorizes this connection")
