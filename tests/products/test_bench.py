"""The catalog benchmark runs end to end, so `make bench` cannot rot unnoticed."""

from __future__ import annotations

import pytest

from devtools.bench_runner import run_bench

pytestmark = pytest.mark.bench


@pytest.mark.slow
def test_catalog_benchmark_runs_and_prints_its_figures():
    run = run_bench("catalog_bench", [])
    assert "Traceback" not in run.output, run.output
    assert run.returncode in (0, 1), run.output
    for line in (
        "Etsy full read of 5,000 listings: 51 calls",
        "Etsy incremental read after 20 changes: 3 calls",
        "TikTok push: 240 calls for 240 differing",
        "Worker peak memory, relink + plan + push: 50,000 SKUs",
    ):
        assert line in run.output, run.output
