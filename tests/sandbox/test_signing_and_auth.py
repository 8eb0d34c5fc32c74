"""Gateway checks of signed TikTok calls and the token endpoints."""

from __future__ import annotations

import time

import requests
from conftest import exchange, tiktok_for

from sandbox_marketplace.signing import sign, webhook_signature


def test_reference_vectors() -> None:
    assert sign(
        "e59af819cc", "/authorization/202309/shops", {"app_key": "29a39d", "timestamp": "1623812664"}
    ) == ("b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8")
    assert sign("app_secret", "/test-api", {"foo": "bar"}) == (
        "d3cb7fe11ecae942802ceeca67e7cf10120cc12f1517d45fbc1c8cfe5413c80f"
    )
    query = {
        "app_key": "29a39d",
        "page_size": "50",
        "shop_cipher": "ROW_abc",
        "sort_field": "update_time",
        "sort_order": "ASC",
        "timestamp": "1623812664",
    }
    body = b'{"update_time_ge":1690340825,"return_status":["RETURN_OR_REFUND_REQUEST_PENDING"]}'
    assert sign("e59af819cc", "/return_refund/202309/returns/search", query, body) == (
        "da3d0416e749cf6efdfe02f41e0aed62136e8e580d60f90a641e6a7310475953"
    )
    webhook = (
        b'{"type":1,"shop_id":"7494726673780148744","timestamp":1664095733,"data":{"order_id":'
        b'"576684019603311365","order_status":"AWAITING_SHIPMENT","update_time":1664095610}}'
    )
    assert webhook_signature("fake_app_key", "fake_app_secret", webhook) == (
        "21109834de72ec53c9959716d8514ae388ce1f123e5ffdcafc46713fcdf62b27"
    )


def test_signed_call_accepted_and_tampering_rejected(tiktok) -> None:
    assert tiktok.call("GET", "/authorization/202309/shops").json()["code"] == 0
    upper = tiktok.call("GET", "/authorization/202309/shops", mutate_sign=str.upper)
    assert upper.json()["code"] == 106001
    one_byte = tiktok.call(
        "GET", "/authorization/202309/shops", mutate_sign=lambda s: s[:-1] + ("0" if s[-1] != "0" else "1")
    )
    assert one_byte.json()["code"] == 106001


def test_body_bytes_are_signed_exactly(tiktok) -> None:
    cipher = tiktok.shops()[0]["cipher"]
    path = "/return_refund/202309/returns/search"
    params = {"shop_cipher": cipher, "page_size": 10}
    assert tiktok.call("POST", path, params, b'{"return_types":["REFUND"]}').json()["code"] == 0
    signed_other = sign(
        tiktok.server.app_secret,
        path,
        {
            "shop_cipher": cipher,
            "page_size": "10",
            "app_key": tiktok.server.app_key,
            "timestamp": str(int(time.time())),
        },
        b"{}",
    )
    query = {
        "shop_cipher": cipher,
        "page_size": "10",
        "app_key": tiktok.server.app_key,
        "timestamp": str(int(time.time())),
        "sign": signed_other,
    }
    respaced = requests.post(
        tiktok.server.url + path,
        params=query,
        data=b"{ }",
        headers={"x-tts-access-token": tiktok.token},
        timeout=10,
    )
    assert respaced.json()["code"] == 106001


def test_timestamp_window(tiktok) -> None:
    now = int(time.time())
    assert tiktok.call("GET", "/authorization/202309/shops", timestamp=now - 290).json()["code"] == 0
    assert tiktok.call("GET", "/authorization/202309/shops", timestamp=now - 400).json()["code"] == 36009004
    assert tiktok.call("GET", "/authorization/202309/shops", timestamp=now + 120).json()["code"] == 36009004


def test_shop_cipher_rules(server, tiktok) -> None:
    cipher = tiktok.shops()[0]["cipher"]
    with_cipher = tiktok.call("GET", "/authorization/202309/shops", {"shop_cipher": cipher})
    assert with_cipher.json()["code"] == 36009004
    missing = tiktok.call("POST", "/return_refund/202309/returns/search", {"page_size": 10}, b"{}")
    assert missing.json()["code"] == 106013
    other = tiktok_for(server, "Kirana Craft Co").shops()[0]["cipher"]
    foreign = tiktok.call(
        "POST", "/return_refund/202309/returns/search", {"page_size": 10, "shop_cipher": other}, b"{}"
    )
    assert foreign.json()["code"] == 101000


def test_token_exchange_code_single_use_and_refresh_rotation(server) -> None:
    code = server.authorize_tiktok(region="DE")
    first = exchange(server, code)
    assert first["code"] == 0 and first["data"]["seller_name"] == "Lindenhof Atelier"
    assert first["data"]["access_token_expire_in"] > time.time() + 6 * 86400  # absolute timestamp
    assert exchange(server, code)["code"] != 0
    refresh = lambda token: requests.get(  # noqa: E731
        server.url + "/api/v2/token/refresh",
        params={  # noqa: E731
            "app_key": server.app_key,
            "app_secret": server.app_secret,
            "refresh_token": token,
            "grant_type": "refresh_token",
        },
        timeout=10,
    ).json()
    second = refresh(first["data"]["refresh_token"])
    assert second["code"] == 0
    assert second["data"]["refresh_token"] != first["data"]["refresh_token"]
    assert refresh(first["data"]["refresh_token"])["code"] == 36004005
    assert refresh(second["data"]["refresh_token"])["code"] == 0


def test_expired_token_is_105002(fresh) -> None:
    client = tiktok_for(fresh)
    assert client.call("GET", "/authorization/202309/shops").json()["code"] == 0
    fresh.set_faults(expire_tokens_now=True)
    response = client.call("GET", "/authorization/202309/shops")
    assert response.status_code == 401 and response.json()["code"] == 105002


def test_token_expires_after_n_calls(fresh) -> None:
    fresh.set_faults(expire_token_after_calls=2)
    client = tiktok_for(fresh)
    codes = [client.call("GET", "/authorization/202309/shops").json()["code"] for _ in range(3)]
    assert codes == [0, 0, 105002]


def test_consent_page_redirects(server) -> None:
    page = requests.get(
        server.url + "/us/open/authorize",
        params={"service_id": server.us_service_id, "state": "s1"},
        timeout=10,
    )
    assert "Harbor &amp; Pine Goods" in page.text and "Lindenhof" not in page.text
    bad = requests.get(
        server.url + "/open/authorize", params={"service_id": "nope", "state": "s"}, timeout=10
    )
    assert bad.status_code == 400
    form = {"service_id": server.service_id, "state": "s2", "redirect_uri": "http://127.0.0.1:9/cb"}
    refused = requests.post(
        server.url + "/open/authorize", data=form | {"decision": "refuse"}, allow_redirects=False, timeout=10
    )
    assert refused.headers["Location"] == "http://127.0.0.1:9/cb?error=auth_denied&state=s2"
    approved = requests.post(
        server.url + "/open/authorize",
        data=form | {"decision": "approve", "seller": "2"},
        allow_redirects=False,
        timeout=10,
    )
    location = approved.headers["Location"]
    assert location.startswith("http://127.0.0.1:9/cb?code=") and location.endswith("&state=s2")
