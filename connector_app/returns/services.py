"""The only place that writes return requests.

``upsert_requests`` maps one page of marketplace data into rows: idempotent (the same page twice changes
nothing), never moves a request back in time (an older snapshot than the stored one is ignored),
records a status-history row on every status change, keeps ``ReturnTabCount`` in step and records the
seller's turns (``returns.turns``: when a request starts or stops waiting on the seller) in the same
transaction. The caller commits (one commit per page or per request).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from connector_app.connect.models import TikTokShop
from connector_app.dbutil import insert_ignore
from connector_app.extensions import db
from connector_app.marketplaces.tiktok.types import AftersaleRequest
from connector_app.observability.metrics import observe_rows_written
from connector_app.returns.models import (
    ReturnLineItem,
    ReturnReason,
    ReturnRequest,
    ReturnStatusChange,
    ReturnTabCount,
)
from connector_app.returns.search import search_text
from connector_app.returns.tabs import OTHER, TABS, tab_for_status
from connector_app.returns.turns import TurnPlan
from connector_app.timeutil import utcnow

SELLER_ACTION_PREFIX = "SELLER_RESPOND"


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changed: list[int] = field(default_factory=list)  # ReturnRequest ids whose status changed
    max_update_time: int | None = None

    def add(self, other: UpsertResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.status_changed += other.status_changed
        if other.max_update_time is not None:
            self.max_update_time = max(self.max_update_time or 0, other.max_update_time)


def _request_fields(item: AftersaleRequest) -> dict:
    actions = [a for a in item.next_actions if (a.action or "").startswith(SELLER_ACTION_PREFIX)]
    deadlines = [a.deadline for a in actions if a.deadline]
    first = min(actions, key=lambda a: a.deadline or 2**62) if actions else None
    refund = item.refund
    search_parts = [item.request_id, item.order_id, item.tracking_number]
    for line in item.line_items:
        search_parts += [line.seller_sku, line.product_name, line.sku_name]
    return {
        "request_type": item.request_type or "",
        "order_id": item.order_id or "",
        "status": item.status or "",
        "tab": tab_for_status(item.status),
        "arbitration_status": item.arbitration_status,
        "role": item.role,
        "reason": item.reason,
        "reason_text": item.reason_text,
        "currency": refund.currency if refund else None,
        "refund_total": _money(refund.total) if refund else None,
        "refund_subtotal": _money(refund.subtotal) if refund else None,
        "refund_shipping": _money(refund.shipping_fee) if refund else None,
        "refund_tax": _money(refund.tax) if refund else None,
        "shipment_type": item.shipment_type,
        "tracking_number": item.tracking_number,
        "carrier": item.provider_name,
        "can_buyer_keep_item": item.can_buyer_keep_item,
        "next_action": first.action if first else None,
        "respond_by": min(deadlines) if deadlines else None,
        "needs_action": bool(actions),
        "create_time": int(item.create_time or 0),
        "update_time": int(item.update_time or 0),
        "search_text": search_text(search_parts),
    }


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def _line_fields(item: AftersaleRequest) -> list[dict]:
    return [
        {
            "line_item_id": line.line_item_id,
            "order_line_item_id": line.order_line_item_id,
            "sku_id": line.sku_id,
            "seller_sku": line.seller_sku,
            "sku_name": line.sku_name,
            "product_name": line.product_name,
            "image_url": line.image_url,
            "refund_total": _money(line.refund_total),
            "currency": line.currency,
            "quantity": 1,
        }
        for line in item.line_items
    ]


def _fingerprint(fields: dict, lines: list[dict]) -> str:
    """A digest of everything stored for a request: equal digests mean nothing to write."""
    canonical = json.dumps(
        [fields, sorted(lines, key=lambda d: d["line_item_id"])], sort_keys=True, default=str
    )
    return hashlib.sha1(canonical.encode(), usedforsecurity=False).hexdigest()


def ensure_tab_counts(
    shop: TikTokShop | ShopKey, keys: Iterable[str | tuple[str, str]] | None = None
) -> None:
    """Create the shop's count rows that do not exist yet: every tab (no currency), or ``keys`` — tabs
    or (tab, currency) pairs."""
    if keys is None:
        keys = [tab.key for tab in TABS if tab.key != "all"] + [OTHER]
    pairs = {key if isinstance(key, tuple) else (key, "") for key in keys}
    rows = [
        {"seller_id": shop.seller_id, "tiktok_shop_id": shop.id, "tab": tab, "currency": currency}
        for tab, currency in sorted(pairs)
    ]
    insert_ignore(ReturnTabCount.__table__, rows, ["tiktok_shop_id", "tab", "currency"])


class Totals(NamedTuple):
    """What one request adds to its (tab, currency) counter row."""

    count: int
    cents: int
    needs: int
    needs_cents: int


def _cents(amount: Decimal | float | None) -> int:
    return int((Decimal(str(amount)) * 100).to_integral_value()) if amount is not None else 0


def _contribution(values: Mapping) -> tuple[tuple[str, str], Totals]:
    """The counter key of a request (stored row or new field values) and what it adds to that row."""
    cents = _cents(values["refund_total"])
    needs = 1 if values["needs_action"] else 0
    return (values["tab"], values["currency"] or ""), Totals(1, cents, needs, cents * needs)


def _move(deltas: dict, key: tuple[str, str], totals: Totals, sign: int) -> None:
    current = deltas.get(key, Totals(0, 0, 0, 0))
    deltas[key] = Totals(*(a + sign * b for a, b in zip(current, totals, strict=True)))


@lru_cache(maxsize=2)
def _count_upsert(dialect: str):
    """INSERT a counter row, or add to the one that exists (built once per dialect)."""
    table = ReturnTabCount.__table__
    statement = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.tiktok_shop_id, table.c.tab, table.c.currency],
        set_={
            name: table.c[name] + statement.excluded[name]
            for name in ("count", "refund_cents", "needs_count", "needs_refund_cents")
        },
    )


def _apply_count_deltas(shop: TikTokShop | ShopKey, deltas: dict[tuple[str, str], Totals]) -> None:
    """Move the shop's counters by ``deltas``: one upsert, however many rows moved (a counter row that
    does not exist yet starts at the delta)."""
    moved = {key: totals for key, totals in deltas.items() if any(totals)}
    if not moved:
        return
    db.session.execute(
        _count_upsert(db.session.get_bind().dialect.name),
        [
            {
                "seller_id": shop.seller_id,
                "tiktok_shop_id": shop.id,
                "tab": tab,
                "currency": currency,
                "count": t.count,
                "refund_cents": t.cents,
                "needs_count": t.needs,
                "needs_refund_cents": t.needs_cents,
            }
            for (tab, currency), t in sorted(moved.items())  # one order for every writer: no deadlock
        ],
    )


def _remember_reasons(seller_id: int, rows: list[dict]) -> None:
    """The reason filter's options: every reason a written request carries (one statement, if any)."""
    reasons = {row["reason"]: row.get("reason_text") for row in rows if row.get("reason")}
    if reasons:
        insert_ignore(
            ReturnReason.__table__,
            [
                {"seller_id": seller_id, "reason": reason[:255], "reason_text": text}
                for reason, text in sorted(reasons.items())
            ],
            ["seller_id", "reason"],
        )


