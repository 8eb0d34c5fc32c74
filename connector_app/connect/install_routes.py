"""Finishing an install from the TikTok Shop App Store.

The seller started on TikTok, authorized the app and came back with a code and no ``state`` (see
``tiktok_routes._app_store_install``). Without a state nothing proves that this browser asked for the
code, so nothing happens until the logged-in seller confirms it here (a POST with the CSRF token); the
confirmed code then goes through the same steps as a normal connection: token exchange with the app of
the callback it came to, authorized shops, the claims check and the shop choice.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import login_required

from connector_app.connect import bp, pending
from connector_app.connect.clients import tiktok_auth
from connector_app.connect.forms import ConfirmForm
from connector_app.connect.routes import fail
from connector_app.connect.tiktok_apps import tiktok_app
from connector_app.connect.tiktok_routes import connect_authorized
from connector_app.templating import render_page

INSTALL_LOST = (
    "The App Store install took too long (TikTok's code is valid for 30 minutes) or was already used. "
    "Nothing was connected; start the install again from TikTok Shop, or connect from here."
)


@bp.route("/tiktok/install", methods=["GET", "POST"])
@login_required
def tiktok_install():
    held = pending.peek_install()
    if held is None:
        return fail("tiktok", INSTALL_LOST, url_for("connect.tiktok_start"))
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        install = pending.take_install()
        if install is None:
            return fail("tiktok", INSTALL_LOST, url_for("connect.tiktok_start"))
        if not form.confirmed:
            flash("Nothing was connected.", "info")
            return redirect(url_for("connect.index"))
        return connect_authorized(
            lambda: tiktok_auth(install.region_group).get_token(install.code),
            install.region_group,
            url_for("connect.tiktok_start"),
        )
    return render_page(
        "connect/install.html",
        form=ConfirmForm(formdata=None),
        partner_center=tiktok_app(held.region_group).partner_center,
        market="the United States" if held.region_group == "US" else "your market",
    )
