"""Search Returns / Search Cancellations: body filters, keyset paging with opaque page tokens."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from flask import request

from .. import domain as d
from ..core import sandbox
from . import envelope as e
from .serialize import serialize


@dataclass(frozen=True)
class Kind:
    name: str
    page_min: int
    ids_key: str
    types_key: str
    status_key: str
    list_key: str
    statuses: tuple[str, ...]


RETURNS = Kind(
    d.RETURN, 10, "return_ids", "return_types", "return_status", "return_orders", d.RETURN_STATUSES
)
CANCELS = Kind(d.CANCEL, 1, "cancel_ids", "cancel_types", "cancel_status", "cancellations", d.CANCEL_STATUSES)
PAGE_MAX = 50
TIME_FILTERS = {
    "create_time_ge": ("create_time", ">="),
    "create_time_lt": ("create_time", "<"),
    "update_time_ge": ("update_time", ">="),
    "update_time_lt": ("update_time", "<"),
}


def _bad(message: str) -> e.TikTokError:
    return e.TikTokError(e.INVALID_PARAMS, message)


def _string_list(body: dict[str, Any], key: str) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad(f"{key} must be an array of strings.")
    return value


def _paging(kind: Kind) -> tuple[int, str, str, tuple[int, int] | None]:
    args = request.args
    try:
        page_size = int(args.get("page_size", ""))
    except ValueError:
        raise _bad("page_size is required and must be an integer.") from None
    if not kind.page_min <= page_size <= PAGE_MAX:
        raise _bad(f"page_size must be between {kind.page_min} and {PAGE_MAX}.")
    sort_field = args.get("sort_field", "create_time")
    sort_order = args.get("sort_order", "DESC")
    if sort_field not in ("create_time", "update_time"):
        raise _bad("sort_field must be create_time or update_time.")
    if sort_order not in ("ASC", "DESC"):
        raise _bad("sort_order must be ASC or DESC.")
    token = args.get("page_token", "")
    position = None
    if token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
            if decoded["f"] != sort_field or decoded["o"] != sort_order or decoded["k"] != kind.name:
                raise ValueError
            position = (int(decoded["v"]), int(decoded["i"]))
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            raise _bad("page_token is invalid or does not match this sort.") from None
    return page_size, sort_field, sort_order, position


def _filters(kind: Kind, shop_id: str) -> tuple[list[str], list[Any]]:
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise _bad("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise _bad("The request body must be a JSON object.")
    where, params = ["kind = ?", "shop_id = ?"], [kind.name, shop_id]

    def add_in(column: str, values: list[Any]) -> None:
        where.append(f"{column} IN ({','.join('?' * len(values))})" if values else "0")
        params.extend(values)

    ids = _string_list(body, kind.ids_key)
    if ids is not None:
        add_in("id", [int(v) for v in ids if v.isdigit() and len(v) < 20])
    for key, column in (
        ("order_ids", "order_id"),
        ("buyer_user_ids", "buyer_user_id"),
        (kind.types_key, "type"),
    ):
        values = _string_list(body, key)
        if values is not None:
            add_in(column, values)
    statuses = _string_list(body, kind.status_key)
    if statuses is not None:
        add_in("status", [d.CANCEL_STATUS_FILTER_ALIASES.get(s, s) for s in statuses])
    if kind.name == d.RETURN and (arbitration := _string_list(body, "arbitration_status")) is not None:
        add_in("arbitration_status", arbitration)
    for key, (column, op) in TIME_FILTERS.items():
        if key in body:
            if not isinstance(body[key], int) or isinstance(body[key], bool):
                raise _bad(f"{key} must be a unix timestamp in seconds.")
            where.append(f"{column} {op} ?")
            params.append(body[key])
    return where, params


def search(kind: Kind, shop_id: str) -> dict[str, Any]:
    """Run one page of a search for ``shop_id`` and return the response ``data``."""
    page_size, sort_field, sort_order, position = _paging(kind)
    where, params = _filters(kind, shop_id)
    conn = sandbox().store.conn()
    total = conn.execute(f"SELECT COUNT(*) FROM request WHERE {' AND '.join(where)}", params).fetchone()[0]  # noqa: S608
    page_where, page_params = list(where), list(params)
    if position is not None:
        page_where.append(f"({sort_field}, id) {'>' if sort_order == 'ASC' else '<'} (?, ?)")
        page_params.extend(position)
    direction = "ASC" if sort_order == "ASC" else "DESC"
    sql = (
        f"SELECT * FROM request WHERE {' AND '.join(page_where)} "  # noqa: S608
        f"ORDER BY {sort_field} {direction}, id {direction} LIMIT ?"
    )
    rows = conn.execute(sql, [*page_params, page_size + 1]).fetchall()
    next_token = ""
    if len(rows) > page_size:
        rows = rows[:page_size]
        last = rows[-1]
        cursor = {"k": kind.name, "f": sort_field, "o": sort_order, "v": last[sort_field], "i": last["id"]}
        next_token = base64.urlsafe_b64encode(json.dumps(cursor, separators=(",", ":")).encode()).decode()
    return {kind.list_key: [serialize(r) for r in rows], "total_count": total, "next_page_token": next_token}
