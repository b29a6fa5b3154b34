"""The W3C RDF Data Cube integrity constraints IC-1 … IC-21, run over the stored graph.

Why: docs say every figure is a ``qb:Observation`` of a well-formed cube; the Recommendation
(https://www.w3.org/TR/vocab-data-cube/, §11 "Well-formed cubes") makes that testable with 21
normative SPARQL ASK queries, each of which is *true* when the constraint is *violated*. The
queries below are the Recommendation's text (§11.2, IC-19 in its two variants for
``skos:ConceptScheme`` and ``skos:Collection`` code lists, IC-20/IC-21 as templates
instantiated once per ``qb:parentChildProperty`` found), run after the normalisation algorithm
of §11.1 (phase 1: type and property closure, phase 2: push down attachment levels), which
they assume.

The queries also assume that the data and the structure (DSD, code lists) are in one graph.
Our structure lives in the vocabulary graph and the observations in one graph per release (and
one for corrections), so each of those graphs is checked on its own, copied with the vocabulary
into a temporary in-memory store: small runs, and a failure names the graph at fault. What this
module deliberately does not do: check across release graphs (each release is its own set of
observations; ``kg.checks.crossrelease`` compares releases) or check SHACL shapes
(``kg.checks.shacl``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

import pyoxigraph as ox

from kg.namespaces import CORRECTIONS_GRAPH, NKG, VOCABULARY_GRAPH

_PREFIXES = """PREFIX rdf:  <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX qb:   <http://purl.org/linked-data/cube#>
PREFIX xsd:  <http://www.w3.org/2001/XMLSchema#>
PREFIX owl:  <http://www.w3.org/2002/07/owl#>
"""

# §11.1 Normalization algorithm, phase 1: type and property closure.
NORMALIZE_PHASE_1 = """
INSERT {
    ?o rdf:type qb:Observation .
} WHERE {
    [] qb:observation ?o .
};

INSERT {
    ?o  rdf:type qb:Observation .
    ?ds rdf:type qb:DataSet .
} WHERE {
    ?o qb:dataSet ?ds .
};

INSERT {
    ?s rdf:type qb:Slice .
} WHERE {
    [] qb:slice ?s.
};

INSERT {
    ?cs qb:componentProperty ?p .
    ?p  rdf:type qb:DimensionProperty .
} WHERE {
    ?cs qb:dimension ?p .
};

INSERT {
    ?cs qb:componentProperty ?p .
    ?p  rdf:type qb:MeasureProperty .
} WHERE {
    ?cs qb:measure ?p .
};

INSERT {
    ?cs qb:componentProperty ?p .
    ?p  rdf:type qb:AttributeProperty .
} WHERE {
    ?cs qb:attribute ?p .
}
"""

# §11.1 Normalization algorithm, phase 2: push down attachment levels.
NORMALIZE_PHASE_2 = """
# Dataset attachments
INSERT {
    ?obs  ?comp ?value
} WHERE {
    ?spec    qb:componentProperty ?comp ;
             qb:componentAttachment qb:DataSet .
    ?dataset qb:structure [qb:component ?spec];
             ?comp ?value .
    ?obs     qb:dataSet ?dataset.
};

# Slice attachments
INSERT {
    ?obs  ?comp ?value
} WHERE {
    ?spec    qb:componentProperty ?comp;
             qb:componentAttachment qb:Slice .
    ?dataset qb:structure [qb:component ?spec];
             qb:slice ?slice .
    ?slice ?comp ?value;
           qb:observation ?obs .
};

# Dimension values on slices
INSERT {
    ?obs  ?comp ?value
} WHERE {
    ?spec    qb:componentProperty ?comp .
    ?comp a  qb:DimensionProperty .
    ?dataset qb:structure [qb:component ?spec];
             qb:slice ?slice .
    ?slice ?comp ?value;
           qb:observation ?obs .
}
"""


@dataclass(frozen=True)
class Constraint:
    """One integrity constraint of §11.2.

    Attributes:
        id: "IC-1" … "IC-21".
        title: the Recommendation's heading, e.g. "Unique DataSet".
        asks: the ASK queries; the constraint is violated when any of them is true.
        instantiation: for the templated IC-20/IC-21, the SELECT that yields the ``?p`` each
            ASK is instantiated with (``$p`` in the template); empty otherwise.
    """

    id: str
    title: str
    asks: tuple[str, ...]
    instantiation: str = ""


CONSTRAINTS: tuple[Constraint, ...] = (
    Constraint("IC-1", "Unique DataSet", ("""
