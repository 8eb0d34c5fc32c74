"""Logs an operator can follow: a request id and a job id on every line, text or JSON (``LOG_FORMAT``).

- ``configure_logging()``: the process's root handler, called once by entry points (``wsgi.py``,
  which gunicorn and every ``flask --app wsgi`` command import), never by ``create_app``.
- ``init_app(app)``: each request gets an id (a sane incoming ``X-Request-ID`` is kept, so a proxy's
  id carries through), sent back as ``X-Request-ID`` and shown on error pages (``ensure_request_id``);
  log lines written while it runs carry it, and lines written by a job carry the RQ job id.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import uuid

from flask import Flask, Response, g, has_request_context, request

from connector_app import redaction

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(job_id)s"


def current_request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


def current_job_id() -> str | None:
    try:
        from rq import get_current_job

        job = get_current_job()
    except Exception:  # noqa: BLE001 - no RQ context
        return None
    return job.id if job is not None else None


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``job_id`` and a ready-made ``context`` ("" or " [request=… job=…]")."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = getattr(record, "request_id", None) or current_request_id()
        job_id = getattr(record, "job_id", None) or current_job_id()
        record.request_id, record.job_id = request_id, job_id
        parts = [f"request={request_id}"] if request_id else []
        parts += [f"job={job_id}"] if job_id else []
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return True


def json_formatter() -> logging.Formatter:
    from pythonjsonlogger.core import RESERVED_ATTRS
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        JSON_FIELDS,
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        reserved_attrs=[*RESERVED_ATTRS, "context"],  # the text format's ready-made prefix
    )


def build_handler(log_format: str = "text", stream=None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.addFilter(redaction.FILTER)  # no secret reaches a log line, whichever logger wrote it
    handler.setFormatter(json_formatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def configure_logging(level: str | None = None, log_format: str | None = None) -> None:
    """Install the process's one root handler (replacing any earlier one of ours); idempotent."""
    level = (level or os.environ.get("LOG_LEVEL") or "INFO").upper()
    log_format = (log_format or os.environ.get("LOG_FORMAT") or "text").lower()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_connector", False):
            root.removeHandler(handler)
    handler = build_handler(log_format)
    handler._connector = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def init_app(app: Flask) -> None:
    app.logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))

    # Registered before the other extensions: the id exists when their before_request hooks fail.
    @app.before_request
    def assign_request_id() -> None:  # returns nothing: a before_request value would end the request
        ensure_request_id()

    @app.after_request
    def send_request_id(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = ensure_request_id()
        return response


def ensure_request_id() -> str:
    """This request's id (assigned on first use)."""
    if "request_id" not in g:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
    return g.request_id
