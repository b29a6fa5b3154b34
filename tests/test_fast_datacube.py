# ruff: noqa: E501  (the SPARQL updates of MUTATIONS read best on one line each)
"""The fast Data Cube checks find exactly what the Recommendation's queries find (issue 17).

kg/checks/datacube.py keeps the 21 ASK queries of the W3C Recommendation (§11.2) as the
reference, and checks release graphs by a fast path: the constraints the vocabulary decides are
run once (:class:`CubeVocabulary`), the per-release ones are set arithmetic over the release's
observations, and a release the fast path does not model goes to the queries. These tests apply
mutations to real release graphs and assert that both find the same violations, constraint by
constraint, and which path took each mutation: the ones a real release can have (a dimension
value removed, a duplicated observation, a code outside its code list, a missing measure or
required attribute, a second measure type) by the fast path itself.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.checks.datacube import ConstraintResult, CubeChecker, CubeVocabulary, check_graph
from kg.namespaces import VOCABULARY_GRAPH
from kg.store.embedded import release_graph_names
from tests.conftest import ROOT

PREFIXES = (
    "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#> "
    "PREFIX qb: <http://purl.org/linked-data/cube#> "
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
)
# (name, what the chosen figure must have, the update ($G the graph, $F the figure),
#  the constraints it violates (worked out by hand from §11.2), whether the fast path takes it)
MUTATIONS = [
    ("dimension value removed", "nko:offence", "DELETE { GRAPH $G { $F nko:offence ?x } } WHERE { GRAPH $G { $F nko:offence ?x } }", {"IC-11"}, True),
    ("observation duplicated", "qb:dataSet", "INSERT { GRAPH $G { <urn:copy> ?p ?o } } WHERE { GRAPH $G { $F ?p ?o } }", {"IC-12", "IC-17"}, True),
    # the copy lacks a dimension: IC-12 and IC-17 compare only the dimensions both have
    ("duplicate missing a dimension", "qb:dataSet", "INSERT { GRAPH $G { <urn:copy> ?p ?o } } WHERE { GRAPH $G { $F ?p ?o } FILTER(?p != nko:offence) }", {"IC-11", "IC-12", "IC-17"}, True),
    ("code outside the code list", "nko:substance", "DELETE { GRAPH $G { $F nko:substance ?x } } INSERT { GRAPH $G { $F nko:substance <urn:not-a-code> } } WHERE { GRAPH $G { $F nko:substance ?x } }", {"IC-19"}, True),
    ("measure missing", "nko:value", "DELETE { GRAPH $G { $F nko:value ?x } } WHERE { GRAPH $G { $F nko:value ?x } }", {"IC-14"}, True),
    ("required attribute missing", "nko:qualifier", "DELETE { GRAPH $G { $F nko:qualifier ?x } } WHERE { GRAPH $G { $F nko:qualifier ?x } }", {"IC-13"}, True),
    # IC-17 counts (measure type, other observation at the point) solutions: 2 x 2 != 1 measure
    ("second measure type", "qb:measureType", "INSERT DATA { GRAPH $G { $F qb:measureType nko:unparsedValue } }", {"IC-17"}, True),
    # outside the fast path: the queries decide
    ("data set removed", "qb:dataSet", "DELETE { GRAPH $G { $F qb:dataSet ?x } } WHERE { GRAPH $G { $F qb:dataSet ?x } }", {"IC-1"}, False),
    ("unknown data set", "qb:dataSet", "DELETE { GRAPH $G { $F qb:dataSet ?x } } INSERT { GRAPH $G { $F qb:dataSet <urn:nowhere> } } WHERE { GRAPH $G { $F qb:dataSet ?x } }", {"IC-2"}, False),
    # IC-17: the figure is at no point with itself (its two values differ), so it has no group
    ("two values of a dimension", "nko:substance", "INSERT DATA { GRAPH $G { $F nko:substance <urn:not-a-code> } }", {"IC-19"}, False),
    ("a dimension declared in a release", "qb:dataSet", "INSERT DATA { GRAPH $G { <urn:dim> a qb:DimensionProperty } }", {"IC-4"}, False),
]  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    """Three invented releases and the corpus, built, in memory."""
    store_dir = tmp_path_factory.mktemp("fast_datacube") / "store"
    releases = sorted((ROOT / "tests" / "data" / "releases").glob("r0[1-3]_*.txt"))
    build([*releases, ROOT / "corpus"], store_dir=store_dir, dump_dir=None, jobs=1)
    disk = ox.Store.read_only(str(store_dir))
    mem = ox.Store()
    mem.extend(disk.quads_for_pattern(None, None, None, None))
    return mem


def _vocabulary(store: ox.Store) -> list[ox.Quad]:
    return list(store.quads_for_pattern(None, None, None, ox.NamedNode(str(VOCABULARY_GRAPH))))


def _triples(store: ox.Store, graph: str) -> list[ox.Quad]:
    return list(store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))


def _failed(results: list[ConstraintResult]) -> set[str]:
    return {r.constraint for r in results if not r.passed}


def test_the_fast_path_equals_the_queries_on_every_clean_release(store: ox.Store) -> None:
    fast = CubeVocabulary.of(_vocabulary(store))
    assert fast.fast  # the project's vocabulary is one the fast path models
    graphs = release_graph_names(store)
    assert len(graphs) == 5
    for graph in graphs:
        found = fast.check(graph, _triples(store, graph))
        assert found is not None, graph
        assert found == check_graph(store, graph), graph
        assert not _failed(found), graph


@pytest.mark.parametrize("name", [m[0] for m in MUTATIONS])
def test_the_fast_path_equals_the_queries_on_a_mutation(store: ox.Store, name: str) -> None:
    _, needs, update, expected, by_fast_path = next(m for m in MUTATIONS if m[0] == name)
    mutated = ox.Store()
    mutated.extend(store.quads_for_pattern(None, None, None, None))
    checked = 0
    for graph in release_graph_names(store):
        found = mutated.query(
            f"{PREFIXES} SELECT ?f WHERE {{ GRAPH <{graph}> {{ ?f a nko:Figure ; {needs} ?x }} }}"
            " ORDER BY ?f LIMIT 1"
        )
        assert isinstance(found, ox.QuerySolutions)
        rows = list(found)
        if not rows:
            continue
        mutated.update(
            PREFIXES + update.replace("$G", f"<{graph}>").replace("$F", str(rows[0]["f"]))
        )
        reference = check_graph(mutated, graph)  # the Recommendation's queries
        assert _failed(reference) == expected, graph
        fast = CubeVocabulary.of(_vocabulary(mutated)).check(graph, _triples(mutated, graph))
        assert (fast is not None) == by_fast_path, graph
        if fast is not None:
            assert fast == reference, graph
        # and as validation runs it: the fast path where it applies, the queries elsewhere
        checker = CubeChecker(_vocabulary(mutated), fast=CubeVocabulary.of(_vocabulary(mutated)))
        assert checker.check(graph, _triples(mutated, graph)) == reference, graph
        checked += 1
    assert checked >= 3  # the mutation found its kind of figure in several releases


def test_a_broken_vocabulary_is_found_once_and_equally(store: ox.Store) -> None:
    """IC-4 and IC-5 are the vocabulary's: a dimension without a range fails them for every
    release, by the fast path as by the queries."""
    broken = ox.Store()
    broken.extend(store.quads_for_pattern(None, None, None, None))
    broken.update(
        f"{PREFIXES} DELETE WHERE {{ GRAPH <{VOCABULARY_GRAPH}> {{ nko:substance rdfs:range ?r }} }}"
    )
    fast = CubeVocabulary.of(_vocabulary(broken))
    assert {ic for ic, _, passed in fast.results if not passed} == {"IC-4"}
    for graph in release_graph_names(broken):
        found = fast.check(graph, _triples(broken, graph))
        assert found is not None
        assert found == check_graph(broken, graph)
        assert _failed(found) == {"IC-4"}


def test_a_vocabulary_the_fast_path_does_not_model_sends_every_release_to_the_queries(
    store: ox.Store,
) -> None:
    odd = [
        *_vocabulary(store),
        ox.Quad(
            ox.NamedNode("urn:slice"),
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode("http://purl.org/linked-data/cube#Slice"),
            ox.NamedNode(str(VOCABULARY_GRAPH)),
        ),
    ]
    fast = CubeVocabulary.of(odd)
    assert not fast.fast
    graph = release_graph_names(store)[0]
    assert fast.check(graph, _triples(store, graph)) is None


def test_the_recommendations_queries_are_kept_as_the_reference() -> None:
    from kg.checks.datacube import CONSTRAINTS

    assert [c.id for c in CONSTRAINTS] == [f"IC-{i}" for i in range(1, 22)]
    ic17 = next(c for c in CONSTRAINTS if c.id == "IC-17")
    assert "HAVING (COUNT(?obs2) != ?numMeasures)" in ic17.asks[0]
    assert Path(ROOT / "kg" / "checks" / "datacube.py").is_file()