ASK {
  {
    # Check observation has a data set
    ?obs a qb:Observation .
    FILTER NOT EXISTS { ?obs qb:dataSet ?dataset1 . }
  } UNION {
    # Check has just one data set
    ?obs a qb:Observation ;
       qb:dataSet ?dataset1, ?dataset2 .
    FILTER (?dataset1 != ?dataset2)
  }
}""",)),
    Constraint("IC-2", "Unique DSD", ("""
ASK {
  {
    # Check dataset has a dsd
    ?dataset a qb:DataSet .
    FILTER NOT EXISTS { ?dataset qb:structure ?dsd . }
  } UNION {
    # Check has just one dsd
    ?dataset a qb:DataSet ;
       qb:structure ?dsd1, ?dsd2 .
    FILTER (?dsd1 != ?dsd2)
  }
}""",)),
    Constraint("IC-3", "DSD includes measure", ("""
ASK {
  ?dsd a qb:DataStructureDefinition .
  FILTER NOT EXISTS { ?dsd qb:component [qb:componentProperty [a qb:MeasureProperty]] }
}""",)),
    Constraint("IC-4", "Dimensions have range", ("""
ASK {
  ?dim a qb:DimensionProperty .
  FILTER NOT EXISTS { ?dim rdfs:range [] }
}""",)),
    Constraint("IC-5", "Concept dimensions have code lists", ("""
ASK {
  ?dim a qb:DimensionProperty ;
       rdfs:range skos:Concept .
  FILTER NOT EXISTS { ?dim qb:codeList [] }
}""",)),
    Constraint("IC-6", "Only attributes may be optional", ("""
ASK {
  ?dsd qb:component ?componentSpec .
  ?componentSpec qb:componentRequired "false"^^xsd:boolean ;
                 qb:componentProperty ?component .
  FILTER NOT EXISTS { ?component a qb:AttributeProperty }
}""",)),
    Constraint("IC-7", "Slice Keys must be declared", ("""
ASK {
    ?sliceKey a qb:SliceKey .
    FILTER NOT EXISTS { [a qb:DataStructureDefinition] qb:sliceKey ?sliceKey }
}""",)),
    Constraint("IC-8", "Slice Keys consistent with DSD", ("""
ASK {
  ?slicekey a qb:SliceKey;
      qb:componentProperty ?prop .
  ?dsd qb:sliceKey ?slicekey .
  FILTER NOT EXISTS { ?dsd qb:component [qb:componentProperty ?prop] }
}""",)),
    Constraint("IC-9", "Unique slice structure", ("""
ASK {
  {
    # Slice has a key
    ?slice a qb:Slice .
    FILTER NOT EXISTS { ?slice qb:sliceStructure ?key }
  } UNION {
    # Slice has just one key
    ?slice a qb:Slice ;
           qb:sliceStructure ?key1, ?key2;
    FILTER (?key1 != ?key2)
  }
}""",)),
    Constraint("IC-10", "Slice dimensions complete", ("""
ASK {
  ?slice qb:sliceStructure [qb:componentProperty ?dim] .
  FILTER NOT EXISTS { ?slice ?dim [] }
}""",)),
    Constraint("IC-11", "All dimensions required", ("""
ASK {
    ?obs qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
    ?dim a qb:DimensionProperty;
    FILTER NOT EXISTS { ?obs ?dim [] }
}""",)),
    Constraint("IC-12", "No duplicate observations", ("""
ASK {
  FILTER( ?allEqual )
  {
    # For each pair of observations test if all the dimension values are the same
    SELECT (MIN(?equal) AS ?allEqual) WHERE {
        ?obs1 qb:dataSet ?dataset .
        ?obs2 qb:dataSet ?dataset .
        FILTER (?obs1 != ?obs2)
        ?dataset qb:structure/qb:component/qb:componentProperty ?dim .
        ?dim a qb:DimensionProperty .
        ?obs1 ?dim ?value1 .
        ?obs2 ?dim ?value2 .
        BIND( ?value1 = ?value2 AS ?equal)
    } GROUP BY ?obs1 ?obs2
  }
}""",)),
    Constraint("IC-13", "Required attributes", ("""
ASK {
    ?obs qb:dataSet/qb:structure/qb:component ?component .
    ?component qb:componentRequired "true"^^xsd:boolean ;
               qb:componentProperty ?attr .
    FILTER NOT EXISTS { ?obs ?attr [] }
}""",)),
    Constraint("IC-14", "All measures present", ("""
