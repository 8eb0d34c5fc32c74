"""``/settings``: returns preferences and the account. One page; each section is its own plain form
that htmx submits in place (the section re-renders with a confirmation); without JavaScript the form
posts and the page comes back with a flash message.
"""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user, login_required, login_user, logout_user

from connector_app.accounts import services as account_services
from connector_app.accounts.preferences import get_settings, settings_for_update
from connector_app.connect.models import EtsyConnection, TikTokShop
from connector_app.extensions import db
from connector_app.settings import bp, services
from connector_app.settings.forms import AccountForm, DeleteAccountForm, PasswordForm, returns_form_for
from connector_app.sync import schedule
from connector_app.templating import is_htmx, render_page
from connector_app.tenancy import for_seller
from connector_app.timeutil import utcnow

TEMPLATE = "settings/index.html"


def _shops() -> list[TikTokShop]:
    return list(db.session.scalars(for_seller(TikTokShop).order_by(TikTokShop.name, TikTokShop.id)))


def _page(block: str | None = None, status: int = 200, saved: str | None = None, **forms):
    shops = forms.pop("shops", None) or _shops()
    settings = get_settings(current_user.id)
    sync_states = schedule.states_by_shop(current_user.id)
    states = {shop.id: sync_states.get(shop.id) or schedule.read_state(shop) for shop in shops}
    returns_form = forms.get("returns_form") or returns_form_for(shops)
    if "returns_form" not in forms:
        returns_form.restock_on_complete.data = settings.restock_on_complete
        returns_form.default_shop.data = settings.default_shop_id or 0
        returns_form.page_size.data = settings.page_size
        for shop in shops:
            returns_form[f"interval_{shop.id}"].data = states[shop.id].sync_interval_minutes
    account_form = forms.get("account_form") or AccountForm(
        formdata=None, timezone=current_user.timezone, date_format=current_user.date_format
    )
    context = {
        "shops": shops,
        "sync_states": states,
        "returns_form": returns_form,
        "account_form": account_form,
        "password_form": forms.get("password_form") or PasswordForm(formdata=None),
        "delete_form": forms.get("delete_form") or DeleteAccountForm(formdata=None),
        "etsy_connections": list(db.session.scalars(for_seller(EtsyConnection).order_by(EtsyConnection.id))),
        "saved": saved,
        "now_utc": utcnow(),
        "saved_section": block,
    }
    return render_page(TEMPLATE, block, status=status, **context)


def _saved(block: str, anchor: str, message: str, **forms):
    if is_htmx():
        return _page(block, saved=message, **forms)
    flash(message, "success")
    return redirect(url_for("settings.index", _anchor=anchor))


@bp.get("")
@login_required
def index():
    return _page()


@bp.post("/returns")
@login_required
def save_returns():
    shops = _shops()
    form = returns_form_for(shops)
    if not form.validate_on_submit():
        return _page("returns_section", status=400, shops=shops, returns_form=form)
    by_id = {shop.id: shop for shop in shops}
    for shop in shops:
        schedule.set_sync_interval(shop, form[f"interval_{shop.id}"].data)
    services.save_returns_settings(
        settings_for_update(current_user.id),
        restock_on_complete=form.restock_on_complete.data,
        default_shop=by_id.get(form.default_shop.data),
        page_size=form.page_size.data,
    )
    return _saved("returns_section", "returns", "Returns settings saved.")


@bp.post("/account")
@login_required
def save_account():
    form = AccountForm()
    if not form.validate_on_submit():
        return _page("account_section", status=400, account_form=form)
    services.save_account_preferences(
        current_user, timezone=form.timezone.data, date_format=form.date_format.data
    )
    return _saved("account_section", "account", "Timezone and date format saved.")


@bp.post("/password")
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit() and not account_services.check_password(
        current_user, form.current_password.data
    ):
        form.current_password.errors.append("That is not your current password.")
    elif form.validate_on_submit():
        seller = current_user._get_current_object()
        account_services.set_password(seller, form.new_password.data)
        db.session.commit()
        login_user(seller)  # the session token rotated: keep THIS session, end the others
        return _saved("password_section", "password", "Password changed. Your other devices are logged out.")
    return _page("password_section", status=400, password_form=form)


@bp.post("/delete")
@login_required
def delete_account():
    form = DeleteAccountForm()
    if form.validate_on_submit() and not account_services.check_password(current_user, form.password.data):
        form.password.errors.append("That is not your password.")
    elif form.validate_on_submit():
        seller = current_user._get_current_object()
        logout_user()
        services.delete_account(seller)
        db.session.commit()
        flash("Your account and all its data were deleted.", "info")
        if is_htmx():  # a redirect would be followed inside the XHR: tell htmx to navigate instead
            return "", 200, {"HX-Redirect": url_for("accounts.login")}
        return redirect(url_for("accounts.login"))
    return _page("delete_section", status=400, delete_form=form)
