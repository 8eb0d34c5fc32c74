"""The real marketplace clients against the sandbox marketplace over loopback.

Everything here goes over HTTP exactly as in production: the sandbox is a separate WSGI app on a free
127.0.0.1 port and the clients know only its URL and the app credentials.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from connector_app.marketplaces import AuthorizationLost, BadSignature, MarketplaceError, RequestRefused
from connector_app.marketplaces.etsy import AuthorizationRefused, EtsyAuth, EtsyClient
from connector_app.marketplaces.policy import BACKGROUND, RetryPolicy
from connector_app.marketplaces.tiktok import TikTokAuth, TikTokClient, TokenSet
from connector_app.marketplaces.tiktok.envelope import unwrap
from connector_app.marketplaces.tiktok.signing import sign
from sandbox_marketplace.testing import SandboxServer

pytestmark = pytest.mark.integration

# Fault tests: eight quick tries with short read timeouts, so injected timeouts end fast.
FAULTY = RetryPolicy(attempts=8, backoff_max=BACKGROUND.backoff_max, max_retry_after=120.0, timeout=(2, 0.4))
REDIRECT = "http://127.0.0.1:5000/connect/etsy/callback"
GLOBAL_SELLER = "Lindenhof Atelier"  # authorized by the global app (a US seller needs the US one)
RETURN_COUNT = 20000  # both kinds, spread over the sandbox's shops: a few thousand returns per shop


class Sleeper:
    """Records every delay the client asks for and waits at most ``cap`` seconds of it."""

    def __init__(self, cap: float) -> None:
        self.cap = cap
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        time.sleep(min(seconds, self.cap))


@pytest.fixture(scope="module")
def sb() -> Iterator[SandboxServer]:
    with SandboxServer(seed=11, returns=RETURN_COUNT) as server:
        yield server


@pytest.fixture(autouse=True)
def _no_faults(sb):
    sb.clear_faults()
    yield
    sb.clear_faults()


@pytest.fixture
def tt_auth(sb) -> TikTokAuth:
    return TikTokAuth(sb.app_key, sb.app_secret, sb.url)


@pytest.fixture
def tokens(sb, tt_auth) -> TokenSet:
    return tt_auth.get_token(sb.authorize_tiktok(seller=GLOBAL_SELLER))


@pytest.fixture
def big_shop(sb, tokens):
    """The authorized seller's shop with the most returns."""
    shops = TikTokClient(sb.app_key, sb.app_secret, sb.url, tokens.access_token).get_authorized_shops()
    return max(shops, key=lambda s: sum(n for n in sb.counts(s.id).values()))


def tiktok_client(sb, tokens, shop, **kwargs) -> TikTokClient:
    kwargs.setdefault("sleep", Sleeper(cap=10))
    return TikTokClient(sb.app_key, sb.app_secret, sb.url, tokens.access_token, shop.cipher, **kwargs)


def sandbox_ids(sb, shop_id: str, kind: str) -> set[str]:
    return {r["id"] for r in sb.all_requests(shop_id) if r["kind"] == kind}


def all_return_ids(client: TikTokClient) -> list[str]:
    return [item.request_id for page in client.iter_returns(page_size=50) for item in page.items]


# -- TikTok authorization ----------------------------------------------------------------------------


def test_seller_consents_and_the_code_becomes_tokens(sb, tt_auth):
    url = TikTokAuth.authorize_url(f"{sb.url}/open/authorize", sb.service_id, "state-123")
    consent = requests.get(url, timeout=10)
    assert consent.status_code == 200
    seller_id = re.search(r'name="seller" value="(\d+)"', consent.text).group(1)
    answer = requests.post(
        url, data={"seller": seller_id, "decision": "approve"}, allow_redirects=False, timeout=10
    )
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == ["state-123"]

    tokens = tt_auth.get_token(query["code"][0])
    assert tokens.access_token and tokens.refresh_token
    assert tokens.access_token_expires_at > time.time() + 3600  # absolute timestamp, not a duration
    assert "seller.return_refund.basic" in tokens.granted_scopes

    shops = TikTokClient(sb.app_key, sb.app_secret, sb.url, tokens.access_token).get_authorized_shops()
    expected = {s["id"]: s["cipher"] for s in sb.shops() if s["seller"] == tokens.seller_name}
    assert {s.id: s.cipher for s in shops} == expected

    with pytest.raises(MarketplaceError, match="auth_code"):  # a code is single-use
        tt_auth.get_token(query["code"][0])


