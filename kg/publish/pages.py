"""HTML pages of the web application: index, release, figure, entity, SPARQL form, not found.

Why: a person following an IRI of the graph should see what the graph says in words, with the
release text and its figures where they stand, not a wall of triples. Everything shown is read
from the store (offsets, statuses, labels); nothing is computed that the graph does not say. The
one exception is the English names of QUDT units, which QUDT publishes and we do not restate:
they come from the unit book (mappings/measures.yaml).

This module does the data work (the SPARQL each page runs, which figure stands where, which
link goes where) and hands plain values to the Jinja2 templates in ``templates/``, which are
rendered with autoescaping on: every string from the store is escaped by Jinja2, none is
pasted into HTML here. Offsets are code points, which is how Python indexes ``str``, so
``text[start:end]`` is the figure's verbatim; :func:`highlight` cuts the release text at those
offsets and the release template writes each piece, escaped, in or between the figure marks.

Links to data IRIs (``https://w3id.org/narcotics-kg/...``) are written as paths on the serving
host (``/id/...``) so that the pages work under any host; the canonical IRI is shown on each page.
"""

from __future__ import annotations

import functools
import re
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import jinja2
import pyoxigraph as ox

from kg.extract.measures import default_measures
from kg.namespaces import NKG, NKGV, NKO, PREFIXES, VOCABULARY_GRAPH, expand

BASE = "https://w3id.org/narcotics-kg/"
NA = f"{NKGV}code/not-applicable"
SKOS = PREFIXES["skos"]
RDFS = PREFIXES["rdfs"]
RDF_TYPE = PREFIXES["rdf"] + "type"
DCT = PREFIXES["dcterms"]
PROV = PREFIXES["prov"]
OA = PREFIXES["oa"]
SDMX_ATT = PREFIXES["sdmx-attribute"]
DIMENSIONS = (
    ("indicator", f"{NKO}indicator"),
    ("area", f"{NKO}refArea"),
    ("period", f"{NKO}refPeriod"),
    ("operation", f"{NKO}operation"),
    ("offence", f"{NKO}offence"),
    ("substance", f"{NKO}substance"),
    ("unit", f"{SDMX_ATT}unitMeasure"),
    ("qualifier", f"{NKO}qualifier"),
    ("status", f"{NKO}status"),
)
ROW_LIMIT = 1000  # rows the query process sends for the HTML table (kg.publish.web)
DEFAULT_QUERY = (
    "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>\n"
    "SELECT ?figure ?verbatim ?value WHERE {\n"
    "  GRAPH ?g { ?figure a nko:Figure ; nko:verbatim ?verbatim .\n"
    "             OPTIONAL { ?figure nko:value ?value } }\n} LIMIT 20"
)


@functools.cache
def environment() -> jinja2.Environment:
    """The templates of ``kg/publish/templates``, autoescaped, strict about missing values."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("kg.publish", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def render(template: str, *, title: str, iri: str | None = None, **context: Any) -> str:
    """A complete HTML document: ``template`` (which extends ``base.html``) filled in."""
    path = (local_path(iri) or iri) if iri else None
    return (
        environment().get_template(template).render(title=title, iri=iri, iri_path=path, **context)
    )


def local_path(iri: str) -> str | None:
    """``/id/...`` for an IRI of this dataset, None for anyone else's."""
    if iri.startswith(BASE) and not iri.startswith(f"{BASE}ontology"):
        return "/" + iri[len(BASE) :]
    return None


def web_href(iri: str) -> str | None:
    """``iri`` when a browser may follow it: this site's own paths and http(s) IRIs only.

    Why: an IRI in the data can have any scheme; ``javascript:``, ``data:`` or ``vbscript:``
    as an ``href`` would run code in the site's origin when clicked. Escaping does not help
    there (the scheme is the attack), so other schemes are shown as text, never as links.
    """
    if iri.startswith("/") and not iri.startswith("//"):
        return iri
    scheme = iri.split(":", 1)[0].lower() if ":" in iri else ""
    return iri if scheme in ("http", "https") else None


class Link(NamedTuple):
    """Where an ``<a>`` goes and what it says (the template escapes both); ``href`` is None
    for an IRI that must not be a link (:func:`web_href`)."""

    href: str | None
    text: str


def _value(term: object) -> str:
    if isinstance(term, (ox.NamedNode, ox.Literal, ox.BlankNode)):
        return term.value
    return ""


