"""The ontology and its vocabularies: labelled, defined, up to date, complete, consistent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS

from kg.checks.reason import check_consistency
from kg.extract.lexicon import Lexicon
from kg.namespaces import NKGV, NKO, QB
from kg.rdf.ontology import load_ontology_graph
from kg.rdf.vocab import generated
from kg.resources import ontology_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def onto() -> Graph:
    return load_ontology_graph()


def test_every_ontology_term_has_label_and_definition(onto: Graph) -> None:
    terms = {s for s in onto.subjects() if isinstance(s, URIRef) and s.startswith(str(NKO))}
    assert len(terms) >= 40
    for term in terms:
        assert onto.value(term, RDFS.label), term
        assert onto.value(term, SKOS.definition), term


def test_every_concept_and_scheme_has_label_and_definition(onto: Graph) -> None:
    nodes = set(onto.subjects(RDF.type, SKOS.Concept)) | set(
        onto.subjects(RDF.type, SKOS.ConceptScheme)
    )
    assert len(nodes) > 150
    for node in nodes:
        assert onto.value(node, SKOS.prefLabel), node
        assert onto.value(node, SKOS.definition), node
    for concept in onto.subjects(RDF.type, SKOS.Concept):
        assert onto.value(concept, SKOS.inScheme), concept


def test_generated_vocabularies_are_up_to_date() -> None:
    """ontology/vocab/*.ttl equal what `python -m kg.rdf.vocab` makes of mappings/ today."""
    for name, (_source, graph) in generated().items():
        committed = Graph().parse(ontology_dir() / "vocab" / name, format="turtle")
        assert isomorphic(committed, graph), f"{name} is stale: run python -m kg.rdf.vocab"


def test_jurisdictions_carry_iso_codes(onto: Graph) -> None:
    scheme = NKGV["scheme/jurisdictions"]
    members = set(onto.subjects(SKOS.inScheme, scheme))
    notations = {str(onto.value(m, SKOS.notation)) for m in members}
    assert len(notations) == 35 and "CN" in notations and "CN-XZ" in notations
    yunnan = NKGV["jurisdiction/CN-YN"]
    assert onto.value(yunnan, SKOS.prefLabel) == Literal("Yunnan", lang="en")
    assert URIRef("http://www.wikidata.org/entity/Q43194") in set(
        onto.objects(yunnan, SKOS.exactMatch)
    )
    assert onto.value(yunnan, SKOS.broader) == NKGV["jurisdiction/CN"]


def test_annual_operations_have_editions(onto: Graph) -> None:
    edition = NKGV["operation/clean-source-cut-flow/2023"]
    assert onto.value(edition, NKO.editionOf) == NKGV["operation/clean-source-cut-flow"]
    assert onto.value(edition, NKO.year).toPython() == 2023
    assert (edition, RDF.type, NKO.Operation) in onto
    assert (
        edition,
        SKOS.altLabel,
        Literal("cleaning the source and cutting off the flow-2023", lang="en"),
    ) in onto


def test_person_roles_are_org_memberships(onto: Graph) -> None:
    org = "http://www.w3.org/ns/org#"
    wei = NKGV["person/wei-xiaojun"]
    posts = {
        (str(onto.value(m, URIRef(org + "role"))).rsplit("/", 1)[-1],
         str(onto.value(m, URIRef(org + "organization"))).rsplit("/", 1)[-1])
        for m in onto.subjects(URIRef(org + "member"), wei)
    }  # fmt: skip
    assert posts == {
        ("executive-deputy-director", "nncc-office"),
        ("director", "narcotics-control-bureau"),
    }


def test_mu_converts_to_hectares(onto: Graph) -> None:
    mu = NKGV["unit/MU"]
    per_ha = onto.value(mu, NKO.hectaresPerUnit).toPython()
    assert abs(float(per_ha) * 15 - 1) < 1e-12


def test_dsd_declares_every_component_the_mapper_uses(onto: Graph) -> None:
    dsd = NKGV["dsd/figures"]
    comps = set()
    for spec in onto.objects(dsd, QB.component):
        for prop in (QB.dimension, QB.measure, QB.attribute):
            comps.update(onto.objects(spec, prop))
    local = {str(c).rsplit("#", 1)[-1].rsplit("/", 1)[-1] for c in comps}
    assert {
        "indicator", "refArea", "refPeriod", "operation", "offence", "substance", "statedIn",
        "statedAt", "value", "unitMeasure", "qualifier",
        "status", "verbatim", "direction", "changeOf",
    } <= local  # fmt: skip
    assert onto.value(NKGV["dataset/figures"], QB.structure) == dsd


# Names a careful reader finds in the two corpus releases, in the releases' own wording,
# with the entity each must resolve to (checked by hand against the texts).
NAMED_IN_RELEASES = {
    "Wei Xiaojun": "person/wei-xiaojun",
    "Chen Wenqing": "person/chen-wenqing",
    "Wang Xiaohong": "person/wang-xiaohong",
    "National Narcotics Control Office": "agency/nncc-office",
    "Narcotics Control Bureau of the Ministry of Public Security": (
        "agency/narcotics-control-bureau"
    ),
    "State Food and Drug Administration": "agency/nmpa",
    "Supreme People's Procuratorate": "agency/supreme-peoples-procuratorate",
    "postal administrations": "agency/postal-administrations",
    "Clean Source and Cut off the Flow": "operation/clean-source-cut-flow",
    "cleaning the source and cutting off the flow": "operation/clean-source-cut-flow",
    "summer public security crackdown and rectification action": "operation/summer-crackdown",
    "Hundred Days Action": "operation/hundred-days-action",
    "de-icing and drug elimination": "operation/de-icing",
    "de-icing and anti-drug": "operation/de-icing",
    "eradication of roots": "operation/eradication-of-roots",
    '"eradication" action': "operation/eradication-of-roots",
    "Tianmu": "operation/tianmu",
    "hunting and scourging": "operation/hunting-and-scourging",
    "cluster zero": "operation/cluster-crackdown",
    "cluster crackdowns": "operation/cluster-crackdown",
    "nail pulling and chasing fugitive": "operation/nail-pulling-fugitive-chasing",
    "Maritime Border Anti-Drug Regional Battle": "operation/maritime-border-regional-battle",
    "Safe Delivery": "operation/safe-delivery",
    "clean border": "operation/clean-border",
    "safe and caring": "operation/safe-and-caring",
    "safety care": "operation/safe-and-caring",
    "bottom-out action": "operation/bottom-out",
    "Five Ones": "operation/five-ones",
    "drug smuggling": "offence/drug-smuggling",
    "drug driving": "offence/drug-driving",
    "relying on imidate": "substance/etomidate",
    "laughing gas": "substance/nitrous-oxide",
    "hemp essence drugs": "substance/narcotic-psychotropic-drugs",
    "tramadol compound preparations": "substance/tramadol",
    "opium poppy plants": "substance/opium-poppy",
    "cannabis plants": "substance/cannabis-plant",
    "drug-producing materials": "substance/precursor-chemicals",
    "precursor chemicals": "substance/precursor-chemicals",
    '"9.02" extraordinarily large drug-making case': "case/9-02",
    "Lin Zexu in Beijing": "event/lin-zexu-in-beijing",
    "National Youth Anti-drug Knowledge Competition": (
        "event/national-youth-anti-drug-knowledge-competition"
    ),
    "the most beautiful anti-drug people": "event/most-beautiful-anti-drug-people",
    "Guangxi": "jurisdiction/CN-GX",
    "Hainan": "jurisdiction/CN-HI",
}


def test_every_entity_named_in_the_releases_is_in_the_vocabulary(onto: Graph) -> None:
    lexicon = Lexicon.load()
    for name, slug in NAMED_IN_RELEASES.items():
        matches = lexicon.find(name)
        assert [m.text for m in matches] == [name], name
        assert matches[0].entry.iri == str(NKGV[slug]), name
        assert (NKGV[slug], RDF.type, SKOS.Concept) in onto, slug


@pytest.mark.slow
def test_hermit_finds_the_ontology_consistent() -> None:
    report = check_consistency()
    assert report.consistent, report.message
    assert report.message.startswith("consistent")
    assert report.triples > 1500


@pytest.mark.slow
def test_hermit_finds_a_person_who_is_an_agency_inconsistent() -> None:
    extra = Graph()
    extra.add((NKGV["person/wei-xiaojun"], RDF.type, NKO.Agency))  # classes are disjoint
    report = check_consistency(extra)
    assert not report.consistent
    assert report.message.startswith("inconsistent")


@pytest.mark.slow
def test_hermit_finds_two_values_of_a_functional_property_inconsistent() -> None:
    extra = Graph()
    edition = NKGV["operation/clean-source-cut-flow/2023"]
    extra.add((edition, NKO.editionOf, NKGV["operation/summer-crackdown"]))
    extra.add(
        (
            NKGV["operation/summer-crackdown"],
            OWL.differentFrom,
            NKGV["operation/clean-source-cut-flow"],
        )
    )
    assert not check_consistency(extra).consistent


@pytest.mark.slow
def test_reason_command_exit_code() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "reason"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("consistent: HermiT")
