"""Connecting TikTok Shop: region → Authlib authorize/callback (TikTok's token exchange, see ``oauth``)
→ Get Authorized Shops → the seller picks the shops when the authorization covers several.

Each of the two TikTok apps has its own redirect URL: ``/connect/tiktok/callback`` for the global
Partner Center's app, ``/connect/tiktok/us/callback`` for the US one's — so a callback always knows
which app's credentials exchange its code, even when it carries no ``state`` (an App Store install,
see ``install_routes``)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from flask import flash, redirect, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from connector_app.accounts.routes import continue_after_login, keep_across_login
from connector_app.connect import bp, pending, services
from connector_app.connect.clients import tiktok_client_for_authorization
from connector_app.connect.etsy_routes import FLOW_ERRORS
from connector_app.connect.failures import PENDING_LOST, TIKTOK_NO_SHOP, FlowFailed, explain
from connector_app.connect.forms import REGIONS, ShopChoiceForm, region_group
from connector_app.connect.models import CONNECTED, TikTokAuthorization
from connector_app.connect.oauth import refused_callback as _refused_callback
from connector_app.connect.oauth import tiktok_oauth, token_timeout
from connector_app.connect.routes import fail
from connector_app.connect.tiktok_apps import ROW, US
from connector_app.extensions import login_manager
from connector_app.forms import choices
from connector_app.marketplaces.policy import INTERACTIVE
from connector_app.marketplaces.tiktok import Shop, TokenSet
from connector_app.templating import render_page
from connector_app.transactions import commits_on_get

log = logging.getLogger(__name__)
REGION_KEY = "connect_tiktok_region"


def _retry_url() -> str:
    region = (session.get(REGION_KEY) or {}).get("region")
    return url_for("connect.tiktok_start", region=region) if region else url_for("connect.tiktok_start")


@bp.get("/tiktok")
@login_required
def tiktok_start():
    region = (request.args.get("region") or "").upper()
    if region not in REGIONS:
        return render_page("connect/region.html", regions=REGIONS, selected=region or None)
    group = region_group(region)
    session[REGION_KEY] = {"region": region, "group": group}
    return tiktok_oauth(group).authorize_redirect()


def token_set(token: Mapping[str, Any]) -> TokenSet:
    """The marketplace ``TokenSet`` from the token Authlib returned (see ``oauth.tiktok_token_response``)."""
    return TokenSet(
        access_token=token["access_token"],
        access_token_expires_at=int(token["expires_at"]),
        refresh_token=token.get("refresh_token") or "",
        refresh_token_expires_at=int(token.get("refresh_token_expires_at") or 0),
        open_id=token.get("open_id") or "",
        seller_name=token.get("seller_name") or "",
        seller_base_region=token.get("seller_base_region") or "",
        granted_scopes=tuple((token.get("scope") or "").split()),
    )


def _authorized_shops(tokens: TokenSet, group: str) -> list[Shop]:
    # Not saved yet: a throw-away authorization carries the brand-new token to Get Authorized Shops.
    authorization = TikTokAuthorization(
        status=CONNECTED, access_token=tokens.access_token, region_group=group
    )
    client = tiktok_client_for_authorization(authorization, INTERACTIVE)  # the seller waits on this page
    client.on_token_expired = None  # a token issued a second ago cannot be renewed from an unsaved row
    return client.get_authorized_shops()


def _names(shops) -> str:
    labels = [s.label for s in shops]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _connect(tokens: TokenSet, group: str, shops: list[Shop]):
    before = services.connected_shop_ids(current_user.id)
    connected = services.save_tiktok_connection(current_user.id, tokens, group, shops)
    new = [s for s in connected if s.shop_id not in before]
    renewed = [s for s in connected if s.shop_id in before]
    parts = []
    if new:
        shop_word = "TikTok Shop" if len(new) == 1 else "TikTok Shops"
        whose = "Its" if len(new) == 1 else "Their"
        parts.append(f"Connected your {shop_word} {_names(new)}. {whose} returns are syncing now.")
    if renewed:
        parts.append(f"Renewed the connection of {_names(renewed)}.")
    flash(" ".join(parts), "success")
    return redirect(url_for("connect.index"))


def _app_store_install(group: str, code: str):
    """An install from TikTok's App Store: a code and no state. The code is kept server-side for its
    30-minute life while the seller logs in or signs up, then confirms the install (``install_routes``)."""
    pending.hold_install(pending.PendingInstall(region_group=group, code=code))
    confirm = url_for("connect.tiktok_install")
    if current_user.is_authenticated:
        return redirect(confirm)
    continue_after_login(confirm)
    keep_across_login(pending.INSTALL_KEY)  # the code waits server-side; its id survives the log-in
    flash("Log in, or create your account, to finish installing the connector for your TikTok Shop.", "info")
    return redirect(url_for("accounts.login"))


def _callback(group: str):
    if request.args.get("code") and not request.args.get("state") and not request.args.get("error"):
        return _app_store_install(group, request.args["code"])
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    retry = _retry_url()
    refused = _refused_callback(tiktok_oauth(group), "TikTok Shop")
    if refused is not None:
        return fail("tiktok", refused, retry)
    return connect_authorized(
        lambda: token_set(tiktok_oauth(group).authorize_access_token(timeout=token_timeout())),
        group,
        retry,
    )


@bp.get("/tiktok/callback")
@commits_on_get
def tiktok_callback():
    """The global Partner Center app's redirect URL."""
    return _callback(ROW)


