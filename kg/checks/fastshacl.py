"""Fast SHACL validation: the shapes of ``shapes/`` compiled to SPARQL, run per release graph.

Why: pySHACL (kg/checks/shacl.py, the reference) validates about 3,000 triples/s here, half an hour
for 10,000 releases. The shapes use a small part of SHACL Core plus SPARQL-based constraints,
and each part has a direct SPARQL form; Oxigraph evaluates those in Rust, with no copy into
rdflib. So this module reads the same shapes graph, turns every (node shape, constraint) pair
into one check with its own query (:class:`CompiledShapes`), and runs the checks once per
release graph with release ∪ vocabulary as the default graph (the same data graph pySHACL
sees): checks of SHACL Core with one focus pattern share a query (:func:`plan`), and a release
is checked in an in-memory store of its own (:func:`merged_findings`). The vocabulary and
corrections graphs, a fixed size whatever the number of releases, are still validated by the
reference.

The contract: for every input, :func:`kg.checks.releases.validate_store` returns the same
:class:`~kg.checks.shacl.ValidationReport` as ``kg.checks.shacl.validate`` (same findings: graph,
focus node, source shape, path, severity, message, value).
tests/test_parallel_build_and_fast_shacl.py checks it on every fixture, on mutations that make each
supported constraint fire, and on a build. Anything this compiler does not know (other constraint
components, non-IRI paths, shapes without sh:message, deactivated shapes, ...) raises
:class:`Unsupported`, and :func:`validate_store` then falls back to the reference for the whole run
rather than guess.

Known difference, outside the contract: the two SPARQL engines disagree on ``SUBSTR`` with a
start below 1 (Oxigraph follows XPath ``fn:substring``, rdflib does not), so the text of a
QuoteMatchesTextShape message can differ when ``oa:start`` is negative, which
TextPositionSelector-start reports anyway.

Supported: targets (class with rdfs:subClassOf*, subjects-of, objects-of, node); property
shapes with an IRI path and minCount, maxCount, hasValue, datatype, nodeKind, pattern (+flags),
minLength, maxLength, in, class, min/maxInclusive, min/maxExclusive, lessThan, or,
qualifiedValueShape with qualifiedMin/MaxCount; node-level or/value constraints; SELECT-based
sh:sparql constraints on node shapes (``$this`` pre-bound by joining the focus nodes first).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pyoxigraph as ox
from rdflib import RDF, XSD, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kg import resources
from kg.checks.shacl import (
    _RANK,
    RELEASE_GRAPH_PREFIX,
    SH,
    Finding,
    Severity,
    ValidationReport,
)
from kg.namespaces import VOCABULARY_GRAPH

RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
Progress = Callable[[str], None]

_CHECK = "nkfvCheck"
_CASTS = {
    XSD.decimal,
    XSD.integer,
    XSD.double,
    XSD.float,
    XSD.boolean,
    XSD.dateTime,
    XSD.date,
}
"""Datatypes whose well-formedness SPARQL can test by casting (an ill-typed literal fails)."""

_NODE_KINDS = {
    SH.IRI: "isIRI(?v)",
    SH.BlankNode: "isBlank(?v)",
    SH.Literal: "isLiteral(?v)",
    SH.BlankNodeOrIRI: "!isLiteral(?v)",
    SH.BlankNodeOrLiteral: "!isIRI(?v)",
    SH.IRIOrLiteral: "!isBlank(?v)",
}
_COMPARE = {
    SH.minInclusive: ">=",
    SH.maxInclusive: "<=",
    SH.minExclusive: ">",
    SH.maxExclusive: "<",
}
_VALUE_COMPONENTS = {
    SH.datatype,
    SH.nodeKind,
    SH.pattern,
    SH.flags,
    SH.minLength,
    SH.maxLength,
    SH["in"],
    SH["class"],
    SH["or"],
    SH.node,
    *_COMPARE,
}
_SHAPE_KEYS = {
    RDF.type,
    RDFS.label,
    RDFS.comment,
    SH.message,
    SH.severity,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.property,
    SH.path,
    SH.sparql,
    SH.minCount,
    SH.maxCount,
    SH.hasValue,
    SH["or"],
    SH.lessThan,
    SH.qualifiedValueShape,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    *_VALUE_COMPONENTS,
}


class Unsupported(Exception):
    """The shapes use SHACL this compiler does not translate; use the reference validator."""


@dataclass(frozen=True)
class Check:
    """One branch of the query: how its rows become findings."""

    shape: str
    severity: Severity
    messages: tuple[str, ...]
    path: str | None
    value: str  # "value": ?value is the value; "focus": the focus node; "none": no value
    sparql: bool = False


@dataclass(frozen=True)
class _Part:
    """What a check of SHACL Core asks of each focus node, for :func:`_shared_query`.

    ``kind``: "value" (``branch``: a pattern binding ``?value``, and ``?nkfvW`` for
    lessThan, with its FILTER), "absent" (no ``?this path obj`` triple; ``obj`` is a term or
    UNDEF), "node" (``expr`` fails on ``?this``), "max" (more than ``limit`` values of
    ``path``) or "qualified" (``branch``: the subquery counting ``?nkfvN`` conforming values;
    more than ``limit`` if ``expr`` is "true", fewer if "false")."""

    kind: str
    focus: str
    branch: str = ""
    expr: str = ""
    path: str = ""
    obj: str = "UNDEF"
    limit: int = 0


@dataclass
class CompiledShapes:
    """The queries to run per release graph: one per check, with the check's focus pattern.

    One query per check rather than one UNION of all: Oxigraph plans a 200-branch UNION in
    about 0.1 s, longer than evaluating all the separate queries on a release graph. But
    parsing and planning is still half the time of one query on a release graph, so the
    checks of SHACL Core that share a focus pattern are also run as a few shared queries
    (``parts``, :func:`plan`); SPARQL constraints and counts inside ``OPTIONAL`` keep their
    own query.
    """

    prologue: str
    checks: list[Check] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    focus: list[str] = field(default_factory=list)
    parts: list[_Part | None] = field(default_factory=list)
    plans: dict[tuple[int, ...], list[tuple[str, tuple[int, ...]]]] = field(default_factory=dict)
    """The queries of each set of live checks (:func:`plan`), made once."""


def _sparql_term(node: Node) -> str:
    if isinstance(node, (URIRef, Literal)):
        return node.n3()
    raise Unsupported(f"blank node {node} as a constant")


def _string(text: str) -> str:
    return Literal(text).n3()


class _Compiler:
    """Turns a shapes graph into :class:`CompiledShapes` (raises :class:`Unsupported`)."""

    def __init__(self, shapes: Graph) -> None:
        self.g = shapes
        self.branches: list[str] = []
        self.checks: list[Check] = []
        self.focuses: list[str] = []
        self.parts: list[_Part | None] = []
        self.prefixes: dict[str, str] = {}
        self.counter = 0

    # --- helpers ------------------------------------------------------------------------
    def one(self, node: Node, prop: URIRef) -> Node | None:
        values = list(self.g.objects(node, prop))
        if len(values) > 1:
            raise Unsupported(f"{node} has several {prop}")
        return values[0] if values else None

    def int_of(self, node: Node, prop: URIRef) -> int | None:
        value = self.one(node, prop)
        if value is None:
            return None
        if not isinstance(value, Literal) or not isinstance(value.toPython(), int):
            raise Unsupported(f"{node} {prop} is not an integer")
        return int(value.toPython())

    def known_keys(self, node: Node) -> None:
        for p in set(self.g.predicates(node)):
            if p not in _SHAPE_KEYS and p not in (SH.prefixes, SH.declare):
                raise Unsupported(f"{node} uses {p}")
        deactivated = self.one(node, SH.deactivated)
        if isinstance(deactivated, Literal) and deactivated.toPython() is True:
            raise Unsupported(f"{node} is deactivated")

    def messages(self, shape: Node) -> tuple[str, ...]:
        msgs = sorted(str(m) for m in self.g.objects(shape, SH.message))
        if not msgs:
            raise Unsupported(f"{shape} has no sh:message (pySHACL would generate one)")
        return tuple(msgs)

    def severity(self, shape: Node) -> Severity:
        sev = self.one(shape, SH.severity)
        if sev is None:
            return Severity.VIOLATION
        name = str(sev).rsplit("#", 1)[-1]
        try:
            return Severity(name)
        except ValueError as exc:
            raise Unsupported(f"{shape}: severity {sev}") from exc

    def path(self, shape: Node) -> URIRef:
        path = self.one(shape, SH.path)
        if not isinstance(path, URIRef):
            raise Unsupported(f"{shape}: only IRI paths are compiled")
        return path

    def add(
        self, body: str, check: Check, projection: str, focus: str, part: _Part | None = None
    ) -> None:
        k = len(self.checks)
        self.checks.append(check)
        self.focuses.append(focus)
        self.parts.append(part)
        self.branches.append(f"SELECT {projection} ({k} AS ?{_CHECK}) WHERE {{\n{body}\n}}")

    # --- targets --------------------------------------------------------------------------
    def focus(self, shape: Node) -> str | None:
        parts = []
        for c in self.g.objects(shape, SH.targetClass):
            parts.append(f"?this a/<{RDFS.subClassOf}>* {_sparql_term(c)} .")
        for p in self.g.objects(shape, SH.targetSubjectsOf):
            parts.append(f"?this {_sparql_term(p)} ?nkfvAny .")
        for p in self.g.objects(shape, SH.targetObjectsOf):
            parts.append(f"?nkfvAny {_sparql_term(p)} ?this .")
        for n in self.g.objects(shape, SH.targetNode):
            parts.append(f"VALUES ?this {{ {_sparql_term(n)} }}")
        if (shape, RDF.type, RDFS.Class) in self.g:
            raise Unsupported(f"{shape}: implicit class target")
        if not parts:
            return None
        union = " UNION ".join(f"{{ {p} }}" for p in parts)
        return f"    {{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"

    # --- value constraints as boolean expressions over ?v ----------------------------------
    def value_ok(self, shape: Node, var: str) -> list[str]:
        """Expressions that hold when ``var`` conforms to the value constraints of ``shape``."""
        out = []
        dt = self.one(shape, SH.datatype)
        if dt is not None:
            expr = f"(isLiteral(?v) && DATATYPE(?v) = {_sparql_term(dt)}"
            if dt in _CASTS:
                expr += f" && COALESCE(isLiteral({_sparql_term(dt)}(STR(?v))), false)"
            out.append(expr + ")")
        kind = self.one(shape, SH.nodeKind)
        if kind is not None:
            if not isinstance(kind, URIRef) or kind not in _NODE_KINDS:
                raise Unsupported(f"{shape}: nodeKind {kind}")
            out.append(_NODE_KINDS[kind])
        pattern = self.one(shape, SH.pattern)
        if pattern is not None:
            flags = self.one(shape, SH.flags)
            args = _string(str(pattern)) + (f", {_string(str(flags))}" if flags else "")
            out.append(f"(!isBlank(?v) && REGEX(STR(?v), {args}))")
        elif self.one(shape, SH.flags) is not None:
            raise Unsupported(f"{shape}: sh:flags without sh:pattern")
        for prop, op in ((SH.minLength, ">="), (SH.maxLength, "<=")):
            n = self.int_of(shape, prop)
            if n is not None:
                out.append(f"(!isBlank(?v) && STRLEN(STR(?v)) {op} {n})")
        for prop, op in _COMPARE.items():
            bound = self.one(shape, prop)
            if bound is not None:
                out.append(f"COALESCE(?v {op} {_sparql_term(bound)}, false)")
        members = self.one(shape, SH["in"])
        if members is not None:
            terms = [_sparql_term(t) for t in Collection(self.g, members)]
            out.append(
                "(" + " || ".join(f"sameTerm(?v, {t})" for t in terms) + ")" if terms else "false"
            )
        for cls in self.g.objects(shape, SH["class"]):
            out.append(f"EXISTS {{ ?v a/<{RDFS.subClassOf}>* {_sparql_term(cls)} }}")
        out = [e.replace("?v", var) for e in out]
        for members in self.g.objects(shape, SH["or"]):
            alts = [self.conforms(a, var) for a in Collection(self.g, members)]
            out.append("(" + " || ".join(alts) + ")" if alts else "false")
        for other in self.g.objects(shape, SH.node):
            out.append(self.conforms(other, var))
        return out

    def fresh(self) -> str:
        self.counter += 1
        return f"?nkfvX{self.counter}"

    def conforms(self, shape: Node, var: str) -> str:
        """``var`` conforms to ``shape`` (for sh:or, sh:node, sh:qualifiedValueShape), as an
        expression: its value constraints, and for a shape with a path (or each of its
        sh:property shapes) the counts and value constraints of that path."""
        self.known_keys(shape)
        if any(True for _ in self.g.objects(shape, SH.sparql)):
            raise Unsupported(f"{shape}: SPARQL constraint inside sh:or/sh:node")
        if self.one(shape, SH.path) is not None:
            return self.path_conforms(shape, var)
        parts = self.value_ok(shape, var)
        for ps in self.g.objects(shape, SH.property):
            parts.append(self.path_conforms(ps, var))
        return "(" + (" && ".join(parts) or "true") + ")"

    def path_conforms(self, shape: Node, var: str) -> str:
        self.known_keys(shape)
        p = _sparql_term(self.path(shape))
        x, y = self.fresh(), self.fresh()
        parts = []
        low, high = self.int_of(shape, SH.minCount), self.int_of(shape, SH.maxCount)
        if (low is not None and low > 1) or (high is not None and high > 1):
            raise Unsupported(f"{shape}: counts above 1 inside sh:or/sh:node")
        if low == 1:
            parts.append(f"EXISTS {{ {var} {p} {x} }}")
        if high == 0:
            parts.append(f"NOT EXISTS {{ {var} {p} {x} }}")
        if high == 1:
            parts.append(
                f"NOT EXISTS {{ {var} {p} {x} . {var} {p} {y} FILTER(!sameTerm({x}, {y})) }}"
            )
        for value in self.g.objects(shape, SH.hasValue):
            parts.append(f"EXISTS {{ {var} {p} {_sparql_term(value)} }}")
        for other in (SH.lessThan, SH.qualifiedValueShape):
            if self.one(shape, other) is not None:
                raise Unsupported(f"{shape}: {other} inside sh:or/sh:node")
        inner = self.value_ok(shape, x)
        if inner:
            parts.append(f"NOT EXISTS {{ {var} {p} {x} FILTER(!({' && '.join(inner)})) }}")
        return "(" + (" && ".join(parts) or "true") + ")"

    # --- shapes -------------------------------------------------------------------------
    def node_shape(self, shape: Node) -> None:
        self.known_keys(shape)
        focus = self.focus(shape)
        if focus is None:
            return
        for prop_shape in self.g.objects(shape, SH.property):
            self.property_shape(prop_shape, focus)
        if self.one(shape, SH.path) is not None:
            raise Unsupported(f"{shape}: a property shape with its own targets")
        msgs = tuple(str(m) for m in self.g.objects(shape, SH.message))
        node_checks = self.value_ok(shape, "?this")
        for expr in node_checks:
            check = Check(str(shape), self.severity(shape), self.messages(shape), None, "focus")
            part = _Part("node", focus, expr=expr)
            self.add(f"{focus}\n    FILTER(!({expr}))", check, "?this", focus, part)
        for other in (SH.minCount, SH.maxCount, SH.hasValue, SH.lessThan, SH.qualifiedValueShape):
            if self.one(shape, other) is not None:
                raise Unsupported(f"{shape}: {other} on a node shape")
        for constraint in self.g.objects(shape, SH.sparql):
            self.sparql(shape, constraint, focus, msgs)

    def property_shape(self, shape: Node, focus: str) -> None:
        self.known_keys(shape)
        if isinstance(shape, BNode):
            raise Unsupported("blank-node property shapes: their IRI is not stable")
        if any(True for _ in self.g.objects(shape, SH.sparql)):
            raise Unsupported(f"{shape}: sh:sparql on a property shape")
        path = self.path(shape)
        p = _sparql_term(path)
        sev, msgs = self.severity(shape), self.messages(shape)

        def check(value: str) -> Check:
            return Check(str(shape), sev, msgs, str(path), value)

        n = self.int_of(shape, SH.minCount)
        if n is not None and n > 0:
            part: _Part | None = None
            if n == 1:
                body = f"{focus}\n    FILTER NOT EXISTS {{ ?this {p} ?nkfvX }}"
                part = _Part("absent", focus, path=p)
            else:
                body = (
                    f"    {{ SELECT ?this (COUNT(DISTINCT ?nkfvX) AS ?nkfvN) WHERE {{\n{focus}\n"
                    f"    OPTIONAL {{ ?this {p} ?nkfvX }} }} GROUP BY ?this }}\n"
                    f"    FILTER(?nkfvN < {n})"
                )
            self.add(body, check("none"), "?this", focus, part)
        n = self.int_of(shape, SH.maxCount)
        if n is not None:
            body = (
                f"    {{ SELECT ?this (COUNT(DISTINCT ?nkfvX) AS ?nkfvN) WHERE {{\n{focus}\n"
                f"    ?this {p} ?nkfvX }} GROUP BY ?this }}\n    FILTER(?nkfvN > {n})"
            )
            self.add(body, check("none"), "?this", focus, _Part("max", focus, path=p, limit=n))
        for value in self.g.objects(shape, SH.hasValue):
            term = _sparql_term(value)
            body = f"{focus}\n    FILTER NOT EXISTS {{ ?this {p} {term} }}"
            part = _Part("absent", focus, path=p, obj=term)
            self.add(body, check("none"), "?this", focus, part)
        exprs = self.value_ok(shape, "?value")
        for expr in exprs:
            branch = f"?this {p} ?value .\n    FILTER(!({expr}))"
            body = f"{focus}\n    {branch}"
            part = _Part("value", focus, branch=branch)
            self.add(body, check("value"), "?this ?value", focus, part)
        for other in self.g.objects(shape, SH.lessThan):
            branch = (
                f"?this {p} ?value .\n    ?this {_sparql_term(other)} ?nkfvW .\n"
                "    FILTER(!COALESCE(?value < ?nkfvW, false))"
            )
            body = f"{focus}\n    {branch}"
            part = _Part("value", focus, branch=branch)
            self.add(body, check("value"), "?this ?value ?nkfvW", focus, part)
        qualified = self.one(shape, SH.qualifiedValueShape)
        if qualified is not None:
            if self.one(shape, SH.qualifiedValueShapesDisjoint) is not None:
                raise Unsupported(f"{shape}: qualifiedValueShapesDisjoint")
            ok = self.conforms(qualified, "?nkfvX")
            counted = (
                f"    {{ SELECT ?this (COUNT(DISTINCT ?nkfvOk) AS ?nkfvN) WHERE {{\n{focus}\n"
                f"    OPTIONAL {{ ?this {p} ?nkfvX BIND(IF({ok}, ?nkfvX, ?nkfvNone) AS ?nkfvOk) }}"
                " } GROUP BY ?this }\n"
            )
            low = self.int_of(shape, SH.qualifiedMinCount)
            high = self.int_of(shape, SH.qualifiedMaxCount)
            if high is not None:
                part = _Part("qualified", focus, branch=counted, expr="true", limit=high)
                body = f"{counted}    FILTER(?nkfvN > {high})"
                self.add(body, check("none"), "?this", focus, part)
            if low is not None:
                part = _Part("qualified", focus, branch=counted, expr="false", limit=low)
                body = f"{counted}    FILTER(?nkfvN < {low})"
                self.add(body, check("none"), "?this", focus, part)
        elif self.one(shape, SH.qualifiedMinCount) or self.one(shape, SH.qualifiedMaxCount):
            raise Unsupported(f"{shape}: qualified count without shape")

    def sparql(
        self, shape: Node, constraint: Node, focus: str, shape_msgs: tuple[str, ...]
    ) -> None:
        for p in self.g.predicates(constraint):
            if p not in (RDF.type, SH.select, SH.prefixes, SH.message, SH.deactivated):
                raise Unsupported(f"SPARQL constraint of {shape} uses {p}")
        deactivated = self.one(constraint, SH.deactivated)
        if isinstance(deactivated, Literal) and deactivated.toPython() is True:
            raise Unsupported(f"SPARQL constraint of {shape} is deactivated")
        select = self.one(constraint, SH.select)
        if select is None:
            raise Unsupported(f"SPARQL constraint of {shape} has no sh:select")
        for decl_owner in self.g.objects(constraint, SH.prefixes):
            for decl in self.g.objects(decl_owner, SH.declare):
                prefix, ns = str(self.one(decl, SH.prefix)), str(self.one(decl, SH.namespace))
                if self.prefixes.setdefault(prefix, ns) != ns:
                    raise Unsupported(f"prefix {prefix}: declared with two namespaces")
        text = str(select)
        if re.search(r"\b(VALUES|MINUS|SERVICE|GRAPH)\b|\$(?!this\b)", text, re.I):
            raise Unsupported(f"SPARQL constraint of {shape}: pre-binding unsafe")
        match = re.match(r"\s*SELECT\s+(DISTINCT\s+)?([^{]*?)\s*WHERE\s*\{", text, re.I | re.S)
        projected = match.group(2) if match else ""
        if not match or "*" in projected or not re.search(r"[$?]this\b", projected):
            raise Unsupported(f"SPARQL constraint of {shape}: SELECT form not compiled")
        # $this is pre-bound by joining the focus nodes at the start of the WHERE pattern
        body = text[: match.end()] + f"\n{focus}\n" + text[match.end() :]
        own = tuple(sorted(str(m) for m in self.g.objects(constraint, SH.message)))
        msgs = own or shape_msgs
        if not msgs:
            raise Unsupported(f"{shape}: SPARQL constraint without sh:message")
        check = Check(str(shape), self.severity(shape), msgs, None, "focus", sparql=True)
        k = len(self.checks)
        self.checks.append(check)
        self.focuses.append(focus)
        self.parts.append(None)
        self.branches.append(f"SELECT * WHERE {{ {{ {body} }} BIND({k} AS ?{_CHECK}) }}")

    def compile(self) -> CompiledShapes:
        node_shapes = sorted(
            {s for s in self.g.subjects(RDF.type, SH.NodeShape)}
            | {s for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf,
                           SH.targetObjectsOf) for s in self.g.subjects(p, None)},
            key=str,
        )  # fmt: skip
        for shape in node_shapes:
            self.node_shape(shape)
        prologue = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(self.prefixes.items()))
        return CompiledShapes(
            prologue=prologue,
            checks=self.checks,
            queries=[prologue + b for b in self.branches],
            focus=self.focuses,
            parts=self.parts,
        )


def compile_shapes(shapes: Graph) -> CompiledShapes:
    """Compile a shapes graph; raises :class:`Unsupported` for SHACL outside the subset above."""
    return _Compiler(shapes).compile()


def _cell(term: object) -> str | None:
    if term is None:
        return None
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    return str(term)


def _format(message: str, bindings: dict[str, str]) -> str:
    """pySHACL's substitution of ``{?var}`` / ``{$var}`` (re.sub, as it does)."""
    for var, val in bindings.items():
        message = re.sub(f"{{[?$]{var}}}", val, message)
    return message


