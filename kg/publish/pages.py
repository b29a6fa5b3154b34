"""HTML pages of the web application: index, release, figure, entity, any other resource.

Why: a person following an IRI of the graph should see what the graph says in words, with the
release text and its figures where they stand, not a wall of triples. Everything shown is read
from the store (offsets, statuses, labels); nothing is computed that the graph does not say.
Every piece of text goes through :func:`html.escape`; offsets are code points, which is how
Python indexes ``str``, so ``text[start:end]`` is the figure's verbatim.

Links to data IRIs (``https://w3id.org/narcotics-kg/...``) are written as paths on the serving
host (``/id/...``) so that the pages work under any host; the canonical IRI is shown on each page.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from kg.namespaces import NKG, NKGV, NKO, PREFIXES, VOCABULARY_GRAPH

BASE = "https://w3id.org/narcotics-kg/"
NA = f"{NKGV}code/not-applicable"
SKOS = PREFIXES["skos"]
RDFS = PREFIXES["rdfs"]
RDF_TYPE = PREFIXES["rdf"] + "type"
DCT = PREFIXES["dcterms"]
PROV = PREFIXES["prov"]
OA = PREFIXES["oa"]
SDMX_DIM = PREFIXES["sdmx-dimension"]
SDMX_ATT = PREFIXES["sdmx-attribute"]
DIMENSIONS = (
    ("indicator", f"{NKO}indicator"),
    ("area", f"{SDMX_DIM}refArea"),
    ("period", f"{SDMX_DIM}refPeriod"),
    ("operation", f"{NKO}operation"),
    ("offence", f"{NKO}offence"),
    ("substance", f"{NKO}substance"),
    ("unit", f"{SDMX_ATT}unitMeasure"),
    ("qualifier", f"{NKO}qualifier"),
    ("status", f"{NKO}status"),
)

CSS = """
body{font-family:system-ui,sans-serif;max-width:72rem;margin:1rem auto;padding:0 1rem;
color:#1d232a;line-height:1.45}
header a{margin-right:1rem} code{font-size:.9em}
table{border-collapse:collapse;margin:.5rem 0} td,th{border-bottom:1px solid #ddd;
padding:.2rem .5rem;text-align:left;vertical-align:top}
.text{white-space:pre-wrap;background:#fafaf7;border:1px solid #e4e4dc;padding:1rem}
a.figure{background:#d8ecff;border-bottom:2px solid #1f6fb2;text-decoration:none;color:inherit}
a.figure.malformed{background:#ffd9d6;border-bottom:2px dashed #c0392b}
a.figure.implausible{background:#fff1c2;border-bottom:2px dotted #b7950b}
a.figure:target{outline:3px solid #1f6fb2}
ins.correction{background:#d9f7df;text-decoration:none;border:1px solid #27ae60;
font-size:.85em;padding:0 .2em;margin-left:.2em}
.iri{color:#555;font-size:.85em;word-break:break-all}
.legend span{margin-right:1rem;padding:0 .3em}
textarea{width:100%;font-family:monospace}
"""


def esc(text: object) -> str:
    """HTML-escape any value (quotes too: it also goes into attributes)."""
    return html.escape(str(text), quote=True)


def local_path(iri: str) -> str | None:
    """``/id/...`` for an IRI of this dataset, None for anyone else's."""
    if iri.startswith(BASE) and not iri.startswith(f"{BASE}ontology"):
        return "/" + iri[len(BASE) :]
    return None


def page(title: str, body: str, *, iri: str | None = None) -> str:
    """A complete HTML document around ``body``."""
    alt = ""
    if iri:
        path = esc(local_path(iri) or iri)
        alt = (
            f'<link rel="alternate" type="text/turtle" href="{path}?format=ttl">'
            f'<link rel="alternate" type="application/ld+json" href="{path}?format=jsonld">'
        )
        body = (
            f'<p class="iri">IRI: <code>{esc(iri)}</code> · '
            f'<a href="{path}?format=ttl">Turtle</a> · '
            f'<a href="{path}?format=jsonld">JSON-LD</a> · '
            f'<a href="{path}?format=nt">N-Triples</a></p>' + body
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)} — narcotics-kg</title>{alt}<style>{CSS}</style></head><body>"
        '<header><a href="/">narcotics-kg</a><a href="/sparql">SPARQL</a>'
        '<a href="/.well-known/void">dataset description</a></header>'
        f"<h1>{esc(title)}</h1>{body}</body></html>"
    )


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

    def link(self, iri: str, text: str | None = None) -> str:
        """An ``<a>`` to a resource: local path for ours, the IRI for others."""
        href = local_path(iri) or iri
        return f'<a href="{esc(href)}">{esc(text if text is not None else self.label(iri))}</a>'

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


def _anchor(f: FigureSpan) -> str:
    return f"f-{f.start}-{f.end}"


def highlighted_text(
    text: str,
    figures: Iterable[FigureSpan],
    revisions: dict[str, list[tuple[str, str]]],
    view: View,
) -> str:
    """The release text as HTML with each figure wrapped in ``<a class="figure ...">``.

    A figure overlapping the previous one (it should not happen) is still shown, as its own
    marker right after the previous figure, so that every figure of the graph is on the page.
    """
    out: list[str] = []
    cursor = 0
    for f in figures:
        classes = f"figure {esc(f.status)}"
        title = f"{view.label(f.indicator)}: {f.value or 'no value'} ({f.status})"
        if f.reason:
            title += f" — {f.reason}"
        href = esc(local_path(f.iri) or f.iri)
        if f.start < cursor or f.end > len(text):
            inner = esc(f.verbatim)
            classes += " overlap"
        else:
            out.append(esc(text[cursor : f.start]))
            inner = esc(text[f.start : f.end])
            cursor = f.end
        out.append(
            f'<a class="{classes}" id="{_anchor(f)}" href="{href}" data-start="{f.start}"'
            f' data-end="{f.end}" data-status="{esc(f.status)}" title="{esc(title)}">{inner}</a>'
        )
        for rev, value in revisions.get(f.iri, ()):
            out.append(
                f'<ins class="correction" title="revised value from a corrections source">'
                f'<a href="{esc(local_path(rev) or rev)}">corrected: {esc(value or "?")}</a></ins>'
            )
    out.append(esc(text[cursor:]))
    return "".join(out)


def release_page(view: View, iri: str) -> str:
    """A release: metadata, full text with highlighted figures, the figures as a table."""
    meta: dict[str, list[str]] = defaultdict(list)
    for q in view.triples_about(iri):
        meta[q.predicate.value].append(_value(q.object))
    text = (meta.get("https://schema.org/text") or [""])[0]
    figures = release_figures(view, iri)
    revisions = view.revisions()
    title = (meta.get(f"{DCT}title") or [view.label(iri)])[0]
    counts: dict[str, int] = defaultdict(int)
    for f in figures:
        counts[f.status] += 1
    facts = "".join(
        f"<tr><th>{esc(k)}</th><td>{v}</td></tr>"
        for k, v in (
            ("identifier", esc(", ".join(meta.get(f"{DCT}identifier", [])))),
            ("issued", esc(", ".join(meta.get(f"{DCT}issued", [])))),
            ("publisher", esc(", ".join(meta.get(f"{DCT}publisher", [])))),
            (
                "sources",
                " ".join(
                    f'<a href="{esc(s)}">{esc(s)}</a><br>' for s in meta.get(f"{DCT}source", [])
                ),
            ),
            (
                "figures",
                esc(
                    f"{len(figures)} ("
                    + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
                    + ")"
                ),
            ),
        )
    )
    rows = "".join(
        f'<tr><td><a href="#{_anchor(f)}">{f.start}–{f.end}</a></td><td>{esc(f.verbatim)}</td>'
        f"<td>{esc(f.value)}</td><td>{esc(f.status)}</td><td>{view.link(f.indicator)}</td>"
        f"<td>{view.link(f.iri, 'figure')}</td></tr>"
        for f in figures
    )
    legend = (
        '<p class="legend">Figures: <span><a class="figure stated">stated</a></span>'
        '<span><a class="figure malformed">malformed (garbled in the source; no value)</a></span>'
        '<span><a class="figure implausible">implausible</a></span>'
        '<span><ins class="correction">corrected value</ins></span></p>'
    )
    body = (
        f"<table>{facts}</table>{legend}"
        f'<div class="text" id="release-text">'
        f"{highlighted_text(text, figures, revisions, view)}</div>"
        f"<h2>Figures</h2><table><tr><th>offsets</th><th>verbatim</th><th>value</th>"
        f"<th>status</th><th>indicator</th><th></th></tr>{rows}</table>"
    )
    return page(title, body, iri=iri)


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
    back = (local_path(release) or release) + f"#f-{start_end}"
    rows = [
        ("verbatim", esc(one(f"{NKO}verbatim"))),
        ("value", esc(one(f"{NKO}value") or "— (none: the source text is garbled)")),
    ]
    for name, p in DIMENSIONS:
        rows.append((name, ", ".join(view.link(v) for v in sorted(props.get(p, [])) if v) or "—"))
    for name, p in (
        ("status reason", f"{NKO}statusReason"),
        ("period phrase", f"{NKO}periodPhrase"),
    ):
        if props.get(p):
            rows.append((name, esc(one(p))))
    for name, p in (("change of", f"{NKO}changeOf"), ("direction", f"{NKO}direction")):
        if props.get(p):
            rows.append((name, view.link(one(p))))
    if props.get(f"{PROV}wasRevisionOf"):
        rows.append(("revision of", view.link(one(f"{PROV}wasRevisionOf"), "the stated figure")))
    for rev, value in view.revisions().get(iri, ()):
        rows.append(("corrected", f"{view.link(rev, value or 'revised figure')}"))
    quote = view.select(
        "PREFIX oa: <http://www.w3.org/ns/oa#>\n"
        "SELECT ?prefix ?exact ?suffix WHERE { GRAPH ?g { ?span oa:hasSelector ?q ."
        " ?q a oa:TextQuoteSelector ; oa:exact ?exact ."
        " OPTIONAL { ?q oa:prefix ?prefix } OPTIONAL { ?q oa:suffix ?suffix } } }",
        span=span,
    )
    context = ""
    if quote:
        sel = quote[0]
        context = (
            f"<blockquote>…{esc(sel['prefix'])}<mark>{esc(sel['exact'])}</mark>"
            f"{esc(sel['suffix'])}…</blockquote>"
        )
    table = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows)
    body = (
        f'<p>Stated in <a id="back-to-release" href="{esc(back)}">'
        f"{esc(view.label(release))}</a> at characters {esc(start_end)}.</p>"
        f"{context}<table>{table}</table>"
    )
    title = f"Figure {one(f'{NKO}verbatim')} ({view.label(one(f'{NKO}indicator'))})"
    return page(title, body, iri=iri)


def entity_page(view: View, iri: str) -> str:
    """Any other resource: its own triples, the mentions of it and the figures it qualifies."""
    own = view.triples_about(iri)
    rows = "".join(
        f"<tr><td>{view.link(q.predicate.value, _short(q.predicate.value))}</td>"
        f"<td>{_term(view, q.object)}</td></tr>"
        for q in sorted(own, key=lambda q: (q.predicate.value, _value(q.object)))
    )
    mentions = view.select(
        "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>\n"
        "PREFIX oa: <http://www.w3.org/ns/oa#>\nPREFIX prov: <http://www.w3.org/ns/prov#>\n"
        "SELECT ?release ?m ?verbatim WHERE { GRAPH ?g { ?m a nko:Mention ; oa:hasBody ?e ;"
        " prov:wasDerivedFrom ?release ; nko:verbatim ?verbatim } } ORDER BY ?release ?m",
        e=iri,
    )
    by_release: dict[str, list[dict[str, str]]] = defaultdict(list)
    for m in mentions:
        by_release[m["release"]].append(m)
    mention_html = "".join(
        f"<li>{view.link(rel)}: {len(ms)} mention(s) — "
        + ", ".join(view.link(m["m"], f"“{m['verbatim']}”") for m in ms)
        + "</li>"
        for rel, ms in by_release.items()
    )
    figures = view.select(
        "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>\n"
        "SELECT ?f ?p ?release ?verbatim ?value ?status WHERE { GRAPH ?g { ?f a nko:Figure ;"
        " ?p ?e ; nko:statedIn ?release . OPTIONAL { ?f nko:verbatim ?verbatim }"
        " OPTIONAL { ?f nko:value ?value } OPTIONAL { ?f nko:status ?status } } }"
        " ORDER BY ?release ?f",
        e=iri,
    )
    fig_rows = "".join(
        f"<tr><td>{view.link(f['release'])}</td><td>{view.link(f['f'], f['verbatim'])}</td>"
        f"<td>{esc(f['value'])}</td><td>{esc(f['status'].rsplit('/', 1)[-1])}</td>"
        f"<td>{esc(_short(f['p']))}</td></tr>"
        for f in figures
    )
    inbound = view.select(
        "SELECT DISTINCT ?s ?p WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?p ?s LIMIT 200", o=iri
    )
    inbound_rows = "".join(
        f"<tr><td>{view.link(r['s'])}</td><td>{esc(_short(r['p']))}</td></tr>"
        for r in inbound
        if not r["s"].startswith(f"{NKGV}release/")
    )
    body = f"<h2>What the graph says</h2><table>{rows}</table>"
    if mention_html:
        body += f"<h2>Mentions per release</h2><ul id='mentions'>{mention_html}</ul>"
    if fig_rows:
        body += (
            f"<h2>Figures with it as a dimension</h2><table id='figures'><tr><th>release</th>"
            f"<th>figure</th><th>value</th><th>status</th><th>as</th></tr>{fig_rows}</table>"
        )
    if inbound_rows:
        body += f"<h2>Linked from</h2><table>{inbound_rows}</table>"
    return page(view.label(iri), body, iri=iri)


def _short(iri: str) -> str:
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri


def _term(view: View, term: object) -> str:
    if isinstance(term, ox.NamedNode):
        return view.link(term.value)
    if isinstance(term, ox.Literal):
        text = term.value
        if len(text) > 400:
            text = text[:400] + "…"
        suffix = f" @{term.language}" if term.language else ""
        return f"{esc(text)}<small>{esc(suffix)}</small>"
    return esc(_value(term))


def index_page(view: View) -> str:
    """The releases, with their figure counts, and where to go next."""
    rows = view.select(
        "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>\n"
        "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
        "SELECT ?r ?id ?title ?issued (COUNT(DISTINCT ?f) AS ?figures) WHERE { GRAPH ?g {"
        " ?r a nko:Release ; dcterms:identifier ?id . OPTIONAL { ?r dcterms:title ?title }"
        " OPTIONAL { ?r dcterms:issued ?issued } OPTIONAL { ?f nko:statedIn ?r } } }"
        " GROUP BY ?r ?id ?title ?issued ORDER BY ?issued ?id"
    )
    items = "".join(
        f"<tr><td>{esc(r['issued'])}</td><td>{view.link(r['r'], r['title'] or r['id'])}</td>"
        f"<td>{esc(r['figures'])}</td></tr>"
        for r in rows
    )
    graphs = sorted(g.value for g in view.store.named_graphs() if isinstance(g, ox.NamedNode))
    graph_items = "".join(
        f"<li><a href='{esc(local_path(g) or g)}?format=ttl'>{esc(g)}</a></li>" for g in graphs
    )
    body = (
        f"<h2>Releases</h2><table id='releases'><tr><th>issued</th><th>release</th>"
        f"<th>figures</th></tr>{items}</table>"
        f"<h2>Named graphs</h2><ul>{graph_items}</ul>"
        f"<p>Vocabularies: {view.link(f'{NKGV}scheme/jurisdictions', 'jurisdictions')}, "
        f"{view.link(f'{NKGV}scheme/substances', 'substances')}, "
        f"{view.link(f'{NKGV}scheme/operations', 'operations')}, "
        f"{view.link(f'{NKGV}scheme/indicators', 'indicators')}.</p>"
    )
    return page("Anti-narcotics figures of China's press releases", body)


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


__all__ = ["NKG", "View", "esc", "index_page", "local_path", "page", "resource_page"]
