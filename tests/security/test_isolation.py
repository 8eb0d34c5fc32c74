"""Tenant isolation, route by route: seller B requests every route of the app with seller A's ids.

The routes come from ``app.url_map`` (every rule, every method it allows), so a route added later is
crawled too; a URL variable the table below does not know fails the test until it is taught what to
put there. B gets a 404 or a redirect (400/405 for a request the route cannot take), never A's data,
and A's rows are exactly as they were afterwards. Anonymous requests to anything but the public pages
are sent to the login page.
"""

from __future__ import annotations

import itertools
from urllib.parse import urlencode

import pytest
from werkzeug.routing import Rule

from connector_app.actions.decisions import DECISIONS_BY_SLUG
from tests.fixtures.factories import PASSWORD
from tests.security.seed import SeededSeller, fingerprint, routes, seed_seller

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

# Reachable without logging in: everything else must redirect an anonymous visitor to /login.
PUBLIC_ENDPOINTS = {
    "home.index",
    "health.healthz",
    "health.status",  # operators: token or loopback (the test client is loopback)
    "health.metrics",
    "accounts.login",
    "accounts.signup",
    "accounts.forgot_password",
    "accounts.reset_password",  # the emailed link is the credential (signed, single-use, 30 minutes)
    "accounts.verify_email",
    "webhooks.tiktok",
    "products.etsy_webhook",  # Etsy's ORDER_PAID: the signature is the credential
    "notifications.unsubscribe",  # the emailed one-click link is the credential (signed, one kind's email)
    "notifications.unsubscribe_confirmed",
    "static",
    "home.favicon",  # a redirect to the static icon
}

# Routes that end B's session (or account): crawled last, in this order, so they cannot hide the
# others' answers.
SESSION_ENDING = ("settings.delete_account", "accounts.logout")
UNAVAILABLE_OK: set[str] = set()  # endpoints allowed to answer 503 here (the health check no longer is)

# What another seller's answer may be when the URL names one of A's objects.
DENIED = {302, 303, 400, 404, 405}


def url_values(a: SeededSeller) -> dict[str, list]:
    """URL variable name -> the values of A's that B tries there. Teach it every new variable name."""
    return {
        "request_id": [a.return_id, a.cancel_id],
        "decision": sorted(DECISIONS_BY_SLUG),
        "run_id": [a.run_id],
        "job_id": [a.bulk_id],
        "id": [a.etsy_connection_pk, a.shop_pk],  # /connect/etsy/<id>, /connect/tiktok/shops/<id>
        "token": ["not-a-signed-token"],  # /reset/<token>, /verify/<token>: signed links, no seller id
        "notification_id": [a.notification_id],
        "order_pk": [a.order_pk],
        "move_id": [a.move_id],
        "shipment_pk": [a.shipment_pk],
        "sku_pk": [a.sku_pk],  # /products/skus/<sku_pk>...
        "shop_pk": [a.shop_pk],  # /products/shops/<shop_pk>/sync, /products/settings/<shop_pk>...
        "record_id": [a.push_pk],  # /products/pushes/<record_id>/confirm
    }


def extra_params(a: SeededSeller) -> dict[str, object]:
    """Query/form parameters that name A's objects (sent to every route; routes ignore the others)."""
    return {
        "shop": a.shop_pk,
        "run": a.run_id,
        "request_ids": [a.return_id, a.cancel_id],
        "idempotency_key": a.bulk_id,
        "default_shop": a.shop_pk,
        f"interval_{a.shop_pk}": "5",
        "full": "1",
        "etsy_sku": a.etsy_sku_pk,  # /products/skus/<id>/link
        "on": "sync_price",  # /products/settings/<id>/preview and confirm
        "table": "products",  # /insights/export.csv: A's shop in ``shop``, B's own figures only
    }


def build_urls(app, rule: Rule, values: dict[str, list]) -> list[str]:
    names = sorted(rule.arguments)
    combos = itertools.product(*(values[name] for name in names))
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return [adapter.build(rule.endpoint, dict(zip(names, combo, strict=True))) for combo in combos]


@pytest.fixture
def seeded(factories):
    a = seed_seller(factories, "alpha")
    b = seed_seller(factories, "bravo")  # B has data of its own: its pages render full, not empty
    return a, b


