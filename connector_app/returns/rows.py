"""The grid's table rows, written out in Python.

A page of the grid is 25–200 rows, and the rows are most of what a tab switch costs: written as a
Jinja loop each row cost ~50 µs of template machinery (context look-ups, filter calls, one escape per
expression), more than every SQL statement of the page together. Here a row is one f-string of
values escaped with ``markupsafe.escape`` (the same escaping Jinja's autoescape applies), so the page
spends its time on the seller's data, not on rendering. Everything around the rows stays in
``templates/returns/index.html``; the markup below is the ``<tr>`` that template used to loop over,
cell for cell (the cards on phones are the same rows, restyled by ``returns.css``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from html import escape as _html_escape
from types import SimpleNamespace
from urllib.parse import quote

from markupsafe import Markup

from connector_app import safe_urls
from connector_app.returns import display
from connector_app.templating import format_money
from connector_app.timeutil import utcnow

_SPECIAL = re.compile(r"[&<>\"']")


def escape(value: object) -> str:
    """HTML-escape ``value`` (& < > " ' — what markupsafe and Jinja's autoescape escape), as plain text:
    the whole row becomes one ``Markup`` at the end, instead of one ``Markup`` object per value. Most
    values (ids, names, dates) have nothing to escape: one regex search says so."""
    text = value if isinstance(value, str) else str(value)
    return _html_escape(text, quote=True) if _SPECIAL.search(text) else text


NO_SHOP_REASON = "The connector cannot answer this shop’s requests until you reconnect it."


@dataclass(frozen=True)
class RowContext:
    """What every row of one page shares."""

    detail_prefix: str  # "/returns/"
    back_suffix: str  # "?back=<the grid URL, quoted>"
    shops: Mapping[int, object]  # id -> TikTokShop
    shop_column: bool
    listings: Mapping[str, str]  # SKU -> Etsy listing URL
    items: Mapping[int, Sequence]  # request pk -> its line items (rows)
    reconnect_url: object  # region -> URL of the TikTok reconnection
    tz: object  # the seller's ZoneInfo
    date_format: str
    safe_url: object = None  # safe_urls.checker() of the app


def _when(seconds: int, ctx: RowContext) -> str:
    return datetime.fromtimestamp(seconds, ctx.tz).strftime(ctx.date_format)


def _items(item_rows: Sequence, ctx: RowContext) -> str:
    parts = []
    for item in item_rows:
        image = ctx.safe_url(item.image_url)
        thumb = (
            f'<img src="{escape(image)}" alt="" class="line-item-thumb" loading="lazy" width="40"'
            ' height="40">'
            if image
            else '<span class="line-item-thumb line-item-thumb-empty" aria-hidden="true"></span>'
        )
        sku = item.seller_sku
        meta = f"SKU {escape(sku)}" if sku else "No SKU"
        listing = ctx.safe_url(ctx.listings.get(sku)) if sku else None
        link = (
            f'<a class="line-item-etsy" href="{escape(listing)}" target="_blank" rel="noopener noreferrer">'
            f'Etsy listing<span class="visually-hidden"> for SKU {escape(sku)} (opens in a new tab)'
            "</span> ↗</a>"
            if listing
            else ""
        )
        name = item.product_name or item.sku_name or "Item"
        parts.append(
            f'<li class="line-item">{thumb}<span class="line-item-text">'
            f'<span class="line-item-name">{escape(name)}</span>'
            f'<span class="line-item-meta">{meta} · Qty {escape(item.quantity)}</span>{link}</span></li>'
        )
    return "".join(parts)


@lru_cache(maxsize=256)
def _status_cell(status: str, arbitration: str | None) -> str:
    """The status badges of a (status, arbitration) pair: a few dozen pairs exist, so built once."""
    html = (
        f'<span class="badge {display.status_badge(status)}" data-status="{escape(status)}"'
        f' title="{escape(display.status_help(status))}">{escape(display.status_label(status))}</span>'
    )
    if arbitration:
        html += (
            f'<span class="badge badge-arbitration" title="{escape(display.arbitration_help(arbitration))}">'
            f"{escape(display.arbitration_label(arbitration))}</span>"
        )
    return html


@lru_cache(maxsize=64)
def _type_cell(kind: str, request_type: str) -> str:
    label = display.type_label(SimpleNamespace(kind=kind, request_type=request_type or ""))
    return f'<span class="request-type">{escape(label)}</span>'


@lru_cache(maxsize=64)
def _next_action(next_action: str | None) -> str:
    return f'<span class="next-action">{escape(display.next_action_label(next_action))}</span>'


NO_DEADLINE_CHIP = (
    '<span class="deadline-chip deadline-later"><span class="deadline-left">No deadline given</span></span>'
)


def _left(left: int) -> str:
    """'5 h 20 min left' / 'overdue by 2 h 0 min' (what ``templating.time_left`` says)."""
    days, rest = divmod(abs(left), 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        text = f"{days} d {hours} h"
    elif hours:
        text = f"{hours} h {rest // 60} min"
    else:
        text = f"{rest // 60} min"
    return f"overdue by {text}" if left < 0 else f"{text} left"


@dataclass(frozen=True)
class _Shop:
    """What the rows of one shop share: whether it can be answered, and its cells."""

    answerable: bool
    shop_cell: str
    disconnected_cell: str


def _shop_parts(shop, ctx: RowContext) -> _Shop:
    if shop is None:
        return _Shop(False, '<td class="col-shop" data-label="Shop"></td>', "")
    name = f'{escape(shop.name)} <span class="shop-region">{escape(shop.region)}</span>'
    reason = escape(getattr(shop, "status_reason", None) or NO_SHOP_REASON)
    disconnected = (
        f'<span class="badge badge-disconnected" title="{reason}">Disconnected</span>'
        f'<a href="{escape(ctx.reconnect_url(shop.region))}" class="reconnect-link">'
        f"Reconnect {escape(shop.name)}</a>"
    )
    return _Shop(shop.is_connected, f'<td class="col-shop" data-label="Shop">{name}</td>', disconnected)


def _row(row, ctx: RowContext, now: int, shops: dict, back: str) -> str:
    shop = shops.get(row.tiktok_shop_id)
    if shop is None:
        shop = shops[row.tiktok_shop_id] = _shop_parts(ctx.shops.get(row.tiktok_shop_id), ctx)
    answerable = shop.answerable
    request_id = escape(row.request_id)
    classes = ""
    if not answerable:
        classes = " row-disconnected"
        deadline = shop.disconnected_cell
    elif not row.needs_action:
        deadline = '<span class="muted">Nothing to answer</span>'
    elif row.respond_by is None:
        classes = "needs-action deadline-row-none"
        deadline = _next_action(row.next_action) + NO_DEADLINE_CHIP
    else:
        left = row.respond_by - now
        state = "overdue" if left < 0 else ("soon" if left < display.URGENT_SECONDS else "later")
        classes = f"needs-action deadline-row-{state}"
        when = escape(_when(row.respond_by, ctx))
        deadline = (
            f'{_next_action(row.next_action)}<span class="deadline-chip deadline-{state}"'
            f' title="Respond by {when}"><span class="deadline-left">{_left(left)}</span>'
            f'<span class="deadline-when">by {when}</span></span>'
        )
    detail = escape(ctx.detail_prefix + quote(row.request_id, safe=""))
    disabled = "" if answerable else ' disabled title="This shop is disconnected"'
    items = _items(ctx.items.get(row.id, ()), ctx)
    refund = escape(format_money(row.refund_total, row.currency))
    return (
        f'<tr id="row-{request_id}" data-version="{escape(row.status)}-{row.update_time}" class="{classes}">'
        f'<td class="col-select"><input type="checkbox" name="request_ids" value="{request_id}"'
        f' form="bulk-form" data-row-select aria-label="Select request {request_id}"{disabled}></td>'
        f'<td class="col-request"><a href="{detail}{back}" class="request-link" data-drawer="{detail}">'
        f"{request_id}</a>"
        f"{_type_cell(row.kind, row.request_type)}"
        f'<span class="request-reason">{escape(row.reason_text or row.reason or "")}</span>'
        f'<span class="request-order">Order {escape(row.order_id)}</span></td>'
        f"{shop.shop_cell if ctx.shop_column else ''}"
        f'<td class="col-items" data-label="Items"><ul class="line-items">{items}</ul></td>'
        f'<td class="num col-amount" data-label="Refund">{refund}</td>'
        f'<td class="col-status" data-label="Status">{_status_cell(row.status, row.arbitration_status)}'
        f'<span class="updated muted">Updated {escape(_when(row.update_time, ctx))}</span></td>'
        f'<td class="col-deadline" data-label="Respond by">{deadline}</td>'
        "</tr>\n"
    )


def render_rows(rows: Sequence, ctx: RowContext) -> Markup:
    """The ``<tr>`` of every request of the page (escaped: a ``Markup`` the template prints as is)."""
    now = int(utcnow().timestamp())
    if ctx.safe_url is None:
        ctx = replace(ctx, safe_url=safe_urls.checker())
    shops: dict = {}
    back = escape(ctx.back_suffix)
    html = "".join(_row(row, ctx, now, shops, back) for row in rows)
    return Markup(html)  # noqa: S704 - every value was escaped above