class ShopKey(NamedTuple):
    """What the write path needs of a shop: its primary key and its seller."""

    id: int
    seller_id: int


def stored_rows_query(shop: TikTokShop | ShopKey, request_ids: Iterable[str]):
    """What the upsert compares a page with: the stored digest of each request id, rows locked.

    Served by ``ix_return_requests_seller_request`` (see ``dbutil.analyze_if_stale`` for PostgreSQL).
    """
    table = ReturnRequest.__table__
    return (
        select(table.c.id, table.c.kind, table.c.request_id, table.c.status, table.c.tab)
        .add_columns(table.c.update_time, table.c.fingerprint, table.c.currency, table.c.refund_total)
        .add_columns(table.c.needs_action, table.c.next_action, table.c.respond_by)  # the seller's turn
        .where(
            table.c.seller_id == shop.seller_id,
            table.c.tiktok_shop_id == shop.id,
            table.c.request_id.in_(list(request_ids)),
        )
        .order_by(table.c.id)
        .with_for_update()
    )


def upsert_requests(
    shop: TikTokShop | ShopKey, items: Sequence[AftersaleRequest], source: str = "sync"
) -> UpsertResult:
    """Store one page of requests for ``shop``; the caller commits.

    A page costs a handful of statements whatever its size: one SELECT of the stored digests (rows
    locked FOR UPDATE on PostgreSQL, so a concurrent sync and webhook serialize per request), one
    executemany INSERT for new requests (and a SELECT of their ids), one executemany UPDATE for
    changed ones, one INSERT each for their line items and status-history rows, two statements
    for the tab counts that moved, and up to three for the seller turns that opened, ended or had
    their deadline moved.
    ``shop`` is a TikTokShop or anything else with its ``id`` and ``seller_id`` (a job that already
    knows both need not reload the shop for every page).
    """
    result = UpsertResult()
    if not items:
        return result
    latest: dict[tuple[str, str], AftersaleRequest] = {}  # the newest snapshot of each id wins
    for item in items:
        key = (item.kind, item.request_id)
        if key not in latest or item.update_time >= latest[key].update_time:
            latest[key] = item
    table = ReturnRequest.__table__
    query = stored_rows_query(shop, {rid for _, rid in latest})
    existing = {(row.kind, row.request_id): row for row in db.session.execute(query)}
    now = utcnow()
    deltas: dict[tuple[str, str], Totals] = {}
    new_rows: list[dict] = []
    new_lines: dict[tuple[str, str], list[dict]] = {}
    changed_rows: list[dict] = []
    replaced_lines: dict[int, list[dict]] = {}
    history: list[dict] = []
    turns = TurnPlan(shop.seller_id, source, now)
    for key, item in latest.items():
        fields = _request_fields(item)
        lines = _line_fields(item)
        digest = _fingerprint(fields, lines)
        result.max_update_time = max(result.max_update_time or 0, fields["update_time"])
        row = existing.get(key)
        if row is None:
            new_rows.append(
                {
                    **fields,
                    "seller_id": shop.seller_id,
                    "tiktok_shop_id": shop.id,
                    "kind": item.kind,
                    "request_id": item.request_id,
                    "fingerprint": digest,
                    "first_synced_at": now,
                    "synced_at": now,
                }
            )
            new_lines[key] = lines
            _move(deltas, *_contribution(fields), 1)
            continue
        if fields["update_time"] < row.update_time or digest == row.fingerprint:
            result.unchanged += 1  # nothing new, or an older snapshot: never go back in time
            continue
        changed_rows.append({"id": row.id, **fields, "fingerprint": digest, "synced_at": now})
        turns.changed_request(row.id, row, fields)
        replaced_lines[row.id] = lines
        if fields["status"] != row.status:
            history.append(_change(shop.seller_id, row.id, row.status, fields, source, now))
            result.status_changed.append(row.id)
        _move(deltas, *_contribution(row._mapping), -1)
        _move(deltas, *_contribution(fields), 1)
    line_rows: list[dict] = []
    if new_rows:
        # One executemany INSERT (pipelined by psycopg, native on SQLite), then the new ids in one
        # SELECT. Measured: a multi-row INSERT ... RETURNING is slower on PostgreSQL than this pair.
        db.session.execute(insert(table), new_rows)
        inserted = db.session.execute(
            select(table.c.id, table.c.kind, table.c.request_id).where(
                table.c.seller_id == shop.seller_id,
                table.c.tiktok_shop_id == shop.id,
                table.c.request_id.in_({values["request_id"] for values in new_rows}),
            )
        )
        ids = {(kind, request_id): pk for pk, kind, request_id in inserted}
        for values in new_rows:
            key = (values["kind"], values["request_id"])
            pk = ids[key]
            line_rows += [{**line, "seller_id": shop.seller_id, "request_pk": pk} for line in new_lines[key]]
            history.append(_change(shop.seller_id, pk, None, values, source, now))
            result.status_changed.append(pk)
            turns.new_request(pk, values)
        result.created = len(new_rows)
    if changed_rows:
        db.session.execute(update(ReturnRequest), changed_rows)
        db.session.execute(delete(ReturnLineItem).where(ReturnLineItem.request_pk.in_(replaced_lines)))
        for pk, lines in replaced_lines.items():
            line_rows += [{**line, "seller_id": shop.seller_id, "request_pk": pk} for line in lines]
        result.updated = len(changed_rows)
    if line_rows:
        db.session.execute(insert(ReturnLineItem.__table__), line_rows)
    if history:
        db.session.execute(insert(ReturnStatusChange.__table__), history)
    turns.write()
    _apply_count_deltas(shop, deltas)
    _remember_reasons(shop.seller_id, new_rows + changed_rows)
    _expire_loaded(set(replaced_lines))
    observe_rows_written(source, result.created, result.updated)  # counted when the caller commits
    return result


