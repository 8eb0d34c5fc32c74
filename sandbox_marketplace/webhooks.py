"""Signed TikTok webhooks, delivered from a background thread with TikTok's retry schedule."""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from typing import Any

import requests
from flask import current_app

from . import apps, clock
from . import domain as d
from .signing import webhook_signature

RETRY_DELAYS = (120, 1800, 3 * 3600, 12 * 3600)  # after the first attempt: +2 min, +30 min, +3 h, +12 h
RETURN_STATUS_CHANGE, CANCELLATION_STATUS_CHANGE = 12, 11
DEAUTHORIZATION, AUTHORIZATION_EXPIRING = 6, 7


def queue(conn: sqlite3.Connection, type_: int, shop_id: str, data: dict[str, Any]) -> int:
    """Store a notification for delivery; the dispatcher sends it as soon as it wakes."""
    sb = current_app.extensions["sandbox"]
    if not sb.settings["SANDBOX_WEBHOOKS_ENABLED"] or not sb.webhook_url:
        return 0
    notification_id = str(7_300_000_000_000_000_000 + secrets.randbelow(10**17))
    payload = {
        "type": type_,
        "tts_notification_id": notification_id,
        "shop_id": shop_id,
        "timestamp": int(clock.now()),
        "data": data,
    }
    body = json.dumps(payload, separators=(",", ":"))
    cursor = conn.execute(
        "INSERT INTO webhook (url, type, shop_id, notification_id, body, next_at, state, created_at) "
        "VALUES (?,?,?,?,?,?, 'pending', ?)",
        (sb.webhook_url, type_, shop_id, notification_id, body, time.time(), time.time()),
    )
    if sb.dispatcher is not None:
        sb.dispatcher.wake()
    return int(cursor.lastrowid)


def queue_status_change(conn: sqlite3.Connection, row: sqlite3.Row) -> int:
    """Type 12 for a return, type 11 for a cancellation (reference §5)."""
    if row["kind"] == d.RETURN:
        data = {
            "order_id": row["order_id"],
            "return_role": row["role"],
            "return_type": row["type"],
            "return_status": row["status"],
            "return_id": str(row["id"]),
            "create_time": row["create_time"],
            "update_time": row["update_time"],
        }
        return queue(conn, RETURN_STATUS_CHANGE, row["shop_id"], data)
    data = {
        "order_id": row["order_id"],
        "cancellations_role": row["role"],
        "cancel_status": row["status"],
        "cancel_id": str(row["id"]),
        "create_time": row["create_time"],
    }
    return queue(conn, CANCELLATION_STATUS_CHANGE, row["shop_id"], data)


def app_of_shop(sb: Any, shop_id: str) -> apps.App:
    seller = (
        sb.store.conn()
        .execute(
            "SELECT t.base_region FROM tt_shop s JOIN tt_seller t ON t.id=s.seller_id WHERE s.id=?",
            (shop_id,),
        )
        .fetchone()
    )
    group = apps.group_of(seller["base_region"]) if seller is not None else apps.GLOBAL
    return apps.apps(sb.settings)[group]


class Dispatcher:
    """Background sender. Never runs on a request thread, so API calls never wait on a webhook."""

    def __init__(self, app: Any, retry_scale: float) -> None:
        self.app = app
        self.retry_scale = retry_scale
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        with self.app.app_context():
            while not self._stop.is_set():
                try:
                    delay = self.deliver_due()
                except Exception:  # noqa: BLE001 - a broken row must not kill the sender
                    self.app.logger.exception("webhook dispatch failed")
                    delay = 1.0
                self._wake.wait(timeout=min(delay, 1.0))
                self._wake.clear()

    def deliver_due(self) -> float:
        """Send every notification that is due; return seconds until the next one."""
        sb = self.app.extensions["sandbox"]
        conn = sb.store.conn()
        due = conn.execute(
            "SELECT * FROM webhook WHERE state='pending' AND next_at<=? ORDER BY next_at, id LIMIT 50",
            (time.time(),),
        ).fetchall()
        for row in due:
            self._attempt(sb, row)
        nxt = conn.execute("SELECT MIN(next_at) FROM webhook WHERE state='pending'").fetchone()[0]
        return 1.0 if nxt is None else max(0.01, nxt - time.time())

    def _attempt(self, sb: Any, row: sqlite3.Row) -> None:
        app = app_of_shop(sb, row["shop_id"])
        body = row["body"].encode()
        headers = {
            "Content-Type": "application/json",
            # Signed by the app that the shop's seller authorized (US or global Partner Center).
            "Authorization": webhook_signature(app.app_key, app.app_secret, body),
        }
        status, error = None, ""
        try:
            response = requests.post(row["url"], data=body, headers=headers, timeout=3)
            status = response.status_code
            ok = 200 <= status < 300
            if not ok:
                error = f"HTTP {status}"
        except requests.RequestException as exc:
            ok, error = False, type(exc).__name__ + ": " + str(exc)[:200]
        attempt = row["attempts"] + 1
        now = time.time()
        if ok:
            state, next_at, outcome = "delivered", None, "delivered"
        elif attempt > len(RETRY_DELAYS):
            state, next_at, outcome = "failed", None, "gave up"
        else:
            state, next_at = "pending", now + RETRY_DELAYS[attempt - 1] * self.retry_scale
            outcome = f"retry in {RETRY_DELAYS[attempt - 1] * self.retry_scale:g}s"
        with sb.store.write() as conn:
            conn.execute(
                "UPDATE webhook SET attempts=?, state=?, next_at=?, last_status=?, last_error=?, "
                "delivered_at=? "
                "WHERE id=? AND state='pending'",
                (attempt, state, next_at, status, error, now if ok else None, row["id"]),
            )
            conn.execute(
                "INSERT INTO webhook_attempt (webhook_id, attempt, at, status, error, outcome) "
                "VALUES (?,?,?,?,?,?)",
                (row["id"], attempt, now, status, error, outcome),
            )
