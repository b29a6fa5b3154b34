"""The SPARQL endpoint of ``narcokg web`` (``/sparql``) and the union default graph (issue #15).

What it checks, in-process (Starlette's TestClient over ``create_app``) unless marked slow:

* every result format a client can ask for by ``Accept`` (or ``?format=``) is served with its
  media type and parses with an independent reader into the row or triple count computed straight
  from the store's quads (not by SPARQL through the endpoint under test); q-values decide; a 406
  lists what there is;
* a syntax error names its line and column (worked out by hand in the test), an update is
  refused as such, DESCRIBE is answered as Turtle;
* IRIs in the HTML results are links (this dataset's to its own ``/id/...`` pages, http(s)
  ones outward), a ``javascript:`` IRI never is;
* the home page links the report (served at ``/report``, that file only) and every download;
* the default graph is the union of the named graphs: ``SELECT (COUNT(*) AS ?n) { ?s ?p ?o }``
  is the number of quads, on ``/sparql`` and on a real ``narcokg serve``; a query that names
  its dataset (``FROM``) still reads only that graph.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import urllib.parse
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef

from kg.publish.web import create_app
from kg.store.proxy import names_dataset
from tests.test_serve_hardening import Served

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # Starlette asks for httpx2 and warns on httpx
    from starlette.testclient import TestClient

NKGV = "https://w3id.org/narcotics-kg/id/"
NKO = "https://w3id.org/narcotics-kg/ontology#"
NKG = "https://w3id.org/narcotics-kg/graph/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RELEASE = "000_a69edf0332bcabe2"
MALFORMED = f"{NKGV}release/{RELEASE}/figure/671-675"  # "9,26", hand-checked (tests/test_web.py)
SRX = "{http://www.w3.org/2005/sparql-results#}"

# no GRAPH: answered only when the default graph is the union of the graphs
FIGURES = f"PREFIX nko: <{NKO}>\nSELECT ?f ?v WHERE {{ ?f a nko:Figure ; nko:value ?v }}"
FIGURE_TRIPLES = (
    f"PREFIX nko: <{NKO}>\n"
    "CONSTRUCT { ?f nko:value ?v } WHERE { ?f a nko:Figure ; nko:value ?v }"
)
ASK = f"ASK {{ <{MALFORMED}> <{NKO}verbatim> '9,26' }}"
COUNT_ALL = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"


@pytest.fixture(scope="module")
def site(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the build's folder (store and dumps), so a report can be put beside it."""
    copy = tmp_path_factory.mktemp("site") / "data"
    shutil.copytree(built.parent, copy, ignore=shutil.ignore_patterns(".narcokg-*"))
    return copy


@pytest.fixture(scope="module")
def client(site: Path) -> Iterator[TestClient]:
    with TestClient(create_app(site / "store", timeout=60)) as client:
        yield client


@pytest.fixture(scope="module")
def quads(site: Path) -> list[ox.Quad]:
    return list(ox.Store.read_only(str(site / "store")))


def _figure_rows(quads: list[ox.Quad]) -> int:
    """Rows of FIGURES over the union of the graphs, counted from the quads: for each stated
    value, the times its subject is typed nko:Figure in any graph (the union keeps duplicates)."""
    typed: dict[str, int] = {}
    for q in quads:
        if q.predicate.value == RDF_TYPE and q.object == ox.NamedNode(f"{NKO}Figure"):
            typed[q.subject.value] = typed.get(q.subject.value, 0) + 1
    return sum(typed.get(q.subject.value, 0) for q in quads if q.predicate.value == f"{NKO}value")


def _figure_pairs(quads: list[ox.Quad]) -> set[tuple[str, str]]:
    """The distinct (figure, value) pairs, which is what the CONSTRUCT's graph holds."""
    typed = {
        q.subject.value
        for q in quads
        if q.predicate.value == RDF_TYPE and q.object == ox.NamedNode(f"{NKO}Figure")
    }
    return {
        (q.subject.value, q.object.value)
        for q in quads
        if q.predicate.value == f"{NKO}value" and q.subject.value in typed
    }