ASK {
    # Observation in a non-measureType cube
    ?obs qb:dataSet/qb:structure ?dsd .
    FILTER NOT EXISTS { ?dsd qb:component/qb:componentProperty qb:measureType }

    # verify every measure is present
    ?dsd qb:component/qb:componentProperty ?measure .
    ?measure a qb:MeasureProperty;
    FILTER NOT EXISTS { ?obs ?measure [] }
}""",)),
    Constraint("IC-15", "Measure dimension consistent", ("""
ASK {
    # Observation in a measureType-cube
    ?obs qb:dataSet/qb:structure ?dsd ;
         qb:measureType ?measure .
    ?dsd qb:component/qb:componentProperty qb:measureType .
    # Must have value for its measureType
    FILTER NOT EXISTS { ?obs ?measure [] }
}""",)),
    Constraint("IC-16", "Single measure on measure dimension observation", ("""
ASK {
    # Observation with measureType
    ?obs qb:dataSet/qb:structure ?dsd ;
         qb:measureType ?measure ;
         ?omeasure [] .
    # Any measure on the observation
    ?dsd qb:component/qb:componentProperty qb:measureType ;
         qb:component/qb:componentProperty ?omeasure .
    ?omeasure a qb:MeasureProperty .
    # Must be the same as the measureType
    FILTER (?omeasure != ?measure)
}""",)),
    Constraint("IC-17", "All measures present in measures dimension cube", ("""
ASK {
  {
      # Count number of other measures found at each point
      SELECT ?numMeasures (COUNT(?obs2) AS ?count) WHERE {
          {
              # Find the DSDs and check how many measures they have
              SELECT ?dsd (COUNT(?m) AS ?numMeasures) WHERE {
                  ?dsd qb:component/qb:componentProperty ?m.
                  ?m a qb:MeasureProperty .
              } GROUP BY ?dsd
          }

          # Observation in measureType cube
          ?obs1 qb:dataSet/qb:structure ?dsd;
                qb:dataSet ?dataset ;
                qb:measureType ?m1 .

          # Other observation at same dimension value
          ?obs2 qb:dataSet ?dataset ;
                qb:measureType ?m2 .
          FILTER NOT EXISTS {
              ?dsd qb:component/qb:componentProperty ?dim .
              FILTER (?dim != qb:measureType)
              ?dim a qb:DimensionProperty .
              ?obs1 ?dim ?v1 .
              ?obs2 ?dim ?v2.
              FILTER (?v1 != ?v2)
          }

      } GROUP BY ?obs1 ?numMeasures
        HAVING (COUNT(?obs2) != ?numMeasures)
  }
}""",)),
    Constraint("IC-18", "Consistent data set links", ("""
ASK {
    ?dataset qb:slice       ?slice .
    ?slice   qb:observation ?obs .
    FILTER NOT EXISTS { ?obs qb:dataSet ?dataset . }
}""",)),
    Constraint("IC-19", "Codes from code list", ("""
ASK {
    ?obs qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
    ?dim a qb:DimensionProperty ;
        qb:codeList ?list .
    ?list a skos:ConceptScheme .
    ?obs ?dim ?v .
    FILTER NOT EXISTS { ?v a skos:Concept ; skos:inScheme ?list }
}""", """
ASK {
    ?obs qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
    ?dim a qb:DimensionProperty ;
        qb:codeList ?list .
    ?list a skos:Collection .
    ?obs ?dim ?v .
    FILTER NOT EXISTS { ?v a skos:Concept . ?list skos:member+ ?v }
}""")),
    Constraint(
        "IC-20",
        "Codes from hierarchy",
        ("""
ASK {
    ?obs qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
    ?dim a qb:DimensionProperty ;
        qb:codeList ?list .
    ?list a qb:HierarchicalCodeList .
    ?obs ?dim ?v .
    FILTER NOT EXISTS { ?list qb:hierarchyRoot/<$p>* ?v }
}""",),
        """
SELECT ?p WHERE {
    ?hierarchy a qb:HierarchicalCodeList ;
                 qb:parentChildProperty ?p .
    FILTER ( isIRI(?p) )
}""",
    ),
    Constraint(
        "IC-21",
        "Codes from hierarchy (inverse)",
        ("""
