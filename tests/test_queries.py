"""The query catalogue against a hand-made two-release graph with hand-computed answers.

tests/data/queries/two_releases.trig was written from docs/model.md (its comments give both
release texts); every expected value below was worked out from that file by hand.
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import InputError
from kg.queries.catalogue import Query, load_queries, parse_query
from kg.queries.run import run_query
from kg.queries.tables import Table, format_table
from kg.resources import queries_dir
from tests.conftest import ROOT, narcokg

FIXTURE = ROOT / "tests" / "data" / "queries" / "two_releases.trig"
ID = "https://w3id.org/narcotics-kg/id/"
A, B = "000_aaaa", "001_bbbb"
METH = f"{ID}substance/methamphetamine"
CAMPAIGN = f"{ID}operation/clean-source-cut-flow"

FIGURE_COLUMNS = (
    "release", "start", "end", "verbatim", "value", "unit", "measure", "qualifier", "status",
    "area", "operation", "period_start", "period_end", "change_of", "direction", "substance",
    "offence", "quote", "figure", "measure_label", "area_label", "operation_label",
    "substance_label", "offence_label", "sentence", "role", "within",
)  # fmt: skip
# what `narcokg figures` prints: the query's columns with the verified value after `value`
CLI_FIGURE_COLUMNS = (*FIGURE_COLUMNS[:5], "verified_value", *FIGURE_COLUMNS[5:])


@pytest.fixture(scope="module")
def store() -> ox.Store:
    s = ox.Store()
    s.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    return s


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Query]:
    return load_queries()


def rows(store: ox.Store, name: str, **params: str) -> list[dict[str, str]]:
    return run_query(store, name, params).as_dicts()


# --- the catalogue itself ---------------------------------------------------------------------


def test_readme_lists_exactly_the_query_files(catalogue: dict[str, Query]) -> None:
    readme = (queries_dir() / "README.md").read_text(encoding="utf-8")
    listed = {m[0]: m[1].strip() for m in re.findall(r"^\| \[`(\w+)`\]\(\w+\.rq\) \|.*?\| (.*) \|$",
                                                     readme, flags=re.M)}  # fmt: skip
    assert set(listed) == set(catalogue)
    for name, q in catalogue.items():
        assert listed[name] == q.summary, name


def test_the_expected_questions_are_there(catalogue: dict[str, Query]) -> None:
    assert {
        "figures", "mentions", "malformed_figures", "seizures_per_release_tonnes",
        "operations_across_releases", "jurisdictions_per_release", "year_on_year_changes",
        "figures_by_measure",
    } <= set(catalogue)  # fmt: skip
    assert catalogue["figures"].returns == FIGURE_COLUMNS
    assert catalogue["figures"].params == ("release",)


def test_every_query_has_headers_and_selects_what_it_declares(
    store: ox.Store, catalogue: dict[str, Query]
) -> None:
    for name, q in catalogue.items():
        assert q.summary and q.description, name
        assert q.text.startswith("#+ summary:"), name
        assert "GRAPH" in q.text, f"{name} must name its graphs"
        table = run_query(store, name)
        assert table.columns == q.returns, name
        for param in q.params:
            assert f"?{param}" in q.text, (name, param)


def test_a_file_without_summary_or_returns_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "bad.rq").write_text("#+ returns: [a]\nSELECT ?a WHERE { GRAPH ?g {?a ?b ?c} }\n")
    with pytest.raises(InputError, match="missing #\\+ summary header") as err:
        load_queries(tmp_path)
    assert err.value.path == str(tmp_path / "bad.rq")
    (tmp_path / "bad.rq").write_text("#+ summary: x?\nSELECT ?a WHERE { GRAPH ?g {?a ?b ?c} }\n")
    with pytest.raises(InputError, match="missing #\\+ returns header"):
        parse_query(tmp_path / "bad.rq")


def test_headers_are_parsed(tmp_path: Path) -> None:
    path = tmp_path / "q.rq"
    path.write_text(
        "#+ summary: What?\n#+ description: Because.\n#+ returns: [a, b]\n#+ params: [a]\n"
        "SELECT ?a ?b WHERE { GRAPH ?g { ?a ?p ?b } }\n#+ summary: not a header\n"
    )
    q = load_queries(tmp_path)["q"]
    assert (q.name, q.summary, q.description, q.returns, q.params) == (
        "q",
        "What?",
        "Because.",
        ("a", "b"),
        ("a",),
    )


def test_unknown_query_and_parameter(store: ox.Store) -> None:
    with pytest.raises(InputError, match="unknown query 'nope'; `narcokg query --list`"):
        run_query(store, "nope")
    with pytest.raises(InputError, match="unknown parameter relase; this query takes: release"):
        run_query(store, "figures", {"relase": A})
    with pytest.raises(InputError, match="this query takes: none"):
        run_query(store, "figures_by_measure", {"release": A})


# --- figures.rq -------------------------------------------------------------------------------


def test_figures_rows_in_order(store: ox.Store) -> None:
    table = run_query(store, "figures")
    assert table.columns == FIGURE_COLUMNS
    keys = [(r["release"], r["start"], r["end"], r["verbatim"]) for r in table.as_dicts()]
    assert keys == [
        (A, "72", "76", "9,26"), (A, "92", "94", "6%"), (A, "120", "123", "8.2"),
        (A, "152", "157", "1,500"),
        (B, "39", "44", "2,500"), (B, "55", "58", "25%"), (B, "94", "95", "2"),
        (B, "119", "122", "300"), (B, "158", "161", "40%"),
    ]  # fmt: skip


def test_figures_malformed_row_exactly(store: ox.Store) -> None:
    first = run_query(store, "figures").rows[0]
    assert first == (
        A, "72", "76", "9,26", "", "NUM", f"{ID}indicator/cases-solved", "exact", "malformed",
        "CN", "", "2023-01-01", "2023-08-31", "", "", "", "", "9,26",
        f"{ID}release/{A}/figure/72-76", "cases solved", "China", "", "", "",
        # its sentence (0-209 in the fixture): the whole text of release A
        "During the Clean Source operation, from January to August police solved 9,26 drug cases,"
        " up 6% year on year, and seized 8.2 tons of methamphetamine and 1,500 kilograms of"
        " methamphetamine in Yunnan and Guangxi.",
        "", "",  # the fixture's figures carry no nko:sumRole
    )  # fmt: skip


def test_figures_dimensions_and_links(store: ox.Store) -> None:
    by_span = {(r["release"], r["start"]): r for r in rows(store, "figures")}
    seized = by_span[(A, "120")]
    assert seized["area"] == "CN-GX;CN-YN"  # sorted; CN-GX has no notation: IRI's last segment
    assert (seized["value"], seized["unit"], seized["substance"]) == ("8.2", "TONNE", METH)
    assert seized["operation"] == f"{CAMPAIGN}/2023"
    kg = by_span[(A, "152")]
    assert (kg["value"], kg["unit"], kg["qualifier"]) == ("1500", "KiloGM", "more-than")
    assert (kg["period_start"], kg["period_end"]) == ("", "2023-08-31")  # open start
    change = by_span[(A, "92")]
    assert change["change_of"] == f"{ID}release/{A}/figure/72-76"
    assert (change["direction"], change["unit"], change["value"]) == ("up", "PERCENT", "6")
    assert by_span[(B, "158")]["direction"] == "down"
    for r in by_span.values():
        assert r["verbatim"] == r["quote"]
        assert r["figure"] == f"{ID}release/{r['release']}/figure/{r['start']}-{r['end']}"


def test_figures_release_parameter(store: ox.Store) -> None:
    only_b = rows(store, "figures", release=B)
    assert [r["start"] for r in only_b] == ["39", "55", "94", "119", "158"]
    assert {r["release"] for r in only_b} == {B}
    assert rows(store, "figures", release="no-such-release") == []


# --- the other questions ----------------------------------------------------------------------


def test_mentions(store: ox.Store) -> None:
    got = [tuple(r.values()) for r in rows(store, "mentions", release=A)]
    m = f"{ID}release/{A}/mention/"
    assert got == [
        (A, "11", "23", "Clean Source", "Operation", f"{CAMPAIGN}/2023",
         "Clean Source and Cut off the Flow 2023", f"{m}11-23"),
        (A, "58", "64", "police", "Agency", "", "", f"{m}58-64"),  # unlinked, kept
        (A, "190", "196", "Yunnan", "Jurisdiction", f"{ID}jurisdiction/CN-YN", "Yunnan",
         f"{m}190-196"),
        (A, "201", "208", "Guangxi", "Jurisdiction", f"{ID}jurisdiction/CN-GX", "",
         f"{m}201-208"),
    ]  # fmt: skip
    assert len(rows(store, "mentions")) == 7


def test_malformed_figures(store: ox.Store) -> None:
    assert [tuple(r.values()) for r in rows(store, "malformed_figures")] == [
        (A, "72", "76", "9,26", "cases-solved", "comma groups of 2 digits", "9,26")
    ]
    assert rows(store, "malformed_figures", release=B) == []


def test_seizures_are_listed_in_tonnes_never_summed(store: ox.Store) -> None:
    got = [
        (r["release"], r["measure"], r["area"], r["period_start"], r["verbatim"], r["tonnes"])
        for r in rows(store, "seizures_per_release_tonnes")
    ]
    assert got == [
        # 8.2 t for Yunnan and Guangxi jointly, January to August
        (A, "drugs-seized", "CN-GX;CN-YN", "2023-01-01", "8.2", "8.2"),
        # 1,500 kg = 1.5 t, open-start period: overlaps the 8.2 t, so never added to it
        (A, "drugs-seized", "CN-YN", "", "1,500", "1.5"),
        # 300 kg = 0.3 t; its "down 40%" change is not a seizure
        (B, "drugs-seized", "CN-YN", "", "300", "0.3"),
        # 2 t of precursors, no coded substance, kept apart from the drugs
        (B, "precursors-seized", "CN-YN", "", "2", "2"),
    ]
    only_b = rows(store, "seizures_per_release_tonnes", release=B)
    assert [r["verbatim"] for r in only_b] == ["300", "2"]
    assert {r["issued"] for r in only_b} == {"2022-08-15"}


def test_operations_fold_editions_into_their_campaign(store: ox.Store) -> None:
    assert rows(store, "operations_across_releases") == [
        {
            "operation": CAMPAIGN,
            "label": "Clean Source and Cut off the Flow",
            "releases": "2",
            "release_ids": f"{A};{B}",
        }
    ]


def test_jurisdictions_per_release(store: ox.Store) -> None:
    assert [tuple(r.values()) for r in rows(store, "jurisdictions_per_release")] == [
        (A, "CN-GX", "", "1"),
        (A, "CN-YN", "Yunnan", "1"),
        (B, "CN-YN", "Yunnan", "2"),
    ]
    assert len(rows(store, "jurisdictions_per_release", release=B)) == 1


def test_year_on_year_changes_derive_previous_values_only_from_well_formed_pairs(
    store: ox.Store,
) -> None:
    got = [
        (r["release"], r["measure"], r["base_verbatim"], r["base_value"], r["unit"],
         r["change_value"], r["direction"], r["derived_previous_value"])
        for r in rows(store, "year_on_year_changes")
    ]  # fmt: skip
    assert [g[:7] for g in got] == [
        (A, "cases-solved", "9,26", "", "NUM", "6", "up"),
        (B, "cases-solved", "2,500", "2500", "NUM", "25", "up"),
        (B, "drugs-seized", "300", "300", "KiloGM", "40", "down"),
    ]
    previous = [g[7] for g in got]
    assert previous[0] == ""  # base malformed: nothing to derive from
    assert Decimal(previous[1]) == Decimal("2000")  # 2500 / 1.25
    assert Decimal(previous[2]) == Decimal("500")  # 300 / 0.6


def test_figures_by_measure(store: ox.Store) -> None:
    assert [tuple(r.values()) for r in rows(store, "figures_by_measure")] == [
        ("drugs-seized", "3", "0"),
        ("year-on-year-change", "3", "0"),
        ("cases-solved", "2", "1"),
        ("precursors-seized", "1", "0"),
    ]


# --- formats ----------------------------------------------------------------------------------


TRICKY = Table(
    columns=("a", "b"),
    rows=(("x, y", 'say "hi"'), ("", "line\nbreak"), ("云南", "9,26")),
)


@pytest.mark.parametrize("table", [TRICKY, Table(columns=("a",), rows=())])
def test_every_format_round_trips(table: Table) -> None:
    out = format_table(table, "csv")
    assert out.endswith("\n") and "\r\n" not in out
    parsed = list(csv.reader(io.StringIO(out)))
    assert tuple(parsed[0]) == table.columns
    assert tuple(tuple(r) for r in parsed[1:]) == table.rows
    assert json.loads(format_table(table, "json")) == table.as_dicts()
    lines = format_table(table, "jsonl").splitlines()
    assert [json.loads(line) for line in lines] == table.as_dicts()
    text = format_table(table, "table")
    assert text.endswith("\n") and text.splitlines()[0].split() == list(table.columns)


def test_query_results_round_trip_through_csv(store: ox.Store) -> None:
    table = run_query(store, "figures")
    parsed = list(csv.reader(io.StringIO(format_table(table, "csv"))))
    assert tuple(parsed[0]) == table.columns
    assert tuple(tuple(r) for r in parsed[1:]) == table.rows


def test_text_table_is_aligned() -> None:
    text = format_table(
        Table(columns=("name", "n"), rows=(("a", "10"), ("long name", "2"))), "table"
    )
    assert text == "name       n\n---------  --\na          10\nlong name  2\n"


def test_unknown_format() -> None:
    with pytest.raises(InputError, match="unknown format 'xml'"):
        format_table(TRICKY, "xml")


# --- through the command line -----------------------------------------------------------------


def test_cli_figures_and_query_on_the_fixture(tmp_path: Path) -> None:
    path = tmp_path / "store"
    disk = ox.Store(str(path))
    disk.load(path=str(FIXTURE), format=ox.RdfFormat.TRIG)
    disk.flush()
    del disk
    out = narcokg("figures", "--format", "csv", "--release", B, "--store", str(path)).stdout
    reader = csv.DictReader(io.StringIO(out))
    assert tuple(reader.fieldnames or ()) == CLI_FIGURE_COLUMNS
    assert [r["verbatim"] for r in reader] == ["2,500", "25%", "2", "300", "40%"]
    out = narcokg(
        "query", "malformed_figures", "--param", f"release={A}", "--format", "jsonl",
        "--store", str(path),
    ).stdout  # fmt: skip
    assert [json.loads(line)["verbatim"] for line in out.splitlines()] == ["9,26"]
    bad = narcokg("query", "nope", "--store", str(path), check=False)
    assert bad.returncode == 2 and "unknown query 'nope'" in bad.stderr


# --- cross-release questions on three releases + corrections -------------------------
# tests/data/queries/third_release.trig adds release 002_cccc (issued 2023-08-20), vocabulary
# entries and a corrections graph; every expected row below was worked out from the two files.

THIRD = ROOT / "tests" / "data" / "queries" / "third_release.trig"
C = "002_cccc"
NEW_QUESTIONS = {
    "measures_normalised", "figures_by_area", "suspect_figures_per_release",
    "stated_vs_verified", "figures_by_offence_and_substance", "campaign_sub_operations",
    "release_timeline", "agencies_and_roles",
}  # fmt: skip


@pytest.fixture(scope="module")
def three() -> ox.Store:
    s = ox.Store()
    for path in (FIXTURE, THIRD):
        s.load(path=str(path), format=ox.RdfFormat.TRIG)
    return s


def short(row: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(cell.replace(ID, "") for cell in row)


def test_at_least_fifteen_questions(catalogue: dict[str, Query]) -> None:
    assert len(catalogue) >= 15
    assert set(catalogue) >= NEW_QUESTIONS


def test_every_query_runs_on_the_three_release_fixture(
    three: ox.Store, catalogue: dict[str, Query]
) -> None:
    for name, q in catalogue.items():
        assert run_query(three, name).columns == q.returns, name


def test_measures_normalised_converts_kilograms_and_mu_exactly(three: ox.Store) -> None:
    got = [short(r)[:11] for r in run_query(three, "measures_normalised").rows]
    # ordered by release, then measure (a whole-corpus answer is the releases' answers in turn)
    assert [(r[1], r[0]) for r in got] == sorted((r[1], r[0]) for r in got)
    assert [r[1] for r in got] == [A] * 2 + [B] * 3 + [C] * 9
    assert next(r for r in got if r[0] == "area-eradicated") == (
        # 30 mu = 30/15 = 2 ha exactly
        "area-eradicated", C, "", "2023-07-31", "CN-YN", "operation/clean-source-cut-flow/2023",
        "30", "30", "MU", "2", "HA",
    )  # fmt: skip
    seized = [(r[1], r[6], r[9], r[10]) for r in got if r[0] == "drugs-seized"]
    assert seized == [
        (A, "8.2", "8.2", "TONNE"),
        (A, "1,500", "1.5", "TONNE"),  # 1500 kg / 1000
        (B, "300", "0.3", "TONNE"),
        (C, "700", "0.7", "TONNE"),  # as of June 30: period end sorts before July 31
        (C, "600", "0.6", "TONNE"),
        (C, "1", "1", "TONNE"),
        (C, "900", "0.9", "TONNE"),
        (C, "700", "0.7", "TONNE"),
    ]
    # malformed "9,26" and the year-on-year changes are left out; 14 well-formed figures remain
    assert len(got) == 14
    only = run_query(three, "measures_normalised", {"measure": "precursors-seized", "release": C})
    assert [short(r)[6:12] for r in only.rows] == [
        ("2.5000", "2.5", "TONNE", "2.5", "TONNE", "implausible")
    ]


def test_figures_by_area(three: ox.Store) -> None:
    assert [short(r) for r in run_query(three, "figures_by_area").rows] == [
        (A, "CN", "China", "cases-solved", "1", "9,26", "", ""),  # malformed: no total
        # the joint figure counts once, under its group of areas (issue 18), never per member
        (
            A,
            "CN-GX_CN-YN",
            "Guangxi and Yunnan together",
            "drugs-seized",
            "1",
            "8.2",
            "8.2",
            "TONNE",
        ),
        (A, "CN-YN", "Yunnan", "drugs-seized", "1", "1,500", "1500", "KiloGM"),
        (B, "CN-YN", "Yunnan", "cases-solved", "1", "2,500", "2500", "NUM"),
        (B, "CN-YN", "Yunnan", "drugs-seized", "1", "300", "300", "KiloGM"),
        (B, "CN-YN", "Yunnan", "precursors-seized", "1", "2", "2", "TONNE"),
        (C, "CN-YN", "Yunnan", "area-eradicated", "1", "30", "30", "MU"),
        (C, "CN-YN", "Yunnan", "cases-solved", "2", "40;45", "85", "NUM"),
        (C, "CN-YN", "Yunnan", "drugs-seized", "5", "700;600;1;900;700", "", ""),
        (C, "CN-YN", "Yunnan", "precursors-seized", "1", "2.5000", "2.5", "TONNE"),
    ]
    assert len(run_query(three, "figures_by_area", {"release": B}).rows) == 3


def test_suspect_figures_per_release(three: ox.Store) -> None:
    assert [short(r) for r in run_query(three, "suspect_figures_per_release").rows] == [
        (A, "malformed", "1", "9,26@72", "comma groups of 2 digits"),
        (C, "implausible", "1", "2.5000@400", "spurious precision: 4 decimal places"),
    ]


def test_stated_vs_verified_reads_the_corrections_graph(three: ox.Store) -> None:
    assert [short(r) for r in run_query(three, "stated_vs_verified").rows] == [
        (A, "72", "76", "9,26", "", "malformed", "26000", "NUM", "exact",
         "https://example.org/fixture/a-original", "fixture: 2.6万 in the original",
         f"release/{A}/figure/72-76", f"correction/{A}/72-76"),
        (C, "309", "310", "1", "1", "stated", "1.2", "TONNE", "exact",
         "https://example.org/fixture/c-original;https://example.org/fixture/c-report", "",
         f"release/{C}/figure/309-310", f"correction/{C}/309-310"),
    ]  # fmt: skip
    assert run_query(three, "stated_vs_verified", {"release": B}).rows == ()
    # the figures table keeps listing the stated figure only, unchanged
    stated = [r for r in rows(three, "figures", release=C) if r["start"] == "309"]
    assert [(r["value"], r["status"]) for r in stated] == [("1", "stated")]


def test_figures_by_offence_and_substance(three: ox.Store) -> None:
    got = [short(r) for r in run_query(three, "figures_by_offence_and_substance").rows]
    assert got == [
        (A, "", "", "cases-solved", "1", "1", "9,26 NUM"),
        (A, "", "methamphetamine", "drugs-seized", "2", "0", "8.2 TONNE;1,500 KiloGM"),
        (B, "", "", "cases-solved", "1", "0", "2,500 NUM"),
        (B, "", "", "precursors-seized", "1", "0", "2 TONNE"),
        (B, "", "methamphetamine", "drugs-seized", "1", "0", "300 KiloGM"),
        (C, "", "", "drugs-seized", "1", "0", "1 TONNE"),
        (C, "", "", "precursors-seized", "1", "0", "2.5000 TONNE"),
        (C, "", "heroin", "drugs-seized", "1", "0", "700 KiloGM"),
        (C, "", "methamphetamine", "drugs-seized", "3", "0", "700 KiloGM;600 KiloGM;900 KiloGM"),
        (C, "", "opium poppy", "area-eradicated", "1", "0", "30 MU"),
        (C, "drug trafficking", "", "cases-solved", "2", "0", "40 NUM;45 NUM"),
    ]


def test_campaign_sub_operations(three: ox.Store) -> None:
    campaign = ("operation/clean-source-cut-flow", "Clean Source and Cut off the Flow")
    assert [short(r) for r in run_query(three, "campaign_sub_operations").rows] == [
        (*campaign, "operation/clean-source-cut-flow/2022",
         "Clean Source and Cut off the Flow 2022", "edition", "1", B),
        (*campaign, "operation/clean-source-cut-flow/2023",
         "Clean Source and Cut off the Flow 2023", "edition", "2", f"{A};{C}"),
        (*campaign, "operation/clean-border", "Clean Border", "sub-operation", "0", ""),
    ]  # fmt: skip


def test_release_timeline(three: ox.Store) -> None:
    assert [short(r) for r in run_query(three, "release_timeline").rows] == [
        (B, "2022-08-15", "Fixture release B", "5", "", "2022-07-31", "..2022-07-31"),
        (C, "2023-08-20", "Fixture release C", "10", "", "2023-07-31",
         "..2023-06-30;..2023-07-31"),
        (A, "2023-09-26", "Fixture release A", "4", "2023-01-01", "2023-08-31",
         "..2023-08-31;2023-01-01..2023-08-31"),
    ]  # fmt: skip


def test_agencies_and_roles(three: ox.Store) -> None:
    assert [short(r) for r in run_query(three, "agencies_and_roles").rows] == [
        # "police" in 000_aaaa is unlinked, so it names no agency
        ("Agency", "agency/ministry-of-public-security", "Ministry of Public Security", "", "",
         "1", C),
        ("Person", "person/wang-xiaohong", "Wang Xiaohong", "minister",
         "Ministry of Public Security", "1", C),
    ]  # fmt: skip


HOSTILE = [
    '000_aaaa" } } INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> <urn:c> } } #',
    "000_aaaa' } INSERT { ?s ?p ?o } WHERE { ?s ?p ?o } #",
    "} } DROP ALL ; SELECT * WHERE { {",
    '000_aaaa"^^<http://www.w3.org/2001/XMLSchema#string>',
    "{ ?x ?y ?z }",
    '\\" \\u0022 \n ) ( . ;',
]


@pytest.mark.parametrize("value", HOSTILE)
def test_parameters_are_rdf_terms_not_query_text(three: ox.Store, value: str) -> None:
    size = len(three)
    for name in ("figures", "malformed_figures", "stated_vs_verified", "measures_normalised"):
        table = run_query(three, name, {"release": value})
        # the value is compared as a literal: it matches no release, so nothing is returned,
        # nothing is written, and the columns are the query's own
        assert table.rows == (), name
        assert table.columns == load_queries()[name].returns
    assert len(three) == size
    assert not list(three.quads_for_pattern(None, None, None, ox.NamedNode("urn:x")))
    # and the same parameter with the real id still selects exactly that release
    assert {r["release"] for r in rows(three, "figures", release=A)} == {A}
