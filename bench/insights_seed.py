"""Seed a fresh database with a year of returns for many sellers, with their line items and seller turns.

Deterministic for a given ``seed``. Seller 1 is the big seller, seller 2 the small one, the rest share
what is left. Every seller has two shops (a US one in USD and a GB one in GBP), a catalogue of
``SKUS`` products (a few sell far more than the rest), TikTok's reason keys (plus one the mapping does
not know) and, for every request that waited on the seller, a seller turn: answered through the app
or on TikTok, decided by TikTok after the deadline, withdrawn, or still waiting. Requests are opened
over the 52 weeks before ``now``. Tables are created first and indexes after the bulk load, as
``bench.grid_seed`` does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from argon2 import PasswordHasher
from sqlalchemy import Engine

from bench.grid_seed import _create_indexes, _create_schema, _sizes
from connector_app.accounts.models import Seller
from connector_app.connect.models import TikTokShop
from connector_app.insights import reasons as r
from connector_app.returns.models import (
    ANSWERED_HERE,
    CHANGED_ELSEWHERE,
    DECIDED_BY_TIKTOK,
    ReturnLineItem,
    ReturnRequest,
    SellerTurn,
)
from connector_app.returns.tabs import tab_for_status

PASSWORD = "benchmark password"
BATCH = 20_000
DAY = 86_400
HOUR = 3_600
SKUS = 250
UNKNOWN_REASON = ("ecom_order_delivered_refund_and_return_reason_new_kind", "A reason TikTok added later")
REASON_WEIGHTS = {
    "ecom_order_delivered_refund_and_return_reason_damaged": 14,
    "ecom_order_delivered_refund_and_return_reason_wrong_item": 8,
    "ecom_order_delivered_refund_and_return_reason_not_as_described": 12,
    "ecom_order_delivered_refund_and_return_reason_missing_parts": 4,
    "ecom_order_delivered_refund_and_return_reason_quality": 9,
    "ecom_order_delivered_refund_and_return_reason_no_longer_needed": 16,
    "ecom_order_shipped_refund_reason_package_lost": 3,
    "ecom_order_delivered_refund_reason_not_received": 4,
    "ecom_order_to_ship_cancel_reason_no_longer_needed": 10,
    "ecom_order_to_ship_cancel_reason_better_price": 5,
    "ecom_order_to_ship_cancel_reason_shipping_too_slow": 4,
    "seller_cancel_reason_out_of_stock": 3,
    UNKNOWN_REASON[0]: 2,
}
# (status, weight, kind, request type)
STATUSES = (
    ("RETURN_OR_REFUND_REQUEST_PENDING", 3, "return", "RETURN_AND_REFUND"),
    ("REFUND_OR_RETURN_REQUEST_REJECT", 4, "return", "REFUND"),
    ("AWAITING_BUYER_SHIP", 6, "return", "RETURN_AND_REFUND"),
    ("BUYER_SHIPPED_ITEM", 4, "return", "RETURN_AND_REFUND"),
    ("RETURN_OR_REFUND_REQUEST_SUCCESS", 12, "return", "REFUND"),
    ("RETURN_OR_REFUND_REQUEST_CANCEL", 8, "return", "RETURN_AND_REFUND"),
    ("RETURN_OR_REFUND_REQUEST_COMPLETE", 45, "return", "RETURN_AND_REFUND"),
    ("REPLACEMENT_REQUEST_COMPLETE", 3, "return", "REPLACEMENT"),
    ("CANCELLATION_REQUEST_SUCCESS", 12, "cancellation", "CANCEL"),
    ("CANCELLATION_REQUEST_CANCEL", 3, "cancellation", "CANCEL"),
)
PRODUCTS = ("Ceramic mug", "Linen apron", "Silver ring", "Wool scarf", "Leather wallet", "Candle set", "Tote")


@dataclass
class Seeded:
    big_seller: str
    small_seller: str
    big_id: int
    small_id: int
    big_count: int
    small_count: int
    turns: int


def _turn(rng: random.Random, pk: int, seller_id: int, created: int, status: str, amount, currency, now: int):
    """A seller turn for a request that waited on the seller, ended as such requests end."""
    deadline = created + 48 * HOUR
    base = {
        "seller_id": seller_id,
        "request_pk": pk,
        "action": "SELLER_RESPOND_RETURN",
        "start_status": "RETURN_OR_REFUND_REQUEST_PENDING",
        "started_at": created,
        "first_deadline": deadline,
        "deadline": deadline,
        "opened_by": "sync",
        "recorded_at": datetime.fromtimestamp(created, UTC),
        "updated_at": datetime.fromtimestamp(created, UTC),
    }
    if deadline > now and rng.random() < 0.5:
        return base  # still waiting
    roll = rng.random()
    if roll < 0.66:  # answered through the app, mostly well within the deadline
        answered = created + int(rng.expovariate(1 / (9 * HOUR)))
        ended, outcome, end_status = answered + 60, ANSWERED_HERE, "AWAITING_BUYER_SHIP"
        extra = {"answer": "APPROVE_RETURN", "answered_at": datetime.fromtimestamp(answered, UTC)}
    elif roll < 0.82:  # answered in Seller Center before the deadline
        ended = created + rng.randrange(HOUR, 46 * HOUR)
        outcome, end_status, extra = CHANGED_ELSEWHERE, "REFUND_OR_RETURN_REQUEST_REJECT", {}
    elif roll < 0.93:  # TikTok decided after the deadline
        ended = deadline + rng.randrange(60, 6 * HOUR)
        outcome, end_status, extra = DECIDED_BY_TIKTOK, status, {}
    else:  # the buyer withdrew
        ended = created + rng.randrange(HOUR, 40 * HOUR)
        outcome, end_status, extra = CHANGED_ELSEWHERE, "RETURN_OR_REFUND_REQUEST_CANCEL", {}
    closed = datetime.fromtimestamp(ended, UTC)
    return {
        **base,
        **extra,
        "ended_at": ended,
        "outcome": outcome,
        "end_status": end_status,
        "currency": currency,
        "refund_total": amount,
        "closed_by": "sync",
        "closed_recorded_at": closed,
        "updated_at": closed,
    }


def seed(
    engine: Engine, *, sellers: int, total: int, big: int, small: int, now: int, seed: int = 1
) -> Seeded:
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
                    "email": f"seller{n}@insights.example.com",
                    "email_key": f"seller{n}@insights.example.com",
                    "password_hash": password_hash,
                    "session_token": f"bench-session-{n}",
                    "timezone": "UTC",
                    "date_format": "%Y-%m-%d %H:%M",
                }
                for n in range(1, sellers + 1)
            ],
        )
        shops = []
        for n in range(1, sellers + 1):
            for offset, region in enumerate(("US", "GB")):
                shops.append(
                    {
                        "id": 2 * n - 1 + offset,
                        "seller_id": n,
                        "shop_id": f"7494{2 * n + offset:012d}",
                        "name": f"Shop {n} {region}",
                        "region": region,
                        "cipher": f"{region}_bench_{n}",
                        "status": "connected",
                        "sync_interval_minutes": 0,
                    }
                )
        conn.execute(TikTokShop.__table__.insert(), shops)
    statuses = [s for s, *_ in STATUSES]
    weights = [w for _, w, *_ in STATUSES]
    kinds = {s: (kind, rtype) for s, _, kind, rtype in STATUSES}
    reason_keys, reason_weights = list(REASON_WEIGHTS), list(REASON_WEIGHTS.values())
    sku_weights = [1 / (rank + 1) ** 0.8 for rank in range(SKUS)]  # a few products sell far more
    requests: list[dict] = []
    lines: list[dict] = []
    turns: list[dict] = []
    pk = line_pk = turn_count = 0
    synced = datetime.fromtimestamp(now, UTC) - timedelta(hours=1)
    for seller_id, size in enumerate(sizes, start=1):
        picks = rng.choices(statuses, weights, k=size)
        reasons = rng.choices(reason_keys, reason_weights, k=size)
        for status, reason in zip(picks, reasons, strict=True):
            pk += 1
            kind, rtype = kinds[status]
            created = now - rng.randrange(364 * DAY)
            updated = min(now - 60, created + rng.randrange(12 * DAY))
            shop_pk = 2 * seller_id - 1 + (1 if rng.random() < 0.3 else 0)
            currency = "GBP" if shop_pk % 2 == 0 else "USD"
            amount = Decimal(rng.randrange(500, 25_000)) / 100
            known = r.BY_KEY.get(reason)
            reason_text = known.label if known else UNKNOWN_REASON[1]
            request_id, order_id = f"57{pk:016d}", f"58{pk:016d}"
            skus = rng.choices(range(SKUS), sku_weights, k=2 if rng.random() < 0.2 else 1)
            requests.append(
                {
                    "id": pk,
                    "seller_id": seller_id,
                    "tiktok_shop_id": shop_pk,
                    "request_id": request_id,
                    "kind": kind,
                    "request_type": rtype,
                    "order_id": order_id,
                    "status": status,
                    "tab": tab_for_status(status),
                    "role": "BUYER",
                    "reason": reason,
                    "reason_text": reason_text,
                    "currency": currency,
                    "refund_total": amount,
                    "refund_subtotal": amount,
                    "refund_shipping": Decimal("0.00"),
                    "refund_tax": Decimal("0.00"),
                    "shipment_type": "PLATFORM",
                    "needs_action": False,
                    "create_time": created,
                    "update_time": updated,
                    "search_text": f"{request_id} {order_id}",
                    "first_synced_at": synced,
                    "synced_at": synced,
                }
            )
            share = (amount / len(skus)).quantize(Decimal("0.01"))
            for sku in skus:
                line_pk += 1
                lines.append(
                    {
                        "id": line_pk,
                        "seller_id": seller_id,
                        "request_pk": pk,
                        "line_item_id": f"{request_id}-{line_pk}",
                        "seller_sku": f"SKU-{seller_id}-{sku:03d}",
                        "sku_name": "Default",
                        "product_name": f"{PRODUCTS[sku % len(PRODUCTS)]} no. {sku}",
                        "quantity": 1,
                        "refund_total": share,
                        "currency": currency,
                    }
                )
            if kind == "return":
                turns.append(_turn(rng, pk, seller_id, created, status, amount, currency, now))
                turn_count += 1
            if len(requests) >= BATCH:
                _flush(engine, requests, lines, turns)
    _flush(engine, requests, lines, turns)
    _create_indexes(engine)
    return Seeded(
        "seller1@insights.example.com", "seller2@insights.example.com", 1, 2, sizes[0], sizes[1], turn_count
    )


def _flush(engine: Engine, requests: list[dict], lines: list[dict], turns: list[dict]) -> None:
    if not requests:
        return
    with engine.begin() as conn:
        conn.execute(ReturnRequest.__table__.insert(), requests)
        conn.execute(ReturnLineItem.__table__.insert(), lines)
        if turns:
            # Rows of different shapes (open and ended turns) go in as separate executemany batches.
            for keys in {tuple(sorted(t)) for t in turns}:
                batch = [t for t in turns if tuple(sorted(t)) == keys]
                conn.execute(SellerTurn.__table__.insert(), batch)
    requests.clear()
    lines.clear()
    turns.clear()
