"""Validation remembers what it has checked (issue 17).

``narcokg validate`` keeps each release graph's findings beside the store
(kg/store/checked.py) and does not check a graph again while its content (the version the build
recorded, kg/store/graph_versions.py, or the digest of the graph as read) and its context
(shapes, vocabulary, checking code) are unchanged. These tests prove the reused findings equal
a full re-check's, that each kind of change is checked again, and that ``--all`` checks all.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.checks.releases import validate_all
from kg.resources import shapes_dir
from kg.store.checked import checked_path
from kg.store.graph_versions import versions_path
from tests.conftest import ROOT, narcokg

pytestmark = pytest.mark.slow  # builds and validates stores with the command line

RELEASES = sorted((ROOT / "tests" / "data" / "releases").glob("r0[1-3]_*.txt"))


def _summary(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("release graphs:"))


def _report(out: str) -> str:
    """The report without the line that says what was checked and what reused."""
    return "\n".join(line for line in out.splitlines() if not line.startswith("release graphs:"))


@pytest.fixture()
def store_dir(tmp_path: Path) -> Path:
    """Two invented releases built with the command line (no dumps)."""
    store = tmp_path / "data" / "store"
    narcokg("build", *map(str, RELEASES[:2]), "--store", str(store), "--no-dump")
    assert versions_path(store).is_file()  # the build recorded each graph's version
    return store


def test_an_unchanged_store_reuses_every_finding(store_dir: Path) -> None:
    first = narcokg("validate", "--store", str(store_dir))
    assert _summary(first.stdout).startswith("release graphs: 2 checked, 0 reused")
    assert checked_path(store_dir).is_file()
    again = narcokg("validate", "--store", str(store_dir))
    assert _summary(again.stdout).startswith("release graphs: 0 checked, 2 reused")
    assert _report(again.stdout) == _report(first.stdout)
    everything = narcokg("validate", "--store", str(store_dir), "--all")
    assert _summary(everything.stdout).startswith("release graphs: 2 checked, 0 reused")
    assert _report(everything.stdout) == _report(first.stdout)


def test_a_new_release_is_the_only_graph_checked(store_dir: Path) -> None:
    narcokg("validate", "--store", str(store_dir))
    narcokg("build", str(RELEASES[2]), "--store", str(store_dir), "--no-dump")
    after = narcokg("validate", "--store", str(store_dir))
    assert _summary(after.stdout).startswith("release graphs: 1 checked, 2 reused")
    full = narcokg("validate", "--store", str(store_dir), "--all")
    assert _report(after.stdout) == _report(full.stdout)
    assert "graph/release/r03" in after.stdout or "release/r03" in after.stdout


def test_a_graph_changed_outside_the_build_is_checked_again(store_dir: Path) -> None:
    """A writer the build does not control deletes the versions file (as ``serve
    --writable`` does); validation then reads every graph and knows which one changed."""
    narcokg("validate", "--store", str(store_dir))
    store = ox.Store(str(store_dir))
    graph = next(g.value for g in store.named_graphs() if "/release/r01" in g.value)
    # one figure loses its data set: a shape violation and IC-1
    store.update(
        "PREFIX qb: <http://purl.org/linked-data/cube#> "
        f"DELETE {{ GRAPH <{graph}> {{ ?f qb:dataSet ?d }} }} WHERE {{ GRAPH <{graph}> "
        "{ ?f qb:dataSet ?d } { SELECT ?f WHERE { GRAPH <" + graph + "> { ?f qb:dataSet [] } } "
        "ORDER BY ?f LIMIT 1 } }"
    )
    store.flush()
    del store
    versions_path(store_dir).unlink()
    changed = narcokg("validate", "--store", str(store_dir), check=False)
    assert changed.returncode == 1
    # read, not trusted: both graphs' digests are new keys, so both are checked
    assert _summary(changed.stdout).startswith("release graphs: 2 checked, 0 reused")
    again = narcokg("validate", "--store", str(store_dir), check=False)
    assert again.returncode == 1  # the violation is reused, not lost
    assert _summary(again.stdout).startswith("release graphs: 0 checked, 2 reused")
    assert _report(again.stdout) == _report(changed.stdout)
    assert "fail: IC-1 (Unique DataSet)" in again.stdout
    assert "conforms: no" in again.stdout


def test_changed_shapes_check_every_graph_again(store_dir: Path, tmp_path: Path) -> None:
    shapes = tmp_path / "shapes"
    shutil.copytree(shapes_dir(), shapes)
    store = ox.Store(str(store_dir))
    first = validate_all(store, shapes_dir=shapes, store_dir=store_dir)
    assert (first.checked, first.reused) == (2, 0)
    second = validate_all(store, shapes_dir=shapes, store_dir=store_dir)
    assert (second.checked, second.reused) == (0, 2)
    assert second.shacl == first.shacl and second.cube == first.cube
    report = next(iter(sorted((shapes / "report").glob("*.ttl"))))
    report.write_text(report.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    third = validate_all(store, shapes_dir=shapes, store_dir=store_dir)
    assert (third.checked, third.reused) == (2, 0)
    assert third.shacl == first.shacl and third.cube == first.cube
    recheck = validate_all(store, shapes_dir=shapes, store_dir=store_dir, recheck=True)
    assert (recheck.checked, recheck.reused) == (2, 0)


def test_a_damaged_memo_is_started_afresh(store_dir: Path) -> None:
    first = narcokg("validate", "--store", str(store_dir))
    checked_path(store_dir).write_bytes(b"not a database" * 100)
    after = narcokg("validate", "--store", str(store_dir))
    assert "checked graphs unusable" in after.stderr
    assert _summary(after.stdout).startswith("release graphs: 2 checked, 0 reused")
    assert _report(after.stdout) == _report(first.stdout)


def test_a_validation_killed_anywhere_leaves_findings_that_equal_a_full_check(
    store_dir: Path,
) -> None:
    """SIGKILL at moments spread over a run (start-up, checking, keeping): the next run's report
    is the full check's, whatever it reuses."""
    full = _report(narcokg("validate", "--store", str(store_dir), "--all").stdout)
    cmd = [sys.executable, "-m", "kg.cli", "validate", "--store", str(store_dir), "--all"]
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    whole = time.perf_counter() - start  # how long one run takes here, to spread the kills
    for fraction in (0.3, 0.5, 0.7, 0.85, 0.95):
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(whole * fraction)
        child.send_signal(signal.SIGKILL)
        child.wait()
        after = narcokg("validate", "--store", str(store_dir))
        assert _report(after.stdout) == full, fraction
