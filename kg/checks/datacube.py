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


@dataclass(frozen=True)
class ConstraintResult:
    """Whether one graph (with the vocabulary) meets one integrity constraint."""

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
        for graph in dict.fromkeys(r.graph for r in self.results):
            mine = [r for r in self.results if r.graph == graph]
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

    def __init__(self, vocabulary: Iterable[ox.Triple | ox.Quad]) -> None:
        default = ox.DefaultGraph()
        self._vocabulary = [ox.Quad(t.subject, t.predicate, t.object, default) for t in vocabulary]

    @classmethod
    def of_store(cls, store: ox.Store) -> CubeChecker:
        """A checker with the vocabulary graph of ``store``."""
        return cls(store.quads_for_pattern(None, None, None, ox.NamedNode(str(VOCABULARY_GRAPH))))

    def check(self, graph: str, triples: Iterable[ox.Triple | ox.Quad]) -> list[ConstraintResult]:
        """Run IC-1 … IC-21 on ``triples`` (the content of ``graph``) with the vocabulary."""
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
