"""Shared fixtures: one real build of the bundled corpus and one headless browser per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "data" / "gold"
INVENTED = ROOT / "tests" / "data" / "releases"
# How many invented releases a build of the folder makes (each text has a hand annotation).
INVENTED_COUNT = len(list(INVENTED.glob("*.txt")))


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
    """A store built from the bundled corpus, then exported whole as a user does (``narcokg
    dump``: TriG, N-Quads and JSON-LD beside it); returns the store folder."""
    work = tmp_path_factory.mktemp("build")
    narcokg("build", "--store", str(work / "store"), cwd=work)
    for key in ("trig", "nq", "jsonld"):
        out = work / f"narcotics-kg.{key}"
        narcokg("dump", "--store", str(work / "store"), "--out", str(out), cwd=work)
    return work / "store"


# Headless Chromium for the web and report tests: one browser per session.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1200,1600",
)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium through chromedriver (no download: both paths are given)."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        if os.environ.get("CI"):
            pytest.fail("chromium / chromedriver missing: .ci/run installs them")
        pytest.skip("chromium + chromium-driver not installed (apt-get install them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
