"""The sandbox is no kinder than TikTok: two apps that refuse each other's codes, tokens, signatures and
service ids; App Store installs without state; the documented refusals of return decisions."""

from __future__ import annotations

import json
import time

import requests
from conftest import TikTok, exchange, tiktok_for
from test_webhooks_faults import Receiver, wait_for

from sandbox_marketplace.signing import webhook_signature

BASE = "/return_refund/202309"


def body(value: dict) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def test_each_seller_is_authorized_by_the_app_of_its_market(server) -> None:
    code, app = server.authorize_tiktok_for_app(seller="Harbor & Pine Goods")
    assert app == "US"
    wrong = exchange(server, code, "ROW")
    assert wrong["code"] != 0 and "auth_code" in wrong["message"]
    right = exchange(server, code, "US")
    assert right["code"] == 0, "the wrong app's attempt did not use the code up"
    assert server.authorize_tiktok_for_app(seller="Lindenhof Atelier")[1] == "ROW"


def test_a_token_of_one_app_is_invalid_for_the_other(server) -> None:
    us = tiktok_for(server, "Harbor & Pine Goods")
    assert us.call("GET", "/authorization/202309/shops").json()["code"] == 0
    as_global = TikTok(server, us.token, "ROW")
    answer = as_global.call("GET", "/authorization/202309/shops").json()
    assert answer["code"] == 36009004 and "x-tts-access-token" in answer["message"]


def test_a_signature_made_with_the_other_apps_secret_is_refused(server) -> None:
    us = tiktok_for(server, "Harbor & Pine Goods")
    us.app_secret = server.app_secret  # the US key, signed with the global secret
    assert us.call("GET", "/authorization/202309/shops").json()["code"] == 106001


def test_each_authorize_host_knows_only_its_own_apps_service_id(server) -> None:
    def page(path: str, service_id: str) -> int:
        return requests.get(server.url + path, params={"service_id": service_id}, timeout=10).status_code

    assert page("/us/open/authorize", server.us_service_id) == 200
    assert page("/us/open/authorize", server.service_id) == 400
    assert page("/open/authorize", server.service_id) == 200
    assert page("/open/authorize", server.us_service_id) == 400


def test_app_store_install_returns_with_the_code_and_no_state(server) -> None:
    state_page = requests.get(server.url + "/_sandbox/", timeout=10).text
    assert "Install from the App Store" in state_page
    form = {"service_id": server.us_service_id, "redirect_uri": "http://127.0.0.1:9/cb"}
    consent = requests.get(server.url + "/us/open/authorize", params=form, timeout=10)
    assert "App Store" in consent.text
    approved = requests.post(
        server.url + "/us/open/authorize",
        data=form | {"decision": "approve", "seller": "1"},
        allow_redirects=False,
        timeout=10,
    )
    location = approved.headers["Location"]
    assert location.startswith("http://127.0.0.1:9/cb?code=") and "state" not in location


def test_refresh_after_revoking_only_the_access_token_works(fresh) -> None:
    code, app = fresh.authorize_tiktok_for_app(seller="Lindenhof Atelier")
    tokens = exchange(fresh, code, app)["data"]
    fresh.revoke_tiktok_tokens("Lindenhof Atelier")
    assert (
        TikTok(fresh, tokens["access_token"]).call("GET", "/authorization/202309/shops").json()["code"]
        == 36009004
    )
    key, secret = fresh.tiktok_app(app)
    params = {"app_key": key, "app_secret": secret, "refresh_token": tokens["refresh_token"]}
    refreshed = requests.get(
        fresh.url + "/api/v2/token/refresh", params=params | {"grant_type": "refresh_token"}, timeout=10
    ).json()
    assert refreshed["code"] == 0
    fresh.revoke_tiktok_tokens("Lindenhof Atelier", refresh=True)
    params["refresh_token"] = refreshed["data"]["refresh_token"]
    again = requests.get(
        fresh.url + "/api/v2/token/refresh", params=params | {"grant_type": "refresh_token"}, timeout=10
    ).json()
    assert again["code"] != 0


def _first(server, shop_id: str, **match) -> dict:
    return next(
        r
        for r in server.all_requests(shop_id)
        if all(r[key] == value if not callable(value) else value(r[key]) for key, value in match.items())
    )


