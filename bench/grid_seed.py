"""Seed a fresh database with many sellers' return requests, fast (bulk Core inserts, indexes built last).

The data is deterministic for a given ``--seed``: seller 1 is the big seller, seller 2 the small one,
and the rest share what is left. Tab counts are written from the generated data, exactly as the
upserts would keep them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select
from sqlalchemy.schema import CreateTable

from connector_app.accounts.models import Seller
from connector_app.connect.models import TikTokAuthorization, TikTokShop
from connector_app.extensions import db
from connector_app.returns.models import ReturnLineItem, ReturnReason, ReturnRequest, ReturnTabCount
from connector_app.returns.search import search_text
from connector_app.returns.tabs import OTHER, TABS, tab_for_status

PASSWORD = "benchmark password"
BATCH = 20_000
DAY = 86_400
NOW = 1_767_225_600  # 2026-01-01 00:00 UTC: fixed, so runs are comparable
# (status, weight, request type) — roughly what an established shop's history looks like.
STATUSES = (
    ("RETURN_OR_REFUND_REQUEST_PENDING", 6, "RETURN_AND_REFUND"),
    ("REPLACEMENT_REQUEST_PENDING", 1, "REPLACEMENT"),
    ("REFUND_OR_RETURN_REQUEST_REJECT", 4, "REFUND"),
    ("AWAITING_BUYER_SHIP", 6, "RETURN_AND_REFUND"),
    ("BUYER_SHIPPED_ITEM", 5, "RETURN_AND_REFUND"),
    ("REJECT_RECEIVE_PACKAGE", 2, "RETURN_AND_REFUND"),
    ("RETURN_OR_REFUND_REQUEST_SUCCESS", 12, "REFUND"),
    ("RETURN_OR_REFUND_REQUEST_CANCEL", 10, "RETURN_AND_REFUND"),
    ("RETURN_OR_REFUND_REQUEST_COMPLETE", 53, "REFUND"),
    ("SOME_FUTURE_STATUS", 1, "REFUND"),
)
PENDING_ACTION = {
    "RETURN_OR_REFUND_REQUEST_PENDING": "SELLER_RESPOND_RETURN",
    "REPLACEMENT_REQUEST_PENDING": "SELLER_RESPOND_REPLACEMENT",
    "BUYER_SHIPPED_ITEM": "SELLER_RESPOND_RECEIVE_PACKAGE",
}
PRODUCTS = ("Ceramic mug", "Linen apron", "Silver ring", "Wool scarf", "Leather wallet", "Candle set")
REASONS = (
    ("ecom_order_delivered_refund_and_return_reason_wrong_item", "Wrong item"),
    ("ecom_order_delivered_refund_and_return_reason_damaged", "Damaged"),
    ("ecom_order_delivered_refund_and_return_reason_not_as_described", "Not as described"),
)


@dataclass
class Seeded:
    big_seller: str  # email
    small_seller: str
    big_count: int
    small_count: int


def _sizes(sellers: int, total: int, big: int, small: int) -> list[int]:
    rest = total - big - small
    others = sellers - 2
    if others < 0 or rest < 0:
        raise ValueError("need at least 2 sellers and total >= big + small")
    sizes = [big, small]
    if others:
        base, extra = divmod(rest, others)
        sizes += [base + (1 if i < extra else 0) for i in range(others)]
    return sizes


def _create_schema(engine: Engine) -> None:
    """Tables first; indexes after the bulk load (building them once is far faster than updating them)."""
    with engine.begin() as conn:
        for table in db.metadata.sorted_tables:
            conn.execute(CreateTable(table))


def _create_indexes(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in db.metadata.sorted_tables:
            for index in table.indexes:
                index.create(conn)
        conn.exec_driver_sql("ANALYZE")  # planner statistics, as a live database would have


def seed(engine: Engine, *, sellers: int, total: int, big: int, small: int, seed: int = 1) -> Seeded:
    rng = random.Random(seed)
    sizes = _sizes(sellers, total, big, small)
    _create_schema(engine)
    password_hash = PasswordHasher().hash(PASSWORD)
    with engine.begin() as conn:
        conn.execute(
            Seller.__table__.insert(),
            [
                {
                    "id": n,
                    "email": f"seller{n}@bench.example.com",
                    "email_key": f"seller{n}@bench.example.com",
                    "password_hash": password_hash,
                    "session_token": f"bench-session-{n}",
                    "timezone": "America/New_York",
                    "date_format": "%Y-%m-%d %H:%M",
                }
                for n in range(1, sellers + 1)
            ],
        )
        conn.execute(  # connected shops: an authorization each (no tokens: nothing calls TikTok here)
            TikTokAuthorization.__table__.insert(),
            [
                {
                    "id": n,
                    "seller_id": n,
                    "open_id": f"bench-open-{n}",
                    "region_group": "US",
                    "status": "connected",
                }
                for n in range(1, sellers + 1)
            ],
        )
        conn.execute(
            TikTokShop.__table__.insert(),
            [
                {
                    "id": n,
                    "seller_id": n,
                    "authorization_id": n,
                    "shop_id": f"7494{n:012d}",
                    "name": f"Shop {n}",
                    "region": "US",
                    "cipher": f"US_bench_{n}",
                    "status": "connected",
                    "sync_interval_minutes": 0,
                }
                for n in range(1, sellers + 1)
            ],
        )
    totals = Totals()
    requests: list[dict] = []
    lines: list[dict] = []
    for seller_id, size in enumerate(sizes, start=1):
        for request, line in generate(rng, seller_id, seller_id, size, first_pk=len(totals.ids) + 1):
            totals.add(request)
            requests.append(request)
            lines.append(line)
            if len(requests) >= BATCH:
                _flush(engine, requests, lines)
    _flush(engine, requests, lines)
    tab_keys = [tab.key for tab in TABS if tab.key != "all"] + [OTHER]
    with engine.begin() as conn:
        conn.execute(
            ReturnTabCount.__table__.insert(),
            [totals.row(s, s, tab) for s in range(1, sellers + 1) for tab in tab_keys],
        )
        conn.execute(
            ReturnReason.__table__.insert(),
            [
                {"seller_id": s, "reason": reason, "reason_text": text}
                for s in range(1, sellers + 1)
                for reason, text in REASONS
            ],
        )
    _create_indexes(engine)
    return Seeded("seller1@bench.example.com", "seller2@bench.example.com", sizes[0], sizes[1])


class Totals:
    """The counters the upserts would keep, per (shop, tab), for the generated requests (USD only)."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.values: dict[tuple[int, str], list[int]] = {}

    def add(self, request: dict) -> None:
        self.ids.append(request["id"])
        cents = int(request["refund_total"] * 100)
        waiting = 1 if request["needs_action"] else 0
        value = self.values.setdefault((request["tiktok_shop_id"], request["tab"]), [0, 0, 0, 0])
        value[0] += 1
        value[1] += cents
        value[2] += waiting
        value[3] += cents * waiting

    def row(self, seller_id: int, shop_id: int, tab: str) -> dict:
        count, cents, waiting, waiting_cents = self.values.get((shop_id, tab), [0, 0, 0, 0])
        return {
            "seller_id": seller_id,
            "tiktok_shop_id": shop_id,
            "tab": tab,
            "currency": "USD",
            "count": count,
            "refund_cents": cents,
            "needs_count": waiting,
            "needs_refund_cents": waiting_cents,
        }


