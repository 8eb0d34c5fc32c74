"""Helpers for the returns grid tests."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.factories import PASSWORD
from tests.fixtures.request_thread import no_marketplace_call_on_a_web_request  # noqa: F401 (autouse)

ROW_ID = re.compile(r'name="request_ids" value="([^"]+)"')


def row_ids(response) -> list[str]:
    """Request ids of the grid rows, in display order."""
    return ROW_ID.findall(response.get_data(as_text=True))


def tab_count(response, tab: str) -> int:
    match = re.search(rf'id="tab-count-{tab}">([\d,]+)<', response.get_data(as_text=True))
    assert match, f"no count for tab {tab}"
    return int(match.group(1).replace(",", ""))


@pytest.fixture
def shop(factories, seller):
    return factories.tiktok_shop(seller, name="Main Street", region="US")


@pytest.fixture
def other_client(app, factories):
    """A second seller, logged in on their own client, with their own shop and one request."""
    other = factories.seller(email="other@example.com")
    other_shop = factories.tiktok_shop(other, name="Other Shop")
    factories.returns(other_shop, [factories.aftersale(request_id="999000000000000001", sku="OTHER-SKU")])
    client = app.test_client()
    response = client.post_form("/login", {"email": other.email, "password": PASSWORD})
    assert response.status_code == 302
    client.seller = other
    client.shop = other_shop
    return client
