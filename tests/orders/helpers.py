"""Builders for order tests: TikTok order snapshots (as the client returns them) and a strict fake Etsy."""

from __future__ import annotations

import json
from decimal import Decimal

import requests
import responses

from connector_app.extensions import db
from connector_app.marketplaces.tiktok.order_types import Order, OrderLine
from connector_app.orders.jobs import store_orders

API = "http://127.0.0.1:5001/v3/application"
LISTING = "1500012345"


def line(n: int, sku: str = "SKU-1", **kw) -> OrderLine:
    values = {
        "id": f"9{n:05d}",
        "sku_id": f"17{sku[-1]}",
        "seller_sku": sku,
        "product_id": "1731",
        "product_name": f"Mug {sku}",
        "sku_name": "Blue",
        "sale_price": Decimal("12.50"),
        "original_price": Decimal("12.50"),
        "currency": "USD",
    }
    values.update(kw)
    return OrderLine(**values)


def order(oid: str = "576000000000000001", status: str = "AWAITING_SHIPMENT", skus=("SKU-1",), **kw) -> Order:
    values = {
        "id": oid,
        "status": status,
        "fulfillment_type": "FULFILLMENT_BY_SELLER",
        "shipping_type": "SELLER",
        "create_time": 1_900_000_000,
        "update_time": 1_900_000_100,
        "paid_time": None if status == "UNPAID" else 1_900_000_050,
        "rts_sla_time": 1_900_172_800,
        "shipping_due_time": None,
        "cancel_time": None,
        "currency": "USD",
        "payment": {"total_amount": Decimal("12.50") * len(skus), "sub_total": Decimal("12.50") * len(skus)},
        "lines": tuple(line(i, sku) for i, sku in enumerate(skus)),
        "recipient": {"name": "J*** S***", "phone_number": "(+1)555*****23"},
    }
    values.update(kw)
    return Order(**values)


def store(app, shop, *items: Order) -> None:
    with app.app_context():
        store_orders(db.session.merge(shop), list(items))


class FakeEtsy:
    """One listing with SKUs; Etsy's rules: an inventory of 0 in total is refused, state can be set,
    an inactive listing with no stock cannot be activated. Counts quantity writes."""

    def __init__(self, rsps: responses.RequestsMock, stock: dict[str, int], shop_id: str) -> None:
        self.stock = dict(stock)
        self.state = "active"
        self.updated = 1_900_000_000  # last_modified_timestamp: moves on every inventory write
        self.puts = 0
        self.fail_put_before_write: int = 0  # answer 500 without writing (n times)
        self.fail_put_after_write: int = 0  # answer a timeout after applying the write (n times)
        url = f"{API}/listings/{LISTING}/inventory"
        rsps.add_callback(responses.GET, url, callback=self._get)
        rsps.add_callback(responses.PUT, url, callback=self._put)
        rsps.add_callback(responses.GET, f"{API}/listings/{LISTING}", callback=self._listing)
        rsps.add_callback(responses.PATCH, f"{API}/shops/{shop_id}/listings/{LISTING}", callback=self._patch)

    def _inventory(self) -> dict:
        return {
            "products": [
                {
                    "sku": sku,
                    "property_values": [],
                    "offerings": [
                        {"quantity": qty, "is_enabled": True, "price": {"amount": 1250, "divisor": 100}}
                    ],
                }
                for sku, qty in self.stock.items()
            ]
        }

    def _get(self, request):
        return 200, {}, json.dumps(self._inventory())

    def _listing(self, request):
        body = {
            "listing_id": int(LISTING),
            "state": self.state,
            "quantity": sum(self.stock.values()),
            "title": "Mug",
            "last_modified_timestamp": self.updated,
        }
        return 200, {}, json.dumps(body)

    def _put(self, request):
        wanted = {
            p["sku"]: sum(o["quantity"] for o in p["offerings"]) for p in json.loads(request.body)["products"]
        }
        if sum(wanted.values()) == 0:
            return 400, {}, json.dumps({"error": "One offering must have quantity greater than 0"})
        if self.fail_put_before_write:
            self.fail_put_before_write -= 1
            return 500, {}, json.dumps({"error": "Internal server error"})
        self.puts += 1
        self.updated += 1
        self.stock.update(wanted)
        if self.fail_put_after_write:
            self.fail_put_after_write -= 1
            raise requests.exceptions.ReadTimeout("read timed out after the write")
        return 200, {}, json.dumps(self._inventory())

    def _patch(self, request):
        state = json.loads(request.body)["state"]
        if state == "active" and sum(self.stock.values()) == 0:
            return 400, {}, json.dumps({"error": "Cannot activate a listing with a quantity of 0."})
        self.state = state
        return self._listing(request)

    def effective(self) -> dict[str, int]:
        """What a buyer can buy on Etsy: nothing while the listing is inactive."""
        return dict.fromkeys(self.stock, 0) if self.state != "active" else dict(self.stock)
