"""Run one benchmark module as its own process (how ``make bench`` runs it), for the smoke tests.

The test suite and the benchmarks do not import each other: a smoke test runs
``python -m bench.<name>`` with tiny arguments and reads what it printed.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


@dataclass
class BenchRun:
    returncode: int
    output: str


def run_bench(module: str, args: list[str], timeout: float = 600) -> BenchRun:
    """``python -m bench.<module> *args`` from the repository root; stdout and stderr together."""
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", f"bench.{module}", *args],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return BenchRun(completed.returncode, completed.stdout + completed.stderr)
