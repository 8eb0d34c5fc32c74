"""The load benchmark, run for a few seconds with a few sellers so it cannot rot.

Uses the suite's PostgreSQL server (a database of its own) when TEST_DATABASE_URL is set, else SQLite;
always its own embedded Redis. Figures on a shared test machine mean little, so the smoke run checks
what must hold at any speed: no errors under load, tab switches measured, the sync and the webhook
stream actually ran.
"""

from __future__ import annotations

import os

import pytest

from bench import load_bench

pytestmark = pytest.mark.bench


@pytest.mark.slow
@pytest.mark.integration
def test_load_bench_runs_without_errors(capsys):
    base = os.environ.get("TEST_DATABASE_URL")
    args = load_bench.parser().parse_args(
        [
            "--duration", "4", "--sellers", "4", "--requests", "200", "--sandbox-returns", "200",
            "--web-workers", "2", "--rq-workers", "1", "--tick", "0.3", "--samples", "10", "--think", "0.1",
            "--database-url", f"{base}_loadsmoke" if base else "sqlite",
            "--redis-url", "embedded",  # its own server: the bench empties the Redis database it uses
        ]
    )  # fmt: skip
    outcome = load_bench.run(args)
    assert outcome.errors == []
    assert outcome.requests > 20 and outcome.unloaded_median > 0 and outcome.loaded_p95 > 0
    assert outcome.sync_state in ("queued", "running", "succeeded")
    assert outcome.webhooks_received > 0
    load_bench.report(outcome, args)
    assert "p95 under load" in capsys.readouterr().out
