"""Approve / reject: decisions, transitions, reject reasons, idempotency, records."""

from __future__ import annotations

import json

from conftest import tiktok_for

BASE = "/return_refund/202309"


def pending(server, shop_id, action):
    return [r for r in server.all_requests(shop_id) if r["next_action"] == action]


def body(data) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def test_approve_return_moves_to_awaiting_ship_and_bumps_time(fresh) -> None:
    client = tiktok_for(fresh, "Harbor & Pine Goods")
    shop = client.shops()[0]
    target = pending(fresh, shop["id"], "SELLER_RESPOND_RETURN")[0]
    params = {"shop_cipher": shop["cipher"]}
    wrong = client.call(
        "POST", f"{BASE}/returns/{target['id']}/approve", params, body({"decision": "APPROVE_REFUND"})
    )
    assert wrong.json()["code"] == 25020004
    ok = client.call(
        "POST", f"{BASE}/returns/{target['id']}/approve", params, body({"decision": "APPROVE_RETURN"})
    )
    assert ok.json()["code"] == 0
    after = {r["id"]: r for r in fresh.all_requests(shop["id"])}[target["id"]]
    assert after["status"] == "AWAITING_BUYER_SHIP" and after["next_action"] == ""
    assert after["update_time"] > target["update_time"]
    again = client.call(
        "POST", f"{BASE}/returns/{target['id']}/approve", params, body({"decision": "APPROVE_RETURN"})
    )
    assert again.json()["code"] == 25011012  # the status cannot approve the application any more
    records = client.call("GET", f"{BASE}/returns/{target['id']}/records", params).json()["data"]["records"]
    assert records[-1]["event"] == "SELLER_APPROVE_APPLY" and records[-1]["role"] == "SELLER"


def test_reject_requires_a_listed_reason(fresh) -> None:
    client = tiktok_for(fresh, "Lindenhof Atelier")
    shop = next(s for s in client.shops() if s["region"] == "GB")
    target = pending(fresh, shop["id"], "SELLER_RESPOND_RETURN")[0]
    params = {"shop_cipher": shop["cipher"]}
    reasons = client.call(
        "GET", f"{BASE}/reject_reasons", params | {"return_or_cancel_id": target["id"], "locale": "en-GB"}
    )
    names = [r["name"] for r in reasons.json()["data"]["reasons"]]
    assert "seller_reject_apply_outside_return_window" in names
    bad = client.call(
        "POST",
        f"{BASE}/returns/{target['id']}/reject",
        params,
        body({"decision": "REJECT_RETURN", "reject_reason": "made_up"}),
    )
    assert bad.json()["code"] == 36009004
    good = client.call(
        "POST",
        f"{BASE}/returns/{target['id']}/reject",
        params,
        body({"decision": "REJECT_RETURN", "reject_reason": names[0], "comment": "used"}),
    )
    assert good.json()["code"] == 0
    assert {r["id"]: r for r in fresh.all_requests(shop["id"])}[target["id"]][
        "status"
    ] == "REFUND_OR_RETURN_REQUEST_REJECT"


def test_reject_reasons_differ_by_market_and_kind(fresh) -> None:
    us = tiktok_for(fresh, "Harbor & Pine Goods")
    shop = us.shops()[0]
    ret = pending(fresh, shop["id"], "SELLER_RESPOND_RETURN")[0]
    cancel = pending(fresh, shop["id"], "SELLER_RESPOND_CANCEL")[0]
    get = lambda rid: [  # noqa: E731
        r["name"]
        for r in us.call(
            "GET",
            f"{BASE}/reject_reasons",  # noqa: E731
            {"shop_cipher": shop["cipher"], "return_or_cancel_id": rid},
        ).json()["data"]["reasons"]
    ]
    assert "seller_reject_apply_custom_made" in get(ret["id"])
    assert "seller_reject_apply_outside_return_window" not in get(ret["id"])
    assert get(cancel["id"]) and set(get(cancel["id"])).isdisjoint(get(ret["id"]))


def test_cancellation_approve_and_idempotency_replay(fresh) -> None:
    client = tiktok_for(fresh, "Harbor & Pine Goods")
    shop = client.shops()[0]
    first, second = pending(fresh, shop["id"], "SELLER_RESPOND_CANCEL")[:2]
    params = {"shop_cipher": shop["cipher"], "idempotency_key": "k-1"}
    one = client.call("POST", f"{BASE}/cancellations/{first['id']}/approve", params, b"{}")
    two = client.call("POST", f"{BASE}/cancellations/{first['id']}/approve", params, b"{}")
    assert one.json()["code"] == 0 and two.json() == one.json()  # replayed, not "already handled"
    state = {r["id"]: r for r in fresh.all_requests(shop["id"])}
    assert state[first["id"]]["status"] == "CANCELLATION_REQUEST_SUCCESS"
    deliveries_before = state[first["id"]]["update_time"]
    three = client.call("POST", f"{BASE}/cancellations/{first['id']}/approve", params, b"{}")
    assert three.json() == one.json()
    assert {r["id"]: r for r in fresh.all_requests(shop["id"])}[first["id"]][
        "update_time"
    ] == deliveries_before
    reused = client.call("POST", f"{BASE}/cancellations/{second['id']}/approve", params, b"{}")
    assert reused.json()["code"] == 36009004
    assert {r["id"]: r for r in fresh.all_requests(shop["id"])}[second["id"]][
        "status"
    ] == "CANCELLATION_REQUEST_PENDING"


def test_partial_refund_offer_then_buyer_accepts(fresh) -> None:
    client = tiktok_for(fresh, "Harbor & Pine Goods")
    shop = client.shops()[0]
    target = pending(fresh, shop["id"], "SELLER_RESPOND_REFUND")[0]
    offer = {
        "decision": "OFFER_PARTIAL_REFUND",
        "partial_refund": {"currency": target["currency"], "amount": "1.00"},
    }
    assert (
        client.call(
            "POST", f"{BASE}/returns/{target['id']}/approve", {"shop_cipher": shop["cipher"]}, body(offer)
        ).json()["code"]
        == 0
    )
    for _ in range(200):
        state = {r["id"]: r for r in fresh.all_requests(shop["id"])}[target["id"]]
        if state["status"] != "AWAITING_BUYER_RESPONSE":
            break
        fresh.advance(25, shop_id=shop["id"])
    assert state["status"] == "RETURN_OR_REFUND_REQUEST_SUCCESS" and state["refund_total"] == "1.00"


def test_lifecycle_reaches_terminal_states(fresh) -> None:
    before = fresh.counts()
    for _ in range(40):
        fresh.advance(50)
    after = fresh.counts()
    terminal = ("RETURN_OR_REFUND_REQUEST_COMPLETE", "CANCELLATION_REQUEST_COMPLETE")
    assert sum(after.get(s, 0) for s in terminal) > sum(before.get(s, 0) for s in terminal)
    for item in fresh.all_requests():
        waiting = item["status"] in (
            "RETURN_OR_REFUND_REQUEST_PENDING",
            "REPLACEMENT_REQUEST_PENDING",
            "CANCELLATION_REQUEST_PENDING",
        )
        if waiting:
            assert item["next_action"], item
        if item["status"].endswith(("COMPLETE", "CANCEL", "CANCELLED", "SUCCESS")):
            assert not item["next_action"], item
