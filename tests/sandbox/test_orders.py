"""The sandbox's orders and FBT, driven by the connector's own Order client (never kinder than TikTok)."""

from __future__ import annotations

import json

import pytest
import requests
from conftest import exchange
from test_webhooks_faults import Receiver, wait_for

from connector_app.marketplaces.errors import MarketplaceError
from connector_app.marketplaces.policy import INTERACTIVE
from connector_app.marketplaces.tiktok import TikTokClient, orders
from sandbox_marketplace.testing import SandboxServer


def client_for(server: SandboxServer, seller: str, region: str | None = None) -> tuple[TikTokClient, dict]:
    code, app = server.authorize_tiktok_for_app(seller=seller)
    token = exchange(server, code, app)["data"]["access_token"]
    shop = next(
        s for s in server.shops() if s["seller"] == seller and (region is None or s["region"] == region)
    )
    key, secret = server.tiktok_app(app)
    return TikTokClient(key, secret, server.url, token, shop["cipher"], policy=INTERACTIVE), shop


def place(
    server: SandboxServer, shop: dict, seller_sku: str, units: int = 1, fbt: bool = False, pay: bool = True
):
    body = {"shop_id": shop["id"], "seller_sku": seller_sku, "units": units, "fbt": fbt, "pay": pay}
    return server._call("POST", "/orders", json=body)


def sku_of(server: SandboxServer, shop: dict) -> str:
    return server._call("GET", "/orders", params={"shop_id": shop["id"]})[0]["line_items"][0][1]


def test_demo_orders_page_by_update_time_and_include_fbt(server) -> None:
    client, _shop = client_for(server, "Harbor & Pine Goods")
    seen, last = [], 0
    for page in orders.iter_orders(client, page_size=17):
        for order in page.items:
            assert order.update_time >= last
            last = order.update_time
            seen.append(order)
    assert len(seen) == len({o.id for o in seen}) >= 40
    assert {o.status for o in seen} >= {"UNPAID", "ON_HOLD", "AWAITING_SHIPMENT", "COMPLETED", "CANCELLED"}
    assert any(o.is_fbt for o in seen) and any(not o.is_fbt for o in seen)
    fbt = next(o for o in seen if o.is_fbt)
    assert fbt.rts_sla_time is None  # TikTok ships: no seller ship-by time
    seller_shipped = next(o for o in seen if o.status == "AWAITING_SHIPMENT" and not o.is_fbt)
    assert seller_shipped.rts_sla_time and seller_shipped.recipient.get("name")
    assert fbt.recipient.get("name", "").endswith("***") or fbt.status in ("UNPAID", "ON_HOLD")


def test_on_hold_exists_on_some_shops_only(server) -> None:
    client, shop = client_for(server, "Lindenhof Atelier", "GB")
    statuses = {o.status for p in orders.iter_orders(client, page_size=100) for o in p.items}
    assert "ON_HOLD" not in statuses
    placed = place(server, shop, sku_of(server, shop))
    assert placed["status"] == "AWAITING_SHIPMENT"  # UNPAID → AWAITING_SHIPMENT on this shop
    us_client, us_shop = client_for(server, "Harbor & Pine Goods")
    placed = place(server, us_shop, sku_of(server, us_shop), units=2)
    (order,) = orders.get_orders(us_client, [placed["order_id"]])
    assert order.status == "ON_HOLD" and order.recipient == {}  # no address while on hold
    assert len(order.lines) == 2  # two units: two line items, no quantity field


