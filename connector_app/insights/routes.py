"""Insights routes: the page (full, or its body for htmx) and the CSV of each of its tables.

Views read only what is stored (the summary tables and the refresh state); they never write and
never call a marketplace.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, request
from flask_login import current_user, login_required

from connector_app.insights import bp
from connector_app.insights import reasons as r
from connector_app.insights.export import TABLES, rows_for, to_csv
from connector_app.insights.page import gather
from connector_app.insights.periods import DEFAULT_PERIOD, GRAINS, PERIODS
from connector_app.templating import render_page
from connector_app.timeutil import utcnow


@bp.get("")
@login_required
def index():
    context = gather(current_user.id)
    response = render_page(
        "insights/index.html",
        "insights",
        periods=PERIODS,
        default_period=DEFAULT_PERIOD,
        grains=GRAINS,
        types=r.TYPES,
        fault_labels=r.FAULT_LABELS,
        today=utcnow().date(),
        one_week=timedelta(days=7),
        **context,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/export.csv")
@login_required
def export():
    table = request.args.get("table", "")
    if table not in TABLES:
        abort(404)
    context = gather(current_user.id, all_products=True)
    report, params = context["report"], context["params"]
    if report is None:
        abort(404)
    filename = f"insights-{table}-{params.first_date:%Y%m%d}-{params.last_date:%Y%m%d}.csv"
    response = Response(to_csv(rows_for(table, report)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
