"""Read side of the orders grid: URL arguments → one view (tab, search, filters, sort, page), its rows,
the count of every tab, and CSV rows. Views read here; nothing here writes.

Input is parsed once (``connector_app.inputs``): a value that does not parse is dropped with a message,
never a 500. Counts are one GROUP BY over the seller's (filtered) orders, so every tab's number matches
what the tab lists.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from sqlalchemy import Select, func, select

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.inputs import parse_id, parse_int
from connector_app.orders.models import Order, OrderLine
from connector_app.orders.tabs import ALL, ATTENTION, BY_KEY, TABS
from connector_app.returns.search import fold
from connector_app.tenancy import for_seller

PAGE_SIZES = (25, 50, 100)
SORTS = {
    "updated-desc": ("Last updated: newest first", Order.update_time.desc()),
    "created-desc": ("Placed: newest first", Order.create_time.desc()),
    "created-asc": ("Placed: oldest first", Order.create_time.asc()),
    "shipby-asc": ("Ship by: soonest first", func.coalesce(Order.rts_sla_time, 2**62).asc()),
    "total-desc": ("Total: highest first (by currency)", func.coalesce(Order.currency, "").asc()),
}
FULFILMENT = {"": "All", "seller": "Shipped by you", "fbt": "Fulfilled by TikTok"}
MAX_Q = 100


@dataclass(frozen=True)
class OrderParams:
    tab: str = ALL
    q: str = ""
    shop_id: int | None = None
    fulfilment: str = ""
    date_from: date | None = None
    date_to: date | None = None
    sort: str = "updated-desc"
    page: int = 1
    size: int = 50
    fbt_view: bool = False
    messages: tuple[str, ...] = field(default=(), compare=False)

    def args(self, **overrides) -> dict[str, str]:
        values = replace(self, **overrides)
        out = {
            "tab": values.tab,
            "q": values.q,
            "shop": str(values.shop_id or ""),
            "type": "" if values.fbt_view else values.fulfilment,
            "from": values.date_from.isoformat() if values.date_from else "",
            "to": values.date_to.isoformat() if values.date_to else "",
            "sort": values.sort,
            "size": str(values.size),
            "page": str(values.page),
        }
        defaults = {"tab": ALL, "sort": "updated-desc", "size": "50", "page": "1"}
        return {k: v for k, v in out.items() if v and defaults.get(k) != v}

    @property
    def has_filters(self) -> bool:
        chosen_type = self.fulfilment and not self.fbt_view  # the FBT view's own type is no filter
        return bool(self.q or self.shop_id or chosen_type or self.date_from or self.date_to)


def _date(raw: str | None, label: str, messages: list[str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        messages.append(f"{label} was not a date like 2026-12-31: ignored.")
        return None


def parse_params(args: Mapping[str, str], shop_ids: set[int], *, fbt_view: bool = False) -> OrderParams:
    messages: list[str] = []
    tab = args.get("tab", ALL)
    if tab not in BY_KEY:
        messages.append("Unknown tab: showing All.")
        tab = ALL
    shop_id = parse_id(args.get("shop") or None)
    if args.get("shop") and shop_id not in shop_ids:
        messages.append("That shop is not one of yours: showing all shops.")
        shop_id = None
    fulfilment = "fbt" if fbt_view else args.get("type", "")
    if fulfilment not in FULFILMENT:
        fulfilment = ""
    sort = args.get("sort", "updated-desc")
    if sort not in SORTS:
        sort = "updated-desc"
    size = parse_int(args.get("size"), minimum=1, maximum=500) or 50
    size = size if size in PAGE_SIZES else 50
    q = "".join(ch for ch in (args.get("q") or "") if ch.isprintable())[:MAX_Q].strip()
    return OrderParams(
        tab=tab,
        q=q,
        shop_id=shop_id,
        fulfilment=fulfilment,
        date_from=_date(args.get("from"), "From", messages),
        date_to=_date(args.get("to"), "To", messages),
        sort=sort,
        page=parse_int(args.get("page"), minimum=1, maximum=10**6) or 1,
        size=size,
        fbt_view=fbt_view,
        messages=tuple(messages),
    )


def _midnight(day: date, extra_days: int = 0) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) + extra_days * 86400


def _filtered(seller_id: int, params: OrderParams) -> Select:
    query = for_seller(Order, seller_id)
    if params.shop_id:
        query = query.where(Order.shop_pk == params.shop_id)
    if params.fulfilment == "fbt":
        query = query.where(Order.is_fbt.is_(True))
    elif params.fulfilment == "seller":
        query = query.where(Order.is_fbt.is_(False))
    if params.date_from:
        query = query.where(Order.create_time >= _midnight(params.date_from))
    if params.date_to:
        query = query.where(Order.create_time < _midnight(params.date_to, 1))
    if params.q:
        needle = fold(params.q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Order.search_text.like(f"%{needle}%", escape="\\"))
    return query


def _tabbed(query: Select, tab: str) -> Select:
    if tab == ATTENTION:
        return query.where(Order.needs_attention.is_(True))
    if tab != ALL:
        return query.where(Order.tab == tab)
    return query


def tab_counts(seller_id: int, params: OrderParams) -> dict[str, int]:
    base = _filtered(seller_id, params).subquery()
    rows = db.session.execute(select(base.c.tab, func.count()).group_by(base.c.tab)).all()
    counts = {tab.key: 0 for tab in TABS}
    for tab, n in rows:
        if tab in counts:
            counts[tab] += n
        counts[ALL] += n
    counts[ATTENTION] = db.session.scalar(
        select(func.count()).select_from(base).where(base.c.needs_attention.is_(True))
    )
    return counts


@dataclass
class Page:
    rows: list[Order]
    number: int
    pages: int
    total: int


def fetch_page(seller_id: int, params: OrderParams, total: int) -> Page:
    pages = max(1, -(-total // params.size))
    number = min(params.page, pages)
    _label, order_by = SORTS[params.sort]
    extra = (Order.total.desc(),) if params.sort == "total-desc" else ()
    rows = db.session.scalars(
        _tabbed(_filtered(seller_id, params), params.tab)
        .order_by(order_by, *extra, Order.id.desc())
        .offset((number - 1) * params.size)
        .limit(params.size)
    ).unique()
    return Page(rows=list(rows), number=number, pages=pages, total=total)


def lines_for(seller_id: int, order_pks: list[int]) -> dict[int, list[OrderLine]]:
    found: dict[int, list[OrderLine]] = {}
    if order_pks:
        for line in db.session.scalars(
            for_seller(OrderLine, seller_id).where(OrderLine.order_pk.in_(order_pks)).order_by(OrderLine.id)
        ):
            found.setdefault(line.order_pk, []).append(line)
    return found


def shops_of(seller_id: int) -> list[TikTokShop]:
    return list(db.session.scalars(for_seller(TikTokShop, seller_id).order_by(TikTokShop.id)))


def iter_export(
    seller_id: int, params: OrderParams, batch: int = 500
) -> Iterator[tuple[Order, list[OrderLine]]]:
    _label, order_by = SORTS[params.sort]
    query = _tabbed(_filtered(seller_id, params), params.tab).order_by(order_by, Order.id.desc())
    offset = 0
    while True:
        rows = list(db.session.scalars(query.offset(offset).limit(batch)).unique())
        if not rows:
            return
        lines = lines_for(seller_id, [r.id for r in rows])
        for row in rows:
            yield row, lines.get(row.id, [])
        offset += batch
