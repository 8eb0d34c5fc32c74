"""Load benchmark: many sellers browsing at once while a sync and a webhook stream run.

Seeds a fresh database (``--database-url``, PostgreSQL by default; ``sqlite`` for a scratch SQLite file)
with ``--sellers`` sellers of ``--requests`` requests each, starts the whole product with
``devtools.stack.Stack`` (gunicorn with ``--web-workers`` processes, ``--rq-workers`` RQ workers, cron, and
the sandbox marketplace changing requests and sending their webhooks every ``--tick`` seconds), connects
one more seller's shop to the sandbox for real, then:

1. measures the unloaded median of a tab switch (the grid's htmx fragment), one request at a time;
2. starts a full sync of the sandbox seller and runs one thread per seller, each with its own logged-in
   ``requests.Session``, switching tabs, searching and opening requests for ``--duration`` seconds,
   pausing about ``--think`` seconds between clicks like a person (0 turns it into a saturation test);
3. prints the p95 of the tab switches under load, its ratio to the unloaded median (goal: at most
   ``--goal``), the errors (goal: none), the sync's progress and the webhooks received.

``python -m bench.load_bench --duration 10 --sellers 10`` is a quick run. Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from redis import Redis
from sqlalchemy import create_engine, func, inspect, select, text

import connector_app.models  # noqa: F401 - the whole schema, for the bulk seed
from bench.grid_bench import _fresh_database
from bench.grid_seed import PASSWORD, seed
from connector_app import create_app
from connector_app.accounts import services as account_services
from connector_app.connect.clients import tiktok_auth
from connector_app.connect.forms import region_group
from connector_app.connect.services import save_tiktok_connection
from connector_app.extensions import db
from connector_app.marketplaces.tiktok import TikTokClient
from connector_app.returns.tabs import TABS
from connector_app.sync.models import SyncRun
from connector_app.sync.schedule import set_sync_interval
from connector_app.webhooks.models import WebhookEvent
from devtools.stack import BASE_DIR, BIN, Stack

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/connector_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/10"
HTMX = {"HX-Request": "true"}
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
ROW_ID = re.compile(r'name="request_ids" value="([^"]+)"')
SYNCER = "syncer@bench.example.com"
TAB_KEYS = [tab.key for tab in TABS]


@dataclass
class Stats:
    """What the browsing threads saw (appended under a lock)."""

    tab_switches: list[float] = field(default_factory=list)
    other: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            (self.tab_switches if kind == "tab" else self.other).append(seconds)
            if error:
                self.errors.append(error)


@dataclass
class Outcome:
    unloaded_median: float
    loaded_p95: float
    requests: int
    errors: list[str]
    sync_state: str
    sync_requests_done: int
    webhooks_received: int
    duration: float

    @property
    def ratio(self) -> float:
        return self.loaded_p95 / self.unloaded_median if self.unloaded_median else float("inf")


def _database(url: str, tmp: Path) -> str:
    return _fresh_database(None if url == "sqlite" else url, tmp)


def _reset_sequences(engine) -> None:
    """The seed inserts explicit ids: move PostgreSQL's sequences past them for the rows made later."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        inspector = inspect(conn)
        for table in inspector.get_table_names():
            if "id" not in {column["name"] for column in inspector.get_columns(table)}:
                continue
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar()
            if sequence:
                conn.execute(
                    text(f"SELECT setval(:s, COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"),
                    {"s": sequence},
                )


def _stamp(stack: Stack) -> None:
    """The schema comes from the models (seeded in bulk): tell Alembic it is current."""
    subprocess.run(  # noqa: S603 - fixed command
        [str(BIN / "flask"), "--app", "wsgi", "db", "stamp", "head"],
        cwd=BASE_DIR, env=stack.env, check=True, capture_output=True,
    )  # fmt: skip


