"""Abuse limits: counted atomically before the password is checked, per account and per address, on
log-in, sign-up, password change, account deletion and reset; never against a known device."""

from __future__ import annotations

import threading

from connector_app.accounts import services
from connector_app.extensions import db, rq
from tests.fixtures.factories import PASSWORD


def _post_login(client, email, password, **kwargs):
    return client.post_form("/login", {"email": email, "password": password}, **kwargs)


def test_parallel_guesses_get_no_more_checks_than_the_limit(app, client, seller, monkeypatch):
    checked = []
    real = services.check_password
    monkeypatch.setattr(services, "check_password", lambda s, p: checked.append(p) or real(s, p))
    clients = [app.test_client() for _ in range(24)]
    tokens = [c.csrf_token() for c in clients]
    statuses = []

    def guess(i):
        data = {"email": seller.email, "password": f"guess-{i}", "csrf_token": tokens[i]}
        statuses.append(clients[i].post("/login", data=data).status_code)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(24)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(checked) <= 5
    assert statuses.count(429) >= 19


def test_throttled_login_keeps_the_form_and_says_why(client, seller):
    for _ in range(5):
        assert _post_login(client, seller.email, "wrong password!!").status_code == 400
    response = _post_login(client, seller.email, "wrong password!!")
    assert response.status_code == 429
    assert b"Too many attempts" in response.data and b'name="password"' in response.data


def test_attacker_cannot_lock_the_owner_out_of_a_device_they_used_before(app, client, seller):
    assert _post_login(client, seller.email, PASSWORD).status_code == 302  # the owner's browser
    client.post_form("/logout")
    attacker = app.test_client()
    for _ in range(8):
        _post_login(attacker, seller.email, "wrong password!!", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert (
        _post_login(attacker, seller.email, PASSWORD, environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code
        == 429
    )
    assert _post_login(client, seller.email, PASSWORD).status_code == 302  # known device: never refused


def test_unknown_email_costs_an_argon2_verification_too(client, monkeypatch):
    calls = []
    real = services._hasher()  # the configured hasher (cheap parameters in tests)

    class Counting:
        def __getattr__(self, name):
            return getattr(real, name)

        def verify(self, hashed, password):
            calls.append(hashed)
            return real.verify(hashed, password)

    counting = Counting()
    monkeypatch.setattr(services, "_hasher", lambda: counting)
    assert _post_login(client, "nobody@example.com", "some password here").status_code == 400
    assert len(calls) == 1


def test_password_change_is_throttled_per_seller(logged_in):
    def change(current):
        return logged_in.post_form(
            "/settings/password",
            {
                "current_password": current,
                "new_password": "a new long password",
                "confirm": "a new long password",
            },
        )

    for _ in range(5):
        assert change("not my password!").status_code == 400
    assert change(PASSWORD).status_code == 429  # the guesser does not get to try the right one


def test_account_deletion_is_throttled_per_seller(app, logged_in, seller):
    for _ in range(5):
        response = logged_in.post_form(
            "/settings/delete", {"password": "not my password!", "understood": "y"}
        )
        assert response.status_code == 400
    response = logged_in.post_form("/settings/delete", {"password": PASSWORD, "understood": "y"})
    assert response.status_code == 429
    with app.app_context():
        assert services.get_seller(seller.id) is not None


def test_signup_is_limited_per_address(client):
    statuses = [
        client.post_form(
            "/signup", {"email": f"s{i}@example.com", "password": PASSWORD, "confirm": PASSWORD}
        ).status_code
        for i in range(6)
    ]
    for i in range(5):
        client.post_form("/logout") if statuses[i] == 302 else None
    assert statuses[:5] == [302] * 5 and statuses[5] == 429


def test_limits_follow_the_client_address_behind_the_configured_proxy(app, client, seller):
    app.config["LOGIN_LIMITS_PER_IP"] = "3/minute"

    def attempt(forwarded):
        return _post_login(
            client, f"x{forwarded}@example.com", "wrong password!!", headers={"X-Forwarded-For": forwarded}
        )

    # No proxy configured: X-Forwarded-For is ignored, every attempt counts for the one peer address.
    assert [attempt(f"198.51.100.{i}").status_code for i in range(4)] == [400, 400, 400, 429]

    from werkzeug.middleware.proxy_fix import ProxyFix

    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # what PROXY_FIX_HOPS=1 installs
    assert attempt("198.51.100.77").status_code == 400  # a different client behind the proxy


def test_owner_is_told_once_when_their_account_is_throttled(app, client, seller):
    with app.app_context():
        account = services.get_seller(seller.id)
        services.mark_email_verified(account)
        db.session.commit()
        rq.connection.delete(f"connector:throttle-notice:{seller.id}")
    for _ in range(8):
        _post_login(client, seller.email, "wrong password!!")
    outbox = getattr(app.extensions["mailman"], "outbox", [])
    notices = [m for m in outbox if "trying to log in" in m.subject]
    assert len(notices) == 1 and notices[0].to == [seller.email]


def test_proxy_fix_hops_is_configurable(app_config):
    from werkzeug.middleware.proxy_fix import ProxyFix

    from connector_app import create_app
    from connector_app.config import TestConfig

    app = create_app(type("Proxied", (TestConfig,), {**app_config, "PROXY_FIX_HOPS": 2}))
    assert isinstance(app.wsgi_app, ProxyFix) and app.wsgi_app.x_for == 2
    plain = create_app(type("Direct", (TestConfig,), app_config))
    assert not isinstance(plain.wsgi_app, ProxyFix)
