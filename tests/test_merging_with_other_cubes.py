"""Issue 18: our graph loaded beside other people's statistical data (the Data Cube side).

* Points 1 and done-when: a small, independent UNODC-style cube, written here by hand (its own
  qb:DataSet and DSD on ``sdmx-dimension:refArea`` with a Wikidata area, a year period and
  ``sdmx-measure:obsValue``), loaded together with our built dump: the 21 integrity
  constraints of kg/checks/datacube.py pass for both. They failed IC-19 while our vocabulary
  gave ``sdmx-dimension:refArea`` our code list. And no triple of ours has a subject outside our
  namespace, except the listed ones that the standards invite.
* Point 2: one reference area per observation; a figure stated for several provinces together
  refers to a group of areas, with its members.
* Point 5 (periods): a calendar-year period says so (the year's standard interval IRI); a
  year-to-date period says so too, and a (country, year) join does not take it for the year.
* Point 8: figure status on top of ``sdmx-attribute:obsStatus``; signed year-on-year values.

Every expected value was read off the release texts by hand (quoted beside each check).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, RDFS, BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import SKOS, XSD

from kg.checks.datacube import ConstraintResult, CubeChecker, observation_graphs
from kg.namespaces import NKGV, NKO, QB, VOCABULARY_GRAPH, figure_iri
from kg.queries.run import run_query
from kg.rdf.mapping import signed_change, to_graph
from kg.resources import ontology_dir
from kg.store.parallel import process_extractor
from kg.text.corpus import Release
from tests.conftest import INVENTED, narcokg

OURS = "https://w3id.org/narcotics-kg/"
SDMX_DIMENSION = "http://purl.org/linked-data/sdmx/2009/dimension#"
SDMX_ATTRIBUTE = "http://purl.org/linked-data/sdmx/2009/attribute#"
SDMX_CODE = "http://purl.org/linked-data/sdmx/2009/code#"
YEAR = "http://reference.data.gov.uk/id/year/"
R000 = "000_a69edf0332bcabe2"

# A cube someone else publishes (figures invented for the test; the modelling is UNODC's and
# the SDMX-RDF vocabulary's): China's area as its Wikidata item, years as the UK government's
# standard interval IRIs, the SDMX measure. The cube declares the SDMX terms it uses as such a
# cube does (a type, the SDMX concept, and a range, which IC-4 needs).
OTHER_CUBE = """
@prefix qb: <http://purl.org/linked-data/cube#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#> .
@prefix sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#> .
@prefix sdmx-concept: <http://purl.org/linked-data/sdmx/2009/concept#> .
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix year: <http://reference.data.gov.uk/id/year/> .
@prefix ex: <http://example.org/unodc/> .

sdmx-dimension:refArea a qb:DimensionProperty , rdf:Property ;
    rdfs:range rdfs:Resource ; qb:concept sdmx-concept:refArea .
sdmx-dimension:refPeriod a qb:DimensionProperty , rdf:Property ;
    rdfs:range rdfs:Resource ; qb:concept sdmx-concept:refPeriod .
sdmx-measure:obsValue a qb:MeasureProperty , rdf:Property ;
    rdfs:range rdfs:Literal ; qb:concept sdmx-concept:obsValue .

ex:dsd a qb:DataStructureDefinition ;
    qb:component [ qb:dimension sdmx-dimension:refArea ; qb:order 1 ] ,
                 [ qb:dimension sdmx-dimension:refPeriod ; qb:order 2 ] ,
                 [ qb:measure sdmx-measure:obsValue ] .
ex:drug-seizures a qb:DataSet ; rdfs:label "Drug seizures (tonnes)"@en ; qb:structure ex:dsd .

ex:o1 a qb:Observation ; qb:dataSet ex:drug-seizures ;
    sdmx-dimension:refArea wd:Q148 ; sdmx-dimension:refPeriod year:2021 ;
    sdmx-measure:obsValue "27.0"^^xsd:decimal .
ex:o2 a qb:Observation ; qb:dataSet ex:drug-seizures ;
    sdmx-dimension:refArea wd:Q148 ; sdmx-dimension:refPeriod year:2022 ;
    sdmx-measure:obsValue "25.5"^^xsd:decimal .
