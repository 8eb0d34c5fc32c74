"""Property-based fuzz of every route: query parameters and form fields, with and without CSRF.

For each (rule, method) of the URL map, hypothesis sends a seller who has data of every kind a few
dozen requests with hostile parameter names and values (unicode, huge strings, huge and negative
numbers, malformed dates, empty values, the seller's own ids), sometimes as htmx, with a valid CSRF
token, none, or another session's token. The app never answers 500, and a request without a valid
token never changes the database. Marketplace calls are stubbed to fail (``responses`` with nothing
registered), so deciding a request goes through the app's error path deterministically.

Bounded and reproducible: ``derandomize=True``, no example database, a handful of examples per route.
"""

from __future__ import annotations

import itertools
import os
import re
from urllib.parse import urlencode

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector_app.actions.decisions import DECISIONS_BY_SLUG
from tests.fixtures.app import CSRF_META
from tests.fixtures.factories import PASSWORD
from tests.security.seed import fingerprint, routes, seed_seller

# Examples per route: 10 by default (make test, CI); `make test-fast` sets FUZZ_EXAMPLES=3 for the inner loop.
EXAMPLES_PER_ROUTE = int(os.environ.get("FUZZ_EXAMPLES") or 10)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Posted anonymously, from a fresh address each time: login throttling must not lock the seller out.
ANONYMOUS_ENDPOINTS = {"accounts.login", "accounts.signup", "accounts.forgot_password"}
UNAVAILABLE_OK: set[str] = set()  # endpoints allowed to answer 503 (none: /healthz needs no worker)

# Parameters the routes read (returns grid filters, sync, actions, connect, accounts), besides the
# field names scraped from the seller's pages.
KNOWN_PARAMS = [
    "tab", "q", "shop", "type", "reason", "from", "to", "action", "sort", "dir", "size", "after",
    "before", "page", "since", "run", "back", "full", "request_ids", "idempotency_key", "region",
    "cancel", "next", "decision", "comment", "reject_reason", "code", "state", "shop_id", "error",
    "kind", "show", "up_to", "thresholds", "digest_minute", "List-Unsubscribe",
    "period", "by", "table",
]  # fmt: skip

WEIRD_VALUES = [
    "", " ", "0", "-1", "-99999999999999999999999", "9" * 40, "1e309", "NaN", "inf", "true",
    "2025-13-45", "2025-02-30", "31/12/2025", "0000-00-00", "1969-12-31T23:59:60Z", "99999-01-01",
    "\x00", "%00", "\r\nSet-Cookie: x=1", "../../etc/passwd", "<script>alert(1)</script>",
    "' OR 1=1 --", "\u202eevil", "𝕏" * 12, "ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ", "[]", "{}", "a" * 65,
    "²", "³", "٣", "１２", "߁", "1²", "12\x00", "\x001",
]  # fmt: skip
HUGE_VALUES = ["x" * 100_000, "ä" * 40_000, "9" * 5_000, "9" * 10_000, "²" * 10_000, "a" * 10_000]


def value_strategy(own_ids: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(WEIRD_VALUES),
        st.text(max_size=40),
        st.integers(min_value=-(2**80), max_value=2**80).map(str),
        st.dates().map(str),
        st.sampled_from(HUGE_VALUES),
        st.sampled_from(own_ids),
    )


def params_strategy(names: list[str], own_ids: list[str]) -> st.SearchStrategy[dict]:
    value = value_strategy(own_ids)
    return st.dictionaries(
        keys=st.one_of(st.sampled_from(names), st.text(min_size=1, max_size=12)),
        values=st.one_of(value, st.lists(value, min_size=1, max_size=3)),
        max_size=6,
    )


_SCRAPED_NAMES: set[str] = set()


