"""The grid's URL parameters: parsed, validated and turned back into URLs.

Everything the seller chooses on the grid (tab, search, filters, sort, page size, cursor) lives in the
query string, so a link, a reload or the back button give the same page. Bad values never raise: they
are dropped, and a plain sentence in ``GridParams.messages`` tells the seller what was ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from connector_app.accounts.preferences import PAGE_SIZES
from connector_app.inputs import parse_id, parse_int
from connector_app.returns.search import fold
from connector_app.returns.tabs import NEEDS, VIEWS_BY_KEY
from connector_app.timeutil import date_example, parse_day, zone

MAX_SEARCH = 100
MAX_PAGE = 1_000_000
DEFAULT_TAB = NEEDS.key  # the grid opens on what waits for the seller's answer
DEFAULT_SORT = "updated"
SORTS = {"updated": "Last update", "requested": "Request date", "amount": "Refund", "deadline": "Deadline"}
DEFAULT_DIRECTION = {"updated": "desc", "requested": "desc", "amount": "desc", "deadline": "asc"}
# The "Sort by" choices: each sort with the words its directions mean to a seller.
ORDERS: tuple[tuple[str, str, str], ...] = (
    ("deadline", "asc", "Deadline: soonest first"),
    ("deadline", "desc", "Deadline: latest first"),
    ("updated", "desc", "Last update: newest first"),
    ("updated", "asc", "Last update: oldest first"),
    ("requested", "desc", "Requested: newest first"),
    ("requested", "asc", "Requested: oldest first"),
    ("amount", "desc", "Refund: largest first (per currency)"),
    ("amount", "asc", "Refund: smallest first (per currency)"),
)
# type filter value -> (kind, request_types)
TYPES = {
    "refund": ("Refund only", "return", ("REFUND",)),
    "return_and_refund": ("Return and refund", "return", ("RETURN_AND_REFUND",)),
    "replacement": ("Replacement", "return", ("REPLACEMENT",)),
    "cancellation": ("Cancellation", "cancellation", ()),
}
ALL_SHOPS = "all"
MAX_KEY = 2**63  # cursor keys and ids are 64-bit integers in the database
MAX_AMOUNT = Decimal(10) ** 12  # Numeric(14, 2)
_CURSOR = re.compile(r"^(?:([A-Za-z]{0,3}):)?(-?\d{1,20}(?:\.\d{1,4})?)~(\d{1,19})$", re.ASCII)


def default_sort(tab: str) -> str:
    """Needs your answer: soonest deadline first (overdue first). Every other tab: latest change first."""
    return "deadline" if tab == NEEDS.key else DEFAULT_SORT


@dataclass(frozen=True)
class Cursor:
    """A keyset position: the sort key and the id of the last (or first) row of a page; for the amount
    sort also the currency (``group``), since amounts are ordered within their currency."""

    key: int | Decimal
    id: int
    group: str | None = None

    def encode(self) -> str:
        prefix = f"{self.group}:" if self.group is not None else ""
        return f"{prefix}{self.key}~{self.id}"


@dataclass
class GridParams:
    tab: str = DEFAULT_TAB
    q: str = ""
    shop_id: int | None = None
    shop_arg: str | None = None  # as given in the URL ("all", an id, or None = the default shop)
    type: str | None = None
    reason: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    needs_action: bool = False
    sort: str = DEFAULT_SORT
    direction: str = "desc"
    size: int = 50
    default_size: int = 50
    after: Cursor | None = None
    before: Cursor | None = None
    page: int = 1
    timezone: str = "UTC"
    messages: list[str] = field(default_factory=list)
    # Shops whose requests the "Needs your answer" view leaves out (disconnected by the seller).
    hidden_shop_ids: frozenset[int] = frozenset()

    @property
    def jump(self) -> bool:
        """A page number without a cursor (a "go to page" or "last page" link): found by position."""
        return self.page > 1 and self.after is None and self.before is None

    @property
    def q_folded(self) -> str:
        return fold(self.q)

    @property
    def order(self) -> str:
        return f"{self.sort}-{self.direction}"

    @property
    def has_row_filters(self) -> bool:
        """Filters that the per-shop tab counts cannot answer (they need a COUNT on the filtered set)."""
        waiting_filter = self.needs_action and self.tab != NEEDS.key  # the needs view is that already
        return bool(self.q or self.type or self.reason or self.date_from or self.date_to or waiting_filter)

    @property
    def has_filters(self) -> bool:
        return self.has_row_filters or self.shop_id is not None

    def created_range(self) -> tuple[int | None, int | None]:
        """The date filter as unix seconds [start, end), days taken in the seller's timezone."""
        tz = zone(self.timezone)

        def midnight(day: date) -> int:
            return int(datetime(day.year, day.month, day.day, tzinfo=tz).timestamp())

        start = midnight(self.date_from) if self.date_from else None
        end = midnight(self.date_to + timedelta(days=1)) if self.date_to else None
        return start, end

    def query_args(self, **overrides) -> dict[str, str]:
        """The URL arguments that reproduce this view (defaults left out), with ``overrides`` applied."""
        view = replace(self, messages=[], **{k: v for k, v in overrides.items() if k != "cursor"})
        args: dict[str, str] = {}
        if view.tab != DEFAULT_TAB:
            args["tab"] = view.tab
        if view.q:
            args["q"] = view.q
        if view.shop_arg is not None:
            args["shop"] = view.shop_arg
        if view.type:
            args["type"] = view.type
        if view.reason:
            args["reason"] = view.reason
        if view.date_from:
            args["from"] = view.date_from.isoformat()
        if view.date_to:
            args["to"] = view.date_to.isoformat()
        if view.needs_action:
            args["action"] = "1"
        if view.sort != default_sort(view.tab) or view.direction != DEFAULT_DIRECTION[view.sort]:
            args["sort"] = view.sort
            args["dir"] = view.direction
        if view.size != view.default_size:
            args["size"] = str(view.size)
        if view.after:
            args["after"] = view.after.encode()
        if view.before:
            args["before"] = view.before.encode()
        if view.page > 1:
            args["page"] = str(view.page)
        return args

    def first_page_args(self, **overrides) -> dict[str, str]:
        """Arguments for page 1 of this view with ``overrides`` (changing a filter restarts paging)."""
        return self.query_args(after=None, before=None, page=1, **overrides)

    def tab_args(self, tab: str) -> dict[str, str]:
        """Page 1 of another tab, in that tab's own default order unless the seller chose one."""
        chose = self.sort != default_sort(self.tab) or self.direction != DEFAULT_DIRECTION[self.sort]
        if chose:
            return self.first_page_args(tab=tab)
        sort = default_sort(tab)
        return self.first_page_args(tab=tab, sort=sort, direction=DEFAULT_DIRECTION[sort])

    def page_args(self, page: int) -> dict[str, str]:
        """A page by its number (found by position: "last page", "go to page")."""
        return self.query_args(after=None, before=None, page=page)