def test_refresh_rotates_tokens_and_the_old_refresh_token_is_dead(sb, tt_auth, tokens, big_shop):
    fresh = tt_auth.refresh(tokens.refresh_token)
    assert fresh.refresh_token != tokens.refresh_token
    client = tiktok_client(sb, fresh, big_shop)
    assert client.search_returns(page_size=10).items
    with pytest.raises(AuthorizationLost) as info:
        tt_auth.refresh(tokens.refresh_token)
    assert "reconnect" in str(info.value)


# -- Return & Refund calls ---------------------------------------------------------------------------


def test_full_paged_search_returns_every_return_once(sb, tokens, big_shop):
    client = tiktok_client(sb, tokens, big_shop)
    expected = sandbox_ids(sb, big_shop.id, "return")
    assert len(expected) > 2000
    pages = list(client.iter_returns(page_size=50))
    ids = [item.request_id for page in pages for item in page.items]
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected
    assert pages[0].total_count == len(expected)
    assert all(item.refund is None or item.refund.currency for page in pages for item in page.items)


def test_cancellations_records_and_reject_reasons(sb, tokens, big_shop):
    client = tiktok_client(sb, tokens, big_shop)
    cancels = [c for page in client.iter_cancellations(page_size=50) for c in page.items]
    assert {c.request_id for c in cancels} == sandbox_ids(sb, big_shop.id, "cancel")
    assert all(c.kind == "cancellation" and c.request_type for c in cancels)

    pending = client.search_returns({"return_status": ["RETURN_OR_REFUND_REQUEST_PENDING"]}, page_size=10)
    item = pending.items[0]
    records = client.get_return_records(item.request_id)
    assert records and all(r.create_time for r in records)
    reasons = client.get_reject_reasons(item.request_id)
    assert reasons and all(r.name and r.text for r in reasons)


def _pending(client, action: str):
    for page in client.iter_returns({"return_status": ["RETURN_OR_REFUND_REQUEST_PENDING"]}, page_size=50):
        for item in page.items:
            if item.next_actions and item.next_actions[0].action == action:
                yield item


def test_approve_and_reject_change_the_status(sb, tokens, big_shop):
    client = tiktok_client(sb, tokens, big_shop)
    to_approve, to_reject = list(_pending(client, "SELLER_RESPOND_RETURN"))[:2]

    client.approve_return(to_approve.request_id, "APPROVE_RETURN", idempotency_key=secrets.token_hex(8))
    assert client.get_return(to_approve.request_id).status == "AWAITING_BUYER_SHIP"

    reason = client.get_reject_reasons(to_reject.request_id)[0].name
    client.reject_return(
        to_reject.request_id, "REJECT_RETURN", reject_reason=reason, idempotency_key=secrets.token_hex(8)
    )
    assert client.get_return(to_reject.request_id).status == "REFUND_OR_RETURN_REQUEST_REJECT"

    with pytest.raises(RequestRefused):  # already answered: the decision no longer fits
        client.approve_return(to_reject.request_id, "APPROVE_RETURN", idempotency_key=secrets.token_hex(8))


def test_cancellation_approve(sb, tokens, big_shop):
    client = tiktok_client(sb, tokens, big_shop)
    page = client.search_cancellations({"cancel_status": ["CANCELLATION_REQUEST_PENDING"]}, page_size=10)
    cancel = page.items[0]
    client.approve_cancellation(cancel.request_id, idempotency_key=secrets.token_hex(8))
    assert client.get_cancellation(cancel.request_id).status != "CANCELLATION_REQUEST_PENDING"


# -- signatures --------------------------------------------------------------------------------------


def test_a_secret_one_byte_off_is_a_bad_signature(sb, tokens):
    wrong = sb.app_secret[:-1] + chr(ord(sb.app_secret[-1]) ^ 1)
    client = TikTokClient(sb.app_key, wrong, sb.url, tokens.access_token, sleep=Sleeper(0))
    with pytest.raises(BadSignature):
        client.get_authorized_shops()


def test_a_body_one_byte_off_is_a_bad_signature(sb, tokens, big_shop):
    path = "/return_refund/202309/returns/search"
    body = b'{"return_status":["AWAITING_BUYER_SHIP"]}'
    params = {"app_key": sb.app_key, "timestamp": str(int(time.time())), "shop_cipher": big_shop.cipher}
    params["page_size"] = "10"
    params["sign"] = sign(sb.app_secret, path, params, body)
    headers = {"x-tts-access-token": tokens.access_token, "content-type": "application/json"}
    good = requests.post(sb.url + path, params=params, data=body, headers=headers, timeout=10)
    assert unwrap(good).data["return_orders"]
    tampered = body.replace(b"SHIP", b"SHIQ")
    bad = requests.post(sb.url + path, params=params, data=tampered, headers=headers, timeout=10)
    with pytest.raises(BadSignature):
        unwrap(bad)


