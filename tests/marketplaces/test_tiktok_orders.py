"""Order and FBT calls: the traps of the reference (§2, §4) stubbed with ``responses``."""

from decimal import Decimal

import pytest

from connector_app.marketplaces.errors import MarketplaceError
from connector_app.marketplaces.tiktok import orders
from connector_app.marketplaces.tiktok.order_types import units_by_sku

from .conftest import TT_API, assert_signed, body_of, envelope, query_of

LINE = {
    "id": "577086512123755123",
    "sku_id": "1729",
    "seller_sku": "MUG-BLUE",
    "product_id": "1731",
    "product_name": "Blue mug",
    "sku_name": "Blue",
    "sale_price": "12.50",
    "original_price": "15.00",
    "currency": "GBP",
}
ORDER = {
    "id": 576486316948490001,  # a JSON number beyond 2**53: kept exactly, as a string
    "status": "AWAITING_SHIPMENT",
    "fulfillment_type": "FULFILLMENT_BY_SELLER",
    "create_time": 1700000000,
    "update_time": 1700000100,
    "paid_time": 1700000050,
    "rts_sla_time": 1700172800,
    "payment": {"currency": "GBP", "sub_total": "25.00", "shipping_fee": "3.99", "total_amount": "28.99"},
    "recipient_address": {"name": "J*** S***", "phone_number": "(+44)78*****12", "full_address": "L***"},
    "line_items": [LINE, dict(LINE, id="577086512123755124")],
}


def test_search_orders_sends_paging_in_the_query_filters_in_the_body(rsps, tiktok):
    rsps.post(
        f"{TT_API}{orders.ORDER_LIST_PATH}",
        json=envelope({"orders": [ORDER], "next_page_token": "", "total_count": 1}),
    )
    page = orders.search_orders(tiktok, {"update_time_ge": 1699990000}, page_size=100)
    call = rsps.calls[0]
    assert_signed(call)
    assert query_of(call)["page_size"] == "100"
    assert query_of(call)["sort_field"] == "update_time"
    assert body_of(call) == {"update_time_ge": 1699990000}
    (order,) = page.items
    assert order.id == "576486316948490001"
    assert order.total == Decimal("28.99")
    assert order.rts_sla_time == 1700172800
    assert order.recipient == {"name": "J*** S***", "phone_number": "(+44)78*****12", "full_address": "L***"}


def test_two_units_are_two_line_items_and_count_as_two(rsps, tiktok):
    rsps.post(f"{TT_API}{orders.ORDER_LIST_PATH}", json=envelope({"orders": [ORDER]}))
    (order,) = orders.search_orders(tiktok).items
    assert len(order.lines) == 2
    assert units_by_sku(order.lines) == {("1729", "MUG-BLUE"): 2}


def test_bundle_lines_count_their_parts():
    from connector_app.marketplaces.tiktok.order_types import order_line

    line = order_line(
        dict(
            LINE,
            combined_listing_skus=[
                {"sku_id": "1", "seller_sku": "A", "sku_count": 2},
                {"sku_id": "2", "seller_sku": "B", "sku_count": 1},
            ],
        )
    )
    assert units_by_sku([line, line]) == {("1", "A"): 4, ("2", "B"): 2}


def test_page_size_outside_1_to_100_is_refused_before_any_call(rsps, tiktok):
    with pytest.raises(ValueError):
        orders.search_orders(tiktok, page_size=101)
    assert not rsps.calls


def test_detail_is_fetched_at_most_50_ids_per_call(rsps, tiktok):
    ids = [str(5000 + i) for i in range(120)]
    rsps.get(f"{TT_API}{orders.ORDER_DETAIL_PATH}", json=envelope({"orders": [ORDER]}))
    orders.get_orders(tiktok, ids + ids[:10])  # duplicates are asked for once
    sent = [query_of(call)["ids"].split(",") for call in rsps.calls]
    assert [len(chunk) for chunk in sent] == [50, 50, 20]
    assert sum(sent, []) == ids


def test_on_hold_order_has_no_address_and_unknown_status_is_kept(rsps, tiktok):
    on_hold = dict(ORDER, status="ON_HOLD", is_on_hold_order=True)
    del on_hold["recipient_address"]
    strange = dict(ORDER, id="9", status="SOMETHING_NEW")
    rsps.post(f"{TT_API}{orders.ORDER_LIST_PATH}", json=envelope({"orders": [on_hold, strange]}))
    first, second = orders.search_orders(tiktok).items
    assert first.status == "ON_HOLD" and first.is_on_hold_order and first.recipient == {}
    assert second.status == "SOMETHING_NEW"


def test_webhook_spelling_cancel_is_the_api_cancelled():
    assert orders.order_status_event(
        {"order_id": 576486316948490001, "order_status": "CANCEL", "update_time": 5}
    ) == (
        "576486316948490001",
        "CANCELLED",
        5,
    )
    assert orders.order_status_event({"order_id": "1", "order_status": "CANCELLED"})[1] == "CANCELLED"


def test_fbt_order_is_recognised_by_fulfillment_type_only(rsps, tiktok):
    fbt = dict(ORDER, fulfillment_type="FULFILLMENT_BY_TIKTOK", shipping_type="TIKTOK")
    rsps.post(f"{TT_API}{orders.ORDER_LIST_PATH}", json=envelope({"orders": [fbt, ORDER]}))
    first, second = orders.search_orders(tiktok).items
    assert first.is_fbt and not second.is_fbt


def test_order_not_in_this_shop_is_an_error_not_an_empty_result(rsps, tiktok):
    rsps.get(
        f"{TT_API}{orders.ORDER_DETAIL_PATH}",
        json=envelope(None, code=21008111, message="order does not belong to this shop"),
        status=200,
    )
    with pytest.raises(MarketplaceError) as raised:
        orders.get_orders(tiktok, ["1"])
    assert str(raised.value.code) == "21008111"


def test_fbt_inventory_reads_on_hand_per_sku_and_pages(rsps, tiktok):
    item = {
        "goods": {
            "id": "g1",
            "name": "Mug",
            "skus": [
                {
                    "id": "1729",
                    "on_hand_detail": {"total_quantity": 9, "available_quantity": 7, "reserved_quantity": 2},
                }
            ],
        },
        "fbt_warehouse_id": "W1",
    }
    rsps.post(
        f"{TT_API}{orders.FBT_INVENTORY_PATH}",
        json=envelope({"inventory": [item], "next_page_token": "p2", "total_count": 2}),
    )
    rsps.post(
        f"{TT_API}{orders.FBT_INVENTORY_PATH}",
        json=envelope({"inventory": [dict(item, fbt_warehouse_id="W2")]}),
    )
    rows = orders.fbt_inventory(tiktok, ["1729"])
    assert [(r.sku_id, r.fbt_warehouse_id, r.available, r.reserved) for r in rows] == [
        ("1729", "W1", 7, 2),
        ("1729", "W2", 7, 2),
    ]
    assert body_of(rsps.calls[0]) == {"sku_ids": ["1729"]}
    assert query_of(rsps.calls[1])["page_token"] == "p2"


def test_more_than_100_fbt_sku_ids_are_refused(tiktok):
    with pytest.raises(ValueError):
        orders.search_fbt_inventory(tiktok, [str(i) for i in range(101)])


def test_a_webhook_with_an_unreadable_update_time_still_names_its_order():
    assert orders.order_status_event({"order_id": "7", "order_status": "ON_HOLD", "update_time": "soon"}) == (
        "7",
        "ON_HOLD",
        0,
    )
