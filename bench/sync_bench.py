"""Sync benchmark against the sandbox marketplace over loopback.

Goals (issue 6):
- full sync of N requests ≤ 1.25 × a bare loop fetching and decoding the same pages with the same client;
- incremental sync after 100 changed requests ≤ 3 % of the full sync;
- the worker's peak memory syncing 100,000 requests ≤ 1.2 × syncing 10,000 (each in its own process).

``python -m bench sync`` or ``python -m bench.sync_bench --requests 2000 --memory 1000 5000`` for a
quick run. Prints each ratio; exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from connector_app.processes import RedisServer

GOAL_FULL, GOAL_INCREMENTAL, GOAL_MEMORY = 1.25, 0.03, 1.2
SHOPS_IN_SANDBOX = 7
SELLER = "Harbor & Pine Goods"


def _sandbox(requests_in_shop: int):
    from sandbox_marketplace.testing import SandboxServer

    # The marketplace runs in its own process, as TikTok's servers do not share the worker's CPU.
    return SandboxServer(
        seed=9, returns=requests_in_shop * SHOPS_IN_SANDBOX, separate_process=True, SANDBOX_TIKTOK_QPS=100_000
    )


def _fresh_database(url: str | None, tmp: Path) -> str:
    from bench.grid_bench import _fresh_database as fresh

    return fresh(url, tmp)


def _app(
    tmp: str, sb_url: str, app_key: str, app_secret: str, redis_url: str, database_url: str | None = None
):
    from connector_app import create_app
    from connector_app.extensions import db, rq

    app = create_app(
        {
            "INSTANCE_PATH": tmp,
            "REDIS_URL": redis_url,
            "SQLALCHEMY_DATABASE_URI": _fresh_database(database_url, Path(tmp)),
            "SECRET_KEY": "bench",
            "TIKTOK_API_URL": sb_url,
            "TIKTOK_AUTH_API_URL": sb_url,
            # SELLER is a US seller: authorized by the sandbox's US Partner Center app.
            "TIKTOK_US_APP_KEY": app_key,
            "TIKTOK_US_APP_SECRET": app_secret,
            "LOG_LEVEL": "WARNING",
        }
    )
    with app.app_context():
        db.create_all()
        rq.connection.ping()  # connect to Redis (the shared rate limiter's) before any timing
    return app


def _connect(app, sb_url: str, app_key: str, app_secret: str, code: str) -> int:
    """A seller and its sandbox shop, stored by the connect feature's own service; returns the shop's id."""
    from connector_app.accounts.services import create_seller
    from connector_app.connect.clients import tiktok_auth
    from connector_app.connect.forms import region_group
    from connector_app.connect.services import save_tiktok_connection
    from connector_app.extensions import db
    from connector_app.marketplaces.tiktok import TikTokClient

    with app.app_context():
        seller = create_seller(f"bench-{uuid.uuid4().hex[:8]}@example.com", "correct horse battery")
        tokens = tiktok_auth("US").get_token(code)
        remote = TikTokClient(app_key, app_secret, sb_url, tokens.access_token).get_authorized_shops()[0]
        [shop] = save_tiktok_connection(seller.id, tokens, region_group(remote.region), [remote])
        db.session.commit()
        return shop.id


def _sync(app, shop_pk: int, full: bool) -> tuple[float, int]:
    """Run the sync job in this process (no queue in between); returns (seconds, requests fetched)."""
    from connector_app.connect.models import TikTokShop
    from connector_app.extensions import db
    from connector_app.sync import services
    from connector_app.sync.jobs import run_sync
    from connector_app.sync.models import SyncRun

    with app.app_context():
        shop = db.session.get(TikTokShop, shop_pk)
        # Connecting the shop queued its first sync (no worker runs here): this run replaces it.
        db.session.execute(
            db.delete(SyncRun).where(SyncRun.tiktok_shop_id == shop_pk, SyncRun.state == "queued")
        )
        run = services._new_run(shop, full, "bench", "returns")
        db.session.add(run)
        db.session.commit()
        run_id, seller_id = run.id, shop.seller_id
        started = time.perf_counter()
        outcome = run_sync(seller_id, run_id)
        elapsed = time.perf_counter() - started
        run = db.session.get(SyncRun, run_id)
        if outcome != "succeeded":
            raise RuntimeError(f"sync failed: {run.error}")
        return elapsed, run.requests_done


def _bare_loop(app, shop_pk: int) -> tuple[float, int]:
    """Fetch and decode every page, returns then cancellations, with the same client and nothing else."""
    from connector_app.connect.clients import tiktok_client_for
    from connector_app.connect.models import TikTokShop
    from connector_app.extensions import db
    from connector_app.sync.fetcher import CANCELLATIONS, RETURNS, PageRequest, search

    with app.app_context():
        client = tiktok_client_for(db.session.get(TikTokShop, shop_pk))
        started, count = time.perf_counter(), 0
        for phase in (RETURNS, CANCELLATIONS):
            token = None
            while True:
                page = search(client, PageRequest(phase, token, None))
                count += len(page.items)
                if not page.next_page_token:
                    break
                token = page.next_page_token
        return time.perf_counter() - started, count


def _shop_id(app, shop_pk: int) -> str:
    from connector_app.connect.models import TikTokShop
    from connector_app.extensions import db

    with app.app_context():
        return db.session.get(TikTokShop, shop_pk).shop_id


def speed(requests_in_shop: int, changed: int, database_url: str | None = None) -> tuple[float, float]:
    with (
        _sandbox(requests_in_shop) as sb,
        tempfile.TemporaryDirectory(prefix="sync-bench-") as tmp,
        RedisServer(Path(tmp) / "redis", persist=False) as redis,
    ):
        app = _app(tmp, sb.url, sb.us_app_key, sb.us_app_secret, redis.url, database_url)
        shop_pk = _connect(app, sb.url, sb.us_app_key, sb.us_app_secret, sb.authorize_tiktok(seller=SELLER))
        bare, fetched = _bare_loop(app, shop_pk)
        full, synced = _sync(app, shop_pk, full=True)
        print(f"bare loop: {fetched:,} requests in {bare:.2f} s; full sync: {synced:,} in {full:.2f} s")
        sb.advance(changed, shop_id=_shop_id(app, shop_pk))
        incremental, seen = _sync(app, shop_pk, full=False)
        print(f"incremental sync after {changed} changes: {seen:,} requests in {incremental:.2f} s")
        return full / bare, incremental / full


def _memory_child(args: argparse.Namespace) -> int:
    spec = json.loads(args.child)
    with (
        tempfile.TemporaryDirectory(prefix="sync-bench-mem-") as tmp,
        RedisServer(Path(tmp) / "redis", persist=False) as redis,
    ):
        app = _app(tmp, spec["url"], spec["app_key"], spec["app_secret"], redis.url)
        shop_pk = _connect(app, spec["url"], spec["app_key"], spec["app_secret"], spec["code"])
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        _, synced = _sync(app, shop_pk, full=True)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"synced": synced, "peak_kb": peak, "before_kb": before}))
    return 0


def memory(size: int) -> dict:
    with _sandbox(size) as sb:
        spec = {"url": sb.url, "app_key": sb.us_app_key, "app_secret": sb.us_app_secret,
                "code": sb.authorize_tiktok(seller=SELLER)}  # fmt: skip
        out = subprocess.run(
            [sys.executable, "-m", "bench.sync_bench", "--child", json.dumps(spec)],
            cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, check=True,
        )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"worker syncing {result['synced']:,} requests: peak RSS {result['peak_kb'] / 1024:.0f} MB")
    return result


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.sync_bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=20_000, help="requests in the synced shop (speed)")
    p.add_argument("--changed", type=int, default=100, help="requests changed before the incremental sync")
    p.add_argument("--memory", type=int, nargs=2, default=(10_000, 100_000), metavar=("SMALL", "LARGE"))
    p.add_argument("--skip-memory", action="store_true")
    p.add_argument(
        "--database-url",
        help="a PostgreSQL URL for the speed runs; the database is DROPPED and recreated "
        "(default: SQLite in a temp dir)",
    )
    p.add_argument("--child", help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.child:
        return _memory_child(args)
    ok = True
    full_ratio, incremental_ratio = speed(args.requests, args.changed, args.database_url)
    print(f"full sync / bare fetch loop: {full_ratio:.2f}x (goal ≤ {GOAL_FULL}x)")
    print(f"incremental / full sync: {incremental_ratio:.1%} (goal ≤ {GOAL_INCREMENTAL:.0%})")
    ok &= full_ratio <= GOAL_FULL and incremental_ratio <= GOAL_INCREMENTAL
    if not args.skip_memory:
        small, large = (memory(size) for size in args.memory)
        ratio = large["peak_kb"] / small["peak_kb"]
        sizes = f"{args.memory[1]:,} vs {args.memory[0]:,} requests"
        print(f"peak memory {sizes}: {ratio:.2f}x (goal ≤ {GOAL_MEMORY}x)")
        ok &= ratio <= GOAL_MEMORY
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
