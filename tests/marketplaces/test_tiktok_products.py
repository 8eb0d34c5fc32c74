"""The Product API client against the reference's traps (outside HTTP stubbed with ``responses``)."""

import json
from decimal import Decimal

import pytest

from connector_app.marketplaces.etsy import catalog
from connector_app.marketplaces.tiktok.products import ProductApi, SearchCapExceeded

from .conftest import ETSY_API, TT_API, assert_signed, body_of, envelope, query_of

SEARCH = f"{TT_API}/product/202502/products/search"
BIG_ID = 576486316948490001  # above 2**53: a float would make it ...490000


def _product(pid, update_time=1_700_000_000, skus=None):
    return {
        "id": pid,
        "title": f"Product {pid}",
        "status": "ACTIVATE",
        "update_time": update_time,
        "audit": {"status": "APPROVED"},
        "skus": skus
        or [
            {
                "id": BIG_ID + 1,
                "seller_sku": "MUG-1",
                "price": {"currency": "USD", "tax_exclusive_price": "28.00", "sale_price": "28.00"},
                "inventory": [{"warehouse_id": "W1", "quantity": 4}, {"warehouse_id": "W2", "quantity": 3}],
            }
        ],
    }


def test_ids_sent_as_json_numbers_above_2_53_stay_exact(rsps, tiktok):
    raw = json.dumps(
        {
            "code": 0,
            "message": "ok",
            "request_id": "r",
            "data": {"products": [_product(BIG_ID)], "total_count": 1, "next_page_token": ""},
        }
    )
    rsps.post(SEARCH, body=raw, content_type="application/json")
    products, token, total = ProductApi(tiktok).search_products()
    assert products[0].id == "576486316948490001"
    assert products[0].skus[0].id == "576486316948490002"
    assert products[0].skus[0].quantity == 7
    assert products[0].skus[0].price == Decimal("28.00")
    assert token == "" and total == 1
    call = rsps.calls[0]
    assert_signed(call)
    assert query_of(call)["page_size"] == "100" and query_of(call)["shop_cipher"] == "ROW_abc"


def test_search_splits_the_window_when_over_the_10000_cap(rsps, tiktok):
    answers = {
        (0, 100): {"products": [], "total_count": 15_000, "next_page_token": "x"},
        (0, 50): {"products": [_product("1", 10)], "total_count": 7_000, "next_page_token": "p2"},
        (51, 100): {"products": [_product("3", 70)], "total_count": 8_000, "next_page_token": ""},
    }

    def reply(request):
        body = json.loads(request.body)
        key = (body["update_time_ge"], body["update_time_le"])
        if "page_token" in request.url:
            return 200, {}, json.dumps(envelope({"products": [_product("2", 20)], "total_count": 7_000}))
        return 200, {}, json.dumps(envelope(answers[key]))

    rsps.add_callback("POST", SEARCH, callback=reply)
    ids = [p.id for p in ProductApi(tiktok).iter_products(0, 100)]
    assert ids == ["1", "2", "3"]
    windows = [(body_of(c)["update_time_ge"], body_of(c)["update_time_le"]) for c in rsps.calls]
    assert windows[0] == (0, 100) and (0, 50) in windows and (51, 100) in windows


def test_search_cap_in_one_second_is_an_error_not_a_silent_truncation(rsps, tiktok):
    rsps.post(SEARCH, json=envelope({"products": [], "total_count": 12_000}))
    with pytest.raises(SearchCapExceeded):
        list(ProductApi(tiktok).iter_products(5, 5))


def test_update_inventory_names_every_warehouse_and_reports_per_sku_failures(rsps, tiktok):
    url = f"{TT_API}/product/202309/products/{BIG_ID}/inventory/update"
    rsps.post(
        url,
        json=envelope(
            {
                "errors": [
                    {
                        "code": 12052990,
                        "message": "check failed",
                        "detail": {
                            "sku_id": "S2",
                            "extra_errors": [
                                {
                                    "warehouse_id": "W9",
                                    "code": 12052097,
                                    "message": "warehouse does not exist",
                                }
                            ],
                        },
                    }
                ]
            }
        ),
    )
    result = ProductApi(tiktok).update_inventory(str(BIG_ID), {"S1": {"W1": 4, "W2": 3}, "S2": {"W9": 1}})
    assert body_of(rsps.calls[0]) == {
        "skus": [
            {
                "id": "S1",
                "inventory": [{"warehouse_id": "W1", "quantity": 4}, {"warehouse_id": "W2", "quantity": 3}],
            },
            {"id": "S2", "inventory": [{"warehouse_id": "W9", "quantity": 1}]},
        ]
    }
    assert result.failed("S1") is None
    failure = result.failed("S2")
    assert failure.code == "12052990" and "warehouse does not exist (12052097)" in failure.reason()


def test_partial_edit_never_sends_skus(rsps, tiktok):
    url = f"{TT_API}/product/202509/products/P1/partial_edit"
    rsps.post(url, json=envelope({"product_id": "P1", "audit": {"status": "AUDITING"}}))
    ProductApi(tiktok).partial_edit("P1", title="New title", description="<p>Hi</p>")
    assert body_of(rsps.calls[0]) == {"title": "New title", "description": "<p>Hi</p>"}


def test_update_price_sends_strings_with_currency(rsps, tiktok):
    url = f"{TT_API}/product/202309/products/P1/prices/update"
    rsps.post(url, json=envelope({}))
    result = ProductApi(tiktok).update_price("P1", {"S1": (Decimal("19.9"), "USD")})
    assert body_of(rsps.calls[0]) == {"skus": [{"id": "S1", "price": {"amount": "19.90", "currency": "USD"}}]}
    assert result.failures == ()


def test_fbt_warehouses_give_the_shop_warehouse_ids(rsps, tiktok):
    rsps.get(
        f"{TT_API}/fbt/202408/warehouses",
        json=envelope({"warehouses": [{"fbt_warehouse_id": "F1", "warehouse_ids": [7301, "7302"]}]}),
    )
    assert ProductApi(tiktok).get_fbt_warehouse_ids() == {"7301", "7302"}


def test_etsy_incremental_read_stops_at_the_high_water_mark(rsps, etsy):
    url = f"{ETSY_API}/v3/application/shops/42/listings"

    def listing(lid, updated):
        return {
            "listing_id": lid,
            "title": "T",
            "state": "active",
            "last_modified_timestamp": updated,
            "price": {"amount": 2800, "divisor": 100, "currency_code": "USD"},
            "inventory": {
                "products": [
                    {
                        "product_id": 1,
                        "sku": f"S{lid}",
                        "offerings": [
                            {
                                "offering_id": 9,
                                "quantity": 3,
                                "is_enabled": True,
                                "price": {"amount": 2800, "divisor": 100, "currency_code": "USD"},
                            }
                        ],
                    }
                ]
            },
        }

    page = [listing(i, 10_000 - i * 100) for i in range(100)]
    rsps.get(url, json={"count": 5000, "results": page})
    found = list(catalog.changed_listings(etsy, "42", since=10_000 - 20 * 100))
    assert len(rsps.calls) == 1
    assert len(found) == 22  # 20 changed plus the two inside the overlap
    params = query_of(rsps.calls[0])
    assert params["includes"] == "Inventory" and params["sort_on"] == "updated" and params["limit"] == "100"
    assert found[0].skus[0].price == Decimal("28") and found[0].skus[0].quantity == 3
