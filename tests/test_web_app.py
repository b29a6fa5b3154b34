"""The web application in-process (Starlette's TestClient, no server, no browser).

What it checks: text from the data that looks like markup (a release titled
``<script>alert(1)</script>``, built with the real ``narcokg build``) is escaped on every page;
the highlighted release text is the stored text exactly, each figure's mark holding
``text[start:end]``; ``/ontology`` serves the generated documentation when it exists and a
404 when it does not; requests the application refuses get their 4xx (405, 413, 400).
The real server over a socket (``narcokg web``, uvicorn) is tested in tests/test_web.py.
"""

from __future__ import annotations

import urllib.parse
import warnings
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.publish import web
from kg.publish.web import MAX_BODY_BYTES, create_app
from kg.resources import corpus_dir
from tests.conftest import narcokg

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 and warns on httpx, which it still supports
    warnings.simplefilter("ignore", UserWarning)
    from starlette.testclient import TestClient

NKGV = "https://w3id.org/narcotics-kg/id/"
NKO = "https://w3id.org/narcotics-kg/ontology#"
GRAPH = "https://w3id.org/narcotics-kg/graph/release/"  # a release's own figures
RELEASE = "000_a69edf0332bcabe2"
TITLE = "<script>alert(1)</script>"
PUBLISHER = "Tom & Jerry's <b>office</b>"
MARKUP_LINE = '\nA note <script>alert(2)</script> & "more": 5 kilograms of heroin were seized.\n'
METADATA = f"""\
- id: hostile
  file: hostile.txt
  title: "{TITLE}"
  publisher: "{PUBLISHER}"
  issued: 2022-09-01
  sources:
    - 'https://example.org/a?b=1&c=2'
"""


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of one release whose metadata and text hold markup, built by `narcokg build`."""
    work = tmp_path_factory.mktemp("hostile")
    corpus = work / "corpus"
    corpus.mkdir()
    text = (corpus_dir() / "003_fa7d3ae810f620c8.txt").read_text(encoding="utf-8")
    (corpus / "hostile.txt").write_text(text + MARKUP_LINE, encoding="utf-8")
    (corpus / "releases.yaml").write_text(METADATA, encoding="utf-8")
    narcokg("build", str(corpus), "--store", str(work / "store"), cwd=work)
    return work / "store"


@pytest.fixture(scope="module")
def hostile(hostile_store: Path) -> Iterator[TestClient]:
    with TestClient(create_app(hostile_store, timeout=30)) as client:
        yield client


@pytest.fixture(scope="module")
def client(built: Path) -> Iterator[TestClient]:
    with TestClient(create_app(built, timeout=30)) as client:
        yield client


class _Page(HTMLParser):
    """What a browser would show: element texts by id/tag, and the release text with its marks."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[str, str] = {}  # first <title>, <h1>, and every element with an id
        self.release_text: list[str] = []  # #release-text without the inserted corrections
        self.marks: list[tuple[dict[str, str | None], str]] = []  # (attributes, text) per figure
        self._open: list[tuple[str, list[str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("br", "meta", "link"):
            return
        self.stack.append((tag, attributes))
        key = attributes.get("id") or tag
        self._open.append((key, []))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack:
            return
        (_, attributes), (key, parts) = self.stack.pop(), self._open.pop()
        text = "".join(parts)
        self.texts.setdefault(key, text)
        if self._open:  # the parent's text includes this element's
            self._open[-1][1].append(text)
        if "figure" in (attributes.get("class") or "").split() and self._inside("release-text"):
            self.marks.append((attributes, text))

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][1].append(data)
        if self._inside("release-text") and not any(tag == "ins" for tag, _ in self.stack):
            self.release_text.append(data)

    def _inside(self, element_id: str) -> bool:
        return any(a.get("id") == element_id for _, a in self.stack)


def _text_of(store: ox.Store, release: str) -> str:
    quad = next(
        store.quads_for_pattern(
            ox.NamedNode(f"{NKGV}release/{release}"),
            ox.NamedNode("https://schema.org/text"),
            None,
            None,
        )
    )
    return quad.object.value


# --- escaping ------------------------------------------------------------------------------


def test_markup_from_the_data_is_escaped_on_every_page(
    hostile: TestClient, hostile_store: Path
) -> None:
    quoted = urllib.parse.quote('SELECT * WHERE { ?s ?p "</textarea><script>alert(3)</script>" }')
    pages = {
        "home": "/",
        "release": "/id/release/hostile",
        "graph": "/graph/release/hostile",
        "figure": "/id/release/hostile/figure/" + _first_figure(hostile_store),
        "not found": "/nothing%3Cscript%3Ealert(4)%3C/script%3E",
        "sparql": f"/sparql?query={quoted}",
    }
    for name, path in pages.items():
        response = hostile.get(path, headers={"Accept": "text/html"})
        assert response.status_code in (200, 404), name
        assert response.headers["content-type"] == "text/html; charset=utf-8", name
        body = response.text
        assert "<script" not in body.lower(), name
        assert "<b>" not in body, name

    home = _Page(hostile.get("/").text)
    assert home.texts["releases"].count(TITLE) == 1  # the link text, as written

    response = hostile.get("/id/release/hostile")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    page = _Page(response.text)
    assert page.texts["title"] == f"{TITLE} — narcotics-kg"
    assert page.texts["h1"] == TITLE
    assert PUBLISHER in page.texts["table"]
    assert "".join(page.release_text) == _text_of(ox.Store.read_only(str(hostile_store)), "hostile")
    assert "<script>alert(2)</script>" in "".join(page.release_text)

    page = _Page(hostile.get(pages["not found"]).text)
    assert page.texts["p"] == "no page at /nothing<script>alert(4)</script>"

    page = _Page(hostile.get(pages["sparql"], headers={"Accept": "text/html"}).text)
    assert page.texts["textarea"] == urllib.parse.unquote(quoted)


def _first_figure(store_dir: Path) -> str:
    store = ox.Store.read_only(str(store_dir))
    rows = store.query(
        f"PREFIX nko: <{NKO}> SELECT ?f WHERE {{ GRAPH ?g {{ ?f a nko:Figure ;"
        f" nko:statedIn <{NKGV}release/hostile> }} }} ORDER BY ?f LIMIT 1"
    )
    assert isinstance(rows, ox.QuerySolutions)
    return str(next(iter(rows))["f"].value).rsplit("/", 1)[-1]  # type: ignore[union-attr]


# --- the highlighted text ------------------------------------------------------------------


@pytest.mark.parametrize("which", ["bundled", "hostile"])
def test_each_mark_holds_text_start_end_and_the_page_text_is_the_release_text(
    which: str, request: pytest.FixtureRequest
) -> None:
    store_dir: Path = request.getfixturevalue("built" if which == "bundled" else "hostile_store")
    app: TestClient = request.getfixturevalue("client" if which == "bundled" else "hostile")
    release = RELEASE if which == "bundled" else "hostile"
    store = ox.Store.read_only(str(store_dir))
    text = _text_of(store, release)
    rows = store.query(
        f"PREFIX nko: <{NKO}> SELECT (COUNT(?f) AS ?n) WHERE {{ GRAPH <{GRAPH}{release}> {{"
        " ?f a nko:Figure } }"
    )
    assert isinstance(rows, ox.QuerySolutions)
    count = int(next(iter(rows))["n"].value)  # type: ignore[union-attr]

    page = _Page(app.get(f"/id/release/{release}").text)
    assert "".join(page.release_text) == text
    assert len(page.marks) == count > 10
    for attributes, inner in page.marks:
        start, end = int(attributes["data-start"] or ""), int(attributes["data-end"] or "")
        assert inner == text[start:end]
        assert attributes["id"] == f"f-{start}-{end}"
        assert attributes["href"] == f"/id/release/{release}/figure/{start}-{end}"


# --- the ontology documentation ------------------------------------------------------------


def test_home_links_to_the_ontology_documentation(client: TestClient) -> None:
    page = client.get("/").text
    assert 'href="/ontology"' in page


def test_ontology_is_served_from_the_generated_file_or_404(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = web.ontology_dir() / "narcotics.html"
    if real.is_file():
        response = client.get("/ontology")
        assert response.status_code == 200
        assert response.content == real.read_bytes()

    monkeypatch.setattr(web, "ontology_dir", lambda: tmp_path)
    response = client.get("/ontology")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert _Page(response.text).texts["p"] == (
        "no ontology documentation here: run python -m kg.publish.ontology_docs"
    )

    page = "<!DOCTYPE html><html><head><title>narcotics ontology</title></head></html>\n"
    (tmp_path / "narcotics.html").write_text(page, encoding="utf-8")
    response = client.get("/ontology")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == page


# --- requests the application refuses ------------------------------------------------------


def test_methods_a_path_does_not_take_are_405(client: TestClient) -> None:
    response = client.put("/")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}
    response = client.post("/id/jurisdiction/CN")
    assert response.status_code == 405 and response.text == "POST only on /sparql"
    assert client.delete("/sparql").status_code == 405


def test_a_query_body_over_the_limit_is_413(client: TestClient) -> None:
    response = client.post(
        "/sparql",
        content=b"x" * (MAX_BODY_BYTES + 1),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert response.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"y" * 65536

    response = client.post(
        "/sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"}
    )
    assert response.status_code == 413


def test_a_path_that_is_no_iri_is_400(client: TestClient) -> None:
    response = client.get("/id/a%20b")
    assert response.status_code == 400
    assert response.text.startswith("bad request: ")


def test_post_sparql_takes_a_form_or_a_query_body(client: TestClient) -> None:
    ask = f"ASK {{ GRAPH ?g {{ <{NKGV}release/{RELEASE}> ?p ?o }} }}"
    json_results = {"Accept": "application/sparql-results+json"}
    form = client.post("/sparql", data={"query": ask}, headers=json_results)
    direct = client.post(
        "/sparql",
        content=ask.encode(),
        headers={**json_results, "Content-Type": "application/sparql-query"},
    )
    for response in (form, direct):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/sparql-results+json"
        assert response.json()["boolean"] is True


def test_head_answers_like_get_without_a_body(client: TestClient) -> None:
    get, head = client.get("/"), client.head("/")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
