"""Deterministic demo data and bulk generation speed."""

from __future__ import annotations

import time
from pathlib import Path

from sandbox_marketplace.seed import seed_database
from sandbox_marketplace.store import Store


def snapshot(path: Path, seed: int) -> list[tuple]:
    store = Store(path)
    seed_database(store, seed, 500, anchor=1_800_000_000)
    return [tuple(r) for r in store.conn().execute("SELECT * FROM request ORDER BY id")]


def test_same_seed_same_data_other_seed_other_data(tmp_path) -> None:
    first = snapshot(tmp_path / "a.sqlite", 7)
    assert first == snapshot(tmp_path / "b.sqlite", 7)
    assert first != snapshot(tmp_path / "c.sqlite", 8)


def test_data_spreads_over_statuses_regions_and_deadlines(tmp_path) -> None:
    store = Store(tmp_path / "d.sqlite")
    seed_database(store, 1, 3000, anchor=1_800_000_000)
    conn = store.conn()
    statuses = {r[0] for r in conn.execute("SELECT DISTINCT status FROM request")}
    assert len(statuses) >= 17
    assert {r[0] for r in conn.execute("SELECT DISTINCT currency FROM request")} >= {
        "USD",
        "GBP",
        "EUR",
        "IDR",
    }
    regions = [r[0] for r in conn.execute("SELECT region FROM tt_shop")]
    assert {"US", "GB", "DE", "ID"} <= set(regions)
    two_shops = conn.execute("SELECT COUNT(*) FROM tt_shop GROUP BY seller_id HAVING COUNT(*) > 1").fetchall()
    assert two_shops
    anchor = 1_800_000_000
    overdue = conn.execute(
        "SELECT COUNT(*) FROM request WHERE next_action!='' AND deadline<?", (anchor,)
    ).fetchone()[0]
    soon = conn.execute(
        "SELECT COUNT(*) FROM request WHERE next_action!='' AND deadline BETWEEN ? AND ?",
        (anchor, anchor + 86400),
    ).fetchone()[0]
    assert overdue > 0 and soon > 0
    unknown_sku = conn.execute(
        "SELECT COUNT(*) FROM request r WHERE NOT EXISTS (SELECT 1 FROM sku s WHERE "
        "r.line_items LIKE '%\"' || s.seller_sku || '\"%')"
    ).fetchone()[0]
    assert unknown_sku == 0


def test_100k_generation_and_fast_search_pages(tmp_path) -> None:
    store = Store(tmp_path / "big.sqlite")
    started = time.perf_counter()
    seed_database(store, 1, 100_000)
    assert time.perf_counter() - started < 10
    conn = store.conn()
    shop = conn.execute(
        "SELECT shop_id FROM request GROUP BY shop_id ORDER BY COUNT(*) DESC LIMIT 1"
    ).fetchone()[0]
    started = time.perf_counter()
    for _ in range(20):
        conn.execute(
            "SELECT * FROM request WHERE kind='return' AND shop_id=? AND (update_time, id) > (?, ?) "
            "ORDER BY update_time, id LIMIT 51",
            (shop, 1_700_000_000, 0),
        ).fetchall()
    assert (time.perf_counter() - started) / 20 < 0.01