def _decide(client: TikTok, kind: str, request_id: str, verb: str, payload: dict) -> dict:
    path = f"{BASE}/{kind}/{request_id}/{verb}"
    cipher = next(s["cipher"] for s in client.shops() if s["id"] == client.shop_id)
    query = {"idempotency_key": f"k-{time.time_ns()}", "shop_cipher": cipher}
    return client.call("POST", path, query, body(payload)).json()


def test_return_decisions_are_refused_with_the_documented_codes(fresh) -> None:
    client = tiktok_for(fresh, "Lindenhof Atelier")
    shop_id = client.shop_id = client.shops()[0]["id"]
    reason = {"decision": "REJECT_RETURN", "reject_reason": "seller_reject_apply_no_evidence"}
    arbitration = _first(fresh, shop_id, kind="return", arbitration_status="IN_PROGRESS")
    cases = [
        (arbitration["id"], "approve", {"decision": "APPROVE_REFUND"}, 25011010),
        (
            _first(fresh, shop_id, kind="return", status="AWAITING_BUYER_SHIP")["id"],
            "approve",
            {"decision": "APPROVE_RETURN"},
            25011012,
        ),
        (
            _first(fresh, shop_id, kind="return", next_action="SELLER_RESPOND_REFUND")["id"],
            "approve",
            {"decision": "APPROVE_RECEIVED_PACKAGE"},
            25011013,
        ),
        (
            _first(fresh, shop_id, kind="return", status="RETURN_OR_REFUND_REQUEST_CANCEL")["id"],
            "reject",
            reason,
            25020009,
        ),
        (
            _first(fresh, shop_id, kind="return", status="AWAITING_BUYER_SHIP")["id"],
            "reject",
            reason,
            25020010,
        ),
        (
            _first(fresh, shop_id, kind="return", next_action="SELLER_RESPOND_RECEIVE_PACKAGE")["id"],
            "reject",
            {"decision": "REJECT_RECEIVED_PACKAGE", "reject_reason": "seller_reject_apply_no_evidence"},
            25001020,
        ),
    ]
    for request_id, verb, payload, code in cases:
        answer = _decide(client, "returns", request_id, verb, payload)
        assert answer["code"] == code, (request_id, verb, payload, answer)
    cancellation = _first(fresh, shop_id, kind="cancel", next_action="")
    assert _decide(client, "cancellations", cancellation["id"], "approve", {})["code"] == 25020003


def test_us_shops_cannot_reject_a_cancellation_through_the_api(fresh) -> None:
    client = tiktok_for(fresh, "Harbor & Pine Goods")
    shop_id = client.shop_id = client.shops()[0]["id"]
    pending = _first(fresh, shop_id, kind="cancel", next_action="SELLER_RESPOND_CANCEL")
    reason = {"reject_reason": "seller_reject_cancel_already_shipped"}
    answer = _decide(client, "cancellations", pending["id"], "reject", reason)
    assert answer["code"] == 36009004 and "ship the order" in answer["message"]
    assert fresh.all_requests(shop_id)[0] is not None
    assert _first(fresh, shop_id, id=pending["id"])["status"] == "CANCELLATION_REQUEST_PENDING"


def test_webhooks_are_signed_by_the_app_of_the_shops_seller(fresh) -> None:
    receiver = Receiver()
    fresh.set_webhook_url(receiver.url)
    us = tiktok_for(fresh, "Harbor & Pine Goods").shops()[0]
    gb = tiktok_for(fresh, "Lindenhof Atelier").shops()[0]
    fresh.send_webhook(7, us["id"])
    fresh.send_webhook(7, gb["id"])
    assert wait_for(lambda: len(receiver.received) >= 2)
    by_shop = {json.loads(raw)["shop_id"]: (raw, signature) for signature, raw, _ in receiver.received}
    raw, signature = by_shop[us["id"]]
    assert signature == webhook_signature(fresh.us_app_key, fresh.us_app_secret, raw)
    raw, signature = by_shop[gb["id"]]
    assert signature == webhook_signature(fresh.app_key, fresh.app_secret, raw)
