"""Deterministic demo orders: seller-shipped and FBT, every status, ON_HOLD on some shops only.

The orders of the seeded returns and cancellations exist too (same order id and line item ids), so a
request links to its order and back. Uses its own random stream: the rest of the demo is unchanged.
"""

from __future__ import annotations

import json
import random
import sqlite3

from .seed_catalog import CatalogShop

ORDERS_PER_SHOP = 40
FBT, SELLER = "FULFILLMENT_BY_TIKTOK", "FULFILLMENT_BY_SELLER"
ORDER_BASE = 579_000_000_000_000_000
FLOW = ("UNPAID", "AWAITING_SHIPMENT", "AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED")
NAMES = ("Alex Morgan", "Sam Lee", "Jordan Smith", "Robin Patel", "Casey Brown", "Taylor Green")


def _recipient(rng: random.Random, region: str) -> str:
    name = rng.choice(NAMES)
    return json.dumps(
        {
            "name": name,
            "phone_number": f"(+1){rng.randrange(10**9, 10**10)}",
            "full_address": f"{rng.randrange(1, 999)} High Street, Springfield",
            "postal_code": f"{rng.randrange(10000, 99999)}",
            "region_code": region,
            "region": region,
        }
    )


def _row(rng, shop, order_id, lines, status, fbt, create_time, anchor) -> tuple:  # noqa: PLR0913
    paid = None if status == "UNPAID" else create_time + rng.randrange(60, 1800)
    since = paid or create_time
    update = since + rng.randrange(60, max(61, anchor - since))  # spread between then and now
    rts = paid + 2 * 86400 if paid and not fbt else None
    if status in ("ON_HOLD", "AWAITING_SHIPMENT") and paid:
        # live deadlines: some overdue, some due today, the rest later
        rts = anchor + rng.choice((-3 * 3600, 5 * 3600, 30 * 3600, 44 * 3600)) if not fbt else None
        update = min(anchor, paid + 60)
    cancel = update if status == "CANCELLED" else None
    shipped = status in ("AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED")
    shipping = 0 if rng.randrange(2) else (499 if shop.currency != "IDR" else 15000)
    subtotal = sum(price for _, _, price in lines)
    tax = subtotal * 8 // 100 if shop.region == "US" else 0
    return (
        order_id,
        shop.shop_id,
        status,
        FBT if fbt else SELLER,
        create_time,
        max(update, create_time),
        paid,
        rts,
        paid + 5 * 86400 if paid else None,
        cancel,
        shop.currency,
        json.dumps(lines),
        str(shipping),
        str(tax),
        _recipient(rng, shop.region),
        f"{shop.region}{rng.randrange(10**11, 10**12)}" if shipped else "",
        "USPS" if shipped else "",
        int(status == "AWAITING_SHIPMENT" and rng.randrange(12) == 0),
        rng.choice(shop.buyers) if shop.buyers else "7000000000",
    )


def seed_orders(
    conn: sqlite3.Connection,
    seed: int,
    shops: list[CatalogShop],
    anchor: int,
    per_shop: int = ORDERS_PER_SHOP,
) -> None:
    from .tiktok.orders import ensure_schema  # the API module needs the app; import it late

    ensure_schema(conn)
    rng = random.Random(seed * 1_000_003 + 18)
    insert = f"INSERT OR IGNORE INTO tt_order VALUES ({','.join('?' * 19)})"  # noqa: S608
    for index, shop in enumerate(shops):
        on_hold = index % 2 == 0  # ON_HOLD only where every installed app uses 202309
        has_fbt = shop.region in ("US", "GB")
        conn.execute("INSERT INTO tt_order_shop VALUES (?,?,?)", (shop.shop_id, int(on_hold), int(has_fbt)))
        rows = []
        for request in conn.execute(
            "SELECT order_id, line_items, create_time, kind FROM request "
            "WHERE shop_id=? ORDER BY id LIMIT 30",
            (shop.shop_id,),
        ).fetchall():
            status = "CANCELLED" if request["kind"] == "cancel" and rng.randrange(2) else "DELIVERED"
            created = request["create_time"] - rng.randrange(2 * 86400, 9 * 86400)
            lines = json.loads(request["line_items"])
            rows.append(_row(rng, shop, request["order_id"], lines, status, False, created, anchor))
        statuses = [*FLOW, "CANCELLED"] + (["ON_HOLD"] if on_hold else [])
        for n in range(per_shop):
            order_id = str(ORDER_BASE + index * 10**12 + n * 1000 + rng.randrange(1000))
            fbt = has_fbt and n % 5 == 0
            status = statuses[n % len(statuses)]
            if status in ("UNPAID", "ON_HOLD") and n >= 40:
                status = "AWAITING_SHIPMENT"  # only the newest orders are unpaid or on hold (≤ 1 h old)
            if fbt and status == "ON_HOLD":
                status = "AWAITING_SHIPMENT"
            picks = [shop.skus[rng.randrange(len(shop.skus))] for _ in range(1 + (n % 4 == 0))]
            lines = [[int(order_id) + k + 1, sku, price] for k, (sku, price) in enumerate(picks)]
            created = anchor - rng.randrange(3600, 30 * 86400)
            if status in ("UNPAID", "ON_HOLD"):
                created = anchor - rng.randrange(300, 3000)
            rows.append(_row(rng, shop, order_id, lines, status, fbt, created, anchor))
        conn.executemany(insert, rows)
        if has_fbt:
            for sku, _price in shop.skus:
                sku_row = conn.execute("SELECT sku_id FROM sku WHERE seller_sku=?", (sku,)).fetchone()
                if sku_row is None:
                    continue
                available = rng.randrange(0, 40)
                reserved = rng.randrange(0, 4)
                conn.execute(
                    "INSERT OR IGNORE INTO fbt_stock VALUES (?,?,?,?,?,?,?)",
                    (
                        shop.shop_id,
                        sku_row[0],
                        sku,
                        f"FBT{shop.region}01",
                        available + reserved,
                        available,
                        reserved,
                    ),
                )
