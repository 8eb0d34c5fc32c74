"""Orders grid (``/orders``), Fulfilled by TikTok (``/orders/fbt``), CSV export and the order detail.

Views load through the tenancy helpers and render what is stored; they never call a marketplace. With
htmx, only the grid block of the same template is rendered and every tab count is swapped out of band.
"""

from __future__ import annotations

import csv
import io

from flask import Response, request, stream_with_context, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from connector_app.extensions import db
from connector_app.orders import bp
from connector_app.orders import queries as q
from connector_app.orders.models import FbtStock, Order, StockMove
from connector_app.orders.shipping_views import shipping_panel
from connector_app.orders.tabs import TABS, fulfilment_label
from connector_app.returns.models import ReturnRequest
from connector_app.returns.signals import links_for_skus
from connector_app.templating import is_htmx, render_page
from connector_app.tenancy import for_seller, get_for_seller_or_404
from connector_app.timeutil import utcnow


def _grid(fbt_view: bool):
    seller_id = current_user.id
    shops = q.shops_of(seller_id)
    params = q.parse_params(request.args, {s.id for s in shops}, fbt_view=fbt_view)
    counts = q.tab_counts(seller_id, params)
    page = q.fetch_page(seller_id, params, counts.get(params.tab, 0))
    lines = q.lines_for(seller_id, [row.id for row in page.rows])
    skus = {line.seller_sku for group in lines.values() for line in group if line.seller_sku}
    endpoint = "orders.fbt" if fbt_view else "orders.index"
    context = {
        "params": params,
        "shops": shops,
        "shops_by_id": {s.id: s for s in shops},
        "counts": counts,
        "tabs": TABS,
        "current_tab": next(t for t in TABS if t.key == params.tab),
        "page": page,
        "lines": lines,
        "listing_links": links_for_skus(seller_id, skus),
        "sorts": [(key, label) for key, (label, _) in q.SORTS.items()],
        "fulfilment_options": q.FULFILMENT,
        "page_sizes": q.PAGE_SIZES,
        "endpoint": endpoint,
        "fbt_view": fbt_view,
        "now": int(utcnow().timestamp()),
        "fbt_stock": _fbt_stock(seller_id) if fbt_view else [],
        "fragment": is_htmx(),
    }
    response = render_page("orders/index.html", "grid", **context)
    response.headers["Cache-Control"] = "no-store"
    return response


def _fbt_stock(seller_id: int) -> list[FbtStock]:
    return list(
        db.session.scalars(
            for_seller(FbtStock, seller_id).order_by(FbtStock.seller_sku, FbtStock.warehouse_id)
        )
    )


@bp.get("")
@login_required
def index():
    return _grid(fbt_view=False)


@bp.get("/fbt")
@login_required
def fbt():
    return _grid(fbt_view=True)


CSV_HEADER = (
    "order_id",
    "shop",
    "status",
    "fulfilment",
    "created_utc",
    "ship_by_utc",
    "currency",
    "total",
    "items",
    "tracking_number",
)


def _utc(seconds: int | None) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M") if seconds else ""


def _safe(value: str) -> str:
    """No spreadsheet formulas from TikTok's text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@bp.get("/export.csv")
@login_required
def export():
    seller_id = current_user.id
    shops = {s.id: s for s in q.shops_of(seller_id)}
    params = q.parse_params(request.args, set(shops), fbt_view=request.args.get("view") == "fbt")

    def rows():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_HEADER)
        for order, lines in q.iter_export(seller_id, params):
            items = "; ".join(
                f"{line.seller_sku or line.sku_id} × 1 {line.product_name or ''}".strip() for line in lines
            )
            shop = shops.get(order.shop_pk)
            writer.writerow(
                [
                    _safe(order.order_id),
                    _safe(shop.name if shop else ""),
                    order.status,
                    fulfilment_label(order.is_fbt),
                    _utc(order.create_time),
                    _utc(order.rts_sla_time) if not order.is_fbt else "",
                    order.currency or "",
                    str(order.total) if order.total is not None else "",
                    _safe(items),
                    _safe(order.tracking_number or ""),
                ]
            )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(rows()), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="orders-{params.tab}-{utcnow():%Y%m%d-%H%M}.csv"'
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def detail_context(order: Order, form: dict | None = None, error: str | None = None) -> dict:
    """Everything the order's page shows, gathered here (the template runs no query)."""
    seller_id = order.seller_id
    lines = q.lines_for(seller_id, [order.id]).get(order.id, [])
    related = db.session.scalars(
        for_seller(ReturnRequest, seller_id)
        .where(ReturnRequest.order_id == order.order_id, ReturnRequest.tiktok_shop_id == order.shop_pk)
        .order_by(ReturnRequest.create_time)
    ).all()
    moves = db.session.scalars(
        for_seller(StockMove, seller_id).where(StockMove.order_pk == order.id).order_by(StockMove.id)
    ).all()
    return {
        "order": order,
        "lines": lines,
        "related": related,
        "moves": moves,
        "listing_links": links_for_skus(seller_id, [line.seller_sku for line in lines if line.seller_sku]),
        "now": int(utcnow().timestamp()),
        "back_url": url_for("orders.fbt" if order.is_fbt else "orders.index"),
        "fragment": is_htmx(),
        **shipping_panel(order, lines, form, error),
    }


@bp.get("/<id:order_pk>")
@login_required
def detail(order_pk: int):
    order = get_for_seller_or_404(Order, id=order_pk)
    response = render_page("orders/detail.html", "panel", **detail_context(order))
    response.headers["Cache-Control"] = "no-store"
    return response


def order_link_for_return(seller_id: int, row: ReturnRequest) -> tuple[str, str] | None:
    """(order id, URL) of the order a return or cancellation belongs to, when it is synced."""
    pk = db.session.scalar(
        select(Order.id).where(
            Order.seller_id == seller_id, Order.shop_pk == row.tiktok_shop_id, Order.order_id == row.order_id
        )
    )
    return (row.order_id, url_for("orders.detail", order_pk=pk)) if pk else None
