"""Insights benchmark: a year of insights for a 200,000-request seller, as fast as for a small one?

Seeds a fresh database (SQLite in a temporary directory unless ``--database-url`` names a PostgreSQL
server) with ``--total`` requests over ``--sellers`` sellers — one with ``--big``, one with ``--small`` —
opened over the last 52 weeks, with their line items and seller turns (``bench.insights_seed``), builds
every seller's summaries with the app's own refresh (timed), then measures in one run, through the real
Flask app (test client, logged in):

1. the big seller's insights page for the last 12 months (``/insights?period=52w``, the full page):
   server time, goal at most 200 ms;
2. the same page of the big seller against the small seller's (goal: at most 1.5x);
3. for information: the SQL alone of computing the same figures from the requests, line items and
   turns on every view (what the summary tables save), and the refresh job's cost after an
   incremental sync page of 50 changed requests opened in the last three weeks.

``python -m bench.insights_bench --sellers 4 --total 30000 --big 20000 --small 2000`` is a quick run.
Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from bench.grid_bench import Result, _fresh_database, _login, timed
from bench.insights_seed import Seeded, seed
from connector_app import create_app
from connector_app.extensions import db
from connector_app.insights.periods import DAY, monday_of
from connector_app.insights.summaries import refresh
from connector_app.timeutil import utcnow

URL = "/insights?period=52w"
PAGE_GOAL_SECONDS = 0.200

# What the page would run if it read the rows: the series, reasons and products of 52 weeks.
SCAN_SQL = (
    text(
        "SELECT create_time / 86400, kind, request_type, currency, COUNT(*), SUM(refund_total) "
        "FROM return_requests WHERE seller_id = :s AND create_time >= :a AND create_time < :b "
        "GROUP BY create_time / 86400, kind, request_type, currency"
    ),
    text(
        "SELECT reason, currency, COUNT(*), SUM(refund_total) FROM return_requests "
        "WHERE seller_id = :s AND create_time >= :a AND create_time < :b GROUP BY reason, currency"
    ),
    text(
        "SELECT l.seller_sku, r.reason, COUNT(DISTINCT r.id), SUM(l.quantity), SUM(l.refund_total) "
        "FROM return_requests r JOIN return_line_items l ON l.request_pk = r.id "
        "WHERE r.seller_id = :s AND r.create_time >= :a AND r.create_time < :b "
        "GROUP BY l.seller_sku, r.reason"
    ),
    text(
        "SELECT t.started_at, t.answered_at, t.ended_at, t.deadline, t.outcome, t.end_status, t.refund_total "
        "FROM seller_turns t WHERE t.seller_id = :s AND t.started_at >= :a AND t.started_at < :b"
    ),
)


def paired(first, second, repeats: int) -> tuple[float, float]:
    """Median wall times of ``first`` and ``second`` measured alternately (after a warm-up), so load
    that comes and goes on a shared machine weighs on both alike."""
    for _ in range(max(2, repeats // 5)):
        first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for func, samples in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            func()
            samples.append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def _page(client, url: str):
    def get() -> None:
        response = client.get(url)
        body = response.get_data()
        complete = b'id="chart-requests"' in body and b"Products that come" in body
        if response.status_code != 200 or not complete:
            raise RuntimeError(f"{url} answered HTTP {response.status_code} without the insights")

    return get


def _scan(seller_id: int, start: int, end: int):
    def run() -> None:
        with db.engine.connect() as conn:
            for statement in SCAN_SQL:
                conn.execute(statement, {"s": seller_id, "a": start, "b": end}).all()

    return run


def _touch_a_page(seller_id: int, now: int, count: int = 50) -> None:
    """What an incremental sync page does to the big seller: 50 requests opened in the last three
    weeks move on (status and synced_at change)."""
    with db.engine.begin() as conn:
        ids = conn.execute(
            text(
                "SELECT id FROM return_requests WHERE seller_id = :s AND create_time >= :recent "
                "ORDER BY id DESC LIMIT :n"
            ),
            {"s": seller_id, "recent": now - 21 * DAY, "n": count},
        ).scalars()
        conn.execute(
            text(
                "UPDATE return_requests SET status = 'RETURN_OR_REFUND_REQUEST_COMPLETE', synced_at = :now "
                "WHERE id = :id"
            ),
            [{"id": pk, "now": utcnow()} for pk in ids],
        )


def run(args: argparse.Namespace) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="insights-bench-") as tmp:
        database_url = _fresh_database(args.database_url, Path(tmp))
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "INSTANCE_PATH": str(Path(tmp) / "instance"),
                "WTF_CSRF_ENABLED": False,  # the benchmark only logs in and reads
                "CANONICAL_LOOPBACK": False,
                "LOG_LEVEL": "WARNING",
                "REDIS_URL": args.redis_url,
            }
        )
        with app.app_context():
            now = int(time.time())
            started = time.perf_counter()
            sizes = {"sellers": args.sellers, "total": args.total, "big": args.big, "small": args.small}
            seeded = seed(db.engine, now=now, **sizes)
            print(
                f"seeded {args.total:,} requests ({seeded.turns:,} seller turns) "
                f"over {args.sellers:,} sellers "
                f"in {time.perf_counter() - started:.1f} s ({db.engine.dialect.name})",
                flush=True,
            )
            built = {}
            for seller_id in range(1, args.sellers + 1):
                started = time.perf_counter()
                refresh(seller_id)
                db.session.commit()
                built[seller_id] = time.perf_counter() - started
            print(
                f"first refresh (every week rebuilt): {built[seeded.big_id]:.2f} s for the big seller's "
                f"{seeded.big_count:,} requests, {built[seeded.small_id]:.2f} s for the small seller's",
                flush=True,
            )
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect() as conn:
                    conn.execute(text("ANALYZE"))
            results = measure(app, seeded, args.repeats, now)
            db.session.remove()
            db.engine.dispose()
        return results


def measure(app, seeded: Seeded, repeats: int, now: int) -> list[Result]:
    big, small = _login(app, seeded.big_seller), _login(app, seeded.small_seller)
    t_big, t_small = paired(_page(big, URL), _page(small, URL), repeats)
    end = (monday_of(now // DAY) + 7) * DAY
    t_scan = timed(_scan(seeded.big_id, end - 52 * 7 * DAY, end), max(3, repeats // 5))
    with app.app_context():
        _touch_a_page(seeded.big_id, now)
        started = time.perf_counter()
        refreshed = refresh(seeded.big_id)
        db.session.commit()
        t_refresh = time.perf_counter() - started
    ms = 1000
    return [
        Result(
            f"insights page, 12 months of the big seller ({seeded.big_count:,} requests), seconds / 0.2 s",
            t_big / PAGE_GOAL_SECONDS,
            1.0,
            f"{t_big * ms:.1f} ms server time (goal: at most {PAGE_GOAL_SECONDS * ms:.0f} ms)",
        ),
        Result(
            f"big seller ({seeded.big_count:,}) / small seller ({seeded.small_count:,}) insights page",
            t_big / t_small,
            1.5,
            f"{t_big * ms:.1f} ms vs {t_small * ms:.1f} ms",
        ),
        Result(
            "the same figures computed from the rows on every view (SQL only) / the page",
            t_scan / t_big,
            None,
            f"{t_scan * ms:.0f} ms of SQL vs {t_big * ms:.1f} ms for the whole page (information: what the "
            "summary tables save)",
        ),
        Result(
            "refresh job after a sync page of 50 changed requests / the page",
            t_refresh / t_big,
            None,
            f"{t_refresh * ms:.0f} ms to recompute {refreshed.weeks} week(s) (information: a background job)",
        ),
    ]


def report(results: list[Result]) -> bool:
    print("\nInsights benchmark")
    for result in results:
        goal = f"goal <= {result.goal:.1f}x" if result.goal is not None else "no goal"
        verdict = "info" if result.goal is None else ("ok" if result.ok else "MISSED")
        print(f"  {result.value:6.2f}x  [{verdict:6}] {goal:14} {result.name}\n            {result.detail}")
    return all(result.ok for result in results)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.insights_bench", description=__doc__.splitlines()[0])
    p.add_argument("--sellers", type=int, default=10)
    p.add_argument("--total", type=int, default=300_000)
    p.add_argument("--big", type=int, default=200_000)
    p.add_argument("--small", type=int, default=2_000)
    p.add_argument("--repeats", type=int, default=20, help="timed runs per measurement (median)")
    p.add_argument("--database-url", help="a PostgreSQL URL; the database is DROPPED and recreated")
    p.add_argument("--redis-url", help="Redis for the app (default: embedded)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return 0 if report(run(args)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
