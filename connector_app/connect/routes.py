"""The connection guide and disconnecting stores. The OAuth flows live in ``etsy_routes`` and
``tiktok_routes``."""

from __future__ import annotations

from flask import flash, redirect, request, session, url_for
from flask_login import current_user, login_required

from connector_app.connect import bp, services
from connector_app.connect.forms import REGIONS, ConfirmForm
from connector_app.connect.guide import build_guide
from connector_app.connect.models import CONNECTED, DISCONNECTED, EtsyConnection, TikTokShop
from connector_app.connect.signals import etsy_step_panels
from connector_app.extensions import db
from connector_app.panels import collect
from connector_app.templating import render_page
from connector_app.tenancy import get_for_seller_or_404

FAILURE_KEY = "connect_failure"


def fail(step: str, message: str, retry_url: str):
    """End a flow on the guide with a plain sentence and a "Try again" button."""
    db.session.rollback()
    session[FAILURE_KEY] = {"step": step, "message": message, "retry_url": retry_url}
    return redirect(url_for("connect.index", _anchor=f"step-{step}"))


@bp.get("")
@login_required
def index():
    guide = build_guide(current_user.id)
    failure = session.pop(FAILURE_KEY, None)
    connected = next((c for c in guide.etsy if c.status == CONNECTED), None)
    etsy_panels = (
        collect(etsy_step_panels, seller_id=current_user.id, connection=connected) if connected else {}
    )
    return render_page(
        "connect/index.html", guide=guide, failure=failure, regions=REGIONS, etsy_panels=etsy_panels
    )


def _confirm_or_act(template: str, action, done: str, **context):
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit() and form.confirmed:
        action()
        flash(done, "success")
        return redirect(url_for("connect.index"))
    return render_page(template, form=ConfirmForm(formdata=None), **context)


@bp.route("/etsy/<id:id>/disconnect", methods=["GET", "POST"])
@login_required
def disconnect_etsy(id: int):
    connection = get_for_seller_or_404(EtsyConnection, id)
    if connection.status == DISCONNECTED:
        return redirect(url_for("connect.index"))
    return _confirm_or_act(
        "connect/disconnect.html",
        lambda: services.disconnect_etsy(connection),
        f"Disconnected your Etsy shop {connection.shop_name}. Its history stays here; reconnect it any time.",
        store=f"your Etsy shop {connection.shop_name}",
        consequences=[
            "Restocking returned items on Etsy stops until you reconnect.",
            "The connector's access to the shop is removed; nothing is deleted on Etsy.",
        ],
        action_url=url_for("connect.disconnect_etsy", id=connection.id),
    )


@bp.route("/tiktok/shops/<id:id>/disconnect", methods=["GET", "POST"])
@login_required
def disconnect_tiktok_shop(id: int):
    shop = get_for_seller_or_404(TikTokShop, id)
    if shop.status == DISCONNECTED:
        return redirect(url_for("connect.index"))
    return _confirm_or_act(
        "connect/disconnect.html",
        lambda: services.disconnect_tiktok_shop(shop),
        f"Disconnected the TikTok Shop {shop.label}. Its synced returns stay here; reconnect it any time.",
        store=f"the TikTok Shop {shop.label}",
        consequences=[
            "Its returns stop syncing and you cannot approve or reject them here until you reconnect.",
            "Returns already synced stay in the list and the history.",
        ],
        action_url=url_for("connect.disconnect_tiktok_shop", id=shop.id),
    )
