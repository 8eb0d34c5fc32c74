"""TikTokClient calls: what is sent (signed query, exact body) and what comes back (typed data)."""

import logging
from decimal import Decimal

import pytest

from connector_app.marketplaces.tiktok import TikTokClient

from .conftest import APP_KEY, NOW, TT_API, assert_signed, body_of, envelope, query_of

RR = f"{TT_API}/return_refund/202309"

RETURN = {
    "return_id": "4035318504086999999",
    "order_id": "576684019603311365",
    "return_type": "RETURN_AND_REFUND",
    "return_status": "AWAITING_BUYER_SHIP",
    "arbitration_status": "IN_PROGRESS",
    "role": "BUYER",
    "return_reason": "ecom_order_delivered_refund_and_return_reason_damaged",
    "return_reason_text": "Arrived damaged",
    "create_time": 1690340825,
    "update_time": 1690400000,
    "shipment_type": "PLATFORM",
    "return_tracking_number": "TRK1",
    "return_provider_name": "Royal Mail",
    "seller_next_action_response": [{"action": "SELLER_RESPOND_RECEIVE_PACKAGE", "deadline": 1690500000}],
    "return_line_items": [
        {
            "return_line_item_id": "9007199254740993",
            "order_line_item_id": "577",
            "sku_id": "1729",
            "sku_name": "Blue / L",
            "product_name": "Knitted scarf",
            "seller_sku": "SCARF-BL-L",
            "product_image": {"url": "https://img.test/s.jpg"},
            "refund_amount": {"currency": "GBP", "refund_total": "19.99"},
        }
    ],
    "refund_amount": {
        "currency": "GBP",
        "refund_total": "24.98",
        "refund_subtotal": "19.99",
        "refund_shipping_fee": "4.99",
        "refund_tax": "0.00",
    },
    "shipping_fee_amount": [
        {
            "currency": "GBP",
            "seller_paid_return_shipping_fee": "3.10",
            "platform_paid_return_shipping_fee": "0.00",
            "buyer_paid_return_shipping_fee": "1.25",
        }
    ],
    "can_buyer_keep_item": False,
}
CANCEL = {
    "cancel_id": "4035318504087000001",
    "order_id": "576684019603311366",
    "cancel_type": "BUYER_CANCEL",
    "cancel_status": "CANCELLATION_REQUEST_PENDING",
    "role": "BUYER",
    "cancel_reason": "changed_mind",
    "cancel_reason_text": "Changed my mind",
    "create_time": 1690340000,
    "update_time": 1690340001,
    "seller_next_action_response": [{"action": "SELLER_RESPOND_CANCEL", "deadline": 1690512800}],
    "refund_amount": {"currency": "USD", "refund_total": "10.50"},
    "cancel_line_items": [{"cancel_line_item_id": "1", "seller_sku": "MUG", "refund_amount": {}}],
}


def test_get_authorized_shops_is_signed_without_shop_cipher(tiktok, rsps):
    rsps.get(
        f"{TT_API}/authorization/202309/shops",
        json=envelope(
            {
                "shops": [
                    {
                        "id": "7494726673780148744",
                        "name": "Maple",
                        "region": "GB",
                        "seller_type": "LOCAL",
                        "cipher": "ROW_xyz",
                        "code": "GBLC1",
                    }
                ]
            }
        ),
    )
    shops = tiktok.get_authorized_shops()
    assert [(s.id, s.cipher, s.region, s.seller_type) for s in shops] == [
        ("7494726673780148744", "ROW_xyz", "GB", "LOCAL")
    ]
    call = rsps.calls[0]
    params = query_of(call)
    assert "shop_cipher" not in params
    assert params["app_key"] == APP_KEY and params["timestamp"] == str(NOW)
    assert call.request.headers["x-tts-access-token"] == "tok-1"
    assert call.request.headers["content-type"] == "application/json"
    assert_signed(call)


