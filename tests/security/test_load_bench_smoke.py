"""The load benchmark, run for a few seconds with a few sellers so it cannot rot.

Uses the suite's PostgreSQL server (a database of its own) when TEST_DATABASE_URL is set, else SQLite;
always its own embedded Redis. Figures on a shared test machine mean little, so the smoke run checks
what must hold at any speed: no errors under load, tab switches measured, the sync and the webhook
stream actually ran.
"""

from __future__ import annotations

import os
import re

import pytest

from devtools.bench_runner import run_bench


@pytest.mark.slow
@pytest.mark.integration
def test_load_bench_runs_without_errors():
    base = os.environ.get("TEST_DATABASE_URL")
    args = [
        "--duration", "4", "--sellers", "4", "--requests", "200", "--sandbox-returns", "200",
        "--web-workers", "2", "--rq-workers", "1", "--tick", "0.3", "--samples", "10", "--think", "0.1",
        "--database-url", f"{base}_loadsmoke" if base else "sqlite",
        "--redis-url", "embedded",  # its own server: the bench empties the Redis database it uses
    ]  # fmt: skip
    run = run_bench("load_bench", args)
    out = run.output
    assert "Traceback" not in out, out
    assert re.search(r"errors\s+0 \(goal 0\)", out), out
    served = re.search(r"requests under load\s+(\d+) in", out)
    assert served and int(served.group(1)) > 20, out
    median = re.search(r"unloaded median\s+(\d+\.\d) ms", out)
    assert median and float(median.group(1)) > 0, out
    assert re.search(r"p95 under load\s+\d+\.\d ms", out), out
    assert re.search(r"sync during the run\s+(queued|running|succeeded),", out), out
    webhooks = re.search(r"webhooks received\s+(\d+)", out)
    assert webhooks and int(webhooks.group(1)) > 0, out
