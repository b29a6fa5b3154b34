"""Shared fixtures: one real build of the bundled corpus per test session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "gold"


def narcokg(
    *args: str, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the installed command line as a user would (a real process, real files)."""
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=check,
        timeout=600,
    )


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built from the bundled corpus; returns the store folder."""
    work = tmp_path_factory.mktemp("build")
    narcokg("build", "--store", str(work / "store"), cwd=work)
    return work / "store"