def live_checks(store: ox.Store, compiled: CompiledShapes) -> list[int]:
    """The checks whose shape has a focus node somewhere in the store (any graph).

    A shape with no focus node in the union of all graphs has none in any release graph with
    the vocabulary either, so its checks cannot fire there: skipping them is exact.
    """
    live: dict[str, bool] = {}
    out = []
    for k, focus in enumerate(compiled.focus):
        if focus not in live:
            answer = store.query(f"ASK {{\n{focus}\n}}", use_default_graph_as_union=True)
            live[focus] = bool(answer)
        if live[focus]:
            out.append(k)
    return out


BRANCHES = 16
"""Checks per shared query at most (:func:`_shared_query`): Oxigraph's planning time grows
faster than the number of UNION branches (200 branches: 0.1 s)."""


def plan(compiled: CompiledShapes, checks: Sequence[int]) -> list[tuple[str, tuple[int, ...]]]:
    """The queries that run ``checks`` on a release graph, each with the checks it answers.

    Checks of SHACL Core with the same focus pattern and kind (:class:`_Part`) share a query
    (:func:`_shared_query`); every other check has its own. Made once per set of checks.
    """
    key = tuple(checks)
    if key not in compiled.plans:
        queries: list[tuple[str, tuple[int, ...]]] = []
        shared: dict[tuple[str, str, str], list[int]] = {}
        for k in checks:
            part = compiled.parts[k] if k < len(compiled.parts) else None
            if part is None:
                queries.append((compiled.queries[k], (k,)))
            else:
                counted = part.branch if part.kind == "qualified" else ""
                shared.setdefault((part.focus, part.kind, counted), []).append(k)
        for (focus, kind, _), ks in shared.items():
            for i in range(0, len(ks), BRANCHES):
                chunk = ks[i : i + BRANCHES]
                if len(chunk) == 1:
                    queries.append((compiled.queries[chunk[0]], (chunk[0],)))
                else:
                    parts = [(k, p) for k in chunk if (p := compiled.parts[k]) is not None]
                    text = _shared_query(focus, kind, parts)
                    queries.append((compiled.prologue + text, tuple(chunk)))
        compiled.plans[key] = queries
    return compiled.plans[key]


