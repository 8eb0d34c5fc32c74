"""A catalog run's live progress: phase and counts (TikTok products read, Etsy listings read, products
compared, TikTok calls made) with an overall percent, on the Sync page's bar and on the Products page
while it runs; the counts are the run's own, written as it goes."""

from __future__ import annotations

import pytest

from connector_app.extensions import db
from connector_app.products import progress
from connector_app.sync.models import FAILED, RUNNING, SUCCEEDED, SyncRun


def _run(seller_id: int, shop_pk: int, state: str, phase: str | None, counts: dict, **extra) -> SyncRun:
    return SyncRun(
        id=f"catalog-{state}-{phase}", seller_id=seller_id, tiktok_shop_id=shop_pk, subject="catalog",
        kind="incremental", trigger="manual", state=state, phase=phase,
        active_shop_id=shop_pk if state == RUNNING else None, details={"catalog": counts}, **extra,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("phase", "counts", "percent", "words"),
    [
        (None, {}, 0, "Starting"),
        ("tiktok", {"products_read": 50, "products_total": 100}, 15, "50 of 100 products read"),
        ("etsy", {"listings_read": 300}, 30, "Step 2 of 3: reading Etsy listings — 300 listings read"),
        ("etsy", {"listings_read": 2500, "listings_total": 5000}, 45, "2,500 of 5,000 listings read"),
        (
            "push",
            {"compared": 30, "to_compare": 40, "calls": 12, "done": 20, "failed": 1, "held": 2},
            90,
            "30 of 40 products compared · 12 TikTok calls made, 20 SKU changes done, 1 refused, 2 held",
        ),
    ],
)
def test_each_phase_says_what_it_does_with_a_percent_inside_its_share(app, phase, counts, percent, words):
    with app.app_context():
        described = progress.describe(_run(1, 1, RUNNING, phase, counts))
    assert described.percent == percent and words in described.line and described.summary is None


def test_a_finished_run_is_100_and_sums_up_a_failed_one_says_why(app):
    counts = {"products_read": 7, "listings_read": 9, "compared": 7, "calls": 3, "done": 4, "failed": 1}
    with app.app_context():
        done = progress.describe(_run(1, 1, SUCCEEDED, "push", counts))
        failed = progress.describe(_run(1, 1, FAILED, "etsy", counts, error="Etsy is down."))
    assert done.percent == 100
    assert done.summary == (
        "7 TikTok products and 9 Etsy listings read, 7 products compared, 3 TikTok calls made: "
        "4 SKU changes done, 1 refused by TikTok."
    )
    assert failed.summary.startswith("Etsy is down. So far: 7 TikTok products")


def test_the_products_and_sync_pages_show_a_running_catalog_run(app, logged_in, factories, seller):
    shop = factories.tiktok_shop(seller, name="Harbor US")
    with app.app_context():
        run = _run(seller.id, shop.id, RUNNING, "etsy", {"listings_read": 2500, "listings_total": 5000})
        db.session.add(run)
        db.session.commit()
        run_id = run.id
    page = logged_in.get("/products").get_data(as_text=True)
    assert 'id="sync-progress"' in page and "2,500 of 5,000 listings read" in page and 'value="45"' in page
    assert f"run={run_id}" in page  # the bar polls the run's progress
    polled = logged_in.get(f"/sync/progress?run={run_id}").get_data(as_text=True)
    assert "Step 2 of 3: reading Etsy listings" in polled and "requests" not in polled


def test_no_bar_without_a_running_catalog_run(logged_in, factories, seller):
    factories.tiktok_shop(seller, name="Harbor US")
    assert 'id="sync-progress"' not in logged_in.get("/products").get_data(as_text=True)


def test_the_sync_history_sums_up_a_finished_catalog_run(app, logged_in, factories, seller):
    shop = factories.tiktok_shop(seller, name="Harbor US")
    counts = {"products_read": 7, "listings_read": 9, "compared": 7, "calls": 3, "done": 4}
    with app.app_context():
        db.session.add(_run(seller.id, shop.id, SUCCEEDED, "push", counts))
        db.session.commit()
    html = logged_in.get("/sync").get_data(as_text=True)
    assert "7 TikTok products and 9 Etsy listings read, 7 products compared, 3 TikTok calls made" in html
