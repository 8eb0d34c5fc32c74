"""Sync views: start (POST /sync), progress fragments, the nav indicator, and the runs history."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.inputs import parse_id, parse_key
from connector_app.sync import bp, schedule, services
from connector_app.sync.models import SyncRun
from connector_app.templating import is_htmx, render_page
from connector_app.tenancy import for_seller, get_for_seller_or_404

MAX_POLLED_RUNS = 20
HTMX_STOP_POLLING = 286


def _poll_url(runs: list[SyncRun]) -> str | None:
    return url_for("sync.progress", run=[run.id for run in runs]) if runs else None


def _shops_to_sync() -> list[TikTokShop]:
    """The shop named in the form (another seller's id is a 404), or every connected shop."""
    shop_id = (request.form.get("shop") or "").strip()
    if not shop_id:
        return services.connected_shops(current_user.id)
    ident = parse_id(shop_id)
    if ident is None:
        abort(404)
    shop = get_for_seller_or_404(TikTokShop, ident)
    return [shop] if shop.is_connected else []


@bp.get("")
@login_required
def index():
    runs = services.recent_runs(current_user.id)
    shops = db.session.scalars(for_seller(TikTokShop).order_by(TikTokShop.name, TikTokShop.id))
    states = schedule.states_by_shop(current_user.id)
    shop_rows = []
    for shop in shops:
        state = states.get(shop.id) or schedule.read_state(shop)
        shop_rows.append((shop, state, schedule.is_stale(state)))
    return render_page(
        "sync/index.html",
        "history",
        runs=runs,
        shops=shop_rows,
        sync_shops=services.connected_shops(current_user.id),
        active=services.active_runs(current_user.id),
    )


@bp.post("")
@login_required
def start():
    shops = _shops_to_sync()
    full = request.form.get("full") == "1"
    error = None
    runs: list[SyncRun] = []
    if not shops:
        error = "There is no connected TikTok Shop to sync. Connect (or reconnect) a shop first."
    else:
        already = {run.id for run in services.active_runs(current_user.id)}
        try:
            runs = services.start_syncs(shops, full=full)
        except services.SyncUnavailable as exc:
            error = str(exc)
    if is_htmx():
        status = 200 if runs else (503 if shops else 409)
        return render_page(
            "sync/progress.html", "progress", status=status, runs=runs, poll_url=_poll_url(runs), error=error
        )
    if error:
        flash(error, "error")
    for run in runs:
        label = run.shop.label
        if run.id in already:
            flash(f"A sync of {label} is already running; showing its progress.", "info")
        else:
            kind = "Full resync" if run.kind == services.FULL else "Sync"
            flash(f"{kind} of {label} started: the progress bar below shows how far it is.", "success")
    return redirect(url_for("returns.index"))


@bp.get("/progress")
@login_required
def progress():
    """The progress fragment of the runs named by ``run=`` (polled every second by htmx).

    Once none of them is active it answers 286 (htmx stops polling) with ``HX-Trigger:
    returns-changed, sync-finished`` so the grid and its tab counts (and the products list) refresh,
    and a summary of what changed.
    """
    ids = [parse_key(run_id) for run_id in request.args.getlist("run")[:MAX_POLLED_RUNS]]
    if not ids or None in ids:
        abort(404)
    runs = [get_for_seller_or_404(SyncRun, run_id) for run_id in ids]
    response = render_page("sync/progress.html", "progress", runs=runs, poll_url=_poll_url(runs))
    if is_htmx() and not any(run.is_active for run in runs):
        response.status_code = HTMX_STOP_POLLING
        # returns-changed: the returns grid reloads; sync-finished: any other list that shows synced data
        response.headers["HX-Trigger"] = "returns-changed, sync-finished"
    return response


@bp.get("/runs/<key:run_id>")
@login_required
def run(run_id: str):
    sync_run = get_for_seller_or_404(SyncRun, run_id)
    return render_page(
        "sync/run.html", "progress", run=sync_run, runs=[sync_run], poll_url=_poll_url([sync_run])
    )


@bp.get("/indicator")
@login_required
def indicator():
    """The nav indicator (an <li>), polled every 2 s while a sync runs; 286 and empty when none does."""
    runs = services.active_runs(current_user.id)
    response = make_response(render_template("sync/_indicator.html", indicator_runs=runs))
    response.headers["Vary"] = "HX-Request"
    if not runs:
        response.status_code = HTMX_STOP_POLLING
    return response