def _shared_query(focus: str, kind: str, parts: Sequence[tuple[int, _Part]]) -> str:
    """One query answering the checks ``parts`` (same focus pattern, same kind), each solution
    tagged with its check (``?nkfvCheck``), the same solutions as their own queries.

    The focus nodes are found once and every check joins them: "value" checks as UNION
    branches (each branch binds its own ``?this`` and ``?value``, so it is the check's own
    pattern and FILTER); "absent", "node" and "max" checks as rows of a ``VALUES`` table
    (check, path, object or limit) joined to the focus nodes, with ``sameTerm(?nkfvCheck, k)
    && ...`` picking each row's own condition (``false && error`` is false, so another
    check's error is never this row's); the two "qualified" checks of one count (min, max)
    as two rows joined to that count.
    """
    c = f"?{_CHECK}"
    if kind == "value":
        union = "\n    UNION ".join(f"{{ {p.branch}\n    BIND({k} AS {c}) }}" for k, p in parts)
        return f"SELECT ?this ?value ?nkfvW {c} WHERE {{\n{focus}\n    {union}\n}}"
    if kind == "absent":
        rows = " ".join(f"({k} {p.path} {p.obj})" for k, p in parts)
        return (
            f"SELECT ?this {c} WHERE {{\n{focus}\n    VALUES ({c} ?nkfvP ?nkfvO) {{ {rows} }}\n"
            "    FILTER NOT EXISTS { ?this ?nkfvP ?nkfvO }\n}"
        )
    if kind == "node":
        rows = " ".join(str(k) for k, _ in parts)
        cond = " || ".join(f"(sameTerm({c}, {k}) && !({p.expr}))" for k, p in parts)
        return (
            f"SELECT ?this {c} WHERE {{\n{focus}\n    VALUES {c} {{ {rows} }}\n"
            f"    FILTER({cond})\n}}"
        )
    if kind == "qualified":  # the same count, too many or too few
        rows = " ".join(f"({k} {p.limit} {p.expr})" for k, p in parts)
        return (
            f"SELECT ?this {c} WHERE {{\n{parts[0][1].branch}"
            f"    VALUES ({c} ?nkfvL ?nkfvAbove) {{ {rows} }}\n"
            "    FILTER(IF(?nkfvAbove, ?nkfvN > ?nkfvL, ?nkfvN < ?nkfvL))\n}"
        )
    assert kind == "max", kind
    rows = " ".join(f"({k} {p.path} {p.limit})" for k, p in parts)
    return (
        f"SELECT ?this {c} WHERE {{\n"
        f"    {{ SELECT ?this {c} ?nkfvL (COUNT(DISTINCT ?nkfvX) AS ?nkfvN) WHERE {{\n{focus}\n"
        f"    VALUES ({c} ?nkfvP ?nkfvL) {{ {rows} }}\n    ?this ?nkfvP ?nkfvX }}"
        f" GROUP BY ?this {c} ?nkfvL }}\n    FILTER(?nkfvN > ?nkfvL)\n}}"
    )