def _constant(text: str) -> Callable[[re.Match[str]], str]:
    """A ``re.sub`` replacement that inserts ``text`` as it is (no backslash processing)."""
    return lambda _match: text


class View:
    """Read-only questions the pages ask of the store (one object per server)."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.labels: dict[str, str] = {}
        for p in (f"{RDFS}label", f"{SKOS}prefLabel"):
            for q in store.quads_for_pattern(
                None, ox.NamedNode(p), None, ox.NamedNode(str(VOCABULARY_GRAPH))
            ):
                if isinstance(q.object, ox.Literal) and q.object.language in (None, "en"):
                    self.labels[_value(q.subject)] = q.object.value
        # units: QUDT labels its own IRIs and our vocabulary does not restate it (no claims on
        # others' terms), so without QUDT's graph beside ours the labels come from the unit
        # book the figures were read with (mappings/measures.yaml)
        for unit in default_measures().units:
            if unit.iri and unit.label:
                self.labels.setdefault(expand(unit.iri), unit.label)
        # groups of areas a figure is stated for together are described in the release graphs
        group = ox.NamedNode(f"{NKO}AreaGroup")
        for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), group, None):
            for label in store.quads_for_pattern(
                q.subject, ox.NamedNode(f"{SKOS}prefLabel"), None, q.graph_name
            ):
                if isinstance(label.object, ox.Literal):
                    self.labels[_value(q.subject)] = label.object.value

    def select(self, query: str, **bind: str) -> list[dict[str, str]]:
        """Rows of a SELECT with IRIs put in place of variables.

        The IRI goes through :class:`pyoxigraph.NamedNode` first, which refuses anything that
        is not an IRI (no ``>``, spaces or quotes), so the text cannot change the query's shape.
        (pyoxigraph substitutions would need the variable in the projection.)
        """
        for name, iri in bind.items():
            query = re.sub(rf"\?{name}\b", _constant(str(ox.NamedNode(iri))), query)
        result = self.store.query(query)
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        return [{n: _value(row[n]) for n in names} for row in result]

    def label(self, iri: str) -> str:
        """An English label, else the IRI's last segment(s)."""
        if iri in self.labels:
            return self.labels[iri]
        if iri.startswith(str(NKGV)):
            return iri[len(str(NKGV)) :]
        return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1]

    def link(self, iri: str, text: str | None = None) -> Link:
        """A link to a resource: local path for ours, the IRI for others."""
        return Link(web_href(local_path(iri) or iri), text if text is not None else self.label(iri))

    def triples_about(self, iri: str) -> list[ox.Quad]:
        """Every quad with ``iri`` as subject, in any graph."""
        return list(self.store.quads_for_pattern(ox.NamedNode(iri), None, None, None))

    def exists(self, iri: str) -> bool:
        """Whether the store says anything about ``iri`` (as subject or object)."""
        node = ox.NamedNode(iri)
        return any(True for _ in self.store.quads_for_pattern(node, None, None, None)) or any(
            True for _ in self.store.quads_for_pattern(None, None, node, None)
        )

    def revisions(self) -> dict[str, list[tuple[str, str]]]:
        """Stated figure IRI → (revised figure IRI, revised value) from any graph."""
        rows = self.select(
            "PREFIX prov: <http://www.w3.org/ns/prov#>\n"
            "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>\n"
            "SELECT ?rev ?of ?value WHERE { GRAPH ?g { ?rev prov:wasRevisionOf ?of ."
            " OPTIONAL { ?rev nko:value ?value } } } ORDER BY ?rev"
        )
        out: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for r in rows:
            out[r["of"]].append((r["rev"], r["value"]))
        return out


@dataclass(frozen=True)
class FigureSpan:
    """A figure where it stands in its release text."""

    iri: str
    start: int
    end: int
    verbatim: str
    value: str
    status: str
    indicator: str
    reason: str

    @property
    def anchor(self) -> str:
        """The id of its mark on the release page (``f-671-675``)."""
        return f"f-{self.start}-{self.end}"


