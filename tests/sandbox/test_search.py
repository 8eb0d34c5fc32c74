"""Search Returns / Cancellations: paging, filters, sorting and total_count."""

from __future__ import annotations

import json

import pytest

RETURNS = "/return_refund/202309/returns/search"
CANCELS = "/return_refund/202309/cancellations/search"


def walk(tiktok, path, cipher, body=None, sort_field="update_time", sort_order="ASC", page_size=50):
    raw = json.dumps(body or {}, separators=(",", ":")).encode()
    token, items, totals = "", [], set()
    key = "return_orders" if "returns" in path else "cancellations"
    while True:
        params = {
            "shop_cipher": cipher,
            "page_size": page_size,
            "sort_field": sort_field,
            "sort_order": sort_order,
        }
        if token:
            params["page_token"] = token
        data = tiktok.call("POST", path, params, raw).json()["data"]
        items += data[key]
        totals.add(data["total_count"])
        token = data["next_page_token"]
        if not token:
            return items, totals


def expected(server, shop_id, kind):
    return {r["id"]: r for r in server.all_requests(shop_id) if r["kind"] == kind}


@pytest.mark.parametrize(
    ("sort_field", "sort_order"),
    [("update_time", "ASC"), ("update_time", "DESC"), ("create_time", "ASC"), ("create_time", "DESC")],
)
def test_full_walk_returns_each_request_once_in_order(server, tiktok, sort_field, sort_order) -> None:
    shop = tiktok.shops()[0]
    items, totals = walk(
        tiktok, RETURNS, shop["cipher"], sort_field=sort_field, sort_order=sort_order, page_size=10
    )
    truth = expected(server, shop["id"], "return")
    ids = [i["return_id"] for i in items]
    assert len(ids) == len(set(ids)) == len(truth) and set(ids) == set(truth)
    assert totals == {len(truth)}
    keys = [(i[sort_field], int(i["return_id"])) for i in items]
    assert keys == sorted(keys, reverse=sort_order == "DESC")
    for item in items:
        assert item["return_status"] == truth[item["return_id"]]["status"]
        assert item["refund_amount"]["refund_total"] == truth[item["return_id"]]["refund_total"]


def test_cancellation_walk_and_status_alias(server, tiktok) -> None:
    shop = tiktok.shops()[0]
    items, _ = walk(tiktok, CANCELS, shop["cipher"], page_size=7)
    assert {i["cancel_id"] for i in items} == set(expected(server, shop["id"], "cancel"))
    closed, _ = walk(tiktok, CANCELS, shop["cipher"], {"cancel_status": ["CANCELLATION_REQUEST_CANCEL"]})
    assert closed and {i["cancel_status"] for i in closed} == {"CANCELLATION_REQUEST_CANCELLED"}


def test_filters(server, tiktok) -> None:
    shop = tiktok.shops()[0]
    truth = list(expected(server, shop["id"], "return").values())
    sample = truth[:3]
    cases = [
        ({"return_ids": [r["id"] for r in sample]}, lambda r: r in sample),
        ({"order_ids": [sample[0]["order_id"]]}, lambda r: r["order_id"] == sample[0]["order_id"]),
        ({"return_types": ["REPLACEMENT"]}, lambda r: r["type"] == "REPLACEMENT"),
        (
            {"return_status": ["BUYER_SHIPPED_ITEM", "AWAITING_BUYER_SHIP"]},
            lambda r: r["status"] in ("BUYER_SHIPPED_ITEM", "AWAITING_BUYER_SHIP"),
        ),
        ({"arbitration_status": ["IN_PROGRESS"]}, lambda r: r["arbitration_status"] == "IN_PROGRESS"),
        (
            {"update_time_ge": sample[1]["update_time"]},
            lambda r: r["update_time"] >= sample[1]["update_time"],
        ),
        ({"create_time_lt": sample[2]["create_time"]}, lambda r: r["create_time"] < sample[2]["create_time"]),
    ]
    for body, keep in cases:
        items, totals = walk(tiktok, RETURNS, shop["cipher"], body)
        wanted = {r["id"] for r in truth if keep(r)}
        assert {i["return_id"] for i in items} == wanted, body
        assert totals == {len(wanted)}
    buyer = walk(tiktok, RETURNS, shop["cipher"])[0][0]["buyer_user_id"]
    by_buyer, _ = walk(tiktok, RETURNS, shop["cipher"], {"buyer_user_ids": [buyer]})
    assert by_buyer and {i["buyer_user_id"] for i in by_buyer} == {buyer}


def test_page_size_limits(tiktok) -> None:
    cipher = tiktok.shops()[0]["cipher"]
    for path, bad in ((RETURNS, 9), (RETURNS, 51), (CANCELS, 0), (CANCELS, 51)):
        reply = tiktok.call("POST", path, {"shop_cipher": cipher, "page_size": bad}, b"{}").json()
        assert reply["code"] == 36009004 and "page_size" in reply["message"]
    assert tiktok.call("POST", CANCELS, {"shop_cipher": cipher, "page_size": 1}, b"{}").json()["code"] == 0


def test_paging_stays_consistent_while_data_changes(server, tiktok) -> None:
    shop = tiktok.shops()[0]
    params = {
        "shop_cipher": shop["cipher"],
        "page_size": 10,
        "sort_field": "create_time",
        "sort_order": "ASC",
    }
    first = tiktok.call("POST", RETURNS, params, b"{}").json()["data"]
    server.advance(20, shop_id=shop["id"])  # updates and new requests between two pages
    second = tiktok.call("POST", RETURNS, params | {"page_token": first["next_page_token"]}, b"{}").json()[
        "data"
    ]
    first_ids = {i["return_id"] for i in first["return_orders"]}
    assert not first_ids & {i["return_id"] for i in second["return_orders"]}
    assert second["return_orders"][0]["create_time"] >= first["return_orders"][-1]["create_time"]


def test_return_fields_follow_reference(tiktok) -> None:
    cipher = tiktok.shops()[0]["cipher"]
    item = tiktok.call("POST", RETURNS, {"shop_cipher": cipher, "page_size": 10}, b"{}").json()["data"][
        "return_orders"
    ][0]
    for key in (
        "return_id",
        "order_id",
        "return_type",
        "return_status",
        "arbitration_status",
        "role",
        "return_reason",
        "return_reason_text",
        "create_time",
        "update_time",
        "shipment_type",
        "return_tracking_number",
        "return_provider_name",
        "seller_next_action_response",
        "return_line_items",
        "refund_amount",
        "can_buyer_keep_item",
    ):
        assert key in item
    assert int(item["return_id"]) > 2**53 and isinstance(item["return_id"], str)
    assert all(isinstance(v, str) for v in item["refund_amount"].values())
    line = item["return_line_items"][0]
    assert line["seller_sku"] and line["product_image"]["url"].startswith("http")
