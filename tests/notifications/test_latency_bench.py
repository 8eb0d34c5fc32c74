"""The alert latency benchmark runs end to end on the whole product (a fast tick, two requests), so
`make bench` cannot rot unnoticed."""

from __future__ import annotations

import re

import pytest

from devtools.bench_runner import run_bench

pytestmark = [pytest.mark.bench, pytest.mark.slow]


def test_alert_latency_benchmark_runs_on_the_whole_product():
    run = run_bench("alerts_latency_bench", ["--requests", "2", "--scan-seconds", "3"], timeout=600)
    assert "Traceback" not in run.output, run.output
    figures = re.search(r"in the app: max (\d+\.\d) s .*email received: max (\d+\.\d) s", run.output)
    assert figures, run.output
    in_app, email = (float(n) for n in figures.groups())
    assert 0 <= in_app <= 60 and 0 <= email <= 120, run.output  # a 3-second tick: well inside the goals
    assert run.returncode == 0, run.output