def test_refusals_reach_the_client(server) -> None:
    client, _shop = client_for(server, "Harbor & Pine Goods")
    other, _ = client_for(server, "Lindenhof Atelier", "GB")
    theirs = next(iter(orders.search_orders(other, page_size=1).items))
    with pytest.raises(MarketplaceError) as raised:
        orders.get_orders(client, [theirs.id])  # another shop's order
    assert str(raised.value.code) == "21008111"
    with pytest.raises(MarketplaceError) as raised:
        client._call("GET", orders.ORDER_DETAIL_PATH, query={"ids": ",".join(str(i) for i in range(51))})
    assert str(raised.value.code) == "36009004"
    with pytest.raises(MarketplaceError):
        orders.search_orders(client, {"order_status": "CANCEL"})  # the webhook's spelling is no API status
    with pytest.raises(MarketplaceError):
        client._call("POST", orders.ORDER_LIST_PATH, query={"page_size": 0}, body={})
    with pytest.raises(MarketplaceError):
        client._call(
            "POST",
            orders.FBT_INVENTORY_PATH,
            query={"page_size": 10},
            body={"sku_ids": [str(i) for i in range(101)]},
        )


def test_detail_batches_of_50_cover_every_order(server) -> None:
    client, _shop = client_for(server, "Harbor & Pine Goods")
    ids = [o.id for p in orders.iter_orders(client, page_size=100) for o in p.items][:60]
    assert {o.id for o in orders.get_orders(client, ids)} == set(ids)


def test_fbt_inventory_by_sku() -> None:
    with SandboxServer(seed=4, returns=50, SANDBOX_TIKTOK_QPS=10_000) as server:
        client, _shop = client_for(server, "Harbor & Pine Goods")
        everything = orders.search_fbt_inventory(client).items
        assert everything and all(row.total > 0 for row in everything)
        rows = orders.fbt_inventory(client, [everything[0].sku_id])
        assert [r.sku_id for r in rows] == [everything[0].sku_id]


def test_status_webhooks_spell_cancel_and_fbt_webhooks_carry_seller_open_id() -> None:
    receiver = Receiver()
    with SandboxServer(seed=5, returns=50, webhook_url=receiver.url, SANDBOX_TIKTOK_QPS=10_000) as server:
        shop = next(s for s in server.shops() if s["seller"] == "Lindenhof Atelier" and s["region"] == "GB")
        placed = place(server, shop, sku_of(server, shop))
        server._call("POST", f"/orders/{placed['order_id']}/status", json={"status": "CANCELLED"})
        with pytest.raises(requests.HTTPError):  # a cancelled order cannot ship
            server._call(
                "POST", f"/orders/{placed['order_id']}/status", json={"status": "AWAITING_COLLECTION"}
            )
        assert wait_for(lambda: len(receiver.received) >= 3)
        bodies = [json.loads(raw) for _, raw, _ in receiver.received]
        statuses = [b["data"]["order_status"] for b in bodies if b["type"] == 1]
        assert statuses == ["UNPAID", "AWAITING_SHIPMENT", "CANCEL"]
        stock = server._call("GET", "/orders", params={"shop_id": shop["id"]})
        assert stock
        client, _ = client_for(server, "Lindenhof Atelier", "GB")
        sku_id = orders.search_fbt_inventory(client).items[0].sku_id
        server._call("POST", "/fbt/stock", json={"shop_id": shop["id"], "sku_id": sku_id, "available": 3})
        assert wait_for(lambda: any(json.loads(r[1])["type"] == 24 for r in receiver.received))
        fbt = next(json.loads(r[1]) for r in receiver.received if json.loads(r[1])["type"] == 24)
        assert "shop_id" not in fbt and fbt["seller_open_id"]
        assert fbt["data"]["fbt_warehouse_inventory"][0]["on_hand_detail"]["available_quantity"] == 3


def test_a_person_can_place_an_order_from_the_state_page(server) -> None:
    page = requests.get(server.url + "/_sandbox/", timeout=10).text
    assert "Place an order on TikTok" in page
    token = page.split('name="token" value="')[1].split('"')[0]
    shop = next(s for s in server.shops() if s["seller"] == "Harbor & Pine Goods")
    form = {"token": token, "shop_id": shop["id"], "seller_sku": sku_of(server, shop), "units": "2"}
    answer = requests.post(server.url + "/_sandbox/ui/order", data=form, timeout=10)
    assert answer.status_code == 200 and "placed on" in answer.text and "ON_HOLD" in answer.text