ASK {
    ?obs qb:dataSet/qb:structure/qb:component/qb:componentProperty ?dim .
    ?dim a qb:DimensionProperty ;
         qb:codeList ?list .
    ?list a qb:HierarchicalCodeList .
    ?obs ?dim ?v .
    FILTER NOT EXISTS { ?list qb:hierarchyRoot/(^<$p>)* ?v }
}""",),
        """
SELECT ?p WHERE {
    ?hierarchy a qb:HierarchicalCodeList;
                 qb:parentChildProperty ?pcp .
    FILTER( isBlank(?pcp) )
    ?pcp  owl:inverseOf ?p .
    FILTER( isIRI(?p) )
}""",
    ),
)  # fmt: skip


class ConstraintResult(NamedTuple):
    """Whether one graph (with the vocabulary) meets one integrity constraint.

    A named tuple, not a dataclass: a validation that reuses kept findings makes 22 of them
    per release graph (220,000 at 10,000 releases), and a frozen dataclass costs three
    times as much to make.
    """

    graph: str
    constraint: str
    title: str
    passed: bool


@dataclass(frozen=True)
class DataCubeReport:
    """The outcome of every constraint on every checked graph."""

    results: tuple[ConstraintResult, ...]

    @property
    def conforms(self) -> bool:
        """True iff every constraint passed on every graph."""
        return all(r.passed for r in self.results)

    def failed(self, graph: str | None = None) -> tuple[str, ...]:
        """Ids of the failed constraints (on one graph, or on any), in IC order, no repeats."""
        ids = [r.constraint for r in self.results if not r.passed and graph in (None, r.graph)]
        return tuple(dict.fromkeys(ids))

    def text(self) -> str:
        """One line per graph: how many of the 21 constraints pass, and which fail."""
        lines = []
        by_graph: dict[str, list[ConstraintResult]] = {}
        for r in self.results:  # one pass: a filter per graph was quadratic (1.6 s at 1,000)
            by_graph.setdefault(r.graph, []).append(r)
        for graph, mine in by_graph.items():
            bad = [f"{r.constraint} ({r.title})" for r in mine if not r.passed]
            summary = f"{graph}: RDF Data Cube IC-1…IC-21: {len(mine) - len(bad)}/{len(mine)} pass"
            lines.append(summary + (f"; fail: {', '.join(bad)}" if bad else ""))
        lines.append(f"data cube well-formed: {'yes' if self.conforms else 'no'}")
        return "\n".join(lines)


def _graph_store(source: ox.Store, graphs: Iterable[str]) -> ox.Store:
    """A fresh in-memory store whose default graph is the union of ``graphs`` of ``source``."""
    mem = ox.Store()
    default = ox.DefaultGraph()
    for g in graphs:
        mem.extend(
            ox.Quad(q.subject, q.predicate, q.object, default)
            for q in source.quads_for_pattern(None, None, None, ox.NamedNode(g))
        )
    return mem


def _ask(store: ox.Store, query: str) -> bool:
    result = store.query(_PREFIXES + query)
    return bool(result)


def check_graph(store: ox.Store, graph: str) -> list[ConstraintResult]:
    """Run IC-1 … IC-21 on ``graph`` together with the vocabulary graph of ``store``."""
    return _normalise_and_check(_graph_store(store, [str(VOCABULARY_GRAPH), graph]), graph)


class CubeChecker:
    """IC-1 … IC-21 on one graph at a time, with the vocabulary read once (for many graphs).

    Why: :func:`check_graph` reads the vocabulary graph out of the store for every graph it
    checks, a third of its cost per release. This keeps the vocabulary's triples in memory
    and builds each graph's scratch store from them and the graph's own triples: the same
    default graph (vocabulary ∪ graph), then the same normalisation and the same queries, so
    the same results (tests/test_validate_parallel.py checks it). What it does not
    do: normalise the vocabulary once and reuse it. The normalisation takes well under a
    millisecond per release (IC-17 and IC-12 take ~90% of the time), and its phase-2 updates
    run once, in order, not to a fixpoint, so starting from pre-normalised triples is not
    obviously the same.
    """

    def __init__(
        self, vocabulary: Iterable[ox.Triple | ox.Quad], *, fast: CubeVocabulary | None = None
    ) -> None:
        default = ox.DefaultGraph()
        self._vocabulary = [ox.Quad(t.subject, t.predicate, t.object, default) for t in vocabulary]
        self._fast = fast

    @classmethod
    def of_store(cls, store: ox.Store) -> CubeChecker:
        """A checker with the vocabulary graph of ``store``."""
        return cls(store.quads_for_pattern(None, None, None, ox.NamedNode(str(VOCABULARY_GRAPH))))

    def check(self, graph: str, triples: Iterable[ox.Triple | ox.Quad]) -> list[ConstraintResult]:
        """Run IC-1 … IC-21 on ``triples`` (the content of ``graph``) with the vocabulary.

        With ``fast`` (the same vocabulary's :class:`CubeVocabulary`), a graph the fast path
        models is checked by it, any other by the Recommendation's queries.
        """
        if self._fast is not None:
            triples = list(triples)
            found = self._fast.check(graph, triples)
            if found is not None:
                return found
        default = ox.DefaultGraph()
        mem = ox.Store()
        mem.extend(self._vocabulary)
        mem.extend(ox.Quad(t.subject, t.predicate, t.object, default) for t in triples)
        return _normalise_and_check(mem, graph)


def _normalise_and_check(mem: ox.Store, graph: str) -> list[ConstraintResult]:
    """§11.1 normalisation of ``mem``'s default graph, then every constraint of §11.2 on it."""
    mem.update(_PREFIXES + NORMALIZE_PHASE_1)
    mem.update(_PREFIXES + NORMALIZE_PHASE_2)
    results = []
    for c in CONSTRAINTS:
        asks = list(c.asks)
        if c.instantiation:
            solutions = mem.query(_PREFIXES + c.instantiation)
            assert isinstance(solutions, ox.QuerySolutions)
            props = [s["p"] for s in solutions]
            asks = [a.replace("$p", p.value) for a in c.asks for p in props]
        violated = any(_ask(mem, a) for a in asks)
        results.append(ConstraintResult(graph, c.id, c.title, not violated))
    return results


# -- the fast path: the same constraints, split into what the vocabulary decides once and
# -- what each release's observations decide, computed in Python from the release's triples

_QB = "http://purl.org/linked-data/cube#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_DATASET = ox.NamedNode(_QB + "dataSet")
_OBSERVATION = ox.NamedNode(_QB + "Observation")
_MEASURE_TYPE = ox.NamedNode(_QB + "measureType")
_CONCEPT = ox.NamedNode(_SKOS + "Concept")
_IN_SCHEME = ox.NamedNode(_SKOS + "inScheme")

STRUCTURE_PREDICATES = frozenset(
    ox.NamedNode(iri)
    for iri in (
        *(_QB + p for p in (
            "observation", "slice", "component", "dimension", "measure", "attribute",
            "componentProperty", "componentAttachment", "structure", "sliceKey",
            "sliceStructure", "componentRequired", "codeList", "hierarchyRoot",
            "parentChildProperty",
        )),
        "http://www.w3.org/2000/01/rdf-schema#range",
        _SKOS + "member",
        "http://www.w3.org/2002/07/owl#inverseOf",
    )
)  # fmt: skip
"""Predicates of the constraints' and the normalisation's patterns that describe structure
(DSDs, components, code lists, slices, hierarchies): a release graph using one is checked by
the Recommendation's queries, not by the fast path."""

STRUCTURE_TYPES = frozenset(
    ox.NamedNode(iri)
    for iri in (
        *(_QB + c for c in (
            "DataSet", "Slice", "DimensionProperty", "MeasureProperty", "AttributeProperty",
            "DataStructureDefinition", "SliceKey", "HierarchicalCodeList",
        )),
        _SKOS + "ConceptScheme",
        _SKOS + "Collection",
    )
)  # fmt: skip
"""Classes the constraints' patterns ask for other than ``qb:Observation`` and
``skos:Concept`` (a release may define codes: its area groups): likewise."""

PER_RELEASE = ("IC-1", "IC-11", "IC-12", "IC-13", "IC-14", "IC-17", "IC-19")
"""The constraints the fast path decides from a release's observations; every other one
(IC-2 … IC-10, IC-15, IC-16, IC-18, IC-20, IC-21) is decided by the vocabulary alone, once."""


def _rows(store: ox.Store, query: str, *names: str) -> list[tuple[Any, ...]]:
    solutions = store.query(_PREFIXES + query)
    assert isinstance(solutions, ox.QuerySolutions)
    return [tuple(s[n] for n in names) for s in solutions]


@dataclass(frozen=True)
class CubeVocabulary:
    """What the vocabulary graph decides, computed once per validation (picklable: it is
    handed to the worker processes).

    ``results`` are the constraints run on the normalised vocabulary alone, by the
    Recommendation's queries; the tables are read from the same normalised graph by SPARQL
    (so literal matching, e.g. of ``"true"^^xsd:boolean``, is the engine's own). ``fast`` is
    False when the vocabulary itself holds what the fast path does not model (observations,
    slices, attachment levels, hierarchical code lists, a DSD with ``qb:measureType``); then
    every release is checked by the Recommendation's queries.
    """

    results: tuple[tuple[str, str, bool], ...]
    fast: bool
    subjects: frozenset[Any]
    structure: dict[Any, tuple[Any, ...]]
    dimensions: dict[Any, tuple[Any, ...]]
    measures: dict[Any, tuple[Any, ...]]
    measure_count: dict[Any, int]
    required: dict[Any, tuple[Any, ...]]
    code_lists: dict[Any, tuple[tuple[str, Any], ...]]
    concepts: frozenset[Any]
    in_scheme: dict[Any, frozenset[Any]]
    members: dict[Any, frozenset[Any]]

    @classmethod
    def of(cls, vocabulary: Iterable[ox.Triple | ox.Quad]) -> CubeVocabulary:
        """Normalise the vocabulary (§11.1), run every constraint on it, read the tables."""
        default = ox.DefaultGraph()
        mem = ox.Store()
        mem.extend(ox.Quad(t.subject, t.predicate, t.object, default) for t in vocabulary)
        results = tuple((r.constraint, r.title, r.passed) for r in _normalise_and_check(mem, ""))
        unmodelled = """ASK {
          { ?o a qb:Observation } UNION { ?o qb:dataSet ?d } UNION { ?s qb:observation ?o }
          UNION { ?s a qb:Slice } UNION { ?s qb:slice ?x } UNION { ?s qb:sliceStructure ?x }
          UNION { ?s qb:componentAttachment ?x } UNION { ?s a qb:HierarchicalCodeList }
          UNION { ?s qb:parentChildProperty ?x } UNION { ?s qb:hierarchyRoot ?x }
          UNION { ?d qb:component/qb:componentProperty qb:measureType }
        }"""
        fast = not _ask(mem, unmodelled)
        subjects = frozenset(q.subject for q in mem.quads_for_pattern(None, None, None, default))
        structure: dict[Any, list[Any]] = {}
        for ds, dsd in _rows(mem, "SELECT ?ds ?dsd { ?ds qb:structure ?dsd }", "ds", "dsd"):
            structure.setdefault(ds, []).append(dsd)

        def per_dsd(query: str) -> dict[Any, tuple[Any, ...]]:
            out: dict[Any, list[Any]] = {}
            for dsd, prop in _rows(mem, query, "dsd", "p"):
                if prop not in out.setdefault(dsd, []):
                    out[dsd].append(prop)
            return {k: tuple(v) for k, v in out.items()}

        dimensions = per_dsd(
            "SELECT ?dsd ?p { ?dsd qb:component/qb:componentProperty ?p . "
            "?p a qb:DimensionProperty }"
        )
        measures = per_dsd(
            "SELECT ?dsd ?p { ?dsd qb:component/qb:componentProperty ?p . ?p a qb:MeasureProperty }"
        )
        required = per_dsd(
            'SELECT ?dsd ?p { ?dsd qb:component ?c . ?c qb:componentRequired "true"^^xsd:boolean ;'
            " qb:componentProperty ?p }"
        )
        # IC-17's own count: one per (component, measure) solution, not per distinct measure
        counted = _rows(
            mem,
            "SELECT ?dsd (COUNT(?m) AS ?n) WHERE { ?dsd qb:component/qb:componentProperty ?m. "
            "?m a qb:MeasureProperty . } GROUP BY ?dsd",
            "dsd",
            "n",
        )
        measure_count = {dsd: int(n.value) for dsd, n in counted}
        # IC-19: each dimension's code lists, by kind; what the vocabulary says of codes
        code_lists: dict[Any, list[tuple[str, Any]]] = {}
        for dim, lst, kind in _rows(
            mem,
            "SELECT DISTINCT ?dim ?list ?kind { ?dim a qb:DimensionProperty ; qb:codeList ?list . "
            "{ ?list a skos:ConceptScheme BIND('s' AS ?kind) } UNION "
            "{ ?list a skos:Collection BIND('c' AS ?kind) } }",
            "dim",
            "list",
            "kind",
        ):
            code_lists.setdefault(dim, []).append((kind.value, lst))
        in_scheme: dict[Any, set[Any]] = {}
        for lst, code in _rows(mem, "SELECT ?list ?v { ?v skos:inScheme ?list }", "list", "v"):
            in_scheme.setdefault(lst, set()).add(code)
        members: dict[Any, set[Any]] = {}
        for lst, code in _rows(
            mem,
            "SELECT DISTINCT ?list ?v { ?list a skos:Collection . ?list skos:member+ ?v }",
            "list",
            "v",
        ):
            members.setdefault(lst, set()).add(code)
        concepts = frozenset(v for (v,) in _rows(mem, "SELECT ?v { ?v a skos:Concept }", "v"))
        return cls(
            results=results,
            fast=fast,
            subjects=subjects,
            structure={k: tuple(v) for k, v in structure.items()},
            dimensions=dimensions,
            measures=measures,
            measure_count=measure_count,
            required=required,
            code_lists={k: tuple(v) for k, v in code_lists.items()},
            concepts=concepts,
            in_scheme={k: frozenset(v) for k, v in in_scheme.items()},
            members={k: frozenset(v) for k, v in members.items()},
        )

    def check(
        self, graph: str, triples: Iterable[ox.Triple | ox.Quad]
    ) -> list[ConstraintResult] | None:
        """IC-1 … IC-21 on the vocabulary with ``triples`` (the graph ``graph``), or ``None``
        when the graph holds what the fast path does not model (see :func:`fast_violations`)."""
        violated = fast_violations(self, triples) if self.fast else None
        if violated is None:
            return None
        return [
            ConstraintResult(graph, ic, title, passed and ic not in violated)
            for ic, title, passed in self.results
        ]


def fast_violations(
    vocab: CubeVocabulary, triples: Iterable[ox.Triple | ox.Quad]
) -> set[str] | None:
    """The per-release constraints (:data:`PER_RELEASE`) that the observations of ``triples``
    violate, or ``None`` when the graph is outside what this models.

    Why it equals the Recommendation's queries on vocabulary ∪ graph: the graph is taken only
    when it uses no structure predicate or class (:data:`STRUCTURE_PREDICATES`,
    :data:`STRUCTURE_TYPES`; the codes it defines, ``skos:Concept`` and ``skos:inScheme``, are
    added to IC-19's code lists), says nothing about a subject of the vocabulary, and every
    observation has exactly one ``qb:dataSet``, one of the vocabulary's data sets with exactly
    one ``qb:structure``, and at most one value, an IRI or blank node, per dimension. Then no
    triple of the graph matches a pattern of IC-2 … IC-10, IC-15, IC-16, IC-18, IC-20, IC-21
    (the vocabulary decides them), the normalisation adds only the observations' types, IC-1
    holds, and the other constraints reduce to the set arithmetic below, where ``=`` and
    ``!=`` on IRIs and blank nodes are term identity. tests/test_fast_datacube.py checks it
    against the queries on mutations of real releases.
    """
    by_subject: dict[Any, dict[Any, list[Any]]] = {}
    concepts: set[Any] = set()  # what the graph adds to the code lists (its area groups)
    in_scheme: set[tuple[Any, Any]] = set()
    for t in triples:
        p, o = t.predicate, t.object
        if p in STRUCTURE_PREDICATES or (p == _RDF_TYPE and o in STRUCTURE_TYPES):
            return None
        if p == _RDF_TYPE and o == _CONCEPT:
            concepts.add(t.subject)
        elif p == _IN_SCHEME:
            in_scheme.add((t.subject, o))
        by_subject.setdefault(t.subject, {}).setdefault(p, []).append(o)

    def coded(v: Any, kind: str, lst: Any) -> bool:
        """IC-19's test of one value against one code list, over vocabulary ∪ graph."""
        if v not in vocab.concepts and v not in concepts:
            return False
        if kind == "c":
            return v in vocab.members.get(lst, ())
        return v in vocab.in_scheme.get(lst, ()) or (v, lst) in in_scheme

    if not vocab.subjects.isdisjoint(by_subject):
        return None
    violated: set[str] = set()
    # observations by data set: (observation, its properties, its DSD)
    groups: dict[Any, list[tuple[Any, dict[Any, list[Any]], Any]]] = {}
    for subject, props in by_subject.items():
        datasets = props.get(_DATASET)
        if datasets is None:
            if _OBSERVATION in props.get(_RDF_TYPE, ()):
                return None  # IC-1: left to the queries
            continue
        if len(set(datasets)) != 1 or len(datasets) != 1:
            return None
        dsds = vocab.structure.get(datasets[0], ())
        if len(dsds) != 1:
            return None
        dsd = dsds[0]
        for dim in vocab.dimensions.get(dsd, ()):
            values = props.get(dim, ())
            if len(values) > 1 or any(isinstance(v, ox.Literal) for v in values):
                return None
        groups.setdefault(datasets[0], []).append((subject, props, dsd))
    for observations in groups.values():
        for _, props, dsd in observations:
            dims = vocab.dimensions.get(dsd, ())
            if any(dim not in props for dim in dims):
                violated.add("IC-11")
            if any(p not in props for p in vocab.required.get(dsd, ())):
                violated.add("IC-13")
            if any(m not in props for m in vocab.measures.get(dsd, ())):
                violated.add("IC-14")
            for dim in dims:
                for kind, lst in vocab.code_lists.get(dim, ()):
                    if not all(coded(v, kind, lst) for v in props.get(dim, ())):
                        violated.add("IC-19")
        if _duplicates(vocab, observations):
            violated.add("IC-12")
        if _measure_points_wrong(vocab, observations):
            violated.add("IC-17")
    return violated


def _key(vocab: CubeVocabulary, props: dict[Any, list[Any]], dsd: Any) -> tuple[Any, ...]:
    """The observation's dimension values in DSD order (``None`` where it has none)."""
    return tuple(props[d][0] if d in props else None for d in vocab.dimensions.get(dsd, ()))


def _agree(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[bool, bool]:
    """(no dimension where both have a value and the values differ, some such dimension)."""
    shared = False
    for x, y in zip(a, b, strict=True):
        if x is not None and y is not None:
            if x != y:
                return False, True
            shared = True
    return True, shared


def _duplicates(vocab: CubeVocabulary, observations: list[tuple[Any, Any, Any]]) -> bool:
    """IC-12: two observations whose dimension values, where both have one, are all equal
    (and there is at least one such dimension: the query's MIN over no rows is no group)."""
    keys = [_key(vocab, props, dsd) for _, props, dsd in observations]
    complete: dict[tuple[Any, ...], int] = {}
    partial = []
    for key in keys:
        if None in key:
            partial.append(key)
        else:
            if key and key in complete:
                return True
            complete[key] = 1
    for i, key in enumerate(partial):
        others = [*complete, *partial[:i], *partial[i + 1 :]]
        if any(all(_agree(key, other)) for other in others):
            return True
    return False


def _measure_points_wrong(vocab: CubeVocabulary, observations: list[tuple[Any, Any, Any]]) -> bool:
    """IC-17: an observation with ``qb:measureType`` whose count of (other observation at the
    same point, its measure type) solutions, times its own measure types, is not its DSD's
    number of measures. An observation is at its own point (one value per dimension)."""
    keyed = [
        (_key(vocab, props, dsd), len(props.get(_MEASURE_TYPE, ())), dsd)
        for _, props, dsd in observations
    ]
    typed = [(key, n) for key, n, _ in keyed if n]
    by_key: dict[tuple[Any, ...], int] = {}
    partial: list[tuple[tuple[Any, ...], int]] = []
    for key, n in typed:
        if None in key:
            partial.append((key, n))
        else:
            by_key[key] = by_key.get(key, 0) + n
    for key, n, dsd in keyed:
        if not n or dsd not in vocab.measure_count:
            continue
        if None in key:
            solutions = sum(m for other, m in typed if _agree(key, other)[0])
        else:
            solutions = by_key.get(key, 0) + sum(m for other, m in partial if _agree(key, other)[0])
        if solutions and n * solutions != vocab.measure_count[dsd]:  # no solution: no group
            return True
    return False


def observation_graphs(store: ox.Store) -> list[str]:
    """The graphs that hold observations: every release graph, then the corrections graph."""
    names = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    releases = [g for g in names if g.startswith(f"{NKG}release/")]
    return releases + [g for g in names if g == CORRECTIONS_GRAPH]


def check_store(store: ox.Store) -> DataCubeReport:
    """Run every integrity constraint on every observation graph of ``store``."""
    results: list[ConstraintResult] = []
    for graph in observation_graphs(store):
        results += check_graph(store, graph)
    return DataCubeReport(tuple(results))