def _connect_sandbox_seller(stack: Stack, database_url: str, redis_url: str | None) -> None:
    """A seller whose TikTok shops are the sandbox's own, authorized through the sandbox's OAuth."""
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url.replace("postgresql://", "postgresql+psycopg://", 1),
        "INSTANCE_PATH": str(stack.instance_path),  # the stack's token key, generated there
        "TIKTOK_AUTH_API_URL": stack.sandbox_url,
        "TIKTOK_API_URL": stack.sandbox_url,
        **({"REDIS_URL": redis_url} if redis_url else {}),
    }
    app = create_app(config)
    with app.app_context():
        code = stack.sandbox_call("POST", "/authorize/tiktok", json={})["code"]
        tokens = tiktok_auth().get_token(code)
        client = TikTokClient(
            app.config["TIKTOK_APP_KEY"],
            app.config["TIKTOK_APP_SECRET"],
            stack.sandbox_url,
            tokens.access_token,
        )
        seller = account_services.create_seller(SYNCER, PASSWORD)
        db.session.flush()
        shops = client.get_authorized_shops()
        for shop in save_tiktok_connection(seller.id, tokens, region_group(shops[0].region), shops):
            set_sync_interval(shop, 0)  # the benchmark starts the one sync itself
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _app_state(database_url: str) -> tuple[str, int, int]:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        run = conn.execute(
            select(SyncRun.state, SyncRun.requests_done).order_by(SyncRun.created_at.desc()).limit(1)
        ).first()
        hooks = conn.execute(select(func.count()).select_from(WebhookEvent)).scalar_one()
    engine.dispose()
    return (run.state, run.requests_done, hooks) if run else ("not started", 0, hooks)


