# ruff: noqa: E501  (the SPARQL updates of MUTATIONS read best on one line each)
"""The parallel build and the fast validator give the reference results.

Speed is measured in benchmarks/, never here. These tests pin down that going fast changed
nothing: a build with worker processes stores exactly the quads of the serial mapping
(``to_graph`` + ``replace_graph``), twice in a row; re-building replaces a graph in one
transaction; and the SPARQL compilation of shapes/ (kg/checks/fastshacl.py) reports the same
findings as pySHACL on every fixture, on mutations that make each kind of constraint fire,
and on a real build; checks sharing queries, and a release checked in a store of its own,
find what one query per check finds.
"""

from __future__ import annotations

import multiprocessing
import shutil
import sys
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import XSD, Graph, URIRef
from rdflib.compare import isomorphic

import kg.build
from kg.build import build
from kg.checks.fastshacl import (
    Unsupported,
    _check_findings,
    _order,
    compile_shapes,
    live_checks,
    merged_findings,
    plan,
    plan_findings,
)
from kg.checks.releases import validate_store
from kg.checks.shacl import Finding, ValidationReport, load_shapes, validate
from kg.errors import InputError
from kg.extract.extractor import Extractor
from kg.extract.lexicon import Lexicon
from kg.extract.measures import default_measures
from kg.namespaces import NKGV, NKO, OA, VOCABULARY_GRAPH, release_graph
from kg.queries.run import run_query
from kg.rdf.mapping import to_graph
from kg.store.embedded import (
    put_graph_ntriples,
    release_graph_names,
    replace_graph,
    to_dataset,
)
from kg.store.kept_answers import answer, answers_path, release_scoped
from kg.store.parallel import map_releases
from kg.text.corpus import iter_releases

ROOT = Path(__file__).resolve().parents[1]
SHACL = ROOT / "tests" / "data" / "shacl"
FIXTURE = "https://w3id.org/narcotics-kg/id/release/900_fixture"
GRAPH = "https://w3id.org/narcotics-kg/graph/release/900_fixture"

sys.path.insert(0, str(ROOT / "benchmarks"))
from corpus import generate  # noqa: E402


