"""The sync's per-page lookup stays an index lookup as a shop grows (it once scanned the seller's rows).

SQLite plans from the indexes' shape, so no single-column index may compete with the composite one;
PostgreSQL plans from statistics, which ``analyze_if_stale`` refreshes after a bulk load.
"""

from __future__ import annotations

import time

from connector_app.dbutil import analyze_if_stale
from connector_app.extensions import db
from connector_app.returns.services import ShopKey, stored_rows_query
from connector_app.sync.jobs import WRITTEN_TABLES
from connector_app.transactions import job_step


def _plan(statement) -> str:
    dialect = db.session.get_bind().dialect
    sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if dialect.name == "sqlite" else "EXPLAIN "
    return "\n".join(str(row[-1]) for row in db.session.execute(db.text(prefix + sql)))


def _stale_tables_after_load(wait: float = 10.0) -> list[str]:
    """PostgreSQL publishes a backend's row counts about once a second: wait for them to show."""
    deadline = time.monotonic() + wait
    while True:
        with job_step():  # as the sync job does: each look (and ANALYZE) is its own transaction
            analyzed = analyze_if_stale(WRITTEN_TABLES)
        if analyzed or db.session.get_bind().dialect.name != "postgresql" or time.monotonic() > deadline:
            return analyzed
        time.sleep(0.25)


def test_page_lookup_is_an_index_lookup_on_a_freshly_loaded_shop(app_ctx, factories):
    other = factories.tiktok_shop(factories.seller())
    seller = factories.seller()
    shop = factories.tiktok_shop(seller)
    for _ in range(8):
        factories.returns(other, [factories.aftersale() for _ in range(50)])
        factories.returns(shop, [factories.aftersale() for _ in range(50)])

    analyzed = _stale_tables_after_load()
    plan = _plan(stored_rows_query(ShopKey(shop.id, seller.id), ["5768000000000001", "5768000000000002"]))

    if db.session.get_bind().dialect.name == "postgresql":
        # Normally all three; autovacuum may have analyzed one of them a moment earlier.
        assert analyzed and set(analyzed) <= {"return_requests", "return_line_items", "return_status_changes"}
        assert "Index Scan using ix_return_requests_seller_request" in plan, plan
        with job_step():
            assert analyze_if_stale(WRITTEN_TABLES) == []  # fresh now: no second ANALYZE
    else:
        assert analyzed == []  # SQLite keeps no statistics and is not asked to
        assert "USING INDEX ix_return_requests_seller_request (seller_id=? AND request_id=?)" in plan, plan
