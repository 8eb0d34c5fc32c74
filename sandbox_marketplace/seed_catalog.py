"""Deterministic demo sellers, shops, Etsy users, listings and receipts."""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass, field

from .demo import CURRENCIES, ETSY_USERS, PRODUCTS, SELLERS


@dataclass
class CatalogShop:
    """What the request generator needs to know about one TikTok shop."""

    shop_id: str
    region: str
    currency: str
    skus: list[tuple[str, int]] = field(default_factory=list)  # (seller_sku, price in minor units)
    buyers: list[str] = field(default_factory=list)


def minor_price(price: str, currency: str) -> int:
    """A catalog price ("28.00") in the minor units of ``currency`` (IDR has none)."""
    places, factor = CURRENCIES[currency]
    cents = round(float(price) * 100)
    if places == 0:
        return cents * factor // 100 // 1000 * 1000
    return cents * factor


def seed_catalog(conn: sqlite3.Connection, rng: random.Random, anchor: int) -> list[CatalogShop]:
    """Insert sellers, shops, Etsy users/shops/listings/receipts; return the TikTok shops."""
    etsy_shop_by_login: dict[str, int] = {}
    skus_by_etsy_shop: dict[int, list[tuple[str, str]]] = {}
    for index, user in enumerate(ETSY_USERS):
        user_id = 81_000_000 + index * 1_117 + rng.randrange(1000)
        shop_id = 41_000_000 + index * 2_311 + rng.randrange(1000)
        etsy_shop_by_login[user.login_name] = shop_id
        conn.execute(
            "INSERT INTO etsy_user VALUES (?,?,?,?,?)",
            (user_id, user.login_name, user.first_name, f"{user.login_name}@example.com", shop_id),
        )
        conn.execute(
            "INSERT INTO etsy_shop VALUES (?,?,?,?,?,?)",
            (
                shop_id,
                user_id,
                user.shop_name,
                user.currency,
                anchor - 3 * 365 * 86400,
                json.dumps(readiness_state_ids(shop_id)),
            ),
        )
        skus_by_etsy_shop[shop_id] = _seed_listings(conn, rng, index, shop_id, user.currency, anchor)
        _seed_receipts(conn, rng, shop_id, user_id, user.currency, skus_by_etsy_shop[shop_id], anchor)

    shops: list[CatalogShop] = []
    for index, seller in enumerate(SELLERS):
        seller_id = index + 1
        open_id = f"{rng.getrandbits(64):016x}"
        conn.execute(
            "INSERT INTO tt_seller VALUES (?,?,?,?,?)",
            (seller_id, open_id, seller.name, seller.base_region, 0),
        )
        etsy_shop_id = etsy_shop_by_login[seller.etsy_login]
        for shop in seller.shops:
            shop_id = str(7_494_000_000_000_000_000 + rng.randrange(10**15))
            prefix = "TTP_" if shop.region == "US" else "ROW_"
            cipher = prefix + "".join(
                rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
                for _ in range(28)
            )
            code = shop.region + "LC" + str(rng.randrange(10**6, 10**7))
            conn.execute(
                "INSERT INTO tt_shop VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    shop_id,
                    seller_id,
                    shop.name,
                    shop.region,
                    shop.seller_type,
                    cipher,
                    code,
                    shop.currency,
                    etsy_shop_id,
                ),
            )
            catalog = CatalogShop(shop_id, shop.region, shop.currency)
            catalog.skus = [
                (sku, minor_price(price, shop.currency)) for sku, price in skus_by_etsy_shop[etsy_shop_id]
            ]
            catalog.buyers = [str(7_000_000_000_000_000_000 + rng.randrange(10**17)) for _ in range(40)]
            shops.append(catalog)
    return shops


def readiness_state_ids(shop_id: int) -> list[int]:
    """The shop's processing profiles ("ready to ship in 1-2 days", "made to order in 1-2 weeks")."""
    return [shop_id * 10 + 1, shop_id * 10 + 2]


