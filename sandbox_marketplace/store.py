"""SQLite storage: one connection per thread, one writer at a time."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tt_seller (id INTEGER PRIMARY KEY, open_id TEXT NOT NULL, name TEXT NOT NULL,
    base_region TEXT NOT NULL, user_type INTEGER NOT NULL);
CREATE TABLE tt_shop (id TEXT PRIMARY KEY, seller_id INTEGER NOT NULL, name TEXT NOT NULL,
    region TEXT NOT NULL, seller_type TEXT NOT NULL, cipher TEXT NOT NULL UNIQUE, code TEXT NOT NULL,
    currency TEXT NOT NULL, etsy_shop_id INTEGER);
CREATE TABLE sku (seller_sku TEXT PRIMARY KEY, etsy_shop_id INTEGER NOT NULL, listing_id INTEGER NOT NULL,
    product_id INTEGER NOT NULL, sku_id TEXT NOT NULL, product_name TEXT NOT NULL, sku_name TEXT NOT NULL,
    price TEXT NOT NULL);
CREATE TABLE tt_code (code TEXT PRIMARY KEY, seller_id INTEGER NOT NULL, expires_at INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0, app TEXT NOT NULL);
CREATE TABLE tt_token (access_token TEXT PRIMARY KEY, refresh_token TEXT NOT NULL UNIQUE,
    seller_id INTEGER NOT NULL, access_expires_at INTEGER NOT NULL, refresh_expires_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0, calls INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL,
    app TEXT NOT NULL, refresh_revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE request (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, shop_id TEXT NOT NULL,
    order_id TEXT NOT NULL, buyer_user_id TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL,
    arbitration_status TEXT NOT NULL, role TEXT NOT NULL, reason TEXT NOT NULL, reason_text TEXT NOT NULL,
    create_time INTEGER NOT NULL, update_time INTEGER NOT NULL, shipment_type TEXT NOT NULL,
    tracking_number TEXT NOT NULL, provider_name TEXT NOT NULL, can_buyer_keep_item INTEGER NOT NULL,
    currency TEXT NOT NULL, refund_total TEXT NOT NULL, refund_subtotal TEXT NOT NULL,
    refund_shipping_fee TEXT NOT NULL, refund_tax TEXT NOT NULL, next_action TEXT NOT NULL,
    deadline INTEGER NOT NULL, partial_refund TEXT NOT NULL, line_items TEXT NOT NULL,
    history TEXT NOT NULL, history_end INTEGER NOT NULL);
CREATE TABLE record (id INTEGER PRIMARY KEY AUTOINCREMENT, request_id INTEGER NOT NULL, event TEXT NOT NULL,
    role TEXT NOT NULL, description TEXT NOT NULL, reason_text TEXT NOT NULL, note TEXT NOT NULL,
    create_time INTEGER NOT NULL);
CREATE TABLE idempotency (shop_id TEXT NOT NULL, key TEXT NOT NULL, path TEXT NOT NULL,
    status INTEGER NOT NULL, response TEXT NOT NULL, PRIMARY KEY (shop_id, key));
CREATE TABLE etsy_user (user_id INTEGER PRIMARY KEY, login_name TEXT NOT NULL, first_name TEXT NOT NULL,
    primary_email TEXT NOT NULL, shop_id INTEGER NOT NULL);
CREATE TABLE etsy_shop (shop_id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, shop_name TEXT NOT NULL,
    currency_code TEXT NOT NULL, created_timestamp INTEGER NOT NULL,
    readiness_state_ids TEXT NOT NULL DEFAULT '[]');
CREATE TABLE etsy_listing (listing_id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL, title TEXT NOT NULL,
    state TEXT NOT NULL, price TEXT NOT NULL, quantity INTEGER NOT NULL, inventory TEXT NOT NULL,
    created_timestamp INTEGER NOT NULL, updated_timestamp INTEGER NOT NULL);
CREATE TABLE etsy_receipt (receipt_id INTEGER PRIMARY KEY, shop_id INTEGER NOT NULL,
    created_timestamp INTEGER NOT NULL, updated_timestamp INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE etsy_code (code TEXT PRIMARY KEY, user_id INTEGER NOT NULL, client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL, code_challenge TEXT NOT NULL, scope TEXT NOT NULL,
    expires_at INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE etsy_token (access_token TEXT PRIMARY KEY, refresh_token TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL, scope TEXT NOT NULL, expires_at INTEGER NOT NULL,
    refresh_expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,
    calls INTEGER NOT NULL DEFAULT 0);
CREATE TABLE webhook (id INTEGER PRIMARY KEY AUTOINCREMENT, url TEXT NOT NULL, type INTEGER NOT NULL,
    shop_id TEXT NOT NULL, notification_id TEXT NOT NULL, body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, next_at REAL, state TEXT NOT NULL, last_status INTEGER,
    last_error TEXT NOT NULL DEFAULT '', created_at REAL NOT NULL, delivered_at REAL);
CREATE INDEX ix_webhook_due ON webhook (state, next_at);
CREATE TABLE webhook_attempt (id INTEGER PRIMARY KEY AUTOINCREMENT, webhook_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL, at REAL NOT NULL, status INTEGER, error TEXT NOT NULL, outcome TEXT NOT NULL);
"""

# Built after the bulk insert of the demo data: much faster than maintaining them row by row.
INDEXES = """
CREATE INDEX IF NOT EXISTS ix_request_update ON request (kind, shop_id, update_time, id);
CREATE INDEX IF NOT EXISTS ix_request_create ON request (kind, shop_id, create_time, id);
CREATE INDEX IF NOT EXISTS ix_record_request ON record (request_id);
CREATE INDEX IF NOT EXISTS ix_listing_shop ON etsy_listing (shop_id, listing_id);
CREATE INDEX IF NOT EXISTS ix_receipt_shop ON etsy_receipt (shop_id, created_timestamp);
"""


# Bumped whenever SCHEMA changes: an older sandbox file is rebuilt from its seed on start.
SCHEMA_VERSION = "4"


class Store:
    """Thread-safe access to the sandbox's SQLite file.

    Readers use their own thread-local connection (WAL lets them read while a write runs);
    writers serialize on one lock so SQLite never answers "database is locked".
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._lock = threading.RLock()

    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, serialized with every other writer."""
        with self._lock:
            conn = self.conn()
            if conn.in_transaction:  # nested use inside an outer write
                yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def is_initialized(self) -> bool:
        row = (
            self.conn()
            .execute("SELECT name FROM sqlite_master WHERE type='table' AND name='meta'")
            .fetchone()
        )
        if row is None:
            return False
        if self.conn().execute("SELECT 1 FROM meta WHERE key='seed'").fetchone() is None:
            return False
        return self.meta("schema") == SCHEMA_VERSION

    def recreate(self, conn: sqlite3.Connection) -> None:
        """Drop every table and build the empty schema (inside the caller's write transaction)."""
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for name in names:
            if not name.startswith("sqlite_"):
                conn.execute(f"DROP TABLE IF EXISTS {name}")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)

    def build_indexes(self, conn: sqlite3.Connection) -> None:
        for statement in INDEXES.split(";"):
            if statement.strip():
                conn.execute(statement)

    def meta(self, key: str, default: str = "") -> str:
        row = self.conn().execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default