def _printable(text: str | None) -> str:
    """Drop control characters (NUL cannot even be sent to PostgreSQL)."""
    return "".join(ch for ch in (text or "") if ch.isprintable() or ch == " ")


def _parse_date(raw: str, label: str, messages: list[str], date_format: str | None) -> date | None:
    """A day in the seller's date format (as the filter shows it) or ISO (as links carry it)."""
    if not raw.strip():
        return None
    day = parse_day(raw[:40], date_format)
    if day is None:
        example = date_example(date_format)
        text = raw[:20]
        messages.append(f"The {label} date “{text}” is not a date (write it like {example}); it was ignored.")
    return day


def _parse_cursor(raw: str, sort: str, messages: list[str]) -> Cursor | None:
    if not raw:
        return None
    match = _CURSOR.match(raw)
    if match and (match.group(1) is not None) == (sort == "amount"):
        group, key_text, ident = match.groups()
        try:
            key: int | Decimal = Decimal(key_text) if sort == "amount" else int(key_text)
        except (ValueError, InvalidOperation):
            key = MAX_KEY
        limit = MAX_AMOUNT if sort == "amount" else MAX_KEY
        if abs(key) < limit and int(ident) < MAX_KEY:
            return Cursor(key, int(ident), group.upper() if group is not None else None)
    messages.append("That page link is no longer valid; showing the first page.")
    return None


