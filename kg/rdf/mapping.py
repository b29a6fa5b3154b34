"""Map an :class:`~kg.extract.records.Extraction` to RDF in the release's own named graph.

Why: this is the one place that knows the graph layout of docs/model.md. It is pure (records
in, graph out) and deterministic: IRIs come from the release id and character offsets, so two
builds of the same input are isomorphic.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import cache

from rdflib import OWL, RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, SKOS

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
    TIME,
    area_code,
    area_group_iri,
    calendar_year_iri,
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


LOC_ISO639_1 = "http://id.loc.gov/vocabulary/iso639-1/"
LEXVO_ISO639_3 = "http://lexvo.org/id/iso639-3/"


def language_term(tag: str) -> URIRef:
    """The release's language as an IRI: of the Library of Congress's ISO 639-1 vocabulary, or
    of Lexvo's ISO 639-3 one.

    Why an IRI: ``dcterms:language`` ranges over ``dcterms:LinguisticSystem``, a join with
    another catalogue compares IRIs, not tags, and the ontology declares ``dcterms:language``
    an object property (a literal there takes the data out of OWL 2 DL). id.loc.gov is the
    ISO 639-2 registration authority's own vocabulary: a two-letter primary language subtag
    (BCP 47) is an ISO 639-1 code; a script or region subtag (``zh-Hans``) names no other
    language and is not kept. A three-letter subtag may be ISO 639-3 only (``yue``), which
    id.loc.gov does not list: Lexvo, which lists every ISO 639-3 code, names it. A tag with no
    language subtag (``x-private``) names nothing anyone else knows: it gets an IRI of ours
    (docs/decisions/20261129-join-keys.md).
    """
    primary = tag.split("-", 1)[0].lower()
    if primary.isascii() and primary.isalpha():
        if len(primary) == 2:
            return URIRef(LOC_ISO639_1 + primary)
        if len(primary) == 3:
            return URIRef(LEXVO_ISO639_3 + primary)
    return URIRef(NKGV[f"language/{tag.lower()}"])


@cache
def _agency_names() -> Lexicon:
    return Lexicon.load()


def publisher_term(name: str) -> URIRef | Literal:
    """The release's publisher as the IRI of the agency it names, the name when none (the
    mapping then gives the name an agent of its own: :func:`_publisher`).

    ``releases.yaml`` gives the publisher as text ("Office of the National Narcotics Control
    Commission (press conference)"); the first agency of the vocabulary that text names is the
    publisher (``nkgv:agency/nncc-office``), so that a join on ``dcterms:publisher`` meets the
    agency the figures cite. A publisher the vocabulary does not know keeps its name.
    """
    found = _agency_names().find(name, schemes=["agencies"])
    return URIRef(found[0].entry.iri) if found else Literal(name)


def _publisher(g: Graph, release: URIRef, name: str) -> URIRef:
    """The publisher's agency IRI, or for a publisher the vocabulary does not know, an agent
    of the release's own named by it (``<release>/publisher``, a ``foaf:Agent`` with its
    ``foaf:name``). Why not the name itself: ``dcterms:publisher`` is an object property in
    the ontology (its range is ``dcterms:Agent``), and a literal there takes the data out of
    OWL 2 DL (``narcokg reason --data``)."""
    term = publisher_term(name)
    if isinstance(term, URIRef):
        return term
    agent = URIRef(f"{release}/publisher")
    g.add((agent, RDF.type, FOAF.Agent))
    g.add((agent, FOAF.name, term))
    return agent


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
    year = calendar_year(period.start, period.end)
    if year is not None:
        # the standard interval IRI Data Cube users key years on (docs/model.md "Periods")
        g.add((iri, RDF.type, NKO.CalendarYear))
        g.add((iri, OWL.sameAs, URIRef(calendar_year_iri(year))))
    elif year_to_date(period.start, period.end):
        g.add((iri, RDF.type, NKO.YearToDate))
    for prop, day in ((TIME.hasBeginning, period.start), (TIME.hasEnd, period.end)):
        if day:
            instant = URIRef(instant_iri(day))
            g.add((iri, prop, instant))
            g.add((instant, RDF.type, TIME.Instant))
            g.add((instant, TIME.inXSDDate, Literal(day, datatype=XSD.date)))
    return iri


def calendar_year(start: str | None, end: str | None) -> int | None:
    """The year of a period that is exactly one calendar year (1 January to 31 December)."""
    if start and end and start[:4] == end[:4] and start[4:] == "-01-01" and end[4:] == "-12-31":
        return int(start[:4])
    return None


def year_to_date(start: str | None, end: str | None) -> bool:
    """Whether a period runs from 1 January to a day before 31 December of the same year
    (January to October, the first half): part of a year, never to be joined as the year."""
    return bool(
        start and end and start[:4] == end[:4] and start[4:] == "-01-01" and end[4:] != "-12-31"
    )


@cache
def _area_labels() -> dict[str, str]:
    """Each area's English label, from the vocabulary (the jurisdictions lexicon)."""
    return {e.iri: e.label for e in Lexicon.load().entries()}