def _quads(store: ox.Store, *, everything: bool = False) -> set[ox.Quad]:
    """The quads of the release graphs (or of every graph)."""
    prefix = "https://w3id.org/narcotics-kg/graph/release/"
    return {q for q in store if everything or getattr(q.graph_name, "value", "").startswith(prefix)}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve generated releases plus the two bundled ones, in one folder."""
    folder = tmp_path_factory.mktemp("synthetic")
    generate(folder, 12, seed=3)
    meta = (folder / "releases.yaml").read_text(encoding="utf-8")
    bundled = ROOT / "corpus"
    for path in bundled.glob("*.txt"):
        shutil.copy(path, folder / path.name)
    extra = (bundled / "releases.yaml").read_text(encoding="utf-8")
    (folder / "releases.yaml").write_text(meta + extra, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def serial_store(synthetic: Path) -> ox.Store:
    """The reference: every release mapped by ``to_graph`` and stored by ``replace_graph``."""
    store = ox.Store()
    extractor = Extractor(Lexicon.load(), default_measures())
    for release in iter_releases([synthetic]):
        replace_graph(store, release_graph(release.id), to_graph(extractor.extract(release)))
    return store


@pytest.fixture(scope="module")
def parallel_build(synthetic: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    store_dir = tmp_path_factory.mktemp("parallel") / "store"
    result = build([synthetic], store_dir=store_dir, dump_dir=None, jobs=2)
    assert len(result.releases) == 14
    return store_dir


def test_corpus_generator_is_deterministic_and_prefix_stable(tmp_path: Path) -> None:
    a, b = generate(tmp_path / "a", 5, seed=9), generate(tmp_path / "b", 8, seed=9)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b[:5]]
    assert generate(tmp_path / "c", 5, seed=10)[0].read_bytes() != a[0].read_bytes()
    releases = list(iter_releases([tmp_path / "a"]))
    assert [r.id for r in releases] == [f"syn9_{i:07d}" for i in range(5)]
    assert all(r.issued is not None and r.title for r in releases)


@pytest.mark.slow
def test_parallel_build_stores_exactly_the_serial_quads(
    parallel_build: Path, serial_store: ox.Store
) -> None:
    store = ox.Store.read_only(str(parallel_build))
    built = _quads(store)
    assert len(built) > 10_000
    assert built == set(serial_store)
    assert (ox.NamedNode(str(VOCABULARY_GRAPH))) in set(store.named_graphs())


@pytest.mark.slow
def test_two_parallel_builds_are_identical(
    parallel_build: Path, synthetic: Path, tmp_path: Path
) -> None:
    again = tmp_path / "store"
    build([synthetic], store_dir=again, dump_dir=None, jobs=2)
    first, second = ox.Store.read_only(str(parallel_build)), ox.Store(str(again))
    vocab = ox.NamedNode(str(VOCABULARY_GRAPH))
    assert {q for q in first if q.graph_name != vocab} == {
        q for q in second if q.graph_name != vocab
    }
    # the vocabulary graph has blank nodes (the Data Cube structure): compare as RDF
    assert isomorphic(*(_graph(s, vocab) for s in (first, second)))


@pytest.mark.slow
def test_a_build_landing_many_small_batches_stores_the_same_graphs_and_answers(
    parallel_build: Path, synthetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 14 new releases bulk-loaded two at a time as they come: seven loads of two graphs
    monkeypatch.setattr(kg.build, "BULK_MAX_GRAPHS", 2)
    monkeypatch.setattr(kg.build, "BULK_MIN_GRAPHS", 2)
    loads: list[int] = []
    real = kg.build.load_new_graphs

    def counted(store: ox.Store, pieces: list[bytes], **options: Any) -> None:
        loads.append(len(pieces))
        real(store, pieces, **options)

    monkeypatch.setattr(kg.build, "load_new_graphs", counted)
    store_dir = tmp_path / "data" / "store"
    result = build([synthetic], store_dir=store_dir, dump_dir=store_dir.parent, jobs=2)
    assert [r.id for r in result.releases] == [r.id for r in iter_releases([synthetic])]
    assert loads == [2] * 7
    store = ox.Store(str(store_dir))
    assert _quads(store) == _quads(ox.Store.read_only(str(parallel_build)))
    for query in release_scoped():  # every release's answers kept, and fresh
        notes: list[str] = []
        kept = answer(store, query.name, kept=answers_path(store_dir), note=notes.append)
        assert notes == []
        assert kept == run_query(store, query.name), query.name


@pytest.mark.slow
def test_a_build_refused_after_its_workers_started_stops_them_and_writes_nothing(
    synthetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the workers start as soon as the input is read, before the build's other checks: one
    # of those failing (here the deployment's base URL) must still stop them, store nothing
    monkeypatch.setenv("NARCOKG_BASE_URL", "ftp://kg.example.org/")
    store_dir, dump_dir = tmp_path / "data" / "store", tmp_path / "data"
    started = multiprocessing.active_children()
    with pytest.raises(InputError, match="NARCOKG_BASE_URL"):
        build([synthetic], store_dir=store_dir, dump_dir=dump_dir, jobs=2)
    assert multiprocessing.active_children() == started == []
    assert not store_dir.exists()
    assert not dump_dir.exists() or list(dump_dir.iterdir()) == []


def _graph(store: ox.Store, name: ox.NamedNode) -> Graph:
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name)
    return Graph().parse(data=data.decode("utf-8"), format="nt")


@pytest.mark.slow
def test_in_process_mapping_matches_workers(synthetic: Path) -> None:
    releases = list(iter_releases([synthetic]))[:4]
    one = list(map_releases(releases, jobs=1))
    two = list(map_releases(releases, jobs=2))
    assert one == two
    assert [m.id for m in one] == [r.id for r in releases]
    assert all(m.triples == len(set(m.ntriples.splitlines())) for m in one)


def test_put_graph_replaces_the_whole_graph() -> None:
    store = ox.Store()
    g = "https://w3id.org/narcotics-kg/graph/release/x"
    other = "https://w3id.org/narcotics-kg/graph/release/y"
    put_graph_ntriples(store, other, b"<urn:o> <urn:p> <urn:q> .\n")
    put_graph_ntriples(store, g, b'<urn:a> <urn:p> "old" .\n<urn:b> <urn:p> "old" .\n')
    put_graph_ntriples(store, g, b'<urn:a> <urn:p> "new\\n" .\n')
    in_g = {
        (q.subject.value, q.object.value)
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g))
    }
    assert in_g == {("urn:a", "new\n")}
    assert len(store) == 2  # the other graph is untouched


def test_a_failing_replacement_leaves_the_old_graph() -> None:
    store = ox.Store()
    g = "https://w3id.org/narcotics-kg/graph/release/x"
    put_graph_ntriples(store, g, b'<urn:a> <urn:p> "old" .\n')
    with pytest.raises(SyntaxError):
        put_graph_ntriples(store, g, b'<urn:a> <urn:p> "new" .\n<urn:b> <urn:p> broken .\n')
    assert [q.object.value for q in store] == ["old"]
    with pytest.raises(SyntaxError):  # a new graph: Store.load is one transaction too
        put_graph_ntriples(store, f"{g}2", b'<urn:a> <urn:p> "new" .\n<urn:b> broken\n')
    assert len(store) == 1


# --- the fast validator against pySHACL ----------------------------------------------------


def _key(f: Finding) -> tuple[str, ...]:
    return (
        f.graph,
        f.severity.value,
        f.shape,
        f.focus_node,
        f.path or "",
        f.value or "",
        f.message,
    )


def _same(store: ox.Store) -> ValidationReport:
    """Validate ``store`` both ways; assert equal findings and graphs; return the fast report."""
    fast = validate_store(store)
    reference = validate(to_dataset(store))
    assert sorted(map(_key, fast.findings)) == sorted(map(_key, reference.findings))
    assert fast.graphs == reference.graphs
    assert fast.conforms == reference.conforms
    return fast


def _fixture_store(name: str) -> ox.Store:
    store = ox.Store()
    store.load(path=str(SHACL / name), format=ox.RdfFormat.TRIG)
    return store


def test_the_shapes_compile() -> None:
    compiled = compile_shapes(load_shapes()[0])
    assert len(compiled.checks) > 50
    assert {c.shape.rsplit("#", 1)[-1] for c in compiled.checks} >= {
        "Figure-refArea",
        "QuoteMatchesTextShape",
        "MalformedFigureShape",
        "SpecificResource-position",
        "FigureMeasureShape",
    }


@pytest.mark.parametrize("name", sorted(p.name for p in SHACL.glob("*.trig")))
def test_fast_equals_reference_on_every_fixture(name: str) -> None:
    report = _same(_fixture_store(name))
    assert report.findings  # every fixture reports something (at least the malformed figure)


FIG = URIRef(f"{FIXTURE}/figure/48-54")
POS = f"<{FIXTURE}/sentence/0-96/position>"  # no quote: SUBSTR of a negative start differs
MUTATIONS = {
    # one per kind of compiled constraint: count, datatype, in, pattern, class, or, lessThan,
    # minInclusive, maxLength, qualified count, hasValue, and SPARQL constraints with messages
    "maxCount+in": f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <{FIG}> <{NKO.status}> <{NKGV}status/x> }} }}",
    "datatype": f'DELETE WHERE {{ GRAPH <{GRAPH}> {{ <{FIG}> <{NKO.value}> ?v }} }} ; INSERT DATA {{ GRAPH <{GRAPH}> {{ <{FIG}> <{NKO.value}> "26000" }} }}',
    "ill-typed decimal": f'DELETE WHERE {{ GRAPH <{GRAPH}> {{ <{FIG}> <{NKO.value}> ?v }} }} ; INSERT DATA {{ GRAPH <{GRAPH}> {{ <{FIG}> <{NKO.value}> "26,000"^^<{XSD.decimal}> }} }}',
    "pattern": f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ <{FIG}> <{NKO.refArea}> ?a }} }} ; INSERT DATA {{ GRAPH <{GRAPH}> {{ <{FIG}> <{NKO.refArea}> <https://example.org/x> }} }}",
    "minCount": f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ <{FIG}> <{NKO.refArea}> ?a }} }}",
    "class": f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ ?p a <http://www.w3.org/2006/time#Interval> }} }}",
    "or+lessThan+minInclusive": f'DELETE WHERE {{ GRAPH <{GRAPH}> {{ {POS} <{OA.start}> ?s }} }} ; INSERT DATA {{ GRAPH <{GRAPH}> {{ {POS} <{OA.start}> -60 , "x" }} }}',
    "maxLength": f'DELETE WHERE {{ GRAPH <{GRAPH}> {{ ?q <{OA.prefix}> ?p }} }} ; INSERT DATA {{ GRAPH <{GRAPH}> {{ <{FIXTURE}/span/48-54/quote> <{OA.prefix}> "{"x" * 40}" }} }}',
    "qualified count": f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ <{FIXTURE}/span/48-54> <{OA.hasSelector}> ?s }} }}",
    "hasValue": f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ <{FIG}> <http://purl.org/linked-data/cube#dataSet> ?d }} }}",
    "node-level or": f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ ?f <{NKO.unparsedValue}> ?v }} }}",
    "sparql messages": f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ ?r <{NKO.characterCount}> ?n }} }} ; INSERT DATA {{ GRAPH <{GRAPH}> {{ <{FIXTURE}> <{NKO.characterCount}> 3 . <{FIG}> <{NKO.indicator}> <{NKGV}indicator/year-on-year-change> }} }}",
    "unlinked mention": f"DELETE WHERE {{ GRAPH <{GRAPH}> {{ ?m <{OA.hasBody}> ?b }} }}",
}


@pytest.mark.slow  # each mutation also runs the reference pyshacl
@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_fast_equals_reference_on_mutations(name: str) -> None:
    store = _fixture_store("conforming.trig")
    store.update(MUTATIONS[name])
    report = _same(store)
    base = validate_store(_fixture_store("conforming.trig"))
    assert len(report.findings) > len(base.findings), "the mutation made nothing fire"


@pytest.mark.slow
def test_fast_equals_reference_on_a_build(parallel_build: Path, tmp_path: Path) -> None:
    copy = tmp_path / "store"
    shutil.copytree(parallel_build, copy)
    report = _same(ox.Store(str(copy)))
    shapes = {f.shape.rsplit("#", 1)[-1] for f in report.findings}
    assert "MalformedFigureShape" in shapes  # the garbled figures of the corpus, as Warnings


def test_unknown_shacl_falls_back_to_the_reference(tmp_path: Path) -> None:
    shapes = tmp_path / "shapes"
    shutil.copytree(ROOT / "shapes", shapes)
    (shapes / "zz_closed.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<urn:s> a sh:NodeShape ; sh:targetClass <urn:C> ; sh:closed true ;"
        ' sh:message "closed" .\n',
        encoding="utf-8",
    )
    with pytest.raises(Unsupported):
        compile_shapes(load_shapes(shapes)[0])
    notes: list[str] = []
    store = _fixture_store("conforming.trig")
    report = validate_store(store, shapes_dir=shapes, progress=notes.append)
    assert (notes and "sh:closed" in notes[0]) or "closed" in notes[0]
    assert sorted(map(_key, report.findings)) == sorted(
        map(_key, validate(to_dataset(store), shapes_dir=shapes).findings)
    )


# --- the shared queries and the per-release store ------------------------------------------


def _one_query_per_check(store: ox.Store, graph: str) -> list[Finding]:
    """The findings of every check run by its own query, in check order (the way before
    checks shared queries), on release ``graph`` ∪ the vocabulary."""
    compiled = compile_shapes(load_shapes()[0])
    data: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [
        ox.NamedNode(graph),
        ox.NamedNode(str(VOCABULARY_GRAPH)),
    ]
    return [
        finding
        for k in live_checks(store, compiled)
        for finding, _ in _check_findings(store, graph, compiled, compiled.queries[k], data)
    ]


def _release_graph(store: ox.Store) -> str:
    (graph,) = (g for g in release_graph_names(store))
    return graph


@pytest.mark.parametrize("name", [*sorted(MUTATIONS), "conforming"])
def test_shared_queries_find_what_one_query_per_check_finds(name: str) -> None:
    """Checks of SHACL Core with one focus pattern share a query (kg.checks.fastshacl.plan):
    the same findings as one query per check, and in report order the same list."""
    store = _fixture_store("conforming.trig")
    if name in MUTATIONS:
        store.update(MUTATIONS[name])
    graph = _release_graph(store)
    compiled = compile_shapes(load_shapes()[0])
    checks = live_checks(store, compiled)
    assert len(plan(compiled, checks)) < len(checks) / 2  # what sharing is for
    data: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [
        ox.NamedNode(graph),
        ox.NamedNode(str(VOCABULARY_GRAPH)),
    ]
    shared = plan_findings(store, graph, compiled, checks, data)
    alone = _one_query_per_check(store, graph)
    assert sorted(shared, key=_order) == sorted(alone, key=_order)
    assert sorted(map(_key, shared)) == sorted(map(_key, alone))
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    ]
    vocabulary = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(str(VOCABULARY_GRAPH)))
    ]
    merged = merged_findings(vocabulary, graph, triples, compiled, checks)
    assert merged is not None
    assert sorted(merged, key=_order) == sorted(alone, key=_order)


def test_a_release_sharing_a_triple_with_the_vocabulary_is_checked_as_two_graphs() -> None:
    """One store per release holds release and vocabulary as one graph, unless they share a
    triple (the union of two graphs then has it twice): such a release goes to the scratch
    store of named graphs, and still reports what pySHACL does."""
    store = _fixture_store("quote_mismatch.trig")
    graph = _release_graph(store)
    vocabulary = ox.NamedNode(str(VOCABULARY_GRAPH))
    shared = next(iter(store.quads_for_pattern(None, None, None, vocabulary)))
    store.add(ox.Quad(shared.subject, shared.predicate, shared.object, ox.NamedNode(graph)))
    compiled = compile_shapes(load_shapes()[0])
    checks = live_checks(store, compiled)
    triples = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
    ]
    words = [
        ox.Triple(q.subject, q.predicate, q.object)
        for q in store.quads_for_pattern(None, None, None, vocabulary)
    ]
    assert merged_findings(words, graph, triples, compiled, checks) is None
    report = _same(store)
    assert report.findings
    assert sorted(report.findings, key=_order) == sorted(
        _one_query_per_check(store, graph), key=_order
    )
