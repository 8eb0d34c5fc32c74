"""The grid's revision builds its counters, reason options and folded search text from the requests
already stored (SQLite and, with TEST_DATABASE_URL, PostgreSQL)."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from connector_app import create_app
from connector_app.config import TestConfig
from connector_app.extensions import db
from tests.core.test_migrations import _fresh_database_url

BEFORE = "e7a1c9d4b2f6"  # the revision before the grid's
REQUEST = (
    "INSERT INTO return_requests (id, seller_id, tiktok_shop_id, request_id, kind, request_type, order_id,"
    " status, tab, reason, reason_text, currency, refund_total, tracking_number, needs_action, create_time,"
    " update_time, search_text, first_synced_at, synced_at) VALUES (:id, 1, 1, :rid, 'return', 'REFUND',"
    " :oid, 'S', :tab, :reason, :rtext, :cur, :amount, :tracking, :needs, 1, 1, 'old', '2026-01-01',"
    " '2026-01-01')"
)


def test_the_revision_builds_counters_reasons_and_search_text_from_stored_requests(tmp_path):
    config = {"INSTANCE_PATH": str(tmp_path), "SQLALCHEMY_DATABASE_URI": _fresh_database_url(tmp_path)}
    app = create_app(type("Migrated", (TestConfig,), config))
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO sellers (id, email, email_key, password_hash, session_token, timezone,"
                    " date_format, created_at) VALUES (1, 'a@x', 'a@x', 'h', 't', 'UTC', '%Y', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO tiktok_shops (id, seller_id, shop_id, name, region, cipher, status,"
                    " connected_at) VALUES (1, 1, 'S1', 'Shop', 'GB', 'c', 'connected', '2026-01-01')"
                )
            )
            rows = [
                (1, "applying", "damaged", "Damaged", "GBP", "10.50", None, True),
                (2, "applying", "damaged", "Damaged", "GBP", "4.25", None, False),
                (3, "complete", "wrong", "Wrong item", "EUR", "7.00", "1Z999AA1", False),
                (4, "complete", None, None, None, None, None, False),
            ]
            for pk, tab, reason, rtext, cur, amount, tracking, needs in rows:
                conn.execute(
                    text(REQUEST),
                    dict(id=pk, rid=f"R{pk}", oid=f"O{pk}", tab=tab, reason=reason, rtext=rtext, cur=cur,
                         amount=amount, tracking=tracking, needs=needs),
                )  # fmt: skip
            conn.execute(
                text(
                    "INSERT INTO return_line_items (id, seller_id, request_pk, line_item_id, seller_sku,"
                    " product_name, quantity) VALUES (1, 1, 1, 'L1', 'MW-1', 'Macramé Wall Hanging', 1)"
                )
            )
        upgrade()
        with db.engine.begin() as conn:
            counters = {
                (tab, cur): (count, cents, needs, needs_cents)
                for tab, cur, count, cents, needs, needs_cents in conn.execute(
                    text(
                        "SELECT tab, currency, count, refund_cents, needs_count, needs_refund_cents"
                        " FROM return_tab_counts WHERE seller_id = 1"
                    )
                )
            }
            reasons = conn.execute(
                text("SELECT reason, reason_text FROM return_reasons ORDER BY reason")
            ).all()
            search = dict(conn.execute(text("SELECT request_id, search_text FROM return_requests")).all())
        assert counters == {
            ("applying", "GBP"): (2, 1475, 1, 1050),
            ("complete", "EUR"): (1, 700, 0, 0),
            ("complete", ""): (1, 0, 0, 0),
        }
        assert [tuple(r) for r in reasons] == [("damaged", "Damaged"), ("wrong", "Wrong item")]
        assert search["R1"] == "r1 o1 mw-1 macrame wall hanging" and search["R3"] == "r3 o3 1z999aa1"
        downgrade(revision=BEFORE)
        with db.engine.begin() as conn:
            old = dict(conn.execute(text("SELECT tab, count FROM return_tab_counts")).all())
        assert old == {"applying": 2, "complete": 2}
        db.engine.dispose()