def release_findings(
    scratch: ox.Store,
    graph: str,
    quads: Iterable[ox.Quad],
    compiled: CompiledShapes,
    checks: Sequence[int],
) -> list[Finding]:
    """Run the checks on one release graph: its ``quads`` (in ``graph``) are added to
    ``scratch``, which holds the vocabulary graph (:func:`scratch_store`), and removed after.

    Why a scratch store: queried in the big store, patterns with an unbound subject are
    answered from indexes over every graph and filtered afterwards, so the cost per release
    grew with the store (1.8x per release from 1,000 to 10,000 releases). In a scratch store
    holding only this release and the vocabulary it stays constant; copying is a few
    milliseconds. The caller chooses where the quads come from: the big store, or N-Triples
    handed to a worker process (kg/checks/releases.py).
    """
    name = ox.NamedNode(graph)
    scratch.extend(quads)
    data: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [
        name,
        ox.NamedNode(str(VOCABULARY_GRAPH)),
    ]
    try:
        return plan_findings(scratch, graph, compiled, checks, data)
    finally:
        scratch.remove_graph(name)


def add_triples(store: ox.Store, triples: Sequence[ox.Triple]) -> None:
    """Add ``triples`` to the default graph of ``store``.

    pyoxigraph's ``Store.extend`` takes a triple as a quad of the default graph, and does so
    without a Python ``Quad`` made per triple (half the cost of adding a release graph); its
    stub says quads only, hence the cast, and the plain way should that ever be refused.
    """
    try:
        store.extend(cast("Sequence[ox.Quad]", triples))
    except TypeError:  # pragma: no cover - a pyoxigraph that wants quads
        store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)


