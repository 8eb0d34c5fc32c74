"""Sync subjects: other features' syncs run on the returns machinery, one active run per shop and subject."""

from __future__ import annotations

import pytest

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db
from connector_app.sync import services, subjects
from connector_app.sync.jobs import enqueue_due_syncs
from connector_app.sync.models import SyncRun


@pytest.fixture
def catalog_subject():
    synced: set[int] = set()
    subject = subjects.Subject(
        name="catalog",
        label="Catalog",
        job="tests.sync.test_subjects.no_job",
        has_synced=lambda s: s.id in synced,
    )
    registered = subjects._registry.get("catalog")  # the products feature's own, when the app has it
    subjects.register(subject)
    yield synced
    if registered is not None:
        subjects.register(registered)  # later tests in this process still have the real subject
    else:
        subjects._registry.pop("catalog")


def runs_of(app, shop_pk: int) -> list[SyncRun]:
    with app.app_context():
        query = db.select(SyncRun).where(SyncRun.tiktok_shop_id == shop_pk).order_by(SyncRun.subject)
        return list(db.session.scalars(query))


def test_one_active_run_per_shop_and_subject(app, factories, seller, catalog_subject):
    shop = factories.tiktok_shop(seller)
    with app.app_context():
        shop = db.session.get(TikTokShop, shop.id)
        returns_run = services.start_sync(shop)
        catalog_run = services.start_sync(shop, subject="catalog")
        again = services.start_sync(shop, subject="catalog")
        db.session.commit()
        assert again.id == catalog_run.id != returns_run.id
        assert (catalog_run.subject, catalog_run.kind) == ("catalog", "full")  # never synced: full
    runs = runs_of(app, shop.id)
    assert [(r.subject, r.state) for r in runs] == [("catalog", "queued"), ("returns", "queued")]
    with app.app_context():
        assert subjects.label("catalog") == "Catalog" and subjects.label("returns") == "Returns"


def test_a_subject_that_synced_once_runs_incremental(app, factories, seller, catalog_subject):
    shop = factories.tiktok_shop(seller)
    catalog_subject.add(shop.id)
    with app.app_context():
        run = services.start_sync(db.session.get(TikTokShop, shop.id), subject="catalog")
        assert run.kind == "incremental"


def test_the_schedule_starts_every_scheduled_subject(app, factories, seller, catalog_subject):
    shop = factories.tiktok_shop(seller, next_sync_at=None)
    with app.app_context():
        assert enqueue_due_syncs() == 1
    expected = sorted(s.name for s in subjects.registered() if s.scheduled)  # returns, catalog, and orders
    assert "catalog" in expected and sorted(r.subject for r in runs_of(app, shop.id)) == expected


def test_an_unknown_subject_is_refused(app, factories, seller):
    shop = factories.tiktok_shop(seller)
    with app.app_context(), pytest.raises(LookupError):
        services.start_sync(db.session.get(TikTokShop, shop.id), subject="nothing")


def test_history_names_the_subject(logged_in, app, factories, seller, catalog_subject):
    shop = factories.tiktok_shop(seller)
    with app.app_context():
        services.start_sync(db.session.get(TikTokShop, shop.id), subject="catalog")
        db.session.commit()
    html = logged_in.get("/sync").get_data(as_text=True)
    assert "Catalog · Full" in html
