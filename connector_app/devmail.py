"""Development email: a local SMTP sink and a page showing what it caught.

With no ``MAIL_SERVER`` configured, ``make run`` starts ``start_sink`` (aiosmtpd) on ``MAIL_PORT``; every
message is written as an ``.eml`` file into ``instance/dev-mail/`` and ``/dev/mail`` lists them, so a
newcomer sees every verification and reset email without configuring anything. Neither exists in
production (``APP_ENV=production``) or when a real ``MAIL_SERVER`` is set.
"""

from __future__ import annotations

import email
import email.policy
import os
import time
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, render_template

bp = Blueprint("devmail", __name__, url_prefix="/dev/mail")
MAX_SHOWN = 50


def mailbox(instance_path: str) -> Path:
    return Path(instance_path) / "dev-mail"


class _SaveToFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = f"{time.time_ns()}.eml"
        fd = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def start_sink(instance_path: str, port: int, host: str = "127.0.0.1"):
    """Start the SMTP sink in a background thread; returns the aiosmtpd ``Controller`` (``.stop()``)."""
    from aiosmtpd.controller import Controller

    controller = Controller(_SaveToFolder(mailbox(instance_path)), hostname=host, port=port)
    controller.start()
    return controller


def read_messages(instance_path: str, limit: int = MAX_SHOWN) -> list[dict]:
    folder = mailbox(instance_path)
    if not folder.is_dir():
        return []
    messages = []
    for path in sorted(folder.glob("*.eml"), reverse=True)[:limit]:
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain", "html"))
        messages.append(
            {
                "subject": str(parsed.get("Subject", "")),
                "to": str(parsed.get("To", "")),
                "from": str(parsed.get("From", "")),
                "date": str(parsed.get("Date", "")),
                "body": body.get_content() if body is not None else "",
            }
        )
    return messages


@bp.get("")
def index():
    if not current_app.config.get("MAIL_DEV_SINK"):
        abort(404)
    messages = read_messages(current_app.config["INSTANCE_PATH"])
    return render_template("devmail/index.html", messages=messages)


def init_app(app: Flask) -> None:
    """Mount ``/dev/mail`` only for development with the local sink."""
    from connector_app.production import is_production

    if app.config.get("MAIL_DEV_SINK") and not is_production(app.config):
        app.register_blueprint(bp)