@bp.get("/tiktok/us/callback")
@commits_on_get
def tiktok_us_callback():
    """The US Partner Center app's redirect URL."""
    return _callback(US)


def connect_authorized(get_tokens: Callable[[], TokenSet], group: str, retry: str):
    """After TikTok's consent: tokens → authorized shops → claims check → connect, or the shop choice."""
    try:
        tokens = get_tokens()
        shops = _authorized_shops(tokens, group)
        if not shops:
            raise FlowFailed(TIKTOK_NO_SHOP)
        services.check_tiktok_claim(current_user.id, tokens)
        claimed = services.claimed_shop_ids(current_user.id, [s.id for s in shops])
        available = [s for s in shops if s.id not in claimed]
        if not available:
            raise services.StoreClaimed(
                services.CLAIMED.format(name="The TikTok Shop " + ", ".join(s.name for s in shops))
            )
        if len(shops) == 1:
            return _connect(tokens, group, shops)
    except services.ConnectFailed as exc:
        return fail("tiktok", str(exc), retry)
    except IntegrityError:
        return fail("tiktok", services.CLAIMED.format(name="This TikTok Shop"), retry)
    except FLOW_ERRORS as exc:
        return fail("tiktok", explain(exc, "TikTok Shop"), retry)
    pending.hold(current_user.id, pending.PendingAuthorization(tokens, group, tuple(shops)))
    return redirect(url_for("connect.tiktok_choose"))


def _choice_form(held: pending.PendingAuthorization, hidden: set[str], formdata=None) -> ShopChoiceForm:
    """The shops to choose from: the authorization's shops that are neither another account's nor
    already connected to this one (those stay connected, whatever is ticked)."""
    form = ShopChoiceForm() if formdata is None else ShopChoiceForm(formdata=formdata)
    form.shops.choices = choices((s.id, f"{s.name} ({s.region})") for s in held.shops if s.id not in hidden)
    return form


@bp.route("/tiktok/shops", methods=["GET", "POST"])
@login_required
def tiktok_choose():
    held = pending.load(current_user.id)
    if held is None:
        return fail("tiktok", PENDING_LOST, _retry_url())
    claimed = services.claimed_shop_ids(current_user.id, [s.id for s in held.shops])
    mine = services.connected_shop_ids(current_user.id) & {s.id for s in held.shops}
    form = _choice_form(held, claimed | mine)
    if request.method == "POST" and request.form.get("cancel"):
        pending.drop(current_user.id)
        flash("Nothing was connected.", "info")
        return redirect(url_for("connect.index"))
    if not form.shops.choices and mine:  # nothing new to choose: renew the connected shops
        shops = [s for s in held.shops if s.id in mine]
        pending.drop(current_user.id)
        return _connect(held.tokens, held.region_group, shops)
    if form.validate_on_submit():
        # The chosen new shops, and the already connected ones of this authorization (renewed).
        shops = [s for s in held.shops if s.id in set(form.shops.data) | mine]
        try:
            response = _connect(held.tokens, held.region_group, shops)
        except services.ConnectFailed as exc:
            pending.drop(current_user.id)
            return fail("tiktok", str(exc), _retry_url())
        except IntegrityError:
            pending.drop(current_user.id)
            return fail("tiktok", services.CLAIMED.format(name="This TikTok Shop"), _retry_url())
        pending.drop(current_user.id)
        return response
    if request.method == "GET":  # the shops of the region the seller chose, else every new one
        region = (session.get(REGION_KEY) or {}).get("region")
        offered = [c.value for c in form.shops.choices]
        in_region = [s.id for s in held.shops if s.id in offered and s.region == region]
        form.shops.data = in_region or offered
    return render_page(
        "connect/choose_shops.html",
        form=form,
        held=held,
        claimed=[s for s in held.shops if s.id in claimed],
        already=[s for s in held.shops if s.id in mine],
    )
