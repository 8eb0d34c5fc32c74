"""Etsy OAuth with PKCE, refresh rotation, x-api-key, scopes, paging, inventory and rate limits."""

from __future__ import annotations

import base64
import hashlib
import secrets

import requests

from sandbox_marketplace.testing import SandboxServer

REDIRECT = "http://127.0.0.1:5000/connect/etsy/callback"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def token(server, **form):
    return requests.post(server.url + "/v3/public/oauth/token", data=form, timeout=10)


def connect(server, user=None):
    verifier, challenge = pkce()
    code = server.authorize_etsy(challenge, REDIRECT, "st", user=user)
    reply = token(
        server,
        grant_type="authorization_code",
        client_id=server.etsy_keystring,
        redirect_uri=REDIRECT,
        code=code,
        code_verifier=verifier,
    )
    return reply.json()


def api(server, path, access=None, method="GET", **kw):
    headers = {"x-api-key": f"{server.etsy_keystring}:{server.etsy_shared_secret}"}
    if access:
        headers["Authorization"] = f"Bearer {access}"
    return requests.request(method, server.url + "/v3/application" + path, headers=headers, timeout=10, **kw)


def test_pkce_code_exchange_errors(server) -> None:
    verifier, challenge = pkce()
    code = server.authorize_etsy(challenge, REDIRECT, "st")
    base = {
        "grant_type": "authorization_code",
        "client_id": server.etsy_keystring,
        "redirect_uri": REDIRECT,
        "code": code,
    }
    wrong = token(server, **base, code_verifier=pkce()[0])
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    assert token(server, **base | {"client_id": "other"}, code_verifier=verifier).status_code in (400, 401)
    mismatch = token(server, **base | {"redirect_uri": REDIRECT + "x"}, code_verifier=verifier)
    assert mismatch.json()["error"] == "invalid_grant"
    good = token(server, **base, code_verifier=verifier)
    assert (
        good.status_code == 200
        and good.json()["token_type"] == "Bearer"
        and good.json()["expires_in"] == 3600
    )
    user_id = good.json()["access_token"].split(".")[0]
    assert api(server, "/users/me", good.json()["access_token"]).json()["user_id"] == int(user_id)
    reused = token(server, **base, code_verifier=verifier)
    assert reused.json() == {"error": "invalid_grant", "error_description": "code has been used previously"}


def test_refresh_rotation(server) -> None:
    first = connect(server)
    second = token(
        server,
        grant_type="refresh_token",
        client_id=server.etsy_keystring,
        refresh_token=first["refresh_token"],
    ).json()
    assert second["refresh_token"] != first["refresh_token"]
    revoked = token(
        server,
        grant_type="refresh_token",
        client_id=server.etsy_keystring,
        refresh_token=first["refresh_token"],
    )
    assert revoked.status_code == 400
    assert revoked.json() == {"error": "invalid_grant", "error_description": "refresh_token is revoked"}


def test_consent_page_validation(server) -> None:
    params = {
        "response_type": "code",
        "client_id": server.etsy_keystring,
        "redirect_uri": REDIRECT,
        "scope": "shops_r",
        "state": "abc",
        "code_challenge": pkce()[1],
        "code_challenge_method": "S256",
    }
    assert requests.get(server.url + "/oauth/connect", params=params, timeout=5).status_code == 200
    for broken in ({"client_id": "nope"}, {"state": ""}, {"code_challenge": ""}):
        assert (
            requests.get(server.url + "/oauth/connect", params=params | broken, timeout=5).status_code == 400
        )
    refused = requests.post(
        server.url + "/oauth/connect", data=params | {"decision": "refuse"}, allow_redirects=False, timeout=5
    )
    assert "error=access_denied" in refused.headers["Location"] and "state=abc" in refused.headers["Location"]


def test_api_key_and_expiry(server) -> None:
    alone = requests.get(
        server.url + "/v3/application/openapi-ping", headers={"x-api-key": server.etsy_keystring}, timeout=5
    )
    assert alone.status_code == 403
    assert alone.json() == {"error": "Shared secret is required in x-api-key header."}
    ping = api(server, "/openapi-ping")
    assert ping.status_code == 200 and int(ping.headers["x-limit-per-second"]) > 0
    assert {"x-remaining-this-second", "x-limit-per-day", "x-remaining-today"} <= set(ping.headers.keys()) | {
        k.lower() for k in ping.headers
    }
    access = connect(server)["access_token"]
    server.set_faults(expire_tokens_now=True)
    expired = api(server, "/users/me", access)
    assert expired.status_code == 401
    assert expired.json() == {"error": "invalid_token", "error_description": "access token is expired"}