# -- faults ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "faults",
    [
        {"latency_ms": 30},
        {"rate_429": 0.3, "retry_after": 2},
        {"rate_500": 0.3},
        {"rate_503": 0.3},
        {"rate_timeout": 0.15, "timeout_seconds": 1.0},
        {"rate_malformed": 0.3},
        {"rate_429": 0.1, "rate_500": 0.1, "rate_503": 0.1, "rate_malformed": 0.1},
    ],
    ids=["latency", "429", "500", "503", "timeout", "malformed", "mixed"],
)
def test_faults_still_end_in_the_complete_result(sb, tokens, big_shop, faults):
    sleeper = Sleeper(cap=0.05)
    client = tiktok_client(sb, tokens, big_shop, sleep=sleeper, policy=FAULTY)
    expected = sandbox_ids(sb, big_shop.id, "return")
    sb.set_faults(seed=3, **faults)
    ids = all_return_ids(client)
    sb.clear_faults()
    assert len(ids) == len(expected) and set(ids) == expected
    if "rate_429" in faults and len(faults) == 2:
        assert 2.0 in sleeper.calls  # Retry-After honoured
    if faults != {"latency_ms": 30}:
        assert sleeper.calls  # the faults really happened and were retried


def test_token_expiring_mid_run_is_renewed_and_the_run_completes(sb, tt_auth, tokens, big_shop):
    current = {"refresh": tokens.refresh_token}
    renewals = []

    def renew() -> str:
        fresh = tt_auth.refresh(current["refresh"])
        current["refresh"] = fresh.refresh_token
        renewals.append(fresh.access_token)
        return fresh.access_token

    client = tiktok_client(sb, tokens, big_shop, on_token_expired=renew)
    sb.set_faults(expire_token_after_calls=10)
    ids = all_return_ids(client)
    assert set(ids) == sandbox_ids(sb, big_shop.id, "return") and len(ids) == len(set(ids))
    assert len(renewals) >= 3 and client.access_token == renewals[-1]


def test_short_lived_token_is_refreshed_once(sb, tt_auth, big_shop):
    sb.set_faults(token_ttl_seconds=1)
    tokens = tt_auth.get_token(sb.authorize_tiktok(seller=GLOBAL_SELLER))
    renewals = []
    client = tiktok_client(
        sb,
        tokens,
        big_shop,
        on_token_expired=lambda: renewals.append(1) or tt_auth.refresh(tokens.refresh_token).access_token,
    )
    sb.set_faults(token_ttl_seconds=None)
    sb.advance_clock(1.1)  # past the one-second token lifetime, on the marketplace's clock
    assert client.search_returns(page_size=10).items
    assert renewals == [1]


# -- Etsy --------------------------------------------------------------------------------------------


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@pytest.fixture
def etsy_auth(sb) -> EtsyAuth:
    return EtsyAuth(sb.etsy_keystring, f"{sb.url}/v3/public/oauth/token")


@pytest.fixture
def etsy_tokens(sb, etsy_auth):
    verifier, challenge = _pkce()
    code = sb.authorize_etsy(challenge, REDIRECT, "st")
    return etsy_auth.exchange_code(code, REDIRECT, verifier)


def etsy_client(sb, tokens, **kwargs) -> EtsyClient:
    return EtsyClient(sb.etsy_keystring, sb.etsy_shared_secret, sb.url, tokens.access_token, **kwargs)


def test_etsy_pkce_exchange_and_reused_code(sb, etsy_auth):
    verifier, challenge = _pkce()
    code = sb.authorize_etsy(challenge, REDIRECT, "st")
    with pytest.raises(AuthorizationRefused, match="code_verifier"):
        etsy_auth.exchange_code(code, REDIRECT, _pkce()[0])
    code = sb.authorize_etsy(challenge, REDIRECT, "st")
    tokens = etsy_auth.exchange_code(code, REDIRECT, verifier)
    assert tokens.access_token.startswith(tokens.user_id + ".")
    with pytest.raises(AuthorizationRefused, match="used previously"):
        etsy_auth.exchange_code(code, REDIRECT, verifier)


