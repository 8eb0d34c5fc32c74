from __future__ import annotations

import logging

from flask import redirect, render_template, url_for
from flask_login import current_user

from connector_app.connect.models import CONNECTED, EtsyConnection, TikTokShop
from connector_app.extensions import db
from connector_app.home import bp
from connector_app.tenancy import for_seller

log = logging.getLogger(__name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return render_template("home/landing.html")
    etsy = db.session.execute(for_seller(EtsyConnection).where(EtsyConnection.status == CONNECTED)).first()
    shop = db.session.execute(for_seller(TikTokShop).where(TikTokShop.status == CONNECTED)).first()
    if etsy is None or shop is None:
        return redirect(url_for("connect.index"))
    return redirect(url_for("returns.index"))


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on pages that name no icon (error pages, downloads)."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)
