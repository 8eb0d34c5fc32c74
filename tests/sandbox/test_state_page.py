"""The sandbox's state page is a control panel too: forms for advance, faults, webhooks and reset."""

from __future__ import annotations

import re

import requests


def _page(server) -> str:
    response = requests.get(f"{server.url}/_sandbox/", timeout=30)
    assert response.status_code == 200
    return response.text


def _token(html: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def test_the_state_page_moves_requests_sets_faults_and_reads_plainly(fresh) -> None:
    html = _page(fresh)
    assert "Active faults: none" in html  # the default timeout is not a fault
    token = _token(html)
    requests.get(f"{fresh.url}/v3/application/openapi-ping", timeout=30)  # any call, for the call log

    moved = requests.post(f"{fresh.url}/_sandbox/ui/advance", data={"token": token, "count": "2"}, timeout=30)
    assert moved.status_code == 200 and "Moved 2 request(s) one step" in moved.text  # after the redirect

    faulty = requests.post(
        f"{fresh.url}/_sandbox/ui/faults",
        data={"token": token, "rate_429": "0.5", "retry_after": "3"},
        timeout=30,
    )
    assert '"rate_429": 0.5' in faulty.text and '"retry_after": 3' in faulty.text
    assert "timeout_seconds" not in faulty.text.split("Active faults:")[1].split("</p>")[0]
    cleared = requests.post(
        f"{fresh.url}/_sandbox/ui/faults", data={"token": token, "clear": "1"}, timeout=30
    )
    assert "Active faults: none" in cleared.text
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</td>", cleared.text)  # call times read as times


def test_the_forms_refuse_a_post_without_this_processes_token(fresh) -> None:
    for path in ("advance", "faults", "reset", "webhook"):
        response = requests.post(f"{fresh.url}/_sandbox/ui/{path}", data={"token": "guess"}, timeout=30)
        assert response.status_code == 400, path