def generate(rng: random.Random, seller_id: int, shop_id: int, size: int, *, first_pk: int):
    """``size`` (request, line item) rows of one shop, primary keys from ``first_pk`` on."""
    statuses = [s for s, _, _ in STATUSES]
    weights = [w for _, w, _ in STATUSES]
    types = {s: t for s, _, t in STATUSES}
    synced = datetime(2026, 1, 1, tzinfo=UTC)
    for pk, status in enumerate(rng.choices(statuses, weights, k=size), start=first_pk):
        created = NOW - rng.randrange(365 * DAY)
        updated = created + rng.randrange(10 * DAY)
        action = PENDING_ACTION.get(status)
        reason, reason_text = REASONS[pk % len(REASONS)]
        amount = Decimal(rng.randrange(500, 25_000)) / 100
        product = PRODUCTS[pk % len(PRODUCTS)]
        sku = f"SKU-{seller_id}-{pk % 400}"
        request_id, order_id = f"57{pk:016d}", f"58{pk:016d}"
        request = {
            "id": pk,
            "seller_id": seller_id,
            "tiktok_shop_id": shop_id,
            "request_id": request_id,
            "kind": "return",
            "request_type": types[status],
            "order_id": order_id,
            "status": status,
            "tab": tab_for_status(status),
            "role": "BUYER",
            "reason": reason,
            "reason_text": reason_text,
            "currency": "USD",
            "refund_total": amount,
            "refund_subtotal": amount,
            "refund_shipping": Decimal("0.00"),
            "refund_tax": Decimal("0.00"),
            "shipment_type": "PLATFORM",
            "next_action": action,
            "respond_by": updated + 2 * DAY if action else None,
            "needs_action": bool(action),
            "create_time": created,
            "update_time": updated,
            "search_text": search_text([request_id, order_id, sku, product, "Default"]),
            "first_synced_at": synced,
            "synced_at": synced,
        }
        line = {
            "id": pk,
            "seller_id": seller_id,
            "request_pk": pk,
            "line_item_id": f"{request_id}-1",
            "seller_sku": sku,
            "sku_name": "Default",
            "product_name": product,
            "image_url": f"https://img.bench.example.com/{pk % 400}.jpg",
            "quantity": 1,
            "refund_total": amount,
            "currency": "USD",
        }
        yield request, line


