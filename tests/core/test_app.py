from __future__ import annotations

import pytest

from connector_app import create_app
from connector_app.config import TestConfig


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert b"<script>" not in response.data  # no inline script anywhere


def test_pages_carry_the_csrf_token_for_htmx(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in page


def test_404_page_leaks_nothing(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Page not found" in response.data
    assert b"Traceback" not in response.data


def test_500_page_leaks_nothing(fresh_app):
    @fresh_app.get("/_boom")
    def boom():
        raise RuntimeError("secret internal detail")

    response = fresh_app.test_client().get("/_boom")
    assert response.status_code == 500
    assert b"secret internal detail" not in response.data
    assert b"Something went wrong on our side" in response.data


def test_oversized_body_is_413(client):
    response = client.post("/login", data={"email": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413


def test_htmx_error_is_a_fragment(client):
    response = client.get("/no/such/page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert b"<html" not in response.data


@pytest.mark.parametrize("path", ["/returns", "/connect", "/settings"])
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_instance_secrets_are_generated_once_and_reused(tmp_path):
    config = {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": None, "TOKEN_ENCRYPTION_KEY": None}
    first = create_app(type("A", (TestConfig,), config))
    second = create_app(type("B", (TestConfig,), config))
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert first.config["TOKEN_ENCRYPTION_KEY"] == second.config["TOKEN_ENCRYPTION_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_embedded_sqlite_uses_wal(tmp_path):
    from sqlalchemy import text

    from connector_app.extensions import db

    app = create_app(
        type("W", (TestConfig,), {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": None})
    )
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
