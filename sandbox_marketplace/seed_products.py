"""TikTok products, SKUs and warehouses of the demo shops, built from each shop's Etsy listings.

Most SKUs match an Etsy SKU; in every shop one SKU carries a TikTok-only seller_sku (no match); the
first shop sells one SKU twice (a duplicate on TikTok) and its Etsy shop lists one SKU in two listings
(a duplicate on Etsy); the first shop has two sales warehouses; one product of the second shop sits in
a Fulfilled-by-TikTok warehouse; one product is in review and one is deactivated by the seller.
Product and SKU ids are above 2**53 (they arrive as strings; webhooks may send them as numbers).
"""

from __future__ import annotations

import json
import random
import sqlite3
from decimal import ROUND_HALF_UP, Decimal

SCHEMA = """
CREATE TABLE tt_warehouse (id TEXT PRIMARY KEY, shop_id TEXT NOT NULL, name TEXT NOT NULL,
    type TEXT NOT NULL, effect_status TEXT NOT NULL, is_default INTEGER NOT NULL, fbt INTEGER NOT NULL);
CREATE TABLE tt_product (id TEXT PRIMARY KEY, shop_id TEXT NOT NULL, title TEXT NOT NULL,
    description TEXT NOT NULL, status TEXT NOT NULL, audit_status TEXT NOT NULL,
    create_time INTEGER NOT NULL, update_time INTEGER NOT NULL, pending TEXT, pending_at INTEGER,
    audit_failed TEXT NOT NULL DEFAULT '[]', promotion_lock INTEGER NOT NULL DEFAULT 0);
CREATE INDEX ix_tt_product_shop ON tt_product (shop_id, update_time, id);
CREATE TABLE tt_product_sku (id TEXT PRIMARY KEY, product_id TEXT NOT NULL, seller_sku TEXT NOT NULL,
    price TEXT NOT NULL, currency TEXT NOT NULL, inventory TEXT NOT NULL, position INTEGER NOT NULL);
CREATE INDEX ix_tt_product_sku_product ON tt_product_sku (product_id, position);
"""

# Demo exchange rates from the Etsy shop's currency to the TikTok shop's (TikTok prices are seeded
# with them; the connector never guesses one: the seller enters it).
RATES = {("GBP", "EUR"): Decimal("1.17"), ("USD", "IDR"): Decimal("15800"), ("EUR", "EUR"): Decimal(1)}


def create_tables(conn: sqlite3.Connection) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def _convert(amount: Decimal, etsy_currency: str, currency: str) -> Decimal:
    if etsy_currency == currency:
        return amount
    rate = RATES.get((etsy_currency, currency), Decimal(1))
    places = Decimal(1) if currency == "IDR" else Decimal("0.01")
    return (amount * rate).quantize(places, rounding=ROUND_HALF_UP)


def seed_products(conn: sqlite3.Connection, rng: random.Random, anchor: int) -> None:
    create_tables(conn)
    shops = conn.execute("SELECT * FROM tt_shop ORDER BY seller_id, id").fetchall()
    seen_etsy: set[int] = set()
    for index, shop in enumerate(shops):
        first_of_etsy = shop["etsy_shop_id"] not in seen_etsy
        seen_etsy.add(shop["etsy_shop_id"])
        warehouses = _seed_warehouses(conn, shop["id"], index)
        etsy_currency = conn.execute(
            "SELECT currency_code FROM etsy_shop WHERE shop_id=?", (shop["etsy_shop_id"],)
        ).fetchone()[0]
        listings = conn.execute(
            "SELECT * FROM etsy_listing WHERE shop_id=? ORDER BY listing_id", (shop["etsy_shop_id"],)
        ).fetchall()
        for position, listing in enumerate(listings):
            status = "ACTIVATE"
            if index == 0 and position == 3:
                status = "PENDING"
            if index == 1 and position == 4:
                status = "SELLER_DEACTIVATED"
            in_fbt = index == 1 and position == 2
            product_id = str(1_731_000_000_000_000_000 + index * 10**13 + listing["listing_id"])
            audit = "AUDITING" if status == "PENDING" else "APPROVED"
            updated = anchor - rng.randrange(3600, 30 * 86400)
            conn.execute(
                "INSERT INTO tt_product (id, shop_id, title, description, status, audit_status, create_time,"
                " update_time) VALUES (?,?,?,?,?,?,?,?)",
                (
                    product_id,
                    shop["id"],
                    listing["title"],
                    f"<p>{listing['title']}, handmade.</p>",
                    status,
                    audit,
                    updated - 86400,
                    updated,
                ),
            )
            inventory = json.loads(listing["inventory"])
            for v_index, product in enumerate(inventory["products"]):
                offering = product["offerings"][0]
                etsy_price = Decimal(offering["price"]["amount"]) / Decimal(offering["price"]["divisor"])
                price = _convert(etsy_price, etsy_currency, shop["currency"])
                if rng.random() < 0.25:
                    price += Decimal(1)  # TikTok's price drifted from Etsy's
                quantity = offering["quantity"] if rng.random() < 0.6 else rng.randrange(1, 30)
                seller_sku = product["sku"]
                if position == 1 and v_index == 1:
                    seller_sku += "-TT"  # a TikTok-only SKU: no Etsy match
                base = conn.execute("SELECT sku_id FROM sku WHERE seller_sku=?", (product["sku"],)).fetchone()
                sku_id = base[0] if first_of_etsy else str(int(base[0]) + 10**15 * (index + 1))
                stock = _stock(warehouses, quantity, in_fbt)
                conn.execute(
                    "INSERT INTO tt_product_sku VALUES (?,?,?,?,?,?,?)",
                    (
                        sku_id,
                        product_id,
                        seller_sku,
                        f"{price:.2f}",
                        shop["currency"],
                        json.dumps(stock),
                        v_index,
                    ),
                )
        if index == 0 and len(listings) >= 3:
            _seed_duplicates(conn, shop, listings, warehouses, anchor)


