"""The alerts benchmark runs end to end on a tiny data set, so `make bench` cannot rot unnoticed."""

from __future__ import annotations

import os
import re

import pytest

from devtools.bench_runner import run_bench

pytestmark = pytest.mark.bench


def test_alerts_benchmark_runs_on_a_tiny_data_set():
    args = [
        "--sellers",
        "20",
        "--requests",
        "5000",
        "--waiting-every",
        "10",
        "--scans",
        "4",
        "--changed",
        "10",
        "--push-records",
        "6000",
    ]
    if os.environ.get("TEST_DATABASE_URL"):
        base = os.environ["TEST_DATABASE_URL"].rstrip("/")
        args += ["--database-url", f"{base}_alerts_bench"]
    run = run_bench("alerts_bench", args)
    assert "Traceback" not in run.output, run.output
    assert run.returncode == 0, run.output  # a tiny run meets the goals easily
    assert "seeded 20 sellers, 5,000 requests and as many seller turns (500 waiting now)" in run.output
    caught_up = re.search(
        r"catch-up scan .*: \d+\.\d+ s, read ([\d,]+) of 5,000 turns, ([\d,]+) alerts", run.output
    )
    assert caught_up, run.output
    read, raised = (int(n.replace(",", "")) for n in caught_up.groups())
    assert 0 < raised <= read < 500  # only turns inside the thresholds, never the whole table
    after_sync = re.search(
        r"scan after a sync moved 10 deadlines: .* read (\d+) rows .*, (\d+) due", run.output
    )
    assert after_sync and int(after_sync.group(2)) == 10, run.output  # the moved deadlines, now 3 h away
    assert (
        "USING INDEX ix_seller_turns_open_deadline" in run.output
        or "ix_seller_turns_open_deadline" in run.output
    )
    pushes = re.search(
        r"scan after 10 pushes failed: .* read (\d+) of 6,000 push records, (\d+) due", run.output
    )
    assert pushes and pushes.groups() == ("10", "10"), run.output  # the failures only, not the ledger
    assert "ix_product_push_records_state_updated" in run.output.split("catalog read plan:")[1]
