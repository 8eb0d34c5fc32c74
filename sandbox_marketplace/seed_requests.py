"""Bulk generation of returns and cancellations spread over every status, type and deadline."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator

from . import domain as d
from .seed_catalog import CatalogShop

# (type, path of statuses, arbitration_status, waits_on_seller, weight). The last status is the current one.
_P, _AS, _SH = d.R_PENDING, d.R_AWAIT_SHIP, d.R_SHIPPED
SCENARIOS: tuple[tuple[str, tuple[str, ...], str, bool, int], ...] = (
    ("REFUND", (_P,), "", True, 10),
    ("REFUND", (_P, d.R_SUCCESS), "", False, 4),
    ("REFUND", (_P, d.R_SUCCESS, d.R_COMPLETE), "", False, 6),
    ("REFUND", (_P, d.R_CANCEL), "", False, 2),
    ("REFUND", (_P, d.R_REJECT), "", False, 2),
    ("REFUND", (_P, d.R_REJECT), "IN_PROGRESS", False, 2),
    ("REFUND", (_P, d.R_REJECT, d.R_SUCCESS), "SUPPORT_BUYER", False, 1),
    ("REFUND", (_P, d.R_REJECT, d.R_CANCEL), "SUPPORT_SELLER", False, 1),
    ("REFUND", (_P, d.R_REJECT, d.R_CANCEL), "CLOSED", False, 1),
    ("REFUND", (_P, d.R_AWAIT_BUYER), "", False, 1),
    ("RETURN_AND_REFUND", (_P,), "", True, 12),
    ("RETURN_AND_REFUND", (_P, d.R_CANCEL), "", False, 2),
    ("RETURN_AND_REFUND", (_P, d.R_REJECT), "", False, 2),
    ("RETURN_AND_REFUND", (_P, d.R_REJECT), "IN_PROGRESS", False, 2),
    ("RETURN_AND_REFUND", (_P, d.R_REJECT, d.R_CANCEL), "SUPPORT_SELLER", False, 1),
    ("RETURN_AND_REFUND", (_P, d.R_REJECT, _AS), "SUPPORT_BUYER", False, 1),
    ("RETURN_AND_REFUND", (_P, _AS), "", False, 6),
    ("RETURN_AND_REFUND", (_P, _AS, _SH), "", False, 4),  # parcel in transit
    ("RETURN_AND_REFUND", (_P, _AS, _SH), "", True, 6),  # parcel delivered, seller to inspect
    ("RETURN_AND_REFUND", (_P, _AS, _SH, d.R_REJECT_RECEIVE), "IN_PROGRESS", False, 2),
    ("RETURN_AND_REFUND", (_P, _AS, _SH, d.R_REJECT_RECEIVE, d.R_SUCCESS), "SUPPORT_BUYER", False, 1),
    ("RETURN_AND_REFUND", (_P, _AS, _SH, d.R_REJECT_RECEIVE, d.R_CANCEL), "SUPPORT_SELLER", False, 1),
    ("RETURN_AND_REFUND", (_P, _AS, _SH, d.R_SUCCESS), "", False, 4),
    ("RETURN_AND_REFUND", (_P, _AS, _SH, d.R_SUCCESS, d.R_COMPLETE), "", False, 8),
    ("RETURN_AND_REFUND", (_P, d.R_AWAIT_BUYER), "", False, 1),
    ("RETURN_AND_REFUND", (_P, d.R_AWAIT_BUYER, d.R_SUCCESS), "", False, 1),
    ("REPLACEMENT", (d.X_PENDING,), "", True, 4),
    ("REPLACEMENT", (d.X_PENDING, d.X_REJECT), "", False, 1),
    ("REPLACEMENT", (d.X_PENDING, d.X_REJECT, d.X_CANCEL), "", False, 1),
    ("REPLACEMENT", (d.X_PENDING, d.X_CANCEL), "", False, 1),
    ("REPLACEMENT", (d.X_PENDING, _AS), "", False, 1),
    ("REPLACEMENT", (d.X_PENDING, _AS, _SH), "", True, 1),
    ("REPLACEMENT", (d.X_PENDING, _AS, _SH, d.X_COMPLETE), "", False, 2),
    ("REPLACEMENT", (d.X_PENDING, d.X_REFUND_SUCCESS), "", False, 1),
    ("REPLACEMENT", (d.X_PENDING, d.X_REFUND_SUCCESS, d.X_COMPLETE), "", False, 1),
    ("BUYER_CANCEL", (d.C_PENDING,), "", True, 10),
    ("BUYER_CANCEL", (d.C_PENDING, d.C_SUCCESS), "", False, 3),
    ("BUYER_CANCEL", (d.C_PENDING, d.C_SUCCESS, d.C_COMPLETE), "", False, 6),
    ("BUYER_CANCEL", (d.C_PENDING, d.C_CANCELLED), "", False, 3),
    ("CANCEL", (d.C_SUCCESS,), "", False, 2),
    ("CANCEL", (d.C_SUCCESS, d.C_COMPLETE), "", False, 4),
)
_RETURN_SCENARIOS = [s for s in SCENARIOS if s[0] in d.RETURN_TYPES]
_CANCEL_SCENARIOS = [s for s in SCENARIOS if s[0] in d.CANCEL_TYPES]

ID_BASE = 4_035_000_000_000_000_000
ORDER_BASE = 5_764_000_000_000_000_000
COLUMNS = 28


def format_minor(amount: int, currency: str) -> str:
    """Minor units → TikTok money string ("12.30"; IDR has no decimals)."""
    if currency == "IDR":
        return str(amount)
    return f"{amount // 100}.{amount % 100:02d}"


def generate_requests(
    rng: random.Random, shops: list[CatalogShop], count: int, anchor: int, start_index: int = 0
) -> Iterator[tuple]:
    """Yield ``count`` request rows (column order of the ``request`` table)."""
    ret_weights = [s[4] for s in _RETURN_SCENARIOS]
    can_weights = [s[4] for s in _CANCEL_SCENARIOS]
    rand, randrange, choice = rng.random, rng.randrange, rng.choice
    ret_picks = rng.choices(_RETURN_SCENARIOS, ret_weights, k=count)
    can_picks = rng.choices(_CANCEL_SCENARIOS, can_weights, k=count)
    for i in range(start_index, start_index + count):
        shop = shops[randrange(len(shops))]
        is_return = rand() < 0.7
        rtype, path, arbitration, waits, _ = (
            ret_picks[i - start_index] if is_return else can_picks[i - start_index]
        )
        yield build_row(rng, shop, i, rtype, path, arbitration, waits, anchor, is_return, choice, randrange)


def build_row(rng, shop, i, rtype, path, arbitration, waits, anchor, is_return, choice, randrange) -> tuple:  # noqa: PLR0913
    status = path[-1]
    currency = shop.currency
    request_id = ID_BASE + i * 1000 + randrange(1000)
    order_id = str(ORDER_BASE + i * 1000 + randrange(1000))
    if waits:
        # deadlines: a quarter overdue, a quarter due within 24 h, the rest within 48 h
        roll = randrange(4)
        offset = (
            -randrange(60, 86400)
            if roll == 0
            else randrange(600, 86400)
            if roll == 1
            else randrange(86400, 172800)
        )
        deadline = anchor + offset
        update_time = deadline - d.RESPONSE_WINDOW
        next_action = d.pending_action(d.RETURN if is_return else d.CANCEL, rtype, status)
        create_time = update_time - (len(path) - 1) * randrange(3600, 3 * 86400)
    else:
        deadline, next_action = 0, ""
        create_time = anchor - randrange(3600, 60 * 86400)
        update_time = (
            create_time if len(path) == 1 else create_time + randrange(600, anchor - create_time + 1)
        )
    lines = [shop.skus[randrange(len(shop.skus))] for _ in range(1 if randrange(3) else 2)]
    subtotal = sum(price for _, price in lines)
    shipping = 0 if randrange(2) else (499 if currency != "IDR" else 15000)
    tax = subtotal * 8 // 100 if shop.region == "US" else 0
    partial = ""
    total = subtotal + shipping + tax
    if d.R_AWAIT_BUYER in path:
        partial_amount = total // 2
        partial = json.dumps({"currency": currency, "amount": format_minor(partial_amount, currency)})
        if status == d.R_SUCCESS:
            total, subtotal, shipping, tax = partial_amount, partial_amount, 0, 0
    items = json.dumps([[int(order_id) + n + 1, sku, price] for n, (sku, price) in enumerate(lines)])
    if is_return:
        reasons = d.REFUND_REASONS if rtype == "REFUND" else d.RETURN_REASONS
        role = "BUYER" if randrange(20) else ("OPERATOR" if rtype == "REFUND" else "SYSTEM")
    else:
        reasons = d.CANCEL_REASONS if rtype == "BUYER_CANCEL" else d.SELLER_CANCEL_REASONS
        role = "BUYER" if rtype == "BUYER_CANCEL" else ("SELLER" if randrange(3) else "SYSTEM")
    reason, reason_text = choice(reasons)
    shipped = d.R_SHIPPED in path
    has_shipping = is_return and rtype != "REFUND"
    providers = d.PROVIDERS.get(shop.region, ("Standard Post",))
    return (
        request_id,
        d.RETURN if is_return else d.CANCEL,
        shop.shop_id,
        order_id,
        choice(shop.buyers),
        rtype,
        status,
        arbitration,
        role,
        reason,
        reason_text,
        create_time,
        update_time,
        ("PLATFORM" if randrange(3) else "BUYER_ARRANGE") if has_shipping else "",
        f"{shop.region}{randrange(10**11, 10**12)}" if shipped else "",
        choice(providers) if shipped else "",
        int(is_return and rtype == "REFUND"),
        currency,
        format_minor(total, currency),
        format_minor(subtotal, currency),
        format_minor(shipping, currency),
        format_minor(tax, currency),
        next_action,
        deadline,
        partial,
        items,
        "|".join(path),
        update_time,
    )


INSERT_REQUEST = f"INSERT INTO request VALUES ({','.join('?' * COLUMNS)})"  # noqa: S608


def seed_requests(
    conn: sqlite3.Connection, rng: random.Random, shops: list[CatalogShop], count: int, anchor: int
) -> None:
    """Insert ``count`` requests in batches (about 100k rows per second)."""
    batch = 50_000
    for start in range(0, count, batch):
        conn.executemany(
            INSERT_REQUEST, generate_requests(rng, shops, min(batch, count - start), anchor, start)
        )
