"""Exactly once, under faults: schedulers racing in separate processes, the same change evaluated by
several processes at once, a worker killed before and during the hand-off to the mail server, and a
mail server that fails for a while or refuses for good.

Senders in other processes write each email to a file (``tests.notifications.mail_backend``), so the
test counts what really left, whichever process sent it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import smtplib
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from connector_app.extensions import db, rq
from connector_app.notifications import delivery, scan
from connector_app.notifications.models import FAILED, GAVE_UP, PENDING, SENDING, SENT, UNCONFIRMED
from connector_app.returns.models import ReturnRequest
from connector_app.timeutil import utcnow
from tests.fixtures.factories import PASSWORD
from tests.notifications.conftest import HOUR, deliveries, notifications, now_unix, sent_mail, waiting_request
from tests.notifications.mail_backend import sent_files

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SHARED = ("INSTANCE_PATH", "SQLALCHEMY_DATABASE_URI", "REDIS_URL", "RQ_QUEUE")


@pytest.fixture
def maildir(tmp_path) -> Path:
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


def _env(app, maildir: Path, **extra) -> dict[str, str]:
    config = {key: app.config[key] for key in SHARED}
    config.update(MAIL_BACKEND="tests.notifications.mail_backend.EmailBackend", ALERT_SEND_LEASE_SECONDS=1)
    return {
        **os.environ,
        "CONNECTOR_TEST_CONFIG": json.dumps(config),
        "ALERT_TEST_MAILDIR": str(maildir),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def _run_all(commands: list[list[str]], env: dict) -> None:
    processes = [subprocess.Popen(c, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True) for c in commands]
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err


def _child(*args: str) -> list[str]:
    return [sys.executable, "-m", "tests.notifications.child", *args]


def _worker(env: dict) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "tests.notifications.child:create",
        "worker",
        "--burst",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _wait_for(path: Path, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, "the worker ended before it reached the point to kill it at"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _forget_workers(app, pid: int) -> None:
    with app.app_context():
        for worker in rq.workers():
            if worker.pid == pid:
                worker.register_death()


def _mentions(files: list[str], request_id: str) -> int:
    return sum(
        len(re.findall(rf"/returns/{request_id}\b", text.split("Content-Type: text/html")[0]))
        for text in files
    )


def test_schedulers_racing_in_four_processes_raise_and_email_each_alert_once(app, factories, shop, maildir):
    due = [f"5768000000000001{n:02d}" for n in range(6)]
    for rid in due:
        waiting_request(factories, shop, rid, deadline=now_unix() + 3 * HOUR)
    for n in range(4):
        waiting_request(factories, shop, f"5768000000000002{n:02d}", deadline=now_unix() + 40 * HOUR)
    env = _env(app, maildir, ALERT_TEST_START_AT=str(time.time() + 8))
    _run_all([_child("tick", "3") for _ in range(4)], env)

    rows = notifications(app)
    assert sorted(n.kind for n in rows) == ["deadline_near"] * 6 + ["request_waiting"] * 4
    assert len({(n.kind, n.subject_id, n.deadline, n.stage) for n in rows}) == 10
    files = sent_files(maildir)
    assert [_mentions(files, rid) for rid in due] == [1] * 6  # each alert in exactly one email
    assert all(d.state == SENT for d in deliveries(app)) and len(deliveries(app)) == 6
    assert len({re.search(r"Message-ID: (\S+)", f).group(1) for f in files}) == len(files)


def test_the_same_change_evaluated_by_three_processes_at_once_is_one_alert(app, factories, shop, maildir):
    waiting_request(factories, shop, "576800000000000001", deadline=now_unix() + 2 * HOUR)
    with app.app_context():
        pk = db.session.scalar(select(ReturnRequest.id))
    env = _env(app, maildir, ALERT_TEST_START_AT=str(time.time() + 8))
    _run_all([_child("event", str(shop.seller_id), str(pk)) for _ in range(3)], env)
    assert len(notifications(app)) == 1
    assert len(sent_files(maildir)) == 1


def test_a_worker_killed_before_the_hand_off_is_retried_and_sends_once(
    app, factories, shop, maildir, tmp_path
):
    waiting_request(factories, shop, "576800000000000001", deadline=now_unix() + 2 * HOUR)
    mark = tmp_path / "reached"
    with app.app_context():
        rq.enqueue("connector_app.notifications.jobs.tick")
    worker = _worker(_env(app, maildir, ALERT_TEST_HANG="open", ALERT_TEST_MARK=str(mark)))
    try:
        _wait_for(mark, worker)  # decided and committed; connecting to the mail server
    finally:
        _kill(worker)
        _forget_workers(app, worker.pid)
    [waiting] = deliveries(app)
    assert waiting.state == PENDING and sent_files(maildir) == []
    with app.app_context():
        rq.enqueue("connector_app.notifications.jobs.tick")  # the next scheduled tick
        rq.enqueue("connector_app.notifications.jobs.tick")
    again = _worker(_env(app, maildir))
    assert again.wait(timeout=300) == 0
    [sent] = deliveries(app)
    assert sent.state == SENT and sent.attempts == 1
    assert len(sent_files(maildir)) == 1 and len(notifications(app)) == 1


def test_a_worker_killed_during_the_hand_off_is_never_sent_twice_and_the_page_says_so(
    app, factories, shop, maildir, tmp_path, client, auth, verified
):
    waiting_request(factories, shop, "576800000000000001", deadline=now_unix() + 2 * HOUR)
    mark = tmp_path / "reached"
    with app.app_context():
        rq.enqueue("connector_app.notifications.jobs.tick")
    worker = _worker(_env(app, maildir, ALERT_TEST_HANG="send", ALERT_TEST_MARK=str(mark)))
    try:
        _wait_for(mark, worker)  # claimed and committed; the message is being handed over
    finally:
        _kill(worker)
        _forget_workers(app, worker.pid)
    [claimed] = deliveries(app)
    assert claimed.state == SENDING
    time.sleep(1.2)  # the lease (1 s here) runs out: the sender is gone
    with app.app_context():
        rq.enqueue("connector_app.notifications.jobs.tick")
    again = _worker(_env(app, maildir))
    assert again.wait(timeout=300) == 0
    [unknown] = deliveries(app)
    assert unknown.state == UNCONFIRMED and unknown.attempts == 1
    assert sent_files(maildir) == []  # whatever the server got, nothing is sent a second time
    assert auth.login(verified.email, PASSWORD).status_code == 302
    page = client.get("/notifications").get_data(as_text=True)
    assert "Email not confirmed" in page and "check your inbox" in page


def test_a_mail_server_that_fails_is_retried_with_back_off_and_one_that_refuses_is_given_up(
    app, factories, shop, monkeypatch
):
    failures = iter([smtplib.SMTPServerDisconnected("gone"), smtplib.SMTPDataError(451, b"try later")])

    def flaky(self, messages):
        error = next(failures, None)
        if error is not None:
            raise error
        return original(self, messages)

    backend = type(app.extensions["mailman"]).import_backend(app.extensions["mailman"], "locmem")
    original = backend.send_messages
    monkeypatch.setattr(backend, "send_messages", flaky)
    waiting_request(factories, shop, "576800000000000001", deadline=now_unix() + 2 * HOUR)
    start = utcnow()
    with app.app_context():
        scan.run_scan(start)
        delivery.send_due(now=start)
    [first] = deliveries(app)
    assert first.state == FAILED and "SMTPServerDisconnected" in first.detail
    with app.app_context():
        delivery.send_due(now=start + timedelta(seconds=30))  # not due yet: nothing happens
        assert deliveries(app)[0].attempts == 1
        delivery.send_due(now=start + timedelta(minutes=1, seconds=1))
        delivery.send_due(now=start + timedelta(minutes=4))
    [sent] = deliveries(app)
    assert (sent.state, sent.attempts) == (SENT, 3)
    assert len(sent_mail(app)) == 1

    def refuse(self, messages):
        raise smtplib.SMTPRecipientsRefused({"owner@shop.example": (550, b"no such user")})

    monkeypatch.setattr(backend, "send_messages", refuse)
    waiting_request(factories, shop, "576800000000000002", deadline=now_unix() + 2 * HOUR)
    with app.app_context():
        scan.run_scan()
        delivery.send_due()
        delivery.send_due(now=utcnow() + timedelta(days=1))
    refused = deliveries(app)[1]
    assert refused.state == GAVE_UP and "refused the address (550)" in refused.detail
    assert refused.attempts == 1 and len(sent_mail(app)) == 1


def test_an_unreachable_mail_server_claims_nothing(app, factories, shop, monkeypatch):
    def unreachable(self):
        raise ConnectionRefusedError("no SMTP server")

    backend = type(app.extensions["mailman"]).import_backend(app.extensions["mailman"], "locmem")
    monkeypatch.setattr(backend, "open", unreachable)
    waiting_request(factories, shop, "576800000000000001", deadline=now_unix() + 2 * HOUR)
    with app.app_context():
        scan.run_scan()
        delivery.send_due()
    [waiting] = deliveries(app)
    assert waiting.state == FAILED and waiting.claimed_at is None and "could not be reached" in waiting.detail
    monkeypatch.undo()
    with app.app_context():
        delivery.send_due(now=utcnow() + timedelta(minutes=2))
    assert deliveries(app)[0].state == SENT and len(sent_mail(app)) == 1
