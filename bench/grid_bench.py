"""Returns grid benchmark: is the grid as fast for a 200,000-request seller as for a small one?

Seeds a fresh database (SQLite in a temporary directory unless ``--database-url`` names a PostgreSQL
server) with ``--total`` requests over ``--sellers`` sellers — one with ``--big``, one with ``--small`` —
then measures, in one run, through the real Flask app (test client, logged in, htmx headers):

1. a tab switch of the big seller (the htmx fragment, tab counts included) against hand-written SQL
   for the same page, its line items and the tab counts counted from the requests (goal: at most 3x);
   also printed, for information: against the exact statements the app runs (its counts come from
   ``return_tab_counts``), which shows the fixed per-request cost of Flask and rendering;
2. the big seller's tab switch against the small seller's (goal: at most 1.5x);
3. page 500 of a tab against page 1 (goal: at most 1.5x);
4. the CSV export of the big seller's requests against a tenth of them: peak Python memory while the
   stream is consumed (goal: flat — at most 1.5x for ten times the rows).

``python -m bench.grid_bench --sellers 20 --total 20000 --big 5000 --small 500`` is a quick run.
Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import make_url

from bench.grid_seed import PASSWORD, Seeded, seed
from connector_app import create_app
from connector_app.extensions import db

TAB = "complete"  # the biggest tab: the most rows behind the indexes
SMALL_TAB = "closed"  # about a tenth of the requests: the small CSV export
PAGE_SIZE = 50
HTMX = {"HX-Request": "true"}
PAGE_SQL = text(
    "SELECT * FROM return_requests WHERE seller_id = :s AND tab = :t "
    "ORDER BY update_time DESC, id DESC LIMIT :n"
)
ITEMS_SQL = text("SELECT * FROM return_line_items WHERE seller_id = :s AND request_pk IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
COUNTS_SQL = text("SELECT tab, SUM(count) FROM return_tab_counts WHERE seller_id = :s GROUP BY tab")
SCAN_COUNTS_SQL = text("SELECT tab, COUNT(*) FROM return_requests WHERE seller_id = :s GROUP BY tab")
SELLER_SQL = text("SELECT id FROM sellers WHERE email_key = :e")
CURSOR_SQL = text(
    "SELECT update_time, id FROM return_requests WHERE seller_id = :s AND tab = :t "
    "ORDER BY update_time DESC, id DESC LIMIT 1 OFFSET :o"
)


@dataclass
class Result:
    name: str
    value: float
    goal: float | None
    detail: str

    @property
    def ok(self) -> bool:
        return self.goal is None or self.value <= self.goal


def timed(func: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``func`` in seconds, after a warm-up."""
    for _ in range(max(2, repeats // 5)):
        func()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _fresh_database(url: str | None, tmp: Path) -> str:
    if not url:
        return f"sqlite:///{tmp / 'bench.sqlite'}"
    parsed = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    return parsed.render_as_string(hide_password=False)


def _login(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"could not log in as {email}: HTTP {response.status_code}")
    return client


def _fragment(client, url: str) -> Callable[[], None]:
    def get() -> None:
        response = client.get(url, headers=HTMX)
        body = response.get_data()
        if response.status_code != 200 or b'hx-swap-oob="true"' not in body or b"<tr" not in body:
            raise RuntimeError(f"{url} answered HTTP {response.status_code} without the grid and its counts")

    return get


def _raw(app, seller_id: int, counts_sql) -> Callable[[], None]:
    def run() -> None:
        with db.engine.connect() as conn:
            rows = conn.execute(PAGE_SQL, {"s": seller_id, "t": TAB, "n": PAGE_SIZE + 1}).all()
            conn.execute(ITEMS_SQL, {"s": seller_id, "ids": [row.id for row in rows]}).all()
            conn.execute(counts_sql, {"s": seller_id}).all()

    return run


def _export_peak(client, url: str) -> tuple[int, int, float]:
    """(rows, peak traced bytes, seconds) while consuming the streamed CSV."""
    tracemalloc.start()
    start = time.perf_counter()
    response = client.get(url)
    lines = 0
    for chunk in response.response:
        lines += chunk.count(b"\n")
    response.close()
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return lines - 1, peak, elapsed


def run(args: argparse.Namespace) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="grid-bench-") as tmp:
        database_url = _fresh_database(args.database_url, Path(tmp))
        config = {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(Path(tmp) / "instance"),
            "WTF_CSRF_ENABLED": False,  # the benchmark only logs in and reads
            "CANONICAL_LOOPBACK": False,  # the in-process client calls itself "localhost"
            "LOG_LEVEL": "WARNING",
            "REDIS_URL": args.redis_url,
        }
        app = create_app(config)
        with app.app_context():
            started = time.perf_counter()
            seeded = seed(db.engine, sellers=args.sellers, total=args.total, big=args.big, small=args.small)
            print(
                f"seeded {args.total:,} requests over {args.sellers:,} sellers "
                f"in {time.perf_counter() - started:.1f} s ({db.engine.dialect.name})",
                flush=True,
            )
            results = measure(app, seeded, args.repeats)
            db.session.remove()
            db.engine.dispose()
        return results


def measure(app, seeded: Seeded, repeats: int) -> list[Result]:
    with db.engine.connect() as conn:
        big_id = conn.execute(SELLER_SQL, {"e": seeded.big_seller}).scalar_one()
        tab_rows = dict(conn.execute(COUNTS_SQL, {"s": big_id}).all())
    big, small = _login(app, seeded.big_seller), _login(app, seeded.small_seller)
    url = f"/returns?tab={TAB}&size={PAGE_SIZE}"

    t_big = timed(_fragment(big, url), repeats)
    t_small = timed(_fragment(small, url), repeats)
    t_raw = timed(_raw(app, big_id, COUNTS_SQL), repeats)
    t_scan = timed(_raw(app, big_id, SCAN_COUNTS_SQL), max(3, repeats // 4))

    deep = max(1, min(500, int(tab_rows.get(TAB, 0)) // PAGE_SIZE))
    t_deep = t_big
    if deep > 1:
        with db.engine.connect() as conn:
            key, ident = conn.execute(
                CURSOR_SQL, {"s": big_id, "t": TAB, "o": (deep - 1) * PAGE_SIZE - 1}
            ).one()
        t_deep = timed(_fragment(big, f"{url}&after={key}~{ident}&page={deep}"), repeats)

    _export_peak(big, f"/returns/export.csv?tab={SMALL_TAB}")  # warm-up: first-use costs are not growth
    rows_all, peak_all, secs_all = _export_peak(big, "/returns/export.csv")
    rows_tenth, peak_tenth, secs_tenth = _export_peak(big, f"/returns/export.csv?tab={SMALL_TAB}")
    if rows_all != seeded.big_count or rows_tenth != int(tab_rows.get(SMALL_TAB, 0)):
        raise RuntimeError(f"CSV exported {rows_all:,}/{rows_tenth:,} rows, not every request")

    ms = 1000
    return [
        Result(
            "tab switch (htmx fragment + counts) / raw SQL for the same page and counts",
            t_big / t_scan,
            3.0,
            f"{t_big * ms:.2f} ms vs {t_scan * ms:.2f} ms (hand-written SQL: the page, its line items, "
            "COUNT(*) GROUP BY tab over the seller's requests)",
        ),
        Result(
            "tab switch / raw SQL of the statements the app runs (counts from return_tab_counts)",
            t_big / t_raw,
            None,
            f"{t_big * ms:.2f} ms vs {t_raw * ms:.2f} ms (information: the difference is Flask, login "
            "and rendering the rows, a fixed cost per request)",
        ),
        Result(
            f"big seller ({seeded.big_count:,}) / small seller ({seeded.small_count:,}) tab switch",
            t_big / t_small,
            1.5,
            f"{t_big * ms:.2f} ms vs {t_small * ms:.2f} ms",
        ),
        Result(
            f"page {deep} / page 1 of the {TAB!r} tab",
            t_deep / t_big,
            1.5,
            f"{t_deep * ms:.2f} ms vs {t_big * ms:.2f} ms",
        ),
        Result(
            f"CSV export peak memory, {rows_all:,} rows / {rows_tenth:,} rows",
            peak_all / max(peak_tenth, 1),
            1.5,
            f"{peak_all / 2**20:.1f} MiB vs {peak_tenth / 2**20:.1f} MiB; "
            f"{secs_all:.1f} s vs {secs_tenth:.1f} s (traced)",
        ),
    ]


def report(results: list[Result]) -> bool:
    print("\nReturns grid benchmark")
    for result in results:
        goal = f"goal <= {result.goal:.1f}x" if result.goal is not None else "no goal"
        verdict = "ok" if result.ok else "MISSED"
        if result.goal is None:
            verdict = "info"
        print(f"  {result.value:6.2f}x  [{verdict:6}] {goal:14} {result.name}\n            {result.detail}")
    return all(result.ok for result in results)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.grid_bench", description=__doc__.splitlines()[0])
    p.add_argument("--sellers", type=int, default=1000)
    p.add_argument("--total", type=int, default=1_000_000)
    p.add_argument("--big", type=int, default=200_000)
    p.add_argument("--small", type=int, default=2_000)
    p.add_argument("--repeats", type=int, default=30, help="timed runs per measurement (median)")
    p.add_argument("--database-url", help="a PostgreSQL URL; the database is DROPPED and recreated")
    p.add_argument("--redis-url", help="Redis for the app (default: embedded)")
    return p


def main(argv: list[str] | None = None) -> int:
    results = run(parser().parse_args(argv))
    return 0 if report(results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
