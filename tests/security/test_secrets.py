"""Secrets never leave the process: no app secret, authorization code or token in an exception
message or a log record when a marketplace cannot be reached; a logging filter as the backstop; the
access log without query strings; owner-only files; production refuses a half configuration."""

from __future__ import annotations

import logging
import os
import socket
import stat

import pytest

from connector_app import create_app
from connector_app.config import TestConfig
from connector_app.marketplaces.errors import TransportError
from connector_app.marketplaces.policy import RetryPolicy
from connector_app.marketplaces.tiktok import TikTokAuth
from connector_app.observability.gunicorn_conf import access_log_format as ACCESS_LOG_FORMAT
from connector_app.production import ConfigurationError
from connector_app.redaction import RedactingFilter, redact
from tests.connect.helpers import start_tiktok

APP_SECRET = "MY-APP-SECRET-7f3a"
REFRESH = "ROW-REFRESH-TOKEN-SECRET-91b2"
CODE = "AUTH-CODE-SECRET-c44d"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: connections are refused


def _everything_logged(caplog) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        if record.exc_text:
            parts.append(record.exc_text)
    return "\n".join(parts)


def test_unreachable_token_host_leaks_no_secret(caplog):
    caplog.set_level(logging.DEBUG)
    auth = TikTokAuth(
        "my_app_key",
        APP_SECRET,
        f"http://127.0.0.1:{_closed_port()}",
        policy=RetryPolicy(attempts=2, backoff_max=0, max_retry_after=0, timeout=(2, 5)),
        sleep=lambda s: None,
    )
    with pytest.raises(TransportError) as raised:
        auth.refresh(REFRESH)
    exc = raised.value
    for text in (str(exc), repr(exc), _everything_logged(caplog)):
        assert APP_SECRET not in text and REFRESH not in text
    assert "127.0.0.1" in exc.message and "ConnectionError" in exc.message  # what happened, and where
    assert exc.__cause__ is None and exc.__suppress_context__


def test_connect_callback_with_unreachable_token_host_logs_no_code_or_secret(app, logged_in, caplog):
    app.config.update(TIKTOK_AUTH_API_URL=f"http://127.0.0.1:{_closed_port()}", TIKTOK_APP_SECRET=APP_SECRET)
    params = start_tiktok(logged_in)
    caplog.set_level(logging.DEBUG)
    response = logged_in.get(
        "/connect/tiktok/callback",
        query_string={"code": CODE, "state": params["state"]},
        follow_redirects=True,
    )
    assert "could not be reached" in response.get_data(as_text=True)
    logged = _everything_logged(caplog)
    assert "unreachable" in logged
    assert APP_SECRET not in logged and CODE not in logged


def test_the_filter_redacts_every_secret_name_in_messages_arguments_and_tracebacks():
    line = (
        "GET /api/v2/token/get?app_key=k&app_secret=S1&auth_code=S2&refresh_token=S3 "
        "callback?code=S4&state=S5 sign=S6 {'access_token': 'S7'} {\"refresh_token\": \"S8\"}"
    )
    cleaned = redact(line)
    for secret in ("S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8"):
        assert secret not in cleaned
    assert "app_key=k" in cleaned  # not a secret: left alone

    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed: %s", ("url?app_secret=S9",), None)
    try:
        raise ValueError("boom at url?refresh_token=S10")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert "S9" not in formatted and "S10" not in formatted and "boom" in formatted


def test_the_filter_is_installed_on_the_root_handlers(fresh_app):
    root = logging.getLogger()
    assert any(isinstance(f, RedactingFilter) for f in root.filters)
    assert all(any(isinstance(f, RedactingFilter) for f in h.filters) for h in root.handlers)


def test_access_log_writes_paths_without_query_strings():
    assert "%(U)s" in ACCESS_LOG_FORMAT
    assert "%(r)s" not in ACCESS_LOG_FORMAT and "%(q)s" not in ACCESS_LOG_FORMAT
    assert "%(f)s" not in ACCESS_LOG_FORMAT  # the referer may be a marketplace URL with a code


def test_instance_folder_database_and_queue_dump_are_private(tmp_path):
    instance = tmp_path / "instance"
    config = {"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": None, "REDIS_URL": None}
    app = create_app(type("Private", (TestConfig,), config))
    from connector_app.extensions import db, rq

    with app.app_context():
        db.create_all()
        rq.connection.set("x", "y")
        rq.connection.save()
        db.engine.dispose()

    def mode(path):
        return stat.S_IMODE(os.stat(path).st_mode)

    assert mode(instance) == 0o700
    files = [p for p in instance.iterdir() if p.is_file()]
    assert {p.name for p in files} >= {"connector.sqlite", "queue.rdb"}
    for path in files:
        assert mode(path) & 0o077 == 0, f"{path.name} is {oct(mode(path))}"


PRODUCTION = {
    "APP_ENV": "production",
    "PUBLIC_BASE_URL": "https://connector.example.com",
    "TIKTOK_APP_KEY": "real-key",
    "TIKTOK_APP_SECRET": "real-secret",
    "TIKTOK_SERVICE_ID": "real-service",
    "ETSY_KEYSTRING": "real-keystring",
    "ETSY_SHARED_SECRET": "real-shared",
    "TIKTOK_AUTHORIZE_URL_US": "https://services.tiktokshops.us/open/authorize",
    "TIKTOK_AUTHORIZE_URL_ROW": "https://services.tiktokshop.com/open/authorize",
    "TIKTOK_AUTH_API_URL": "https://auth.tiktok-shops.com",
    "TIKTOK_API_URL": "https://open-api.tiktokglobalshop.com",
    "ETSY_AUTHORIZE_URL": "https://www.etsy.com/oauth/connect",
    "ETSY_TOKEN_URL": "https://api.etsy.com/v3/public/oauth/token",
    "ETSY_API_URL": "https://api.etsy.com",
}


@pytest.mark.parametrize(
    ("missing", "value"),
    [
        ("PUBLIC_BASE_URL", None),
        ("PUBLIC_BASE_URL", "http://connector.example.com"),
        ("TIKTOK_APP_SECRET", "sandbox_app_secret"),
        ("ETSY_KEYSTRING", None),
        ("TIKTOK_AUTH_API_URL", "http://127.0.0.1:5001"),
        ("ETSY_TOKEN_URL", "http://api.etsy.com/v3/public/oauth/token"),
    ],
)
def test_production_refuses_to_start_half_configured(app_config, missing, value):
    config = {**app_config, **PRODUCTION, missing: value}
    with pytest.raises(ConfigurationError, match=missing):
        create_app(type("Prod", (TestConfig,), config))


def test_production_trusts_only_the_public_host(app_config):
    app = create_app(type("Prod", (TestConfig,), {**app_config, **PRODUCTION}))
    assert app.config["TRUSTED_HOSTS"] == ["connector.example.com"]
    client = app.test_client()
    assert client.get("/login", base_url="https://connector.example.com").status_code == 200
    assert client.get("/login", base_url="https://evil.example").status_code == 400


def test_development_starts_with_nothing_configured(app_config):
    app = create_app(type("Dev", (TestConfig,), app_config))
    assert app.config["APP_ENV"] == "development" and not app.config.get("TRUSTED_HOSTS")


def test_etsy_redirect_uri_never_comes_from_a_forged_host(app, logged_in):
    response = logged_in.get("/connect/etsy", headers={"Host": "evil.example"})
    location = response.headers.get("Location", "")
    assert "evil.example" not in location