def merged_findings(
    vocabulary: Sequence[ox.Triple],
    graph: str,
    triples: Sequence[ox.Triple],
    compiled: CompiledShapes,
    checks: Sequence[int],
) -> list[Finding] | None:
    """The findings of ``checks`` on the release graph ``graph`` (``triples``), in a fresh
    store whose default graph holds the vocabulary and the release together; ``None`` when
    the two share a triple (see below): :func:`release_findings` then checks it.

    Why: the per-release queries read release ∪ vocabulary as their default graph. Queried
    as two named graphs of a long-lived scratch store (:func:`release_findings`), adding the
    release cost 3.2 ms (a ``Quad`` per triple, four graph indexes) and the store slowed down
    with every release it had held (a query took 3x as long after 100 releases). One default
    graph in a store made for this release costs 2.7 ms for the vocabulary and 1.3 ms for the
    release, and the queries run ~10% faster. It is the same data graph unless a triple is in
    both (one copy here, two in the union of the named graphs: every pattern matching it
    would match twice), which the store's size tells: it is then left to the named graphs.
    """
    store = ox.Store()
    add_triples(store, vocabulary)
    before = len(store)
    add_triples(store, triples)
    if len(store) != before + len(triples):
        return None
    return plan_findings(store, graph, compiled, checks, [ox.DefaultGraph()])


