"""The import contracts in pyproject.toml hold, and they catch a new back-edge in the feature graph."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
    )


def test_the_contracts_hold():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("connector_app/connect/signals.py", "import connector_app.returns.services", "connect"),
        ("connector_app/marketplaces/errors.py", "import connector_app.extensions", "marketplaces"),
        ("connector_app/returns/queries.py", "from connector_app.listings import models", "returns"),
        ("connector_app/sync/progress.py", "import sandbox_marketplace", "sandbox"),
    ],
)
def test_a_new_back_edge_breaks_a_contract(tmp_path, module, line, broken):
    for name in ("connector_app", "sandbox_marketplace", "tests", "bench", "devtools"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "vendor"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{line}  # a back-edge\n")
    result = _lint(tmp_path)
    assert result.returncode != 0, result.stdout
    assert "BROKEN" in result.stdout and broken in result.stdout
