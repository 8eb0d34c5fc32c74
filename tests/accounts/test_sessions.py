"""A login is a server-side record: logging out, "log out other devices" and a password change end it,
and a captured cookie (session or remember-me) stops working with it."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

from sqlalchemy import func, select

from connector_app.accounts.models import LoginSession, Seller
from connector_app.accounts.sessions import _aware
from connector_app.extensions import db, rq
from connector_app.timeutil import utcnow
from tests.fixtures.factories import PASSWORD


def _login(client, email, remember=False):
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post_form("/login", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _cookie(client, name):
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def _fresh_client(app, **cookies):
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def test_captured_session_cookie_is_dead_after_logout(app, client, seller):
    _login(client, seller.email)
    captured = _cookie(client, "session")
    assert _fresh_client(app, session=captured).get("/settings").status_code == 200
    client.post_form("/logout")
    assert _fresh_client(app, session=captured).get("/settings").status_code == 302


def test_captured_remember_cookie_alone_is_dead_after_logout(app, client, seller):
    _login(client, seller.email, remember=True)
    remember = _cookie(client, "remember_token")
    assert remember
    assert _fresh_client(app, remember_token=remember).get("/settings").status_code == 200
    client.post_form("/logout")
    assert _fresh_client(app, remember_token=remember).get("/settings").status_code == 302


def test_remember_cookie_lasts_30_days_and_its_record_expires(app, client, seller):
    response = _login(client, seller.email, remember=True)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert timedelta(days=29) < expires - utcnow() <= timedelta(days=30)
    remember = _cookie(client, "remember_token")
    with app.app_context():
        record = db.session.scalar(select(LoginSession))
        assert _aware(record.expires_at) - utcnow() > timedelta(days=29)
        record.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert _fresh_client(app, remember_token=remember).get("/settings").status_code == 302


def test_idle_login_ends(app, client, seller):
    _login(client, seller.email)
    assert client.get("/settings").status_code == 200
    with app.app_context():
        token = db.session.scalar(select(LoginSession.token))
        rq.connection.delete(f"connector:login-seen:{token}")  # what SESSION_IDLE_MINUTES of silence does
    assert client.get("/settings").status_code == 302


def test_login_gets_a_new_csrf_secret(client, seller):
    before = client.csrf_token()
    _login(client, seller.email)
    after = client.get("/settings").get_data(as_text=True)
    assert before not in after


def test_log_out_other_devices_ends_them_and_keeps_this_one(app, client, seller):
    other = app.test_client()
    _login(other, seller.email)
    _login(client, seller.email)
    page = client.get("/settings").get_data(as_text=True)
    assert "Log out other devices" in page and "this device" in page
    response = client.post_form("/settings/logins/end-others")
    assert response.status_code == 302
    assert other.get("/settings").status_code == 302
    assert client.get("/settings").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1


def test_password_change_ends_other_logins_and_keeps_this_one(app, client, seller):
    other = app.test_client()
    _login(other, seller.email, remember=True)
    other_remember = _cookie(other, "remember_token")
    _login(client, seller.email)
    response = client.post_form(
        "/settings/password",
        {
            "current_password": PASSWORD,
            "new_password": "a brand new password",
            "confirm": "a brand new password",
        },
    )
    assert response.status_code == 302
    assert client.get("/settings").status_code == 200
    assert other.get("/settings").status_code == 302
    assert _fresh_client(app, remember_token=other_remember).get("/settings").status_code == 302


def test_cookie_of_a_deleted_login_record_is_refused(app, client, seller):
    _login(client, seller.email)
    with app.app_context():
        db.session.execute(LoginSession.__table__.delete())
        db.session.commit()
    assert client.get("/settings").status_code == 302


def test_seller_ids_are_never_reused(app, factories):
    first = factories.seller()
    with app.app_context():
        db.session.delete(db.session.get(Seller, first.id))
        db.session.commit()
    second = factories.seller()
    assert second.id > first.id
