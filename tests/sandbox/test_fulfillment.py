"""Shipping a seller-fulfilled order through the sandbox with the connector's fulfilment client: each of
TikTok's refusals reaches the client, "already shipped" is recognised, a tracking fix works once."""

from __future__ import annotations

import pytest
from test_orders import client_for, place, sku_of

from connector_app.marketplaces.errors import MarketplaceError
from connector_app.marketplaces.tiktok import fulfillment as ship
from connector_app.marketplaces.tiktok import orders


def _awaiting(server, shop) -> str:
    placed = place(server, shop, sku_of(server, shop), units=2)
    if placed["status"] == "ON_HOLD":
        server._call("POST", f"/orders/{placed['order_id']}/status", json={"status": "AWAITING_SHIPMENT"})
    return placed["order_id"]


def test_mark_shipped_read_back_and_already_shipped(server) -> None:
    client, shop = client_for(server, "Harbor & Pine Goods")
    order_id = _awaiting(server, shop)
    (order,) = orders.get_orders(client, [order_id])
    providers = ship.shipping_providers(client, order.delivery_option_id)
    assert [p.name for p in providers] == ["USPS", "UPS", "FedEx"]  # the US carriers of the demo data
    package_id = ship.mark_package_shipped(client, order_id, "9400111899223344556677", providers[0].id)
    package = ship.get_package(client, package_id)
    assert package.tracking_number == "9400111899223344556677" and len(package.line_ids) == 2
    with pytest.raises(MarketplaceError) as raised:
        ship.mark_package_shipped(client, order_id, "9400111899223344556677", providers[0].id)
    assert ship.already_shipped(raised.value)  # the caller reads the package back: success
    (order,) = orders.get_orders(client, [order_id])
    assert order.status == "AWAITING_COLLECTION"
    ship.update_tracking(client, package_id, "9400111899223344550000", providers[0].id)
    with pytest.raises(ship.ShipRefused) as refused:
        ship.update_tracking(client, package_id, "9400111899223344551111", providers[0].id)
    assert refused.value.reason == "update_not_allowed"  # once only


def test_on_hold_fbt_cancelled_and_reused_tracking_are_refused(server) -> None:
    client, shop = client_for(server, "Harbor & Pine Goods")
    on_hold = place(server, shop, sku_of(server, shop))["order_id"]
    (provider, *_) = ship.shipping_providers(client, "7091146663229654785")
    with pytest.raises(ship.ShipRefused) as raised:
        ship.mark_package_shipped(client, on_hold, "T-ON-HOLD-1", provider.id)
    assert raised.value.reason == "on_hold"
    fbt = place(server, shop, sku_of(server, shop), fbt=True)["order_id"]
    with pytest.raises(ship.ShipRefused) as raised:
        ship.mark_package_shipped(client, fbt, "T-FBT-1", provider.id)
    assert raised.value.reason == "fbt"
    with pytest.raises(ship.ShipRefused) as raised:
        ship.shipping_providers(client, "7091146663229654786")  # an FBT delivery option has no providers
    assert raised.value.reason == "fbt"
    first, second = _awaiting(server, shop), _awaiting(server, shop)
    ship.mark_package_shipped(client, first, "T-REUSED-1", provider.id)
    with pytest.raises(ship.ShipRefused) as raised:
        ship.mark_package_shipped(client, second, "T-REUSED-1", provider.id)
    assert raised.value.reason == "tracking_used"
    server._call("POST", f"/orders/{second}/status", json={"status": "CANCELLED"})
    with pytest.raises(ship.ShipRefused) as raised:
        ship.mark_package_shipped(client, second, "T-CANCELLED-1", provider.id)
    assert raised.value.reason == "cancelled"


def test_each_market_ships_by_its_own_method(server) -> None:
    client, shop = client_for(server, "Kirana Craft Co")  # ID: Ship Package, not Mark Package As Shipped
    order_id = _awaiting(server, shop)
    (provider, *_) = ship.shipping_providers(client, "7091146663229654785")
    with pytest.raises(MarketplaceError) as raised:
        ship.mark_package_shipped(client, order_id, "ID-T-1", provider.id)
    assert str(raised.value.code) == "21008106"
    ship.ship_package(client, str(int(order_id) + 7), "ID-T-1", provider.id)
    (order,) = orders.get_orders(client, [order_id])
    assert order.status == "AWAITING_COLLECTION" and order.tracking_number == "ID-T-1"


def test_a_split_shipment_ships_some_lines_and_the_order_waits_for_the_rest(server) -> None:
    client, shop = client_for(server, "Harbor & Pine Goods")
    order_id = _awaiting(server, shop)
    (order,) = orders.get_orders(client, [order_id])
    first, second = (line.id for line in order.lines)
    (provider, *_) = ship.shipping_providers(client, order.delivery_option_id)

    one = ship.mark_package_shipped(client, order_id, "SPLIT-T-1", provider.id, line_ids=[first])
    (order,) = orders.get_orders(client, [order_id])
    assert order.status == "PARTIALLY_SHIPPING"  # TikTok keeps the order open: a line is still to ship
    shipped = {line.id: (line.package_id, line.tracking_number) for line in order.lines}
    assert shipped[first] == (one, "SPLIT-T-1") and shipped[second] == ("", "")  # US: no id before shipping
    assert ship.get_package(client, one).line_ids == (first,)
    with pytest.raises(MarketplaceError) as raised:  # the same line again: already shipped
        ship.mark_package_shipped(client, order_id, "SPLIT-T-2", provider.id, line_ids=[first])
    assert ship.already_shipped(raised.value)
    with pytest.raises(ship.ShipRefused) as refused:  # a tracking number is one parcel's
        ship.mark_package_shipped(client, order_id, "SPLIT-T-1", provider.id, line_ids=[second])
    assert refused.value.reason == "tracking_used"

    two = ship.mark_package_shipped(client, order_id, "SPLIT-T-3", provider.id, line_ids=[second])
    (order,) = orders.get_orders(client, [order_id])
    assert order.status == "AWAITING_COLLECTION" and two != one
    assert {line.id: line.package_id for line in order.lines} == {first: one, second: two}
