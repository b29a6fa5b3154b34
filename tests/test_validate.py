"""SHACL validation: which shape fires on which focus node, for hand-made fixtures.

The fixtures in tests/data/shacl/ are written by hand from docs/model.md (not produced by the
mapper), so they test the shapes against the contract rather than against the code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import RDF, XSD, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from kg import resources
from kg.checks.shacl import NKS, SH, Finding, Severity, ValidationReport, validate
from kg.errors import InputError
from kg.namespaces import NKGV, NKO, OA, SCHEMA

DATA = Path(__file__).resolve().parent / "data" / "shacl"
RID = "900_fixture"
GRAPH = URIRef(f"https://w3id.org/narcotics-kg/graph/release/{RID}")
RELEASE = URIRef(f"https://w3id.org/narcotics-kg/id/release/{RID}")
STATED = URIRef(f"{RELEASE}/figure/48-54")
MALFORMED = URIRef(f"{RELEASE}/figure/77-81")
MENTION = URIRef(f"{RELEASE}/mention/34-40")
SPAN = URIRef(f"{RELEASE}/span/48-54")


def load(name: str) -> Dataset:
    ds = Dataset()
    ds.parse(DATA / name, format="trig")
    return ds


def fired(
    report: ValidationReport, severity: Severity = Severity.VIOLATION
) -> set[tuple[str, str]]:
    """(shape local name, focus node) of every finding of one severity."""
    return {
        (f.shape.removeprefix(str(NKS)), f.focus_node)
        for f in report.findings
        if f.severity is severity
    }


@pytest.fixture(scope="module")
def conforming() -> ValidationReport:
    return validate(load("conforming.trig"))


def test_conforming_fixture_conforms_with_one_warning(conforming: ValidationReport) -> None:
    assert conforming.conforms
    assert fired(conforming, Severity.VIOLATION) == set()
    assert fired(conforming, Severity.WARNING) == {("MalformedFigureShape", str(MALFORMED))}
    assert fired(conforming, Severity.INFO) == set()
    assert conforming.counts() == {Severity.VIOLATION: 0, Severity.WARNING: 1, Severity.INFO: 0}
    (warning,) = conforming.findings
    assert warning.graph == str(GRAPH)
    assert warning.value == "9,26"
    assert "9,26" in warning.message


def test_conforming_report_text(conforming: ValidationReport) -> None:
    text = conforming.text()
    lines = text.splitlines()
    assert lines[0] == "nkg:release/900_fixture: 0 violations, 1 warnings, 0 info"
    assert "nkg:vocabulary: 0 violations, 0 warnings, 0 info" in lines
    assert "Warning (1)" in lines
    assert "Violation" not in text
    assert lines[-1] == "conforms: yes"


def test_both_graphs_validated(conforming: ValidationReport) -> None:
    assert conforming.graphs == (str(GRAPH), "https://w3id.org/narcotics-kg/graph/vocabulary")


def test_malformed_figure_with_value_is_a_violation() -> None:
    report = validate(load("malformed_with_value.trig"))
    assert not report.conforms
    assert fired(report) == {("MalformedFigureWithValueShape", str(MALFORMED))}
    (violation,) = report.by_shape("MalformedFigureWithValueShape")
    assert violation.value == "926"
    assert violation.graph == str(GRAPH)
    # the source figure is still reported as malformed, at Warning
    assert fired(report, Severity.WARNING) == {("MalformedFigureShape", str(MALFORMED))}
    assert report.text().splitlines()[-1] == "conforms: no"


def test_quote_not_matching_text() -> None:
    report = validate(load("quote_mismatch.trig"))
    assert not report.conforms
    assert fired(report) == {("QuoteMatchesTextShape", str(SPAN))}
    (violation,) = report.by_shape("nks:QuoteMatchesTextShape")
    assert violation.value == "26.000"
    assert "26,000" in violation.message


def test_missing_ref_area() -> None:
    report = validate(load("missing_refarea.trig"))
    assert fired(report) == {("Figure-refArea", str(STATED))}
    (violation,) = report.by_shape(str(NKS["Figure-refArea"]))
    assert violation.path == str(NKO.refArea)


def test_wrong_character_count() -> None:
    report = validate(load("wrong_character_count.trig"))
    assert fired(report) == {("ReleaseCharacterCountShape", str(RELEASE))}
    (violation,) = report.by_shape("ReleaseCharacterCountShape")
    assert violation.value == "95"
    assert "96" in violation.message


# --- variations of the conforming fixture, made in code ------------------------------------


def mutate(remove: list[tuple], add: list[tuple]) -> ValidationReport:
    ds = load("conforming.trig")
    g = ds.graph(GRAPH)
    for triple in remove:
        assert list(g.triples(triple)), f"fixture lacks {triple}"
        g.remove(triple)
    for triple in add:
        g.add(triple)
    return validate(ds)


def test_unlinked_mention_is_info_not_violation() -> None:
    report = mutate([(MENTION, OA.hasBody, None)], [])
    assert report.conforms
    assert fired(report, Severity.INFO) == {("UnlinkedMentionShape", str(MENTION))}
    (info,) = report.by_shape("UnlinkedMentionShape")
    assert info.value == "Yunnan"


def test_figure_without_any_measure() -> None:
    report = mutate([(MALFORMED, NKO.unparsedValue, None)], [])
    assert fired(report) == {("FigureMeasureShape", str(MALFORMED))}


def test_stated_figure_without_value() -> None:
    # kept as unparsed text, so only the "stated needs a value" rule fires
    report = mutate([(STATED, NKO.value, None)], [(STATED, NKO.unparsedValue, Literal("26,000"))])
    assert fired(report) == {("StatedFigureValueShape", str(STATED))}
    (violation,) = report.by_shape("StatedFigureValueShape")
    assert violation.value == str(NKGV["status/stated"])
    # dropped altogether: the number is lost as well
    lost = mutate([(STATED, NKO.value, None)], [])
    assert fired(lost) == {
        ("StatedFigureValueShape", str(STATED)),
        ("FigureMeasureShape", str(STATED)),
    }


def test_change_figure_needs_change_of_and_direction() -> None:
    report = mutate(
        [(STATED, NKO.indicator, None)],
        [(STATED, NKO.indicator, NKGV["indicator/year-on-year-change"])],
    )
    paths = {f.path for f in report.by_shape("ChangeFigureShape")}
    assert paths == {str(NKO.changeOf), str(NKO.direction)}
    assert fired(report, Severity.WARNING) >= {("ChangeFigureShape", str(STATED))}
    assert report.conforms  # reported, but a text may state a change without its base
    ok = mutate(
        [(STATED, NKO.indicator, None)],
        [
            (STATED, NKO.indicator, NKGV["indicator/year-on-year-change"]),
            (STATED, NKO.changeOf, MALFORMED),
            (STATED, NKO.direction, NKGV["direction/up"]),
        ],
    )
    assert ok.conforms


def test_verbatim_must_equal_quote() -> None:
    report = mutate([(STATED, NKO.verbatim, None)], [(STATED, NKO.verbatim, Literal("26 000"))])
    assert fired(report) == {("FigureVerbatimShape", str(STATED))}


def test_status_outside_allowed_set() -> None:
    report = mutate([(STATED, NKO.status, None)], [(STATED, NKO.status, NKGV["status/guessed"])])
    assert fired(report) == {("Figure-status", str(STATED))}


def test_value_must_be_decimal() -> None:
    report = mutate([(STATED, NKO.value, None)], [(STATED, NKO.value, Literal("26000"))])
    assert fired(report) == {("Figure-value", str(STATED))}


def test_short_sha256() -> None:
    report = mutate([(RELEASE, NKO.sha256, None)], [(RELEASE, NKO.sha256, Literal("3b35"))])
    assert fired(report) == {("Release-sha256", str(RELEASE))}


def test_start_not_before_end() -> None:
    position = URIRef(f"{SPAN}/position")
    report = mutate(
        [(position, OA.start, None)],
        [(position, OA.start, Literal(54, datatype=XSD.nonNegativeInteger))],
    )
    assert ("TextPositionSelector-start", str(position)) in fired(report)


def test_jurisdiction_without_notation_in_vocabulary() -> None:
    ds = load("conforming.trig")
    vocab = ds.graph(URIRef("https://w3id.org/narcotics-kg/graph/vocabulary"))
    vocab.remove((NKGV["jurisdiction/CN"], None, Literal("CN")))
    report = validate(ds)
    assert {(f.graph.rsplit("/", 1)[-1], f.shape, f.focus_node) for f in report.findings} >= {
        ("vocabulary", str(NKS["Jurisdiction-notation"]), str(NKGV["jurisdiction/CN"]))
    }
    assert not report.conforms


# --- offsets are code points, as in Python ---------------------------------------------------


def _span_graph(text: str, start: int, end: int, exact: str) -> Dataset:
    rid = "901_codepoints"
    release = URIRef(f"https://w3id.org/narcotics-kg/id/release/{rid}")
    span = URIRef(f"{release}/span/{start}-{end}")
    pos, quote = URIRef(f"{span}/position"), URIRef(f"{span}/quote")
    ds = Dataset()
    g = ds.graph(URIRef(f"https://w3id.org/narcotics-kg/graph/release/{rid}"))
    nni = XSD.nonNegativeInteger
    g.add((release, RDF.type, NKO.Release))
    g.add((release, DCTERMS.identifier, Literal(rid)))
    g.add((release, NKO.sha256, Literal("0" * 64)))
    g.add((release, SCHEMA.text, Literal(text)))
    g.add((release, NKO.characterCount, Literal(len(text), datatype=nni)))
    g.add((span, RDF.type, OA.SpecificResource))
    g.add((span, OA.hasSource, release))
    g.add((span, OA.hasSelector, pos))
    g.add((span, OA.hasSelector, quote))
    g.add((pos, RDF.type, OA.TextPositionSelector))
    g.add((pos, OA.start, Literal(start, datatype=nni)))
    g.add((pos, OA.end, Literal(end, datatype=nni)))
    g.add((quote, RDF.type, OA.TextQuoteSelector))
    g.add((quote, OA.exact, Literal(exact)))
    g.add((quote, OA.prefix, Literal(text[max(0, start - 32) : start])))
    g.add((quote, OA.suffix, Literal(text[end : end + 32])))
    return ds


def test_offsets_count_code_points_beyond_the_bmp() -> None:
    text = "缴获𝟘😀冰毒9,26吨，同比上升12.5%。"
    start = text.index("9,26")
    report = validate(_span_graph(text, start, start + 4, "9,26"))
    assert report.conforms, report.text()
    assert report.findings == ()
    # one code point off: the quote no longer matches (prefix/suffix are recomputed, so match)
    shifted = validate(_span_graph(text, start - 1, start + 3, "9,26"))
    assert {f.shape.removeprefix(str(NKS)) for f in shifted.findings} == {"QuoteMatchesTextShape"}


def test_position_beyond_text() -> None:
    text = "short"
    report = validate(_span_graph(text, 2, 9, text[2:9]))
    assert "PositionWithinTextShape" in {f.shape.removeprefix(str(NKS)) for f in report.findings}


# --- shapes files --------------------------------------------------------------------------


def test_every_shape_has_an_iri_and_a_message() -> None:
    files = sorted(resources.shapes_dir().glob("*.ttl"))
    files += sorted(resources.shapes_dir().glob("report/*.ttl"))  # Warning / Info reporting
    assert {p.name for p in files} >= {
        "figure.ttl",
        "release.ttl",
        "provenance.ttl",
        "mention.ttl",
        "entity.ttl",
    }
    readme = (resources.shapes_dir() / "README.md").read_text(encoding="utf-8")
    for path in files:
        g = Graph().parse(path, format="turtle")
        shapes = set(g.subjects(RDF.type, SH.NodeShape)) | set(
            g.subjects(RDF.type, SH.PropertyShape)
        )
        assert shapes, path
        for shape in shapes:
            assert isinstance(shape, URIRef), f"{path.name}: blank-node shape"
            assert shape.startswith(str(NKS)), shape
            assert g.value(shape, SH.message) is not None, f"{shape} has no sh:message"
            if (shape, RDF.type, SH.NodeShape) in g:
                assert f"nks:{shape.removeprefix(str(NKS))}" in readme, f"{shape} not in README"
        # every shape referenced from sh:property is itself a named, declared shape
        for prop in g.objects(None, SH.property):
            assert (prop, RDF.type, SH.PropertyShape) in g, prop


def test_broken_shapes_file_is_an_input_error(tmp_path: Path) -> None:
    for path in resources.shapes_dir().glob("*.ttl"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "broken.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\nsh:x sh:y", "utf-8"
    )
    with pytest.raises(InputError) as info:
        validate(load("conforming.trig"), shapes_dir=tmp_path)
    assert info.value.path == str(tmp_path / "broken.ttl")
    assert info.value.problem.startswith("not valid Turtle: ")
    assert "\n" not in str(info.value)


def test_empty_shapes_dir_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no SHACL shapes"):
        validate(load("conforming.trig"), shapes_dir=tmp_path)


def test_no_release_graph_means_nothing_to_report() -> None:
    report = validate(Dataset())
    assert report == ValidationReport(findings=(), graphs=())
    assert report.conforms
    assert report.text() == "conforms: yes"


def test_finding_is_frozen() -> None:
    finding = Finding("g", "f", "s", None, Severity.INFO, "m", None)
    with pytest.raises(AttributeError):
        finding.message = "x"  # type: ignore[misc]
    assert finding.severity == "Info"


def test_importing_validate_does_not_import_pyshacl() -> None:
    code = "import sys, kg.checks.shacl; assert 'pyshacl' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_quote_prefix_must_match_the_text_before_the_span() -> None:
    quote = URIRef(f"{SPAN}/quote")
    report = mutate(
        [(quote, OA.prefix, None)], [(quote, OA.prefix, Literal("police in Yunnan solved "))]
    )
    assert fired(report) == {("QuoteContextMatchesTextShape", str(SPAN))}
    (violation,) = report.by_shape("QuoteContextMatchesTextShape")
    assert violation.path == str(OA.prefix)


def test_report_text_counts_each_graph_and_shortens_iris_by_the_longest_namespace() -> None:
    """Per-graph counts in one pass and IRIs shortened by one match: same lines as before."""
    from kg.checks.shacl import _short

    g1 = "https://w3id.org/narcotics-kg/graph/release/r1"
    g2 = "https://w3id.org/narcotics-kg/graph/release/r2"
    shape = "https://w3id.org/narcotics-kg/shapes#FigureShape"
    report = ValidationReport(
        findings=(
            Finding(
                g1,
                "https://w3id.org/narcotics-kg/id/release/r1",
                shape,
                None,
                Severity.VIOLATION,
                "m1",
                None,
            ),
            Finding(
                g1,
                "https://w3id.org/narcotics-kg/id/release/r1",
                shape,
                None,
                Severity.WARNING,
                "m2",
                None,
            ),
            Finding(
                g2,
                "https://w3id.org/narcotics-kg/id/release/r2",
                shape,
                None,
                Severity.WARNING,
                "m3",
                None,
            ),
        ),
        graphs=(g1, g2, "https://w3id.org/narcotics-kg/graph/release/r3"),
    )
    lines = report.text().splitlines()
    assert lines[:3] == [
        "nkg:release/r1: 1 violations, 1 warnings, 0 info",
        "nkg:release/r2: 0 violations, 1 warnings, 0 info",
        "nkg:release/r3: 0 violations, 0 warnings, 0 info",
    ]
    assert "  nkgv:release/r1 [nks:FigureShape]: m1" in lines
    # a namespace alone is not shortened to an empty local name; a shorter one may apply
    assert _short("https://w3id.org/narcotics-kg/graph/") == "https://w3id.org/narcotics-kg/graph/"
    assert _short("http://other.example/x") == "http://other.example/x"
