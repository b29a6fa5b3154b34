"""Check the ontology, its vocabularies and (on request) the data with the OWL API and HermiT.

Why: SHACL checks the shape of data, not its logic. A concept typed both as a person and an
agency, or a functional property given two values, makes the OWL theory inconsistent, and
any reasoner a user loads the graph into would then derive everything. And a graph outside
OWL 2 DL (an undeclared annotation property, a datatype HermiT refuses) cannot be loaded into a
DL reasoner at all. HermiT decides consistency; the OWL API's ``OWL2DLProfile`` says whether the
graph is in OWL 2 DL. Both ship inside owlready2 (``owlready2/hermit/HermiT.jar``), so nothing is
downloaded; they are called from a small Java program, ``kg/checks/java/OwlCheck.java``, run as
a single-file source program (``java -cp HermiT.jar OwlCheck.java``; needs a JDK 11+).

Why not ``owlready2.sync_reasoner_hermit``: it cannot pass HermiT's ``ignoreUnsupportedDatatypes``,
and HermiT refuses every literal whose datatype is outside the OWL 2 datatype map — even a
declared one (``xsd:date`` under ``time:inXSDDate`` and ``dcterms:issued``, the code datatypes of
``ontology/vocab/jurisdictions.ttl``). Those values stay as the standards say (OWL-Time, DCAT);
the datatypes are declared (``rdfs:Datatype``, OWL 2 §5.2), the assertions that use them are left
out of the consistency check (no axiom of ours constrains them) and the report says how many
(docs/decisions/20261129-owl2-dl-data.md).

The graph is written as RDF/XML (the OWL API 3 Turtle parser trips on some escapes) to a
private temporary folder.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from kg.errors import InputError
from kg.rdf.ontology import load_ontology_graph

OWL_CHECK_SOURCE = Path(__file__).with_name("java") / "OwlCheck.java"
"""The Java program that runs the OWL API profile checker and HermiT."""


@dataclass(frozen=True)
class OwlCheck:
    """What the OWL API and HermiT said about one graph.

    Attributes:
        consistent: HermiT found no contradiction (assertions with unsupported datatypes left out).
        violations: OWL 2 DL profile violations, in the OWL API's words; empty when in OWL 2 DL.
        unsupported: (datatype IRI, number of axioms using it) for each datatype outside the OWL 2
            datatype map, whose assertions HermiT left out.
        triples: size of the checked graph.
    """

    consistent: bool
    violations: tuple[str, ...]
    unsupported: tuple[tuple[str, int], ...]
    triples: int

    @property
    def in_owl2_dl(self) -> bool:
        """True iff the OWL API's OWL 2 DL profile checker found no violation."""
        return not self.violations

    def consistency_line(self) -> str:
        """One line: whether HermiT found a contradiction."""
        if self.consistent:
            return f"consistent: HermiT found no contradiction in {self.triples} triples"
        return f"inconsistent: HermiT found a contradiction in {self.triples} triples"

    def profile_line(self) -> str:
        """One line: in OWL 2 DL, or the first violation and how many more."""
        if not self.violations:
            found = "the OWL API profile checker found no violation"
            return f"OWL 2 DL: {found} in {self.triples} triples"
        more = f" (and {len(self.violations) - 1} more)" if len(self.violations) > 1 else ""
        return f"not OWL 2 DL: {self.violations[0]}{more}"

    def unsupported_line(self) -> str | None:
        """One line naming the datatypes HermiT could not reason over, or None."""
        if not self.unsupported:
            return None
        n = sum(count for _, count in self.unsupported)
        names = ", ".join(iri for iri, _ in self.unsupported)
        return (
            f"note: {n} axioms use datatypes outside the OWL 2 datatype map "
            f"(declared, not reasoned over by HermiT): {names}"
        )


@dataclass(frozen=True)
class ReasonerReport:
    """What HermiT concluded, in one readable message."""

    consistent: bool
    message: str
    triples: int


