"""EtsyClient calls, typed results, errors, retries and the per-second limit."""

import json
from decimal import Decimal

import pytest
import requests

from connector_app.marketplaces import (
    AuthorizationLost,
    MalformedResponse,
    MarketplaceError,
    NotFound,
    RateLimited,
    RequestRefused,
    ServerError,
    TokenExpired,
    TransportError,
)
from connector_app.marketplaces.etsy import EtsyClient

from .conftest import ETSY_API, query_of

V3 = f"{ETSY_API}/v3/application"
EXPIRED = {"error": "invalid_token", "error_description": "access token is expired"}
INVENTORY = {
    "products": [
        {
            "product_id": 111,
            "sku": "SCARF-BL",
            "is_deleted": False,
            "property_values": [
                {
                    "property_id": 200,
                    "property_name": "Color",
                    "scale_id": None,
                    "value_ids": [1],
                    "values": ["Blue"],
                }
            ],
            "offerings": [
                {
                    "offering_id": 9,
                    "quantity": 3,
                    "is_enabled": True,
                    "is_deleted": False,
                    "price": {"amount": 1999, "divisor": 100, "currency_code": "USD"},
                }
            ],
        },
        {
            "product_id": 112,
            "sku": "SCARF-RD",
            "property_values": [],
            "offerings": [
                {
                    "offering_id": 10,
                    "quantity": 0,
                    "is_enabled": True,
                    "price": {"amount": 2150, "divisor": 100},
                }
            ],
        },
    ],
    "price_on_property": [],
    "quantity_on_property": [200],
    "sku_on_property": [200],
}


def test_every_call_sends_key_pair_and_bearer(etsy, rsps):
    rsps.get(f"{V3}/openapi-ping", json={"application_id": 42})
    rsps.get(f"{V3}/users/me", json={"user_id": 12345678, "shop_id": 9007199254740993})
    rsps.get(
        f"{V3}/shops/9007199254740993",
        json={
            "shop_id": 9007199254740993,
            "shop_name": "Maple",
            "currency_code": "GBP",
            "url": "https://e/s",
        },
    )
    assert etsy.ping() == 42
    me = etsy.get_me()
    assert (me.user_id, me.shop_id) == ("12345678", "9007199254740993")
    shop = etsy.get_shop(me.shop_id)
    assert (shop.shop_id, shop.shop_name, shop.currency_code) == ("9007199254740993", "Maple", "GBP")
    for call in rsps.calls:
        assert call.request.headers["x-api-key"] == "key:secret"
        assert call.request.headers["Authorization"] == "Bearer 12345678.tok"


def test_no_bearer_without_token(sleeps, rsps):
    rsps.get(f"{V3}/openapi-ping", json={"application_id": 1})
    EtsyClient("key", "secret", ETSY_API, sleep=sleeps).ping()
    assert "Authorization" not in rsps.calls[0].request.headers


def listing(i):
    return {
        "listing_id": 1000 + i,
        "title": f"Scarf {i}",
        "state": "active",
        "url": f"https://e/l/{i}",
        "skus": [f"S{i}"],
        "quantity": 2,
        "price": {"amount": 1999, "divisor": 100, "currency_code": "USD"},
    }


def test_listings_page_and_offset_iteration(etsy, rsps):
    rsps.get(f"{V3}/shops/5/listings", json={"count": 150, "results": [listing(i) for i in range(100)]})
    rsps.get(f"{V3}/shops/5/listings", json={"count": 150, "results": [listing(i) for i in range(100, 150)]})
    items = list(etsy.iter_listings("5"))
    assert len(items) == 150
    assert [query_of(c)["offset"] for c in rsps.calls] == ["0", "100"]
    assert query_of(rsps.calls[0])["state"] == "active" and query_of(rsps.calls[0])["limit"] == "100"
    first = items[0]
    assert first.listing_id == "1000" and first.skus == ("S0",)
    assert first.price == Decimal("19.99") and first.currency == "USD"


def test_listing_page_reports_next_offset(etsy, rsps):
    rsps.get(f"{V3}/shops/5/listings", json={"count": 3, "results": [listing(1), listing(2)]})
    page = etsy.get_listings_by_shop("5", state="inactive", limit=2)
    assert page.next_page_token == "2" and page.total_count == 3
    assert query_of(rsps.calls[0])["state"] == "inactive"