def release_figures(view: View, release: str) -> list[FigureSpan]:
    """The figures stated in ``release``, with offsets from their position selectors."""
    rows = view.select(
        "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>\n"
        "PREFIX oa: <http://www.w3.org/ns/oa#>\n"
        "SELECT ?f ?s ?e ?verbatim ?value ?status ?indicator ?reason WHERE { GRAPH ?g {"
        " ?f a nko:Figure ; nko:statedIn ?r ; nko:statedAt ?span ."
        " ?span oa:hasSelector ?pos . ?pos a oa:TextPositionSelector ; oa:start ?s ; oa:end ?e ."
        " OPTIONAL { ?f nko:verbatim ?verbatim } OPTIONAL { ?f nko:value ?value }"
        " OPTIONAL { ?f nko:status ?status } OPTIONAL { ?f nko:indicator ?indicator }"
        " OPTIONAL { ?f nko:statusReason ?reason } } }",
        r=release,
    )
    figures = {
        r["f"]: FigureSpan(
            r["f"],
            int(r["s"]),
            int(r["e"]),
            r["verbatim"],
            r["value"],
            r["status"].rsplit("/", 1)[-1],
            r["indicator"],
            r["reason"],
        )
        for r in rows
    }
    return sorted(figures.values(), key=lambda f: (f.start, f.end, f.iri))


@dataclass(frozen=True)
class Mark:
    """One figure's mark in the release text: what it encloses and what it says about it."""

    figure: FigureSpan
    text: str  # text[start:end], or the verbatim when the figure overlaps the previous one
    overlap: bool
    href: str
    title: str
    corrections: tuple[Link, ...] = field(default=())


def highlight(
    text: str,
    figures: Iterable[FigureSpan],
    revisions: dict[str, list[tuple[str, str]]],
    view: View,
) -> list[str | Mark]:
    """The release text cut at the figures' offsets: plain strings and figure marks, in order.

    Joining the strings and every non-overlapping mark's ``text`` gives ``text`` back exactly
    (the release template writes them so, escaped, with each mark as an ``<a>``). A figure
    overlapping the previous one (it should not happen) is still shown, as its own marker
    right after the previous figure, so that every figure of the graph is on the page.
    """
    parts: list[str | Mark] = []
    cursor = 0
    for f in figures:
        title = f"{view.label(f.indicator)}: {f.value or 'no value'} ({f.status})"
        if f.reason:
            title += f" — {f.reason}"
        corrections = tuple(
            Link(web_href(local_path(rev) or rev), f"corrected: {value or '?'}")
            for rev, value in revisions.get(f.iri, ())
        )
        href = local_path(f.iri) or f.iri
        if f.start < cursor or f.end > len(text):
            parts.append(Mark(f, f.verbatim, True, href, title, corrections))
            continue
        if f.start > cursor:
            parts.append(text[cursor : f.start])
        parts.append(Mark(f, text[f.start : f.end], False, href, title, corrections))
        cursor = f.end
    if cursor < len(text):
        parts.append(text[cursor:])
    return parts


def _agent_name(view: View, iri: str) -> str:
    """A publisher's name: the agency's label, or the ``foaf:name`` of an agent the vocabulary
    does not know (kg/rdf/mapping.py names it after the release); a literal as it is."""
    try:
        about = view.triples_about(iri)
    except ValueError:  # a literal publisher (a store built before publishers were IRIs)
        return iri
    names = [
        q.object.value
        for q in about
        if q.predicate.value == "http://xmlns.com/foaf/0.1/name"
        and isinstance(q.object, ox.Literal)
    ]
    return names[0] if names else view.label(iri)


def release_page(view: View, iri: str) -> str:
    """A release: metadata, full text with highlighted figures, the figures as a table."""
    meta: dict[str, list[str]] = defaultdict(list)
    for q in view.triples_about(iri):
        meta[q.predicate.value].append(_value(q.object))
    text = (meta.get("https://schema.org/text") or [""])[0]
    figures = release_figures(view, iri)
    title = (meta.get(f"{DCT}title") or [view.label(iri)])[0]
    counts: dict[str, int] = defaultdict(int)
    for f in figures:
        counts[f.status] += 1
    summary = f"{len(figures)} (" + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + ")"
    return render(
        "release.html",
        title=title,
        iri=iri,
        facts=[
            ("identifier", ", ".join(meta.get(f"{DCT}identifier", []))),
            ("issued", ", ".join(meta.get(f"{DCT}issued", []))),
            ("publisher", ", ".join(_agent_name(view, p) for p in meta.get(f"{DCT}publisher", []))),
        ],
        sources=[Link(web_href(s), s) for s in meta.get(f"{DCT}source", [])],
        summary=summary,
        parts=highlight(text, figures, view.revisions(), view),
        figures=[(f, view.link(f.indicator), view.link(f.iri, "figure")) for f in figures],
    )


class Row(NamedTuple):
    """A row of a table of facts: its name, then links (comma-separated) or else a text."""

    name: str
    text: str = ""
    links: tuple[Link, ...] = ()


