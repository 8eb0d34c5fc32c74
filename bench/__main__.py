"""Run every benchmark: ``python -m bench`` (all of them) or ``python -m bench grid sync`` (by name).

Discovers ``bench/<name>_bench.py`` modules that define ``main(argv) -> int``, runs each with its own
defaults, prints their figures as they go and exits non-zero if any benchmark missed a goal.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import time
from pathlib import Path

SUFFIX = "_bench"


def discover() -> list[str]:
    return sorted(path.stem for path in Path(__file__).parent.glob(f"*{SUFFIX}.py"))


def main(argv: list[str] | None = None) -> int:
    wanted = argv if argv is not None else sys.argv[1:]
    names = discover()
    if wanted:
        unknown = [name for name in wanted if f"{name.removesuffix(SUFFIX)}{SUFFIX}" not in names]
        if unknown:
            print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(names)}")
            return 2
        names = [f"{name.removesuffix(SUFFIX)}{SUFFIX}" for name in wanted]
    failed: list[str] = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        entry = getattr(module, "main", None)
        if not callable(entry):
            continue
        print(f"=== {name}", flush=True)
        started = time.perf_counter()
        code = entry([]) if inspect.signature(entry).parameters else entry()
        print(f"=== {name}: {'ok' if not code else 'GOAL MISSED'} ({time.perf_counter() - started:.0f} s)\n")
        if code:
            failed.append(name)
    if failed:
        print(f"goals missed in: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
