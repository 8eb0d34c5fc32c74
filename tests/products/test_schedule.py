"""The catalog schedule shares Etsy's app-wide daily budget: the README's arithmetic, checked here."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connector_app.extensions import db
from connector_app.products import jobs
from connector_app.products import models as m
from connector_app.sync.models import SyncRun
from connector_app.timeutil import ensure_aware, utcnow


@pytest.mark.parametrize(
    ("shops", "budget", "minutes"),
    [
        (1, 10_000, 15),  # alone: the seller's own 15 minutes
        (26, 10_000, 15),  # 26 × 96 checks × 2 calls = 4,992 ≤ 5,000 (half the budget)
        (100, 10_000, 58),  # 5,000 / 100 / 2 = 25 checks a day
        (1_000, 10_000, 576),  # 2.5 checks a day
        (10_000, 10_000, 5_760),  # once in 4 days: polling alone cannot serve 10,000 shops
        (1_000, 100_000, 58),
        (10_000, 100_000, 576),
    ],
)
def test_each_shop_is_checked_as_often_as_the_shared_budget_allows(app, shops, budget, minutes):
    app.config.update(ETSY_APP_DAILY_CALLS=budget, CATALOG_POLL_SHARE=0.5)
    with app.app_context():
        settings = m.ProductSyncSettings(interval_minutes=15)
        cadence = jobs.cadence(settings, shops)
        assert cadence.minutes == minutes
        assert cadence.minutes >= 15  # never more often than the seller asked
        calls = shops * (1440 / cadence.minutes) * len(jobs.ETSY_STATES)
        assert calls <= budget * 0.5 + 1e-6


def test_the_schedule_starts_only_shops_with_something_on_and_waits_its_interval(app, factories, seller):
    on = factories.tiktok_shop(seller, name="On")
    off = factories.tiktok_shop(seller, name="Off")
    with app.app_context():
        db.session.add_all(
            [
                m.ProductSyncSettings(seller_id=seller.id, tiktok_shop_id=on.id, sync_price=True),
                m.ProductSyncSettings(seller_id=seller.id, tiktok_shop_id=off.id),
            ]
        )
        db.session.commit()
        assert jobs.enqueue_due_catalog_syncs() == 1
        assert jobs.enqueue_due_catalog_syncs() == 0  # not due again before its interval
        runs = db.session.scalars(db.select(SyncRun).where(SyncRun.subject == "catalog")).all()
        assert [(r.tiktok_shop_id, r.trigger) for r in runs] == [(on.id, "schedule")]
        row = db.session.get(m.ProductSyncSettings, on.id)
        assert ensure_aware(row.next_run_at) > utcnow() + timedelta(minutes=14)
