"""``narcokg validate`` on the real build of the bundled corpus, as a user runs it."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pyoxigraph as ox

from tests.conftest import GOLD, narcokg

R000 = "https://w3id.org/narcotics-kg/id/release/000_a69edf0332bcabe2"


def gold_malformed() -> set[str]:
    """Figure IRIs of release 000 that the hand annotation marks malformed."""
    with (GOLD / "000_a69edf0332bcabe2.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["status"] == "malformed"]
    return {f"{R000}/figure/{r['start']}-{r['end']}" for r in rows}


def test_the_build_conforms_and_reports_every_malformed_figure(built: Path) -> None:
    done = narcokg("validate", "--store", str(built), check=False)
    assert done.returncode == 0, done.stdout
    out = done.stdout
    assert "nkg:release/000_a69edf0332bcabe2: 0 violations, 18 warnings" in out
    assert "nkg:release/003_fa7d3ae810f620c8: 0 violations, 0 warnings" in out
    assert out.rstrip().endswith("conforms: yes")
    warned = {
        line.split()[0].replace("nkgv:", "https://w3id.org/narcotics-kg/id/")
        for line in out.splitlines()
        if "[nks:MalformedFigureShape]" in line
    }
    expected = gold_malformed()
    assert len(expected) == 18
    assert warned == expected
    assert "[nks:ImplausibleFigureShape]" in out  # "6.7000 tons" and the like, as Info


def test_a_malformed_figure_given_a_value_fails_validation(built: Path, tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    shutil.copytree(built, store_dir)
    figure = f"{R000}/figure/671-675"  # "9,26", garbled in the source
    store = ox.Store(str(store_dir))
    store.update(
        "INSERT DATA { GRAPH <https://w3id.org/narcotics-kg/graph/release/000_a69edf0332bcabe2> "
        f'{{ <{figure}> <https://w3id.org/narcotics-kg/ontology#value> "926"^^'
        "<http://www.w3.org/2001/XMLSchema#decimal> } }"
    )
    store.flush()
    del store
    done = narcokg("validate", "--store", str(store_dir), check=False)
    assert done.returncode == 1
    fired = [
        line for line in done.stdout.splitlines() if "[nks:MalformedFigureWithValueShape]" in line
    ]
    assert len(fired) == 1
    assert fired[0].split()[0] == "nkgv:release/000_a69edf0332bcabe2/figure/671-675"
    assert done.stdout.rstrip().endswith("conforms: no")


def test_validate_without_a_store_is_a_usage_error(tmp_path: Path) -> None:
    done = narcokg("validate", "--store", str(tmp_path / "nothing"), check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ")
    assert "nothing: no store here" in done.stderr
