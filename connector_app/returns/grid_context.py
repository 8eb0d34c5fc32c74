"""Everything the grid template needs for one view, gathered with a fixed number of queries.

Per page view: the seller's shops, their settings, one page of requests, one line-item query, one
listing-link query, the tab counts (a few rows per shop) and the live-refresh marker — whatever the
number of requests the seller has.
"""

from __future__ import annotations

import json
import logging

from flask import request
from flask_login import current_user
from redis.exceptions import RedisError

from connector_app.accounts.preferences import PAGE_SIZES, get_settings
from connector_app.connect.models import TikTokShop
from connector_app.extensions import db, rq
from connector_app.panels import collect
from connector_app.returns import queries as q
from connector_app.returns.params import SORTS, TYPES, GridParams, parse_grid_args
from connector_app.returns.signals import grid_panels, links_for_skus
from connector_app.returns.tabs import TABS
from connector_app.tenancy import for_seller

log = logging.getLogger(__name__)

REASONS_TTL_SECONDS = 300


def load_shops(seller_id: int) -> list[TikTokShop]:
    return list(db.session.scalars(for_seller(TikTokShop, seller_id).order_by(TikTokShop.name)))


def parse_params(seller_id: int, shops: list[TikTokShop]) -> GridParams:
    settings = get_settings(seller_id)
    return parse_grid_args(
        request.args,
        shop_ids={shop.id for shop in shops},
        default_shop_id=settings.default_shop_id,
        default_size=settings.page_size,
        timezone=getattr(current_user, "timezone", None) or "UTC",
    )


def cached_reason_choices(seller_id: int) -> list[tuple[str, str]]:
    """The reason filter's options; a DISTINCT over the seller's rows, so cached for a few minutes."""
    key = f"connector:return-reasons:{seller_id}"
    try:
        cached = rq.connection.get(key)
        if cached is not None:
            return [tuple(pair) for pair in json.loads(cached)]
    except (RedisError, ValueError):
        log.warning("reason choices cache unavailable", exc_info=True)
    choices = q.reason_choices(seller_id)
    try:
        rq.connection.set(key, json.dumps(choices), ex=REASONS_TTL_SECONDS)
    except RedisError:
        log.warning("reason choices cache unavailable", exc_info=True)
    return choices


def grid_context(seller_id: int, *, with_form_options: bool | None = None) -> dict:
    shops = load_shops(seller_id)
    params = parse_params(seller_id, shops)
    page = q.fetch_page(seller_id, params)
    items = q.line_items_for(seller_id, [row.id for row in page.rows])
    skus = [item.seller_sku for rows in items.values() for item in rows if item.seller_sku]
    counts = q.tab_counts(seller_id, params)
    full_page = with_form_options if with_form_options is not None else not _is_fragment()
    reasons = cached_reason_choices(seller_id) if full_page and shops else []
    if params.reason and params.reason not in {key for key, _ in reasons}:
        reasons = [*reasons, (params.reason, params.reason)]
    return {
        # Other features' panels on the full page (sync controls, bulk actions), gathered here.
        "panels": collect(grid_panels, seller_id=seller_id, shops=shops) if full_page else {},
        "params": params,
        "page": page,
        "items": items,
        "listings": links_for_skus(seller_id, skus),
        "counts": counts,
        "tabs": TABS,
        "shops": shops,
        "shops_by_id": {shop.id: shop for shop in shops},
        "several_shops": len(shops) > 1,
        "nothing_synced": bool(shops) and counts["all"] == 0 and not params.has_filters,
        "marker": q.change_marker(seller_id) if full_page else None,
        "reasons": reasons,
        "types": TYPES,
        "sorts": SORTS,
        "page_sizes": PAGE_SIZES,
    }


def _is_fragment() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-History-Restore-Request"
    )
