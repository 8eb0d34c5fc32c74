"""Returns grid routes: the grid, its live-refresh probe, the CSV export, the request detail and its
timeline.

Views load through the tenancy helpers, then render; they never write and never call a marketplace.
Reading with htmx swaps only the table region (a block of the same template) and updates every tab
count out of band. Other features' panels on the detail page answer the ``detail_panels`` signal.
"""

from __future__ import annotations

from flask import Response, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required

from connector_app.panels import collect
from connector_app.returns import bp
from connector_app.returns import queries as q
from connector_app.returns.export import generate_csv
from connector_app.returns.grid_context import grid_context, load_shops, parse_params
from connector_app.returns.models import ReturnRequest
from connector_app.returns.signals import detail_panels, links_for_skus
from connector_app.returns.timeline import build_timeline
from connector_app.templating import is_htmx, render_page
from connector_app.tenancy import get_for_seller_or_404
from connector_app.timeutil import utcnow


@bp.get("")
@login_required
def index():
    context = grid_context(current_user.id)
    response = render_page("returns/index.html", "grid", fragment=is_htmx(), **context)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/changes")
@login_required
def changes():
    """Live refresh: 204 while nothing changed since ``since``; else a new poller and ``returns-changed``."""
    marker = q.change_marker(current_user.id)
    if request.args.get("since", "") == marker:
        return Response(status=204)
    body = render_template("returns/_poller.html", marker=marker)
    response = Response(body)
    response.headers["HX-Trigger"] = "returns-changed"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/export.csv")
@login_required
def export():
    seller_id = current_user.id
    shops = load_shops(seller_id)
    params = parse_params(seller_id, shops)
    shops_by_id = {shop.id: shop for shop in shops}
    filename = f"returns-{params.tab}-{utcnow():%Y%m%d-%H%M}.csv"
    body = stream_with_context(generate_csv(seller_id, params, shops_by_id))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _load(request_id: str) -> ReturnRequest:
    return get_for_seller_or_404(ReturnRequest, request_id=request_id)


@bp.get("/<key:request_id>")
@login_required
def detail(request_id: str):
    row = _load(request_id)
    items = q.line_items_for(current_user.id, [row.id]).get(row.id, [])
    shop = row.shop
    if shop is not None:
        shop.authorization  # noqa: B018 - whether it is connected decides the header; loaded in the view
    decided = request.args.get("decided") == "1"  # re-read after the seller's decision finished
    response = render_page(
        "returns/detail.html",
        "panel",
        row=row,
        items=items,
        listings=links_for_skus(current_user.id, [i.seller_sku for i in items if i.seller_sku]),
        shop=shop,
        panels=collect(detail_panels, request=row, decided=decided),
        back_url=request.args.get("back") if _local(request.args.get("back")) else url_for(".index"),
        fragment=is_htmx(),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<key:request_id>/timeline")
@login_required
def timeline(request_id: str):
    """What happened on a request, from what is stored (the detail page loads it lazily). While TikTok's
    records are being fetched by a job, the fragment says so and asks again."""
    row = _load(request_id)
    response = render_page("returns/timeline.html", "timeline", row=row, timeline=build_timeline(row))
    response.headers["Cache-Control"] = "no-store"
    return response


def _local(url: str | None) -> bool:
    """Only same-site grid URLs are used as the "back to the list" link."""
    return bool(url) and url.startswith(url_for(".index")) and "//" not in url and "\\" not in url