def _seed_listings(
    conn: sqlite3.Connection, rng: random.Random, index: int, shop_id: int, currency: str, anchor: int
) -> list[tuple[str, str]]:
    prefix = "".join(word[0] for word in ETSY_USERS[index].shop_name.replace("And", " ").split()).upper()[:2]
    prefix = prefix if len(prefix) == 2 else ETSY_USERS[index].login_name[:2].upper()
    families = rng.sample(range(len(PRODUCTS)), 5)
    skus: list[tuple[str, str]] = []
    ready, made_to_order = readiness_state_ids(shop_id)
    for position, family in enumerate(families):
        title, variations, price = PRODUCTS[family]
        # Every other listing's processing time varies by its variation (readiness_state_on_property).
        by_variation = position % 2 == 0
        listing_id = 1_500_000_000 + index * 10_000_000 + position * 100_000 + rng.randrange(100_000)
        products = []
        for v_index, variation in enumerate(variations):
            sku = f"{prefix}-{family + 1:02d}{v_index + 1:02d}"
            product_id = listing_id * 10 + v_index
            cents = round(float(price) * 100)
            products.append(
                {
                    "product_id": product_id,
                    "sku": sku,
                    "is_deleted": False,
                    "offerings": [
                        {
                            "offering_id": product_id * 10 + 1,
                            "quantity": rng.randrange(0, 25),
                            "is_enabled": True,
                            "is_deleted": False,
                            "price": {"amount": cents, "divisor": 100, "currency_code": currency},
                            "readiness_state_id": (made_to_order if by_variation and v_index % 2 else ready),
                        }
                    ],
                    "property_values": [
                        {
                            "property_id": 513,
                            "property_name": "Variation",
                            "scale_id": None,
                            "scale_name": None,
                            "value_ids": [v_index + 1],
                            "values": [variation],
                        }
                    ],
                }
            )
            conn.execute(
                "INSERT INTO sku VALUES (?,?,?,?,?,?,?,?)",
                (
                    sku,
                    shop_id,
                    listing_id,
                    product_id,
                    str(1_729_000_000_000_000_000 + product_id),
                    title,
                    variation,
                    price,
                ),
            )
            skus.append((sku, price))
        inventory = {
            "products": products,
            "price_on_property": [],
            "quantity_on_property": [513],
            "sku_on_property": [513],
            "readiness_state_on_property": [513] if by_variation else [],
        }
        quantity = sum(p["offerings"][0]["quantity"] for p in products)
        created = anchor - rng.randrange(30, 900) * 86400
        conn.execute(
            "INSERT INTO etsy_listing VALUES (?,?,?,?,?,?,?,?,?)",
            (listing_id, shop_id, title, "active", price, quantity, json.dumps(inventory), created, created),
        )
    return skus


RECEIPT_STATUSES = (
    "paid",
    "completed",
    "completed",
    "open",
    "payment processing",
    "canceled",
    "fully refunded",
    "partially refunded",
)


def _seed_receipts(
    conn: sqlite3.Connection,
    rng: random.Random,
    shop_id: int,
    user_id: int,
    currency: str,
    skus: list[tuple[str, str]],
    anchor: int,
) -> None:
    listing_of = dict(
        conn.execute("SELECT seller_sku, listing_id FROM sku WHERE etsy_shop_id=?", (shop_id,)).fetchall()
    )
    product_of = dict(
        conn.execute("SELECT seller_sku, product_id FROM sku WHERE etsy_shop_id=?", (shop_id,)).fetchall()
    )
    for number in range(30):
        receipt_id = 3_100_000_000 + shop_id % 1000 * 100_000 + number * 97 + rng.randrange(97)
        created = anchor - rng.randrange(3600, 90 * 86400)
        updated = created + rng.randrange(0, 5 * 86400)
        status = rng.choice(RECEIPT_STATUSES)
        lines = rng.sample(skus, rng.choice((1, 1, 2)))
        transactions, subtotal = [], 0
        for t_index, (sku, price) in enumerate(lines):
            cents = round(float(price) * 100)
            subtotal += cents
            transactions.append(
                {
                    "transaction_id": receipt_id * 10 + t_index,
                    "title": sku,
                    "seller_user_id": user_id,
                    "buyer_user_id": 900_000 + number,
                    "create_timestamp": created,
                    "created_timestamp": created,
                    "listing_id": listing_of[sku],
                    "product_id": product_of[sku],
                    "sku": sku,
                    "quantity": 1,
                    "price": {"amount": cents, "divisor": 100, "currency_code": currency},
                    "shipping_cost": {"amount": 0, "divisor": 100, "currency_code": currency},
                }
            )
        money = {"amount": subtotal, "divisor": 100, "currency_code": currency}
        refunds = []
        if status in ("fully refunded", "partially refunded"):
            amount = subtotal if status == "fully refunded" else subtotal // 2
            refunds.append(
                {
                    "amount": {"amount": amount, "divisor": 100, "currency_code": currency},
                    "created_timestamp": updated,
                    "reason": "Buyer returned the item",
                    "note_from_issuer": "",
                    "status": "REFUNDED",
                }
            )
        body = {
            "receipt_id": receipt_id,
            "receipt_type": 0,
            "seller_user_id": user_id,
            "seller_email": "shop@example.com",
            "buyer_user_id": 900_000 + number,
            "buyer_email": f"buyer{number}@example.com",
            "name": f"Buyer {number}",
            "country_iso": "US",
            "status": status,
            "payment_method": "cc",
            "message_from_buyer": "",
            "is_shipped": status in ("completed",),
            "is_paid": status != "open",
            "is_gift": False,
            "create_timestamp": created,
            "created_timestamp": created,
            "update_timestamp": updated,
            "updated_timestamp": updated,
            "grandtotal": money,
            "subtotal": money,
            "total_price": money,
            "total_shipping_cost": {"amount": 0, "divisor": 100, "currency_code": currency},
            "total_tax_cost": {"amount": 0, "divisor": 100, "currency_code": currency},
            "shipments": [],
            "transactions": transactions,
            "refunds": refunds,
        }
        conn.execute(
            "INSERT INTO etsy_receipt VALUES (?,?,?,?,?)",
            (receipt_id, shop_id, created, updated, json.dumps(body)),
        )
