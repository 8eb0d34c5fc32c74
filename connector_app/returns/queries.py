"""Read side of the returns grid: the filtered, sorted, keyset-paged request list, the tab counts and
the refund totals.

Every query starts from ``tenancy.table_for_seller`` and reads plain rows (Core: a page of 50 requests
and their items costs no ORM objects). Pages use keyset pagination on (sort key, id), served by
the ``(seller_id[, tab], sort key, id)`` indexes of ``ReturnRequest``: page 500 costs what page 1 costs.
"Needs your answer" reads a partial index of the requests waiting on the seller, by deadline. A page
asked for by number ("last page", "go to page 31") finds its first row by position in the same index,
from whichever end is nearer. Counts and totals come from ``ReturnTabCount`` (a few rows per shop and
currency) unless a row filter is active; then one GROUP BY over the filtered requests answers them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    func,
    literal,
    literal_column,
    or_,
    true,
    tuple_,
)

from connector_app.extensions import db
from connector_app.returns.models import (
    AMOUNT_SORT_SQL,
    CURRENCY_SORT_SQL,
    DEADLINE_SORT_SQL,
    KIND_CANCELLATION,
    NO_DEADLINE,
    Money,
    ReturnLineItem,
    ReturnReason,
    ReturnRequest,
    ReturnStatusChange,
    ReturnTabCount,
)
from connector_app.returns.params import TYPES, Cursor, GridParams
from connector_app.returns.tabs import NEEDS, TABS
from connector_app.tenancy import table_for_seller

CENT = Decimal("0.01")
# Plain Core tables: the grid reads rows, not ORM objects (no identity map, no instance state).
_requests = ReturnRequest.__table__
_items = ReturnLineItem.__table__
_counts = ReturnTabCount.__table__
_reasons = ReturnReason.__table__
_changes = ReturnStatusChange.__table__
# What the grid, the CSV export and a request's items show: read as plain rows (no ORM identity map,
# no instance state), without the long columns nobody shows (search text, fingerprint).
GRID_COLUMNS = tuple(
    _requests.c[name]
    for name in (
        "id", "tiktok_shop_id", "request_id", "kind", "request_type", "order_id", "status", "tab",
        "arbitration_status", "reason", "reason_text", "currency", "refund_total", "next_action",
        "respond_by", "needs_action", "create_time", "update_time",
    )
)  # fmt: skip
ITEM_COLUMNS = tuple(
    _items.c[name]
    for name in (
        "id", "request_pk", "seller_sku", "sku_name", "product_name", "image_url", "quantity",
        "refund_total", "currency",
    )
)  # fmt: skip


def _column(sql: str, name: str) -> ColumnElement:
    """An index expression, qualified with the table (the planners match it against the index)."""
    return literal_column(sql.replace(name, f"return_requests.{name}"))


def sort_keys(sort: str) -> tuple[ColumnElement, ...]:
    """The SQL expressions a sort orders by (before the id); they repeat the indexes' expressions.
    Amounts are only comparable within a currency: the amount sort is (currency, amount)."""
    if sort == "requested":
        return (_requests.c.create_time,)
    if sort == "amount":
        return (_column(CURRENCY_SORT_SQL, "currency"), _column(AMOUNT_SORT_SQL, "refund_total"))
    if sort == "deadline":
        return (_column(DEADLINE_SORT_SQL, "respond_by"),)
    return (_requests.c.update_time,)


def _cursor_of(values: tuple, sort: str, ident: int) -> Cursor:
    """A cursor from the sort-key values of a row (as ``sort_keys`` selects them) and its id."""
    if sort == "amount":
        currency, amount = values
        return Cursor(Decimal(str(amount or 0)).quantize(CENT), ident, (currency or "").upper())
    return Cursor(int(values[0]), ident)


def row_sort_value(row, sort: str) -> Cursor:
    """The cursor of a loaded row (its sort key and id)."""
    if sort == "requested":
        return Cursor(row.create_time, row.id)
    if sort == "amount":
        amount = Decimal(str(row.refund_total or 0)).quantize(CENT)
        return Cursor(amount, row.id, (row.currency or "").upper())
    if sort == "deadline":
        return Cursor(row.respond_by if row.respond_by is not None else NO_DEADLINE, row.id)
    return Cursor(row.update_time, row.id)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered(seller_id: int, params: GridParams, *, with_tab: bool = True) -> Select:
    """``select(return_requests)`` for the seller with the grid's filters (and tab) applied."""
    query = table_for_seller(_requests, seller_id)
    if with_tab and params.tab == NEEDS.key:
        query = needs_only(query, params)
    elif with_tab and params.tab != "all":
        query = query.where(_requests.c.tab == params.tab)
    if params.shop_id is not None:
        query = query.where(_requests.c.tiktok_shop_id == params.shop_id)
    if params.type:
        _, kind, request_types = TYPES[params.type]
        if kind == KIND_CANCELLATION:
            query = query.where(_requests.c.kind == KIND_CANCELLATION)
        else:
            query = query.where(_requests.c.kind == kind, _requests.c.request_type.in_(request_types))
    if params.reason:
        query = query.where(_requests.c.reason == params.reason)
    start, end = params.created_range()
    if start is not None:
        query = query.where(_requests.c.create_time >= start)
    if end is not None:
        query = query.where(_requests.c.create_time < end)
    if params.needs_action and not (with_tab and params.tab == NEEDS.key):
        query = query.where(_requests.c.needs_action == true())
    if params.q:
        needle = params.q_folded
        query = query.where(
            or_(
                _requests.c.request_id == params.q,
                _requests.c.order_id == params.q,
                _requests.c.search_text.like(f"%{_escape_like(needle)}%", escape="\\"),
            )
        )
    return query