def test_search_returns_puts_paging_in_query_and_filters_in_exact_signed_body(tiktok, rsps):
    rsps.post(
        f"{RR}/returns/search",
        json=envelope({"return_orders": [RETURN], "total_count": 3001, "next_page_token": "p2"}),
    )
    filters = {"update_time_ge": 1690340825, "return_status": ["RETURN_OR_REFUND_REQUEST_PENDING"]}
    page = tiktok.search_returns(filters, page_size=20, page_token="p1")
    call = rsps.calls[0]
    params = query_of(call)
    assert {k: params[k] for k in ("page_size", "page_token", "sort_field", "sort_order", "shop_cipher")} == {
        "page_size": "20",
        "page_token": "p1",
        "sort_field": "update_time",
        "sort_order": "ASC",
        "shop_cipher": "ROW_abc",
    }
    assert (
        call.request.body
        == b'{"update_time_ge":1690340825,"return_status":["RETURN_OR_REFUND_REQUEST_PENDING"]}'
    )
    assert_signed(call)
    assert page.total_count == 3001 and page.next_page_token == "p2"
    item = page.items[0]
    assert item.kind == "return" and item.request_id == "4035318504086999999"
    assert item.order_id == "576684019603311365"
    assert item.request_type == "RETURN_AND_REFUND" and item.status == "AWAITING_BUYER_SHIP"
    assert item.tracking_number == "TRK1" and item.provider_name == "Royal Mail"
    assert item.deadline == 1690500000
    assert item.refund.total == Decimal("24.98") and item.refund.shipping_fee == Decimal("4.99")
    assert item.line_items[0].line_item_id == "9007199254740993"
    assert item.line_items[0].refund_total == Decimal("19.99")
    assert item.line_items[0].image_url == "https://img.test/s.jpg"
    (fee,) = item.shipping_fees
    assert fee.currency == "GBP" and fee.seller_paid == Decimal("3.10")
    assert fee.platform_paid == Decimal("0.00") and fee.buyer_paid == Decimal("1.25")
    assert item.can_buyer_keep_item is False


def test_big_numeric_ids_become_exact_strings(tiktok, rsps):
    rsps.post(
        f"{RR}/returns/search",
        body=b'{"code":0,"message":"ok","request_id":"r","data":{"return_orders":[{"return_id":'
        b'9223372036854775807,"order_id":9007199254740993,"refund_amount":{"currency":"USD","refund_total":12.10}}],'
        b'"next_page_token":""}}',
    )
    item = tiktok.search_returns().items[0]
    assert item.request_id == "9223372036854775807" and item.order_id == "9007199254740993"
    assert item.refund.total == Decimal("12.10")


def test_unknown_enum_values_are_kept_and_warned_once(tiktok, rsps, caplog):
    odd = {**RETURN, "return_status": "RETURN_STATUS_FROM_THE_FUTURE", "return_type": "EXCHANGE"}
    rsps.post(f"{RR}/returns/search", json=envelope({"return_orders": [odd, odd]}))
    with caplog.at_level(logging.WARNING):
        items = tiktok.search_returns().items
    assert [i.status for i in items] == ["RETURN_STATUS_FROM_THE_FUTURE"] * 2
    assert items[0].request_type == "EXCHANGE"
    assert sum("RETURN_STATUS_FROM_THE_FUTURE" in r.getMessage() for r in caplog.records) == 1


def test_older_shipping_fee_spelling_and_a_lone_object_are_accepted_too(tiktok, rsps):
    fee = {"currency": "GBP", "buyer_paid_return_shipping_fee": "2.00"}
    item = {**RETURN, "return_shipping_fee_amount": fee}
    del item["shipping_fee_amount"]
    rsps.post(f"{RR}/returns/search", json=envelope({"return_orders": [item]}))
    (parsed,) = tiktok.search_returns().items[0].shipping_fees
    assert parsed.buyer_paid == Decimal("2.00") and parsed.seller_paid is None


def test_iter_returns_follows_tokens_until_empty(tiktok, rsps):
    for token, nxt in (("", "t2"), ("t2", "t3"), ("t3", "")):
        rsps.post(
            f"{RR}/returns/search",
            json=envelope(
                {"return_orders": [{**RETURN, "return_id": token or "t1"}], "next_page_token": nxt}
            ),
        )
    pages = list(tiktok.iter_returns({"return_status": ["AWAITING_BUYER_SHIP"]}, page_size=10))
    assert [p.items[0].request_id for p in pages] == ["t1", "t2", "t3"]
    assert [query_of(c).get("page_token") for c in rsps.calls] == [None, "t2", "t3"]
    assert all(body_of(c) == {"return_status": ["AWAITING_BUYER_SHIP"]} for c in rsps.calls)


def test_cancellations_share_the_aftersale_shape(tiktok, rsps):
    rsps.post(f"{RR}/cancellations/search", json=envelope({"cancellations": [CANCEL], "next_page_token": ""}))
    pages = list(tiktok.iter_cancellations({"cancel_status": ["CANCELLATION_REQUEST_PENDING"]}))
    (item,) = pages[0].items
    assert item.kind == "cancellation" and item.request_id == "4035318504087000001"
    assert item.request_type == "BUYER_CANCEL" and item.status == "CANCELLATION_REQUEST_PENDING"
    assert item.reason_text == "Changed my mind"
    assert item.refund.total == Decimal("10.50") and item.refund.currency == "USD"
    assert item.line_items[0].seller_sku == "MUG" and item.line_items[0].refund_total is None
    assert item.next_actions[0].action == "SELLER_RESPOND_CANCEL"