def plan_findings(
    store: ox.Store,
    graph: str,
    compiled: CompiledShapes,
    checks: Sequence[int],
    data: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph],
) -> list[Finding]:
    """The findings of ``checks`` on the default graph ``data`` of ``store``, check by check
    as if each ran alone (the queries of :func:`plan`).

    A check that shares a query is one of SHACL Core, whose findings equal in (focus node,
    path, value) are equal in all, so the report (sorted by graph, severity, shape, focus
    node, path, value) is the same whatever their order; it is made canonical here (focus
    node, path, value). A SPARQL constraint has its own query, whose order is kept as is.
    """
    found: dict[int, list[Finding]] = {k: [] for k in checks}
    for query, covered in plan(compiled, checks):
        for finding, k in _check_findings(store, graph, compiled, query, data):
            found[k].append(finding)
        if len(covered) > 1:
            for k in covered:
                found[k].sort(key=lambda f: (f.focus_node, f.path or "", f.value or ""))
    return [f for k in checks for f in found[k]]


def _check_findings(
    store: ox.Store,
    graph: str,
    compiled: CompiledShapes,
    query: str,
    data: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph],
) -> Iterable[tuple[Finding, int]]:
    solutions = store.query(query, default_graph=data)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    seen: set[tuple[object, ...]] = set()
    for solution in solutions:
        row = {n: solution[n] for n in names if solution[n] is not None}
        index = int(row.pop(_CHECK).value)  # type: ignore[union-attr]
        check = compiled.checks[index]
        focus = _cell(row.pop("this"))
        row.pop("nkfvW", None)  # lessThan: one result per compared pair, as pySHACL
        key = (id(check), focus, tuple(sorted((k, _cell(v)) for k, v in row.items())))
        if check.sparql:
            if key in seen:
                continue
            seen.add(key)
        value = _cell(row.get("value")) if check.value == "value" else None
        path = check.path
        msgs = check.messages
        if check.sparql:
            path = _cell(row.pop("path", None))
            value = _cell(row.pop("value", None))
            value = focus if value is None else value
            bound = {"this": focus or "", **({"path": path} if path else {}), "value": value or ""}
            bound |= {k: _cell(v) or "" for k, v in row.items()}
            msgs = tuple(sorted(_format(m, bound) for m in msgs))
        elif check.value == "focus":
            value = focus
        finding = Finding(
            graph=graph,
            focus_node=focus or "",
            shape=check.shape,
            path=path,
            severity=check.severity,
            message=" ".join(msgs[0].split()),
            value=value,
        )
        yield finding, index


