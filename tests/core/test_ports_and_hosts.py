"""``make run`` on any ports: the connector's marketplace URLs follow SANDBOX_PORT, the sandbox's
redirect and webhook URLs follow PORT, and localhost is redirected to 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from connector_app import create_app
from connector_app.config import BASE_DIR, TestConfig
from sandbox_marketplace.config import load_settings


def _connector_config(env: dict[str, str]) -> dict:
    code = (
        "import json; from connector_app.config import Config as C; "
        "print(json.dumps({k: getattr(C, k) for k in dir(C) if k.startswith(('TIKTOK_', 'ETSY_'))}))"
    )
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("TIKTOK_", "ETSY_", "SANDBOX_", "PORT"))
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=BASE_DIR,
        capture_output=True,
        check=True,
        text=True,
    )
    return json.loads(out.stdout)


def test_the_connectors_marketplace_urls_follow_sandbox_port():
    config = _connector_config({"SANDBOX_PORT": "5701"})
    for key in ("TIKTOK_API_URL", "TIKTOK_AUTH_API_URL", "ETSY_API_URL"):
        assert config[key] == "http://127.0.0.1:5701"
    assert config["TIKTOK_AUTHORIZE_URL_US"] == "http://127.0.0.1:5701/us/open/authorize"
    assert config["ETSY_TOKEN_URL"] == "http://127.0.0.1:5701/v3/public/oauth/token"
    assert _connector_config({})["TIKTOK_API_URL"] == "http://127.0.0.1:5001"


def test_the_sandboxs_redirect_and_webhook_urls_follow_port(monkeypatch):
    for key in ("SANDBOX_TIKTOK_REDIRECT_URL", "SANDBOX_TIKTOK_US_REDIRECT_URL", "SANDBOX_WEBHOOK_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PORT", "5700")
    settings = load_settings()
    assert settings["SANDBOX_TIKTOK_REDIRECT_URL"] == "http://127.0.0.1:5700/connect/tiktok/callback"
    assert settings["SANDBOX_TIKTOK_US_REDIRECT_URL"] == "http://127.0.0.1:5700/connect/tiktok/us/callback"
    assert settings["SANDBOX_WEBHOOK_URL"] == "http://127.0.0.1:5700/webhooks/tiktok"
    assert load_settings({"SANDBOX_WEBHOOK_URL": ""})["SANDBOX_WEBHOOK_URL"] == "", "off stays off"
    explicit = load_settings({"SANDBOX_TIKTOK_REDIRECT_URL": "https://shop.example/cb"})
    assert explicit["SANDBOX_TIKTOK_REDIRECT_URL"] == "https://shop.example/cb"


@pytest.fixture
def loopback_app(app_config):
    return create_app(type("LoopbackConfig", (TestConfig,), {**app_config, "CANONICAL_LOOPBACK": True}))


def test_localhost_is_redirected_to_127_0_0_1(loopback_app):
    client = loopback_app.test_client()
    response = client.get("/login?next=/returns", base_url="http://localhost:5700")
    assert response.status_code == 308
    assert response.headers["Location"] == "http://127.0.0.1:5700/login?next=/returns"
    assert client.get("/login", base_url="http://127.0.0.1:5700").status_code == 200
