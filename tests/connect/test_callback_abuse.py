"""A callback link anyone can craft: its ``error_description`` is never shown, and only a callback
whose state names a flow this browser started is read as the marketplace's answer. Unfinished flows
cannot grow the session cookie without bound."""

from __future__ import annotations

import pytest

from tests.connect.helpers import start_etsy, start_tiktok

SPOOF = "Your account is suspended. Call +1-555-0100 now"


@pytest.mark.parametrize("path", ["/connect/etsy/callback", "/connect/tiktok/callback"])
def test_error_description_without_a_pending_state_is_not_shown(logged_in, path):
    response = logged_in.get(
        path, query_string={"error": "server_error", "error_description": SPOOF}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "+1-555-0100" not in page and "suspended" not in page
    assert "This connection link has expired" in page


@pytest.mark.parametrize("start", [start_etsy, start_tiktok], ids=["etsy", "tiktok"])
def test_error_for_our_own_state_is_a_fixed_sentence(logged_in, start):
    params = start(logged_in)
    path = "/connect/etsy/callback" if start is start_etsy else "/connect/tiktok/callback"
    args = {"error": "server_error", "error_description": SPOOF, "state": params["state"]}
    page = logged_in.get(path, query_string=args, follow_redirects=True).get_data(as_text=True)
    assert "+1-555-0100" not in page
    assert "had a problem on its side" in page


def test_fifty_unfinished_connects_keep_the_session_cookie_small(logged_in):
    for _ in range(50):
        start_etsy(logged_in)
    cookie = logged_in.get_cookie("session")
    assert len(cookie.value) < 2000
    with logged_in.session_transaction() as session:
        assert len([k for k in session if k.startswith("_state_etsy_")]) == 3
    assert logged_in.get("/connect").status_code == 200
