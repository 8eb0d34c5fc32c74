"""``/notifications``: the list (filter by kind, unread only), opening and marking read, the bell
fragment, the alert settings, and the one-click unsubscribe of alert email.

Views read through the tenancy helpers and never compute alerts (jobs do). Reading never writes:
opening a notification is a POST that marks it read and sends the browser on to what it is about.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from connector_app.accounts.models import Seller
from connector_app.extensions import csrf, db
from connector_app.inputs import parse_id
from connector_app.notifications import bp, digest, forget_unread, services, unread
from connector_app.notifications.forms import choices_from, settings_form
from connector_app.notifications.kinds import DIGEST_KIND, EMAIL_MODES
from connector_app.notifications.models import Notification
from connector_app.notifications.paths import read_unsubscribe_token
from connector_app.notifications.preferences import prefs_of
from connector_app.notifications.sources import all_kinds
from connector_app.templating import is_htmx, render_page
from connector_app.tenancy import for_seller, get_for_seller_or_404

PAGE = 30


def _listing(seller_id: int) -> dict:
    kinds = all_kinds()
    kind = request.args.get("kind", "")
    kind = kind if kind in kinds and kind != DIGEST_KIND else ""
    unread_only = request.args.get("show", "") == "unread"
    before = parse_id(request.args.get("before"))
    query = for_seller(Notification, seller_id).where(Notification.in_app.is_(True))
    if kind:
        query = query.where(Notification.kind == kind)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before:
        query = query.where(Notification.id < before)
    rows = list(
        db.session.scalars(
            query.order_by(Notification.id.desc())
            .limit(PAGE + 1)
            .options(selectinload(Notification.deliveries))
        )
    )
    return {
        "notifications": rows[:PAGE],
        "older": rows[PAGE - 1].id if len(rows) > PAGE else None,
        "kind": kind,
        "unread_only": unread_only,
        "kinds": [k for k in kinds.values() if k.key != DIGEST_KIND],
        "unread": unread(seller_id),
        "filtered": bool(kind or unread_only or before),
    }


@bp.get("")
@login_required
def index():
    response = render_page("notifications/index.html", "list", **_listing(current_user.id))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/bell")
@login_required
def bell():
    """The bell alone: the returns grid's live refresh asks for it when requests changed."""
    response = render_page(
        "notifications/_bell.html", "bell", bell_unread=services.unread_count(current_user.id)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _safe_link(link: str) -> str:
    return (
        link if link.startswith("/") and not link.startswith("//") and "\\" not in link else url_for(".index")
    )


@bp.post("/<id:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    notification = get_for_seller_or_404(Notification, notification_id)
    services.mark_read(notification)
    return redirect(_safe_link(notification.link or url_for(".index")), code=303)


@bp.post("/<id:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    notification = get_for_seller_or_404(Notification, notification_id)
    services.mark_read(notification)
    forget_unread()
    if is_htmx():
        context = _listing(current_user.id)
        return render_page("notifications/index.html", "list", **context)
    return redirect(url_for(".index"), code=303)


@bp.post("/read")
@login_required
def mark_all_read():
    marked = services.mark_all_read(current_user.id, parse_id(request.form.get("up_to")))
    forget_unread()
    if is_htmx():
        return render_page("notifications/index.html", "list", **_listing(current_user.id))
    flash(f"{marked} notification{'s' if marked != 1 else ''} marked as read.", "success")
    return redirect(url_for(".index"), code=303)


# -- settings ---------------------------------------------------------------------------------------


def _settings_page(form, saved: str | None = None, status: int = 200):
    kinds = all_kinds()
    groups: dict[str, list] = {}
    for kind in kinds.values():
        if kind.key != DIGEST_KIND:
            groups.setdefault(kind.group, []).append(kind)
    return render_page(
        "notifications/settings.html",
        "settings_form",
        status=status,
        form=form,
        groups=groups,
        digest=kinds[DIGEST_KIND],
        modes=EMAIL_MODES,
        saved=saved,
        email_verified=current_user.email_verified,
    )


@bp.get("/settings")
@login_required
def settings():
    return _settings_page(settings_form(prefs_of(current_user.id)))


@bp.post("/settings")
@login_required
def save_settings():
    form = settings_form()
    if not form.validate():
        return _settings_page(form, status=400)
    services.save_choices(
        current_user.id,
        thresholds=tuple(sorted(set(form.thresholds.data), reverse=True)),
        digest_minute=form.digest_minute.data,
        channels_by_kind=choices_from(form),
    )
    digest.reschedule(current_user, prefs_of(current_user.id))
    message = "Alert settings saved."
    if is_htmx():
        return _settings_page(settings_form(prefs_of(current_user.id)), saved=message)
    flash(message, "success")
    return redirect(url_for(".settings"), code=303)


# -- one-click unsubscribe (no login: the signed link is the credential) -----------------------------


def _unsubscribe_target(token: str) -> tuple[int, str]:
    target = read_unsubscribe_token(token)
    if target is None or target[1] not in all_kinds() or db.session.get(Seller, target[0]) is None:
        abort(404)
    return target


@bp.get("/unsubscribe/<token>")
def unsubscribe(token: str):
    _seller_id, kind = _unsubscribe_target(token)
    return render_page("notifications/unsubscribe.html", kind=all_kinds()[kind], token=token, done=False)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a session or token
def unsubscribe_confirmed(token: str):
    seller_id, kind = _unsubscribe_target(token)
    services.unsubscribe(seller_id, kind)
    return render_page("notifications/unsubscribe.html", kind=all_kinds()[kind], token=token, done=True)
