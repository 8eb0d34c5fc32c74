"""One unit of work per request and job step; jobs queued only after their rows commit, never lost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import func, select

from connector_app.connect.models import TikTokShop
from connector_app.extensions import db, rq
from connector_app.sync import services as sync_services
from connector_app.sync.models import QUEUED, SyncRun
from connector_app.timeutil import utcnow
from connector_app.transactions import JobOutbox, enqueue_after_commit, flush_outbox, job_step

JOB = "connector_app.sync.jobs.enqueue_due_syncs"


def outbox_rows() -> list[JobOutbox]:
    return list(db.session.scalars(select(JobOutbox)))


@pytest.fixture
def redis_down(monkeypatch):
    """The queue refuses every enqueue, as it does while Redis cannot be reached."""

    def refuse(*args, **kwargs):
        raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(type(rq.queue), "enqueue_call", refuse)


def test_a_job_is_queued_only_when_its_transaction_commits(app_ctx):
    enqueue_after_commit(JOB, job_id="after-commit")
    db.session.flush()
    assert "after-commit" not in rq.queue.job_ids  # not before the commit
    db.session.commit()
    assert "after-commit" in rq.queue.job_ids
    assert outbox_rows() == []  # queued: nothing left to retry


def test_a_rolled_back_transaction_queues_nothing(app_ctx):
    enqueue_after_commit(JOB, job_id="rolled-back")
    db.session.rollback()
    db.session.commit()  # a later, unrelated commit does not queue it either
    assert "rolled-back" not in rq.queue.job_ids
    assert outbox_rows() == []


def test_a_job_the_queue_refused_is_kept_and_queued_by_the_scheduler(app_ctx, monkeypatch, redis_down):
    enqueue_after_commit(JOB, job_id="while-redis-was-down")
    db.session.commit()  # the rows commit even though Redis is down
    [row] = outbox_rows()
    assert row.job_id == "while-redis-was-down" and row.attempts == 1 and "unavailable" in row.last_error
    monkeypatch.undo()  # Redis is back
    assert flush_outbox() == 0  # too young: its own commit might still be queueing it
    assert flush_outbox(now=utcnow() + timedelta(minutes=1)) == 1
    assert "while-redis-was-down" in rq.queue.job_ids
    db.session.expire_all()
    assert outbox_rows() == []


def test_the_outbox_sweep_stops_while_the_queue_is_still_down(app_ctx, redis_down):
    for n in range(3):
        enqueue_after_commit(JOB, job_id=f"down-{n}")
    db.session.commit()
    assert flush_outbox(now=utcnow() + timedelta(minutes=1)) == 0
    db.session.expire_all()
    assert len(outbox_rows()) == 3  # nothing lost


def test_a_sync_started_while_redis_is_down_waits_for_redis(app, factories, seller, monkeypatch, redis_down):
    shop = factories.tiktok_shop(seller)
    with app.app_context():
        with job_step():
            run_id = sync_services.start_sync(db.session.get(TikTokShop, shop.id)).id
        later = utcnow() + timedelta(hours=1)  # long past the point where a queued run counts as dead
        monkeypatch.setattr(sync_services, "utcnow", lambda: later)
        assert not sync_services.is_dead(db.session.get(SyncRun, run_id))
        assert sync_services.reap_dead_runs() == 0
        assert db.session.get(SyncRun, run_id).state == QUEUED
        assert db.session.scalar(select(func.count()).select_from(JobOutbox)) == 1


def test_a_job_step_rolls_back_what_failed(app_ctx):
    with pytest.raises(RuntimeError), job_step():
        enqueue_after_commit(JOB, job_id="failed-step")
        raise RuntimeError("boom")
    assert "failed-step" not in rq.queue.job_ids and outbox_rows() == []
