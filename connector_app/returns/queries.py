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
from functools import lru_cache

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    bindparam,
    func,
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
from connector_app.tenancy import SELLER, seller_param, table_for_seller

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


# -- statements built once per shape ---------------------------------------------------------------
# A grid query is built for the *shape* of a view (which filters it has, its sort) with every value a
# bound parameter, and kept: building a statement and computing its cache key costs several times what
# SQLite takes to run it, and a view's shape repeats on every page and every seller.


@dataclass(frozen=True)
class Shape:
    """Which filters a view applies (their values are parameters, see ``_view``)."""

    tab: str  # "needs" | "all" | "tab"
    hidden_shops: int  # "needs": shops the seller disconnected, left out
    shop: bool
    kind: str | None  # type filter: None, "cancellation" or "return"
    request_types: int  # how many request types the type filter names
    reason: bool
    start: bool
    end: bool
    waiting: bool  # "only requests waiting for my answer" on a status tab
    search: bool


def _view(seller_id: int, params: GridParams, *, with_tab: bool = True) -> tuple[Shape, dict]:
    """The shape of the grid's filters and the values of their parameters."""
    values: dict = seller_param(seller_id)
    tab = "all"
    hidden = 0
    if with_tab and params.tab == NEEDS.key:
        tab = "needs"
        hidden = len(params.hidden_shop_ids)
        values["hidden_shops"] = sorted(params.hidden_shop_ids)
    elif with_tab and params.tab != "all":
        tab = "tab"
        values["tab"] = params.tab
    if params.shop_id is not None:
        values["shop"] = params.shop_id
    kind, types = None, 0
    if params.type:
        _, kind, request_types = TYPES[params.type]
        values["kind"] = kind
        if kind != KIND_CANCELLATION:
            types = len(request_types)
            values["request_types"] = list(request_types)
    if params.reason:
        values["reason"] = params.reason
    start, end = params.created_range()
    if start is not None:
        values["start"] = start
    if end is not None:
        values["end"] = end
    waiting = bool(params.needs_action and tab != "needs")
    if params.q:
        values.update(q=params.q, like=f"%{_escape_like(params.q_folded)}%")
    shape = Shape(
        tab, hidden, params.shop_id is not None, kind, types, bool(params.reason), start is not None,
        end is not None, waiting, bool(params.q),
    )  # fmt: skip
    return shape, values


@lru_cache(maxsize=512)
def _where(shape: Shape) -> Select:
    """``select(return_requests)`` for a seller (``tenancy.SELLER``) with the shape's filters."""
    c = _requests.c
    query = table_for_seller(_requests, SELLER)
    if shape.tab == "needs":
        # ``= true()`` is written out (``needs_action = 1`` on SQLite, ``= true`` on PostgreSQL), not
        # bound: both planners then match the partial index ix_return_requests_seller_needs_deadline.
        query = query.where(c.needs_action == true())
        if shape.hidden_shops:
            query = query.where(c.tiktok_shop_id.not_in(bindparam("hidden_shops", expanding=True)))
    elif shape.tab == "tab":
        query = query.where(c.tab == bindparam("tab"))
    if shape.shop:
        query = query.where(c.tiktok_shop_id == bindparam("shop"))
    if shape.kind:
        query = query.where(c.kind == bindparam("kind"))
        if shape.request_types:
            query = query.where(c.request_type.in_(bindparam("request_types", expanding=True)))
    if shape.reason:
        query = query.where(c.reason == bindparam("reason"))
    if shape.start:
        query = query.where(c.create_time >= bindparam("start", type_=BigInteger()))
    if shape.end:
        query = query.where(c.create_time < bindparam("end", type_=BigInteger()))
    if shape.waiting:
        query = query.where(c.needs_action == true())
    if shape.search:
        query = query.where(
            or_(
                c.request_id == bindparam("q"),
                c.order_id == bindparam("q"),
                c.search_text.like(bindparam("like"), escape="\\"),
            )
        )
    return query


def _ordered(query: Select, sort: str, descending: bool) -> Select:
    keys = (*sort_keys(sort), _requests.c.id)
    if descending:
        return query.order_by(*(key.desc() for key in keys))
    return query.order_by(*(key.asc() for key in keys))


@lru_cache(maxsize=1024)
def _page_statement(shape: Shape, sort: str, descending: bool, after: bool, columns: str) -> Select:
    """A page of the shape in that order; ``after``: keyset condition on the parameters ``key``
    (``group`` too for the amount sort) and ``after_id``. Limit: the parameter ``limit``."""
    query = _where(shape)
    if after:
        keys = (bindparam("group", type_=String()), bindparam("key", type_=Money))
        if sort != "amount":
            keys = (bindparam("key", type_=BigInteger()),)
        position = tuple_(*sort_keys(sort), _requests.c.id)
        bound = tuple_(*keys, bindparam("after_id", type_=BigInteger()))
        query = query.where(position < bound if descending else position > bound)
    selected = GRID_COLUMNS if columns == "grid" else (_requests.c.request_id,)
    return _ordered(query, sort, descending).with_only_columns(*selected).limit(bindparam("limit"))


def _page_rows(shape: Shape, values: dict, params: GridParams, cursor: Cursor | None, backwards: bool,
               limit: int, columns: str = "grid") -> list:  # fmt: skip
    """Run the page statement: ``limit`` rows after (or, ``backwards``, before) ``cursor``."""
    descending = (params.direction == "desc") != backwards
    statement = _page_statement(shape, params.sort, descending, cursor is not None, columns)
    values = {**values, "limit": limit}
    if cursor is not None:
        values["after_id"] = int(cursor.id)
        if isinstance(cursor.key, Decimal):
            values.update(key=cursor.key.quantize(CENT), group=cursor.group or "")
        else:
            values["key"] = int(cursor.key)
    return list(db.session.execute(statement, values))


