"""Rendering helpers shared by every feature.

``render_page`` answers the same URL with the full page, or — when htmx asks (``HX-Request``) — with
just the named block of the same template (jinja2-fragments), plus ``Vary: HX-Request`` so caches
never mix the two.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import Flask, g, has_request_context, make_response, render_template, request
from flask_login import current_user
from jinja2_fragments.flask import render_block

from connector_app.panels import collect, page_chrome
from connector_app.timeutil import date_only, ensure_aware, localize, utcnow, zone


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def render_page(template: str, block: str | None = None, status: int = 200, **context):
    """Full page normally; only ``block`` of the same template for htmx requests.

    A full page for a logged-in seller also gets ``chrome``: the layout's panels other features
    answer ``page_chrome`` with (see :mod:`connector_app.panels`), gathered here, before rendering.
    """
    if block and is_htmx() and not request.headers.get("HX-History-Restore-Request"):
        body = render_block(template, block, **context)
    else:
        if current_user.is_authenticated and "chrome" not in context:
            context["chrome"] = collect(page_chrome, seller_id=current_user.id)
        body = render_template(template, **context)
    response = make_response(body, status)
    response.headers.add("Vary", "HX-Request")
    return response


def _seller_tz() -> str:
    return getattr(current_user, "timezone", None) or "UTC"


def seller_clock() -> tuple[ZoneInfo, str]:
    """The seller's timezone and date format, looked up once per request (a page formats many times)."""
    cached = g.get("seller_clock") if has_request_context() else None
    if cached is None:
        cached = (zone(_seller_tz()), getattr(current_user, "date_format", None) or "%Y-%m-%d %H:%M")
        if has_request_context():
            g.seller_clock = cached
    return cached


def format_datetime(value: datetime | int | None, fmt: str | None = None) -> str:
    """A UTC moment shown in the seller's timezone and date format."""
    if value is None or value == "":
        return "—"
    tz, pattern = seller_clock()
    moment = (
        datetime.fromtimestamp(value, tz) if isinstance(value, int) else ensure_aware(value).astimezone(tz)
    )
    return moment.strftime(fmt or pattern)


def format_date(value: date | None) -> str:
    """A day in the seller's date format (without the time): the grid's date filters."""
    if value is None:
        return ""
    return value.strftime(date_only(getattr(current_user, "date_format", None)))


def format_money(amount: Decimal | None, currency: str | None = None) -> str:
    if amount is None:
        return "—"
    quantized = Decimal(amount).quantize(Decimal("0.01"))
    return f"{quantized:,} {currency or ''}".strip()


def time_left(deadline: datetime | int | None) -> str:
    """'5 h 20 min left' / 'overdue by 2 h' — for respond-by deadlines."""
    if deadline is None:
        return ""
    if isinstance(deadline, int):
        deadline = localize(deadline, "UTC")
    seconds = int((ensure_aware(deadline) - utcnow()).total_seconds())
    overdue = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        text = f"{days} d {hours} h"
    elif hours:
        text = f"{hours} h {minutes} min"
    else:
        text = f"{minutes} min"
    return f"overdue by {text}" if overdue else f"{text} left"


def time_ago(moment: datetime | int | None) -> str:
    """'just now' / '12 min ago' / '3 h ago' / '2 d ago' — how fresh something is."""
    if moment is None:
        return "never"
    if isinstance(moment, int):
        moment = localize(moment, "UTC")
    seconds = max(0, int((utcnow() - ensure_aware(moment)).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def init_app(app: Flask) -> None:
    from connector_app import safe_urls

    safe_urls.init_app(app)
    app.jinja_env.filters["localtime"] = format_datetime
    app.jinja_env.filters["localdate"] = format_date
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["time_left"] = time_left
    app.jinja_env.filters["ago"] = time_ago
    app.jinja_env.globals["app_name"] = "Returns Connector"
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