def test_add_stock_puts_back_the_whole_inventory(etsy, rsps):
    rsps.get(f"{V3}/listings/77/inventory", json=INVENTORY)
    rsps.put(f"{V3}/listings/77/inventory", json=INVENTORY)
    etsy.add_stock("77", "SCARF-RD", 2)
    put = json.loads(rsps.calls[1].request.body)
    assert rsps.calls[1].request.headers["content-type"] == "application/json"
    assert [p["sku"] for p in put["products"]] == ["SCARF-BL", "SCARF-RD"]
    assert put["products"][1]["offerings"] == [
        {"price": 21.5, "quantity": 2, "is_enabled": True, "readiness_state_id": None}
    ]
    assert put["products"][0]["offerings"] == [
        {"price": 19.99, "quantity": 3, "is_enabled": True, "readiness_state_id": None}
    ]
    assert "product_id" not in put["products"][0]
    assert put["products"][0]["property_values"][0]["value_ids"] == [1]
    assert put["quantity_on_property"] == [200] and put["sku_on_property"] == [200]


def test_add_stock_sends_the_processing_profiles_back_unchanged(etsy, rsps):
    inventory = json.loads(json.dumps(INVENTORY))
    inventory["products"][0]["offerings"][0]["readiness_state_id"] = 5501
    inventory["products"][1]["offerings"][0]["readiness_state_id"] = 5502
    inventory["readiness_state_on_property"] = [200]
    rsps.get(f"{V3}/listings/77/inventory", json=inventory)
    rsps.put(f"{V3}/listings/77/inventory", json=inventory)
    etsy.add_stock("77", "SCARF-RD", 1)
    put = json.loads(rsps.calls[1].request.body)
    assert [p["offerings"][0]["readiness_state_id"] for p in put["products"]] == [5501, 5502]
    assert put["readiness_state_on_property"] == [200]


def test_errors_keep_etsys_request_uuid(etsy, rsps):
    rsps.get(
        f"{V3}/users/me",
        json={"error": "Invalid input"},
        status=400,
        headers={"X-Etsy-Request-Uuid": "b7c1-uuid"},
    )
    with pytest.raises(RequestRefused) as caught:
        etsy.get_me()
    assert caught.value.request_id == "b7c1-uuid"


def test_add_stock_for_unknown_sku_is_not_found(etsy, rsps):
    rsps.get(f"{V3}/listings/77/inventory", json=INVENTORY)
    with pytest.raises(NotFound, match="NOPE"):
        etsy.add_stock("77", "NOPE", 1)
    assert len(rsps.calls) == 1


def test_inventory_round_trip(etsy, rsps):
    rsps.get(f"{V3}/listings/77/inventory", json=INVENTORY)
    inventory = etsy.get_listing_inventory("77")
    assert inventory.skus == ("SCARF-BL", "SCARF-RD") and inventory.quantity_of("SCARF-BL") == 3
    rsps.put(f"{V3}/listings/77/inventory", json=INVENTORY)
    assert etsy.update_listing_inventory("77", inventory).listing_id == "77"


def test_receipts_with_money_refunds_and_filters(etsy, rsps):
    receipt = {
        "receipt_id": 9007199254740995,
        "status": "Partially Refunded",
        "created_timestamp": 1700000000,
        "updated_timestamp": 1700000500,
        "transactions": [
            {
                "transaction_id": 1,
                "listing_id": 1000,
                "product_id": 111,
                "sku": "SCARF-BL",
                "quantity": 2,
                "price": {"amount": 1999, "divisor": 100, "currency_code": "USD"},
            }
        ],
        "refunds": [
            {
                "amount": {"amount": 500, "divisor": 100, "currency_code": "USD"},
                "created_timestamp": 1700000400,
                "reason": "damaged",
                "note_from_issuer": "sorry",
                "status": "OK",
            }
        ],
    }
    rsps.get(f"{V3}/shops/5/receipts", json={"count": 1, "results": [receipt]})
    rsps.get(f"{V3}/shops/5/receipts/9007199254740995", json=receipt)
    page = etsy.get_shop_receipts("5", min_last_modified=1700000000, was_paid=True, limit=25)
    params = query_of(rsps.calls[0])
    assert params == {"min_last_modified": "1700000000", "was_paid": "true", "limit": "25"}
    (item,) = page.items
    assert item.receipt_id == "9007199254740995" and item.status == "Partially Refunded"
    assert item.transactions[0].price == Decimal("19.99") and item.transactions[0].quantity == 2
    assert item.refunds[0].amount == Decimal("5.00") and item.refunds[0].currency == "USD"
    assert page.next_page_token == ""
    assert etsy.get_shop_receipt("5", "9007199254740995").updated == 1700000500


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (403, {"error": "Shared secret is required in x-api-key header."}, MarketplaceError),
        (
            403,
            {"error": "insufficient_scope", "error_description": "listings_w scope required"},
            AuthorizationLost,
        ),
        (401, {"error": "invalid_client"}, AuthorizationLost),
        (404, {"error": "Listing not found"}, NotFound),
        (400, {"error": "Invalid quantity"}, RequestRefused),
    ],
)
def test_error_bodies_become_typed_errors(etsy, rsps, sleeps, status, body, error):
    rsps.get(f"{V3}/listings/1/inventory", status=status, json=body)
    with pytest.raises(error) as info:
        etsy.get_listing_inventory("1")
    assert type(info.value) is error and info.value.http_status == status
    assert len(rsps.calls) == 1 and sleeps.calls == []