def other_graphs_report(store: ox.Store, shapes_dir: Path | None) -> ValidationReport:
    """pySHACL on the graphs of a fixed size (vocabulary, corrections): not release graphs."""
    from kg.checks.shacl import validate

    return validate(_other_graphs(store), shapes_dir=shapes_dir or resources.shapes_dir())


def merge_reports(
    releases: Sequence[str], findings: Iterable[Finding], others: ValidationReport
) -> ValidationReport:
    """One report: the release graphs' findings and the other graphs' report, in report order."""
    merged = [*findings, *others.findings]
    merged.sort(key=_order)
    return ValidationReport(findings=tuple(merged), graphs=(*releases, *others.graphs))


def _other_graphs(store: ox.Store) -> Dataset:
    """The graphs that are not release graphs (vocabulary, corrections), as an rdflib Dataset."""
    subset = ox.Store()
    for g in store.named_graphs():
        if not (isinstance(g, ox.NamedNode) and g.value.startswith(RELEASE_GRAPH_PREFIX)):
            subset.extend(store.quads_for_pattern(None, None, None, g))
    dataset = Dataset()
    data = subset.dump(format=ox.RdfFormat.N_QUADS)
    if data:
        dataset.parse(data=data.decode("utf-8"), format="nquads")
    return dataset


def _order(f: Finding) -> tuple[str, int, str, str, str, str]:
    return (f.graph, _RANK[f.severity], f.shape, f.focus_node, f.path or "", f.value or "")