def _get(client: TestClient, query: str, accept: str | None = None, **params: str):  # type: ignore[no-untyped-def]
    url = "/sparql?" + urllib.parse.urlencode({"query": query, **params})
    return client.get(url, headers={"Accept": accept} if accept is not None else {})


class _Links(HTMLParser):
    """The hrefs and texts of the ``<a>`` inside ``#sparql-results``, and its cell texts."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = 0
        self.links: list[tuple[str | None, str]] = []
        self.cells: list[str] = []
        self.rows = 0
        self._href: str | None = None
        self._text: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and dict(attrs).get("id") == "sparql-results":
            self.inside = 1
        elif self.inside and tag == "a":
            self._href, self._text = dict(attrs).get("href"), []
        elif self.inside and tag == "td":
            self._cell = []
        elif self.inside and tag == "tr":
            self.rows += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = 0
        elif tag == "a" and self._text is not None:
            self.links.append((self._href, "".join(self._text)))
            self._text = None
        elif tag == "td" and self._cell is not None:
            self.cells.append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)
        if self._cell is not None:
            self._cell.append(data)


# --- result formats ------------------------------------------------------------------------


def _rows(media: str, body: bytes) -> int:
    """The number of solutions in ``body``, read with a reader for ``media`` (not pyoxigraph)."""
    if media == "application/sparql-results+json":
        return len(json.loads(body)["results"]["bindings"])
    if media == "application/sparql-results+xml":
        return len(ET.fromstring(body).findall(f"{SRX}results/{SRX}result"))
    if media == "text/csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
        assert rows[0] == ["f", "v"]
        return len(rows) - 1
    if media == "text/tab-separated-values":
        lines = body.decode("utf-8").split("\n")
        assert lines[0] == "?f\t?v"
        return len([line for line in lines[1:] if line])
    if media == "text/html":
        return _Links(body.decode("utf-8")).rows - 1  # less the header row
    raise AssertionError(media)


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/html", "text/html"),
        (None, "application/sparql-results+json"),  # no Accept: JSON
        ("*/*", "application/sparql-results+json"),
    ],
)
def test_select_in_each_format_has_the_rows_of_the_union(
    client: TestClient, quads: list[ox.Quad], accept: str | None, media: str
) -> None:
    expected = _figure_rows(quads)
    assert 20 < expected < 1000  # all of them fit in the HTML table
    response = _get(client, FIGURES, accept)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media
    assert "accept" in response.headers.get("vary", "").lower()
    assert _rows(media, response.content) == expected


@pytest.mark.parametrize(
    ("fmt", "media"),
    [
        ("json", "application/sparql-results+json"),
        ("xml", "application/sparql-results+xml"),
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
        ("text/csv", "text/csv"),
    ],
)
def test_format_parameter_overrides_accept(
    client: TestClient, quads: list[ox.Quad], fmt: str, media: str
) -> None:
    form = {"query": FIGURES, "format": fmt}
    for response in (
        _get(client, FIGURES, "text/html", format=fmt),
        client.post("/sparql", data=form, headers={"Accept": "text/html"}),  # a form's field
    ):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].split(";")[0] == media
        assert _rows(media, response.content) == _figure_rows(quads)


@pytest.mark.parametrize(
    ("accept", "read"),
    [
        ("application/sparql-results+json", lambda b: json.loads(b)["boolean"]),
        (
            "application/sparql-results+xml",
            lambda b: ET.fromstring(b).find(f"{SRX}boolean").text,  # type: ignore[union-attr]
        ),
        ("text/csv", lambda b: b.decode().strip()),
        ("text/tab-separated-values", lambda b: b.decode().strip()),
    ],
)
def test_ask_in_each_format(client: TestClient, accept: str, read: object) -> None:
    response = _get(client, ASK, accept)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == accept
    assert str(read(response.content)).lower() == "true"  # type: ignore[operator]


@pytest.mark.parametrize(
    ("accept", "media", "parser"),
    [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        (None, "text/turtle", "turtle"),
    ],
)
def test_construct_in_each_format_has_the_triples_of_the_union(
    client: TestClient, quads: list[ox.Quad], accept: str | None, media: str, parser: str
) -> None:
    expected = _figure_pairs(quads)
    response = _get(client, FIGURE_TRIPLES, accept)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media
    graph = Graph().parse(data=response.content.decode("utf-8"), format=parser)
    value = URIRef(f"{NKO}value")
    got = {(str(s), str(o)) for s, p, o in graph if p == value}
    assert len(graph) == len(expected) > 20
    assert got == expected
    if parser == "json-ld":  # compacted with the dumps' context, like the rest of the site
        document = json.loads(response.content)
        assert "@context" in document and "@graph" in document
        assert json.dumps(document).count(NKO + "value") == 0  # a short name, not the IRI


def test_describe_is_answered_as_turtle(client: TestClient) -> None:
    response = _get(client, f"DESCRIBE <{MALFORMED}>", "text/turtle")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == "text/turtle"
    graph = Graph().parse(data=response.text, format="turtle")
    assert (URIRef(MALFORMED), URIRef(f"{NKO}verbatim"), Literal("9,26")) in graph


def test_q_values_decide_and_406_lists_what_there_is(client: TestClient) -> None:
    def media(query: str, accept: str) -> str:
        response = _get(client, query, accept)
        assert response.status_code == 200, (accept, response.text)
        return str(response.headers["content-type"].split(";")[0])

    assert media(FIGURES, "text/csv;q=0.5, application/sparql-results+xml") == (
        "application/sparql-results+xml"
    )
    assert media(
        FIGURES, "application/sparql-results+json;q=0.2, text/tab-separated-values;q=0.9"
    ) == ("text/tab-separated-values")
    # refused by name, so */* gives the next the server has
    assert media(FIGURES, "application/sparql-results+json;q=0, */*;q=0.1") == (
        "application/sparql-results+xml"
    )
    # the most specific range sets a type's q: text/html is refused even though text/* is not
    assert media(FIGURES, "text/html;q=0, text/*") == "text/csv"
    assert media(FIGURES, "text/html,application/xhtml+xml,*/*;q=0.8") == "text/html"
    assert media(FIGURE_TRIPLES, "application/n-triples;q=0.4, application/rdf+xml;q=0.6") == (
        "application/rdf+xml"
    )
    response = _get(client, FIGURES, "image/png")
    assert response.status_code == 406
    for offered in (
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
        "text/html",
    ):
        assert offered in response.text
    response = _get(client, FIGURE_TRIPLES, "text/csv")  # a graph has no CSV
    assert response.status_code == 406
    for offered in ("text/turtle", "application/n-triples", "application/ld+json"):
        assert offered in response.text
    assert _get(client, FIGURES, "text/html", format="png").status_code == 406


# --- errors --------------------------------------------------------------------------------

# line 3 has "=stated" where a term should be: the "=" is column 47, counted by hand:
# 2 spaces (1-2), "?f" (3-4), " a " (5-7), "nko:Figure" (8-17), " ; " (18-20),
# "nko:value" (21-29), " " (30), "?v" (31-32), " ; " (33-35), "nko:status" (36-45), " " (46)
TYPO = (
    f"PREFIX nko: <{NKO}>\n"
    "SELECT ?f ?v WHERE {\n"
    "  ?f a nko:Figure ; nko:value ?v ; nko:status =stated .\n"
    "}\n"
)


def test_a_syntax_error_says_where(client: TestClient) -> None:
    response = _get(client, TYPO, "application/sparql-results+json")
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text.startswith("syntax error at line 3, column 47: expected ")
    assert response.text.rstrip().endswith("found “=stated .”")  # what stands there
    assert "only SELECT" not in response.text
    page = _get(client, TYPO, "text/html")
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert "syntax error at line 3, column 47: " in page.text
    # the same through POST bodies (the position is in the text as sent)
    posted = client.post(
        "/sparql",
        content=TYPO.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"},
    )
    assert posted.status_code == 400
    assert posted.text.startswith("syntax error at line 3, column 47: ")


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <x:a> <x:b> <x:c> }",
        "PREFIX x: <http://example.org/#>\n# a comment\nDELETE WHERE { ?s x:p ?o }",
        "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
        "WITH <x:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "LOAD <http://127.0.0.1:9/data.ttl>",
        "CLEAR ALL",
        "DROP GRAPH <https://w3id.org/narcotics-kg/graph/corrections>",
        "CREATE GRAPH <x:g>",
        "ADD <x:a> TO <x:b>",
        "MOVE DEFAULT TO <x:b>",
        "COPY <x:a> TO <x:b>",
    ],
)
def test_an_update_is_refused_as_such(client: TestClient, update: str) -> None:
    for accept in ("application/sparql-results+json", "text/html"):
        response = _get(client, update, accept)
        assert 400 <= response.status_code < 500
        assert "updates are not accepted: this endpoint is read-only" in response.text
    posted = client.post("/sparql", data={"query": update})
    assert 400 <= posted.status_code < 500
    assert "updates are not accepted: this endpoint is read-only" in posted.text


# --- the HTML table ------------------------------------------------------------------------


def test_iris_in_results_are_links_and_javascript_is_not(client: TestClient) -> None:
    query = (
        "SELECT ?x WHERE { VALUES ?x { "
        f"<{NKGV}release/{RELEASE}> <https://example.org/a?b=1&c=2> <javascript:alert(1)> "
        "<mailto:someone@example.org> 'plain <b>text</b>' } }"
    )
    response = _get(client, query, "text/html")
    assert response.status_code == 200
    page = _Links(response.text)
    assert (f"/id/release/{RELEASE}", f"{NKGV}release/{RELEASE}") in page.links
    assert ("https://example.org/a?b=1&c=2", "https://example.org/a?b=1&c=2") in page.links
    hrefs = [href or "" for href, _ in page.links]
    assert len(hrefs) == 2
    assert not any(h.lower().startswith(("javascript", "mailto")) for h in hrefs)
    assert "javascript:alert(1)" in page.cells  # shown, as text
    assert "plain <b>text</b>" in page.cells  # escaped, not markup
    assert "<b>text" not in response.text


def test_the_query_page_says_what_the_default_graph_is(client: TestClient) -> None:
    page = client.get("/sparql").text
    assert "union of all graphs" in page
    assert "GRAPH ?g" in page


# --- the home page -------------------------------------------------------------------------


def test_home_links_the_report_and_every_download(client: TestClient, site: Path) -> None:
    report = site / "report.html"
    report.unlink(missing_ok=True)
    home = client.get("/").text
    assert 'href="/report"' not in home
    assert client.get("/report").status_code == 404

    report.write_text("<!DOCTYPE html><title>the report</title>\n", encoding="utf-8")
    try:
        home = client.get("/").text
        assert 'href="/report"' in home
        response = client.get("/report")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert response.text == report.read_text(encoding="utf-8")
        # that file only
        (site / "secret.txt").write_text("no", encoding="utf-8")
        for path in ("/report/secret.txt", "/report/../secret.txt", "/report.html", "/secret.txt"):
            assert client.get(path).status_code == 404, path
    finally:
        report.unlink()

    view = client.app.state.site.current  # type: ignore[attr-defined]
    downloads = [*view.downloads, *view.assembled]
    assert {"narcotics-kg.trig", "narcotics-kg.nq", "void.ttl"} <= set(downloads)
    for rel in downloads:
        href = "/download/" + urllib.parse.quote(rel)
        assert f'href="{href}"' in home, rel
        assert client.get(href).status_code == 200, rel


# --- the union default graph ---------------------------------------------------------------


def test_count_of_everything_is_the_number_of_quads_on_web(
    client: TestClient, quads: list[ox.Quad]
) -> None:
    response = _get(client, COUNT_ALL, "application/sparql-results+json")
    assert response.status_code == 200
    n = json.loads(response.content)["results"]["bindings"][0]["n"]["value"]
    assert int(n) == len(quads) > 5000
    # a query naming its dataset reads that graph only, and GRAPH still names each release
    corrections = sum(1 for q in quads if q.graph_name == ox.NamedNode(f"{NKG}corrections"))
    for query, expected in (
        (f"SELECT (COUNT(*) AS ?n) FROM <{NKG}corrections> {{ ?s ?p ?o }}", corrections),
        ("SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }", len(quads)),
        (
            f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{NKG}release/{RELEASE}> {{ ?s ?p ?o }} }}",
            sum(1 for q in quads if q.graph_name == ox.NamedNode(f"{NKG}release/{RELEASE}")),
        ),
    ):
        response = _get(client, query, "text/csv")
        assert response.status_code == 200, response.text
        assert int(response.text.split()[1]) == expected > 0, query


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("SELECT * FROM <x:g> WHERE { ?s ?p ?o }", True),
        ("select * from<x:g> {}", True),
        ("SELECT * FROM NAMED <x:g> { GRAPH ?g { ?s ?p ?o } }", True),
        ("PREFIX ex: <x:>\nSELECT * FROMex:g {}", True),  # no space needed after the keyword
        ("SELECT ?from { ?from ?p 'FROM' } # FROM <x:g>", False),  # variable, string, comment
        ("PREFIX from: <x:>\nSELECT * { from:a ex:from <http://x/FROM> }", False),  # names
        ('SELECT * { ?s ?p """a " FROM <x:g>""", "x"@from, _:from }', False),
    ],
)
def test_a_dataset_is_named_only_by_the_from_keyword(query: str, named: bool) -> None:
    assert names_dataset(query) is named


