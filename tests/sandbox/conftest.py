"""Fixtures for the sandbox marketplace tests: a live server and a small signed TikTok client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sandbox_marketplace.signing import sign
from sandbox_marketplace.testing import SandboxServer


class TikTok:
    """Minimal signed caller used by the tests (independent of the connector's client)."""

    def __init__(self, server: SandboxServer, token: str, app: str = "ROW") -> None:
        self.server, self.token = server, token
        self.app_key, self.app_secret = server.tiktok_app(app)

    def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: bytes = b"",
        *,
        timestamp: int | None = None,
        mutate_sign=None,
        token: str | None = None,
    ) -> requests.Response:
        query = {k: str(v) for k, v in (params or {}).items()}
        query.update(app_key=self.app_key, timestamp=str(timestamp or int(time.time())))
        signature = sign(self.app_secret, path, query, body)
        query["sign"] = mutate_sign(signature) if mutate_sign else signature
        headers = {"x-tts-access-token": token or self.token, "content-type": "application/json"}
        return requests.request(
            method, self.server.url + path, params=query, data=body, headers=headers, timeout=30
        )

    def shops(self) -> list[dict[str, Any]]:
        return self.call("GET", "/authorization/202309/shops").json()["data"]["shops"]


def exchange(server: SandboxServer, code: str, app: str = "ROW") -> dict[str, Any]:
    app_key, app_secret = server.tiktok_app(app)
    params = {
        "app_key": app_key,
        "app_secret": app_secret,
        "auth_code": code,
        "grant_type": "authorized_code",
    }
    return requests.get(server.url + "/api/v2/token/get", params=params, timeout=10).json()


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(seed=1, returns=600, SANDBOX_TIKTOK_QPS=10_000, SANDBOX_ETSY_QPS=10_000) as srv:
        yield srv


@pytest.fixture
def fresh() -> Iterator[SandboxServer]:
    with SandboxServer(seed=3, returns=300, SANDBOX_TIKTOK_QPS=10_000, SANDBOX_ETSY_QPS=10_000) as srv:
        yield srv


def tiktok_for(server: SandboxServer, seller: str | None = None) -> TikTok:
    """A caller signed by the app that authorized ``seller`` (US sellers: the US app)."""
    code, app = server.authorize_tiktok_for_app(seller=seller)
    return TikTok(server, exchange(server, code, app)["data"]["access_token"], app)


@pytest.fixture
def tiktok(server: SandboxServer) -> TikTok:
    return tiktok_for(server, "Lindenhof Atelier")
