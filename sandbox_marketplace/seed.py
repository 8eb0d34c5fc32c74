"""Build the demo world from a seed: same seed, same sellers, ids, statuses and amounts."""

from __future__ import annotations

import random

from . import clock
from .seed_catalog import seed_catalog
from .seed_orders import seed_orders
from .seed_products import seed_products
from .seed_requests import seed_requests
from .store import SCHEMA_VERSION, Store


def seed_database(
    store: Store, seed: int, returns: int, anchor: int | None = None, orders_per_shop: int = 40
) -> None:
    """Wipe the store and generate the demo data.

    ``anchor`` is the "now" the data is laid out around (deadlines, ages); it defaults to the current
    time so deadlines are live. Two runs with the same seed and anchor produce identical rows.
    """
    anchor = int(clock.now()) if anchor is None else int(anchor)
    rng = random.Random(seed)
    with store.write() as conn:
        store.recreate(conn)
        shops = seed_catalog(conn, rng, anchor)
        seed_requests(conn, rng, shops, max(0, int(returns)), anchor)
        seed_products(conn, random.Random(seed + 17), anchor)
        seed_orders(conn, seed, shops, anchor, orders_per_shop)
        store.build_indexes(conn)
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [
                ("seed", str(seed)),
                ("returns", str(returns)),
                ("anchor", str(anchor)),
                ("schema", SCHEMA_VERSION),
            ],
        )
    store.conn().execute("ANALYZE")