def _seed_warehouses(conn: sqlite3.Connection, shop_id: str, index: int) -> dict[str, list[str]]:
    base = 7_300_000_000_000_000_000 + index * 1000
    rows = [(str(base + 1), "Main studio", "SALES_WAREHOUSE", 1, 0)]
    if index == 0:
        rows.append((str(base + 2), "Second workshop", "SALES_WAREHOUSE", 0, 0))
    rows.append((str(base + 9), "Returns desk", "RETURN_WAREHOUSE", 0, 0))
    if index == 1:
        rows.append((str(base + 7), "FBT Fulfillment Center", "SALES_WAREHOUSE", 0, 1))
    for wid, name, kind, default, fbt in rows:
        conn.execute(
            "INSERT INTO tt_warehouse VALUES (?,?,?,?,?,?,?)",
            (wid, shop_id, name, kind, "ENABLED", default, fbt),
        )
    sales = [r[0] for r in rows if r[2] == "SALES_WAREHOUSE" and not r[4]]
    fbt_ids = [r[0] for r in rows if r[4]]
    return {"sales": sales, "fbt": fbt_ids}


def _stock(warehouses: dict[str, list[str]], quantity: int, in_fbt: bool) -> dict[str, int]:
    if in_fbt:
        return {warehouses["fbt"][0]: quantity}
    sales = warehouses["sales"]
    if len(sales) == 1:
        return {sales[0]: quantity}
    return {sales[0]: quantity - quantity // 2, sales[1]: quantity // 2}


def _seed_duplicates(conn, shop, listings, warehouses, anchor: int) -> None:  # noqa: ANN001
    """A TikTok bundle reusing an existing seller_sku, and an Etsy listing repeating another's SKU."""
    listing = listings[0]
    inventory = json.loads(listing["inventory"])
    sku = inventory["products"][0]["sku"]
    product_id = str(1_731_000_000_000_000_000 + 9 * 10**13 + listing["listing_id"])
    conn.execute(
        "INSERT INTO tt_product (id, shop_id, title, description, status, audit_status, create_time,"
        " update_time) VALUES (?,?,?,?,?,?,?,?)",
        (
            product_id,
            shop["id"],
            listing["title"] + " (gift set)",
            "<p>Gift set.</p>",
            "ACTIVATE",
            "APPROVED",
            anchor - 86400,
            anchor - 3600,
        ),
    )
    conn.execute(
        "INSERT INTO tt_product_sku VALUES (?,?,?,?,?,?,?)",
        (
            str(int(product_id) + 1),
            product_id,
            sku,
            "30.00",
            shop["currency"],
            json.dumps(_stock(warehouses, 2, False)),
            0,
        ),
    )
    # Etsy: a "seconds" listing repeats the shop's third listing's first SKU (a duplicate on Etsy).
    listing = listings[2]
    inventory = json.loads(listing["inventory"])
    seconds = dict(inventory, products=[inventory["products"][0]])
    seconds["readiness_state_on_property"] = []
    conn.execute(
        "INSERT INTO etsy_listing VALUES (?,?,?,?,?,?,?,?,?)",
        (
            listing["listing_id"] + 1,
            listing["shop_id"],
            listing["title"] + " (seconds)",
            "active",
            listing["price"],
            inventory["products"][0]["offerings"][0]["quantity"],
            json.dumps(seconds),
            listing["created_timestamp"],
            listing["updated_timestamp"],
        ),
    )
