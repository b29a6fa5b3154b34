# ruff: noqa: E501  (the SPARQL updates of BREAKS read best on one line each)
"""Validation in worker processes reports exactly what the serial path reports.

``narcokg validate`` checks release graphs in worker processes (kg/checks/releases.py), each
worker holding the vocabulary and the compiled shapes, and runs the Data Cube constraints
from a vocabulary read once (:class:`kg.checks.datacube.CubeChecker`). Speed is measured in
benchmarks/, never here. These tests pin down that nothing else changed: with 1 or 2 processes
the findings, the constraint results and the printed report are the same, in the same order,
and the same as the straightforward paths (pySHACL, :func:`kg.checks.datacube.check_graph`) on the
fixture releases and the corpus, clean and with broken cubes and shape violations.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.checks.datacube import CubeChecker, check_graph, check_store, observation_graphs
from kg.checks.releases import _check, _start_worker, check_releases, validate_all
from kg.checks.shacl import Finding, validate
from kg.store.embedded import release_graph_names, to_dataset
from kg.store.parallel import ordered_map
from tests.conftest import ROOT, narcokg

pytestmark = pytest.mark.slow  # validation in worker processes over built stores

PREFIXES = (
    "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#> "
    "PREFIX qb: <http://purl.org/linked-data/cube#> "
)
# One broken cube per release graph (the i-th graph in sorted order): $G is the graph, the
# figure is the first (by IRI) that has what the update removes.
BREAKS = [
    # IC-1: an observation without a data set (and SHACL: the figure lost qb:dataSet)
    ("qb:dataSet", "DELETE { GRAPH $G { ?f qb:dataSet ?x } } WHERE { GRAPH $G { ?f qb:dataSet ?x } FILTER(?f = $F) }", ("IC-1",)),
    # IC-12 and IC-17: a second observation with the same dimension values
    ("qb:dataSet", "INSERT { GRAPH $G { <urn:copy> ?p ?o } } WHERE { GRAPH $G { ?f ?p ?o } FILTER(?f = $F) }", ("IC-12", "IC-17")),
    # IC-11: a dimension left out
    ("nko:offence", "DELETE { GRAPH $G { ?f nko:offence ?x } } WHERE { GRAPH $G { ?f nko:offence ?x } FILTER(?f = $F) }", ("IC-11",)),
    # IC-14: a well-formed figure that lost its measure
    ("nko:value", "DELETE { GRAPH $G { ?f nko:value ?x } } WHERE { GRAPH $G { ?f nko:value ?x } FILTER(?f = $F) }", ("IC-14",)),
    # IC-19: a code from outside the code list
    ("nko:substance", "DELETE { GRAPH $G { ?f nko:substance ?x } } INSERT { GRAPH $G { ?f nko:substance <urn:not-a-code> } } WHERE { GRAPH $G { ?f nko:substance ?x } FILTER(?f = $F) }", ("IC-19",)),
]  # fmt: skip
# and a blank node in the next graph: a figure with nothing but a data set nobody describes
BLANK = "INSERT DATA { GRAPH $G { _:orphan a nko:Figure ; qb:dataSet <urn:nowhere> } }"


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    """The fixture releases and the corpus, built (with its corrections graph), in memory."""
    store_dir = tmp_path_factory.mktemp("validate_parallel") / "store"
    # the first six invented releases (r01-r06) and the corpus: enough of every shape
    first_six = sorted((ROOT / "tests" / "data" / "releases").glob("r0[1-6]_*.txt"))
    result = build(
        [*first_six, ROOT / "corpus"],
        store_dir=store_dir,
        dump_dir=None,
        jobs=1,
    )
    assert len(result.releases) == 8
    disk = ox.Store.read_only(str(store_dir))
    mem = ox.Store()
    mem.extend(disk.quads_for_pattern(None, None, None, None))
    return mem


@pytest.fixture(scope="module")
def broken(clean: ox.Store) -> ox.Store:
    """``clean`` with one broken cube in each of the first five release graphs, and a blank
    node in the sixth."""
    store = ox.Store()
    store.extend(clean.quads_for_pattern(None, None, None, None))
    graphs = release_graph_names(store)
    for graph, (needs, update, _) in zip(graphs, BREAKS, strict=False):
        found = store.query(
            f"{PREFIXES} SELECT ?f WHERE {{ GRAPH <{graph}> {{ ?f a nko:Figure ; {needs} ?x }} }}"
            " ORDER BY ?f LIMIT 1"
        )
        assert isinstance(found, ox.QuerySolutions)
        figure = next(iter(found))["f"]
        store.update(PREFIXES + update.replace("$G", f"<{graph}>").replace("$F", str(figure)))
    store.update(PREFIXES + BLANK.replace("$G", f"<{graphs[len(BREAKS)]}>"))
    return store


def _key(f: Finding) -> tuple[str, ...]:
    """A finding, blank node labels left out (rdflib, under pySHACL, makes up its own)."""
    focus, value = ("_:" if t.startswith("_:") else t for t in (f.focus_node, f.value or ""))
    return (f.graph, f.severity.value, f.shape, focus, f.path or "", value)


def test_the_broken_store_fails_what_each_break_should(broken: ox.Store) -> None:
    report = check_store(broken)
    graphs = release_graph_names(broken)
    for graph, (_, _, failed) in zip(graphs, BREAKS, strict=False):
        assert report.failed(graph) == failed, graph
    # the blank node's data set <urn:nowhere> becomes a qb:DataSet (normalisation) with no DSD
    assert report.failed(graphs[len(BREAKS)]) == ("IC-2",)
    assert all(not report.failed(g) for g in graphs[len(BREAKS) + 1 :]), report.text()


@pytest.mark.parametrize("name", ["clean", "broken"])
def test_cube_checker_equals_check_graph(name: str, request: pytest.FixtureRequest) -> None:
    store: ox.Store = request.getfixturevalue(name)
    checker = CubeChecker.of_store(store)
    graphs = observation_graphs(store)
    assert len(graphs) == 9  # eight releases and the corrections graph
    for graph in graphs:
        triples = store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        assert checker.check(graph, triples) == check_graph(store, graph), graph


@pytest.mark.parametrize("name", ["clean", "broken"])
def test_two_processes_report_what_one_does_and_the_reference(
    name: str, request: pytest.FixtureRequest
) -> None:
    store: ox.Store = request.getfixturevalue(name)
    one = validate_all(store, jobs=1)
    two = validate_all(store, jobs=2)
    assert one.cube is not None and two.cube is not None
    assert two.shacl.findings == one.shacl.findings  # same findings, same order
    assert two.shacl.graphs == one.shacl.graphs
    assert two.shacl.text() == one.shacl.text()
    assert two.cube.results == one.cube.results
    assert two.cube.text() == one.cube.text()
    # the straightforward paths: check_graph per graph, pySHACL on the whole store
    assert two.cube.results == check_store(store).results
    reference = validate(to_dataset(store))
    assert sorted(map(_key, two.shacl.findings)) == sorted(map(_key, reference.findings))
    assert two.shacl.graphs == reference.graphs
    assert two.conforms == (reference.conforms and check_store(store).conforms)


def test_the_violations_are_reported_per_graph(broken: ox.Store) -> None:
    result = validate_all(broken, jobs=2)
    assert result.cube is not None and not result.conforms
    graphs = release_graph_names(broken)
    assert result.cube.failed(graphs[0]) == ("IC-1",)
    dataset = "http://purl.org/linked-data/cube#dataSet"
    lost = [f for f in result.shacl.findings if f.graph == graphs[0] and f.path == dataset]
    assert lost and all(f.severity.value == "Violation" for f in lost)
    orphan = [f for f in result.shacl.findings if f.focus_node.startswith("_:")]
    assert orphan and {f.graph for f in orphan} == {graphs[len(BREAKS)]}
    # the worker saw the store's own blank node (its label), not a renamed copy
    found = broken.query(
        f"SELECT ?b WHERE {{ GRAPH <{graphs[len(BREAKS)]}> {{ ?b a ?c }} FILTER isBlank(?b) }}"
    )
    assert isinstance(found, ox.QuerySolutions)
    assert {f.focus_node for f in orphan} == {f"_:{s['b'].value}" for s in found}


def test_check_releases_streams_in_release_order(broken: ox.Store) -> None:
    graphs = release_graph_names(broken)[::-1]
    outcomes = list(check_releases(broken, graphs, shapes=None, jobs=2))
    assert [o.graph for o in outcomes] == graphs
    assert all(o.findings == () and len(o.cube) == 21 for o in outcomes)


def test_a_worker_that_cannot_start_raises_instead_of_hanging() -> None:
    results = ordered_map(
        _check,
        [("urn:g", b"")],
        2,
        initializer=_start_worker,
        initargs=(b"this is not N-Triples\n", None, [], True),
    )
    with pytest.raises(RuntimeError, match="did not start"):
        list(results)


def test_validate_command_prints_the_same_with_one_or_two_jobs(
    broken: ox.Store, tmp_path: Path
) -> None:
    store_dir = tmp_path / "store"
    disk = ox.Store(str(store_dir))
    disk.extend(broken.quads_for_pattern(None, None, None, None))
    disk.flush()
    del disk
    one = narcokg("validate", "--store", str(store_dir), "--jobs", "1", check=False)
    # --all: the first run's findings are kept, and would be reused instead of checked again
    two = narcokg("validate", "--store", str(store_dir), "--jobs", "2", "--all", check=False)
    assert (one.returncode, two.returncode) == (1, 1), one.stderr[-2000:]
    assert two.stdout == one.stdout
    graph = release_graph_names(broken)[0]
    assert f"{graph}: RDF Data Cube IC-1…IC-21: 20/21 pass; fail: IC-1 (Unique DataSet)" in (
        one.stdout
    )
    shutil.rmtree(store_dir)


def test_a_fresh_scratch_store_every_release_changes_no_finding(
    broken: ox.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers replace their scratch store every SCRATCH_RELEASES graphs (memory); exactness."""
    import kg.checks.releases

    assert kg.checks.releases.SCRATCH_RELEASES > 1
    kept = validate_all(broken, jobs=1)
    monkeypatch.setattr(kg.checks.releases, "SCRATCH_RELEASES", 1)
    fresh = validate_all(broken, jobs=1)
    assert fresh.shacl.findings == kept.shacl.findings
    assert fresh.shacl.findings  # the broken store has findings to compare
    assert fresh.cube is not None and kept.cube is not None
    assert fresh.cube.results == kept.cube.results


