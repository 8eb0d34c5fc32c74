"""The pages behind the emailed links: confirming the address and resetting a forgotten password.

Opening a link (GET) only shows a page with a button; the change is a POST, so a GET never writes
and a mail scanner that follows links changes nothing.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from connector_app.accounts import bp, mail, services
from connector_app.accounts.forms import ResetPasswordForm, ResetRequestForm
from connector_app.accounts.limits import reauth_limit, reset_account_limit, reset_ip_limit
from connector_app.extensions import db

SENT = "If an account uses that address, a link to reset its password is on its way. It works for 30 minutes."
LINK_BAD = "This link has expired or was already used. Ask for a new one below."


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify_email(token: str):
    seller = mail.read_verify_token(token[:512], services.get_seller)
    form = FlaskForm()
    if seller is None:
        flash("This confirmation link is not valid any more. Log in to send a new one.", "warning")
        return redirect(url_for("accounts.login"))
    if form.validate_on_submit():
        services.mark_email_verified(seller)
        db.session.commit()
        flash("Thank you: your email address is confirmed.", "success")
        return redirect(url_for("home.index"))
    return render_template("accounts/verify.html", form=form, email=seller.email)


@bp.post("/verify/resend")
@login_required
@reauth_limit
def resend_verification():
    FlaskForm().validate_on_submit() or flash("This form expired; please try again.", "warning")
    if not current_user.email_verified:
        mail.send_verification(current_user._get_current_object())
        flash(f"We sent a new confirmation link to {current_user.email}.", "info")
    return redirect(url_for("home.index"))


@bp.route("/reset", methods=["GET", "POST"])
@reset_ip_limit
@reset_account_limit
def forgot_password():
    form = ResetRequestForm()
    if form.validate_on_submit():
        seller = services.find_by_email(form.email.data)
        if seller is not None:
            mail.send_password_reset(seller)
        flash(SENT, "info")  # the same answer whether or not the account exists
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    seller = mail.read_reset_token(token[:512], services.get_seller)
    if seller is None:
        flash(LINK_BAD, "warning")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.set_password(seller, form.password.data)  # ends every login of this account
        db.session.commit()
        flash("Your password was changed and every device was logged out. Log in with it now.", "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form), 400 if form.errors else 200
