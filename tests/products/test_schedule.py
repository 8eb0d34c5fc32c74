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
    ("shops", "budget", "listings", "minutes", "full_hours"),
    [
        (1, 10_000, 0, 15, 24),  # alone: the seller's own 15 minutes, every listing read again daily
        (26, 10_000, 0, 16, 24),  # 26 × (90 checks × 2 calls + a 2-call full read) = 4,732 ≤ 5,000
        (100, 10_000, 0, 60, 24),  # (5,000 / 100 − 2) / 2 = 24 checks a day
        (100, 10_000, 500, 66, 24),  # a 500-listing shop's full read costs 6 calls: fewer checks
        (1_000, 10_000, 0, 960, 24),  # 1.5 checks a day
        (1_000, 10_000, 500, 1_145, 58),  # the full read would take over half the share: stretched
        (10_000, 10_000, 0, 11_520, 192),  # once in 8 days: polling alone cannot serve 10,000 shops
        (1_000, 100_000, 0, 60, 24),
        (10_000, 100_000, 0, 960, 24),
    ],
)
def test_each_shop_is_checked_as_often_as_the_shared_budget_allows(
    app, shops, budget, listings, minutes, full_hours
):
    app.config.update(ETSY_APP_DAILY_CALLS=budget, CATALOG_POLL_SHARE=0.5, CATALOG_FULL_READ_HOURS=24)
    with app.app_context():
        settings = m.ProductSyncSettings(interval_minutes=15)
        cadence = jobs.cadence(settings, shops, listings)
        assert (cadence.minutes, cadence.full_read_hours) == (minutes, full_hours)
        assert cadence.minutes >= 15  # never more often than the seller asked
        assert cadence.full_read_hours >= 24  # never more often than configured
        checks = shops * (1440 / cadence.minutes) * len(jobs.ETSY_STATES)
        full_reads = shops * jobs.full_read_calls(listings) * 24 / cadence.full_read_hours
        assert checks + full_reads <= budget * 0.5 + 1e-6


def test_a_full_read_costs_a_page_per_100_listings_and_a_page_of_each_other_state():
    assert jobs.full_read_calls(0) == 2 and jobs.full_read_calls(100) == 2
    assert jobs.full_read_calls(101) == 3 and jobs.full_read_calls(5_000) == 51


def test_a_full_read_is_due_when_never_done_or_older_than_its_interval(app):
    with app.app_context():
        assert jobs.full_read_due(m.ProductSyncSettings(), 24)
        recent = m.ProductSyncSettings(last_full_read_at=utcnow() - timedelta(hours=23))
        assert not jobs.full_read_due(recent, 24)
        assert jobs.full_read_due(recent, 12)
        assert jobs.full_read_due(m.ProductSyncSettings(last_full_read_at=utcnow() - timedelta(hours=24)), 24)


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


def test_the_settings_page_says_when_every_listing_was_last_read(app, logged_in, factories, seller):
    read = factories.tiktok_shop(seller, name="Read")
    fresh = factories.tiktok_shop(seller, name="Fresh")
    with app.app_context():
        db.session.add_all(
            [
                m.ProductSyncSettings(
                    seller_id=seller.id,
                    tiktok_shop_id=read.id,
                    last_full_read_at=utcnow() - timedelta(hours=3),
                ),
                m.ProductSyncSettings(seller_id=seller.id, tiktok_shop_id=fresh.id),
            ]
        )
        db.session.commit()
    html = logged_in.get("/products/settings").get_data(as_text=True)
    read_part = html.split(f'id="s{read.id}-full-check"')[1].split("</span>")[0]
    fresh_part = html.split(f'id="s{fresh.id}-full-check"')[1].split("</span>")[0]
    assert "read again every 24 hours" in read_part and "last full check" in read_part
    assert "no full check yet" in fresh_part
