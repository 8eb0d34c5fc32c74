from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from connector_app.accounts import bp, mail, services, sessions
from connector_app.accounts.forms import LoginForm, SignupForm
from connector_app.accounts.limits import (
    DEVICE_COOKIE,
    DEVICE_MAX_AGE,
    device_cookie_value,
    known_device_seller,
    login_account_limit,
    login_ip_limit,
    signup_limit,
)
from connector_app.accounts.models import Seller
from connector_app.extensions import db
from connector_app.observability.metrics import observe_login_failure

THROTTLED = "Too many attempts. For your security, wait a few minutes before trying again."


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def begin_login(seller: Seller, *, remember: bool, target: str) -> Response:
    """Start a login record, commit, and log this browser in with a fresh session (new CSRF secret).

    Call with the request's other changes flushed: this commits the unit of work.
    """
    known = known_device_seller() == seller.id
    # Nothing from before the login survives it (CSRF secret, OAuth states …) except what another
    # feature asked to keep across the login (``keep_across_login``: a pending App Store install).
    kept = {key: session[key] for key in session.get(KEEP_KEY, ()) if key in session}
    session.clear()
    session.update(kept)
    sessions.start_login(seller, remember=remember)
    db.session.commit()
    login_user(seller, remember=remember, duration=current_app.config["REMEMBER_COOKIE_DURATION"])
    response = redirect(target)
    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie_value(seller.id),
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure,
    )
    if not known:
        mail.send_new_device_notice(seller, request.user_agent.string[:200], request.remote_addr or "unknown")
    return response


CONTINUE_KEY = "continue_after_login"
KEEP_KEY = "keep_across_login"


def keep_across_login(key: str) -> None:
    """Keep this session key when the seller logs in or signs up (the session is cleared otherwise)."""
    keys = list(session.get(KEEP_KEY, ()))
    if key not in keys:
        session[KEEP_KEY] = [*keys, key][-5:]


def continue_after_login(path: str) -> None:
    """Where to go once the seller has logged in or signed up (another feature's pending step)."""
    session[CONTINUE_KEY] = path


def _next_url() -> str:
    return (
        _safe_next(request.args.get("next"))
        or _safe_next(session.pop(CONTINUE_KEY, None))
        or url_for("home.index")
    )


@bp.route("/signup", methods=["GET", "POST"])
@signup_limit
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            seller = services.create_seller(form.email.data, form.password.data, form.timezone.data)
        except services.EmailTaken:
            form.email.errors.append("An account with this email already exists. Log in instead?")
        else:
            response = begin_login(seller, remember=False, target=_next_url())
            mail.send_verification(seller)
            flash("Welcome! Next, connect your Etsy shop and your TikTok Shop.", "success")
            return response
    status = 400 if form.errors else 200
    return render_template("accounts/signup.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@login_ip_limit
@login_account_limit
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        seller = services.authenticate(form.email.data, form.password.data)
        if seller is not None:
            # Read before begin_login clears the session: a pending step (an App Store install) waits.
            return begin_login(seller, remember=bool(form.remember.data), target=_next_url())
        db.session.rollback()
        observe_login_failure()
        form.form_errors.append("That email and password do not match an account.")
        status = 400
    elif form.errors:
        status = 400
    return render_template("accounts/login.html", form=form), status


@bp.errorhandler(429)
def throttled(error):
    """A refused attempt, on the same page, with the same form (Flask-Limiter counted it already)."""
    endpoint = request.endpoint or ""
    if endpoint == "accounts.login":
        form, template = LoginForm(), "accounts/login.html"
    elif endpoint == "accounts.signup":
        form, template = SignupForm(), "accounts/signup.html"
    else:
        from connector_app.errors import render_error

        return render_error(429, THROTTLED)
    form.form_errors.append(THROTTLED)
    return render_template(template, form=form), 429


@bp.post("/logout")
@login_required
def logout():
    sessions.end_login(current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))


from connector_app.accounts import email_routes  # noqa: E402,F401