@pytest.mark.slow  # a build with dumps and two validations with workers
def test_workers_fed_from_the_dumps_pieces_report_what_the_store_gives(tmp_path: Path) -> None:
    """``narcokg validate`` hands each release graph to a worker from its N-Quads piece in the
    dump folder when that piece holds the store's version (kg/publish/describe.py), instead of
    decoding it from the store; the report is the same, and a graph whose piece is stale is
    read from the store."""
    from kg.publish.describe import graph_ntriples_source
    from tests.conftest import INVENTED

    data = tmp_path / "data"
    build([INVENTED], store_dir=data / "store", dump_dir=data)
    read = graph_ntriples_source(data, data / "store")
    asked: list[str] = []

    def source(graph: str) -> bytes | None:
        asked.append(graph)
        return read(graph)

    store = ox.Store(str(data / "store"))
    releases = release_graph_names(store)
    fed = [g for g in releases if read(g) is not None]
    assert fed == releases  # every release graph's piece is current after a build
    # one piece is stale: its graph is read from the store instead
    stale = releases[0]
    piece = next((data / ".fragments").rglob(stale.rsplit("/", 1)[1] + ".nq"))
    piece.write_bytes(piece.read_bytes())  # same bytes, a new time: not the recorded file
    assert read(stale) is None
    with_source = validate_all(store, jobs=2, source=source)
    without = validate_all(store, jobs=2)
    assert sorted(asked) == sorted(releases)
    assert with_source.shacl.text() == without.shacl.text()
    assert with_source.cube is not None and without.cube is not None
    assert with_source.cube.text() == without.cube.text()
