"""Who may see what: login everywhere, other sellers' requests never shown, bad input never a 500."""

from __future__ import annotations

import pytest

from tests.returns.conftest import row_ids

ROUTES = [
    "/returns",
    "/returns?tab=all",
    "/returns?tab=applying",
    "/returns/changes",
    "/returns/export.csv",
    "/returns/{rid}",
]


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_is_sent_to_login(client, factories, seller, shop, route):
    item = factories.aftersale()
    factories.returns(shop, [item])
    response = client.get(route.format(rid=item.request_id))
    response.close()
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("htmx", [False, True])
def test_another_sellers_request_is_404(logged_in, other_client, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    assert logged_in.get("/returns/999000000000000001", headers=headers).status_code == 404
    assert other_client.get("/returns/999000000000000001", headers=headers).status_code == 200


def test_another_sellers_rows_are_never_listed_or_exported(logged_in, other_client, factories, shop):
    mine = factories.aftersale()
    factories.returns(shop, [mine])
    for url in ("/returns?tab=all", "/returns?tab=all&shop=all", "/returns?tab=applying"):
        assert row_ids(logged_in.get(url)) == [mine.request_id]
        assert "999000000000000001" not in logged_in.get(url).get_data(as_text=True)
    for query in ("999000000000000001", "other-sku"):
        assert row_ids(logged_in.get(f"/returns?tab=all&q={query}")) == []
    assert "999000000000000001" not in logged_in.get("/returns/export.csv?tab=all").get_data(as_text=True)
    # Their shop is not a filter the seller can use either.
    page = logged_in.get(f"/returns?tab=all&shop={other_client.shop.id}")
    assert row_ids(page) == [mine.request_id]
    assert "not one of your connected shops" in page.get_data(as_text=True)


def test_another_sellers_changes_do_not_refresh_my_grid(logged_in, other_client, factories, shop):
    factories.returns(shop, [factories.aftersale()])
    marker = _marker(logged_in)
    factories.returns(other_client.shop, [factories.aftersale()])
    assert logged_in.get(f"/returns/changes?since={marker}").status_code == 204


def _marker(client) -> str:
    import re

    html = client.get("/returns?tab=all").get_data(as_text=True)
    return re.search(r"/returns/changes\?since=([^\"&]+)", html).group(1)


BAD = [
    ("tab=nope", "There is no"),
    ("from=2025-13-45", "is not a date"),
    ("to=yesterday", "is not a date"),
    ("from=2025-05-02&to=2025-05-01", "dates were swapped"),
    ("page=-1&after=1~1", "page number is not valid"),
    ("page=99999999999999999999&after=1~1", "page number is not valid"),
    ("page=abc", "page number is not valid"),
    ("size=7", "Page size must be one of"),
    ("size=-25", "Page size must be one of"),
    ("q=" + "x" * 5000, "limited to 100 characters"),
    ("sort=evil", "Cannot sort by"),
    ("dir=sideways", "sort direction"),
    ("after=garbage", "no longer valid"),
    ("before=1~", "no longer valid"),
    ("sort=amount&after=1e9~3", "no longer valid"),
    ("after=99999999999999999999~1", "no longer valid"),
    ("shop=abc", "not one of your connected shops"),
    ("type=drop%20table", "Unknown request type"),
    ("q=%00abc%01", "Nothing here"),
    ("reason=%00", "request"),
]


@pytest.mark.parametrize(("query", "message"), BAD)
@pytest.mark.parametrize("url", ["/returns", "/returns/export.csv"])
def test_bad_input_gives_a_clean_page_never_a_500(logged_in, factories, shop, query, message, url):
    factories.returns(shop, [factories.aftersale()])
    response = logged_in.get(f"{url}?{query}")
    body = response.get_data(as_text=True)  # read it all: a CSV streams
    assert response.status_code in (200, 400)
    if url == "/returns":
        assert message in body
        assert len(row_ids(response)) <= 1
    fragment = logged_in.get(f"{url}?{query}", headers={"HX-Request": "true"})
    fragment.get_data()
    assert fragment.status_code in (200, 400)


@pytest.mark.parametrize("rid", ["x" * 300, "..%2F..%2Fetc", "%00", "1' OR '1'='1"])
def test_odd_request_ids_are_404(logged_in, shop, rid):
    assert logged_in.get(f"/returns/{rid}").status_code == 404