def figure_page(view: View, iri: str) -> str:
    """A figure: value, status, every dimension with its label, and the way back."""
    props: dict[str, list[str]] = defaultdict(list)
    for q in view.triples_about(iri):
        props[q.predicate.value].append(_value(q.object))

    def one(p: str) -> str:
        return (props.get(p) or [""])[0]

    release = one(f"{NKO}statedIn")
    span = one(f"{NKO}statedAt")
    start_end = span.rsplit("/", 1)[-1]
    rows = [
        Row("verbatim", one(f"{NKO}verbatim")),
        Row("value", one(f"{NKO}value") or "— (none: the source text is garbled)"),
    ]
    for name, p in DIMENSIONS:
        links = tuple(view.link(v) for v in sorted(props.get(p, [])) if v)
        rows.append(Row(name, "—", links))
    for name, p in (
        ("status reason", f"{NKO}statusReason"),
        ("period phrase", f"{NKO}periodPhrase"),
    ):
        if props.get(p):
            rows.append(Row(name, one(p)))
    for name, p in (("change of", f"{NKO}changeOf"), ("direction", f"{NKO}direction")):
        if props.get(p):
            rows.append(Row(name, links=(view.link(one(p)),)))
    if props.get(f"{PROV}wasRevisionOf"):
        rows.append(
            Row("revision of", links=(view.link(one(f"{PROV}wasRevisionOf"), "the stated figure"),))
        )
    for rev, value in view.revisions().get(iri, ()):
        rows.append(Row("corrected", links=(view.link(rev, value or "revised figure"),)))
    quote = view.select(
        "PREFIX oa: <http://www.w3.org/ns/oa#>\n"
        "SELECT ?prefix ?exact ?suffix WHERE { GRAPH ?g { ?span oa:hasSelector ?q ."
        " ?q a oa:TextQuoteSelector ; oa:exact ?exact ."
        " OPTIONAL { ?q oa:prefix ?prefix } OPTIONAL { ?q oa:suffix ?suffix } } }",
        span=span,
    )
    return render(
        "figure.html",
        title=f"Figure {one(f'{NKO}verbatim')} ({view.label(one(f'{NKO}indicator'))})",
        iri=iri,
        back=Link(
            web_href((local_path(release) or release) + f"#f-{start_end}"), view.label(release)
        ),
        start_end=start_end,
        quote=quote[0] if quote else None,
        rows=rows,
    )


class Cell(NamedTuple):
    """An object of a triple as shown: a link, or a literal's text and its language tag."""

    link: Link | None = None
    text: str = ""
    language: str | None = None  # " @en"; None when the term is no literal


def _term(view: View, term: object) -> Cell:
    if isinstance(term, ox.NamedNode):
        return Cell(link=view.link(term.value))
    if isinstance(term, ox.Literal):
        text = term.value
        if len(text) > 400:
            text = text[:400] + "…"
        return Cell(text=text, language=f" @{term.language}" if term.language else "")
    return Cell(text=_value(term))


def entity_page(view: View, iri: str) -> str:
    """Any other resource: its own triples, the mentions of it and the figures it qualifies."""
    own = [
        (view.link(q.predicate.value, _short(q.predicate.value)), _term(view, q.object))
        for q in sorted(
            view.triples_about(iri), key=lambda q: (q.predicate.value, _value(q.object))
        )
    ]
    mentions = view.select(
        "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>\n"
        "PREFIX oa: <http://www.w3.org/ns/oa#>\nPREFIX prov: <http://www.w3.org/ns/prov#>\n"
        "SELECT ?release ?m ?verbatim WHERE { GRAPH ?g { ?m a nko:Mention ; oa:hasBody ?e ;"
        " prov:wasDerivedFrom ?release ; nko:verbatim ?verbatim } } ORDER BY ?release ?m",
        e=iri,
    )
    by_release: dict[str, list[Link]] = defaultdict(list)
    for m in mentions:
        by_release[m["release"]].append(view.link(m["m"], f"“{m['verbatim']}”"))
    figures = view.select(
        "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>\n"
        "SELECT ?f ?p ?release ?verbatim ?value ?status WHERE { GRAPH ?g { ?f a nko:Figure ;"
        " ?p ?e ; nko:statedIn ?release . OPTIONAL { ?f nko:verbatim ?verbatim }"
        " OPTIONAL { ?f nko:value ?value } OPTIONAL { ?f nko:status ?status } } }"
        " ORDER BY ?release ?f",
        e=iri,
    )
    inbound = view.select(
        "SELECT DISTINCT ?s ?p WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?p ?s LIMIT 200", o=iri
    )
    return render(
        "entity.html",
        title=view.label(iri),
        iri=iri,
        own=own,
        mentions=[(view.link(rel), links) for rel, links in by_release.items()],
        figures=[
            (
                view.link(f["release"]),
                view.link(f["f"], f["verbatim"]),
                f["value"],
                f["status"].rsplit("/", 1)[-1],
                _short(f["p"]),
            )
            for f in figures
        ],
        inbound=[
            (view.link(r["s"]), _short(r["p"]))
            for r in inbound
            if not r["s"].startswith(f"{NKGV}release/")
        ],
    )