ex:o3 a qb:Observation ; qb:dataSet ex:drug-seizures ;
    sdmx-dimension:refArea wd:Q17 ; sdmx-dimension:refPeriod year:2022 ;
    sdmx-measure:obsValue "1.2"^^xsd:decimal .
"""


def _other_cube() -> list[ox.Quad]:
    return list(ox.parse(OTHER_CUBE.encode(), format=ox.RdfFormat.TURTLE))  # type: ignore[arg-type]


def _failed(results: list[ConstraintResult]) -> list[str]:
    return [f"{r.graph} {r.constraint}" for r in results if not r.passed]


@pytest.fixture(scope="module")
def store(built: Path) -> ox.Store:
    return ox.Store.read_only(str(built))


@pytest.fixture(scope="module")
def invented(tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    """The hand-annotated test releases, built."""
    work = tmp_path_factory.mktemp("invented18")
    narcokg("build", str(INVENTED), "--store", str(work / "store"), "--no-dump", cwd=work)
    return ox.Store.read_only(str(work / "store"))


_Object = ox.NamedNode | ox.BlankNode | ox.Literal


def _objects(store: ox.Store, subject: ox.NamedNode, p: URIRef) -> list[_Object]:
    """The objects of ``subject`` and ``p`` in any graph (once per graph)."""
    found = (q.object for q in store.quads_for_pattern(subject, ox.NamedNode(str(p)), None, None))
    return [o for o in found if not isinstance(o, ox.Triple)]


def _quads(store: ox.Store, graph: str) -> Iterator[ox.Quad]:
    return store.quads_for_pattern(None, None, None, ox.NamedNode(graph))


# --- point 1 and done-when: another cube beside ours ------------------------------------------


def test_the_other_cube_alone_is_well_formed() -> None:
    assert _failed(CubeChecker([]).check("other", _other_cube())) == []


def test_the_other_cube_beside_our_vocabulary_passes_every_constraint(store: ox.Store) -> None:
    # failed IC-19 while codes.ttl said `sdmx-dimension:refArea qb:codeList <jurisdictions>`:
    # wd:Q148 is not in our scheme of jurisdictions
    results = CubeChecker.of_store(store).check("other", _other_cube())
    assert len(results) == 21
    assert _failed(results) == []


def test_both_cubes_in_one_graph_pass_every_constraint(store: ox.Store) -> None:
    # everything in one default graph, as someone loading both dumps into one store has it
    graphs = observation_graphs(store)
    assert len(graphs) >= 3  # the bundled releases and the corrections
    merged: list[ox.Quad] = list(_quads(store, str(VOCABULARY_GRAPH))) + _other_cube()
    for g in graphs:
        merged += _quads(store, g)
    results = CubeChecker(merged).check("merged", [])
    assert _failed(results) == []
    # and each of our graphs, checked with the other cube beside the vocabulary
    beside = CubeChecker(list(_quads(store, str(VOCABULARY_GRAPH))) + _other_cube())
    for g in graphs:
        assert _failed(beside.check(g, _quads(store, g))) == []


def test_our_dimensions_are_our_own_sub_properties_of_the_sdmx_ones() -> None:
    onto = Graph().parse(ontology_dir() / "narcotics.ttl")
    onto.parse(ontology_dir() / "vocab" / "codes.ttl")
    concept = "http://purl.org/linked-data/sdmx/2009/concept#"
    for ours, theirs, rng in (
        (NKO.refArea, URIRef(f"{SDMX_DIMENSION}refArea"), SKOS.Concept),
        (NKO.refPeriod, URIRef(f"{SDMX_DIMENSION}refPeriod"), URIRef("http://www.w3.org/2006/time#Interval")),
    ):  # fmt: skip
        assert (ours, RDFS.subPropertyOf, theirs) in onto
        assert (ours, RDFS.range, rng) in onto
        assert (ours, QB.concept, URIRef(concept + str(theirs).rsplit("#", 1)[1])) in onto
        assert set(onto.predicate_objects(theirs)) <= {(RDF.type, OWL.ObjectProperty)}
    assert (NKO.refArea, QB.codeList, NKGV["scheme/jurisdictions"]) in onto
    dimensions = {
        o for dsd in ("figures", "unparsed-figures")
        for spec in onto.objects(NKGV[f"dsd/{dsd}"], QB.component)
        for o in onto.objects(spec, QB.dimension)
    }  # fmt: skip
    assert {NKO.refArea, NKO.refPeriod} <= dimensions
    assert not {str(d) for d in dimensions if str(d).startswith(SDMX_DIMENSION)}


# Triples of ours whose subject is another namespace's term, each allowed for a stated reason.
ALLOWED_FOREIGN = {
    # OWL 2 DL: every entity an ontology uses is declared in it (OWL 2 Structural Specification
    # §5.8 "Entity Declarations and Typing"), standard terms included; a declaration repeats the
    # term's own kind and claims nothing else.
    (RDF.type, OWL.Class): "OWL 2 declaration",
    (RDF.type, OWL.ObjectProperty): "OWL 2 declaration",
    (RDF.type, OWL.DatatypeProperty): "OWL 2 declaration",
    (RDF.type, OWL.AnnotationProperty): "OWL 2 declaration",
    (RDF.type, RDFS.Datatype): "OWL 2 declaration (a datatype outside the OWL 2 map, xsd:date)",
    # QUDT types its own units qudt:Unit; restating it lets the shapes check a unit without
    # loading QUDT, and adds nothing to QUDT's graph. Labels and codes are not restated.
    (RDF.type, URIRef("http://qudt.org/schema/qudt/Unit")): "QUDT's own typing of its units",
}


def _foreign(graph: Graph) -> set[tuple[str, str, str]]:
    out = set()
    for s, p, o in graph:
        if isinstance(s, BNode) or str(s).startswith(OURS):
            continue  # blank nodes are local to our documents: nobody else can name them
        if (p, o) not in ALLOWED_FOREIGN:
            out.add((str(s), str(p), str(o)))
    return out


def test_no_triple_of_ours_has_a_subject_outside_our_namespace(built: Path) -> None:
    files = [ontology_dir() / "narcotics.ttl", *sorted((ontology_dir() / "vocab").glob("*.ttl"))]
    for path in files:
        assert _foreign(Graph().parse(path)) == set(), path.name
    dump = Dataset()
    dump.parse(built.parent / "narcotics-kg.nq", format="nquads")
    merged = Graph()
    for s, p, o, _ in dump.quads((None, None, None, None)):
        merged.add((s, p, o))
    assert len(merged) > 5000
    assert _foreign(merged) == set()
    assert _foreign(Graph().parse(built.parent / "void.ttl")) == set()


def test_the_exceptions_are_used_only_as_stated() -> None:
    onto = Graph().parse(ontology_dir() / "narcotics.ttl")
    declared = {s for s in onto.subjects(RDF.type, OWL.Class) if not str(s).startswith(OURS)}
    assert URIRef("http://www.w3.org/2004/02/skos/core#Concept") in declared
    units = Graph().parse(ontology_dir() / "vocab" / "units.ttl")
    kg = URIRef("http://qudt.org/vocab/unit/KiloGM")
    assert set(units.predicate_objects(kg)) == {
        (RDF.type, URIRef("http://qudt.org/schema/qudt/Unit"))
    }
    assert (NKGV["scheme/units"], SKOS.member, kg) in units


# --- point 2: one area per observation --------------------------------------------------------

MORE_THAN_ONE_AREA = """
PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>
SELECT ?f (COUNT(DISTINCT ?a) AS ?n) WHERE { GRAPH ?g { ?f nko:refArea ?a } }
GROUP BY ?f HAVING (COUNT(DISTINCT ?a) > 1)
"""
SDMX_AREA = f"SELECT ?f WHERE {{ GRAPH ?g {{ ?f <{SDMX_DIMENSION}refArea> ?a }} }}"


def test_at_most_one_area_per_observation_in_the_corpus(store: ox.Store) -> None:
    assert list(store.query(MORE_THAN_ONE_AREA)) == []  # type: ignore[arg-type]
    assert list(store.query(SDMX_AREA)) == []  # type: ignore[arg-type]


def test_at_most_one_area_per_observation_in_the_test_releases(invented: ox.Store) -> None:
    assert list(invented.query(MORE_THAN_ONE_AREA)) == []  # type: ignore[arg-type]
    # r20: "Sichuan, Guizhou and Yunnan" seized 412 kg in a joint operation (title and text)
    fig = ox.NamedNode(figure_iri("r20_cns_sichuan_joint_national", 26, 29))
    (area,) = _objects(invented, fig, NKO.refArea)
    assert area.value == f"{NKGV}area-group/CN-GZ_CN-SC_CN-YN"


FIVE = f"{NKGV}area-group/CN-FJ_CN-GD_CN-GX_CN-HI_CN-SH"


def test_a_figure_stated_for_five_provinces_refers_to_their_group(store: ox.Store) -> None:
    # 000, offsets 2243 and 2300: "Shanghai, Fujian, Guangdong, Guangxi and Hainan strengthened
    # maritime drug interception, and jointly cracked four major cases ... and seized 2.8 tons"
    group = ox.NamedNode(FIVE)
    for span in ((2243, 2247), (2300, 2303)):
        fig = ox.NamedNode(figure_iri(R000, *span))
        areas = _objects(store, fig, NKO.refArea)
        assert areas == [group]
    members = {o.value for o in _objects(store, group, NKO.memberArea)}
    assert members == {f"{NKGV}jurisdiction/CN-{c}" for c in ("SH", "FJ", "GD", "GX", "HI")}
    labels = set(_objects(store, group, SKOS.prefLabel))
    assert labels == {
        ox.Literal("Fujian, Guangdong, Guangxi, Hainan and Shanghai together", language="en")
    }
    types = {o.value for o in _objects(store, group, RDF.type)}
    assert types == {str(SKOS.Concept), str(NKO.AreaGroup)}


def test_figures_by_area_lists_a_group_figure_once_under_its_group(store: ox.Store) -> None:
    rows = run_query(store, "figures_by_area", {"release": R000}).as_dicts()
    group = [r for r in rows if r["code"] == "CN-FJ_CN-GD_CN-GX_CN-HI_CN-SH"]
    assert {r["verbatims"] for r in group} == {"four", "2.8"}
    assert {r["label"] for r in group} == {
        "Fujian, Guangdong, Guangxi, Hainan and Shanghai together"
    }
    for member in ("CN-SH", "CN-FJ", "CN-GD", "CN-GX", "CN-HI"):
        for r in rows:
            if r["code"] == member:
                assert "2.8" not in r["verbatims"].split(";"), r


def test_figures_table_still_names_a_groups_members(store: ox.Store) -> None:
    rows = run_query(store, "figures", {"release": R000}).as_dicts()
    (row,) = [r for r in rows if r["start"] == "2300"]
    assert row["verbatim"] == "2.8"
    assert row["area"] == "CN-FJ;CN-GD;CN-GX;CN-HI;CN-SH"


def test_a_figure_page_names_its_group_of_areas(store: ox.Store) -> None:
    from kg.publish.pages import View, figure_page

    page = figure_page(View(store), figure_iri(R000, 2300, 2303))
    assert "Fujian, Guangdong, Guangxi, Hainan and Shanghai together" in page


def test_sum_roles_compare_a_group_with_its_members() -> None:
    # a province's figure lies within the figure of the group it is a member of
    text = (
        "From January to June, police in Yunnan and Guangxi jointly cracked 200 drug cases. In"
        " the same period, Yunnan police cracked 120 drug cases.\n"
    )
    release = Release(
        id="t", path=Path("t.txt"), text=text, issued=dt.date(2024, 9, 10),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )  # fmt: skip
    g = to_graph(process_extractor().extract(release))
    joint, yunnan = URIRef(figure_iri("t", 67, 70)), URIRef(figure_iri("t", 125, 128))
    assert text[67:70] == "200" and text[125:128] == "120"
    assert list(g.objects(joint, NKO.refArea)) == [NKGV["area-group/CN-GX_CN-YN"]]
    assert list(g.objects(yunnan, NKO.refArea)) == [NKGV["jurisdiction/CN-YN"]]
    assert g.value(yunnan, NKO.sumRole) == NKGV["sum-role/covered"]
    assert g.value(yunnan, NKO.within) == joint
    assert g.value(joint, NKO.sumRole) == NKGV["sum-role/headline"]


def test_a_revision_of_a_group_figure_carries_the_group(invented: ox.Store) -> None:
    # corrections.csv rows (invented here): r20's "seize 412 kg of drugs" (the joint figure of
    # Sichuan, Guizhou and Yunnan) and r36's "decrease of 12.5%" (a change)
    from decimal import Decimal

    from kg.rdf.corrections import CorrectionRow, correction_iri, revise

    def row(release: str, exact: str, start: int, value: str, unit: str) -> CorrectionRow:
        return CorrectionRow(
            Path("corrections.csv"), 2, release, exact, start, Decimal(value), unit, "exact",
            ("https://example.org/source",), "",
        )  # fmt: skip

    result = revise(
        invented,
        [
            row("r20_cns_sichuan_joint_national", "seize 412 kg of drugs", 20, "412", "kilogram"),
            row("r36_mt_shaanxi_first_half_ecig", "decrease of 12.5%", 712, "-12.6", "percent"),
        ],
    )
    assert len(result.revisions) == 2, result.warnings()
    g = result.graph
    group = NKGV["area-group/CN-GZ_CN-SC_CN-YN"]
    revised = URIRef(correction_iri("r20_cns_sichuan_joint_national", 26, 29))
    assert list(g.objects(revised, NKO.refArea)) == [group]
    assert (group, RDF.type, NKO.AreaGroup) in g  # described beside it: IC-19 holds there too
    assert (group, SKOS.inScheme, NKGV["scheme/jurisdictions"]) in g
    assert len(list(g.objects(group, NKO.memberArea))) == 3
    change = URIRef(correction_iri("r36_mt_shaanxi_first_half_ecig", 724, 729))
    assert g.value(change, NKO.value) == Literal("12.6", datatype=XSD.decimal)
    assert g.value(change, NKO.signedChange) == Literal("-12.6", datatype=XSD.decimal)
    checker = CubeChecker.of_store(invented)
    quads = [ox.Quad(ox.NamedNode(str(s)), ox.NamedNode(str(p)), _ox(o)) for s, p, o in g]
    assert _failed(checker.check("corrections", quads)) == []


def _ox(term: object) -> ox.NamedNode | ox.Literal:
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string)))
    return ox.NamedNode(str(term))


# --- point 5: calendar years and years to date ------------------------------------------------


def _period(store: ox.Store, release: str, start: int, end: int) -> ox.NamedNode:
    fig = ox.NamedNode(figure_iri(release, start, end))
    (period,) = _objects(store, fig, NKO.refPeriod)
    assert isinstance(period, ox.NamedNode)
    return period


def _about(store: ox.Store, node: ox.NamedNode, p: URIRef) -> set[str]:
    return {o.value for o in _objects(store, node, p)}


def test_a_calendar_year_says_so(invented: ox.Store) -> None:
    # r28 (issued 2024-01-18): "solved 2,846 drug-related criminal cases last year, down 12.3
    # percent": the period is 2023
    period = _period(invented, "r28_shandong_wire_annual", 241, 245)
    assert period.value == f"{NKGV}period/2023-01-01--2023-12-31"
    assert _about(invented, period, OWL.sameAs) == {f"{YEAR}2023"}
    assert str(NKO.CalendarYear) in _about(invented, period, RDF.type)
    assert str(NKO.YearToDate) not in _about(invented, period, RDF.type)


@pytest.mark.parametrize(
    ("release", "span", "period"),
    [
        # r30 (issued 2023-12-05): "In the first ten months of this year ... down 21.4 percent"
        ("r30_page_drug_driving_national", (539, 543), "2023-01-01--2023-10-31"),
        # r36 (issued 2024-07-16): "in the first half of this year ... decrease of 12.5%"
        ("r36_mt_shaanxi_first_half_ecig", (724, 729), "2024-01-01--2024-06-30"),
    ],
)
def test_a_year_to_date_says_so(
    invented: ox.Store, release: str, span: tuple[int, int], period: str
) -> None:
    node = _period(invented, release, *span)
    assert node.value == f"{NKGV}period/{period}"
    assert str(NKO.YearToDate) in _about(invented, node, RDF.type)
    assert _about(invented, node, OWL.sameAs) == set()


def test_a_country_year_join_takes_only_whole_years(invented: ox.Store) -> None:
    # the (area, year) key of another cube: our figures whose period is the year 2023
    q = f"""PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>
    PREFIX owl: <http://www.w3.org/2002/07/owl#>
    SELECT DISTINCT ?f WHERE {{ GRAPH ?g {{
      ?f nko:refPeriod ?p . ?p owl:sameAs <{YEAR}2023> }} }}"""
    found = {s["f"].value for s in invented.query(q)}  # type: ignore[union-attr]
    assert figure_iri("r28_shandong_wire_annual", 241, 245) in found
    assert figure_iri("r30_page_drug_driving_national", 539, 543) not in found  # Jan-Oct 2023


# --- point 8: status on top of sdmx-attribute:obsStatus; signed changes -----------------------


def test_status_is_a_sub_property_of_sdmx_obs_status() -> None:
    onto = Graph().parse(ontology_dir() / "narcotics.ttl")
    onto.parse(ontology_dir() / "vocab" / "codes.ttl")
    assert (NKO.status, RDFS.subPropertyOf, URIRef(f"{SDMX_ATTRIBUTE}obsStatus")) in onto
    stated, malformed = NKGV["status/stated"], NKGV["status/malformed"]
    assert (stated, SKOS.closeMatch, URIRef(f"{SDMX_CODE}obsStatus-A")) in onto  # normal value
    assert (malformed, SKOS.broadMatch, URIRef(f"{SDMX_CODE}obsStatus-M")) in onto  # missing
    # no SDMX 2009 code says "implausible" or "revised": none is invented
    for code in ("implausible", "revised"):
        assert not set(onto.objects(NKGV[f"status/{code}"], SKOS.closeMatch))
        assert not set(onto.objects(NKGV[f"status/{code}"], SKOS.broadMatch))


def _signed(store: ox.Store, release: str, start: int, end: int) -> list[ox.Literal]:
    fig = ox.NamedNode(figure_iri(release, start, end))
    return _objects(store, fig, NKO.signedChange)  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("release", "span", "signed"),
    [
        (
            "r36_mt_shaanxi_first_half_ecig",
            (724, 729),
            "-12.5",
        ),  # "a year-on-year decrease of 12.5%"
        ("r30_page_drug_driving_national", (539, 543), "-21.4"),  # "down 21.4 percent"
        ("r28_shandong_wire_annual", (241, 245), "-12.3"),  # "down 12.3 percent"
        ("r36_mt_shaanxi_first_half_ecig", (617, 621), None),  # "increase of 3,8%": malformed
        ("r22_mt_hunan_slash_timestamp", (682, 687), None),  # "decreases of 9.6% and 6.<>%"
    ],
)
def test_signed_year_on_year_values(
    invented: ox.Store, release: str, span: tuple[int, int], signed: str | None
) -> None:
    got = _signed(invented, release, *span)
    assert got == (
        [] if signed is None else [ox.Literal(signed, datatype=ox.NamedNode(str(XSD.decimal)))]
    )
    fig = ox.NamedNode(figure_iri(release, *span))
    assert {o.value for o in _objects(invented, fig, NKO.direction)}


def test_signed_change_never_invents_a_number() -> None:
    from decimal import Decimal

    assert signed_change(Decimal("12.5"), "down") == Decimal("-12.5")
    assert signed_change(Decimal("3"), "up") == Decimal("3")
    assert signed_change(None, "down") is None
    assert signed_change(Decimal("4"), None) is None
    assert Literal("-12.5", datatype=XSD.decimal).toPython() == Decimal("-12.5")
