"""Plays the buyer and the platform: moves requests one step along their real lifecycles."""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from typing import Any

from flask import Flask

from . import clock
from . import domain as d
from .core import Sandbox
from .seed_catalog import CatalogShop, minor_price
from .seed_requests import INSERT_REQUEST, build_row, format_minor
from .transitions import change_status, seller_deadline
from .webhooks import queue_status_change

_MOVABLE = (
    d.R_PENDING,
    d.X_PENDING,
    d.C_PENDING,
    d.R_AWAIT_SHIP,
    d.R_SHIPPED,
    d.R_REJECT,
    d.R_REJECT_RECEIVE,
    d.X_REJECT,
    d.R_AWAIT_BUYER,
    d.R_SUCCESS,
    d.X_REFUND_SUCCESS,
    d.C_SUCCESS,
)
_PENDING = (d.R_PENDING, d.X_PENDING, d.C_PENDING)


def _step(conn: sqlite3.Connection, row: sqlite3.Row, now: int) -> sqlite3.Row:  # noqa: C901, PLR0911
    status, rtype = row["status"], row["type"]
    overdue = bool(row["next_action"]) and row["deadline"] <= now
    buyer_wins = row["id"] % 2 == 0
    if status in _PENDING and not overdue:  # the buyer withdraws the request
        closed = {d.R_PENDING: d.R_CANCEL, d.X_PENDING: d.X_CANCEL, d.C_PENDING: d.C_CANCELLED}[status]
        return change_status(conn, row, closed, "BUYER")
    if status == d.C_PENDING:  # no answer in time: TikTok approves
        return change_status(conn, row, d.C_SUCCESS, "SYSTEM")
    if status == d.R_PENDING:
        return change_status(conn, row, d.R_SUCCESS if rtype == "REFUND" else d.R_AWAIT_SHIP, "SYSTEM")
    if status == d.X_PENDING:
        return change_status(conn, row, d.R_AWAIT_SHIP, "SYSTEM")
    if status == d.R_AWAIT_SHIP:
        tracking = f"RT{row['id'] % 10**12:012d}"
        return change_status(
            conn,
            row,
            d.R_SHIPPED,
            "BUYER",
            tracking_number=tracking,
            provider_name=row["provider_name"] or "Standard Post",
        )
    if status == d.R_SHIPPED and not row["next_action"]:
        return change_status(
            conn,
            row,
            d.R_SHIPPED,
            "SYSTEM",
            next_action=d.RESPOND_RECEIVE,
            deadline=seller_deadline(),
            event="PACKAGE_DELIVERED",
        )
    if status == d.R_SHIPPED:  # the seller did not inspect the parcel in time
        return change_status(conn, row, d.X_COMPLETE if rtype == "REPLACEMENT" else d.R_SUCCESS, "SYSTEM")
    if status in (d.R_REJECT, d.R_REJECT_RECEIVE) and row["arbitration_status"] in ("", "CLOSED"):
        if status == d.R_REJECT and row["arbitration_status"] == "CLOSED":
            return change_status(conn, row, d.R_CANCEL, "SYSTEM")
        return change_status(
            conn, row, status, "BUYER", arbitration_status="IN_PROGRESS", event="BUYER_APPEAL"
        )
    if status in (d.R_REJECT, d.R_REJECT_RECEIVE):  # arbitration decided
        if not buyer_wins:
            return change_status(conn, row, d.R_CANCEL, "OPERATOR", arbitration_status="SUPPORT_SELLER")
        after = d.R_AWAIT_SHIP if status == d.R_REJECT and rtype != "REFUND" else d.R_SUCCESS
        return change_status(conn, row, after, "OPERATOR", arbitration_status="SUPPORT_BUYER")
    if status == d.X_REJECT:
        return change_status(conn, row, d.X_CANCEL, "SYSTEM")
    if status == d.R_AWAIT_BUYER:  # the buyer accepts the partial refund
        amount = json.loads(row["partial_refund"])["amount"]
        zero = format_minor(0, row["currency"])
        return change_status(
            conn,
            row,
            d.R_SUCCESS,
            "BUYER",
            refund_total=amount,
            refund_subtotal=amount,
            refund_shipping_fee=zero,
            refund_tax=zero,
        )
    done = {d.R_SUCCESS: d.R_COMPLETE, d.X_REFUND_SUCCESS: d.X_COMPLETE, d.C_SUCCESS: d.C_COMPLETE}[status]
    return change_status(conn, row, done, "SYSTEM")


