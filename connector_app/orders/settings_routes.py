"""The "Etsy stock follows TikTok sales" setting (off until the seller confirms it) and the tasks.

Switching it on takes two steps: the form asks, a confirmation page says exactly what will happen,
and only its POST (``confirmed=1``) switches it on. Every write is a CSRF-protected POST.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from connector_app.accounts.preferences import settings_for_update, stock_follows_sales
from connector_app.extensions import db
from connector_app.orders import bp
from connector_app.orders.models import TASK_STATES, StockMove
from connector_app.orders.stock import mark_handled
from connector_app.tenancy import for_seller


@bp.get("/stock")
@login_required
def stock_settings():
    tasks = db.session.scalars(
        for_seller(StockMove, current_user.id)
        .options(selectinload(StockMove.order))  # the page names each task's order: loaded here
        .where(StockMove.state.in_(TASK_STATES))
        .order_by(StockMove.id)
        .limit(200)
    ).all()
    return render_template(
        "orders/stock_settings.html",
        since=stock_follows_sales(current_user.id),
        tasks=tasks,
        confirming=False,
    )


@bp.post("/stock")
@login_required
def stock_settings_save():
    wanted = request.form.get("enabled")
    if wanted not in ("0", "1"):
        abort(400)
    if wanted == "1" and request.form.get("confirmed") != "1":
        return render_template("orders/stock_settings.html", since=None, tasks=[], confirming=True)
    settings = settings_for_update(current_user.id)
    settings.stock_follows_sales = wanted == "1"
    flash(
        "Etsy's stock now follows TikTok sales."
        if wanted == "1"
        else "Etsy's stock no longer follows TikTok sales."
    )
    return redirect(url_for("orders.stock_settings"), 303)


@bp.post("/moves/<id:move_id>/handled")
@login_required
def move_handled(move_id: int):
    move = db.session.scalars(for_seller(StockMove, current_user.id).where(StockMove.id == move_id)).first()
    if move is None:
        abort(404)
    if not mark_handled(current_user.id, move_id):
        flash("That task was already closed.")
    return redirect(url_for("orders.detail", order_pk=move.order_pk), 303)
