"""The sync benchmark runs end to end at a tiny size (so it cannot rot); its goals are not judged here."""

from __future__ import annotations

import pytest

from bench import sync_bench

pytestmark = [pytest.mark.integration, pytest.mark.bench]


def test_sync_benchmark_runs_tiny(capsys):
    sync_bench.main(["--requests", "300", "--changed", "5", "--memory", "100", "200"])
    out = capsys.readouterr().out
    assert "full sync / bare fetch loop:" in out
    assert "incremental / full sync:" in out
    assert "peak memory 200 vs 100 requests:" in out
