"""Development: the local SMTP sink catches what the app sends over real SMTP, and /dev/mail shows it."""

from __future__ import annotations

import socket

from connector_app import create_app
from connector_app.config import TestConfig
from connector_app.devmail import read_messages, start_sink
from connector_app.extensions import db
from tests.fixtures.factories import PASSWORD


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_signup_mail_goes_over_smtp_to_the_sink_and_shows_on_dev_mail(app_config, tmp_path):
    port = _free_port()
    instance = str(tmp_path / "instance")
    sink = start_sink(instance, port)
    try:
        config = {
            **app_config,
            "INSTANCE_PATH": instance,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.sqlite'}",
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": port,
            "MAIL_DEV_SINK": True,
        }
        app = create_app(type("Dev", (TestConfig,), config))
        with app.app_context():
            db.create_all()
        from tests.fixtures.app import Client

        app.test_client_class = Client
        client = app.test_client()
        response = client.post_form(
            "/signup", {"email": "dev@example.com", "password": PASSWORD, "confirm": PASSWORD}
        )
        assert response.status_code == 302
        from connector_app.accounts.mail import _executor

        _executor.submit(lambda: None).result(timeout=10)  # delivery runs after the response
        messages = read_messages(instance)
        assert [m["to"] for m in messages] == ["dev@example.com"]
        page = client.get("/dev/mail").get_data(as_text=True)
        assert "Confirm your email address" in page and "/verify/" in page
    finally:
        sink.stop()


def test_dev_mail_page_does_not_exist_without_the_sink(client):
    assert client.get("/dev/mail").status_code == 404
