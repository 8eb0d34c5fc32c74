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

from connector_app.connect import bp, services
from connector_app.connect.clients import etsy_client_with_token
from connector_app.connect.failures import ETSY_NO_SHOP, FlowFailed, explain
from connector_app.connect.oauth import ETSY_SCOPES, etsy_oauth, token_timeout
from connector_app.connect.oauth import refused_callback as _refused_callback
from connector_app.connect.routes import fail
from connector_app.marketplaces.errors import MarketplaceError
from connector_app.marketplaces.etsy import parse_token_response
from connector_app.marketplaces.policy import INTERACTIVE
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
        saved = services.save_etsy_connection(
            current_user.id, tokens, me, shop, scopes=str(token.get("scope") or ETSY_SCOPES)
        )
    except services.ConnectFailed as exc:
        return fail("etsy", str(exc), retry)
    except IntegrityError:
        log.info("Etsy shop claimed concurrently by another account")
        return fail("etsy", services.CLAIMED.format(name="This Etsy shop"), retry)
    except FLOW_ERRORS as exc:
        return fail("etsy", explain(exc, "Etsy"), retry)
    message = f"Connected your Etsy shop {saved.connection.shop_name}."
    if saved.replaced is not None:
        message += f" {saved.replaced.shop_name} was disconnected: an account works with one Etsy shop."
    flash(message, "success")
    return redirect(url_for("connect.index"))