def _change(seller_id: int, pk: int, old: str | None, fields: dict, source: str, now) -> dict:
    return {
        "seller_id": seller_id,
        "request_pk": pk,
        "from_status": old,
        "to_status": fields["status"],
        "source": source,
        "marketplace_time": fields["update_time"],
        "recorded_at": now,
    }


def _expire_loaded(pks: set[int]) -> None:
    """Rows were written with bulk statements: refresh any copies this session already holds."""
    if not pks:
        return
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, ReturnRequest) and obj.id in pks:
            db.session.expire(obj)


def counter_rows_from_requests(shop_key: TikTokShop | ShopKey) -> list[dict]:
    """A shop's counter rows computed from its requests (one GROUP BY): what the upserts keep in step."""
    table = ReturnRequest.__table__
    cents = func.coalesce(func.round(table.c.refund_total * 100), 0)
    needs = case((table.c.needs_action.is_(True), 1), else_=0)
    currency = func.coalesce(table.c.currency, "")
    query = (
        select(table.c.tab, currency, func.count(), func.sum(cents), func.sum(needs), func.sum(cents * needs))
        .where(table.c.seller_id == shop_key.seller_id, table.c.tiktok_shop_id == shop_key.id)
        .group_by(table.c.tab, currency)
    )
    return [
        {
            "seller_id": shop_key.seller_id,
            "tiktok_shop_id": shop_key.id,
            "tab": tab,
            "currency": cur,
            "count": int(count),
            "refund_cents": int(total or 0),
            "needs_count": int(waiting or 0),
            "needs_refund_cents": int(waiting_cents or 0),
        }
        for tab, cur, count, total, waiting, waiting_cents in db.session.execute(query)
    ]


def recount_tabs(shop: TikTokShop) -> None:
    """Rebuild a shop's counters from its rows (repair tool; normal writes keep them in step)."""
    rows = counter_rows_from_requests(shop)
    db.session.execute(delete(ReturnTabCount).where(ReturnTabCount.tiktok_shop_id == shop.id))
    if rows:
        db.session.execute(insert(ReturnTabCount.__table__), rows)
    ensure_tab_counts(shop)
    db.session.flush()