@pytest.mark.parametrize(
    "first",
    [
        {"status": 429, "json": {"error": "Too many requests"}},
        {"status": 503, "body": "busy"},
        {"status": 500, "json": {"error": "boom"}},
        {"status": 200, "body": "<html>"},
        {"body": requests.ReadTimeout("slow")},
        {"body": requests.ConnectionError("reset")},
    ],
)
def test_transient_failures_are_retried(etsy, rsps, sleeps, first):
    rsps.get(f"{V3}/openapi-ping", **first)
    rsps.get(f"{V3}/openapi-ping", json={"application_id": 7})
    assert etsy.ping() == 7
    assert len(sleeps.calls) == 1


def test_retry_after_is_honoured(etsy, rsps, sleeps):
    rsps.get(f"{V3}/openapi-ping", status=429, headers={"retry-after": "2"}, json={"error": "rl"})
    rsps.get(f"{V3}/openapi-ping", json={"application_id": 7})
    etsy.ping()
    assert sleeps.calls == [2.0]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"status": 429, "json": {"error": "rl"}}, RateLimited),
        ({"status": 502, "body": "bad"}, ServerError),
        ({"body": requests.ConnectTimeout("x")}, TransportError),
        ({"status": 200, "body": "[1, 2"}, MalformedResponse),
    ],
)
def test_errors_surface_after_max_attempts(etsy, rsps, body, error):
    rsps.get(f"{V3}/openapi-ping", **body)
    with pytest.raises(error):
        etsy.ping()
    assert len(rsps.calls) == 4


def test_expired_token_is_refreshed_once_then_retried(sleeps, rsps):
    renewals = []
    client = EtsyClient(
        "key",
        "secret",
        ETSY_API,
        "1.old",
        sleep=sleeps,
        on_token_expired=lambda: renewals.append(1) or "1.new",
    )
    rsps.get(f"{V3}/users/me", status=401, json=EXPIRED)
    rsps.get(f"{V3}/users/me", json={"user_id": 1, "shop_id": 2})
    assert client.get_me().shop_id == "2"
    assert renewals == [1]
    assert [c.request.headers["Authorization"] for c in rsps.calls] == ["Bearer 1.old", "Bearer 1.new"]


def test_second_expiry_is_not_looped(sleeps, rsps):
    renewals = []
    client = EtsyClient(
        "key",
        "secret",
        ETSY_API,
        "1.old",
        sleep=sleeps,
        on_token_expired=lambda: renewals.append(1) or "1.new",
    )
    rsps.get(f"{V3}/users/me", status=401, json=EXPIRED)
    with pytest.raises(TokenExpired):
        client.get_me()
    assert renewals == [1] and len(rsps.calls) == 2


def test_rate_limit_headers_are_exposed_and_exhaustion_pauses(sleeps, rsps):
    now = [100.0]
    client = EtsyClient("key", "secret", ETSY_API, "1.t", sleep=sleeps, clock=lambda: now[0])
    headers = {
        "x-limit-per-second": "10",
        "x-remaining-this-second": "0",
        "x-limit-per-day": "10000",
        "x-remaining-today": "9876",
    }
    rsps.get(f"{V3}/openapi-ping", json={"application_id": 1}, headers=headers)
    client.ping()
    state = client.rate_limit
    assert (
        state.limit_per_second,
        state.remaining_this_second,
        state.limit_per_day,
        state.remaining_today,
    ) == (
        10,
        0,
        10000,
        9876,
    )
    assert sleeps.calls == []
    now[0] = 100.25
    client.ping()
    assert sleeps.calls == [pytest.approx(0.75)]
