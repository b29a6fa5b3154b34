"""The ontology's IRIs dereference, RDF/XML on request, the description
names its deployment's SPARQL endpoint, and the w3id redirect rules reach the web app's routes.

In-process (Starlette's TestClient over the real build); the real server is tests/test_web.py.
"""

from __future__ import annotations

import re
import urllib.parse
import warnings
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef

from kg.publish import describe
from kg.publish.web import create_app
from kg.resources import data_root
from tests.conftest import ROOT, narcokg

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # Starlette asks for httpx2
    from starlette.testclient import TestClient

NKO = Namespace("https://w3id.org/narcotics-kg/ontology#")
NKGV = "https://w3id.org/narcotics-kg/id/"
QB = Namespace("http://purl.org/linked-data/cube#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
RDF_XML_PLEASE = "application/rdf+xml, */*;q=0.1"
HTACCESS = ROOT / "deploy" / "w3id" / ".htaccess"
W3ID = "https://w3id.org/narcotics-kg/"


@pytest.fixture(scope="module")
def client(built: Path) -> Iterator[TestClient]:
    with TestClient(create_app(built, timeout=30)) as c:
        yield c


# --- the ontology ---------------------------------------------------------------------------


def test_a_term_iri_gives_the_html_documentation_to_a_browser(client: TestClient) -> None:
    # https://w3id.org/narcotics-kg/ontology#Figure: the client asks for /ontology
    response = client.get("/ontology", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'id="Figure"' in response.text  # the fragment lands on the term
    assert response.headers["vary"] == "Accept"


@pytest.mark.parametrize(
    ("accept", "media", "syntax"),
    [
        ("text/turtle", "text/turtle", "turtle"),
        (RDF_XML_PLEASE, "application/rdf+xml", "xml"),
        ("application/n-triples", "application/n-triples", "nt"),
    ],
)
def test_a_term_iri_gives_the_tbox_as_rdf(
    client: TestClient, accept: str, media: str, syntax: str
) -> None:
    response = client.get("/ontology", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media
    g = Graph().parse(data=response.content, format=syntax)
    assert (URIRef(W3ID + "ontology"), RDF.type, OWL.Ontology) in g
    assert (NKO.Figure, RDFS.subClassOf, QB.Observation) in g
    assert (NKO.Figure, RDFS.label, None) in g


def test_the_ontology_format_parameter_and_406(client: TestClient) -> None:
    response = client.get("/ontology?format=ttl")
    assert response.headers["content-type"].startswith("text/turtle")
    response = client.get("/ontology", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "application/rdf+xml" in response.text


# --- RDF/XML for the data --------------------------------------------------------------------


def test_rdf_xml_is_served_for_id_resources_when_asked(client: TestClient) -> None:
    response = client.get("/id/jurisdiction/CN-YN", headers={"Accept": RDF_XML_PLEASE})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/rdf+xml"
    g = Graph().parse(data=response.content, format="xml")
    yn = URIRef(f"{NKGV}jurisdiction/CN-YN")
    assert (yn, SKOS.exactMatch, URIRef("http://www.wikidata.org/entity/Q43194")) in g
    assert (yn, SKOS.prefLabel, Literal("Yunnan", lang="en")) in g
    # the same triples as Turtle
    turtle = client.get("/id/jurisdiction/CN-YN", headers={"Accept": "text/turtle"})
    assert {t for t in Graph().parse(data=turtle.text, format="turtle")} == set(g)
    # and a browser still gets HTML
    page = client.get("/id/jurisdiction/CN-YN", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.headers["content-type"].startswith("text/html")


def test_a_figure_as_rdf_xml(client: TestClient) -> None:
    figure = "release/000_a69edf0332bcabe2/figure/671-675"
    response = client.get(f"/id/{figure}?format=rdfxml")
    assert response.status_code == 200
    g = Graph().parse(data=response.content, format="xml")
    assert (URIRef(NKGV + figure), NKO.verbatim, Literal("9,26")) in g


# --- the description's SPARQL endpoint -------------------------------------------------------


def _described(built: Path, tmp_path: Path) -> Graph:
    store = ox.Store()
    store.bulk_load(path=str(built.parent / "narcotics-kg.trig"), format=ox.RdfFormat.TRIG)
    describe.publish(store, tmp_path)
    return Graph().parse(tmp_path / "void.ttl", format="turtle")


def test_void_names_the_w3id_sparql_endpoint_by_default(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NARCOKG_BASE_URL", raising=False)
    void = _described(built, tmp_path)
    dataset = URIRef(f"{NKGV}dataset/narcotics-kg")
    assert set(void.objects(dataset, VOID.sparqlEndpoint)) == {URIRef(W3ID + "sparql")}


def test_void_names_the_endpoint_of_the_configured_deployment(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NARCOKG_BASE_URL", "https://kg.example.org/narcotics")
    void = _described(built, tmp_path)
    dataset = URIRef(f"{NKGV}dataset/narcotics-kg")
    endpoint = URIRef("https://kg.example.org/narcotics/sparql")
    assert set(void.objects(dataset, VOID.sparqlEndpoint)) == {endpoint}
    release = URIRef("https://w3id.org/narcotics-kg/graph/release/000_a69edf0332bcabe2")
    assert void.value(release, VOID.sparqlEndpoint) == endpoint


def test_a_bad_base_url_is_one_line_and_exit_2_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NARCOKG_BASE_URL", "ftp://kg.example.org/")
    result = narcokg("build", "--store", str(tmp_path / "store"), cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: NARCOKG_BASE_URL='ftp://kg.example.org/': expected an http(s) URL such as "
        "https://kg.example.org/"
    )
    assert not (tmp_path / "void.ttl").exists()
    assert not (tmp_path / "store").exists()  # refused before the store was opened


def test_the_web_app_serves_the_description_with_its_own_endpoint_only(
    client: TestClient,
) -> None:
    response = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    void = Graph().parse(data=response.text, format="turtle")
    dataset = URIRef(f"{NKGV}dataset/narcotics-kg")
    assert set(void.objects(dataset, VOID.sparqlEndpoint)) == {URIRef("http://testserver/sparql")}


# --- the w3id redirect rules -----------------------------------------------------------------

SAMPLES = {
    "ontology": "ontology",
    "id/(.+)": "id/jurisdiction/CN-YN",
    "graph/(.+)": "graph/vocabulary",
    "download/(.+)": "download/narcotics-kg.trig",
    "void": "void",
    "sparql": "sparql",
    "": "",
}


def rewrite_rules() -> list[tuple[str, str, str]]:
    """(pattern, target, flags) of every RewriteRule of the .htaccess, in order."""
    rules = []
    for line in HTACCESS.read_text(encoding="utf-8").splitlines():
        if line.startswith("RewriteRule"):
            _, pattern, target, flags = line.split()
            rules.append((pattern, target, flags))
    return rules


def redirect(path: str) -> tuple[str, str] | None:
    """Apache's answer to ``https://w3id.org/narcotics-kg/<path>``: (target, flags) of the
    first rule whose pattern matches (the L flag stops there), None when none does."""
    for pattern, target, flags in rewrite_rules():
        found = re.search(pattern, path)
        if found:
            # Apache's $N is Python's \N; our targets hold no backslash of their own
            return found.expand(re.sub(r"\$(\d)", r"\\\1", target)), flags
    return None


def test_the_rules_are_the_expected_ones() -> None:
    rules = rewrite_rules()
    assert {p.strip("^$") for p, _, _ in rules} == set(SAMPLES)
    hosts = {urllib.parse.urlsplit(t).netloc for _, t, _ in rules}
    assert hosts == {"narcotics-kg.example.org"}  # one host to replace
    for _, _, flags in rules:
        assert re.fullmatch(r"\[R=30[237],L\]", flags), flags


def test_every_rule_lands_on_a_route_that_answers(client: TestClient) -> None:
    for pattern, sample in SAMPLES.items():
        found = redirect(sample)
        assert found is not None, pattern
        target, _ = found
        path = urllib.parse.urlsplit(target).path
        response = client.get(path, headers={"Accept": "text/turtle, */*;q=0.1"})
        assert response.status_code == 200, (sample, path, response.status_code)


def test_every_persistent_iri_of_ours_is_redirected(client: TestClient) -> None:
    from kg.publish.describe import DOWNLOAD_BASE

    iris = [
        str(NKO.Figure),
        f"{NKGV}jurisdiction/CN-YN",
        f"{NKGV}release/000_a69edf0332bcabe2/figure/671-675",
        "https://w3id.org/narcotics-kg/graph/release/000_a69edf0332bcabe2",
        DOWNLOAD_BASE + "narcotics-kg.nq",
        W3ID + "sparql",
    ]
    for iri in iris:
        path = urllib.parse.urlsplit(iri).path.removeprefix("/narcotics-kg/")
        found = redirect(path)
        assert found is not None, iri
        target = urllib.parse.urlsplit(found[0]).path
        response = client.get(target, headers={"Accept": "text/turtle, */*;q=0.1"})
        assert response.status_code == 200, (iri, target)


def test_the_rules_ship_with_a_readme() -> None:
    readme = (HTACCESS.parent / "README.md").read_text(encoding="utf-8")
    assert "perma-id/w3id.org" in readme and "NARCOKG_BASE_URL" in readme
    assert data_root()  # the rules are deployment files, not package data
