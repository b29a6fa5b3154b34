"""Map an :class:`~kg.extract.records.Extraction` to RDF in the release's own named graph.

Why: this is the one place that knows the graph layout of docs/model.md. It is pure (records
in, graph out) and deterministic: IRIs come from the release id and character offsets, so two
builds of the same input are isomorphic.
"""

from __future__ import annotations

from functools import cache

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from kg.extract.lexicon import Lexicon
from kg.extract.measures import default_measures
from kg.extract.records import Extraction, Figure, Mention, Status
from kg.namespaces import (
    NKGV,
    NKO,
    NOT_APPLICABLE,
    OA,
    PREFIXES,
    PROV,
    QB,
    SCHEMA,
    SDMX_ATT,
    SDMX_DIM,
    TIME,
    figure_iri,
    instant_iri,
    mention_iri,
    period_iri,
    release_iri,
    sentence_iri,
    span_iri,
)
from kg.rdf.roles import Role, roles
from kg.text.numerals import format_decimal
from kg.text.periods import Period

DATASET = NKGV["dataset/figures"]
UNPARSED_DATASET = NKGV["dataset/unparsed-figures"]
"""Malformed figures (no value) are observations of their own data set (RDF Data Cube IC-14)."""
QUOTE_CONTEXT = 32


@cache
def _broader() -> dict[str, str]:
    """Each vocabulary entry's broader entry (drug trafficking → drug-related crime), which
    decides whether one figure's offence or substance lies inside another's (kg/rdf/roles)."""
    return {e.iri: e.broader for e in Lexicon.load().entries() if e.broader}


@cache
def _unit_iris() -> dict[str, str]:
    return {u.code: u.iri for u in default_measures().units}


def unit_iri(code: str) -> URIRef:
    """The unit IRI of a unit code, as ``mappings/measures.yaml`` declares it.

    Why from the measure book: every unit the extractor can emit is declared there once, with
    its IRI (QUDT units, QUDT currencies, the local mu), and the vocabulary declares the same
    list, so a figure's unit is always one the shapes accept.
    """
    units = _unit_iris()
    if code not in units:
        raise ValueError(f"unit {code!r} is not declared in measures.yaml")
    return URIRef(units[code])


def _bind(graph: Graph) -> None:
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns, override=True)


def _span(g: Graph, rid: str, text: str, start: int, end: int) -> URIRef:
    span = URIRef(span_iri(rid, start, end))
    pos, quote = URIRef(f"{span}/position"), URIRef(f"{span}/quote")
    g.add((span, RDF.type, OA.SpecificResource))
    g.add((span, OA.hasSource, URIRef(release_iri(rid))))
    g.add((span, OA.hasSelector, pos))
    g.add((span, OA.hasSelector, quote))
    g.add((pos, RDF.type, OA.TextPositionSelector))
    g.add((pos, OA.start, Literal(start, datatype=XSD.nonNegativeInteger)))
    g.add((pos, OA.end, Literal(end, datatype=XSD.nonNegativeInteger)))
    g.add((quote, RDF.type, OA.TextQuoteSelector))
    g.add((quote, OA.exact, Literal(text[start:end])))
    g.add((quote, OA.prefix, Literal(text[max(0, start - QUOTE_CONTEXT) : start])))
    g.add((quote, OA.suffix, Literal(text[end : end + QUOTE_CONTEXT])))
    return span


def _period(g: Graph, period: Period) -> URIRef:
    iri = URIRef(period_iri(period.start, period.end))
    g.add((iri, RDF.type, TIME.Interval))
    for prop, day in ((TIME.hasBeginning, period.start), (TIME.hasEnd, period.end)):
        if day:
            instant = URIRef(instant_iri(day))
            g.add((iri, prop, instant))
            g.add((instant, RDF.type, TIME.Instant))
            g.add((instant, TIME.inXSDDate, Literal(day, datatype=XSD.date)))
    return iri


def _coded(value: str | None) -> URIRef:
    return URIRef(value) if value else NOT_APPLICABLE


