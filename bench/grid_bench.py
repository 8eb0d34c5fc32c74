"""Returns grid benchmark: what does a tab switch cost beyond the statements it must run, and is it as
fast for a 200,000-request seller as for a 2,000-request one?

Seeds a fresh database (SQLite in a temporary directory unless ``--database-url`` names a PostgreSQL
server) with ``--total`` requests over ``--sellers`` sellers — one with ``--big``, one with ``--small`` —
then measures, in one run, through the real Flask app (test client, logged in, htmx headers):

1. a tab switch of the big seller (the htmx fragment, counts and totals included) against the app's own
   statements for that page, run bare: every statement the request executed (the login, the shops,
   the settings, the counters, the page, its items, the listing links), recorded from the request and
   replayed with the same parameters on a raw database connection (goal: at most 5x);
2. the same for the "Needs your answer" view (goal: at most 5x);
3. the big seller's tab switch and "Needs your answer" against the small seller's (goal: at most 1.2x);
4. page 500 of a tab against page 1 (goal: at most 1.5x);
5. the CSV export of the big seller's requests against a tenth of them: peak Python memory while the
   stream is consumed (goal: flat — at most 1.5x for ten times the rows).

Samples are interleaved (subject, baseline, subject, …) and each figure compares the *fastest* sample
of each side: on a shared machine another process can stall any single sample, but not every one, so
the fastest is the work itself; the medians are printed beside them.
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

from flask import has_request_context
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from bench.grid_seed import PASSWORD, Seeded, seed
from connector_app import create_app
from connector_app.extensions import db

TAB = "complete"  # the biggest tab: the most rows behind the indexes
SMALL_TAB = "closed"  # about a tenth of the requests: the small CSV export
PAGE_SIZE = 50
HTMX = {"HX-Request": "true"}
COUNTS_SQL = text("SELECT tab, SUM(count) FROM return_tab_counts WHERE seller_id = :s GROUP BY tab")
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


MEDIANS: dict[int, tuple[float, float]] = {}  # id of a paired() result -> the two medians


def paired(
    subject: Callable[[], object], baseline: Callable[[], object], repeats: int
) -> tuple[float, float]:
    """Fastest samples of ``subject`` and ``baseline``, sampled in turn (medians kept in MEDIANS)."""
    for _ in range(max(2, repeats // 5)):
        subject()
        baseline()
    a, b = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        subject()
        middle = time.perf_counter()
        baseline()
        a.append(middle - start)
        b.append(time.perf_counter() - middle)
    result = (min(a), min(b))
    MEDIANS[id(result)] = (statistics.median(a), statistics.median(b))
    return result


def _medians(pair: tuple[float, float]) -> str:
    a, b = MEDIANS.get(id(pair), pair)
    return f"medians {a * 1000:.2f} ms vs {b * 1000:.2f} ms"


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


def recorded_statements(client, url: str) -> list[tuple[str, object]]:
    """Every statement (SQL and parameters, as sent to the driver) one fragment request executes."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        if has_request_context() and not executemany:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        _fragment(client, url)()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    if not seen:
        raise RuntimeError(f"{url} ran no statement")
    return seen


def bare(statements: list[tuple[str, object]]) -> Callable[[], None]:
    """The recorded statements replayed on one raw driver connection, each result fetched in full."""
    raw = db.engine.raw_connection()

    def run() -> None:
        cursor = raw.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            cursor.fetchall()
        cursor.close()
        raw.rollback()

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


def _versus_bare(client, url: str, repeats: int) -> tuple[tuple[float, float], int]:
    statements = recorded_statements(client, url)
    return paired(_fragment(client, url), bare(statements), repeats), len(statements)


def measure(app, seeded: Seeded, repeats: int) -> list[Result]:
    with db.engine.connect() as conn:
        big_id = conn.execute(SELLER_SQL, {"e": seeded.big_seller}).scalar_one()
        tab_rows = dict(conn.execute(COUNTS_SQL, {"s": big_id}).all())
    big, small = _login(app, seeded.big_seller), _login(app, seeded.small_seller)
    url = f"/returns?tab={TAB}&size={PAGE_SIZE}"
    needs_url = f"/returns?tab=needs&size={PAGE_SIZE}"

    tab, n_tab = _versus_bare(big, url, repeats)
    needs, n_needs = _versus_bare(big, needs_url, repeats)
    sizes_tab = paired(_fragment(big, url), _fragment(small, url), repeats)
    sizes_needs = paired(_fragment(big, needs_url), _fragment(small, needs_url), repeats)
    (t_tab, t_tab_bare), (t_needs, t_needs_bare) = tab, needs
    (t_big, t_small), (t_big_needs, t_small_needs) = sizes_tab, sizes_needs

    deep = max(1, min(500, int(tab_rows.get(TAB, 0)) // PAGE_SIZE))
    depth = sizes_tab
    if deep > 1:
        with db.engine.connect() as conn:
            key, ident = conn.execute(
                CURSOR_SQL, {"s": big_id, "t": TAB, "o": (deep - 1) * PAGE_SIZE - 1}
            ).one()
        deep_url = f"{url}&after={key}~{ident}&page={deep}"
        depth = paired(_fragment(big, deep_url), _fragment(big, url), repeats)
    t_deep, t_first = depth

    _export_peak(big, f"/returns/export.csv?tab={SMALL_TAB}")  # warm-up: first-use costs are not growth
    rows_all, peak_all, secs_all = _export_peak(big, "/returns/export.csv?tab=all")
    rows_tenth, peak_tenth, secs_tenth = _export_peak(big, f"/returns/export.csv?tab={SMALL_TAB}")
    if rows_all != seeded.big_count or rows_tenth != int(tab_rows.get(SMALL_TAB, 0)):
        raise RuntimeError(f"CSV exported {rows_all:,}/{rows_tenth:,} rows, not every request")

    ms = 1000
    sizes = f"{seeded.big_count:,} / {seeded.small_count:,} requests"
    return [
        Result(
            f"tab switch ({TAB!r}, htmx fragment) / the app's own {n_tab} statements for it, run bare",
            t_tab / t_tab_bare,
            5.0,
            f"{t_tab * ms:.2f} ms vs {t_tab_bare * ms:.2f} ms ({seeded.big_count:,}-request seller; "
            f"{_medians(tab)})",
        ),
        Result(
            f'"Needs your answer" (htmx fragment) / the app\'s own {n_needs} statements for it, run bare',
            t_needs / t_needs_bare,
            5.0,
            f"{t_needs * ms:.2f} ms vs {t_needs_bare * ms:.2f} ms ({_medians(needs)})",
        ),
        Result(
            f"tab switch, big / small seller ({sizes})",
            t_big / t_small,
            1.2,
            f"{t_big * ms:.2f} ms vs {t_small * ms:.2f} ms ({_medians(sizes_tab)})",
        ),
        Result(
            f'"Needs your answer", big / small seller ({sizes})',
            t_big_needs / t_small_needs,
            1.2,
            f"{t_big_needs * ms:.2f} ms vs {t_small_needs * ms:.2f} ms ({_medians(sizes_needs)})",
        ),
        Result(
            f"page {deep} / page 1 of the {TAB!r} tab",
            t_deep / t_first,
            1.5,
            f"{t_deep * ms:.2f} ms vs {t_first * ms:.2f} ms ({_medians(depth)})",
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