def test_every_route_variable_is_known_to_the_crawler(app, seeded):
    a, _b = seeded
    known = url_values(a)
    unknown = {
        f"{rule.rule} <{name}>"
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for name in rule.arguments
        if name not in known
    }
    assert not unknown, f"teach url_values() what to put in: {sorted(unknown)}"


def test_another_seller_gets_404_or_a_redirect_on_every_route(app, client, auth, seeded):
    a, b = seeded
    before = fingerprint(app, a.id)
    assert auth.login(b.email, PASSWORD).status_code == 302
    values, extras = url_values(a), extra_params(a)
    crawl = sorted(routes(app), key=_crawl_order)
    failures: list[str] = []
    requests_made = 0
    for endpoint, rule_text, method in crawl:
        if endpoint in SESSION_ENDING and not _still_logged_in(client):
            failures.append(f"B was logged out before {endpoint} was crawled")
        rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text and r.endpoint == endpoint)
        if any(name not in values for name in rule.arguments):
            continue  # reported by test_every_route_variable_is_known_to_the_crawler
        for url in build_urls(app, rule, values):
            for htmx in (False, True):
                response = _request(client, method, url, extras, htmx)
                requests_made += 1
                failures += _judge(a, endpoint, method, url, bool(rule.arguments), response, extras)
    assert requests_made > 50
    assert not failures, "\n".join(failures)
    assert fingerprint(app, a.id) == before, "seller B's requests changed seller A's data"


def _crawl_order(route: tuple[str, str, str]) -> tuple:
    endpoint = route[0]
    return (SESSION_ENDING.index(endpoint) if endpoint in SESSION_ENDING else -1, route)


def _still_logged_in(client) -> bool:
    return client.get("/settings").status_code == 200


def _request(client, method: str, url: str, extras: dict, htmx: bool):
    headers = {"HX-Request": "true"} if htmx else {}
    if method in SAFE_METHODS:
        response = client.open(f"{url}?{urlencode(extras, doseq=True)}", method=method, headers=headers)
    else:
        data = {**extras, "csrf_token": client.csrf_token()}
        response = client.open(url, method=method, data=data, headers=headers)
    response.get_data()  # read streamed bodies (CSV export) to the end
    response.close()
    return response


def _judge(a, endpoint, method, url, names_a_object, response, extras) -> list[str]:
    where = f"{method} {url} ({endpoint})"
    problems = []
    if response.status_code >= 500 and not (response.status_code == 503 and endpoint in UNAVAILABLE_OK):
        problems.append(f"{where}: {response.status_code}")
    if names_a_object and response.status_code not in DENIED:
        problems.append(f"{where}: {response.status_code}, expected one of {sorted(DENIED)}")
    sent = url + repr(extras)
    seen = response.get_data(as_text=True) + response.headers.get("Location", "")
    leaked = [needle for needle in a.needles if needle not in sent and needle in seen]
    if leaked:
        problems.append(f"{where}: shows seller A's {leaked}")
    return problems


def test_anonymous_is_sent_to_login_on_every_private_route(app, client, seeded):
    a, _b = seeded
    before = fingerprint(app)
    values = url_values(a)
    checked = 0
    for endpoint, rule_text, method in routes(app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text and r.endpoint == endpoint)
        url = build_urls(app, rule, {name: values[name][:1] for name in rule.arguments})[0]
        data = None if method in SAFE_METHODS else {"csrf_token": client.csrf_token()}
        response = client.open(url, method=method, data=data)
        response.close()
        assert response.status_code == 302, f"{method} {url}: {response.status_code}"
        assert response.headers["Location"].startswith("/login"), f"{method} {url}"
        checked += 1
    assert checked > 20
    assert fingerprint(app) == before


@pytest.mark.parametrize("path", ["/", "/login", "/signup", "/static/app.css", "/static/favicon.svg"])
def test_public_pages_answer_anonymous_visitors(client, path):
    response = client.get(path)
    response.close()
    assert response.status_code == 200


def test_public_allow_list_names_real_endpoints(app):
    """A renamed public endpoint must not silently turn the allow-list into dead entries."""
    assert {rule.endpoint for rule in app.url_map.iter_rules()} >= PUBLIC_ENDPOINTS


def test_the_favicon_is_found(client):
    """Browsers ask for /favicon.ico on every page that names no icon: it answers (no console error)."""
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.headers["Location"].endswith("/static/favicon.svg")
    assert 'rel="icon"' in client.get("/login").get_data(as_text=True)