def needs_only(query: Select, params: GridParams) -> Select:
    """Requests waiting on the seller, of shops the seller has not disconnected.

    ``needs_action = true()`` (not a bound parameter) is written out as ``needs_action = 1`` on SQLite
    and ``needs_action = true`` on PostgreSQL: both planners then match the partial index
    ``ix_return_requests_seller_needs_deadline``.
    """
    query = query.where(_requests.c.needs_action == true())
    if params.hidden_shop_ids:
        query = query.where(_requests.c.tiktok_shop_id.not_in(sorted(params.hidden_shop_ids)))
    return query


def _ordered(query: Select, params: GridParams, backwards: bool) -> Select:
    keys = (*sort_keys(params.sort), _requests.c.id)
    if (params.direction == "desc") != backwards:
        return query.order_by(*(key.desc() for key in keys))
    return query.order_by(*(key.asc() for key in keys))


def ordered_page(query: Select, params: GridParams, cursor: Cursor | None, backwards: bool, limit: int):
    """Apply the keyset condition and order; ``backwards`` walks toward the start of the list."""
    forward_desc = (params.direction == "desc") != backwards
    if cursor is not None:
        position = tuple_(*sort_keys(params.sort), _requests.c.id)
        bound = tuple_(*_cursor_keys(cursor), literal(int(cursor.id), BigInteger()))
        query = query.where(position < bound if forward_desc else position > bound)
    return _ordered(query, params, backwards).limit(limit)


def _cursor_keys(cursor: Cursor) -> tuple[ColumnElement, ...]:
    """A cursor's keys as bound parameters (one cached statement for every page, not one per page)."""
    if isinstance(cursor.key, Decimal):
        amount = literal(cursor.key.quantize(CENT), Money)
        return (literal(cursor.group or "", String()), amount)
    return (literal(int(cursor.key), BigInteger()),)


@dataclass
class Page:
    rows: list  # plain rows of GRID_COLUMNS
    next_cursor: Cursor | None
    prev_cursor: Cursor | None
    number: int = 1  # the page shown (a page asked for beyond the last shows the last)
    pages: int = 1  # how many pages the view has
    beyond: int | None = None  # the page number asked for, when there is no such page


