from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from connector_app.accounts import bp, services
from connector_app.accounts.forms import LoginForm, SignupForm
from connector_app.extensions import db


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


CONTINUE_KEY = "continue_after_login"


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
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            seller = services.create_seller(form.email.data, form.password.data)
        except services.EmailTaken:
            form.email.errors.append("An account with this email already exists. Log in instead?")
        else:
            db.session.commit()
            login_user(seller)
            flash("Welcome! Next, connect your Etsy shop and your TikTok Shop.", "success")
            return redirect(_next_url())
    status = 400 if form.errors else 200
    return render_template("accounts/signup.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        addr = request.remote_addr or "unknown"
        limit = current_app.config["LOGIN_MAX_FAILURES"]
        window = current_app.config["LOGIN_LOCKOUT_SECONDS"]
        if services.recent_failures(form.email.data, addr, window) >= limit:
            minutes = max(1, window // 60)
            form.form_errors.append(
                f"Too many failed attempts. For your security, try again in {minutes} minutes."
            )
            return render_template("accounts/login.html", form=form), 429
        seller = services.find_by_email(form.email.data)
        if seller is not None and services.check_password(seller, form.password.data):
            services.clear_failures(form.email.data)
            services.record_login(seller)
            db.session.commit()
            login_user(seller, remember=form.remember.data)
            return redirect(_next_url())
        services.record_failure(form.email.data, addr, seller)
        db.session.commit()
        form.form_errors.append("That email and password do not match an account.")
        status = 400
    elif form.errors:
        status = 400
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))