def _short(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


def index_page(view: View, downloads: Sequence[str] = (), report: bool = False) -> str:
    """The releases, with their figure counts, and where to go next: the named graphs, the
    vocabularies, the files under ``/download/`` (``downloads``, paths as the current view
    lists them) and the report at ``/report`` when ``report``."""
    rows = view.select(
        "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>\n"
        "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
        "SELECT ?r ?id ?title ?issued (COUNT(DISTINCT ?f) AS ?figures) WHERE { GRAPH ?g {"
        " ?r a nko:Release ; dcterms:identifier ?id . OPTIONAL { ?r dcterms:title ?title }"
        " OPTIONAL { ?r dcterms:issued ?issued } OPTIONAL { ?f nko:statedIn ?r } } }"
        " GROUP BY ?r ?id ?title ?issued ORDER BY ?issued ?id"
    )
    graphs = sorted(g.value for g in view.store.named_graphs() if isinstance(g, ox.NamedNode))
    return render(
        "index.html",
        title="Anti-narcotics figures of China's press releases",
        releases=[
            (r["issued"], view.link(r["r"], r["title"] or r["id"]), r["figures"]) for r in rows
        ],
        graphs=[Link(web_href(f"{local_path(g) or g}?format=ttl"), g) for g in graphs],
        vocabularies=[
            view.link(f"{NKGV}scheme/{name}", name)
            for name in ("jurisdictions", "substances", "operations", "indicators")
        ],
        downloads=[
            Link(web_href("/download/" + urllib.parse.quote(rel)), rel) for rel in downloads
        ],
        report=report,
    )


def resource_page(view: View, iri: str) -> str:
    """Pick the page for ``iri`` by what it is."""
    types = {
        q.object.value
        for q in view.store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(RDF_TYPE), None, None)
        if isinstance(q.object, ox.NamedNode)
    }
    if f"{NKO}Release" in types:
        return release_page(view, iri)
    if f"{NKO}Figure" in types:
        return figure_page(view, iri)
    return entity_page(view, iri)


def result_cell(kind: str, text: str) -> Link | str:
    """A cell of the results table: an IRI as a link (this dataset's to its own page under
    ``/id/`` or ``/graph/``, an http(s) IRI outward, any other scheme as text: :func:`web_href`),
    anything else as its text."""
    if kind == "iri":
        return Link(web_href(local_path(text) or text), text)
    return text


def sparql_page(
    query: str,
    result: dict[str, Any] | None,
    error: str | None,
    where: tuple[str, int] | None = None,
) -> str:
    """The query form, with the results of ``query`` when there are some.

    ``result`` is what the query process sends back for a page: ``{"boolean": b}``,
    ``{"triples": "<Turtle>"}`` or ``{"head": [names], "rows": [[[kind, text], ...]], "more":
    b}`` (see ``web._cell``). ``where`` is the line and column a syntax error points at.
    """
    if result is not None and "rows" in result:
        rows = [[result_cell(kind, text) for kind, text in row] for row in result["rows"]]
        result = {**result, "rows": rows}
    caret = None
    if where is not None:
        line, column = where
        caret = (line, " " * max(column - 1, 0) + "^")
    return render(
        "sparql.html",
        title="SPARQL query",
        query=query or DEFAULT_QUERY,
        result=result,
        error=error,
        caret=caret,
        row_limit=ROW_LIMIT,
    )


def not_found_page(what: str) -> str:
    """A 404 page saying, in one line, what is not here."""
    return render("not_found.html", title="Not found", message=what)


__all__ = [
    "NKG",
    "FigureSpan",
    "Link",
    "Mark",
    "View",
    "environment",
    "highlight",
    "index_page",
    "local_path",
    "not_found_page",
    "release_figures",
    "resource_page",
    "result_cell",
    "sparql_page",
    "web_href",
]
