"""Email: verification at sign-up (banner until followed, no alerts before), password reset by email
(signed, single-use, 30 minutes), a notice when a new device logs in."""

from __future__ import annotations

import re

from itsdangerous.timed import TimestampSigner

from connector_app.accounts import mail, services
from connector_app.accounts.mail import can_email
from connector_app.extensions import db
from tests.fixtures.factories import PASSWORD


def _outbox(app):
    return getattr(app.extensions["mailman"], "outbox", [])


def _link(message) -> str:
    match = re.search(r"https?://\S+", message.body)
    assert match, message.body
    return match.group(0).split("localhost", 1)[1]


def test_signup_sends_a_verification_link_and_shows_a_banner_until_followed(app, client, auth):
    auth.signup("new@example.com", PASSWORD)
    [message] = [m for m in _outbox(app) if m.to == ["new@example.com"]]
    assert "Confirm your email address" in message.subject
    page = client.get("/connect").get_data(as_text=True)
    assert "Please confirm your email address" in page
    with app.app_context():
        assert not can_email(services.find_by_email("new@example.com"))

    path = _link(message)
    assert client.get(path).status_code == 200  # GET shows a button and changes nothing
    with app.app_context():
        assert not can_email(services.find_by_email("new@example.com"))
    assert client.post_form(path).status_code == 302
    with app.app_context():
        assert can_email(services.find_by_email("new@example.com"))
    assert "Please confirm your email address" not in client.get("/connect").get_data(as_text=True)


def test_no_new_device_notice_goes_to_an_unverified_address(app, client, seller):
    client.post_form("/login", {"email": seller.email, "password": PASSWORD})
    assert _outbox(app) == []


def test_a_new_device_login_notifies_a_verified_owner_and_a_known_one_does_not(app, client, seller):
    with app.app_context():
        services.mark_email_verified(services.get_seller(seller.id))
        db.session.commit()
    client.post_form("/login", {"email": seller.email, "password": PASSWORD})
    client.post_form("/logout")
    client.post_form("/login", {"email": seller.email, "password": PASSWORD})  # same browser again
    notices = [m for m in _outbox(app) if "New log-in" in m.subject]
    assert len(notices) == 1 and notices[0].to == [seller.email]


def _ask_reset(client, email):
    return client.post_form("/reset", {"email": email})


def test_password_reset_by_email_is_single_use_and_ends_every_login(app, client, seller):
    other = app.test_client()
    other.post_form("/login", {"email": seller.email, "password": PASSWORD})
    assert other.get("/settings").status_code == 200

    response = _ask_reset(client, seller.email)
    assert response.status_code == 302
    [message] = _outbox(app)
    path = _link(message)
    assert client.get(path).status_code == 200
    new = {"password": "my brand new password", "confirm": "my brand new password"}
    assert client.post_form(path, new).status_code == 302
    assert other.get("/settings").status_code == 302  # every login ended
    assert (
        client.post_form("/login", {"email": seller.email, "password": "my brand new password"}).status_code
        == 302
    )
    client.post_form("/logout")
    again = client.post_form(path, {"password": "attacker password!!", "confirm": "attacker password!!"})
    assert again.status_code == 302 and "/reset" in again.headers["Location"]  # used: refused
    with app.app_context():
        assert services.authenticate(seller.email, "my brand new password") is not None


def test_reset_link_expires_after_30_minutes(app, client, seller, monkeypatch):
    import time

    now = int(time.time())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now - 31 * 60)  # signed 31 min ago
    _ask_reset(client, seller.email)
    monkeypatch.undo()
    path = _link(_outbox(app)[0])
    response = client.post_form(
        path, {"password": "my brand new password", "confirm": "my brand new password"}
    )
    assert "/reset" in response.headers["Location"]
    with app.app_context():
        assert services.authenticate(seller.email, PASSWORD) is not None


def test_reset_request_answers_the_same_for_unknown_addresses(app, client, seller):
    known = _ask_reset(client, seller.email)
    unknown = _ask_reset(client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 302
    assert len(_outbox(app)) == 1


def test_forged_reset_token_is_refused(app, client, seller):
    with app.app_context():
        token = mail.reset_token(services.get_seller(seller.id))
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = client.post_form(f"/reset/{forged}", {"password": "x" * 12, "confirm": "x" * 12})
    assert "/reset" in response.headers["Location"]
