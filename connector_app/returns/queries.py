"""Read side of the returns grid: the filtered, sorted, keyset-paged request list and the tab counts.

Every query starts from ``tenancy.for_seller``. Pages use keyset pagination on (sort key, id), served by
the ``(seller_id[, tab], sort key, id)`` indexes of ``ReturnRequest``: page 500 costs what page 1 costs.
Tab counts come from ``ReturnTabCount`` (a few rows per shop) unless a row filter is active.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import BigInteger, ColumnElement, Select, func, literal, literal_column, or_, tuple_

from connector_app.extensions import db
from connector_app.returns.models import (
    AMOUNT_SORT_SQL,
    DEADLINE_SORT_SQL,
    KIND_CANCELLATION,
    NO_DEADLINE,
    Money,
    ReturnLineItem,
    ReturnRequest,
    ReturnStatusChange,
    ReturnTabCount,
)
from connector_app.returns.params import TYPES, Cursor, GridParams
from connector_app.returns.tabs import TABS
from connector_app.tenancy import for_seller


def sort_key(sort: str) -> ColumnElement:
    """The SQL expression a sort orders by; deadline and amount repeat their index expressions."""
    if sort == "requested":
        return ReturnRequest.create_time
    if sort == "amount":
        return literal_column(AMOUNT_SORT_SQL.replace("refund_total", "return_requests.refund_total"))
    if sort == "deadline":
        return literal_column(DEADLINE_SORT_SQL.replace("respond_by", "return_requests.respond_by"))
    return ReturnRequest.update_time


def row_sort_value(row: ReturnRequest, sort: str) -> int | Decimal:
    if sort == "requested":
        return row.create_time
    if sort == "amount":
        return Decimal(row.refund_total or 0).quantize(Decimal("0.01"))
    if sort == "deadline":
        return row.respond_by if row.respond_by is not None else NO_DEADLINE
    return row.update_time


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered(seller_id: int, params: GridParams, *, with_tab: bool = True) -> Select:
    """``select(ReturnRequest)`` for the seller with the grid's filters (and tab) applied."""
    query = for_seller(ReturnRequest, seller_id)
    if with_tab and params.tab != "all":
        query = query.where(ReturnRequest.tab == params.tab)
    if params.shop_id is not None:
        query = query.where(ReturnRequest.tiktok_shop_id == params.shop_id)
    if params.type:
        _, kind, request_types = TYPES[params.type]
        if kind == KIND_CANCELLATION:
            query = query.where(ReturnRequest.kind == KIND_CANCELLATION)
        else:
            query = query.where(ReturnRequest.kind == kind, ReturnRequest.request_type.in_(request_types))
    if params.reason:
        query = query.where(ReturnRequest.reason == params.reason)
    start, end = params.created_range()
    if start is not None:
        query = query.where(ReturnRequest.create_time >= start)
    if end is not None:
        query = query.where(ReturnRequest.create_time < end)
    if params.needs_action:
        query = query.where(ReturnRequest.needs_action.is_(True))
    if params.q:
        needle = params.q.lower()
        query = query.where(
            or_(
                ReturnRequest.request_id == params.q,
                ReturnRequest.order_id == params.q,
                ReturnRequest.search_text.like(f"%{_escape_like(needle)}%", escape="\\"),
            )
        )
    return query


def ordered_page(query: Select, params: GridParams, cursor: Cursor | None, backwards: bool, limit: int):
    """Apply the keyset condition and order; ``backwards`` walks toward the start of the list."""
    key = sort_key(params.sort)
    descending = params.direction == "desc"
    forward_desc = descending != backwards
    if cursor is not None:
        position = tuple_(key, ReturnRequest.id)
        bound = tuple_(_cursor_key(cursor.key), literal(int(cursor.id), BigInteger()))
        query = query.where(position < bound if forward_desc else position > bound)
    if forward_desc:
        query = query.order_by(key.desc(), ReturnRequest.id.desc())
    else:
        query = query.order_by(key.asc(), ReturnRequest.id.asc())
    return query.limit(limit)


def _cursor_key(value: int | Decimal) -> ColumnElement:
    """A cursor key as a bound parameter (one cached statement for every page, not one per page)."""
    if isinstance(value, Decimal):
        return literal(value.quantize(Decimal("0.01")), Money)
    return literal(int(value), BigInteger())


@dataclass
class Page:
    rows: list[ReturnRequest]
    next_cursor: Cursor | None
    prev_cursor: Cursor | None


