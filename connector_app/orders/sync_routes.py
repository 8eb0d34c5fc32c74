"""``POST /orders/sync``: start an order sync of every connected shop; progress and history are on the
Sync page (the same machinery and page as returns)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user, login_required

from connector_app.orders import bp
from connector_app.orders.sync import SUBJECT
from connector_app.sync import services


@bp.post("/sync")
@login_required
def sync_orders():
    full = request.form.get("full") == "1"
    shops = services.connected_shops(current_user.id)
    try:
        for shop in shops:
            services.start_sync(shop, full=full, trigger="manual", subject=SUBJECT)
    except services.SyncUnavailable as exc:
        flash(str(exc))
        return redirect(url_for("orders.index"), 303)
    flash(
        f"Order sync started for {len(shops)} shop{'s' if len(shops) != 1 else ''}."
        if shops
        else "No connected shop to sync."
    )
    return redirect(url_for("sync.index"), 303)