@pytest.fixture
def fuzzed(app, client, auth, factories):
    """A logged-in seller with data, its ids and the field names its pages use."""
    app.config.update(MARKETPLACE_BACKOFF_BASE=0.001, MARKETPLACE_TIMEOUT=0.5)
    me = seed_seller(factories, "fuzz")
    assert auth.login(me.email, PASSWORD).status_code == 302
    own_ids = [me.return_id, me.cancel_id, me.run_id, me.bulk_id, str(me.shop_pk), me.shop_id]
    pages = [
        "/returns",
        f"/returns/{me.return_id}",
        "/settings",
        "/sync",
        "/connect",
        "/listings",
        "/insights",
        "/notifications",
        "/notifications/settings",
        "/products",
        "/products/settings",
        f"/products/skus/{me.sku_pk}",
        f"/orders/{me.order_pk}",
    ]
    pages += [f"/actions/{me.return_id}/{slug}" for slug in DECISIONS_BY_SLUG]
    pages += [f"/actions/{me.cancel_id}/{slug}" for slug in DECISIONS_BY_SLUG]
    if not _SCRAPED_NAMES:  # the pages' field names are the same for every route's run: scrape once
        with responses.RequestsMock(assert_all_requests_are_fired=False):
            for page in pages:
                _SCRAPED_NAMES.update(re.findall(r'name="([^"]+)"', client.get(page).get_data(as_text=True)))
    names = set(KNOWN_PARAMS) | {re.sub(r"\d+", str(me.shop_pk), name) for name in _SCRAPED_NAMES}
    other = app.test_client()  # another browser: its token is valid, but not for this session
    other_token = CSRF_META.search(other.get("/login").get_data(as_text=True)).group(1)
    url_values = {
        "request_id": [me.return_id, me.cancel_id],
        "decision": sorted(DECISIONS_BY_SLUG),
        "run_id": [me.run_id],
        "job_id": [me.bulk_id],
        "id": [me.etsy_connection_pk, me.shop_pk],
        "token": ["not-a-signed-token"],
        "notification_id": [me.notification_id],
        "order_pk": [me.order_pk],
        "move_id": [me.move_id],
        "shipment_pk": [me.shipment_pk],
        "sku_pk": [me.sku_pk],
        "shop_pk": [me.shop_pk],
        "record_id": [me.push_pk],
    }
    return {
        "seller": me,
        "names": sorted(names - {"csrf_token"}),
        "own_ids": own_ids,
        "other_token": other_token,
        "url_values": url_values,
    }


def _all_routes() -> list[tuple[str, str, str]]:
    from connector_app import create_app
    from connector_app.config import TestConfig

    return routes(create_app(TestConfig))


@pytest.mark.parametrize("endpoint,rule_text,method", _all_routes())
def test_no_route_breaks_or_changes_data_without_a_valid_token(
    app, client, auth, fuzzed, endpoint, rule_text, method
):
    rule = next(r for r in app.url_map.iter_rules() if r.rule == rule_text and r.endpoint == endpoint)
    names = sorted(rule.arguments)
    missing = [name for name in names if name not in fuzzed["url_values"]]
    assert not missing, f"teach the fuzz what to put in <{'>, <'.join(missing)}> of {rule_text}"
    own_urls = _urls(app, rule, fuzzed["url_values"])
    addresses = itertools.count(1)

    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        url=st.sampled_from(own_urls) | _fuzzed_url(app, rule),
        params=params_strategy(fuzzed["names"], fuzzed["own_ids"]),
        bad_csrf=st.sampled_from(["missing", "bogus", "other-session"]),
        htmx=st.booleans(),
    )
    def check(url, params, bad_csrf, htmx):
        # The same request twice: first without a valid token (nothing may change), then with one.
        for csrf in (bad_csrf, "valid"):
            browser = client
            if endpoint in ANONYMOUS_ENDPOINTS:
                browser = app.test_client()
                n = next(addresses)
                browser.environ_base["REMOTE_ADDR"] = f"10.77.{n // 250}.{n % 250 + 1}"
            token = _token(browser, csrf, fuzzed["other_token"])
            before = fingerprint(app) if csrf != "valid" else None
            with responses.RequestsMock(assert_all_requests_are_fired=False):
                response = _send(browser, method, url, params, token, htmx)
            where = f"{method} {url} {params!r} csrf={csrf} htmx={htmx}"
            assert response.status_code != 500, where
            if response.status_code == 503:
                assert endpoint in UNAVAILABLE_OK, f"{where}: 503"
            if before is not None:
                assert fingerprint(app) == before, f"{where}: changed data without a valid token"
            # Still signed in? (the bell: the smallest page behind the login; the settings page cost more
            # than the request under test)
            if browser is client and client.get("/notifications/bell").status_code != 200:
                auth.login(fuzzed["seller"].email, PASSWORD)  # it fuzzed /logout with a valid token

    check()


