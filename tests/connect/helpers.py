"""Helpers: stubs for the marketplaces' OAuth and API hosts (``responses``), and helpers to drive the flows
through the app like a browser: start → (marketplace consent, stubbed) → callback."""

from __future__ import annotations

import base64
import hashlib
import time
from urllib.parse import parse_qs, urlsplit

from connector_app.config import TestConfig

ETSY_TOKEN = TestConfig.ETSY_TOKEN_URL
ETSY_API = TestConfig.ETSY_API_URL.rstrip("/") + "/v3/application"
TIKTOK_TOKEN = TestConfig.TIKTOK_AUTH_API_URL.rstrip("/") + "/api/v2/token/get"
TIKTOK_SHOPS = TestConfig.TIKTOK_API_URL.rstrip("/") + "/authorization/202309/shops"
TIKTOK_REFRESH = TestConfig.TIKTOK_AUTH_API_URL.rstrip("/") + "/api/v2/token/refresh"


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def etsy_tokens(user_id: int = 4242, access: str = "acc-1", refresh: str = "ref-1") -> dict:
    return {
        "access_token": f"{user_id}.{access}",
        "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": f"{user_id}.{refresh}",
    }


def stub_etsy_api(mocked, *, user_id=4242, shop_id=777, shop_name="Harbor & Pine", currency="EUR"):
    mocked.get(f"{ETSY_API}/users/me", json={"user_id": user_id, "shop_id": shop_id})
    if shop_id is not None:
        mocked.get(
            f"{ETSY_API}/shops/{shop_id}",
            json={
                "shop_id": shop_id,
                "shop_name": shop_name,
                "currency_code": currency,
                "url": f"https://www.etsy.com/shop/{shop_name}",
            },
        )


def start_etsy(client) -> dict[str, str]:
    """Follow /connect/etsy to the (stubbed) Etsy consent page; return its query parameters."""
    response = client.get("/connect/etsy")
    assert response.status_code == 302
    return query(response.headers["Location"])


def tiktok_envelope(data: dict | None = None, code: int = 0, message: str = "success") -> dict:
    return {"code": code, "message": message, "request_id": "req-1", "data": data or {}}


def tiktok_token_data(open_id: str = "open-abc", seller: str = "Harbor Seller", access: str = "ROW_a"):
    now = int(time.time())
    return {
        "access_token": access,
        "access_token_expire_in": now + 7 * 86400,
        "refresh_token": "ROW_ref",
        "refresh_token_expire_in": now + 365 * 86400,
        "open_id": open_id,
        "seller_name": seller,
        "seller_base_region": "GB",
        "user_type": 0,
        "granted_scopes": ["seller.authorization.info", "seller.return_refund.basic"],
    }


def tiktok_shop_data(n: int, region: str = "GB") -> dict:
    return {
        "id": f"74947266737801{n:05d}",
        "name": f"Pine Shop {n}",
        "region": region,
        "seller_type": "LOCAL",
        "cipher": f"ROW_cipher_{n}",
        "code": f"GBLC{n}",
    }


def stub_tiktok(mocked, shops: list[dict], token: dict | None = None):
    mocked.get(TIKTOK_TOKEN, json=tiktok_envelope(token or tiktok_token_data()))
    mocked.get(TIKTOK_SHOPS, json=tiktok_envelope({"shops": shops}))


def start_tiktok(client, region: str = "GB") -> dict[str, str]:
    response = client.get(f"/connect/tiktok?region={region}")
    assert response.status_code == 302
    return query(response.headers["Location"])


def guide_text(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)
