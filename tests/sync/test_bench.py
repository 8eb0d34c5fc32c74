"""The sync benchmark runs end to end at a tiny size (so it cannot rot); its goals are not judged here."""

from __future__ import annotations

import re

import pytest

from devtools.bench_runner import run_bench

pytestmark = [pytest.mark.integration, pytest.mark.bench]


def test_sync_benchmark_runs_tiny():
    run = run_bench("sync_bench", ["--requests", "300", "--changed", "5", "--memory", "100", "200"])
    assert "Traceback" not in run.output, run.output
    assert run.returncode in (0, 1), run.output  # 1 = a goal missed, which a tiny run may
    counts = re.search(r"bare loop: ([\d,]+) requests in .*; full sync: ([\d,]+) in", run.output)
    assert counts, run.output
    fetched, synced = (int(n.replace(",", "")) for n in counts.groups())
    assert 0 < fetched == synced, run.output  # the sync stored every request the bare loop fetched
    assert re.search(r"full sync / bare fetch loop: \d+\.\d+x", run.output)
    assert re.search(r"incremental / full sync: \d+\.\d+%", run.output)
    assert re.search(r"peak memory 200 vs 100 requests: \d+\.\d+x", run.output)