def hermit_jar() -> Path:
    """The HermiT jar (with the OWL API inside) that owlready2 ships.

    Found without importing owlready2 (slow to import and not needed here).
    """
    spec = importlib.util.find_spec("owlready2")
    if spec is None or not spec.submodule_search_locations:
        raise InputError(None, "owlready2 not installed: it ships the HermiT jar the check needs")
    return Path(next(iter(spec.submodule_search_locations))) / "hermit" / "HermiT.jar"


def run_owl_check(graph: Graph) -> OwlCheck:
    """Run the OWL 2 DL profile check and HermiT on ``graph`` (one Java run).

    Raises:
        InputError: Java is missing or cannot compile the check (a JRE without the JDK's
            compiler), or the OWL API cannot read the graph: environment problems, not
            inconsistencies.
    """
    java = shutil.which("java")
    if java is None:
        raise InputError(None, "java not found: HermiT needs a Java runtime (17 or newer) on PATH")
    with tempfile.TemporaryDirectory(prefix="narcokg-reason-") as tmp:
        path = Path(tmp) / "graph.owl"
        graph.serialize(destination=path, format="xml", encoding="utf-8")
        done = subprocess.run(
            [java, "-Xmx2000M", "-cp", str(hermit_jar()), str(OWL_CHECK_SOURCE), str(path)],
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
    facts = [line.split("\t") for line in done.stdout.splitlines() if "\t" in line]
    for fact in facts:
        if fact[0] == "unparsable":
            raise InputError(None, f"the OWL API cannot read the graph: {fact[1][:300]}")
    verdict = [f[1] for f in facts if f[0] == "consistent"]
    if done.returncode != 0 or not verdict:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
        raise InputError(
            None, f"the OWL check could not run (java with a JDK 11+ compiler needed): {last}"
        )
    return OwlCheck(
        consistent=verdict[0] == "true",
        violations=tuple(f[1] for f in facts if f[0] == "violation"),
        unsupported=tuple((f[1], int(f[2])) for f in facts if f[0] == "unsupported"),
        triples=len(graph),
    )


def _merged(ontology: Graph | None, extra: Graph | None) -> Graph:
    graph = Graph()
    for triple in ontology if ontology is not None else load_ontology_graph():
        graph.add(triple)
    if extra is not None:
        for triple in extra:
            graph.add(triple)
    return graph


def check_consistency(
    extra: Graph | None = None, *, ontology: Graph | None = None
) -> ReasonerReport:
    """Run HermiT on the ontology + vocabularies (+ ``extra`` triples when given).

    Raises :class:`InputError` when Java is missing, since the check cannot then be made:
    that is an environment problem, not an inconsistency.
    """
    result = run_owl_check(_merged(ontology, extra))
    return ReasonerReport(result.consistent, result.consistency_line(), result.triples)


def check_data(data: Graph, *, ontology: Graph | None = None) -> OwlCheck:
    """Consistency and OWL 2 DL profile of the ontology, vocabularies and ``data`` together.

    Why together: a graph can be consistent and in OWL 2 DL alone and not once merged (a
    property used as an annotation in the data but declared a datatype property in the TBox
    is punning OWL 2 DL forbids; an individual typed with two disjoint classes).
    """
    return run_owl_check(_merged(ontology, data))


def check_store(store_dir: Path) -> OwlCheck:
    """:func:`check_data` on everything a store holds, merged into one graph.

    The store's vocabulary graph carries the ontology and vocabularies as they were built, so
    the project's files are not added (they may have changed since).

    Raises:
        KgError: no store at ``store_dir``, or a store without the ontology (never built).
    """
    from rdflib import OWL, RDF

    from kg.store.embedded import store_at, to_dataset

    with store_at(store_dir, create=False) as store:
        dataset = to_dataset(store)
    merged = Graph()
    for s, p, o, _ in dataset.quads():
        merged.add((s, p, o))
    if (None, RDF.type, OWL.Ontology) not in merged:
        raise InputError(store_dir, "the store holds no ontology graph; run `narcokg build`")
    return check_data(merged, ontology=Graph())
