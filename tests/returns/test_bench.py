"""The grid benchmark runs end to end on a tiny data set, so `make bench` cannot rot unnoticed."""

from __future__ import annotations

import os
import re

import pytest

from devtools.bench_runner import run_bench

pytestmark = pytest.mark.bench


@pytest.mark.slow
def test_grid_benchmark_runs_on_a_tiny_data_set():
    args = ["--sellers", "4", "--total", "1200", "--big", "800", "--small", "100", "--repeats", "3"]
    if os.environ.get("TEST_DATABASE_URL"):
        args += [
            "--database-url",
            os.environ["TEST_DATABASE_URL"].rstrip("/").rsplit("/", 1)[0] + "/grid_bench_test",
        ]
    run = run_bench("grid_bench", args)
    assert "Traceback" not in run.output, run.output
    assert run.returncode in (0, 1), run.output
    assert "seeded 1,200 requests over 4 sellers" in run.output
    figures = re.findall(r"^\s+(\d+\.\d+)x\s+\[", run.output, flags=re.M)
    assert len(figures) == 6 and all(float(f) > 0 for f in figures), run.output
    assert "800 rows" in run.output  # every request of the big seller was exported
    # The baseline is what the app itself ran for each page, replayed bare — for a tab and for the
    # "Needs your answer" view.
    assert re.search(r"tab switch \('complete', htmx fragment\) / the app's own \d+ statements", run.output)
    assert re.search(r'"Needs your answer" \(htmx fragment\) / the app\'s own \d+ statements', run.output)


def test_bench_entry_point_refuses_an_unknown_benchmark():
    run = run_bench("__main__", ["no_such"], timeout=60)
    assert run.returncode == 2
    assert "unknown benchmark(s): no_such" in run.output and "grid_bench" in run.output
