"""The status -> tab mapping as sellers see it: each TikTok status in its tab; unknown ones under All."""

from __future__ import annotations

import pytest

from connector_app.returns.tabs import TABS_BY_KEY
from tests.returns.conftest import row_ids, tab_count

# The reference table (tiktok-shop-api.md §4), restated here so a change to the code's table is noticed.
REFERENCE = {
    "RETURN_OR_REFUND_REQUEST_PENDING": "applying",
    "REPLACEMENT_REQUEST_PENDING": "applying",
    "AWAITING_BUYER_RESPONSE": "applying",
    "CANCELLATION_REQUEST_PENDING": "applying",
    "REFUND_OR_RETURN_REQUEST_REJECT": "reject_application",
    "REPLACEMENT_REQUEST_REJECT": "reject_application",
    "AWAITING_BUYER_SHIP": "returning",
    "BUYER_SHIPPED_ITEM": "buyer_shipped",
    "REJECT_RECEIVE_PACKAGE": "seller_reject_receive",
    "RETURN_OR_REFUND_REQUEST_SUCCESS": "success",
    "REPLACEMENT_REQUEST_REFUND_SUCCESS": "success",
    "CANCELLATION_REQUEST_SUCCESS": "success",
    "RETURN_OR_REFUND_REQUEST_CANCEL": "closed",
    "REPLACEMENT_REQUEST_CANCEL": "closed",
    "CANCELLATION_REQUEST_CANCEL": "closed",
    "CANCELLATION_REQUEST_CANCELLED": "closed",
    "RETURN_OR_REFUND_REQUEST_COMPLETE": "complete",
    "REPLACEMENT_REQUEST_COMPLETE": "complete",
    "CANCELLATION_REQUEST_COMPLETE": "complete",
}


@pytest.mark.parametrize(("status", "tab"), sorted(REFERENCE.items()))
def test_every_status_is_listed_in_its_tab_and_under_all(logged_in, factories, shop, status, tab):
    kind = "cancellation" if status.startswith("CANCELLATION") else "return"
    item = factories.aftersale(status=status, kind=kind)
    factories.returns(shop, [item])

    in_tab = logged_in.get(f"/returns?tab={tab}")
    assert row_ids(in_tab) == [item.request_id]
    assert tab_count(in_tab, tab) == 1
    assert row_ids(logged_in.get("/returns?tab=all")) == [item.request_id]
    for other in TABS_BY_KEY:
        if other not in ("all", tab):
            assert row_ids(logged_in.get(f"/returns?tab={other}")) == []
            assert tab_count(in_tab, other) == 0


def test_unknown_status_shows_under_all_as_other_with_its_raw_value(logged_in, factories, shop):
    item = factories.aftersale(status="BRAND_NEW_STATUS")
    factories.returns(shop, [item])

    page = logged_in.get("/returns?tab=all")
    assert row_ids(page) == [item.request_id]
    assert "Other (BRAND_NEW_STATUS)" in page.get_data(as_text=True)
    assert tab_count(page, "all") == 1
    for key in TABS_BY_KEY:
        if key != "all":
            assert row_ids(logged_in.get(f"/returns?tab={key}")) == []