def _candidates(conn: sqlite3.Connection, count: int, shop_id: str | None, now: int) -> list[sqlite3.Row]:
    marks = ",".join("?" * len(_MOVABLE))
    pending = ",".join("?" * len(_PENDING))
    sql = (
        f"SELECT * FROM request WHERE status IN ({marks}) "  # noqa: S608
        f"AND NOT (status IN ({pending}) AND deadline > ? AND id % 4 != 0) "
        "AND NOT (status = ? AND next_action != '' AND deadline > ?) "
        + ("AND shop_id = ? " if shop_id else "")
        + "ORDER BY update_time, id LIMIT ?"
    )
    params: list[Any] = [*_MOVABLE, *_PENDING, now, d.R_SHIPPED, now]
    if shop_id:
        params.append(shop_id)
    return conn.execute(sql, [*params, count]).fetchall()


def _new_requests(conn: sqlite3.Connection, count: int, shop_id: str | None, now: int) -> list[sqlite3.Row]:
    """The buyer opens new requests (used when nothing else is left to move)."""
    shops = conn.execute(
        "SELECT * FROM tt_shop" + (" WHERE id=?" if shop_id else "") + " ORDER BY id",  # noqa: S608
        (shop_id,) if shop_id else (),
    ).fetchall()
    top = conn.execute("SELECT MAX(id) FROM request").fetchone()[0] or 0
    rng = random.Random(top + now)
    created = []
    for n in range(count):
        shop = shops[n % len(shops)]
        catalog = CatalogShop(shop["id"], shop["region"], shop["currency"])
        skus = conn.execute("SELECT seller_sku, price FROM sku WHERE etsy_shop_id=?", (shop["etsy_shop_id"],))
        catalog.skus = [(sku, minor_price(price, shop["currency"])) for sku, price in skus]
        catalog.buyers = [str(7_100_000_000_000_000_000 + rng.randrange(10**17))]
        rtype, status = rng.choice(
            (
                ("RETURN_AND_REFUND", d.R_PENDING),
                ("REFUND", d.R_PENDING),
                ("REPLACEMENT", d.X_PENDING),
                ("BUYER_CANCEL", d.C_PENDING),
            )
        )
        index = (top - 4_035_000_000_000_000_000) // 1000 + 1 + n
        row = list(
            build_row(
                rng,
                catalog,
                index,
                rtype,
                (status,),
                "",
                True,
                now,
                rtype != "BUYER_CANCEL",
                rng.choice,
                rng.randrange,
            )
        )
        row[11] = row[12] = row[27] = now
        row[23] = now + d.RESPONSE_WINDOW
        conn.execute(INSERT_REQUEST, row)
        inserted = conn.execute("SELECT * FROM request WHERE id=?", (row[0],)).fetchone()
        queue_status_change(conn, inserted)
        created.append(inserted)
    return created


def advance(sb: Sandbox, count: int, shop_id: str | None = None) -> list[dict[str, Any]]:
    """Move ``count`` requests one step each; return what changed (id, kind, status, update_time)."""
    now = int(clock.now())
    with sb.store.write() as conn:
        rows = [_step(conn, row, now) for row in _candidates(conn, count, shop_id, now)]
        if len(rows) < count:
            rows += _new_requests(conn, count - len(rows), shop_id, now)
    return [
        {
            "id": str(r["id"]),
            "kind": r["kind"],
            "shop_id": r["shop_id"],
            "status": r["status"],
            "arbitration_status": r["arbitration_status"],
            "update_time": r["update_time"],
        }
        for r in rows
    ]


def advance_one(sb: Sandbox, request_id: str) -> dict[str, Any] | None:
    """Move one request one step, as the buyer or TikTok would (an overdue request: TikTok decides)."""
    now = int(clock.now())
    with sb.store.write() as conn:
        row = conn.execute("SELECT * FROM request WHERE id=?", (int(request_id),)).fetchone()
        if row is None or row["status"] not in _MOVABLE:
            return None
        moved = _step(conn, row, now)
    return {
        "id": str(moved["id"]),
        "kind": moved["kind"],
        "shop_id": moved["shop_id"],
        "status": moved["status"],
        "arbitration_status": moved["arbitration_status"],
        "update_time": moved["update_time"],
    }


class Ticker:
    """Advances a few requests every ``seconds`` in a daemon thread."""

    def __init__(self, app: Flask, seconds: float, count: int) -> None:
        self.app, self.seconds, self.count = app, seconds, count
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-ticker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        with self.app.app_context():
            while not self._stop.wait(self.seconds):
                try:
                    advance(self.app.extensions["sandbox"], self.count)
                except Exception:  # noqa: BLE001
                    self.app.logger.exception("lifecycle tick failed")