def area_group(g: Graph, areas: Sequence[str]) -> URIRef:
    """The one reference area of a figure stated for ``areas`` together: the area itself, or a
    group concept with the areas as members (RDF Data Cube: one value per dimension, IC-12's
    spirit; a per-area sum would count a joint figure once per member otherwise).

    The group's IRI comes from the sorted member codes, and its label from the member labels in
    that order, so two releases naming the same provinces mint the same concept, identically.
    """
    if len(set(areas)) == 1:
        return URIRef(areas[0])
    members = sorted(set(areas), key=area_code)
    iri = URIRef(area_group_iri([area_code(a) for a in members]))
    labels = [_area_labels().get(a, area_code(a)) for a in members]
    label = ", ".join(labels[:-1]) + f" and {labels[-1]} together"
    g.add((iri, RDF.type, SKOS.Concept))
    g.add((iri, RDF.type, NKO.AreaGroup))
    g.add((iri, SKOS.inScheme, NKGV["scheme/jurisdictions"]))
    g.add((iri, SKOS.prefLabel, Literal(label, lang="en")))
    for member in members:
        g.add((iri, NKO.memberArea, URIRef(member)))
    return iri


def _coded(value: str | None) -> URIRef:
    return URIRef(value) if value else NOT_APPLICABLE


def signed_change(value: Decimal | None, direction: str | None) -> Decimal | None:
    """The signed value of a change stated as a magnitude and a direction ("down 12.5%" →
    -12.5); none when the number is malformed (no value) or the direction unknown: a sign is
    only ever applied to a number the text states."""
    if value is None or direction not in ("up", "down"):
        return None
    return -value if direction == "down" else value


def _figure(g: Graph, ex: Extraction, f: Figure, role: Role) -> None:
    rid, text = ex.release.id, ex.release.text
    fig = URIRef(figure_iri(rid, f.start, f.end))
    span = _span(g, rid, text, f.start, f.end)
    g.add((fig, RDF.type, NKO.Figure))
    g.add((fig, RDF.type, QB.Observation))
    g.add((fig, QB.dataSet, DATASET if f.value is not None else UNPARSED_DATASET))
    g.add((fig, NKO.indicator, URIRef(f.indicator)))
    if f.areas:
        g.add((fig, NKO.refArea, area_group(g, f.areas)))
    g.add((fig, NKO.refPeriod, _period(g, f.period)))
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
        signed = signed_change(f.value, f.direction)
        if signed is not None:
            g.add((fig, NKO.signedChange, Literal(format_decimal(signed), datatype=XSD.decimal)))
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
        g.add((rel, DCTERMS.publisher, _publisher(g, rel, r.publisher)))
    for source in r.sources:
        g.add((rel, DCTERMS.source, URIRef(source)))
    g.add((rel, DCTERMS.language, language_term(r.language)))
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
        # the sentence's words, as a figure's span has them: a table that shows each figure
        # with its sentence reads them here instead of cutting them out of the release text
        # (SUBSTR over the whole text for each figure made long releases quadratic)
        quote = URIRef(f"{iri}/quote")
        g.add((iri, OA.hasSelector, quote))
        g.add((quote, RDF.type, OA.TextQuoteSelector))
        g.add((quote, OA.exact, Literal(s.text)))
    issued = ex.release.issued.isoformat() if ex.release.issued else None
    # what each figure is in a sum (kg/rdf/roles.py)
    summing = roles(ex.figures, issued, _broader())
    for f in ex.figures:
        _figure(g, ex, f, summing[(f.start, f.end)])
    for m in ex.mentions:
        _mention(g, ex, m)
    return g