def add_requests(engine: Engine, *, seller_id: int, shop_id: int, count: int, seed: int = 1) -> None:
    """Add ``count`` requests to a shop of a running app's database (migrated, in use): rows, line
    items, the shop's counters (added to what it has) and the reason options, then fresh statistics."""
    rng = random.Random(seed)
    table = ReturnRequest.__table__
    with engine.connect() as conn:
        first = (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
        line_first = (conn.execute(select(func.max(ReturnLineItem.__table__.c.id))).scalar() or 0) + 1
    totals = Totals()
    requests: list[dict] = []
    lines: list[dict] = []
    for request, line in generate(rng, seller_id, shop_id, count, first_pk=first):
        totals.add(request)
        line["id"] = line_first + (request["id"] - first)
        request["request_id"] = f"59{request['id']:016d}"  # never one of the marketplace's ids
        requests.append(request)
        lines.append(line)
        if len(requests) >= BATCH:
            _flush(engine, requests, lines)
    _flush(engine, requests, lines)
    counters = ReturnTabCount.__table__
    with engine.begin() as conn:
        for tab in {tab for _, tab in totals.values}:
            row = totals.row(seller_id, shop_id, tab)
            key = (counters.c.tiktok_shop_id == shop_id, counters.c.tab == tab, counters.c.currency == "USD")
            if conn.execute(select(counters.c.count).where(*key)).first() is None:
                conn.execute(counters.insert(), [row])
            else:
                conn.execute(
                    counters.update()
                    .where(*key)
                    .values(
                        count=counters.c.count + row["count"],
                        refund_cents=counters.c.refund_cents + row["refund_cents"],
                        needs_count=counters.c.needs_count + row["needs_count"],
                        needs_refund_cents=counters.c.needs_refund_cents + row["needs_refund_cents"],
                    )
                )
        reasons = ReturnReason.__table__
        known = set(conn.execute(select(reasons.c.reason).where(reasons.c.seller_id == seller_id)).scalars())
        new = [{"seller_id": seller_id, "reason": r, "reason_text": t} for r, t in REASONS if r not in known]
        if new:
            conn.execute(reasons.insert(), new)
        conn.exec_driver_sql("ANALYZE")


def _flush(engine: Engine, requests: list[dict], lines: list[dict]) -> None:
    if not requests:
        return
    with engine.begin() as conn:
        conn.execute(ReturnRequest.__table__.insert(), requests)
        conn.execute(ReturnLineItem.__table__.insert(), lines)
    requests.clear()
    lines.clear()
