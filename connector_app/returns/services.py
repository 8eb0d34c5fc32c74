"""The only place that writes return requests.

``upsert_requests`` maps one page of marketplace data into rows: idempotent (the same page twice changes
nothing), never moves a request back in time (an older snapshot than the stored one is ignored),
records a status-history row on every status change, and keeps ``ReturnTabCount`` in step in the same
transaction. The caller commits (one commit per page or per request).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from connector_app.connect.models import TikTokShop
from connector_app.dbutil import insert_ignore
from connector_app.extensions import db
from connector_app.marketplaces.tiktok.types import AftersaleRequest
from connector_app.returns.models import ReturnLineItem, ReturnRequest, ReturnStatusChange, ReturnTabCount
from connector_app.returns.tabs import OTHER, TABS, tab_for_status
from connector_app.tenancy import for_seller
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
    search_parts = [item.request_id, item.order_id]
    for line in item.line_items:
        search_parts += [line.seller_sku or "", line.product_name or "", line.sku_name or ""]
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
        "search_text": " ".join(p for p in search_parts if p).lower()[:4000],
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


def _lines_equal(row: ReturnRequest, lines: list[dict]) -> bool:
    if len(row.line_items) != len(lines):
        return False
    stored = sorted(
        ({k: getattr(li, k) for k in line} for li, line in zip(row.line_items, lines, strict=True)),
        key=lambda d: d["line_item_id"],
    )
    return stored == sorted(lines, key=lambda d: d["line_item_id"])


def ensure_tab_counts(shop: TikTokShop) -> None:
    rows = [
        {"seller_id": shop.seller_id, "tiktok_shop_id": shop.id, "tab": tab.key, "count": 0}
        for tab in TABS
        if tab.key != "all"
    ] + [{"seller_id": shop.seller_id, "tiktok_shop_id": shop.id, "tab": OTHER, "count": 0}]
    insert_ignore(ReturnTabCount.__table__, rows, ["tiktok_shop_id", "tab"])


def _apply_count_deltas(shop: TikTokShop, deltas: Counter) -> None:
    deltas = Counter({tab: d for tab, d in deltas.items() if d})
    if not deltas:
        return
    ensure_tab_counts(shop)
    for tab, delta in sorted(deltas.items()):
        db.session.execute(
            update(ReturnTabCount)
            .where(ReturnTabCount.tiktok_shop_id == shop.id, ReturnTabCount.tab == tab)
            .values(count=ReturnTabCount.count + delta)
        )


def upsert_requests(
    shop: TikTokShop, items: Sequence[AftersaleRequest], source: str = "sync"
) -> UpsertResult:
    """Store one page of requests for ``shop``. Flushes; the caller commits."""
    result = UpsertResult()
    if not items:
        return result
    # The newest snapshot of each id wins if a page repeats one.
    latest: dict[tuple[str, str], AftersaleRequest] = {}
    for item in items:
        key = (item.kind, item.request_id)
        if key not in latest or item.update_time >= latest[key].update_time:
            latest[key] = item
    query = (
        for_seller(ReturnRequest, shop.seller_id)
        .where(
            ReturnRequest.tiktok_shop_id == shop.id,
            ReturnRequest.request_id.in_({rid for _, rid in latest}),
        )
        .options(selectinload(ReturnRequest.line_items))
        .order_by(ReturnRequest.id)
        .with_for_update()  # PostgreSQL: concurrent sync and webhook jobs serialize per request
    )
    existing = {(r.kind, r.request_id): r for r in db.session.scalars(query)}
    deltas: Counter = Counter()
    now = utcnow()
    created: list[ReturnRequest] = []  # inserted together by one flush (batched INSERTs), not one by one
    for key, item in latest.items():
        fields = _request_fields(item)
        lines = _line_fields(item)
        result.max_update_time = max(result.max_update_time or 0, fields["update_time"])
        row = existing.get(key)
        if row is None:
            row = ReturnRequest(
                seller_id=shop.seller_id,
                tiktok_shop_id=shop.id,
                kind=item.kind,
                request_id=item.request_id,
                **fields,
            )
            row.line_items = [ReturnLineItem(seller_id=shop.seller_id, **line) for line in lines]
            db.session.add(row)
            created.append(row)
            deltas[fields["tab"]] += 1
            result.created += 1
            continue
        if fields["update_time"] < row.update_time:
            result.unchanged += 1  # an older snapshot than we have: never go back in time
            continue
        changed = {k: v for k, v in fields.items() if getattr(row, k) != v}
        lines_changed = not _lines_equal(row, lines)
        if not changed and not lines_changed:
            result.unchanged += 1
            continue
        if "status" in changed:
            _record_change(row, row.status, fields["status"], source, fields["update_time"])
            result.status_changed.append(row.id)
        if "tab" in changed:
            deltas[row.tab] -= 1
            deltas[fields["tab"]] += 1
        for name, value in changed.items():
            setattr(row, name, value)
        if lines_changed:
            # Delete the old lines first: the unit of work would otherwise INSERT the new ones before
            # it DELETEs the old, and the same line_item_id would break uq_return_line_items_request_line.
            row.line_items.clear()
            db.session.flush()
            row.line_items = [ReturnLineItem(seller_id=shop.seller_id, **line) for line in lines]
        row.synced_at = now
        result.updated += 1
    if created:
        db.session.flush()
        for row in created:
            _record_change(row, None, row.status, source, row.update_time)
            result.status_changed.append(row.id)
    _apply_count_deltas(shop, deltas)
    db.session.flush()
    return result


def _record_change(row: ReturnRequest, old: str | None, new: str, source: str, at: int | None) -> None:
    db.session.add(
        ReturnStatusChange(
            seller_id=row.seller_id,
            request_pk=row.id,
            from_status=old,
            to_status=new,
            source=source,
            marketplace_time=at,
        )
    )


def recount_tabs(shop: TikTokShop) -> None:
    """Rebuild a shop's tab counts from its rows (repair tool; normal writes keep them in step)."""
    from sqlalchemy import func

    ensure_tab_counts(shop)
    counts = dict(
        db.session.execute(
            select(ReturnRequest.tab, func.count())
            .where(ReturnRequest.seller_id == shop.seller_id, ReturnRequest.tiktok_shop_id == shop.id)
            .group_by(ReturnRequest.tab)
        ).all()
    )
    for row in db.session.scalars(
        for_seller(ReturnTabCount, shop.seller_id).where(ReturnTabCount.tiktok_shop_id == shop.id)
    ):
        row.count = counts.get(row.tab, 0)
    db.session.flush()