def login(base: str, email: str) -> requests.Session:
    session = requests.Session()
    # A new connection per request: a reused keep-alive connection that gunicorn closes at the moment
    # it is reused is reset, which a browser retries silently and ``requests`` reports as an error.
    session.headers["Connection"] = "close"
    page = session.get(f"{base}/login", timeout=30)
    token = CSRF_META.search(page.text).group(1)
    response = session.post(
        f"{base}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    if response.status_code != 302:
        raise RuntimeError(f"could not log in as {email}: HTTP {response.status_code}")
    session.headers["X-CSRFToken"] = token
    return session


def _get(session: requests.Session, url: str, stats: Stats, kind: str) -> str:
    started = time.perf_counter()
    error, body = None, ""
    try:
        response = session.get(url, headers=HTMX, timeout=30)
        body = response.text
        if response.status_code >= 400:
            error = f"GET {url}: HTTP {response.status_code}"
    except requests.RequestException as exc:
        error = f"GET {url}: {type(exc).__name__}: {str(exc)[:160]}"
    stats.record(kind, time.perf_counter() - started, error)
    return body


def browse(
    base: str, session: requests.Session, seller_n: int, deadline: float, think: float, stats: Stats
) -> None:
    """One seller: mostly tab switches, some searches, some request details, with a person's pauses
    (uniform around ``think`` seconds) between clicks."""
    rng = random.Random(seller_n)
    seen: list[str] = []
    while time.monotonic() < deadline:
        time.sleep(rng.uniform(0.5 * think, 1.5 * think))
        roll = rng.random()
        if roll < 0.5 or not seen:
            body = _get(session, f"{base}/returns?tab={rng.choice(TAB_KEYS)}", stats, "tab")
            seen = ROW_ID.findall(body)[:20] or seen
        elif roll < 0.75:
            query = rng.choice([f"SKU-{seller_n}-{rng.randrange(400)}", "mug", seen[0][-6:]])
            _get(session, f"{base}/returns?q={query}", stats, "search")
        else:
            _get(session, f"{base}/returns/{rng.choice(seen)}", stats, "detail")


def unloaded_median(base: str, sessions: list[requests.Session], samples: int) -> float:
    stats = Stats()
    for i in range(samples + 5):
        _get(sessions[i % len(sessions)], f"{base}/returns?tab={TAB_KEYS[i % len(TAB_KEYS)]}", stats, "tab")
    if stats.errors:
        raise RuntimeError(f"errors before any load: {stats.errors[:3]}")
    return statistics.median(stats.tab_switches[5:])  # the first ones warm the workers up


def run(args: argparse.Namespace) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="load-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        database_url = _database(args.database_url, tmp)
        engine = create_engine(database_url)
        seed(engine, sellers=args.sellers, total=args.sellers * args.requests, big=args.requests,
             small=args.requests)  # fmt: skip
        _reset_sequences(engine)
        engine.dispose()
        redis_url = None if args.redis_url == "embedded" else args.redis_url
        if redis_url:
            Redis.from_url(redis_url).flushdb()
        stack = Stack(
            tmp / "stack",
            database_url=database_url,
            redis_url=redis_url,
            web_workers=args.web_workers,
            rq_workers=args.rq_workers,
            sandbox_returns=args.sandbox_returns,
            sandbox_tick_seconds=args.tick,
            env={"SANDBOX_TICK_COUNT": "5", "LOG_LEVEL": "WARNING"},
        )
        _stamp(stack)
        with stack:
            _connect_sandbox_seller(stack, database_url, redis_url)
            base = stack.web_url
            sessions = [login(base, f"seller{n}@bench.example.com") for n in range(1, args.sellers + 1)]
            median = unloaded_median(base, sessions, args.samples)
            syncer = login(base, SYNCER)
            started = syncer.post(f"{base}/sync", data={"full": "1"}, allow_redirects=False, timeout=30)
            if started.status_code != 302:
                raise RuntimeError(f"could not start the sync: HTTP {started.status_code}")
            stats = Stats()
            began = time.monotonic()
            deadline = began + args.duration
            threads = [
                threading.Thread(target=browse, args=(base, s, n, deadline, args.think, stats), daemon=True)
                for n, s in enumerate(sessions, start=1)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - began
            state, done, hooks = _app_state(database_url)
    loaded = sorted(stats.tab_switches)
    p95 = loaded[max(0, int(len(loaded) * 0.95) - 1)] if loaded else float("inf")
    return Outcome(median, p95, len(stats.tab_switches) + len(stats.other), stats.errors, state, done, hooks,
                   elapsed)  # fmt: skip


def report(outcome: Outcome, args: argparse.Namespace) -> bool:
    ok = not outcome.errors and outcome.ratio <= args.goal
    print(f"  sellers browsing at once         {args.sellers} ({args.requests} requests each, "
          f"~{args.think:g} s between clicks)")  # fmt: skip
    print(f"  requests under load              {outcome.requests} in {outcome.duration:.0f} s "
          f"({outcome.requests / outcome.duration:.0f}/s)")  # fmt: skip
    print(f"  tab switch, unloaded median      {outcome.unloaded_median * 1000:.1f} ms")
    print(f"  tab switch, p95 under load       {outcome.loaded_p95 * 1000:.1f} ms")
    print(f"  ratio                            {outcome.ratio:.2f}x (goal <= {args.goal:g}x)")
    print(f"  errors                           {len(outcome.errors)} (goal 0)")
    for error in outcome.errors[:10]:
        print(f"    {error}")
    print(f"  sync during the run              {outcome.sync_state}, {outcome.sync_requests_done} requests")
    print(f"  webhooks received                {outcome.webhooks_received}")
    return ok


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.load_bench", description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    p.add_argument("--sellers", type=int, default=50, help="concurrent sellers (default 50)")
    p.add_argument("--requests", type=int, default=3000, help="requests per seller (default 3000)")
    p.add_argument("--database-url", default=DEFAULT_DATABASE, help="a scratch database, or 'sqlite'")
    p.add_argument("--redis-url", default=DEFAULT_REDIS, help="a Redis database, or 'embedded'")
    p.add_argument("--web-workers", type=int, default=4)
    p.add_argument("--rq-workers", type=int, default=2)
    p.add_argument("--sandbox-returns", type=int, default=3000, help="requests in the sandbox world")
    p.add_argument("--tick", type=float, default=0.5, help="seconds between sandbox changes + webhooks")
    p.add_argument("--think", type=float, default=1.0, help="mean pause between a seller's clicks (s)")
    p.add_argument("--samples", type=int, default=40, help="unloaded tab switches measured")
    p.add_argument("--goal", type=float, default=5.0, help="largest p95-under-load / unloaded-median")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return 0 if report(run(args), args) else 1


if __name__ == "__main__":
    raise SystemExit(main())