def page_count(total: int, size: int) -> int:
    return max(1, -(-total // size))


def cursor_at(seller_id: int, params: GridParams, position: int, total: int) -> Cursor | None:
    """The cursor of the row at ``position`` (1-based) of the current view, read by position in the
    sort's index from whichever end of the list is nearer (an index-only walk, no rows loaded)."""
    if position < 1 or position > total:
        return None
    from_end = total - position  # rows after it
    backwards = from_end < position - 1
    offset = from_end if backwards else position - 1
    keys = sort_keys(params.sort)
    query = _ordered(filtered(seller_id, params), params, backwards)
    query = query.with_only_columns(*keys, _requests.c.id).offset(offset).limit(1)
    found = db.session.execute(query).first()
    return _cursor_of(tuple(found[:-1]), params.sort, found[-1]) if found else None


def fetch_page(seller_id: int, params: GridParams, total: int) -> Page:
    """One page of the current view, filters and sort, plus the cursors of its neighbours.

    ``total`` is the number of requests in the view (from the counts): it numbers the pages, and a
    page asked for by number finds its first row by position.
    """
    pages = page_count(total, params.size)
    number = params.page
    beyond = None
    backwards = params.before is not None
    cursor = params.before if backwards else params.after
    if params.jump:
        if number > pages:
            beyond, number = number, pages
        cursor = cursor_at(seller_id, params, (number - 1) * params.size, total)
        if cursor is None:
            number = 1
    query = ordered_page(filtered(seller_id, params), params, cursor, backwards, params.size + 1)
    rows = list(db.session.execute(query.with_only_columns(*GRID_COLUMNS)))
    more = len(rows) > params.size
    rows = rows[: params.size]
    if backwards:
        rows.reverse()
    if not rows:
        return Page([], None, None, number=1, pages=pages, beyond=beyond if total else None)

    has_next = more if not backwards else True
    has_prev = (cursor is not None) if not backwards else more
    return Page(
        rows,
        row_sort_value(rows[-1], params.sort) if has_next else None,
        row_sort_value(rows[0], params.sort) if has_prev else None,
        number=min(number, pages),
        pages=pages,
        beyond=beyond,
    )


@dataclass
class Counts:
    """What the tab strip and the summary line show for the current shop and filters."""

    tabs: dict[str, int]  # per tab key, plus "all" and "needs"
    totals: dict[str, Decimal]  # refunds of the current view per currency ("" = no amount)
    waiting_by_shop: dict[int, int]  # requests waiting on the seller per shop, whatever the filters

    def __getitem__(self, key: str) -> int:
        return self.tabs[key]

    def get(self, key: str, default: int = 0) -> int:
        return self.tabs.get(key, default)

    @property
    def currency_totals(self) -> list[tuple[str, Decimal]]:
        return sorted((cur, amount) for cur, amount in self.totals.items() if cur)


def _counter_rows(seller_id: int) -> list[tuple[int, str, str, int, int, int, int]]:
    """Every counter row of the seller: a few per shop and currency, whatever the number of requests."""
    query = table_for_seller(_counts, seller_id).with_only_columns(
        _counts.c.tiktok_shop_id,
        _counts.c.tab,
        _counts.c.currency,
        _counts.c.count,
        _counts.c.refund_cents,
        _counts.c.needs_count,
        _counts.c.needs_refund_cents,
    )
    return [tuple(row) for row in db.session.execute(query)]


def _filtered_rows(seller_id: int, params: GridParams) -> list[tuple[int, str, str, int, int, int, int]]:
    """The same shape as the counter rows, counted over the requests that match the row filters."""
    currency = func.coalesce(_requests.c.currency, "")
    query = (
        filtered(seller_id, params, with_tab=False)
        .with_only_columns(
            _requests.c.tiktok_shop_id,
            _requests.c.tab,
            currency,
            _requests.c.needs_action,
            func.count(),
            func.sum(_requests.c.refund_total),
        )
        .group_by(_requests.c.tiktok_shop_id, _requests.c.tab, currency, _requests.c.needs_action)
    )
    rows = []
    for shop_id, tab, cur, waiting, count, amount in db.session.execute(query):
        cents = int((Decimal(str(amount or 0)) * 100).to_integral_value())
        rows.append(
            (shop_id, tab, cur, int(count), cents, int(count) if waiting else 0, cents if waiting else 0)
        )
    return rows


def grid_counts(seller_id: int, params: GridParams) -> Counts:
    """Count per tab (plus ``all`` and ``needs``), the current view's refund totals per currency, and the
    requests waiting on the seller in each shop (the notice about shops a filter hides).

    One read of the counters; with a row filter (search, type, reason, dates, "waiting on me") one more
    statement counts the matching requests instead.
    """
    counters = _counter_rows(seller_id)
    waiting_by_shop: dict[int, int] = defaultdict(int)
    for shop_id, _tab, _cur, _count, _cents, needs, _needs_cents in counters:
        if shop_id not in params.hidden_shop_ids:
            waiting_by_shop[shop_id] += needs
    rows = _filtered_rows(seller_id, params) if params.has_row_filters else counters
    tabs = {tab.key: 0 for tab in TABS} | {NEEDS.key: 0}
    cents: dict[str, int] = defaultdict(int)
    for shop_id, tab, cur, count, refund_cents, needs, needs_cents in rows:
        if params.shop_id is not None and shop_id != params.shop_id:
            continue
        shown_needs = needs if shop_id not in params.hidden_shop_ids else 0
        tabs["all"] += count
        if tab in tabs:
            tabs[tab] += count
        tabs[NEEDS.key] += shown_needs
        if params.tab == NEEDS.key:
            if shown_needs:
                cents[cur] += needs_cents
        elif params.tab in ("all", tab):
            cents[cur] += refund_cents
    totals = {cur: (Decimal(value) / 100).quantize(CENT) for cur, value in cents.items()}
    return Counts(tabs, totals, dict(waiting_by_shop))


def tab_counts(seller_id: int, params: GridParams) -> dict[str, int]:
    """Count per tab key (plus ``all`` and ``needs``) for the current shop and filters."""
    return grid_counts(seller_id, params).tabs


def line_items_for(seller_id: int, request_pks: Sequence[int]) -> dict[int, list]:
    """Line items of many requests in one query (plain rows), grouped by request."""
    grouped: dict[int, list] = defaultdict(list)
    if not request_pks:
        return grouped
    query = (
        table_for_seller(_items, seller_id)
        .with_only_columns(*ITEM_COLUMNS)
        .where(_items.c.request_pk.in_(list(request_pks)))
        .order_by(_items.c.request_pk, _items.c.id)
    )
    for item in db.session.execute(query):
        grouped[item.request_pk].append(item)
    return grouped


def iter_batches(
    seller_id: int, params: GridParams, batch_size: int = 1000
) -> Iterator[tuple[list, dict[int, list]]]:
    """Every request of the current tab and filters, in sort order, in keyset batches (flat memory)."""
    cursor: Cursor | None = None
    base = filtered(seller_id, params)
    while True:
        query = ordered_page(base, params, cursor, False, batch_size).with_only_columns(*GRID_COLUMNS)
        rows = list(db.session.execute(query))
        if not rows:
            return
        yield rows, line_items_for(seller_id, [row.id for row in rows])
        if len(rows) < batch_size:
            return
        cursor = row_sort_value(rows[-1], params.sort)  # plain rows: nothing stays in the session


def change_marker(seller_id: int) -> str:
    """A cheap value that changes whenever the seller's requests change (two indexed MAX lookups)."""
    last_change = db.session.scalar(
        table_for_seller(_changes, seller_id).with_only_columns(func.max(_changes.c.id))
    )
    last_sync = db.session.scalar(
        table_for_seller(_requests, seller_id).with_only_columns(func.max(_requests.c.synced_at))
    )
    stamp = last_sync.strftime("%Y%m%d%H%M%S%f") if last_sync is not None else "0"
    return f"{last_change or 0}-{stamp}"


def reason_choices(seller_id: int) -> list[tuple[str, str]]:
    """(reason key, buyer-facing text) pairs the seller's requests use, for the reason filter: written
    with the requests (``ReturnReason``), so they are there as soon as the first request is."""
    query = (
        table_for_seller(_reasons, seller_id)
        .with_only_columns(_reasons.c.reason, _reasons.c.reason_text)
        .order_by(_reasons.c.reason_text, _reasons.c.reason)
        .limit(200)
    )
    return [(key, text or key) for key, text in db.session.execute(query)]
