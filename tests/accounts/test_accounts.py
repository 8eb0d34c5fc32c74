from __future__ import annotations

import pytest
from sqlalchemy import select

from connector_app.accounts.models import Seller
from connector_app.extensions import db


def test_signup_creates_account_logs_in_and_sends_seller_to_connect(client, auth, app):
    response = auth.signup("New.Seller@Example.com", "a long enough password")
    assert response.status_code == 302
    follow = client.get(response.headers["Location"], follow_redirects=True)
    assert b"Log out" in follow.data
    assert follow.request.path == "/connect"
    with app.app_context():
        seller = db.session.scalar(select(Seller))
        assert seller.email_key == "new.seller@example.com"
        assert seller.password_hash.startswith("$argon2id$")
        assert "a long enough password" not in seller.password_hash


@pytest.mark.parametrize(
    ("sent", "kept"), [("Europe/Berlin", "Europe/Berlin"), ("Mars/Olympus", "UTC"), ("", "UTC")]
)
def test_signup_takes_the_browsers_timezone_when_it_is_a_real_one(client, app, sent, kept):
    page = client.get("/signup").get_data(as_text=True)
    assert 'name="timezone"' in page and "data-browser-timezone" in page
    form = {
        "email": "tz@example.com",
        "password": "a long enough password",
        "confirm": "a long enough password",
    }
    response = client.post_form("/signup", {**form, "timezone": sent})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Seller.timezone)) == kept


def test_signup_rejects_duplicate_email_case_insensitively(client, auth):
    auth.signup("seller@example.com", "a long enough password")
    auth.logout()
    response = auth.signup("SELLER@example.COM", "another long password")
    assert response.status_code == 400
    assert b"already exists" in response.data


@pytest.mark.parametrize(
    ("email", "password", "confirm", "message"),
    [
        ("not-an-email", "a long enough password", "a long enough password", b"Invalid email"),
        ("a@example.com", "short", "short", b"at least 10 characters"),
        ("a@example.com", "a long enough password", "different password!", b"passwords differ"),
        ("", "a long enough password", "a long enough password", b"This field is required"),
    ],
)
def test_signup_shows_clear_form_errors(client, email, password, confirm, message):
    response = client.post_form("/signup", {"email": email, "password": password, "confirm": confirm})
    assert response.status_code == 400
    assert message in response.data


def test_login_and_logout(client, auth, seller):
    response = auth.login("SELLER@example.com", "correct horse battery")
    assert response.status_code == 302
    assert client.get("/connect").status_code == 200
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/connect").status_code == 302


def test_logout_requires_post_and_csrf(logged_in):
    assert logged_in.get("/logout").status_code == 405
    assert logged_in.post("/logout").status_code == 400  # no CSRF token
    assert logged_in.get("/connect").status_code == 200  # still logged in


def test_wrong_password_is_a_plain_form_error(client, auth, seller):
    response = auth.login(seller.email, "wrong password!!")
    assert response.status_code == 400
    assert b"do not match an account" in response.data


def test_login_redirect_only_to_local_paths(client, seller):
    token = client.csrf_token()
    data = {"email": seller.email, "password": "correct horse battery", "csrf_token": token}
    response = client.post("/login?next=https://evil.example/steal", data=data)
    assert response.headers["Location"] == "/"


def test_session_cookie_flags(client, auth, seller):
    response = auth.login(seller.email, "correct horse battery")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_cookies_are_secure_over_https(app, seller):
    client = app.test_client()
    page = client.get("/login", base_url="https://localhost")
    assert "Secure" in page.headers["Set-Cookie"]


def test_password_change_logs_out_other_sessions(app, client, auth, seller):
    from connector_app.accounts import services

    auth.login(seller.email, "correct horse battery")
    assert client.get("/connect").status_code == 200
    with app.app_context():
        services.set_password(db.session.get(Seller, seller.id), "a brand new password")
        db.session.commit()
    assert client.get("/connect").status_code == 302
