"""RDF namespaces and IRI minting rules shared by mapping, validation and queries.

Why: IRIs must be deterministic (release id + character offsets), so the rules live in one
place; see docs/model.md.
"""

from __future__ import annotations

from rdflib import Namespace

NKO = Namespace("https://w3id.org/narcotics-kg/ontology#")
NKGV = Namespace("https://w3id.org/narcotics-kg/id/")
NKG = Namespace("https://w3id.org/narcotics-kg/graph/")
QB = Namespace("http://purl.org/linked-data/cube#")
SDMX_DIM = Namespace("http://purl.org/linked-data/sdmx/2009/dimension#")
SDMX_ATT = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")
PROV = Namespace("http://www.w3.org/ns/prov#")
OA = Namespace("http://www.w3.org/ns/oa#")
TIME = Namespace("http://www.w3.org/2006/time#")
QUDT = Namespace("http://qudt.org/schema/qudt/")
UNIT = Namespace("http://qudt.org/vocab/unit/")
CUR = Namespace("http://qudt.org/vocab/currency/")
ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
WD = Namespace("http://www.wikidata.org/entity/")

PREFIXES: dict[str, str] = {
    "nko": str(NKO),
    "nkgv": str(NKGV),
    "nkg": str(NKG),
    "qb": str(QB),
    "sdmx-dimension": str(SDMX_DIM),
    "sdmx-attribute": str(SDMX_ATT),
    "prov": str(PROV),
    "oa": str(OA),
    "time": str(TIME),
    "qudt": str(QUDT),
    "unit": str(UNIT),
    "cur": str(CUR),
    "org": str(ORG),
    "schema": str(SCHEMA),
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "wd": str(WD),
}

VOCABULARY_GRAPH = NKG["vocabulary"]
CORRECTIONS_GRAPH = f"{NKG}corrections"
"""The graph of revised figures (verified corrections of stated ones)."""
RELEASE_GRAPH_PREFIX = f"{NKG}release/"
"""Named graphs whose IRI starts with this are release graphs (one per release)."""
NOT_APPLICABLE = NKGV["code/not-applicable"]


def expand(curie: str) -> str:
    """Expand ``nkgv:substance/x`` (or a full IRI) to a full IRI string."""
    if curie.startswith(("http://", "https://")):
        return curie
    prefix, sep, local = curie.partition(":")
    if not sep or prefix not in PREFIXES:
        raise ValueError(f"unknown prefix in {curie!r}")
    return PREFIXES[prefix] + local


def release_iri(release_id: str) -> str:
    """The release itself."""
    return f"{NKGV}release/{release_id}"


def release_graph(release_id: str) -> str:
    """The named graph holding everything extracted from one release."""
    return f"{NKG}release/{release_id}"


def span_iri(release_id: str, start: int, end: int) -> str:
    """The characters ``start:end`` of a release (an oa:SpecificResource)."""
    return f"{release_iri(release_id)}/span/{start}-{end}"


def figure_iri(release_id: str, start: int, end: int) -> str:
    """A figure stated at ``start:end``."""
    return f"{release_iri(release_id)}/figure/{start}-{end}"


def mention_iri(release_id: str, start: int, end: int) -> str:
    """An entity mention at ``start:end``."""
    return f"{release_iri(release_id)}/mention/{start}-{end}"


def sentence_iri(release_id: str, start: int, end: int) -> str:
    """A sentence of a release."""
    return f"{release_iri(release_id)}/sentence/{start}-{end}"


def period_iri(start: str | None, end: str | None) -> str:
    """A time interval; an open bound is left empty (``--2022-07-31``)."""
    return f"{NKGV}period/{start or ''}--{end or ''}"


def area_code(area: str) -> str:
    """The code of a reference area: its IRI's last segment (``CN-GD``, the ISO 3166-2 code)."""
    return area.rstrip("/").rsplit("/", 1)[-1]


def area_group_iri(codes: list[str]) -> str:
    """The group of areas a figure is stated for together, from its members' sorted codes
    (``nkgv:area-group/CN-FJ_CN-GD``): the same members always mint the same group."""
    return f"{NKGV}area-group/{'_'.join(sorted(codes))}"


CALENDAR_YEAR = "http://reference.data.gov.uk/id/year/"
"""The UK government's interval IRIs of calendar years, which Data Cube publishers key years on."""


def calendar_year_iri(year: int) -> str:
    """The standard interval IRI of a calendar year (``.../id/year/2023``)."""
    return f"{CALENDAR_YEAR}{year}"


def instant_iri(day: str) -> str:
    """A calendar day."""
    return f"{NKGV}instant/{day}"
