"""Email: alerts through the product's mail setup (Flask-Mailman over SMTP; the test backend is locmem).

Only to a confirmed address (``accounts.mail.can_email``). One message per batch of one seller's
notifications of one kind (a first sync that finds five requests due soon sends one email listing
five). Every message carries a one-click unsubscribe for its kind — ``List-Unsubscribe`` with
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), so a mail client's button works, and
the same link in the text — and a ``Message-ID`` derived from its first delivery.

The SMTP connection (connect, STARTTLS, login) is opened before any delivery is claimed, so the window
in which the sender can die without knowing whether the server took a message is the SMTP
transaction itself.
"""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parseaddr

from flask import current_app, render_template
from flask_mailman import EmailMultiAlternatives

from connector_app.accounts.mail import can_email, mail
from connector_app.notifications import paths
from connector_app.notifications.channels import Outgoing, Refused
from connector_app.notifications.kinds import DIGEST_KIND, OFF
from connector_app.notifications.sources import all_kinds

PERMANENT = 500  # SMTP reply codes from here on are final


def _domain() -> str:
    sender = parseaddr(current_app.config.get("MAIL_DEFAULT_SENDER") or "")[1]
    return sender.rsplit("@", 1)[-1] if "@" in sender else "localhost"


def message_id(outgoing: Outgoing) -> str:
    first = min(d.id for d in outgoing.deliveries)
    return f"<alert.{first}.{outgoing.seller.id}@{_domain()}>"


def subject(outgoing: Outgoing) -> str:
    notes = outgoing.notifications
    if len(notes) == 1:
        return notes[0].title
    kind = all_kinds().get(outgoing.kind)
    return f"{len(notes)} alerts: {kind.label if kind else outgoing.kind}"


def build(outgoing: Outgoing) -> EmailMultiAlternatives:
    kind = all_kinds().get(outgoing.kind)
    unsubscribe = paths.unsubscribe_url(outgoing.seller.id, outgoing.kind)
    context = {
        "outgoing": outgoing,
        "kind": kind,
        "digest": outgoing.kind == DIGEST_KIND,
        "notifications": outgoing.notifications,
        "absolute": paths.absolute,
        "unsubscribe_url": unsubscribe,
        "settings_url": paths.absolute(paths.path_for("notifications.settings")),
        "notifications_url": paths.absolute(paths.path_for("notifications.index")),
    }
    message = EmailMultiAlternatives(
        subject=subject(outgoing),
        body=render_template("notifications/email/alert.txt", **context),
        to=[outgoing.seller.email],
        headers={
            "Message-ID": message_id(outgoing),
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_template("notifications/email/alert.html", **context), "text/html")
    return message


class _EmailSender:
    def __init__(self, connection) -> None:
        self.connection = connection

    def send(self, outgoing: Outgoing) -> str:
        message = build(outgoing)
        try:
            sent = self.connection.send_messages([message])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(code >= PERMANENT for code in codes):
                raise Refused(f"the mail server refused the address ({codes[0]})") from None
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= PERMANENT:
                raise Refused(f"the mail server refused the message ({exc.smtp_code})") from None
            raise
        if not sent:
            raise RuntimeError("the mail backend sent nothing")
        return message.extra_headers["Message-ID"]


class EmailChannel:
    name = "email"
    label = "Email"

    def mode(self, prefs, kind: str) -> str:
        return prefs.email(kind)

    def unavailable(self, seller, prefs, kind: str) -> str | None:
        if not can_email(seller):
            return "Your email address is not confirmed yet: no alert email goes to it."
        if prefs.email(kind) == OFF:
            return "You switched these emails off."
        return None

    @contextmanager
    def open(self) -> Iterator[_EmailSender]:
        connection = mail.get_connection(fail_silently=False)
        connection.open()
        try:
            yield _EmailSender(connection)
        finally:
            try:
                connection.close()
            except (OSError, smtplib.SMTPException):  # the messages are sent; a failed QUIT changes nothing
                current_app.logger.info("closing the SMTP connection failed")