@pytest.mark.slow  # a real `narcokg serve` (proxy and Oxigraph server processes)
def test_count_of_everything_is_the_number_of_quads_on_serve(
    built: Path, tmp_path: Path, quads: list[ox.Quad]
) -> None:
    copy = tmp_path / "data" / "store"
    copy.parent.mkdir()
    ox.Store.read_only(str(built)).backup(str(copy))
    served = Served(copy, tmp_path / "serve.log")
    try:
        corrections = sum(1 for q in quads if q.graph_name == ox.NamedNode(f"{NKG}corrections"))
        for how in ("get", "form", "body"):
            status, _, body = served.query(COUNT_ALL, how)
            assert status == 200, body
            assert int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) == len(quads)
            # FROM still chooses the default graph; GRAPH still names each graph
            status, _, body = served.query(
                f"SELECT (COUNT(*) AS ?n) FROM <{NKG}corrections> {{ ?s ?p ?o }}", how
            )
            assert status == 200, body
            assert int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) == corrections
            status, _, body = served.query("SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }", how)
            assert int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) == len(quads)
        # the protocol's own dataset parameters still work (they exclude the union)
        target = "/query?" + urllib.parse.urlencode(
            {"query": COUNT_ALL, "default-graph-uri": f"{NKG}corrections"}
        )
        status, _, body = served.request(
            "GET", target, headers={"Accept": "application/sparql-results+json"}
        )
        assert status == 200, body
        assert int(json.loads(body)["results"]["bindings"][0]["n"]["value"]) == corrections
    finally:
        assert served.stop() == 0