def parse_grid_args(
    args: Mapping[str, str],
    *,
    shop_ids: set[int],
    default_shop_id: int | None,
    default_size: int,
    timezone: str,
    date_format: str | None = None,
) -> GridParams:
    """Read the grid's query string. Never raises: invalid values are dropped with a message."""
    messages: list[str] = []
    default_size = default_size if default_size in PAGE_SIZES else PAGE_SIZES[0]
    params = GridParams(timezone=timezone, size=default_size, default_size=default_size, messages=messages)

    tab = args.get("tab") or DEFAULT_TAB
    if tab not in VIEWS_BY_KEY:
        messages.append(f"There is no “{tab[:40]}” tab; showing {VIEWS_BY_KEY[DEFAULT_TAB].label}.")
        tab = DEFAULT_TAB
    params.tab = tab

    q = " ".join(_printable(args.get("q")).split())
    if len(q) > MAX_SEARCH:
        messages.append(f"Searches are limited to {MAX_SEARCH} characters; yours was shortened.")
        q = q[:MAX_SEARCH]
    params.q = q

    shop = args.get("shop")
    if shop is None:
        params.shop_id = default_shop_id if default_shop_id in shop_ids else None
    elif shop in ("", ALL_SHOPS):
        params.shop_arg = ALL_SHOPS
    elif parse_id(shop) in shop_ids:
        params.shop_id, params.shop_arg = parse_id(shop), shop
    else:
        messages.append("That shop is not one of your connected shops; showing all shops.")
        params.shop_arg = ALL_SHOPS

    kind = args.get("type") or None
    if kind and kind not in TYPES:
        messages.append(f"Unknown request type “{kind[:40]}”; it was ignored.")
        kind = None
    params.type = kind

    reason = _printable(args.get("reason")).strip()
    params.reason = reason[:255] or None

    params.date_from = _parse_date(args.get("from", ""), "from", messages, date_format)
    params.date_to = _parse_date(args.get("to", ""), "to", messages, date_format)
    if params.date_from and params.date_to and params.date_from > params.date_to:
        messages.append("The “from” date is after the “to” date; the dates were swapped.")
        params.date_from, params.date_to = params.date_to, params.date_from

    params.needs_action = args.get("action") in ("1", "on", "true", "yes")

    sort_arg, dir_arg = args.get("sort"), args.get("dir")
    order = args.get("order") or ""
    if order:  # the filter form's one "Sort by" choice: "<sort>-<direction>"
        sort_arg, _, dir_arg = order.partition("-")
    sort = sort_arg or default_sort(tab)
    if sort not in SORTS:
        fallback = default_sort(tab)
        messages.append(f"Cannot sort by “{sort[:40]}”; sorted by {SORTS[fallback].lower()}.")
        sort = fallback
    params.sort = sort
    direction = dir_arg or DEFAULT_DIRECTION[sort]
    if direction not in ("asc", "desc"):
        messages.append("The sort direction must be asc or desc.")
        direction = DEFAULT_DIRECTION[sort]
    params.direction = direction

    size = args.get("size")
    if size:
        if parse_int(size) in PAGE_SIZES:
            params.size = parse_int(size)
        else:
            sizes = ", ".join(str(s) for s in PAGE_SIZES)
            messages.append(f"Page size must be one of {sizes}; showing {default_size} per page.")

    params.after = _parse_cursor(args.get("after", ""), sort, messages)
    params.before = None if params.after else _parse_cursor(args.get("before", ""), sort, messages)
    page = parse_int(args.get("page", "1") or "1", minimum=1, maximum=MAX_PAGE)
    if page is None:
        messages.append("That page number is not valid; showing the first page.")
        params.after = params.before = None
        page = 1
    params.page = page
    return params
