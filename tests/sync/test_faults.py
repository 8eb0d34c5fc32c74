"""Fault runs: rate limits, server errors, timeouts, an expired token, and a worker killed mid-run."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connector_app.connect.models import TikTokAuthorization, TikTokShop
from connector_app.extensions import db, rq
from connector_app.sync import services
from connector_app.sync.models import DEAD, RUNNING, SUCCEEDED, SyncRun
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
from tests.sync.worker_app import environment

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def start(app, shop_pk: int, **kw) -> str:
    with app.app_context(), job_step():
        return services.start_sync(db.session.get(TikTokShop, shop_pk), **kw).id


def load(app, model, ident):
    with app.app_context():
        obj = db.session.get(model, ident)
        db.session.expunge(obj)
        return obj


def test_fault_run_ends_with_exactly_the_marketplace_data(app, seller):
    with sandbox_for(2500) as sb:
        point_app_at(app, sb)
        shop = connect_shop(app, sb, seller)
        token_before = load(app, TikTokAuthorization, shop.authorization_id).access_token
        sb.set_faults(
            rate_429=0.10, retry_after=0, rate_500=0.05, rate_timeout=0.02, timeout_seconds=1.5,
            expire_token_after_calls=40, seed=11,
        )  # fmt: skip
        run_id = start(app, shop.id)
        work(app)
        sb.clear_faults()

        run = load(app, SyncRun, run_id)
        assert run.state == SUCCEEDED, run.error
        expected = sandbox_view(sb, shop.shop_id)
        assert len(expected) > 2000
        assert app_view(app, shop.id) == expected  # no request missing, none twice, statuses and amounts
        stored, actual = tab_counts(app, shop.id)
        assert stored == actual
        assert load(app, TikTokAuthorization, shop.authorization_id).access_token != token_before


def _worker(app) -> subprocess.Popen:
    command = [sys.executable, "-m", "flask", "--app", "tests.sync.worker_app:create", "worker"]
    return subprocess.Popen(command, cwd=ROOT, env=environment(app), start_new_session=True)


def _descendants(pid: int) -> list[int]:
    """Child processes (RQ's work-horse runs in a session of its own, so killpg does not reach it)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def _kill_hard(process: subprocess.Popen) -> None:
    """SIGKILL the worker and every process it started, as an OOM killer or a power cut would."""
    for pid in [process.pid, *_descendants(process.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=10)


def _forget_dead_worker(app, pid: int) -> None:
    """A killed worker stays registered in Redis until its key expires; later tests must not see it."""
    with app.app_context():
        for worker in rq.workers():
            if worker.pid == pid:
                worker.register_death()


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow  # real worker processes: in `make test` and CI, not in `make test-fast`
def test_worker_killed_mid_run_is_detected_dead_and_the_next_run_resumes(app, seller):
    with sandbox_for(1500) as sb:
        point_app_at(app, sb, SYNC_STALE_SECONDS=1)
        shop = connect_shop(app, sb, seller)
        sb.set_faults(latency_ms=25, rate_500=0.05, seed=3)
        first = start(app, shop.id)
        worker = _worker(app)
        try:
            _wait_for(lambda: load(app, SyncRun, first).pages_done >= 5)
        finally:
            _kill_hard(worker)  # the worker and its work-horse, mid-run
            _forget_dead_worker(app, worker.pid)
        killed = load(app, SyncRun, first)
        assert killed.state == RUNNING
        assert app_view(app, shop.id) != sandbox_view(sb, shop.shop_id)

        again = start(app, shop.id)  # right away: the run still looks alive, the same one is shown
        assert again == first
        time.sleep(1.2)  # heartbeat now stale
        second = start(app, shop.id)
        assert second != first
        assert load(app, SyncRun, first).state == DEAD
        resumed = load(app, SyncRun, second)
        assert resumed.resumed_from == first
        assert resumed.pages_done >= killed.pages_done  # continues from the checkpoint, not from page 1
        sb.clear_faults()
        work(app)

        run = load(app, SyncRun, second)
        assert run.state == SUCCEEDED, run.error
        assert app_view(app, shop.id) == sandbox_view(sb, shop.shop_id)
        stored, actual = tab_counts(app, shop.id)
        assert stored == actual
