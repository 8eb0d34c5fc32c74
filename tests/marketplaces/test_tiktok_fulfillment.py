"""Fulfilment calls: what is sent (split shipments), and how TikTok's refusals come back."""

import pytest

from connector_app.marketplaces.errors import MarketplaceError
from connector_app.marketplaces.tiktok import fulfillment as ship

from .conftest import TT_API, body_of, envelope

PACKAGES = f"{TT_API}/fulfillment/202309/orders/576/packages"


def test_a_split_shipment_names_its_line_items(rsps, tiktok):
    rsps.post(PACKAGES, json=envelope({"order_id": "576", "package_id": 1152921504606846977}))
    assert ship.mark_package_shipped(tiktok, "576", "TRK1", "66", ["9001", "9002"]) == "1152921504606846977"
    assert body_of(rsps.calls[0]) == {
        "tracking_number": "TRK1",
        "shipping_provider_id": "66",
        "order_line_item_ids": ["9001", "9002"],
    }


def test_a_whole_order_sends_no_line_items(rsps, tiktok):
    rsps.post(PACKAGES, json=envelope({"package_id": "1"}))
    ship.mark_package_shipped(tiktok, "576", "TRK1", "66")
    assert "order_line_item_ids" not in body_of(rsps.calls[0])


@pytest.mark.parametrize(
    "code,reason",
    [(21011044, "on_hold"), (21008025, "fbt"), (21008044, "after_sale_pending"), (21011025, "tracking_used")],
)
def test_refusals_say_why(rsps, tiktok, code, reason):
    rsps.post(PACKAGES, json=envelope(None, code=code, message="refused"))
    with pytest.raises(ship.ShipRefused) as raised:
        ship.mark_package_shipped(tiktok, "576", "TRK1", "66")
    assert raised.value.reason == reason


@pytest.mark.parametrize("code", sorted(ship.ALREADY_SHIPPED))
def test_already_shipped_is_recognised_for_a_read_back(rsps, tiktok, code):
    rsps.post(PACKAGES, json=envelope(None, code=code, message="already shipped"))
    with pytest.raises(MarketplaceError) as raised:
        ship.mark_package_shipped(tiktok, "576", "TRK1", "66")
    assert ship.already_shipped(raised.value) and not isinstance(raised.value, ship.ShipRefused)
