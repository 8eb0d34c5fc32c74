"""Connecting an Etsy shop: Authlib's Flask client, authorization code + PKCE S256, no client secret."""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from flask import current_app, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from connector_app.connect import bp, pending, services
from connector_app.connect.clients import etsy_client_with_token
from connector_app.connect.failures import ETSY_NO_SHOP, FlowFailed, explain
from connector_app.connect.forms import ConfirmForm
from connector_app.connect.oauth import ETSY_SCOPES, etsy_oauth, token_timeout
from connector_app.connect.oauth import refused_callback as _refused_callback
from connector_app.connect.routes import fail
from connector_app.marketplaces.errors import MarketplaceError
from connector_app.marketplaces.etsy import parse_token_response
from connector_app.marketplaces.policy import INTERACTIVE
from connector_app.templating import render_page
from connector_app.transactions import commits_on_get

log = logging.getLogger(__name__)
FLOW_ERRORS = (AuthlibBaseError, MarketplaceError, FlowFailed, requests.RequestException, ValueError)


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def callback_url(endpoint: str) -> str:
    """The absolute callback URL: from PUBLIC_BASE_URL (always set in production).

    Without it (development), the request's host is used only when it is a loopback name; any other
    Host header gets the loopback address instead, so a forged Host never becomes the redirect URI.
    """
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint)
    host = request.host if urlsplit(f"//{request.host}").hostname in LOOPBACK_HOSTS else None
    return f"{request.scheme}://{host or '127.0.0.1:' + os.environ.get('PORT', '5000')}{url_for(endpoint)}"


@bp.get("/etsy")
@login_required
def etsy_start():
    return etsy_oauth().authorize_redirect(callback_url("connect.etsy_callback"), scope=ETSY_SCOPES)


@bp.get("/etsy/callback")
@login_required
@commits_on_get
def etsy_callback():
    retry = url_for("connect.etsy_start")
    refused = _refused_callback(etsy_oauth(), "Etsy")
    if refused is not None:
        return fail("etsy", refused, retry)
    try:
        token = etsy_oauth().authorize_access_token(timeout=token_timeout())
        tokens = parse_token_response(dict(token))
        client = etsy_client_with_token(tokens.access_token, INTERACTIVE)
        me = client.get_me()
        if not me.shop_id:
            raise FlowFailed(ETSY_NO_SHOP)
        shop = client.get_shop(me.shop_id)
        scopes = str(token.get("scope") or ETSY_SCOPES)
        current = services.other_etsy_connection(current_user.id, shop)  # raises StoreClaimed
        if current is not None:  # a different shop than the connected one: ask before swapping
            pending.hold_etsy_switch(current_user.id, pending.PendingEtsySwitch(tokens, me, shop, scopes))
            return redirect(url_for("connect.etsy_switch"))
        saved = services.save_etsy_connection(current_user.id, tokens, me, shop, scopes=scopes)
    except services.ConnectFailed as exc:
        return fail("etsy", str(exc), retry)
    except IntegrityError:
        log.info("Etsy shop claimed concurrently by another account")
        return fail("etsy", services.CLAIMED.format(name="This Etsy shop"), retry)
    except FLOW_ERRORS as exc:
        return fail("etsy", explain(exc, "Etsy"), retry)
    flash(f"Connected your Etsy shop {saved.connection.shop_name}.", "success")
    return redirect(url_for("connect.index"))


@bp.route("/etsy/switch", methods=["GET", "POST"])
@login_required
def etsy_switch():
    """The seller signed in to Etsy as another shop than the connected one: say what switching does,
    and switch only when the seller confirms (an account works with one Etsy shop)."""
    held = pending.load_etsy_switch(current_user.id)
    current = services.current_etsy_connection(current_user.id)
    if held is None or current is None:
        pending.drop_etsy_switch(current_user.id)
        flash(
            "That Etsy sign-in is no longer waiting; nothing was changed. Connect Etsy again if you meant to."
        )
        return redirect(url_for("connect.index"))
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        pending.drop_etsy_switch(current_user.id)
        if not form.confirmed:
            flash(f"Kept {current.shop_name} connected; nothing was changed.", "info")
            return redirect(url_for("connect.index"))
        try:
            saved = services.save_etsy_connection(
                current_user.id, held.tokens, held.me, held.shop, scopes=held.scopes
            )
        except services.ConnectFailed as exc:
            return fail("etsy", str(exc), url_for("connect.etsy_start"))
        new, old = saved.connection.shop_name, current.shop_name
        flash(
            f"Switched to your Etsy shop {new}. {old} is disconnected and its listings were removed from "
            f"the connector. {new}'s listings are being fetched: in a minute this page shows how many of "
            "your TikTok SKUs they match.",
            "success",
        )
        return redirect(url_for("connect.index"))
    return render_page(
        "connect/etsy_switch.html", form=ConfirmForm(formdata=None), current=current, new=held.shop
    )
