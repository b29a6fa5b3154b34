"""Issue 6: the links (SSSOM mapping set) and the VoID/DCAT description of the real build."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import RDF, Dataset, Graph, Literal, Namespace, URIRef

from kg.errors import InputError
from kg.rdf.links import CURIE_MAP, default_path, expand_curie, make_links, read_tsv
from kg.rdf.ontology import load_ontology_graph
from kg.resources import mappings_dir, shapes_dir

NKGV = "https://w3id.org/narcotics-kg/id/"
G = "https://w3id.org/narcotics-kg/graph/"
RELEASES = ("000_a69edf0332bcabe2", "003_fa7d3ae810f620c8")
NKS = "https://w3id.org/narcotics-kg/shapes#"
# open namespaces: rdflib's closed DCAT/VOID warn when pytest inspects the module
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
VOID = Namespace("http://rdfs.org/ns/void#")


def reference(name: str) -> list[dict[str, str]]:
    with (mappings_dir() / "reference" / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# --- the mapping set ------------------------------------------------------------------------


def test_mapping_set_has_its_sssom_metadata_and_columns() -> None:
    meta, rows = read_tsv()
    assert meta["mapping_set_id"] == "https://w3id.org/narcotics-kg/mappings/links.sssom.tsv"
    assert meta["license"] == "https://creativecommons.org/licenses/by/4.0/"
    curie_map = meta["curie_map"]
    assert isinstance(curie_map, dict)
    assert curie_map["wikidata"] == "http://www.wikidata.org/entity/"
    assert curie_map["geonames"] == "https://sws.geonames.org/"
    header = default_path().read_text(encoding="utf-8").splitlines()
    columns = next(line for line in header if not line.startswith("#")).split("\t")
    assert columns[:6] == [
        "subject_id",
        "subject_label",
        "predicate_id",
        "object_id",
        "object_label",
        "mapping_justification",
    ]
    assert "comment" in columns
    assert rows
    for row in rows:
        assert row["predicate_id"] == "skos:exactMatch"
        assert row["mapping_justification"] == "semapv:ManualMappingCuration"
        assert row["comment"], row  # every link names its evidence


def test_mapping_set_is_what_the_lexicon_and_references_give_today() -> None:
    """mappings/links/links.sssom.tsv is stale unless `python -m kg.rdf.vocab` was run."""
    _, rows = read_tsv()
    on_disk = [(r["subject_id"], r["predicate_id"], r["object_id"]) for r in rows]
    made = [(k.subject_id, k.predicate_id, k.object_id) for k in make_links()]
    assert on_disk == made


def test_every_link_resolves_to_a_row_of_the_reference_file_or_pycountry() -> None:
    wikidata = reference("wikidata.csv")
    geonames = reference("geonames.csv")
    vocab = load_ontology_graph()
    _, rows = read_tsv()
    for row in rows:
        subject = URIRef(expand_curie(row["subject_id"]))
        notation = vocab.value(subject, SKOS.notation)
        prefix, _, local = row["object_id"].partition(":")
        if prefix == "wikidata":
            matches = [r for r in wikidata if r["wikidata"] == local]
            assert matches, f"{row['object_id']} is not in reference/wikidata.csv"
            if notation is not None:  # a jurisdiction: the reference row has its ISO code
                assert matches[0]["iso_3166_2"] == str(notation), row
            assert row["object_label"] == matches[0]["name"]
        elif prefix == "geonames":
            ids = {r["geonames"] + "/": r["iso_3166_2"] for r in geonames}
            assert ids.get(local) == str(notation), row
        else:
            pytest.fail(f"link to an unknown dataset: {row['object_id']}")


def test_hand_checked_links() -> None:
    _, rows = read_tsv()
    links = {(r["subject_id"], r["object_id"]) for r in rows}
    assert ("nkgv:jurisdiction/CN-YN", "wikidata:Q43194") in links
    assert ("nkgv:jurisdiction/CN", "wikidata:Q148") in links
    assert ("nkgv:jurisdiction/CN", "geonames:1814991/") in links
    assert ("nkgv:substance/methamphetamine", "wikidata:Q191924") in links
    assert expand_curie("geonames:1814991/") == "https://sws.geonames.org/1814991/"
    # the reference notes list these as unverified: no link at all
    subjects = {s for s, _ in links}
    assert not any(s.startswith("nkgv:agency/") for s in subjects)
    assert "nkgv:substance/opium-poppy" not in subjects
    assert "nkgv:substance/cannabis" not in subjects
    # no ISO "link" (issue 18: the code is a typed notation, tests/test_join_keys.py),
    # GeoNames only for China
    assert not any(o.startswith("iso3166:") for _, o in links)
    assert [s for s, o in links if o.startswith("geonames:")] == ["nkgv:jurisdiction/CN"]


def test_vocabulary_exact_match_triples_equal_the_mapping_set() -> None:
    vocab = load_ontology_graph()
    in_vocab = {(str(s), str(o)) for s, o in vocab.subject_objects(SKOS.exactMatch)}
    _, rows = read_tsv()
    in_set = {(expand_curie(r["subject_id"]), expand_curie(r["object_id"])) for r in rows}
    assert in_vocab == in_set


def test_a_qid_missing_from_the_reference_file_is_refused(tmp_path: Path) -> None:
    rows = [r for r in reference("wikidata.csv") if r["iso_3166_2"] != "CN-YN"]
    path = tmp_path / "wikidata.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(InputError) as info:
        make_links(wikidata_csv=path)
    assert "jurisdictions.yaml" in str(info.value)
    assert "Q43194" in str(info.value)


def test_curie_map_prefixes_are_the_ones_used() -> None:
    _, rows = read_tsv()
    used = {r[c].split(":", 1)[0] for r in rows for c in ("subject_id", "object_id")}
    assert used <= set(CURIE_MAP)


# --- the VoID + DCAT description --------------------------------------------------------------


@pytest.fixture(scope="module")
def void(built: Path) -> Graph:
    return Graph().parse(built.parent / "void.ttl", format="turtle")


def _shacl(data: Graph) -> tuple[bool, set[tuple[str, str]]]:
    from pyshacl import validate

    shapes = Graph().parse(shapes_dir() / "description.ttl", format="turtle")
    conforms, results, _ = validate(data, shacl_graph=shapes, inference="none", advanced=True)
    SH = "http://www.w3.org/ns/shacl#"
    fired = set()
    for r in results.subjects(RDF.type, URIRef(SH + "ValidationResult")):
        shape = results.value(r, URIRef(SH + "sourceShape"))
        constraint = results.value(r, URIRef(SH + "sourceConstraint"))
        if isinstance(constraint, URIRef) and constraint.startswith(NKS):
            shape = constraint  # a named SPARQL constraint of a node shape
        focus = results.value(r, URIRef(SH + "focusNode"))
        fired.add((str(shape).removeprefix(NKS), str(focus)))
    return bool(conforms), fired


def test_description_conforms_to_its_shapes(void: Graph) -> None:
    conforms, fired = _shacl(void)
    assert conforms, fired


def test_broken_description_fires_the_expected_shapes(void: Graph) -> None:
    broken = Graph()
    for t in void:
        broken.add(t)
    release = URIRef(f"{G}release/{RELEASES[0]}")
    broken.remove((release, DCTERMS.license, None))
    dataset = URIRef(f"{NKGV}dataset/narcotics-kg")
    broken.set((dataset, VOID.triples, Literal(1)))
    dist = URIRef(f"{NKGV}distribution/narcotics-kg.trig")
    broken.remove((dist, DCAT.downloadURL, None))
    conforms, fired = _shacl(broken)
    assert not conforms
    assert ("Dataset-license", str(release)) in fired
    assert ("Dataset-triplesAddUp", str(dataset)) in fired
    assert ("Distribution-downloadURL", str(dist)) in fired


def test_description_counts_every_graph_of_the_store(built: Path, void: Graph) -> None:
    store = ox.Store.read_only(str(built))
    dataset = URIRef(f"{NKGV}dataset/narcotics-kg")
    subsets = set(void.objects(dataset, VOID.subset))
    graphs = {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}
    assert {str(s) for s in subsets} == graphs
    for release in RELEASES:
        assert URIRef(f"{G}release/{release}") in subsets
    total = 0
    for graph in graphs:
        n = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
        assert void.value(URIRef(graph), VOID.triples) == Literal(n), graph
        total += n
    assert void.value(dataset, VOID.triples) == Literal(total)


def test_release_graph_descriptions_name_their_sources_and_licence(void: Graph) -> None:
    first = URIRef(f"{G}release/{RELEASES[0]}")
    assert URIRef("http://en.people.cn/n3/2023/0927/c90000-20077632.html") in set(
        void.objects(first, DCTERMS.source)
    )
    assert void.value(first, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert "quoted from their sources" in str(void.value(first, DCTERMS.rights))
    assert str(void.value(first, DCTERMS.title)).startswith(f"Release graph {RELEASES[0]}")


def test_distributions_exist_with_their_sizes_and_media_types(built: Path, void: Graph) -> None:
    base = "https://w3id.org/narcotics-kg/download/"
    media = set()
    for dist in void.subjects(RDF.type, DCAT.Distribution):
        url = str(void.value(dist, DCAT.downloadURL))
        assert url.startswith(base)
        path = built.parent / url[len(base) :]
        assert path.is_file(), path
        assert int(void.value(dist, DCAT.byteSize)) == path.stat().st_size
        media.add(str(void.value(dist, DCAT.mediaType)).rsplit("media-types/", 1)[-1])
    assert media == {
        "application/trig",
        "application/n-quads",
        "application/ld+json",
        "text/turtle",
    }


def test_jsonld_dump_holds_the_same_quads_and_its_context_is_shipped(built: Path) -> None:
    dumps = built.parent
    context = json.loads((dumps / "narcotics-kg.context.jsonld").read_text(encoding="utf-8"))
    assert context["@context"]["nko"] == "https://w3id.org/narcotics-kg/ontology#"
    document = json.loads((dumps / "narcotics-kg.jsonld").read_text(encoding="utf-8"))
    assert document["@context"] == context["@context"]
    from_jsonld = Dataset()
    from_jsonld.parse(dumps / "narcotics-kg.jsonld", format="json-ld")
    from_nq = Dataset()
    from_nq.parse(dumps / "narcotics-kg.nq", format="nquads")
    for release in RELEASES:
        a = from_jsonld.graph(URIRef(f"{G}release/{release}"))
        b = from_nq.graph(URIRef(f"{G}release/{release}"))
        assert len(a) == len(b) > 0
    figure = URIRef(f"{NKGV}release/{RELEASES[0]}/figure/671-675")
    nko = "https://w3id.org/narcotics-kg/ontology#"
    graph = from_jsonld.graph(URIRef(f"{G}release/{RELEASES[0]}"))
    assert graph.value(figure, URIRef(nko + "verbatim")) == Literal("9,26")
