"""The grid page runs a fixed set of statements, all from its view, whatever the seller's size."""

from __future__ import annotations

import pytest
from flask import has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

# One page view: the login record's seller, the shops (with their authorizations: whether each is
# connected), settings, the counters (tab counts, refund totals per currency, requests waiting per shop),
# the page of requests, their line items, listing links, the live-refresh marker (two MAX look-ups), the
# reason filter's options (a table written with the requests: no cache that can be stale), and the
# panels: the Sync Returns controls' shops with their last sync, the sync indicator's runs, connection
# alerts (Etsy, TikTok shops), and the notification bell's unread count. 15 — the reason options run on
# every full page (they were cached in Redis for 5 minutes, which hid new reasons) while the shops'
# authorizations come with the shops; the bell counts the seller's unread alerts on every page.
GRID_STATEMENTS = 15


class Statements:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if has_request_context():
            self.seen.append(statement)


@pytest.fixture
def statements():
    counter = Statements()
    event.listen(Engine, "before_cursor_execute", counter)
    yield counter
    event.remove(Engine, "before_cursor_execute", counter)


def _grid_statements(client, statements, url="/returns?tab=all") -> list[str]:
    client.get(url)  # warm the reason-filter cache
    statements.seen.clear()
    response = client.get(url)
    assert response.status_code == 200
    return list(statements.seen)


def test_the_grid_page_runs_a_fixed_number_of_statements(logged_in, factories, shop, statements):
    factories.returns(shop, [factories.aftersale() for _ in range(3)])
    small = _grid_statements(logged_in, statements)
    factories.returns(shop, [factories.aftersale() for _ in range(60)])
    big = _grid_statements(logged_in, statements)
    assert len(small) == len(big), "the statement count grew with the number of requests"
    assert len(big) <= GRID_STATEMENTS, "\n".join(s.splitlines()[0][:100] for s in big)


def test_the_htmx_tab_switch_runs_fewer_statements_than_the_page(logged_in, factories, shop, statements):
    factories.returns(shop, [factories.aftersale() for _ in range(5)])
    page = _grid_statements(logged_in, statements)
    statements.seen.clear()
    response = logged_in.get("/returns?tab=all", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 0 < len(statements.seen) < len(page)
