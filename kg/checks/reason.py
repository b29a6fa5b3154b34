"""Check that the ontology and its vocabularies are consistent, with owlready2 and HermiT.

Why: SHACL checks the shape of data, not its logic. A concept typed both as a person and an
agency, or a functional property given two values, makes the OWL theory inconsistent, and
any reasoner a user loads the graph into would then derive everything. HermiT (Java, shipped
inside owlready2) decides that for the TBox, the SKOS vocabularies and, on request, extra data.

owlready2 reads RDF/XML, OWL/XML and N-Triples from files; the graph is written to a
temporary N-Triples file in a private directory and loaded into a fresh ``World`` so that
nothing leaks between checks.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from kg.errors import InputError
from kg.rdf.ontology import load_ontology_graph


@dataclass(frozen=True)
class ReasonerReport:
    """What HermiT concluded, in one readable message."""

    consistent: bool
    message: str
    triples: int


def check_consistency(
    extra: Graph | None = None, *, ontology: Graph | None = None
) -> ReasonerReport:
    """Run HermiT on the ontology + vocabularies (+ ``extra`` triples when given).

    Raises :class:`InputError` when Java is missing, since the check cannot then be made:
    that is an environment problem, not an inconsistency.
    """
    import owlready2  # heavy: imported only when reasoning

    if shutil.which(owlready2.JAVA_EXE) is None and shutil.which("java") is None:
        raise InputError(None, "java not found: HermiT needs a Java runtime (17 or newer) on PATH")
    graph = Graph()
    for triple in ontology if ontology is not None else load_ontology_graph():
        graph.add(triple)
    if extra is not None:
        for triple in extra:
            graph.add(triple)
    with tempfile.TemporaryDirectory(prefix="narcokg-reason-") as tmp:
        path = Path(tmp) / "ontology.nt"
        graph.serialize(destination=path, format="nt", encoding="utf-8")
        world = owlready2.World()
        with contextlib.redirect_stderr(io.StringIO()):
            # owlready2 warns that qb component properties are both OWL properties and
            # instances of qb:DimensionProperty etc. (OWL 2 punning); expected, not news.
            onto = world.get_ontology(path.as_uri()).load(format="ntriples")
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            return ReasonerReport(False, _explain(world, len(graph)), len(graph))
        finally:
            world.close()
    return ReasonerReport(
        True, f"consistent: HermiT found no contradiction in {len(graph)} triples", len(graph)
    )


def _explain(world: object, size: int) -> str:
    """Name what HermiT found unsatisfiable, when owlready2 tells (it often does not)."""
    try:
        nothing = list(world.inconsistent_classes())  # type: ignore[attr-defined]
    except Exception:  # owlready2 may have nothing more to say after an inconsistency
        nothing = []
    detail = f"; unsatisfiable: {', '.join(str(c) for c in nothing[:10])}" if nothing else ""
    return f"inconsistent: HermiT found a contradiction in {size} triples{detail}"