@lru_cache(maxsize=512)
def _position_statement(shape: Shape, sort: str, descending: bool) -> Select:
    query = _ordered(_where(shape), sort, descending)
    return query.with_only_columns(*sort_keys(sort), _requests.c.id).offset(bindparam("offset")).limit(1)


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
    shape, values = _view(seller_id, params)
    descending = (params.direction == "desc") != backwards
    statement = _position_statement(shape, params.sort, descending)
    found = db.session.execute(statement, {**values, "offset": offset}).first()
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
    shape, values = _view(seller_id, params)
    rows = _page_rows(shape, values, params, cursor, backwards, params.size + 1)
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


_COUNTERS = table_for_seller(_counts, SELLER).with_only_columns(
    _counts.c.tiktok_shop_id,
    _counts.c.tab,
    _counts.c.currency,
    _counts.c.count,
    _counts.c.refund_cents,
    _counts.c.needs_count,
    _counts.c.needs_refund_cents,
)


def _counter_rows(seller_id: int) -> list[tuple[int, str, str, int, int, int, int]]:
    """Every counter row of the seller: a few per shop and currency, whatever the number of requests."""
    return [tuple(row) for row in db.session.execute(_COUNTERS, seller_param(seller_id))]


@lru_cache(maxsize=256)
def _filtered_counts_statement(shape: Shape) -> Select:
    currency = func.coalesce(_requests.c.currency, "")
    return (
        _where(shape)
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


def _filtered_rows(seller_id: int, params: GridParams) -> list[tuple[int, str, str, int, int, int, int]]:
    """The same shape as the counter rows, counted over the requests that match the row filters."""
    shape, values = _view(seller_id, params, with_tab=False)
    rows = []
    for shop_id, tab, cur, waiting, count, amount in db.session.execute(
        _filtered_counts_statement(shape), values
    ):
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


def line_items_for(seller_id: int, request_pks: Sequence[int], *, full: bool = True) -> dict[int, list]:
    """Line items of many requests in one query (plain rows), grouped by request. The grid's rows
    need less of them (``full=False``: no amounts, which also spares converting them to Decimal)."""
    grouped: dict[int, list] = defaultdict(list)
    if not request_pks:
        return grouped
    values = {**seller_param(seller_id), "pks": list(request_pks)}
    for item in db.session.execute(_ITEMS if full else _GRID_ITEMS, values):
        grouped[item.request_pk].append(item)
    return grouped


def _items_statement(columns) -> Select:
    return (
        table_for_seller(_items, SELLER)
        .with_only_columns(*columns)
        .where(_items.c.request_pk.in_(bindparam("pks", expanding=True)))
        .order_by(_items.c.request_pk, _items.c.id)
    )


_ITEMS = _items_statement(ITEM_COLUMNS)
_GRID_ITEMS = _items_statement(
    [
        _items.c[name]
        for name in ("id", "request_pk", "seller_sku", "sku_name", "product_name", "image_url", "quantity")
    ]
)


def iter_batches(
    seller_id: int, params: GridParams, batch_size: int = 1000
) -> Iterator[tuple[list, dict[int, list]]]:
    """Every request of the current tab and filters, in sort order, in keyset batches (flat memory)."""
    cursor: Cursor | None = None
    shape, values = _view(seller_id, params)
    while True:
        rows = _page_rows(shape, values, params, cursor, False, batch_size)
        if not rows:
            return
        yield rows, line_items_for(seller_id, [row.id for row in rows])
        if len(rows) < batch_size:
            return
        cursor = row_sort_value(rows[-1], params.sort)  # plain rows: nothing stays in the session


_LAST_CHANGE = table_for_seller(_changes, SELLER).with_only_columns(func.max(_changes.c.id))
_LAST_SYNC = table_for_seller(_requests, SELLER).with_only_columns(func.max(_requests.c.synced_at))


def change_marker(seller_id: int) -> str:
    """A cheap value that changes whenever the seller's requests change (two indexed MAX lookups)."""
    last_change = db.session.scalar(_LAST_CHANGE, seller_param(seller_id))
    last_sync = db.session.scalar(_LAST_SYNC, seller_param(seller_id))
    stamp = last_sync.strftime("%Y%m%d%H%M%S%f") if last_sync is not None else "0"
    return f"{last_change or 0}-{stamp}"


def reason_choices(seller_id: int) -> list[tuple[str, str]]:
    """(reason key, buyer-facing text) pairs the seller's requests use, for the reason filter: written
    with the requests (``ReturnReason``), so they are there as soon as the first request is."""
    return [(key, text or key) for key, text in db.session.execute(_REASONS, seller_param(seller_id))]


_REASONS = (
    table_for_seller(_reasons, SELLER)
    .with_only_columns(_reasons.c.reason, _reasons.c.reason_text)
    .order_by(_reasons.c.reason_text, _reasons.c.reason)
    .limit(200)
)


def view_request_ids(seller_id: int, params: GridParams, limit: int) -> list[str]:
    """The request ids of a view, in its order (at most ``limit``): "select all matching"."""
    shape, values = _view(seller_id, params)
    return [row.request_id for row in _page_rows(shape, values, params, None, False, limit, "ids")]
