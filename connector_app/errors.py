"""Error pages that explain what happened and leak nothing (no stack traces, no internals)."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from connector_app.logging_setup import ensure_request_id

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Something in that request was not right", "Check the form or link and try again."),
    401: ("Please log in", "You need to be logged in to see this page."),
    403: ("Not allowed", "You do not have access to this."),
    404: ("Page not found", "There is nothing here — it may have moved, or the link is wrong."),
    405: ("Not allowed", "This page does not accept that kind of request."),
    413: ("That was too large", "The request was larger than this app accepts."),
    429: ("Slow down a little", "Too many requests in a short time. Wait a moment and try again."),
    500: ("Something went wrong on our side", "The error is logged and we will look into it."),
}


def render_error(status: int, detail: str | None = None):
    title, text = MESSAGES.get(status, ("Something went wrong", "Please try again."))
    template = "errors/fragment.html" if request.headers.get("HX-Request") else "errors/error.html"
    body = render_template(
        template, status=status, title=title, text=detail or text, request_id=ensure_request_id()
    )
    return body, status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(
            400, "This form expired or was sent from elsewhere. Reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if isinstance(error, SecurityError):  # a Host outside TRUSTED_HOSTS: no URL can be built for it
            return "Unknown host.", 400, {"Content-Type": "text/plain; charset=utf-8"}
        body, status = render_error(error.code)
        headers = {"Allow": ", ".join(error.valid_methods or [])} if error.code == 405 else {}
        return body, status, headers

    @app.errorhandler(Exception)
    def unhandled(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        from connector_app.extensions import db

        db.session.rollback()
        return render_error(500)
