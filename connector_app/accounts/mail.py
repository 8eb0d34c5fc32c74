"""Email to sellers (Flask-Mailman over SMTP): sign-up verification, password reset, new-device and
throttling notices.

Messages are handed to a background thread once built (after the view's commit), so a slow SMTP
server never holds up the page; the test backend (``locmem``) delivers at once so tests can read the
outbox. ``can_email`` is the one gate for alert email: nothing but the verification link goes to an
address the seller has not confirmed.
"""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, current_app, render_template, url_for
from flask_mailman import EmailMessage, Mail
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from connector_app.accounts.models import Seller

log = logging.getLogger(__name__)
mail = Mail()
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail")

RESET_MAX_AGE = 30 * 60
VERIFY_MAX_AGE = 7 * 24 * 3600


def init_app(app: Flask) -> None:
    mail.init_app(app)


def can_email(seller: Seller) -> bool:
    """May alert email (sync failures, deadlines, ...) go to this seller? Only once verified."""
    return seller.email_verified


# -- signed links -----------------------------------------------------------------------------------


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"accounts-{purpose}")


def _password_fingerprint(seller: Seller) -> str:
    # Changes with the password: a used reset link (or one made before a change) stops working.
    return hashlib.sha256(seller.password_hash.encode()).hexdigest()[:20]


def reset_token(seller: Seller) -> str:
    return _serializer("reset").dumps({"s": seller.id, "p": _password_fingerprint(seller)})


def verify_token(seller: Seller) -> str:
    return _serializer("verify").dumps({"s": seller.id, "e": seller.email_key})


def read_reset_token(token: str, load) -> Seller | None:
    """The seller a reset link is for, if it is genuine, under 30 minutes old and unused."""
    try:
        data = _serializer("reset").loads(token, max_age=RESET_MAX_AGE)
        seller = load(int(data["s"]))
    except (BadSignature, SignatureExpired, KeyError, TypeError, ValueError):
        return None
    if seller is None or data.get("p") != _password_fingerprint(seller):
        return None
    return seller


def read_verify_token(token: str, load) -> Seller | None:
    try:
        data = _serializer("verify").loads(token, max_age=VERIFY_MAX_AGE)
        seller = load(int(data["s"]))
    except (BadSignature, SignatureExpired, KeyError, TypeError, ValueError):
        return None
    if seller is None or data.get("e") != seller.email_key:
        return None
    return seller


# -- sending ----------------------------------------------------------------------------------------


def _deliver(app: Flask, message: EmailMessage) -> None:
    with app.app_context():
        try:
            message.send()
        except Exception as exc:  # SMTP down: the page already answered; say so in the log only
            log.warning("email %r could not be sent (%s)", message.subject, type(exc).__name__)


def send(to: str, subject: str, template: str, **context) -> None:
    """Render ``templates/accounts/email/<template>.txt`` and send it without blocking the request."""
    body = render_template(f"accounts/email/{template}.txt", **context)
    message = EmailMessage(subject=subject, body=body, to=[to])
    app = current_app._get_current_object()
    if "locmem" in str(app.config.get("MAIL_BACKEND") or ""):
        _deliver(app, message)
    else:
        _executor.submit(_deliver, app, message)


def _link(endpoint: str, **values) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def send_verification(seller: Seller) -> None:
    link = _link("accounts.verify_email", token=verify_token(seller))
    send(seller.email, "Confirm your email address", "verify", seller=seller, link=link)


def send_password_reset(seller: Seller) -> None:
    # A reset link is the one message besides verification an unverified address may get: the seller
    # asked for it on the page, and it proves they own the address.
    link = _link("accounts.reset_password", token=reset_token(seller))
    send(seller.email, "Reset your password", "reset", seller=seller, link=link, minutes=RESET_MAX_AGE // 60)


def send_new_device_notice(seller: Seller, user_agent: str, address: str) -> None:
    if can_email(seller):
        send(seller.email, "New log-in to your account", "new_device", agent=user_agent, address=address)


def send_throttled_notice(seller: Seller, address: str) -> None:
    if can_email(seller):
        send(seller.email, "Someone is trying to log in to your account", "throttled", address=address)
