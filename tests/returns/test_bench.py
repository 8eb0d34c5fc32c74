"""The grid benchmark runs end to end on a tiny data set, so `make bench` cannot rot unnoticed."""

from __future__ import annotations

import os

import pytest

from bench import __main__ as bench_main
from bench import grid_bench

pytestmark = pytest.mark.bench


@pytest.mark.slow
def test_grid_benchmark_runs_on_a_tiny_data_set(capsys):
    args = ["--sellers", "4", "--total", "1200", "--big", "800", "--small", "100", "--repeats", "3"]
    if os.environ.get("TEST_DATABASE_URL"):
        args += [
            "--database-url",
            os.environ["TEST_DATABASE_URL"].rstrip("/").rsplit("/", 1)[0] + "/grid_bench_test",
        ]
    results = grid_bench.run(grid_bench.parser().parse_args(args))
    assert len(results) == 5
    assert all(result.value > 0 for result in results)
    assert "800 rows" in results[-1].name  # every request of the big seller was exported
    grid_bench.report(results)
    out = capsys.readouterr().out
    assert "seeded 1,200 requests over 4 sellers" in out and "goal <= 3.0x" in out


def test_bench_entry_point_discovers_benchmark_modules():
    assert "grid_bench" in bench_main.discover()
    assert bench_main.main(["no_such"]) == 2
