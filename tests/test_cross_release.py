"""Cross-release work: verified corrections, `narcokg check`, RDF Data Cube IC-1…IC-21.

Corpus expectations were checked by hand against corpus/000_a69edf0332bcabe2.txt and
mappings/reference/corrections.csv; fixture expectations against tests/data/queries/*.trig.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef

from kg.checks.crossrelease import check
from kg.checks.datacube import CONSTRAINTS, check_graph, check_store
from kg.errors import InputError
from kg.namespaces import CORRECTIONS_GRAPH, NKG, VOCABULARY_GRAPH
from kg.rdf.corrections import (
    CorrectionRow,
    read_corrections,
    revise,
)
from tests.conftest import ROOT, narcokg

R0 = "000_a69edf0332bcabe2"
R3 = "003_fa7d3ae810f620c8"
ID = "https://w3id.org/narcotics-kg/id/"
FIXTURES = [
    ROOT / "tests" / "data" / "queries" / f for f in ("two_releases.trig", "third_release.trig")
]
HEADER = "release,exact,start,verified_value,unit,qualifier,sources,note\n"


def fig(release: str, span: str) -> str:
    return f"{ID}release/{release}/figure/{span}"


@pytest.fixture(scope="module")
def corpus(built: Path) -> ox.Store:
    """The corpus build, copied into memory (tests must not write to the shared build)."""
    disk = ox.Store.read_only(str(built))
    mem = ox.Store()
    mem.extend(disk.quads_for_pattern(None, None, None, None))
    return mem


@pytest.fixture(scope="module")
def fixture() -> ox.Store:
    s = ox.Store()
    for path in FIXTURES:
        s.load(path=str(path), format=ox.RdfFormat.TRIG)
    return s


# --- the corrections file ---------------------------------------------------------------------


def test_bundled_file_is_the_reference_copy_with_its_sources() -> None:
    ours = ROOT / "mappings" / "reference" / "corrections.csv"
    shared = ROOT.parent / "shared" / "reference" / "corrections.csv"
    if shared.is_file():  # the shared reference folder exists on the developers' machines only
        assert ours.read_bytes() == shared.read_bytes()
    rows = read_corrections()
    assert len(rows) == 24 and all(r.sources for r in rows)
    first = rows[0]
    assert (first.line, first.exact, first.start, first.value, first.unit) == (
        2, "9,26 drug-related crime cases", 671, Decimal("26000"), "count"
    )  # fmt: skip
    assert rows[8].qualifier == "more-than"  # "more_than" in the file


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            'R,"9,26 x",1,abc,count,exact,https://a.example/,n',
            "line 2: verified_value 'abc' is not a number",
        ),
        ('R,"9,26 x",1,5,bushel,exact,https://a.example/,n', "line 2: unknown unit 'bushel'"),
        (
            'R,"9,26 x",1,5,count,roughly,https://a.example/,n',
            "line 2: unknown qualifier 'roughly'",
        ),
        (
            'R,"9,26 x",one,5,count,exact,https://a.example/,n',
            "line 2: start 'one' is not an integer",
        ),
        ('R,"9,26 x",1,-5,tonne,exact,https://a.example/,n', "line 2: negative verified_value -5"),
        (
            'R,"9,26 x",1,5,count,exact,ftp://a.example/,n',
            "line 2: source 'ftp://a.example/' is not",
        ),
        ("R,,1,5,count,exact,https://a.example/,n", "line 2: empty 'exact'"),
    ],
)
def test_bad_rows_name_the_file_and_line(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "corrections.csv"
    path.write_text(HEADER + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_corrections(path)
    assert err.value.path == str(path)
    assert err.value.problem.startswith(problem)


def test_missing_column_and_line_numbers_after_multiline_cells(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("release,exact,start\nR,x,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1: missing column"):
        read_corrections(path)
    path.write_text(
        HEADER
        + 'R,"two\nlines",1,5,count,exact,https://a.example/,n\nR,x,1,zz,count,exact,https://a.example/,n\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="line 4: verified_value 'zz'"):
        read_corrections(path)


# --- matching and the corrections graph on the corpus -----------------------------------------


def test_every_row_matches_its_stated_figure_by_quote(corpus: ox.Store) -> None:
    result = revise(corpus, read_corrections())
    assert result.unmatched == () and result.notes == () and result.absent == ()
    got = {r.row.line: r.stated for r in result.revisions}
    assert len(got) == 24
    # hand-checked: the first number inside each quote is the stated figure's span
    assert got[2] == fig(R0, "671-675")  # "9,26 drug-related crime cases"
    assert got[5] == fig(R0, "804-806")  # "up 6%": the 6%, not the word "up"
    assert got[6] == fig(R0, "808-812")  # "3.9%, and 16.5% respectively": the first number
    assert got[7] == fig(R0, "818-823")  # "16.5% respectively" (inside the previous quote)
    assert got[17] == fig(R0, "5340-5341")  # "A total of 1 cases"
    assert got[21] == fig(R0, "4047-4048")  # "3 tons of drug-making materials"
    assert got[20] == fig(R0, "6164-6169")  # "<>,<> drug trafficking cases ..."


def test_corrections_graph_of_the_build(corpus: ox.Store) -> None:
    q = """
    PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>
    PREFIX prov: <http://www.w3.org/ns/prov#>
    PREFIX dcterms: <http://purl.org/dc/terms/>
    SELECT ?r ?stated ?v ?dir (COUNT(DISTINCT ?src) AS ?n) WHERE {
      GRAPH <https://w3id.org/narcotics-kg/graph/corrections> {
        ?r prov:wasRevisionOf ?stated ; nko:value ?v ; nko:status ?st ; dcterms:source ?src .
        OPTIONAL { ?r nko:direction ?dir }
        FILTER(?st = <https://w3id.org/narcotics-kg/id/status/revised>)
      }
    } GROUP BY ?r ?stated ?v ?dir"""
    rows = {s["stated"].value: s for s in corpus.query(q)}  # type: ignore[union-attr]
    assert len(rows) == 24
    cases = rows[fig(R0, "671-675")]
    assert cases["r"].value == f"{ID}correction/{R0}/671-675"
    assert Decimal(cases["v"].value) == 26000 and cases["n"].value == "2"
    down = rows[fig(R0, "913-918")]  # -18.1 in the file: magnitude + direction
    assert Decimal(down["v"].value) == Decimal("18.1")
    assert down["dir"].value == f"{ID}direction/down"
    up = rows[fig(R0, "804-806")]
    assert Decimal(up["v"].value) == 10 and up["dir"].value == f"{ID}direction/up"
    mu = rows[fig(R0, "3602-3606")]
    assert Decimal(mu["v"].value) == Decimal("46.5")
    # the revised figure keeps the stated figure's dimensions, in its own data set
    dims = """
    PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>
    PREFIX qb: <http://purl.org/linked-data/cube#>
    SELECT ?p ?o ?f ?g WHERE {
      GRAPH ?g { ?f ?p ?o } FILTER(?p IN (nko:indicator, nko:statedAt, nko:statedIn, qb:dataSet))
    }"""

    def described(iri: str, graph: str) -> set[tuple[str, str]]:
        sols = corpus.query(
            dims,
            substitutions={
                ox.Variable("f"): ox.NamedNode(iri),
                ox.Variable("g"): ox.NamedNode(graph),
            },
        )  # type: ignore[arg-type]
        return {(s["p"].value, s["o"].value) for s in sols}  # type: ignore[union-attr]

    stated = described(fig(R0, "855-860"), f"{NKG}release/{R0}")
    revised = described(f"{ID}correction/{R0}/855-860", CORRECTIONS_GRAPH)
    dataset = "http://purl.org/linked-data/cube#dataSet"
    assert {x for x in stated if x[0] != dataset} == {x for x in revised if x[0] != dataset}
    assert (dataset, f"{ID}dataset/corrections") in revised
    assert (dataset, f"{ID}dataset/unparsed-figures") in stated


def test_stated_figures_are_unchanged_and_figures_lists_only_them(built: Path) -> None:
    out = narcokg("figures", "--release", R0, "--format", "json", "--store", str(built)).stdout
    by_start = {r["start"]: r for r in json.loads(out)}
    assert (by_start[671]["value"], by_start[671]["status"]) == (None, "malformed")
    assert (by_start[762]["value"], by_start[762]["status"]) == (8.2, "stated")
    # the verified values of the corrections sit beside the stated ones, in the same row
    assert (by_start[671]["verified_value"], by_start[762]["verified_value"]) == (26000, 16.5)
    assert len(by_start) == 57 and not any("correction/" in r["figure"] for r in by_start.values())


def test_unmatched_rows_are_reported_not_dropped(corpus: ox.Store, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    src = "https://a.example/"
    path.write_text(
        HEADER
        + f'{R0},"no such words in the release",1,5,count,exact,{src},n\n'
        + f"{R0},drug-related,1,5,count,exact,{src},n\n"  # not unique
        + f'{R0},"9,26 drug-related crime cases",7,26000,count,exact,{src},n\n'  # wrong offset
        + f"not_in_store,x,1,5,count,exact,{src},n\n",
        encoding="utf-8",
    )
    result = revise(corpus, read_corrections(path))
    assert [(u.row.line, u.reason) for u in result.unmatched] == [
        (2, "quote not found in the release text"),
        (3, "quote occurs more than once in the release text (not a unique TextQuote)"),
    ]
    assert [r.stated for r in result.revisions] == [fig(R0, "671-675")]  # by quote, not offset
    assert result.notes == (
        f"{path}:4: start column says 7, the quote is at 671 (matched by quote)",
    )
    assert [r.line for r in result.absent] == [5]
    assert (
        result.warnings()[0]
        == f"warning: {path}:2: quote not found in the release text; row not applied"
    )


def test_a_quote_whose_first_number_is_no_figure_is_unmatched(fixture: ox.Store) -> None:
    def row(exact: str, line: int) -> CorrectionRow:
        return CorrectionRow(Path("x.csv"), line, "002_cccc", exact, 0, Decimal(1), "count",
                             "exact", ("https://a.example/",), "")  # fmt: skip

    result = revise(fixture, [row("As of June 30, Yunnan", 2), row("Minister Wang Xiaohong", 3),
                              row("solved 40 drug trafficking", 4)])  # fmt: skip
    assert [(u.row.line, u.reason) for u in result.unmatched] == [
        (2, "no stated figure at the quote's first number '30'"),  # a date, not a figure
        (3, "no number in the quote"),
    ]
    assert [(r.row.line, r.stated) for r in result.revisions] == [(4, fig("002_cccc", "232-234"))]


# --- narcokg check ----------------------------------------------------------------------------


def test_check_on_the_fixture_finds_every_planted_inconsistency(fixture: ox.Store) -> None:
    report = check(fixture)
    got = [
        (f.check, f.severity.value, [r.figure.replace(ID, "") for r in f.figures])
        for f in report.findings
    ]
    c = "release/002_cccc/figure/"
    assert got == [
        ("duplicate-fact", "error", [f"{c}232-234", f"{c}436-438"]),
        ("cumulative-decrease", "error", [f"{c}100-103", f"{c}170-173"]),
        ("year-on-year-base", "error",
         [f"{c}207-210", f"{c}170-173", "release/001_bbbb/figure/119-122"]),
        ("total-below-parts", "error", [f"{c}309-310", f"{c}334-337", f"{c}371-374"]),
        ("stated-vs-verified", "warning",
         ["release/000_aaaa/figure/72-76", "correction/000_aaaa/72-76"]),
        ("stated-vs-verified", "warning", [f"{c}309-310", "correction/002_cccc/309-310"]),
    ]  # fmt: skip
    assert report.has_errors
    yoy = report.by_check("year-on-year-base")[0]
    assert "previous-year value of 400 KiloGM" in yoy.why and "states 300 KiloGM" in yoy.why
    parts = report.by_check("total-below-parts")[0]
    assert "total 1000 KiloGM is smaller than the sum of its stated parts, 1600 KiloGM" in parts.why
    assert report.by_check("stated-vs-verified")[1].why == "stated 1 TONNE, verified 1.2 TONNE"


def test_check_rounding_tolerance(fixture: ox.Store) -> None:
    # 1 t (0 decimals: anything below 1.5 t) with parts 0.9 + 0.5 t is not a contradiction
    mem = ox.Store()
    mem.extend(fixture.quads_for_pattern(None, None, None, None))
    heroin = f"<{ID}release/002_cccc/figure/371-374>"
    mem.update(
        f"""PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>
        DELETE {{ GRAPH ?g {{ {heroin} nko:value ?v }} }}
        INSERT {{ GRAPH ?g {{ {heroin} nko:value 500.0 }} }}
        WHERE {{ GRAPH ?g {{ {heroin} nko:value ?v }} }}"""
    )
    assert check(mem).by_check("total-below-parts") == ()


def test_check_on_the_corpus(corpus: ox.Store) -> None:
    report = check(corpus)
    dup = report.by_check("duplicate-fact")
    pair = [[(r.release, r.verbatim, r.start) for r in f.figures] for f in dup]
    assert [(R0, "10,16", "855"), (R0, "11,18", "8995")] in pair
    drug_users = dup[pair.index([(R0, "10,16", "855"), (R0, "11,18", "8995")])]
    assert drug_users.severity.value == "warning" and "malformed" in drug_users.why
    revised = report.by_check("stated-vs-verified")
    assert len(revised) == 24  # every correction differs from what the release states
    by_stated = {f.figures[0].start: f.why for f in revised}
    assert by_stated["671"] == 'stated as "9,26" (malformed); verified value 26000 NUM'
    assert by_stated["762"] == "stated 8.2 TONNE, verified 16.5 TONNE"
    assert by_stated["913"] == "stated -4.24 PERCENT, verified -18.1 PERCENT"
    assert by_stated["3602"] == "stated 4.46 MU, verified 46.5 MU"


def test_check_command(built: Path, tmp_path: Path) -> None:
    ok = narcokg("check", "--store", str(built), check=False)
    assert ok.returncode == (1 if "error:" in ok.stdout else 0)
    assert "10,16" in ok.stdout and "11,18" in ok.stdout and "[stated-vs-verified]" in ok.stdout
    as_json = json.loads(
        narcokg("check", "--format", "json", "--store", str(built), check=False).stdout
    )
    assert {f["check"] for f in as_json} >= {"duplicate-fact", "stated-vs-verified"}
    assert all(f["figures"] and f["why"] and f["severity"] in ("error", "warning") for f in as_json)
    # on the fixture (errors planted): exit 1
    store = tmp_path / "store"
    disk = ox.Store(str(store))
    for path in FIXTURES:
        disk.load(path=str(path), format=ox.RdfFormat.TRIG)
    disk.flush()
    del disk
    bad = narcokg("check", "--store", str(store), check=False)
    assert bad.returncode == 1 and "4 errors, 2 warnings" in bad.stdout
    missing = narcokg("check", "--store", str(tmp_path / "nope"), check=False)
    assert missing.returncode == 2 and "no store here" in missing.stderr


# --- RDF Data Cube integrity constraints ------------------------------------------------------


def test_there_are_twenty_one_constraints() -> None:
    assert [c.id for c in CONSTRAINTS] == [f"IC-{i}" for i in range(1, 22)]


def test_the_corpus_passes_all_twenty_one(corpus: ox.Store) -> None:
    report = check_store(corpus)
    graphs = {r.graph for r in report.results}
    assert graphs == {f"{NKG}release/{R0}", f"{NKG}release/{R3}", CORRECTIONS_GRAPH}
    assert report.conforms, report.text()
    assert len(report.results) == 3 * 21


def _mutated(corpus: ox.Store, update: str) -> ox.Store:
    mem = ox.Store()
    for g in (str(VOCABULARY_GRAPH), f"{NKG}release/{R3}"):
        mem.extend(corpus.quads_for_pattern(None, None, None, ox.NamedNode(g)))
    mem.update(
        update.replace("$G", f"<{NKG}release/{R3}>")
        .replace("$F", f"<{fig(R3, '488-493')}>")
        .replace("$SUBST", "<https://w3id.org/narcotics-kg/ontology#substance>")
    )
    return mem


@pytest.mark.parametrize(
    ("update", "failed"),
    [
        # IC-1: an observation without a data set
        (
            "DELETE WHERE { GRAPH $G { $F <http://purl.org/linked-data/cube#dataSet> ?d } }",
            ("IC-1",),
        ),
        # IC-11: a dimension left out
        (
            "DELETE WHERE { GRAPH $G { $F <https://w3id.org/narcotics-kg/ontology#offence> ?o } }",
            ("IC-11",),
        ),
        # IC-14: a well-formed figure that lost its measure
        (
            "DELETE WHERE { GRAPH $G { $F <https://w3id.org/narcotics-kg/ontology#value> ?v } }",
            ("IC-14",),
        ),
        # IC-12 (and IC-17, whose count of observations per point then becomes 2): a duplicate
        (
            "INSERT { GRAPH $G { <urn:copy> ?p ?o } } WHERE { GRAPH $G { $F ?p ?o } }",
            ("IC-12", "IC-17"),
        ),
        # IC-19: a code from outside the code list
        (
            "DELETE { GRAPH $G { $F $SUBST ?s } } "
            "INSERT { GRAPH $G { $F $SUBST <urn:not-a-code> } } "
            "WHERE { GRAPH $G { $F $SUBST ?s } }",
            ("IC-19",),
        ),
    ],
)
def test_a_broken_graph_fails_exactly_that_constraint(
    corpus: ox.Store, update: str, failed: tuple[str, ...]
) -> None:
    mem = _mutated(corpus, update)
    results = check_graph(mem, f"{NKG}release/{R3}")
    assert tuple(r.constraint for r in results if not r.passed) == failed


@pytest.mark.slow
def test_validate_command_reports_the_constraints(built: Path, tmp_path: Path) -> None:
    out = narcokg("validate", "--store", str(built), check=False)
    assert out.returncode == 0, out.stdout[-2000:]
    assert f"{NKG}release/{R0}: RDF Data Cube IC-1…IC-21: 21/21 pass" in out.stdout
    assert f"{CORRECTIONS_GRAPH}: RDF Data Cube IC-1…IC-21: 21/21 pass" in out.stdout
    assert "nkg:corrections: 0 violations" in out.stdout
    # a store whose revised figure lost its source and a dimension: shapes and IC-11 both fail
    copy = tmp_path / "store"
    shutil.copytree(built, copy)
    disk = ox.Store(str(copy))
    revised = f"<{ID}correction/{R0}/671-675>"
    disk.update(
        "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#> "
        "PREFIX dcterms: <http://purl.org/dc/terms/> "
        f"DELETE WHERE {{ GRAPH <{CORRECTIONS_GRAPH}> {{ {revised} dcterms:source ?s . "
        f"{revised} nko:offence ?o }} }}"
    )
    disk.flush()
    del disk
    bad = narcokg("validate", "--store", str(copy), check=False)
    assert bad.returncode == 1
    assert "nkg:corrections: 2 violations" in bad.stdout
    assert f"{CORRECTIONS_GRAPH}: RDF Data Cube IC-1…IC-21: 20/21 pass; fail: IC-11" in bad.stdout


def test_correction_shapes_fire_on_a_revised_status_without_revision() -> None:
    from kg.namespaces import CORRECTIONS_GRAPH as VG

    assert VG == CORRECTIONS_GRAPH
    shapes = Graph().parse(ROOT / "shapes" / "correction.ttl")
    assert (URIRef("https://w3id.org/narcotics-kg/shapes#RevisedFigureShape"), None, None) in shapes


def test_the_two_figure_structures_differ_only_in_their_measure() -> None:
    from rdflib import Namespace

    qb = Namespace("http://purl.org/linked-data/cube#")
    g = Graph().parse(ROOT / "ontology" / "vocab" / "codes.ttl")

    def components(dsd: str) -> set[tuple[str, str]]:
        out = set()
        for spec in g.objects(URIRef(f"{ID}{dsd}"), qb.component):
            for kind in (qb.dimension, qb.measure, qb.attribute):
                for prop in g.objects(spec, kind):
                    out.add((str(kind), str(prop)))
        return out

    figures, unparsed = components("dsd/figures"), components("dsd/unparsed-figures")
    onto = "https://w3id.org/narcotics-kg/ontology#"
    assert figures - unparsed == {(str(qb.measure), f"{onto}value")}
    assert unparsed - figures == {(str(qb.measure), f"{onto}unparsedValue")}
    assert (str(qb.dimension), str(qb.measureType)) not in figures
    for ds, dsd in [("figures", "figures"), ("unparsed-figures", "unparsed-figures"),
                    ("corrections", "figures")]:  # fmt: skip
        assert g.value(URIRef(f"{ID}dataset/{ds}"), qb.structure) == URIRef(f"{ID}dsd/{dsd}")
