"""``narcokg figures`` as a reader uses it: labels, sentence, verified value, typed JSON, filters,
a table that fits a terminal, and one-line errors (with close matches) for names the store lacks.

The store is the three-release query fixture (tests/data/queries/two_releases.trig and
third_release.trig, with its corrections graph), loaded into a real store on disk and queried
through the real command. Every expected value below was read off those two files by hand.
"""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest

from tests.conftest import ROOT, narcokg

FIXTURES = ROOT / "tests" / "data" / "queries"
A, B, C = "000_aaaa", "001_bbbb", "002_cccc"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("figures") / "store"
    disk = ox.Store(str(path))
    for name in ("two_releases.trig", "third_release.trig"):
        disk.load(path=str(FIXTURES / name), format=ox.RdfFormat.TRIG)
    disk.flush()
    del disk
    return str(path)


def figures(store: str, *args: str, check: bool = True) -> str:
    return narcokg("figures", "--store", store, *args, check=check).stdout


def test_json_has_numbers_labels_the_sentence_and_the_verified_value(store: str) -> None:
    rows = json.loads(figures(store, "--release", A, "--format", "json"))
    first = rows[0]
    # "9,26" at 72-76: garbled, no value; the corrections graph gives 26000
    assert (first["start"], first["end"], first["verbatim"]) == (72, 76, "9,26")
    assert first["value"] is None
    assert first["verified_value"] == 26000
    assert (first["measure_label"], first["area_label"]) == ("cases solved", "China")
    assert first["sentence"].startswith("During the Clean Source operation, from January")
    assert first["sentence"].endswith("in Yunnan and Guangxi.")
    assert first["quote"] == "9,26"
    seized = next(r for r in rows if r["start"] == 120)
    assert (seized["value"], seized["verified_value"]) == (8.2, None)
    assert seized["area_label"] == "Guangxi;Yunnan" or seized["area"] == "CN-GX;CN-YN"


def test_csv_keeps_the_cells_as_stored(store: str) -> None:
    rows = list(csv.DictReader(io.StringIO(figures(store, "--release", C))))
    stated = next(r for r in rows if r["start"] == "309")
    assert (stated["value"], stated["verified_value"], stated["unit"]) == ("1", "1.2", "TONNE")


def test_filters_narrow_the_table(store: str) -> None:
    def spans(*args: str) -> list[tuple[str, str]]:
        rows = csv.DictReader(io.StringIO(figures(store, *args)))
        return [(r["release"], r["verbatim"]) for r in rows]

    # A and B each state one; C states 40 (at 232) and 45 (at 436)
    assert spans("--measure", "cases-solved") == [(A, "9,26"), (B, "2,500"), (C, "40"), (C, "45")]
    # the label and the IRI name the same measure
    assert spans("--measure", "Cases Solved") == spans("--measure", "cases-solved")
    iri = "https://w3id.org/narcotics-kg/id/indicator/cases-solved"
    assert spans("--measure", iri) == spans("--measure", "cases-solved")
    assert spans("--status", "malformed") == [(A, "9,26")]
    assert (A, "8.2") in spans("--area", "CN-YN")
    assert spans("--area", "yunnan") == spans("--area", "CN-YN")
    assert (A, "9,26") not in spans("--area", "CN-YN")  # stated for China as a whole
    # release A's figures run from January to August 2023; none lies within 2022
    assert [s for s in spans("--period", "2022") if s[0] == A] == []
    assert (A, "9,26") in spans("--period", "2023-01/2023-08")
    assert (A, "9,26") not in spans("--period", "2023-01/2023-07")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--release", "000_aaab"], "no release '000_aaab' in the store; did you mean 000_aaaa"),
        (["--measure", "case-solved"], "no measure 'case-solved' in the store; did you mean"),
        (["--area", "Atlantis"], "no area 'Atlantis' in the store"),
        (["--period", "2023-13"], "--period '2023-13': not a date"),
        (["--period", "2024/2023"], "ends before it starts"),
    ],
)
def test_a_name_the_store_lacks_is_one_line_not_an_empty_table(
    store: str, args: list[str], message: str
) -> None:
    done = narcokg("figures", "--store", store, *args, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    errors = [x for x in done.stderr.splitlines() if not x.startswith("note: ")]
    assert len(errors) == 1 and errors[0].startswith("error: ") and message in errors[0], errors


def test_query_parameters_that_name_nothing_are_refused(store: str) -> None:
    done = narcokg(
        "query", "measures_normalised", "--param", "measure=drug-seized", "--store", store,
        check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "no measure 'drug-seized' in the store; did you mean drugs-seized" in done.stderr
    known = narcokg("query", "measures_normalised", "--param", "measure=drugs-seized",
                    "--store", store, "--format", "json").stdout  # fmt: skip
    assert {r["measure"] for r in json.loads(known)} == {"drugs-seized"}


def test_the_table_form_fits_a_terminal(store: str) -> None:
    out = figures(store, "--format", "table")
    lines = out.splitlines()
    assert lines[0].split() == [
        "release", "at", "verbatim", "value", "verified", "unit", "measure", "area", "from",
        "to", "status",
    ]  # fmt: skip
    assert max(len(x) for x in lines) <= 140
    assert "https://" not in out  # short names; the IRIs are in csv and json
    assert len(lines) == 2 + len(json.loads(figures(store, "--format", "json")))