def test_listings_paging_and_inventory_put(server) -> None:
    access = connect(server, user="harborpine")["access_token"]
    shop_id = api(server, "/users/me", access).json()["shop_id"]
    page = api(server, f"/shops/{shop_id}/listings", access, params={"limit": 2, "offset": 0}).json()
    rest = api(server, f"/shops/{shop_id}/listings", access, params={"limit": 100, "offset": 2}).json()
    assert page["count"] == rest["count"] == len(page["results"]) + len(rest["results"])
    assert api(server, f"/shops/{shop_id}/listings", access, params={"limit": 101}).status_code == 400
    listing_id = page["results"][0]["listing_id"]
    inventory = api(server, f"/listings/{listing_id}/inventory", access).json()
    product = inventory["products"][0]
    product["offerings"][0]["quantity"] += 3
    body = {
        "products": [
            {
                "sku": p["sku"],
                "property_values": p["property_values"],
                "offerings": [
                    {
                        "price": o["price"]["amount"] / 100,
                        "quantity": o["quantity"],
                        "is_enabled": True,
                        "readiness_state_id": o["readiness_state_id"],
                    }
                    for o in p["offerings"]
                ],
            }
            for p in inventory["products"]
        ],
        "quantity_on_property": [513],
    }
    assert api(server, f"/listings/{listing_id}/inventory", access, "PUT", json=body).status_code == 200
    again = api(server, f"/listings/{listing_id}/inventory", access).json()
    assert again["products"][0]["offerings"][0]["quantity"] == product["offerings"][0]["quantity"]
    assert (
        api(server, f"/listings/{listing_id}/inventory", access, "PUT", json={"products": "x"}).status_code
        == 400
    )
    receipts = api(server, f"/shops/{shop_id}/receipts", access, params={"limit": 5}).json()
    assert receipts["count"] == 30 and len(receipts["results"]) == 5
    one = receipts["results"][0]["receipt_id"]
    assert api(server, f"/shops/{shop_id}/receipts/{one}", access).json()["receipt_id"] == one


def test_skus_match_tiktok_line_items(server) -> None:
    access = connect(server, user="harborpine")["access_token"]
    shop_id = api(server, "/users/me", access).json()["shop_id"]
    listings = api(server, f"/shops/{shop_id}/listings", access, params={"limit": 100}).json()["results"]
    etsy_skus = {sku for listing in listings for sku in listing["skus"]}
    state = server.state()
    assert etsy_skus and all(sku.startswith("HP-") for sku in etsy_skus)
    assert any(s["seller"] == "Harbor & Pine Goods" for s in state["shops"])


def test_per_second_limit() -> None:
    with SandboxServer(returns=10, SANDBOX_ETSY_QPS=3) as srv:
        statuses = [api(srv, "/openapi-ping").status_code for _ in range(6)]
        assert statuses.count(429) >= 2 and statuses[0] == 200
        limited = next(r for r in (api(srv, "/openapi-ping") for _ in range(4)) if r.status_code == 429)
        assert limited.headers["retry-after"] == "1"


def test_inventory_put_requires_each_offerings_processing_profile(server) -> None:
    access = connect(server, user="harborpine")["access_token"]
    shop_id = api(server, "/users/me", access).json()["shop_id"]
    listing_id = api(server, f"/shops/{shop_id}/listings", access).json()["results"][0]["listing_id"]
    inventory = api(server, f"/listings/{listing_id}/inventory", access).json()
    profiles = {o["readiness_state_id"] for p in inventory["products"] for o in p["offerings"]}
    assert profiles and None not in profiles, "seeded physical listings carry processing profiles"

    def body(offering_extra: dict) -> dict:
        return {
            "products": [
                {
                    "sku": p["sku"],
                    "property_values": p["property_values"],
                    "offerings": [
                        {"price": o["price"]["amount"] / 100, "quantity": o["quantity"], "is_enabled": True}
                        | offering_extra
                        for o in p["offerings"]
                    ],
                }
                for p in inventory["products"]
            ]
        }

    dropped = api(server, f"/listings/{listing_id}/inventory", access, "PUT", json=body({}))
    assert dropped.status_code == 400 and "readiness_state_id is required" in dropped.json()["error"]
    foreign = api(
        server, f"/listings/{listing_id}/inventory", access, "PUT", json=body({"readiness_state_id": 7})
    )
    assert foreign.status_code == 400 and "not a processing profile" in foreign.json()["error"]
    cleared = api(
        server, f"/listings/{listing_id}/inventory", access, "PUT", json=body({"readiness_state_id": None})
    )
    assert cleared.status_code == 200, "the key is required, its value may be null"
    assert cleared.headers["X-Etsy-Request-Uuid"]
