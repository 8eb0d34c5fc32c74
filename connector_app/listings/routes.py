"""The seller's Etsy listings as the connector knows them (SKU → listing, stock), with a refresh button."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from connector_app.extensions import db
from connector_app.listings import bp, restock, services
from connector_app.listings.jobs import ALREADY, QUEUED, enqueue_refresh
from connector_app.listings.models import EtsyListing, ListingRefresh
from connector_app.listings.tasks import etsy_tasks_for
from connector_app.returns.models import ReturnRequest
from connector_app.templating import is_htmx, render_page
from connector_app.tenancy import for_seller, get_for_seller, get_for_seller_or_404

PAGE_LIMIT = 500


@bp.get("")
@login_required
def index():
    """The connected Etsy shop's listings (none while no Etsy shop is connected)."""
    connection = services.connected_etsy(current_user.id)
    listings, refresh = [], None
    if connection is not None:
        listings = db.session.scalars(
            for_seller(EtsyListing)
            .where(EtsyListing.etsy_connection_id == connection.id)
            .options(selectinload(EtsyListing.skus))
            .order_by(EtsyListing.title, EtsyListing.id)
            .limit(PAGE_LIMIT)
        ).all()
        refresh = get_for_seller(ListingRefresh, current_user.id, etsy_connection_id=connection.id)
    return render_page(
        "listings/index.html", listings=listings, refresh=refresh, connection=connection, limit=PAGE_LIMIT
    )


@bp.post("/refresh")
@login_required
def refresh():
    connection = services.connected_etsy(current_user.id)
    if connection is None:
        flash("Connect your Etsy shop first.", "warning")
    else:
        cooldown = current_app.config["LISTINGS_REFRESH_COOLDOWN_SECONDS"]
        outcome = enqueue_refresh(connection, cooldown=cooldown)
        if outcome == QUEUED:
            flash("Fetching your Etsy listings now; reload this page in a minute.", "info")
        elif outcome == ALREADY:
            flash("Your Etsy listings are being fetched already; reload this page in a minute.", "info")
        else:
            minutes = max(1, cooldown // 60)
            flash(
                f"Your listings were refreshed a moment ago. You can refresh again in {minutes} minutes.",
                "info",
            )
    return redirect(url_for("listings.index"))


@bp.post("/restock/<key:request_id>/handled")
@login_required
def restock_handled(request_id: str):
    """Close a "your turn" restock task (form field ``sku``) the seller has dealt with on Etsy."""
    return_request = get_for_seller_or_404(ReturnRequest, request_id=request_id)
    sku = (request.form.get("sku") or "").strip()[:128]
    closed = restock.mark_handled(current_user.id, return_request.id, sku)
    if is_htmx():  # the Etsy panel shows the task's state now, whichever way it went
        return render_template(
            "listings/_etsy_tasks.html", rr=return_request, et=etsy_tasks_for(return_request)
        )
    if closed:
        flash(f"Marked SKU {sku} as handled on Etsy.", "success")
    else:
        flash("That Etsy task is not waiting for you any more; nothing was changed.", "warning")
    return redirect(url_for("returns.detail", request_id=request_id))
