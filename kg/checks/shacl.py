"""Validate release graphs (and the vocabulary) against the SHACL shapes in ``shapes/``.

Why: the shapes are the executable form of docs/model.md. Each release graph is validated on
its own, with the vocabulary graph merged in (so class hierarchies and concept types are
visible), which keeps every run small (a few thousand triples) and lets a report say which
release is at fault. Vocabulary shapes (``entity.ttl``) are checked once, against the
vocabulary graph alone, rather than again for every release.

The result is a plain :class:`ValidationReport` of :class:`Finding` records rather than
pySHACL's results graph: callers (the CLI, tests) need to know which shape fired on which focus
node, and whether anything at sh:Violation severity was found. Warnings (malformed figures as
printed in the source) and Info (unlinked mentions) come from the report shapes
(``shapes/report/``), are reported beside the verdict and do not break conformance, as the
severity policy in shapes/README.md says; the conformance shapes give only Violations.

Not done here: cross-release checks and reasoning (kg/checks/reason.py). pySHACL is imported inside
:func:`validate` because it is slow to import and ``narcokg --help`` must stay fast.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import RDF, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from kg import resources
from kg.errors import InputError
from kg.namespaces import CORRECTIONS_GRAPH, PREFIXES, RELEASE_GRAPH_PREFIX, VOCABULARY_GRAPH

SH = Namespace("http://www.w3.org/ns/shacl#")
NKS = Namespace("https://w3id.org/narcotics-kg/shapes#")

VOCABULARY_SHAPE_FILES = frozenset({"entity.ttl"})
"""Shape files applied to the vocabulary graph (once) instead of to each release graph."""

REPORT_SHAPES_DIR = "report"
"""Subfolder of report shapes (sh:Warning / sh:Info: malformed and implausible figures, unlinked
mentions). They run with the release shapes, but the conformance shapes (``shapes/*.ttl``)
never give a result on well-formed data, so a standard engine says ``sh:conforms true`` for it
(SHACL §3.6.1: any result, whatever its severity, makes sh:conforms false). See
docs/decisions/20261129-conformance-and-report-shapes.md."""

CORRECTION_SHAPE_FILE = "correction.ttl"
"""The corrections graph (revised figures) is validated, with the vocabulary, against this file
alone: the spans and releases its figures point to are in the release graphs."""


class Severity(str, enum.Enum):
    """SHACL result severities (SHACL §2.1.5), most serious first."""

    VIOLATION = "Violation"
    WARNING = "Warning"
    INFO = "Info"


_RANK = {s: i for i, s in enumerate(Severity)}


@dataclass(frozen=True)
class Finding:
    """One SHACL validation result, with IRIs as plain strings.

    Attributes:
        graph: IRI of the named graph that was validated.
        focus_node: the node the shape was checked on (IRI, or ``_:id`` for a blank node).
        shape: IRI of the shape that fired (``sh:sourceShape``): the named property shape for a
            property constraint, the node shape for node-level and SPARQL constraints.
        path: the ``sh:resultPath`` IRI, if any.
        severity: "Violation", "Warning" or "Info".
        message: the shape's ``sh:message`` (with SPARQL variables filled in).
        value: the offending ``sh:value`` as text, if any.
    """

    graph: str
    focus_node: str
    shape: str
    path: str | None
    severity: Severity
    message: str
    value: str | None


@dataclass(frozen=True)
class ValidationReport:
    """Everything the shapes found, over every validated graph.

    Attributes:
        findings: all findings, ordered by graph, severity, shape and focus node.
        graphs: IRIs of the graphs validated (including those with no finding).
    """

    findings: tuple[Finding, ...]
    graphs: tuple[str, ...] = ()

    @property
    def conforms(self) -> bool:
        """True iff there is no Violation; Warnings and Info do not break conformance."""
        return not any(f.severity is Severity.VIOLATION for f in self.findings)

    def counts(self, graph: str | None = None) -> dict[Severity, int]:
        """Number of findings per severity, over all graphs or for one graph."""
        out = dict.fromkeys(Severity, 0)
        for f in self.findings:
            if graph is None or f.graph == graph:
                out[f.severity] += 1
        return out

    def by_shape(self, shape: str) -> tuple[Finding, ...]:
        """The findings of one shape (a full IRI, or a local name in the ``nks:`` namespace)."""
        if shape.startswith("nks:"):
            iri = str(NKS[shape[4:]])
        else:
            iri = shape if "://" in shape else str(NKS[shape])
        return tuple(f for f in self.findings if f.shape == iri)

    def text(self) -> str:
        """A readable report: one summary line per graph, findings grouped by severity."""
        lines = []
        graphs = list(dict.fromkeys([*self.graphs, *(f.graph for f in self.findings)]))
        # counted in one pass: a count per graph over every finding was quadratic (18 s of a
        # 10,000-release report)
        per_graph = {g: dict.fromkeys(Severity, 0) for g in graphs}
        for f in self.findings:
            per_graph[f.graph][f.severity] += 1
        for g in graphs:
            c = per_graph[g]
            lines.append(
                f"{_short(g)}: {c[Severity.VIOLATION]} violations, "
                f"{c[Severity.WARNING]} warnings, {c[Severity.INFO]} info"
            )
        for severity in Severity:
            group = [f for f in self.findings if f.severity is severity]
            if not group:
                continue
            lines.append("")
            lines.append(f"{severity.value} ({len(group)})")
            for f in group:
                where = f"{_short(f.focus_node)} [{_short(f.shape)}]"
                if f.path:
                    where += f" {_short(f.path)}"
                lines.append(f"  {where}: {f.message}")
        if lines:
            lines.append("")
        lines.append(f"conforms: {'yes' if self.conforms else 'no'}")
        return "\n".join(lines)


_CURIES = sorted({**PREFIXES, "nks": str(NKS)}.items(), key=lambda kv: -len(kv[1]))
_PREFIX_OF = {ns: prefix for prefix, ns in reversed(_CURIES)}
# the longest namespace first, as the loop it replaces tried them (one match instead of a
# startswith per namespace: a 10,000-release report shortens 67,000 IRIs)
_NAMESPACE = re.compile("(?:" + "|".join(re.escape(ns) for _, ns in _CURIES) + r")(?=.)", re.S)


def _short(iri: str) -> str:
    """``https://w3id.org/narcotics-kg/id/release/x`` → ``nkgv:release/x``, for reading only."""
    found = _NAMESPACE.match(iri)
    if found is None:
        return iri
    return f"{_PREFIX_OF[found.group()]}:{iri[found.end() :]}"


class _PreparingGraph(Graph):
    """A graph that parses each distinct SPARQL text once and reuses the prepared query.

    Why: pySHACL runs a SPARQL-based constraint once per focus node with the same query text
    (``$this`` is passed as an initial binding), and rdflib would parse that text every time
    (~9 ms, against ~0.3 ms to evaluate it): without this cache, parsing is nearly all of the
    validation time of a release graph.
    """

    def __init__(self) -> None:
        super().__init__()
        self._prepared: dict[str, Any] = {}

    def query(  # type: ignore[override]
        self,
        query_object: Any,
        processor: Any = "sparql",
        result: Any = "sparql",
        initNs: Any = None,
        initBindings: Any = None,
        use_store_provided: bool = True,
        **kwargs: Any,
    ) -> Any:
        """Like :meth:`rdflib.Graph.query`, with SPARQL strings prepared once."""
        if isinstance(query_object, str) and processor == "sparql" and not initNs:
            prepared = self._prepared.get(query_object)
            if prepared is None:
                from rdflib.plugins.sparql import prepareQuery

                prepared = self._prepared[query_object] = prepareQuery(query_object)
            query_object = prepared
        return super().query(
            query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs
        )


def load_shapes(shapes_dir: Path | None = None) -> tuple[Graph, Graph]:
    """Parse every ``*.ttl`` in ``shapes_dir``: (release shapes, vocabulary shapes).

    The release shapes are the conformance shapes plus the report shapes of ``report/*.ttl``:
    one run finds both, and :attr:`ValidationReport.conforms` counts Violations only, which
    come from the conformance shapes alone (tests/test_conformance_shapes.py checks
    the split).

    Raises:
        InputError: the folder holds no shapes, or a file is not valid Turtle.
    """
    folder = shapes_dir or resources.shapes_dir()
    files = sorted(folder.glob("*.ttl"))
    if not files:
        raise InputError(folder, "no SHACL shapes (*.ttl) found")
    files += sorted((folder / REPORT_SHAPES_DIR).glob("*.ttl"))
    release, vocabulary = Graph(), Graph()
    for path in files:
        try:
            part = Graph().parse(path, format="turtle")
        except Exception as exc:  # rdflib raises BadSyntax, ValueError, ... for bad Turtle
            raise InputError(path, f"not valid Turtle: {_one_line(exc)}") from exc
        target = vocabulary if path.name in VOCABULARY_SHAPE_FILES else release
        target += part
    return release, vocabulary


def _one_line(exc: Exception) -> str:
    why, lines = getattr(exc, "_why", None), getattr(exc, "lines", None)
    if why is not None and isinstance(lines, int):
        return f"line {lines + 1}: {why}"
    return " ".join(str(exc).split())[:300]


def validate(dataset: Dataset, *, shapes_dir: Path | None = None) -> ValidationReport:
    """Validate each release graph (with the vocabulary merged in), then the vocabulary.

    Args:
        dataset: quads; release graphs are those named ``nkg:release/<id>``, the vocabulary is
            ``nkg:vocabulary`` (optional: without it, release graphs are validated alone).
        shapes_dir: folder of ``*.ttl`` shapes; default :func:`kg.resources.shapes_dir`.

    Returns:
        A report whose ``conforms`` is False iff some shape reported a Violation.

    Raises:
        InputError: a shapes file is missing, not Turtle, or not usable SHACL.
    """
    from pyshacl import validate as shacl_validate
    from pyshacl.errors import ConstraintLoadError, ShapeLoadError

    release_shapes, vocabulary_shapes = load_shapes(shapes_dir)
    folder = shapes_dir or resources.shapes_dir()
    vocabulary = dataset.graph(VOCABULARY_GRAPH) if _has_graph(dataset, VOCABULARY_GRAPH) else None

    def run(graph_iri: str, data: Graph, shapes: Graph) -> list[Finding]:
        try:
            _, results, _ = shacl_validate(
                data,
                shacl_graph=shapes,
                inference="none",
                advanced=False,
                abort_on_first=False,
                allow_infos=True,
                allow_warnings=True,
                inplace=True,  # ``data`` is already a private copy
            )
        except (ConstraintLoadError, ShapeLoadError) as exc:
            raise InputError(folder, f"not usable SHACL: {_one_line(exc)}") from exc
        if not isinstance(results, Graph):  # pySHACL reports some shape errors this way
            raise InputError(folder, f"not usable SHACL: {_one_line(results)}")
        return list(_findings(graph_iri, results))

    findings: list[Finding] = []
    graphs: list[str] = []
    release_iris = sorted(
        str(g.identifier)
        for g in dataset.graphs()
        if str(g.identifier).startswith(RELEASE_GRAPH_PREFIX)
    )
    for iri in release_iris:
        data = _PreparingGraph()
        data += dataset.graph(URIRef(iri))
        if vocabulary is not None:
            data += vocabulary
        findings += run(iri, data, release_shapes)
        graphs.append(iri)
    correction_shapes = folder / CORRECTION_SHAPE_FILE
    if _has_graph(dataset, URIRef(CORRECTIONS_GRAPH)) and correction_shapes.is_file():
        data = _PreparingGraph()
        data += dataset.graph(URIRef(CORRECTIONS_GRAPH))
        if vocabulary is not None:
            data += vocabulary
        findings += run(CORRECTIONS_GRAPH, data, Graph().parse(correction_shapes, format="turtle"))
        graphs.append(CORRECTIONS_GRAPH)
    if vocabulary is not None and len(vocabulary_shapes):
        data = _PreparingGraph()
        data += vocabulary
        findings += run(str(VOCABULARY_GRAPH), data, vocabulary_shapes)
        graphs.append(str(VOCABULARY_GRAPH))
    findings.sort(
        key=lambda f: (
            f.graph,
            _RANK[f.severity],
            f.shape,
            f.focus_node,
            f.path or "",
            f.value or "",
        )
    )
    return ValidationReport(findings=tuple(findings), graphs=tuple(graphs))


def _has_graph(dataset: Dataset, iri: URIRef) -> bool:
    return any(g.identifier == iri and len(g) for g in dataset.graphs())


def _text(node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def _findings(graph_iri: str, results: Graph) -> Iterable[Finding]:
    """Turn pySHACL's results graph (SHACL §3.6) into :class:`Finding` records."""
    for result in set(results.subjects(RDF.type, SH.ValidationResult)):
        severity = results.value(result, SH.resultSeverity)
        messages = sorted(str(m) for m in results.objects(result, SH.resultMessage))
        value = results.value(result, SH.value)
        yield Finding(
            graph=graph_iri,
            focus_node=_text(results.value(result, SH.focusNode)) or "",
            shape=_text(results.value(result, SH.sourceShape)) or "",
            path=_text(results.value(result, SH.resultPath)),
            severity=Severity(str(severity).rsplit("#", 1)[-1]) if severity else Severity.VIOLATION,
            message=" ".join(messages[0].split()) if messages else "",
            value=str(value) if isinstance(value, (Literal, URIRef)) else _text(value),
        )