def _urls(app, rule, values: dict[str, list]) -> list[str]:
    names = sorted(rule.arguments)
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return [
            adapter.build(rule.endpoint, dict(zip(names, combo, strict=True)))
            for combo in itertools.product(*(values[name] for name in names))
        ]


def _fuzzed_url(app, rule) -> st.SearchStrategy[str]:
    """The rule with hostile values in its variables (integers where the converter wants one)."""
    names = sorted(rule.arguments)
    if not names:
        return st.just(rule.rule)

    def value_for(name: str) -> st.SearchStrategy:
        converter = type(rule._converters[name]).__name__
        if converter in ("IntegerConverter", "IdConverter"):
            return st.integers(min_value=0, max_value=2**70)
        return st.text(min_size=1, max_size=80).filter(lambda s: "/" not in s) | st.sampled_from(
            WEIRD_VALUES[1:]
        )

    def build(combo: tuple) -> str:
        with app.test_request_context():
            adapter = app.url_map.bind("localhost")
            return adapter.build(rule.endpoint, dict(zip(names, combo, strict=True)))

    return st.tuples(*(value_for(name) for name in names)).map(build)


def _token(browser, mode: str, other_token: str) -> str | None:
    if mode == "valid":
        return browser.csrf_token()
    if mode == "bogus":
        return "IjAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAi.ZZZZZZ.forged"
    if mode == "other-session":
        return other_token
    return None


def _send(browser, method: str, url: str, params: dict, token: str | None, htmx: bool):
    headers = {"HX-Request": "true"} if htmx else {}
    if method in SAFE_METHODS:
        response = browser.open(f"{url}?{urlencode(params, doseq=True)}", method=method, headers=headers)
    else:
        data = dict(params)
        if token is not None:
            if htmx:
                headers["X-CSRFToken"] = token
            else:
                data["csrf_token"] = token
        response = browser.open(url, method=method, data=data, headers=headers)
    response.get_data()
    response.close()
    return response


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("path", ["/connect/etsy/{}/disconnect", "/connect/tiktok/shops/{}/disconnect"])
def test_an_id_too_large_for_the_database_is_404(logged_in, method, path):
    """Found by the fuzz: a 20-digit id used to reach the database driver and answer 500."""
    url = path.format(2**63)
    response = logged_in.get(url) if method == "GET" else logged_in.post_form(url)
    assert response.status_code == 404


# Values that used to reach int() or the database driver: Unicode digits ("²".isdigit() is True), NUL,
# surrogates (sent percent-encoded, as a browser can), and 10,000-character values.
HOSTILE = ["²", "٣", "１２", "\x00", "1\x00", "%ED%A0%80", "%F0%9D%9F%99", "9" * 10_000, "²" * 10_000]
ID_ROUTES = [
    "/returns/{}",
    "/actions/{}",
    "/actions/{}/approve",
    "/actions/bulk/{}",
    "/sync/runs/{}",
    "/connect/etsy/{}/disconnect",
    "/connect/tiktok/shops/{}/disconnect",
    "/products/skus/{}",
    "/products/settings/{}/preview",
]


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: repr(v[:12]))
def test_hostile_numbers_and_ids_are_4xx_or_ignored_never_500(logged_in, value):
    from urllib.parse import quote

    raw = value if value.startswith("%") else quote(value, safe="")
    for name in ("page", "shop", "size", "after", "run"):
        for path in (
            "/returns",
            "/returns/export.csv",
            "/sync/progress",
            "/insights",
            "/insights/export.csv",
        ):
            url = f"{path}?{name}={raw}"
            assert logged_in.get(url).status_code < 500, url
    for route in ID_ROUTES:
        url = route.format(raw)
        assert logged_in.get(url).status_code == 404, url
    plain = value.replace("%ED%A0%80", "\ufffd").replace("%F0%9D%9F%99", "𝟙")
    assert logged_in.post_form("/sync", {"shop": plain}).status_code == 404
    bulk = {"idempotency_key": "k" * 24, "request_ids": [plain]}
    assert logged_in.post_form("/actions/bulk", bulk).status_code in (400, 404)
    assert logged_in.post_form(f"/listings/restock/{raw}/handled", {"sku": plain[:20]}).status_code == 404
