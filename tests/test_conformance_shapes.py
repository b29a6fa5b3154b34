"""The conformance shapes conform on well-formed data in any SHACL engine.

SHACL §3.6.1: ``sh:conforms`` is false as soon as there is one validation result, whatever its
severity. So the shapes that decide the verdict (``shapes/*.ttl``) give only Violations, and the
reporting of garbled or implausible source figures and unlinked mentions (Warning / Info) lives
in ``shapes/report/*.ttl``, which ``narcokg validate`` runs beside them
(tests/test_validate_build.py checks that the 18 malformed figures of the corpus are still
printed). Everything merged into one graph (release graphs, corrections, vocabulary) is what a
user of the dump loads; it must conform in pySHACL with warnings *not* allowed, and in Jena
SHACL, a second, independent engine (tests/jena_shacl.py).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, Dataset, Graph, URIRef

from kg import resources
from kg.checks.shacl import NKS, SH, load_shapes
from kg.namespaces import NKO, VOCABULARY_GRAPH
from tests import jena_shacl

R003 = "https://w3id.org/narcotics-kg/graph/release/003_fa7d3ae810f620c8"
# "2,589" cases solved: status stated, value 2589 (tests/data/gold/003_fa7d3ae810f620c8.csv)
STATED = URIRef("https://w3id.org/narcotics-kg/id/release/003_fa7d3ae810f620c8/figure/488-493")
VIOLATION = str(SH.Violation)


def conformance_shapes() -> Graph:
    """The shapes that decide conformance: every ``shapes/*.ttl``, no report shapes."""
    shapes = Graph()
    for path in sorted(resources.shapes_dir().glob("*.ttl")):
        shapes.parse(path, format="turtle")
    return shapes


def store_graphs(store_dir: Path) -> Dataset:
    store = ox.Store.read_only(str(store_dir))
    ds = Dataset()
    ds.parse(data=store.dump(format=ox.RdfFormat.N_QUADS).decode("utf-8"), format="nquads")
    return ds


def union(ds: Dataset, *graphs: str) -> Graph:
    """Named graphs merged into one (all of them when none are named), as a user loads a dump."""
    out = Graph()
    for s, p, o, g in ds.quads():
        if not graphs or str(g) in graphs:
            out.add((s, p, o))
    return out


def pyshacl_results(data: Graph, shapes: Graph) -> tuple[bool, set[tuple[str, str, str]]]:
    """pySHACL, strict: warnings and infos not allowed (SHACL's own definition of conforms)."""
    from pyshacl import validate

    conforms, results, _ = validate(
        data, shacl_graph=shapes, inference="none", allow_warnings=False, allow_infos=False
    )
    assert isinstance(results, Graph)
    found = {
        (
            str(results.value(r, SH.sourceShape)),
            str(results.value(r, SH.focusNode)),
            str(results.value(r, SH.resultSeverity)),
        )
        for r in results.subjects(RDF.type, SH.ValidationResult)
    }
    return bool(conforms), found


def broken(ds: Dataset) -> Graph:
    """Release 003 with the vocabulary, one stated (well-formed) figure's value dropped."""
    data = union(ds, R003, str(VOCABULARY_GRAPH))
    assert (STATED, NKO.value, None) in data
    data.remove((STATED, NKO.value, None))
    return data


EXPECTED_BROKEN = {
    (str(NKS.StatedFigureValueShape), str(STATED), VIOLATION),
    (str(NKS.FigureMeasureShape), str(STATED), VIOLATION),
}


def test_conformance_shapes_give_only_violations_and_report_shapes_none() -> None:
    conformance = conformance_shapes()
    severities = set(conformance.objects(None, SH.severity))
    assert severities <= {SH.Violation}, severities
    report = Graph()
    for path in sorted((resources.shapes_dir() / "report").glob("*.ttl")):
        report.parse(path, format="turtle")
    reported = {
        shape.removeprefix(str(NKS)): report.value(shape, SH.severity)
        for shape in report.subjects(RDF.type, SH.NodeShape)
    }
    assert reported == {
        "MalformedFigureShape": SH.Warning,
        "ChangeFigureShape": SH.Warning,
        "ImplausibleFigureShape": SH.Info,
        "UnlinkedMentionShape": SH.Info,
    }
    # `narcokg validate` runs both sets in one pass
    release_shapes, _ = load_shapes()
    assert (NKS.MalformedFigureShape, RDF.type, SH.NodeShape) in release_shapes
    assert (NKS.FigureShape, RDF.type, SH.NodeShape) in release_shapes


def test_a_figure_in_the_corrections_data_set_must_be_a_revision() -> None:
    from kg.checks.shacl import validate

    ds = Dataset()
    ds.parse(Path(__file__).parent / "data" / "shacl" / "conforming.trig", format="trig")
    figure = URIRef("https://w3id.org/narcotics-kg/id/release/900_fixture/figure/48-54")
    qb_data_set = URIRef("http://purl.org/linked-data/cube#dataSet")
    for g in ds.graphs():
        if (figure, qb_data_set, None) in g:
            g.remove((figure, qb_data_set, None))
            g.add(
                (
                    figure,
                    qb_data_set,
                    URIRef("https://w3id.org/narcotics-kg/id/dataset/corrections"),
                )
            )
    report = validate(ds)
    assert {
        (f.shape, f.focus_node) for f in report.findings if f.severity.value == "Violation"
    } == {(str(NKS.RevisedStatusShape), str(figure))}


@pytest.mark.slow
def test_the_merged_corpus_conforms_in_pyshacl_without_allowing_warnings(built: Path) -> None:
    ds = store_graphs(built)
    merged = union(ds)
    corrections = {
        str(g.identifier) for g in ds.graphs() if "graph/corrections" in str(g.identifier)
    }
    assert corrections, "the build has a corrections graph"
    conforms, results = pyshacl_results(merged, conformance_shapes())
    assert results == set()
    assert conforms


@pytest.mark.slow
def test_a_broken_figure_still_fails_in_pyshacl(built: Path) -> None:
    conforms, results = pyshacl_results(broken(store_graphs(built)), conformance_shapes())
    assert not conforms
    assert results == EXPECTED_BROKEN


jena = pytest.mark.skipif(
    not jena_shacl.available(), reason="Jena SHACL not installed (.ci/run installs it)"
)


@pytest.mark.slow
@jena
def test_the_merged_corpus_conforms_in_jena_shacl(built: Path, tmp_path: Path) -> None:
    report = jena_shacl.validate(union(store_graphs(built)), conformance_shapes(), tmp_path)
    assert report.results == frozenset()
    assert report.conforms


@pytest.mark.slow
@jena
def test_jena_finds_the_same_violations_as_pyshacl(built: Path, tmp_path: Path) -> None:
    report = jena_shacl.validate(broken(store_graphs(built)), conformance_shapes(), tmp_path)
    assert not report.conforms
    assert report.results == EXPECTED_BROKEN
