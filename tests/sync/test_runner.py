"""The one runner every subject's sync job uses: claim once, and end the run whatever stops it."""

from __future__ import annotations

import pytest

from connector_app.connect.models import NEEDS_RECONNECT, TikTokShop
from connector_app.extensions import db
from connector_app.marketplaces.errors import AuthorizationLost, MarketplaceError
from connector_app.sync import runs, services
from connector_app.sync.checkpoint import Checkpoint
from connector_app.sync.models import DEAD, SyncRun
from connector_app.sync.runner import RESUMES, UNEXPECTED, run_claimed
from connector_app.transactions import job_step


@pytest.fixture
def queued(app, factories, seller):
    shop = factories.tiktok_shop(seller)
    with app.app_context():
        run = services.start_sync(db.session.get(TikTokShop, shop.id))
        db.session.commit()
        return seller.id, run.id, shop.id


def _run(app, run_id: str) -> SyncRun:
    with app.app_context():
        return db.session.get(SyncRun, run_id)


def test_a_body_that_finishes_its_run_succeeds_and_a_second_worker_skips(app, queued):
    seller_id, run_id, _ = queued
    seen = []

    def body(run):
        seen.append(run.id)
        with job_step():
            runs.checkpoint(seller_id, run_id, Checkpoint.of(run), finished=True)

    with app.app_context():
        assert run_claimed(seller_id, run_id, body) == "succeeded"
        assert run_claimed(seller_id, run_id, body) == "skipped"  # claimed once: never run twice
    assert seen == [run_id] and _run(app, run_id).state == "succeeded"


def test_a_lost_authorization_marks_the_shop_for_reconnection(app, queued):
    seller_id, run_id, shop_pk = queued

    def body(run):
        raise AuthorizationLost("refresh token revoked", marketplace="TikTok Shop")

    with app.app_context():
        assert run_claimed(seller_id, run_id, body) == "failed"
        shop = db.session.get(TikTokShop, shop_pk)
        assert shop.authorization.status == NEEDS_RECONNECT
    run = _run(app, run_id)
    assert run.state == "failed" and "please reconnect your shop" in run.error


def test_a_marketplace_fault_fails_resumably_and_the_subject_records_it(app, queued):
    seller_id, run_id, _ = queued
    recorded = []

    def body(run):
        with job_step():
            runs.heartbeat(seller_id, run_id)
        raise MarketplaceError("TikTok answered 503 five times", marketplace="TikTok Shop")

    def remember(run, exc):
        recorded.append((run.id, exc.message))

    with app.app_context():
        assert run_claimed(seller_id, run_id, body, on_marketplace_error=remember) == "failed"
    run = _run(app, run_id)
    assert recorded == [(run_id, "TikTok answered 503 five times")]
    assert run.state == "failed" and run.error.endswith(RESUMES.strip())


def test_anything_else_fails_with_one_plain_sentence(app, queued, caplog):
    seller_id, run_id, _ = queued

    def body(run):
        raise KeyError("a bug")

    with app.app_context():
        assert run_claimed(seller_id, run_id, body, unexpected="It stopped.") == "failed"
    assert _run(app, run_id).error == "It stopped." != UNEXPECTED
    assert "failed unexpectedly" in caplog.text  # logged with its traceback for the operator


def test_a_run_taken_over_is_not_written_again(app, queued):
    seller_id, run_id, _ = queued

    def body(run):
        with app.app_context():  # meanwhile the scheduler marked it dead and a new run took over
            db.session.execute(db.update(SyncRun).where(SyncRun.id == run_id).values(state=DEAD))
            db.session.commit()
        with job_step():
            runs.heartbeat(seller_id, run_id)

    with app.app_context():
        assert run_claimed(seller_id, run_id, body) == "taken-over"
    assert _run(app, run_id).state == DEAD
