"""The sync job against the sandbox marketplace: complete, idempotent, incremental, fault-proof."""

from __future__ import annotations

import pytest

from connector_app.connect.models import NEEDS_RECONNECT, TikTokAuthorization, TikTokShop
from connector_app.extensions import db
from connector_app.returns.signals import requests_changed
from connector_app.sync import services
from connector_app.sync.models import FAILED, SUCCEEDED, ShopSyncState, SyncRun
from connector_app.transactions import job_step
from tests.sync.helpers import (
    app_view,
    connect_shop,
    point_app_at,
    sandbox_for,
    sandbox_view,
    tab_counts,
    work,
)

pytestmark = pytest.mark.integration


def start(app, shop_pk: int, **kw) -> str:
    with app.app_context(), job_step():
        return services.start_sync(db.session.get(TikTokShop, shop_pk), **kw).id


def load(app, model, ident):
    with app.app_context():
        obj = db.session.get(model, ident)
        db.session.expunge(obj)
        return obj


def test_full_sync_stores_exactly_what_the_marketplace_has(app, seller):
    with sandbox_for(400) as sb:
        point_app_at(app, sb)
        shop = connect_shop(app, sb, seller)
        notified = []
        requests_changed.connect(lambda _s, **kw: notified.append(kw), weak=False)
        run_id = start(app, shop.id)
        work(app)

        run = load(app, SyncRun, run_id)
        expected = sandbox_view(sb, shop.shop_id)
        assert run.state == SUCCEEDED, run.error
        assert app_view(app, shop.id) == expected
        assert run.requests_done == run.total_expected == len(expected)
        assert run.created_count == len(expected) and run.updated_count == 0
        stored, actual = tab_counts(app, shop.id)
        assert stored == actual
        assert sum(len(n["request_pks"]) for n in notified) == len(expected)
        synced = load(app, ShopSyncState, shop.id)
        assert synced.last_sync_ok_at is not None
        assert synced.returns_high_water == max(v[3] for k, v in expected.items() if k[0] == "return")


def test_syncing_again_changes_nothing_and_incremental_fetches_only_changes(app, seller):
    with sandbox_for(400) as sb:
        point_app_at(app, sb, SYNC_OVERLAP_SECONDS=0)
        shop = connect_shop(app, sb, seller)
        start(app, shop.id)
        work(app)
        before = app_view(app, shop.id)

        second = start(app, shop.id, full=True)  # the same pages again
        work(app)
        run = load(app, SyncRun, second)
        assert run.state == SUCCEEDED
        assert (run.created_count, run.updated_count, run.unchanged_count) == (0, 0, len(before))
        assert app_view(app, shop.id) == before

        changed = sb.advance(15, shop_id=shop.shop_id)
        assert changed
        third = start(app, shop.id)
        work(app)
        run = load(app, SyncRun, third)
        assert run.kind == services.INCREMENTAL and run.state == SUCCEEDED
        assert app_view(app, shop.id) == sandbox_view(sb, shop.shop_id)
        assert run.updated_count + run.created_count == len({c["id"] for c in changed})
        assert run.requests_done < len(before) // 4  # only what changed since the high-water mark


def test_lost_authorization_stops_the_run_and_asks_to_reconnect(app, seller):
    with sandbox_for(100) as sb:
        point_app_at(app, sb)
        shop = connect_shop(app, sb, seller)
        sb.send_webhook(6, shop.shop_id)  # the sandbox revokes the seller's tokens
        run_id = start(app, shop.id)
        work(app)
        run = load(app, SyncRun, run_id)
        assert run.state == FAILED
        assert "reconnect" in run.error
        authorization = load(app, TikTokAuthorization, shop.authorization_id)
        assert authorization.status == NEEDS_RECONNECT