def fetch_page(seller_id: int, params: GridParams) -> Page:
    """One page of the current tab, filters and sort, plus the cursors of its neighbours."""
    backwards = params.before is not None
    cursor = params.before if backwards else params.after
    query = ordered_page(filtered(seller_id, params), params, cursor, backwards, params.size + 1)
    rows = list(db.session.scalars(query))
    more = len(rows) > params.size
    rows = rows[: params.size]
    if backwards:
        rows.reverse()
    if not rows:
        return Page([], None, None)

    def edge(row: ReturnRequest) -> Cursor:
        return Cursor(row_sort_value(row, params.sort), row.id)

    has_next = more if not backwards else True
    has_prev = (cursor is not None) if not backwards else more
    return Page(rows, edge(rows[-1]) if has_next else None, edge(rows[0]) if has_prev else None)


def tab_counts(seller_id: int, params: GridParams) -> dict[str, int]:
    """Count per tab key (plus ``all``) for the current shop and filters."""
    if params.has_row_filters:
        query = (
            filtered(seller_id, params, with_tab=False)
            .with_only_columns(ReturnRequest.tab, func.count())
            .group_by(ReturnRequest.tab)
        )
    else:
        query = for_seller(ReturnTabCount, seller_id)
        if params.shop_id is not None:
            query = query.where(ReturnTabCount.tiktok_shop_id == params.shop_id)
        query = query.with_only_columns(ReturnTabCount.tab, func.sum(ReturnTabCount.count)).group_by(
            ReturnTabCount.tab
        )
    counts = {tab.key: 0 for tab in TABS}
    total = 0
    for tab, count in db.session.execute(query):
        count = int(count or 0)
        total += count
        if tab in counts:
            counts[tab] += count
    counts["all"] = total
    return counts


def line_items_for(seller_id: int, request_pks: Sequence[int]) -> dict[int, list[ReturnLineItem]]:
    """Line items of many requests in one query, grouped by request."""
    grouped: dict[int, list[ReturnLineItem]] = defaultdict(list)
    if not request_pks:
        return grouped
    query = (
        for_seller(ReturnLineItem, seller_id)
        .where(ReturnLineItem.request_pk.in_(list(request_pks)))
        .order_by(ReturnLineItem.request_pk, ReturnLineItem.id)
    )
    for item in db.session.scalars(query):
        grouped[item.request_pk].append(item)
    return grouped


def iter_batches(
    seller_id: int, params: GridParams, batch_size: int = 1000
) -> Iterator[tuple[list[ReturnRequest], dict[int, list[ReturnLineItem]]]]:
    """Every request of the current tab and filters, in sort order, in keyset batches (flat memory)."""
    cursor: Cursor | None = None
    base = filtered(seller_id, params)
    while True:
        rows = list(db.session.scalars(ordered_page(base, params, cursor, False, batch_size)))
        if not rows:
            return
        yield rows, line_items_for(seller_id, [row.id for row in rows])
        if len(rows) < batch_size:
            return
        cursor = Cursor(row_sort_value(rows[-1], params.sort), rows[-1].id)
        db.session.expunge_all()  # the batch is written out: let its objects go


def change_marker(seller_id: int) -> str:
    """A cheap value that changes whenever the seller's requests change (two indexed MAX lookups)."""
    last_change = db.session.scalar(
        for_seller(ReturnStatusChange, seller_id).with_only_columns(func.max(ReturnStatusChange.id))
    )
    last_sync = db.session.scalar(
        for_seller(ReturnRequest, seller_id).with_only_columns(func.max(ReturnRequest.synced_at))
    )
    stamp = last_sync.strftime("%Y%m%d%H%M%S%f") if last_sync is not None else "0"
    return f"{last_change or 0}-{stamp}"


def reason_choices(seller_id: int) -> list[tuple[str, str]]:
    """(reason key, buyer-facing text) pairs the seller's requests use, for the reason filter."""
    query = (
        for_seller(ReturnRequest, seller_id)
        .with_only_columns(ReturnRequest.reason, func.max(ReturnRequest.reason_text))
        .where(ReturnRequest.reason.is_not(None), ReturnRequest.reason != "")
        .group_by(ReturnRequest.reason)
        .order_by(ReturnRequest.reason)
        .limit(200)
    )
    return [(key, text or key) for key, text in db.session.execute(query)]