def test_etsy_me_shop_listings_and_stock(sb, etsy_tokens):
    client = etsy_client(sb, etsy_tokens)
    me = client.get_me()
    assert me.user_id == etsy_tokens.user_id
    shop = client.get_shop(me.shop_id)
    assert shop.shop_id == me.shop_id and shop.currency_code
    first = client.get_listings_by_shop(me.shop_id, limit=5)
    listings = list(client.iter_listings(me.shop_id))
    assert len(listings) == first.total_count == len({x.listing_id for x in listings})
    assert client.rate_limit.limit_per_second and client.rate_limit.remaining_today is not None

    listing = next(x for x in listings if x.skus)
    inventory = client.get_listing_inventory(listing.listing_id)
    sku = inventory.skus[0]
    before = inventory.quantity_of(sku)
    client.add_stock(listing.listing_id, sku, 2)
    assert client.get_listing_inventory(listing.listing_id).quantity_of(sku) == before + 2


def _profiles(inventory) -> list:
    return [o.get("readiness_state_id") for p in inventory.products for o in p["offerings"]]


def test_a_restock_keeps_the_listings_processing_profiles(sb, etsy_tokens):
    """The sandbox refuses an inventory PUT without readiness_state_id and resets a dropped
    readiness_state_on_property, as Etsy does: after a restock both are exactly as before."""
    client = etsy_client(sb, etsy_tokens)
    me = client.get_me()
    listings = [x for x in client.iter_listings(me.shop_id) if x.skus]
    for listing in listings:
        before = client.get_listing_inventory(listing.listing_id)
        if before.readiness_state_on_property:
            break
    else:
        raise AssertionError("no listing whose processing profile varies by variation")
    assert None not in _profiles(before) and len(set(_profiles(before))) == 2
    sku = before.skus[-1]
    client.add_stock(listing.listing_id, sku, 3)
    after = client.get_listing_inventory(listing.listing_id)
    assert after.quantity_of(sku) == before.quantity_of(sku) + 3
    assert _profiles(after) == _profiles(before)
    assert after.readiness_state_on_property == before.readiness_state_on_property == (513,)


def test_etsy_receipts(sb, etsy_tokens):
    client = etsy_client(sb, etsy_tokens)
    shop_id = client.get_me().shop_id
    page = client.get_shop_receipts(shop_id, limit=25)
    if page.items:
        receipt = page.items[0]
        assert client.get_shop_receipt(shop_id, receipt.receipt_id).receipt_id == receipt.receipt_id


def test_etsy_expired_token_is_refreshed_once(sb, etsy_auth, etsy_tokens):
    renewals = []

    def renew() -> str:
        renewals.append(1)
        return etsy_auth.refresh(etsy_tokens.refresh_token).access_token

    client = etsy_client(sb, etsy_tokens, on_token_expired=renew)
    sb.set_faults(expire_tokens_now=True)
    assert client.get_me().user_id == etsy_tokens.user_id
    assert renewals == [1]
    with pytest.raises(AuthorizationLost, match="revoked"):
        etsy_auth.refresh(etsy_tokens.refresh_token)


@pytest.mark.parametrize(
    "faults",
    [
        {"rate_429": 0.3, "retry_after": 1},
        {"rate_500": 0.3},
        {"rate_503": 0.3},
        {"rate_timeout": 0.2, "timeout_seconds": 1.0},
        {"rate_malformed": 0.3},
    ],
    ids=["429", "500", "503", "timeout", "malformed"],
)
def test_etsy_faults_still_end_in_the_complete_result(sb, etsy_tokens, faults):
    sleeper = Sleeper(cap=1.0)
    client = etsy_client(sb, etsy_tokens, sleep=sleeper, policy=FAULTY)
    shop_id = client.get_me().shop_id

    def snapshot() -> dict[str, tuple[str, ...]]:
        """Every listing (one per page, so there are many calls) with its inventory's SKUs."""
        result, token = {}, "0"
        while token:
            page = client.get_listings_by_shop(shop_id, limit=1, offset=int(token))
            for listing in page.items:
                result[listing.listing_id] = client.get_listing_inventory(listing.listing_id).skus
            token = page.next_page_token
        return result

    expected = snapshot()
    sb.set_faults(seed=5, **faults)
    got = snapshot()
    sb.clear_faults()
    assert got == expected and expected
    assert sleeper.calls  # the faults really happened and were retried
    if "rate_429" in faults:
        assert 1.0 in sleeper.calls
