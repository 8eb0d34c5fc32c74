"""Request and job ids in log lines, on responses and on error pages; text and JSON formats."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys

import pytest
from flask import current_app

from connector_app.extensions import rq
from connector_app.logging_setup import build_handler
from devtools.stack import BASE_DIR


@pytest.fixture
def captured():
    """The app's handler (text and JSON) on the root logger, writing to strings."""
    streams = {"text": io.StringIO(), "json": io.StringIO()}
    handlers = [build_handler(kind, stream) for kind, stream in streams.items()]
    root = logging.getLogger()
    for handler in handlers:
        root.addHandler(handler)
    yield streams
    for handler in handlers:
        root.removeHandler(handler)


def test_every_response_carries_a_request_id_and_a_sane_incoming_one_is_kept(client):
    first, second = client.get("/login"), client.get("/login")
    assert len(first.headers["X-Request-ID"]) == 32
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    kept = client.get("/login", headers={"X-Request-ID": "proxy-id-12345678"})
    assert kept.headers["X-Request-ID"] == "proxy-id-12345678"
    forged = client.get("/login", headers={"X-Request-ID": "<script>; Set-Cookie=x"})
    assert len(forged.headers["X-Request-ID"]) == 32  # replaced, not echoed


def test_error_pages_show_the_request_id(client):
    response = client.get("/no/such/page")
    request_id = response.headers["X-Request-ID"]
    assert response.status_code == 404
    assert request_id in response.get_data(as_text=True)
    fragment = client.get("/no/such/page", headers={"HX-Request": "true"})
    assert fragment.headers["X-Request-ID"] in fragment.get_data(as_text=True)


def test_a_csrf_failure_page_shows_the_same_id_as_its_header(client):
    response = client.post("/login", data={"email": "a@example.com", "password": "x"})
    assert response.status_code == 400
    assert response.headers["X-Request-ID"] in response.get_data(as_text=True)


def test_log_lines_of_a_request_carry_its_id_in_text_and_json(fresh_app, captured):
    @fresh_app.get("/_log_something")
    def log_something():
        current_app.logger.warning("something happened")
        return "ok"

    request_id = fresh_app.test_client().get("/_log_something").headers["X-Request-ID"]
    text_line = next(
        line for line in captured["text"].getvalue().splitlines() if "something happened" in line
    )
    assert f"[request={request_id}]" in text_line
    record = next(
        json.loads(line) for line in captured["json"].getvalue().splitlines() if "something happened" in line
    )
    assert record["request_id"] == request_id and record["level"] == "WARNING"
    assert record["message"] == "something happened" and "context" not in record


def test_log_lines_of_a_job_carry_its_id(app, captured):
    from connector_app.worker import AppWorker

    with app.app_context():
        job = rq.queue.enqueue("tests.core.worker_jobs.log_a_line")
        AppWorker([rq.queue], connection=rq.connection, app=app).work(burst=True)
    [line] = [line for line in captured["text"].getvalue().splitlines() if "from inside the job" in line]
    assert f"[job={job.id}]" in line
    records = [json.loads(line) for line in captured["json"].getvalue().splitlines()]
    [record] = [r for r in records if r["message"] == "a line from inside the job"]
    assert record["job_id"] == job.id and record["request_id"] is None


def test_creating_the_app_installs_no_root_handler(tmp_path):
    code = (
        "import logging\n"
        "before = list(logging.getLogger().handlers)\n"
        "from connector_app import create_app\n"
        "create_app()\n"
        "assert logging.getLogger().handlers == before, logging.getLogger().handlers\n"
        "import wsgi\n"  # the entry point does configure the process
        "assert len(logging.getLogger().handlers) == 1\n"
    )
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, env=env, check=True)