def _figure(g: Graph, ex: Extraction, f: Figure, role: Role) -> None:
    rid, text = ex.release.id, ex.release.text
    fig = URIRef(figure_iri(rid, f.start, f.end))
    span = _span(g, rid, text, f.start, f.end)
    g.add((fig, RDF.type, NKO.Figure))
    g.add((fig, RDF.type, QB.Observation))
    g.add((fig, QB.dataSet, DATASET if f.value is not None else UNPARSED_DATASET))
    g.add((fig, NKO.indicator, URIRef(f.indicator)))
    for area in f.areas:
        g.add((fig, SDMX_DIM.refArea, URIRef(area)))
    g.add((fig, SDMX_DIM.refPeriod, _period(g, f.period)))
    g.add((fig, NKO.operation, _coded(f.operation)))
    g.add((fig, NKO.offence, _coded(f.offence)))
    g.add((fig, NKO.substance, _coded(f.substance)))
    g.add((fig, NKO.statedIn, URIRef(release_iri(rid))))
    g.add((fig, NKO.statedAt, span))
    if f.value is None:
        g.add((fig, QB.measureType, NKO.unparsedValue))
        g.add((fig, NKO.unparsedValue, Literal(f.verbatim)))
    else:
        g.add((fig, QB.measureType, NKO.value))
        g.add((fig, NKO.value, Literal(format_decimal(f.value), datatype=XSD.decimal)))
    g.add((fig, SDMX_ATT.unitMeasure, unit_iri(f.unit)))
    g.add((fig, NKO.qualifier, NKGV[f"qualifier/{f.qualifier}"]))
    g.add((fig, NKO.status, NKGV[f"status/{f.status.value}"]))
    if f.reason and f.status is not Status.STATED:
        g.add((fig, NKO.statusReason, Literal(f.reason)))
    g.add((fig, NKO.verbatim, Literal(f.verbatim)))
    if f.period.phrase_start >= 0 or f.period.phrase:
        g.add((fig, NKO.periodPhrase, Literal(f.period.phrase)))
    s = f.sentence
    g.add((fig, NKO.inSentence, URIRef(sentence_iri(rid, s.start, s.end))))
    g.add((fig, PROV.wasDerivedFrom, URIRef(release_iri(rid))))
    if f.change_of:
        g.add((fig, NKO.changeOf, URIRef(figure_iri(rid, *f.change_of))))
    if f.direction:
        g.add((fig, NKO.direction, NKGV[f"direction/{f.direction}"]))
    if f.part_of:
        g.add((fig, NKO.partOf, URIRef(figure_iri(rid, *f.part_of))))
    if f.locality:
        g.add((fig, NKO.locality, Literal(f.locality)))
    if f.agency:
        g.add((fig, NKO.agency, URIRef(f.agency)))
    g.add((fig, NKO.sumRole, NKGV[f"sum-role/{role.role}"]))
    if role.within is not None:
        g.add((fig, NKO.within, URIRef(figure_iri(rid, *role.within))))


def _mention(g: Graph, ex: Extraction, m: Mention) -> None:
    rid = ex.release.id
    iri = URIRef(mention_iri(rid, m.start, m.end))
    g.add((iri, RDF.type, NKO.Mention))
    g.add((iri, RDF.type, OA.Annotation))
    g.add((iri, OA.motivatedBy, OA.identifying))
    if m.entity:
        g.add((iri, OA.hasBody, URIRef(m.entity)))
    g.add((iri, NKO.mentionType, NKO[m.cls]))
    g.add((iri, OA.hasTarget, _span(g, rid, ex.release.text, m.start, m.end)))
    g.add((iri, NKO.verbatim, Literal(m.verbatim)))
    s = m.sentence
    g.add((iri, NKO.inSentence, URIRef(sentence_iri(rid, s.start, s.end))))
    g.add((iri, PROV.wasDerivedFrom, URIRef(release_iri(rid))))


def to_graph(ex: Extraction, *, into: Graph | None = None) -> Graph:
    """The release graph's triples (the caller puts them in the release's named graph).

    ``into`` lets a caller collect the triples in its own ``Graph`` subclass (kg/store/parallel.py
    streams them straight to N-Triples, skipping rdflib's indexes); by default a new Graph.
    """
    g = into if into is not None else Graph()
    _bind(g)
    r = ex.release
    rel = URIRef(release_iri(r.id))
    g.add((rel, RDF.type, NKO.Release))
    g.add((rel, RDF.type, PROV.Entity))
    g.add((rel, DCTERMS.identifier, Literal(r.id)))
    if r.title:
        g.add((rel, DCTERMS.title, Literal(r.title, lang="en")))
    if r.issued:
        g.add((rel, DCTERMS.issued, Literal(r.issued.isoformat(), datatype=XSD.date)))
    if r.publisher:
        g.add((rel, DCTERMS.publisher, Literal(r.publisher)))
    for source in r.sources:
        g.add((rel, DCTERMS.source, URIRef(source)))
    g.add((rel, DCTERMS.language, Literal(r.language)))
    g.add((rel, NKO.sha256, Literal(r.sha256)))
    g.add((rel, NKO.characterCount, Literal(len(r.text), datatype=XSD.nonNegativeInteger)))
    g.add((rel, SCHEMA.text, Literal(r.text)))
    for s in ex.sentences:
        iri = URIRef(sentence_iri(r.id, s.start, s.end))
        pos = URIRef(f"{iri}/position")
        g.add((iri, RDF.type, NKO.Sentence))
        g.add((iri, RDF.type, OA.SpecificResource))
        g.add((iri, OA.hasSource, rel))
        g.add((iri, NKO.paragraphIndex, Literal(s.paragraph, datatype=XSD.nonNegativeInteger)))
        g.add((iri, NKO.sentenceIndex, Literal(s.index, datatype=XSD.nonNegativeInteger)))
        g.add((iri, OA.hasSelector, pos))
        g.add((pos, RDF.type, OA.TextPositionSelector))
        g.add((pos, OA.start, Literal(s.start, datatype=XSD.nonNegativeInteger)))
        g.add((pos, OA.end, Literal(s.end, datatype=XSD.nonNegativeInteger)))
    issued = ex.release.issued.isoformat() if ex.release.issued else None
    # what each figure is in a sum (kg/rdf/roles.py)
    summing = roles(ex.figures, issued, _broader())
    for f in ex.figures:
        _figure(g, ex, f, summing[(f.start, f.end)])
    for m in ex.mentions:
        _mention(g, ex, m)
    return g
