"""Map an :class:`~kg.extract.records.Extraction` to RDF in the release's own named graph.

Why: this is the one place that knows the graph layout of docs/model.md. It is pure (records
in, graph out) and deterministic: IRIs come from the release id and character offsets, so two
builds of the same input are isomorphic.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import cache, lru_cache

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

# The terms every release graph repeats, made once. Why: an rdflib namespace attribute
# (``OA.hasSelector``) builds and checks a new URIRef on each access, and the mapper wrote about
# 1,900 of them per release; equal terms are equal whichever object holds them, so the triples
# are the same.
_TYPE = RDF.type
_OA_SPECIFIC_RESOURCE, _OA_HAS_SOURCE, _OA_HAS_SELECTOR = (
    OA.SpecificResource,
    OA.hasSource,
    OA.hasSelector,
)
_OA_POSITION, _OA_QUOTE = OA.TextPositionSelector, OA.TextQuoteSelector
_OA_START, _OA_END, _OA_EXACT, _OA_PREFIX, _OA_SUFFIX = (
    OA.start,
    OA.end,
    OA.exact,
    OA.prefix,
    OA.suffix,
)
_OA_ANNOTATION, _OA_MOTIVATED_BY, _OA_IDENTIFYING = OA.Annotation, OA.motivatedBy, OA.identifying
_OA_HAS_BODY, _OA_HAS_TARGET = OA.hasBody, OA.hasTarget
_TIME_INTERVAL, _TIME_INSTANT, _TIME_IN_XSD_DATE = TIME.Interval, TIME.Instant, TIME.inXSDDate
_TIME_BOUNDS = (TIME.hasBeginning, TIME.hasEnd)
_CALENDAR_YEAR, _YEAR_TO_DATE, _SAME_AS = NKO.CalendarYear, NKO.YearToDate, OWL.sameAs
_NKO = {
    name: NKO[name]
    for name in (
        "Figure", "indicator", "refArea", "refPeriod", "operation", "offence", "substance",
        "statedIn", "statedAt", "unparsedValue", "value", "qualifier", "status", "statusReason",
        "verbatim", "periodPhrase", "inSentence", "changeOf", "direction", "signedChange",
        "partOf", "locality", "agency", "sumRole", "within", "Mention", "mentionType",
        "Release", "sha256", "characterCount", "Sentence", "paragraphIndex", "sentenceIndex",
    )
}  # fmt: skip
_QB_OBSERVATION, _QB_DATA_SET, _QB_MEASURE_TYPE = QB.Observation, QB.dataSet, QB.measureType
_UNIT_MEASURE = SDMX_ATT.unitMeasure
_DERIVED_FROM, _PROV_ENTITY = PROV.wasDerivedFrom, PROV.Entity
_NON_NEGATIVE_INTEGER, _DECIMAL, _DATE = XSD.nonNegativeInteger, XSD.decimal, XSD.date


@lru_cache(maxsize=1 << 16)
def _count(n: int) -> Literal:
    """An offset or index as an ``xsd:nonNegativeInteger`` (made once per value: the same
    offsets recur across a release's spans and sentences, and building a typed literal costs
    as much as writing ten triples)."""
    return Literal(n, datatype=_NON_NEGATIVE_INTEGER)


@lru_cache(maxsize=1 << 12)
def _decimal(lexical: str) -> Literal:
    """A value as an ``xsd:decimal``, made once per lexical form."""
    return Literal(lexical, datatype=_DECIMAL)


@lru_cache(maxsize=1 << 12)
def _coded_term(kind: str, code: str) -> URIRef:
    """``nkgv:<kind>/<code>`` (a qualifier, status, direction or sum role), made once."""
    return NKGV[f"{kind}/{code}"]


@lru_cache(maxsize=1 << 12)
def _period_terms(
    start: str | None, end: str | None
) -> tuple[URIRef, tuple[URIRef, ...], tuple[tuple[URIRef, URIRef, Literal], ...]]:
    """The terms :func:`_period` writes for an interval: its IRI, its extra types (with the
    calendar year it is the same as) and each stated bound's property, instant and date.
    Why cached: a release states a handful of periods for dozens of figures."""
    iri = URIRef(period_iri(start, end))
    year = calendar_year(start, end)
    if year is not None:
        extra: tuple[URIRef, ...] = (_CALENDAR_YEAR, URIRef(calendar_year_iri(year)))
    elif year_to_date(start, end):
        extra = (_YEAR_TO_DATE,)
    else:
        extra = ()
    bounds = tuple(
        (prop, URIRef(instant_iri(day)), Literal(day, datatype=_DATE))
        for prop, day in zip(_TIME_BOUNDS, (start, end), strict=True)
        if day
    )
    return iri, extra, bounds


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


def _span(g: Graph, rid: str, rel: URIRef, text: str, start: int, end: int) -> URIRef:
    """The span ``start:end`` of the release ``rid`` (IRI ``rel``) and its two selectors."""
    span = URIRef(span_iri(rid, start, end))
    pos, quote = URIRef(f"{span}/position"), URIRef(f"{span}/quote")
    add = g.add
    add((span, _TYPE, _OA_SPECIFIC_RESOURCE))
    add((span, _OA_HAS_SOURCE, rel))
    add((span, _OA_HAS_SELECTOR, pos))
    add((span, _OA_HAS_SELECTOR, quote))
    add((pos, _TYPE, _OA_POSITION))
    add((pos, _OA_START, _count(start)))
    add((pos, _OA_END, _count(end)))
    add((quote, _TYPE, _OA_QUOTE))
    add((quote, _OA_EXACT, Literal(text[start:end])))
    add((quote, _OA_PREFIX, Literal(text[max(0, start - QUOTE_CONTEXT) : start])))
    add((quote, _OA_SUFFIX, Literal(text[end : end + QUOTE_CONTEXT])))
    return span


def _period(g: Graph, period: Period) -> URIRef:
    iri, extra, bounds = _period_terms(period.start, period.end)
    g.add((iri, _TYPE, _TIME_INTERVAL))
    if len(extra) == 2:
        # the standard interval IRI Data Cube users key years on (docs/model.md "Periods")
        g.add((iri, _TYPE, extra[0]))
        g.add((iri, _SAME_AS, extra[1]))
    elif extra:
        g.add((iri, _TYPE, extra[0]))
    for prop, instant, date in bounds:
        g.add((iri, prop, instant))
        g.add((instant, _TYPE, _TIME_INSTANT))
        g.add((instant, _TIME_IN_XSD_DATE, date))
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


class _Release:
    """What every triple of one release graph shares: its id, text and IRI, and the sentence
    IRIs already made (each figure and mention points at its sentence)."""

    def __init__(self, ex: Extraction) -> None:
        self.id = ex.release.id
        self.text = ex.release.text
        self.iri = URIRef(release_iri(self.id))
        self._sentences: dict[tuple[int, int], URIRef] = {}

    def sentence(self, start: int, end: int) -> URIRef:
        """The IRI of the sentence at ``start:end`` (:func:`kg.namespaces.sentence_iri`)."""
        iri = self._sentences.get((start, end))
        if iri is None:
            iri = self._sentences[(start, end)] = URIRef(sentence_iri(self.id, start, end))
        return iri

    def figure(self, start: int, end: int) -> URIRef:
        """The IRI of the figure at ``start:end`` (:func:`kg.namespaces.figure_iri`)."""
        return URIRef(figure_iri(self.id, start, end))


def _figure(g: Graph, r: _Release, f: Figure, role: Role) -> None:
    fig = r.figure(f.start, f.end)
    span = _span(g, r.id, r.iri, r.text, f.start, f.end)
    add, nko = g.add, _NKO
    add((fig, _TYPE, nko["Figure"]))
    add((fig, _TYPE, _QB_OBSERVATION))
    add((fig, _QB_DATA_SET, DATASET if f.value is not None else UNPARSED_DATASET))
    add((fig, nko["indicator"], URIRef(f.indicator)))
    if f.areas:
        add((fig, nko["refArea"], area_group(g, f.areas)))
    add((fig, nko["refPeriod"], _period(g, f.period)))
    add((fig, nko["operation"], _coded(f.operation)))
    add((fig, nko["offence"], _coded(f.offence)))
    add((fig, nko["substance"], _coded(f.substance)))
    add((fig, nko["statedIn"], r.iri))
    add((fig, nko["statedAt"], span))
    if f.value is None:
        add((fig, _QB_MEASURE_TYPE, nko["unparsedValue"]))
        add((fig, nko["unparsedValue"], Literal(f.verbatim)))
    else:
        add((fig, _QB_MEASURE_TYPE, nko["value"]))
        add((fig, nko["value"], _decimal(format_decimal(f.value))))
    add((fig, _UNIT_MEASURE, unit_iri(f.unit)))
    add((fig, nko["qualifier"], _coded_term("qualifier", f.qualifier)))
    add((fig, nko["status"], _coded_term("status", f.status.value)))
    if f.reason and f.status is not Status.STATED:
        add((fig, nko["statusReason"], Literal(f.reason)))
    add((fig, nko["verbatim"], Literal(f.verbatim)))
    if f.period.phrase_start >= 0 or f.period.phrase:
        add((fig, nko["periodPhrase"], Literal(f.period.phrase)))
    s = f.sentence
    add((fig, nko["inSentence"], r.sentence(s.start, s.end)))
    add((fig, _DERIVED_FROM, r.iri))
    if f.change_of:
        add((fig, nko["changeOf"], r.figure(*f.change_of)))
    if f.direction:
        add((fig, nko["direction"], _coded_term("direction", f.direction)))
        signed = signed_change(f.value, f.direction)
        if signed is not None:
            add((fig, nko["signedChange"], _decimal(format_decimal(signed))))
    if f.part_of:
        add((fig, nko["partOf"], r.figure(*f.part_of)))
    if f.locality:
        add((fig, nko["locality"], Literal(f.locality)))
    if f.agency:
        add((fig, nko["agency"], URIRef(f.agency)))
    add((fig, nko["sumRole"], _coded_term("sum-role", role.role)))
    if role.within is not None:
        add((fig, nko["within"], r.figure(*role.within)))


def _mention(g: Graph, r: _Release, m: Mention) -> None:
    iri = URIRef(mention_iri(r.id, m.start, m.end))
    add, nko = g.add, _NKO
    add((iri, _TYPE, nko["Mention"]))
    add((iri, _TYPE, _OA_ANNOTATION))
    add((iri, _OA_MOTIVATED_BY, _OA_IDENTIFYING))
    if m.entity:
        add((iri, _OA_HAS_BODY, URIRef(m.entity)))
    add((iri, nko["mentionType"], _mention_type(m.cls)))
    add((iri, _OA_HAS_TARGET, _span(g, r.id, r.iri, r.text, m.start, m.end)))
    add((iri, nko["verbatim"], Literal(m.verbatim)))
    s = m.sentence
    add((iri, nko["inSentence"], r.sentence(s.start, s.end)))
    add((iri, _DERIVED_FROM, r.iri))


@lru_cache(maxsize=256)
def _mention_type(cls: str) -> URIRef:
    """``nko:<cls>``, made once per class."""
    return NKO[cls]


def to_graph(ex: Extraction, *, into: Graph | None = None) -> Graph:
    """The release graph's triples (the caller puts them in the release's named graph).

    ``into`` lets a caller collect the triples in its own ``Graph`` subclass (kg/store/parallel.py
    streams them straight to N-Triples, skipping rdflib's indexes); by default a new Graph.
    """
    g = into if into is not None else Graph()
    _bind(g)
    r = ex.release
    here = _Release(ex)
    rel = here.iri
    add, nko = g.add, _NKO
    add((rel, _TYPE, nko["Release"]))
    add((rel, _TYPE, _PROV_ENTITY))
    add((rel, DCTERMS.identifier, Literal(r.id)))
    if r.title:
        add((rel, DCTERMS.title, Literal(r.title, lang="en")))
    if r.issued:
        add((rel, DCTERMS.issued, Literal(r.issued.isoformat(), datatype=_DATE)))
    if r.publisher:
        add((rel, DCTERMS.publisher, _publisher(g, rel, r.publisher)))
    for source in r.sources:
        add((rel, DCTERMS.source, URIRef(source)))
    add((rel, DCTERMS.language, language_term(r.language)))
    add((rel, nko["sha256"], Literal(r.sha256)))
    add((rel, nko["characterCount"], _count(len(r.text))))
    add((rel, SCHEMA.text, Literal(r.text)))
    for s in ex.sentences:
        iri = here.sentence(s.start, s.end)
        pos = URIRef(f"{iri}/position")
        add((iri, _TYPE, nko["Sentence"]))
        add((iri, _TYPE, _OA_SPECIFIC_RESOURCE))
        add((iri, _OA_HAS_SOURCE, rel))
        add((iri, nko["paragraphIndex"], _count(s.paragraph)))
        add((iri, nko["sentenceIndex"], _count(s.index)))
        add((iri, _OA_HAS_SELECTOR, pos))
        add((pos, _TYPE, _OA_POSITION))
        add((pos, _OA_START, _count(s.start)))
        add((pos, _OA_END, _count(s.end)))
        # the sentence's words, as a figure's span has them: a table that shows each figure
        # with its sentence reads them here instead of cutting them out of the release text
        # (SUBSTR over the whole text for each figure made long releases quadratic)
        quote = URIRef(f"{iri}/quote")
        add((iri, _OA_HAS_SELECTOR, quote))
        add((quote, _TYPE, _OA_QUOTE))
        add((quote, _OA_EXACT, Literal(s.text)))
    issued = ex.release.issued.isoformat() if ex.release.issued else None
    # what each figure is in a sum (kg/rdf/roles.py)
    summing = roles(ex.figures, issued, _broader())
    for f in ex.figures:
        _figure(g, here, f, summing[(f.start, f.end)])
    for m in ex.mentions:
        _mention(g, here, m)
    return g
