"""The keys other datasets join on, and the smaller alignments.

Expected values are checked by hand: China is CHN in ISO 3166-1 alpha-3 and 156 in UN M49;
Yunnan is CN-YN in ISO 3166-2; English is ``en`` in ISO 639-1 (id.loc.gov); the releases'
publishers are the NNCC's office and China News Service (corpus/releases.yaml).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rdflib import FOAF, RDF, Dataset, Graph, Literal, Namespace, URIRef

from kg.extract.extractor import Extractor
from kg.extract.lexicon import Lexicon
from kg.extract.measures import default_measures
from kg.rdf.links import MAPPING_DATE, make_links, read_tsv
from kg.rdf.mapping import language_term, publisher_term, to_graph
from kg.rdf.ontology import load_ontology_graph
from kg.resources import mappings_dir, ontology_dir
from kg.text.corpus import Release

NKO = Namespace("https://w3id.org/narcotics-kg/ontology#")
NKGV = Namespace("https://w3id.org/narcotics-kg/id/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
WD = Namespace("http://www.wikidata.org/entity/")
G = "https://w3id.org/narcotics-kg/graph/"
RELEASES = ("000_a69edf0332bcabe2", "003_fa7d3ae810f620c8")


# --- point 5: jurisdictions ------------------------------------------------------------------


def test_china_carries_alpha_2_alpha_3_and_m49_each_under_its_code_system() -> None:
    vocab = load_ontology_graph()
    cn = NKGV["jurisdiction/CN"]
    assert set(vocab.objects(cn, SKOS.notation)) == {Literal("CN")}
    assert set(vocab.objects(cn, NKO.isoAlpha2Code)) == {Literal("CN")}
    assert set(vocab.objects(cn, NKO.isoAlpha3Code)) == {Literal("CHN")}
    assert set(vocab.objects(cn, NKO.m49Code)) == {Literal("156")}
    assert not set(vocab.objects(cn, NKO.isoSubdivisionCode))


def test_provinces_carry_their_iso_3166_2_code() -> None:
    vocab = load_ontology_graph()
    yn = NKGV["jurisdiction/CN-YN"]
    assert set(vocab.objects(yn, NKO.isoSubdivisionCode)) == {Literal("CN-YN")}
    assert set(vocab.objects(yn, SKOS.notation)) == {Literal("CN-YN")}
    assert not set(vocab.objects(yn, NKO.isoAlpha3Code))
    provinces = [
        j for j in vocab.subjects(RDF.type, NKO.Jurisdiction) if j != NKGV["jurisdiction/CN"]
    ]
    assert len(provinces) == 34
    for j in provinces:
        (code,) = vocab.objects(j, NKO.isoSubdivisionCode)
        assert str(j).endswith("/" + str(code)), j
        assert set(vocab.objects(j, SKOS.notation)) == {code}  # one notation: queries group by it


def test_the_code_properties_are_notations_of_the_ontology_in_the_owl_2_datatype_map() -> None:
    tbox = Graph().parse(ontology_dir() / "narcotics.ttl", format="turtle")
    xsd_string = URIRef("http://www.w3.org/2001/XMLSchema#string")
    for name in ("isoSubdivisionCode", "isoAlpha2Code", "isoAlpha3Code", "m49Code"):
        assert (NKO[name], RDFS.subPropertyOf, SKOS.notation) in tbox, name
        assert (NKO[name], RDFS.range, xsd_string) in tbox, name
        assert (NKO[name], SKOS.definition, None) in tbox, name
    # every code is a plain string (xsd:string): HermiT takes it, Wikidata's P300 equals it
    vocab = load_ontology_graph()
    for name in ("isoSubdivisionCode", "isoAlpha2Code", "isoAlpha3Code", "m49Code"):
        for code in vocab.objects(None, NKO[name]):
            assert isinstance(code, Literal) and code.datatype is None and code.language is None


def test_no_link_points_into_a_web_page() -> None:
    vocab = load_ontology_graph()
    targets = {str(o) for o in vocab.objects(None, SKOS.exactMatch)}
    assert targets
    assert not any("#" in t or t.startswith("https://www.iso.org/") for t in targets)
    _, rows = read_tsv()
    assert not any(r["object_id"].startswith("iso3166:") for r in rows)


def test_every_substance_with_a_verified_wikidata_item_is_linked() -> None:
    import csv

    with (mappings_dir() / "reference" / "wikidata.csv").open(encoding="utf-8") as f:
        verified = {r["wikidata"] for r in csv.DictReader(f) if r["kind"] == "substance"}
    vocab = load_ontology_graph()
    linked = {
        str(o).rsplit("/", 1)[1]
        for s in vocab.subjects(RDF.type, NKO.Substance)
        for o in vocab.objects(s, SKOS.exactMatch)
    }
    assert linked == verified == {"Q191924", "Q418445", "Q905750", "Q407592", "Q26726"}
    assert (NKGV["substance/methamphetamine"], SKOS.exactMatch, WD.Q191924) in vocab


# --- point 8: the mapping set's SSSOM slots ---------------------------------------------------


def test_every_mapping_names_its_author_and_date_and_the_set_its_version() -> None:
    meta, rows = read_tsv()
    assert meta["mapping_set_version"] == "0.1.0"  # pyproject.toml's version
    assert meta["creator_id"] == ["nkgv:agent/narcotics-kg-project"]
    assert rows
    for row in rows:
        assert row["author_id"] == "nkgv:agent/narcotics-kg-project", row
        assert row["mapping_date"] == MAPPING_DATE == "2026-11-29", row
    assert [r["mapping_date"] for r in rows] == [k.mapping_date for k in make_links()]


# --- point 8: release metadata and the dataset description ------------------------------------


def test_release_publisher_is_the_agency_iri_and_language_an_iso_639_iri(built: Path) -> None:
    ds = Dataset()
    ds.parse(built.parent / "narcotics-kg.trig", format="trig")
    expected = {
        RELEASES[0]: NKGV["agency/nncc-office"],
        RELEASES[1]: NKGV["agency/china-news-service"],
    }
    for rid, agency in expected.items():
        g = ds.graph(URIRef(f"{G}release/{rid}"))
        release = NKGV[f"release/{rid}"]
        assert set(g.objects(release, DCTERMS.publisher)) == {agency}, rid
        assert set(g.objects(release, DCTERMS.language)) == {
            URIRef("http://id.loc.gov/vocabulary/iso639-1/en")
        }
        # the publisher is a concept of the vocabulary, with its label
        vocab = ds.graph(URIRef(f"{G}vocabulary"))
        assert (agency, RDF.type, NKO.Agency) in vocab


def test_dataset_description_has_modified_and_a_contact_point(built: Path) -> None:
    void = Graph().parse(built.parent / "void.ttl", format="turtle")
    dataset = NKGV["dataset/narcotics-kg"]
    issued = void.value(dataset, DCTERMS.issued)
    assert issued is not None and void.value(dataset, DCTERMS.modified) == issued
    contact = void.value(dataset, DCAT.contactPoint)
    assert contact == NKGV["agent/narcotics-kg-project/contact"]
    assert (contact, RDF.type, VCARD.Organization) in void
    assert void.value(contact, VCARD.hasURL) == URIRef("https://w3id.org/narcotics-kg/")
    assert str(void.value(contact, VCARD.fn)) == "The narcotics-kg project"


def test_language_and_publisher_terms_for_other_metadata() -> None:
    loc = "http://id.loc.gov/vocabulary/iso639-1/"
    assert language_term("en") == URIRef(loc + "en")
    assert language_term("zh-Hans") == URIRef(loc + "zh")  # the script names no other language
    # ISO 639-3 only (Cantonese): no id.loc.gov IRI, Lexvo's; a private tag: an IRI of ours
    assert language_term("yue") == URIRef("http://lexvo.org/id/iso639-3/yue")
    assert language_term("x-private") == NKGV["language/x-private"]
    # the first agency the text names; a name the vocabulary does not know stays a name
    assert (
        publisher_term("China News Service, citing the Ministry of Public Security website")
        == (NKGV["agency/china-news-service"])
    )
    assert (
        publisher_term("Ministry of Public Security") == NKGV["agency/ministry-of-public-security"]
    )
    assert publisher_term("Tom & Jerry's office") == Literal("Tom & Jerry's office")


def test_a_publisher_or_language_nobody_lists_is_still_an_iri() -> None:
    """``dcterms:publisher`` and ``dcterms:language`` are object properties: a name the
    vocabulary does not know becomes an agent of the release's own, named by it, never a
    literal (which would take the data out of OWL 2 DL)."""
    release = Release(
        id="pub",
        path=Path("pub.txt"),
        text="Police seized 5 kg of heroin.",
        sha256="0",
        issued=dt.date(2024, 1, 2),
        publisher="Tom & Jerry's office",
        language="yue",
    )
    g = to_graph(Extractor(Lexicon.load(), default_measures()).extract(release))
    iri = URIRef("https://w3id.org/narcotics-kg/id/release/pub")
    agent = URIRef("https://w3id.org/narcotics-kg/id/release/pub/publisher")
    assert set(g.objects(iri, DCTERMS.publisher)) == {agent}
    assert (agent, RDF.type, FOAF.Agent) in g
    assert set(g.objects(agent, FOAF.name)) == {Literal("Tom & Jerry's office")}
    assert set(g.objects(iri, DCTERMS.language)) == {URIRef("http://lexvo.org/id/iso639-3/yue")}