def test_get_return_and_cancellation_search_by_id(tiktok, rsps):
    rsps.post(f"{RR}/returns/search", json=envelope({"return_orders": [RETURN]}))
    rsps.post(f"{RR}/cancellations/search", json=envelope({"cancellations": []}))
    assert tiktok.get_return("4035318504086999999").order_id == "576684019603311365"
    assert body_of(rsps.calls[0]) == {"return_ids": ["4035318504086999999"]}
    assert tiktok.get_cancellation("404") is None
    assert body_of(rsps.calls[1]) == {"cancel_ids": ["404"]}


def test_return_records_and_reject_reasons(tiktok, rsps):
    rsps.get(
        f"{RR}/returns/R1/records",
        json=envelope(
            {
                "records": [
                    {
                        "event": "BUYER_REQUEST",
                        "role": "BUYER",
                        "description": "Buyer asked",
                        "reason_text": "Damaged",
                        "note": "see photos",
                        "images": ["https://img.test/1.jpg"],
                        "create_time": 1690340825,
                    }
                ]
            }
        ),
    )
    rsps.get(
        f"{RR}/reject_reasons",
        json=envelope(
            {"reasons": [{"name": "seller_reject_apply_product_damaged", "text": "Damaged by buyer"}]}
        ),
    )
    (record,) = tiktok.get_return_records("R1")
    assert record.images == ("https://img.test/1.jpg",) and record.create_time == 1690340825
    (reason,) = tiktok.get_reject_reasons("R1", locale="en-GB")
    assert reason.name == "seller_reject_apply_product_damaged"
    params = query_of(rsps.calls[1])
    assert params["return_or_cancel_id"] == "R1" and params["locale"] == "en-GB"
    assert_signed(rsps.calls[1])


def test_approve_return_signs_idempotency_key_and_sends_decision(tiktok, rsps):
    rsps.post(f"{RR}/returns/R1/approve", json=envelope({}, request_id="api-9"))
    result = tiktok.approve_return(
        "R1", "OFFER_PARTIAL_REFUND", idempotency_key="idem-1", partial_refund=("GBP", Decimal("5.50"))
    )
    assert result.request_id == "R1" and result.api_request_id == "api-9"
    call = rsps.calls[0]
    assert query_of(call)["idempotency_key"] == "idem-1"
    assert_signed(call)
    assert body_of(call) == {
        "decision": "OFFER_PARTIAL_REFUND",
        "partial_refund": {"currency": "GBP", "amount": "5.50"},
    }

    rsps.post(f"{RR}/returns/R2/approve", json=envelope(None))
    tiktok.approve_return("R2", "APPROVE_RETURN", idempotency_key="idem-2", buyer_keep_item=True)
    assert body_of(rsps.calls[1]) == {"decision": "APPROVE_RETURN", "buyer_keep_item": True}


def test_reject_return_and_cancellation_decisions(tiktok, rsps):
    rsps.post(f"{RR}/returns/R1/reject", json=envelope({}))
    rsps.post(f"{RR}/cancellations/C1/approve", json=envelope({}))
    rsps.post(f"{RR}/cancellations/C2/reject", json=envelope({}))
    tiktok.reject_return("R1", "REJECT_REFUND", reject_reason="used", idempotency_key="k1", comment="Worn")
    tiktok.approve_cancellation("C1", idempotency_key="k2")
    tiktok.reject_cancellation("C2", reject_reason="shipped", idempotency_key="k3")
    assert body_of(rsps.calls[0]) == {"decision": "REJECT_REFUND", "reject_reason": "used", "comment": "Worn"}
    assert rsps.calls[1].request.body == b"{}"
    assert body_of(rsps.calls[2]) == {"reject_reason": "shipped"}
    assert [query_of(c)["idempotency_key"] for c in rsps.calls] == ["k1", "k2", "k3"]
    for call in rsps.calls:
        assert_signed(call)


def test_shop_scoped_calls_need_a_cipher(sleeps):
    client = TikTokClient("k", "s", TT_API, "tok", sleep=sleeps)
    with pytest.raises(ValueError, match="shop_cipher"):
        client.search_returns()
