"""The bell on every page, the notifications page, alert settings and the one-click unsubscribe."""

from __future__ import annotations

import re

import pytest

from connector_app.extensions import db
from connector_app.notifications.models import AlertSettings
from connector_app.notifications.paths import unsubscribe_token
from connector_app.notifications.preferences import prefs_of
from tests.fixtures.factories import PASSWORD
from tests.notifications.conftest import HOUR, notifications, now_unix, sent_mail, tick, waiting_request

BELL = re.compile(r'<li id="notification-bell".*?</li>', re.S)


@pytest.fixture
def seller_client(client, auth, verified):
    assert auth.login(verified.email, PASSWORD).status_code == 302
    return client


@pytest.fixture
def alerts(app, factories, shop):
    """Three notifications: two requests waiting, one of them near its deadline."""
    waiting_request(factories, shop, "576800000000000001", deadline=now_unix() + 3 * HOUR, product_name="Mug")
    waiting_request(
        factories, shop, "576800000000000002", deadline=now_unix() + 40 * HOUR, product_name="Scarf"
    )
    tick(app)
    return notifications(app)


def bell(page: str) -> str:
    match = BELL.search(page)
    assert match, "no bell on the page"
    return match.group(0)


@pytest.mark.parametrize("path", ["/returns", "/settings", "/connect", "/sync", "/notifications"])
def test_the_bell_shows_the_unread_count_on_every_page(seller_client, alerts, path):
    html = bell(seller_client.get(path).get_data(as_text=True))
    assert 'aria-label="Notifications: 2 unread"' in html
    assert '<span class="bell-count" aria-hidden="true">2</span>' in html
    assert 'href="/notifications"' in html


def test_no_bell_for_a_visitor_and_none_unread_shows_no_count(client, seller_client):
    html = bell(seller_client.get("/returns").get_data(as_text=True))
    assert "bell-count" not in html and "none unread" in html
    seller_client.post_form("/logout")
    assert "notification-bell" not in client.get("/login").get_data(as_text=True)


def test_the_bell_fragment_follows_new_alerts(app, seller_client, factories, shop):
    assert "bell-count" not in seller_client.htmx("GET", "/notifications/bell").get_data(as_text=True)
    waiting_request(factories, shop, "576800000000000003", deadline=now_unix() + 3 * HOUR)
    tick(app)
    response = seller_client.htmx("GET", "/notifications/bell")
    assert response.headers["Cache-Control"] == "no-store"
    assert '<span class="bell-count" aria-hidden="true">1</span>' in response.get_data(as_text=True)


def test_the_page_lists_alerts_newest_first_with_their_email_status(seller_client, alerts):
    page = seller_client.get("/notifications").get_data(as_text=True)
    titles = re.findall(
        r'class="link-button notification-title">(?:<span[^>]*></span><span[^>]*>Unread: </span>)?([^<]+)<',
        page,
    )
    assert titles == [alerts[1].title, alerts[0].title]  # newest first
    assert "Emailed" in page  # the deadline alert went out by email
    assert "2 unread" in page


def test_filters_by_kind_and_unread(seller_client, alerts):
    page = seller_client.get("/notifications?kind=deadline_near").get_data(as_text=True)
    assert "4 h left" in page and "is waiting for your answer</button>" not in page
    fragment = seller_client.htmx("GET", "/notifications?kind=request_waiting&show=unread")
    body = fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers.get("Vary", "")
    assert body.lstrip().startswith('<div id="notification-list">')  # the list alone, not the page
    assert "is waiting for your answer" in body and "4 h left" not in body
    assert "No notifications match" in seller_client.get("/notifications?kind=sync_failing").get_data(
        as_text=True
    )
    assert seller_client.get("/notifications?kind=%00&show=x&before=%C2%B2").status_code == 200


def test_opening_a_notification_marks_it_read_and_goes_to_the_request(app, seller_client, alerts):
    near = next(n for n in alerts if n.kind == "deadline_near")
    response = seller_client.post_form(f"/notifications/{near.id}/open")
    assert response.status_code == 303 and response.headers["Location"] == "/returns/576800000000000001"
    assert [n.read_at is not None for n in notifications(app)] == [True, False]
    assert seller_client.get("/returns/576800000000000001").status_code == 200


def test_mark_read_one_and_all(app, seller_client, alerts):
    response = seller_client.htmx("POST", f"/notifications/{alerts[1].id}/read")
    assert response.status_code == 200 and "1 unread" in response.get_data(as_text=True)
    response = seller_client.post_form("/notifications/read", {"up_to": str(alerts[1].id)})
    assert response.status_code == 303
    assert all(n.read_at is not None for n in notifications(app))
    assert "bell-count" not in bell(seller_client.get("/notifications").get_data(as_text=True))


