"""Order sync benchmark against the sandbox marketplace over loopback (issue 18's figures).

- full order sync of N orders ≤ 1.25 × a bare loop fetching and decoding the same pages (Get Order
  List, 100 a page, by update time) with the same client, in the same run;
- incremental order sync after 100 changed orders ≤ 3 % of the full sync.

The sync runs in this process (no queue in between), so both sides pay the same HTTP and JSON costs;
the sync also stores every order and line, its checkpoints, and reads the shop's FBT stock.
``python -m bench orders`` or ``python -m bench.orders_bench --orders 2000`` for a quick run. Prints
each ratio; exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.sync_bench import SELLER, _app, _connect, _shop_id
from connector_app.processes import RedisServer

GOAL_FULL, GOAL_INCREMENTAL = 1.25, 0.03


def _sandbox(orders_in_shop: int):
    from sandbox_marketplace.testing import SandboxServer

    return SandboxServer(
        seed=9,
        returns=70,
        separate_process=True,
        SANDBOX_TIKTOK_QPS=100_000,
        SANDBOX_ORDERS_PER_SHOP=orders_in_shop,
    )


def _bare_loop(app, shop_pk: int) -> tuple[float, int]:
    from connector_app.connect.clients import tiktok_client_for
    from connector_app.connect.models import TikTokShop
    from connector_app.extensions import db
    from connector_app.marketplaces.tiktok import orders

    with app.app_context():
        client = tiktok_client_for(db.session.get(TikTokShop, shop_pk))
        started, count = time.perf_counter(), 0
        for page in orders.iter_orders(client, page_size=100, sort_field="update_time", sort_order="ASC"):
            count += len(page.items)
        return time.perf_counter() - started, count


def _sync(app, shop_pk: int, full: bool) -> tuple[float, int]:
    from connector_app.connect.models import TikTokShop
    from connector_app.extensions import db
    from connector_app.orders.sync import SUBJECT, run_order_sync
    from connector_app.sync import services
    from connector_app.sync.models import SyncRun

    with app.app_context():
        shop = db.session.get(TikTokShop, shop_pk)
        db.session.execute(
            db.delete(SyncRun).where(SyncRun.tiktok_shop_id == shop_pk, SyncRun.state == "queued")
        )
        run = services._new_run(shop, full, "bench", SUBJECT)
        db.session.add(run)
        db.session.commit()
        run_id, seller_id = run.id, shop.seller_id
        started = time.perf_counter()
        outcome = run_order_sync(seller_id, run_id)
        elapsed = time.perf_counter() - started
        run = db.session.get(SyncRun, run_id)
        if outcome != "succeeded":
            raise RuntimeError(f"order sync failed: {run.error}")
        return elapsed, run.requests_done


def speed(orders_in_shop: int, changed: int, database_url: str | None = None) -> tuple[float, float]:
    with (
        _sandbox(orders_in_shop) as sb,
        tempfile.TemporaryDirectory(prefix="orders-bench-") as tmp,
        RedisServer(Path(tmp) / "redis", persist=False) as redis,
    ):
        app = _app(tmp, sb.url, sb.us_app_key, sb.us_app_secret, redis.url, database_url)
        shop_pk = _connect(app, sb.url, sb.us_app_key, sb.us_app_secret, sb.authorize_tiktok(seller=SELLER))
        bare, fetched = _bare_loop(app, shop_pk)
        full, synced = _sync(app, shop_pk, full=True)
        print(f"bare loop: {fetched:,} orders in {bare:.2f} s; full order sync: {synced:,} in {full:.2f} s")
        shop_id = _shop_id(app, shop_pk)
        params = {"shop_id": shop_id, "status": "AWAITING_SHIPMENT"}
        waiting = [o["id"] for o in sb._call("GET", "/orders", params=params)]
        moved = 0
        for order_id in waiting[:changed]:
            sb._call("POST", f"/orders/{order_id}/status", json={"status": "AWAITING_COLLECTION"})
            moved += 1
        incremental, seen = _sync(app, shop_pk, full=False)
        print(f"incremental order sync after {moved} changes: {seen:,} orders in {incremental:.2f} s")
        return full / bare, incremental / full


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.orders_bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--orders", type=int, default=20_000, help="orders in the synced shop")
    p.add_argument("--changed", type=int, default=100, help="orders changed before the incremental sync")
    p.add_argument(
        "--database-url",
        help="a PostgreSQL URL for the run; the database is DROPPED and recreated "
        "(default: SQLite in a temp dir)",
    )
    args = p.parse_args(argv)
    full_ratio, incremental_ratio = speed(args.orders, args.changed, args.database_url)
    ok = full_ratio <= GOAL_FULL and incremental_ratio <= GOAL_INCREMENTAL
    print(f"full order sync / bare loop = {full_ratio:.2f} (goal ≤ {GOAL_FULL})")
    print(f"incremental / full = {incremental_ratio:.3f} (goal ≤ {GOAL_INCREMENTAL})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
