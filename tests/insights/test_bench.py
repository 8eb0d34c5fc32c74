"""The insights benchmark runs end to end on a tiny data set, so `make bench` cannot rot unnoticed."""

from __future__ import annotations

import os
import re

import pytest

from devtools.bench_runner import run_bench

pytestmark = pytest.mark.bench


@pytest.mark.slow
def test_insights_benchmark_runs_on_a_tiny_data_set():
    args = ["--sellers", "3", "--total", "3000", "--big", "2000", "--small", "500", "--repeats", "3"]
    if os.environ.get("TEST_DATABASE_URL"):  # a scratch database named after the test database
        args += ["--database-url", os.environ["TEST_DATABASE_URL"].rstrip("/") + "_insights_bench"]
    run = run_bench("insights_bench", args)
    assert "Traceback" not in run.output, run.output
    assert run.returncode in (0, 1), run.output
    assert "seeded 3,000 requests" in run.output and "first refresh (every week rebuilt)" in run.output
    figures = re.findall(r"^\s+(\d+\.\d+)x\s+\[", run.output, flags=re.M)
    assert len(figures) == 4 and all(float(f) > 0 for f in figures), run.output
    assert "big seller (2,000) / small seller (500) insights page" in run.output
