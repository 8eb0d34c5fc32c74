"""The seller's Etsy listings as the connector knows them (SKU → listing, stock), with a refresh button."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from connector_app.extensions import db
from connector_app.listings import bp, services
from connector_app.listings.jobs import enqueue_refresh
from connector_app.listings.models import EtsyListing, ListingRefresh
from connector_app.templating import render_page
from connector_app.tenancy import for_seller

PAGE_LIMIT = 500


@bp.get("")
@login_required
def index():
    listings = db.session.scalars(
        for_seller(EtsyListing)
        .options(selectinload(EtsyListing.skus))
        .order_by(EtsyListing.title, EtsyListing.id)
        .limit(PAGE_LIMIT)
    ).all()
    refreshes = db.session.scalars(for_seller(ListingRefresh)).all()
    connection = services.connected_etsy(current_user.id)
    return render_page(
        "listings/index.html", listings=listings, refreshes=refreshes, connection=connection, limit=PAGE_LIMIT
    )


@bp.post("/refresh")
@login_required
def refresh():
    connection = services.connected_etsy(current_user.id)
    if connection is None:
        flash("Connect your Etsy shop first.", "warning")
    else:
        enqueue_refresh(connection)
        flash("Fetching your Etsy listings now; reload this page in a minute.", "info")
    return redirect(url_for("listings.index"))