def test_mark_all_read_leaves_alerts_that_arrived_after_the_page_was_shown(
    app, seller_client, factories, shop, alerts
):
    shown_up_to = max(n.id for n in alerts)
    waiting_request(factories, shop, "576800000000000004", deadline=now_unix() + 2 * HOUR)
    tick(app)
    seller_client.post_form("/notifications/read", {"up_to": str(shown_up_to)})
    assert [n.read_at is None for n in notifications(app)] == [False, False, True]


def test_reading_the_pages_writes_nothing(seller_client, alerts):
    # The house rules fail any GET that commits; these pages are read-only.
    for path in ("/notifications", "/notifications/settings", "/notifications/bell"):
        assert seller_client.get(path).status_code == 200


# -- settings ---------------------------------------------------------------------------------------


def test_settings_show_the_defaults_and_save_the_sellers_choices(app, seller_client, verified):
    page = seller_client.get("/notifications/settings").get_data(as_text=True)
    checked = re.findall(
        r'<input checked id="thresholds-\d" name="thresholds" type="checkbox" value="(\d+)">', page
    )
    assert checked == ["24", "4"]
    assert "A deadline is near" in page and "Email right away" in page
    form = {
        "thresholds": ["12", "2"],
        "digest_minute": "1110",
        "in_app__deadline_near": "y",
        "email__deadline_near": "immediate",
        "in_app__request_waiting": "y",
        "email__request_waiting": "off",
        "email__decided_by_tiktok": "immediate",
        "email__connection_expiring": "digest",
        "in_app__connection_lost": "y",
        "email__connection_lost": "immediate",
        "email__sync_failing": "off",
        "in_app__catalog_push_check": "y",
        "email__catalog_push_check": "immediate",
        "in_app__catalog_push_failed": "y",
        "email__catalog_push_failed": "digest",
        "email__catalog_change_held": "off",
        "in_app__ship_by_near": "y",
        "email__ship_by_near": "immediate",
        "in_app__etsy_stock_check": "y",
        "email__etsy_stock_check": "immediate",
        "email__digest": "y",
    }
    response = seller_client.post_form("/notifications/settings", form)
    assert response.status_code == 303
    with app.app_context():
        prefs = prefs_of(verified.id)
        assert prefs.thresholds == (12, 2) and prefs.digest_minute == 18 * 60 + 30
        assert prefs.email("request_waiting") == "off" and prefs.email("decided_by_tiktok") == "immediate"
        assert prefs.email("catalog_push_failed") == "digest" and not prefs.in_app("catalog_change_held")
        assert not prefs.in_app("decided_by_tiktok") and prefs.in_app("deadline_near")
        assert prefs.digest_on


def test_settings_refuse_too_many_thresholds_and_keep_what_was_saved(app, seller_client, verified):
    form = {"thresholds": ["72", "24", "4", "1"], "digest_minute": "480"}
    response = seller_client.htmx("POST", "/notifications/settings", data=form)
    assert response.status_code == 400 and "Choose at most 3." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(AlertSettings, verified.id) is None


# -- unsubscribe ------------------------------------------------------------------------------------


def test_the_email_link_unsubscribes_that_kind_without_logging_in(app, client, factories, shop, verified):
    waiting_request(factories, shop, "576800000000000001", deadline=now_unix() + 3 * HOUR)
    tick(app)
    [mail] = sent_mail(app)
    link = mail.extra_headers["List-Unsubscribe"].strip("<>")
    assert mail.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in mail.body
    path = link.split("127.0.0.1:5000", 1)[1]
    page = client.get(path)  # GET only asks; nothing changes
    assert page.status_code == 200 and "Stop emailing “A deadline is near”?" in page.get_data(as_text=True)
    with app.app_context():
        assert prefs_of(verified.id).email("deadline_near") == "immediate"
    # RFC 8058: the mail client POSTs this body, with no cookie and no CSRF token.
    done = app.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You will not get these emails any more" in done.get_data(as_text=True)
    with app.app_context():
        prefs = prefs_of(verified.id)
        assert prefs.email("deadline_near") == "off" and prefs.email("connection_lost") == "immediate"
    waiting_request(factories, shop, "576800000000000002", deadline=now_unix() + 3 * HOUR)
    tick(app)
    assert len(sent_mail(app)) == 1 and len(notifications(app)) == 2  # the app still tells


def test_a_forged_or_unknown_unsubscribe_link_is_a_404_and_changes_nothing(app, client, verified):
    with app.app_context():
        good = unsubscribe_token(verified.id, "deadline_near")
        unknown_kind = unsubscribe_token(verified.id, "no_such_kind")
        gone = unsubscribe_token(verified.id + 1000, "deadline_near")
    for token in (good[:-3] + "abc", unknown_kind, gone, "not-a-signed-token"):
        assert client.get(f"/notifications/unsubscribe/{token}").status_code == 404
        assert client.post(f"/notifications/unsubscribe/{token}").status_code == 404
    with app.app_context():
        assert db.session.get(AlertSettings, verified.id) is None
