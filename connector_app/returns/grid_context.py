"""Everything the grid template needs for one view, gathered with a fixed number of queries.

Per page view: the seller's shops (with their authorizations: whether each is connected), their
settings, the counters (tab counts, refund totals, requests waiting per shop), one page of requests,
one line-item query, one listing-link query and the live-refresh marker — whatever the number of
requests the seller has. The full page adds the reason filter's options and the other features' panels.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl, quote, urlencode

from flask import request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from connector_app.accounts.preferences import PAGE_SIZES, grid_preferences
from connector_app.connect.models import DISCONNECTED, TikTokShop
from connector_app.extensions import db
from connector_app.panels import collect
from connector_app.returns import queries as q
from connector_app.returns.params import ORDERS, SORTS, TYPES, GridParams, parse_grid_args
from connector_app.returns.rows import RowContext, render_rows
from connector_app.returns.signals import grid_panels, links_for_skus
from connector_app.returns.tabs import NEEDS, TABS
from connector_app.templating import seller_clock
from connector_app.tenancy import SELLER, for_seller, seller_param
from connector_app.timeutil import date_example

# Built once: every grid page runs it (see returns.queries on statements built per shape).
_SHOPS = (
    for_seller(TikTokShop, SELLER)
    .options(joinedload(TikTokShop.authorization))
    .order_by(TikTokShop.name, TikTokShop.id)
)


def load_shops(seller_id: int) -> list[TikTokShop]:
    """The seller's shops with their authorizations (one statement): rows of a shop that is not
    connected show "Disconnected" and a Reconnect link instead of deadlines and decisions."""
    return list(db.session.scalars(_SHOPS, seller_param(seller_id)))


def parse_params(
    seller_id: int, shops: list[TikTokShop], args: Mapping[str, str] | None = None
) -> GridParams:
    """The grid's view from the URL arguments (``args``, by default the request's)."""
    default_shop_id, page_size = grid_preferences(seller_id)
    params = parse_grid_args(
        request.args if args is None else args,
        shop_ids={shop.id for shop in shops},
        default_shop_id=default_shop_id,
        default_size=page_size,
        timezone=getattr(current_user, "timezone", None) or "UTC",
        date_format=getattr(current_user, "date_format", None),
    )
    params.hidden_shop_ids = frozenset(shop.id for shop in shops if shop.status == DISCONNECTED)
    return params


def matching_request_ids(seller_id: int, view: str, limit: int) -> tuple[list[str], int]:
    """The request ids of a grid view (its URL arguments, as the grid's "select all matching" sends
    them), in the view's order: at most ``limit`` of them, and how many match in all."""
    shops = load_shops(seller_id)
    params = parse_params(seller_id, shops, MultiDict(parse_qsl(view[:4000], keep_blank_values=True)))
    total = q.grid_counts(seller_id, params).get(params.tab, 0)
    ids = q.view_request_ids(seller_id, params, limit)
    return ids, max(total, len(ids))


def reason_options(seller_id: int, params: GridParams) -> list[tuple[str, str]]:
    reasons = q.reason_choices(seller_id)
    if params.reason and params.reason not in {key for key, _ in reasons}:
        reasons = [*reasons, (params.reason, params.reason)]
    return reasons


def grid_context(seller_id: int, *, with_form_options: bool | None = None) -> dict:
    shops = load_shops(seller_id)
    params = parse_params(seller_id, shops)
    counts = q.grid_counts(seller_id, params)
    page = q.fetch_page(seller_id, params, counts.get(params.tab, 0))
    if page.beyond is not None:
        params.messages.append(
            f"There is no page {page.beyond:,}: this list has {page.pages:,} page"
            f"{'' if page.pages == 1 else 's'}. Showing the last one."
        )
    items = q.line_items_for(seller_id, [row.id for row in page.rows], full=False)
    skus = [item.seller_sku for rows in items.values() for item in rows if item.seller_sku]
    listings = links_for_skus(seller_id, skus)
    full_page = with_form_options if with_form_options is not None else not _is_fragment()
    shops_by_id = {shop.id: shop for shop in shops}
    base = url_for("returns.index")
    current_url = url_for("returns.index", **params.query_args())
    tab_links = []
    for tab in (NEEDS, *TABS):
        args = params.tab_args(tab.key)
        tab_links.append((tab, f"{base}?{urlencode(args)}" if args else base, counts.get(tab.key, 0)))
    shop_column = len(shops) > 1 and params.shop_id is None
    tz, date_format = seller_clock()
    rows_html = render_rows(
        page.rows,
        RowContext(
            detail_prefix=base + "/",
            back_suffix="?back=" + quote(current_url, safe="/"),
            shops=shops_by_id,
            shop_column=shop_column,
            listings=listings,
            items=items,
            reconnect_url=lambda region: url_for("connect.tiktok_start", region=region),
            tz=tz,
            date_format=date_format,
        ),
    )
    # With a shop chosen (or the default shop from Settings), say which other shops have requests
    # waiting for an answer, so nothing urgent hides behind the filter.
    waiting_elsewhere = [
        (shops_by_id[shop_id], waiting)
        for shop_id, waiting in sorted(counts.waiting_by_shop.items())
        if params.shop_id is not None and shop_id != params.shop_id and waiting and shop_id in shops_by_id
    ]
    return {
        # Other features' panels on the full page (sync controls, bulk actions), gathered here.
        "panels": collect(grid_panels, seller_id=seller_id, shops=shops) if full_page else {},
        "params": params,
        "page": page,
        "rows_html": rows_html,
        "current_url": current_url,
        "counts": counts,
        "tab_links": tab_links,
        "tabs": TABS,
        "needs_tab": NEEDS,
        "current_tab": NEEDS if params.tab == NEEDS.key else next(t for t in TABS if t.key == params.tab),
        "shops": shops,
        "shops_by_id": shops_by_id,
        "several_shops": len(shops) > 1,
        "shop_column": shop_column,
        "waiting_elsewhere": waiting_elsewhere,
        "nothing_synced": bool(shops) and counts["all"] == 0 and not params.has_filters,
        "marker": q.change_marker(seller_id) if full_page else None,
        "reasons": reason_options(seller_id, params) if full_page and shops else [],
        "types": TYPES,
        "sorts": SORTS,
        "orders": ORDERS,
        "page_sizes": PAGE_SIZES,
        "date_placeholder": date_example(getattr(current_user, "date_format", None)),
    }


def _is_fragment() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )
