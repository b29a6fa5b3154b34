"""The web and the report: ``narcokg web`` and ``narcokg report`` in headless Chromium on 127.0.0.1.

The server is the real command on a free port over the real build (session fixture, stopped
by pid); the browser is Debian's chromium + chromedriver through selenium. Expected values are
read from the store independently of the pages (figure counts, statuses) or checked by hand
(the first figure of release 000 is the garbled "9,26" at characters 671-675).
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef

from kg.publish.web import KEEP_ALIVE_SECONDS, MAX_HEADER_BYTES, negotiate, query_form
from tests.conftest import narcokg

pytestmark = pytest.mark.slow  # a real browser and real server processes

NKGV = "https://w3id.org/narcotics-kg/id/"
NKO = "https://w3id.org/narcotics-kg/ontology#"
G = "https://w3id.org/narcotics-kg/graph/"
RELEASE = "000_a69edf0332bcabe2"
RELEASE_IRI = f"{NKGV}release/{RELEASE}"
MALFORMED = f"{RELEASE_IRI}/figure/671-675"  # "9,26", hand-checked against the text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, accept: str | None = None) -> tuple[int, str, bytes]:
    """(status, content type, body) of a GET to the local server."""
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


@pytest.fixture(scope="session")
def server(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`narcokg web` on a free port of 127.0.0.1; stopped by pid at the end.

    It serves a copy of the build (store and dumps): the server lives for the whole session and
    keeps its snapshot beside the store it serves, where the tests of `narcokg serve` check
    that theirs are cleaned up (under pytest-xdist they share a process with this one).
    """
    served = tmp_path_factory.mktemp("web") / "build"
    shutil.copytree(built.parent, served, ignore=shutil.ignore_patterns(".narcokg-serve-*"))
    port = _free_port()
    args = ["web", "--port", str(port), "--timeout", "5", "--store", str(served / built.name)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(base + "/")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"narcokg web did not start: {err}")
            time.sleep(0.2)
        yield base
    finally:
        os.kill(proc.pid, 15)
        proc.wait(timeout=30)


def _figures_in_store(store_dir: Path, release: str) -> dict[str, str]:
    """Figure IRI → status code, straight from the release's own graph."""
    store = ox.Store.read_only(str(store_dir))
    rows = store.query(
        f"PREFIX nko: <{NKO}> SELECT ?f ?st WHERE {{ GRAPH <{G}release/{release}> {{"
        f" ?f a nko:Figure ; nko:status ?st }} }}"
    )
    assert isinstance(rows, ox.QuerySolutions)
    return {r["f"].value: r["st"].value.rsplit("/", 1)[-1] for r in rows}  # type: ignore[union-attr]


# --- pages in the browser ------------------------------------------------------------------


def test_release_page_highlights_every_figure_of_the_graph(
    server: str, browser: Any, built: Path
) -> None:
    from selenium.webdriver.common.by import By

    expected = _figures_in_store(built, RELEASE)
    assert len(expected) > 20
    browser.get(f"{server}/id/release/{RELEASE}")
    marks = browser.find_elements(By.CSS_SELECTOR, "#release-text a.figure")
    assert len(marks) == len(expected)
    shown = {}
    for mark in marks:
        href = mark.get_attribute("href")
        iri = NKGV + href.split("/id/", 1)[1]
        shown[iri] = mark.get_attribute("class").split()
        assert expected[iri] in shown[iri]
    assert set(shown) == set(expected)
    malformed = browser.find_element(By.ID, "f-671-675")
    assert malformed.text == "9,26"
    assert "malformed" in malformed.get_attribute("class").split()
    assert sum("malformed" in c for c in shown.values()) == sum(
        s == "malformed" for s in expected.values()
    )


def test_release_page_text_is_the_release_text(server: str, browser: Any, built: Path) -> None:
    """Highlighting inserts markup only: the page's text, without the corrections inserted
    after corrected figures, equals schema:text (so offsets, escaping and code points hold)."""

    store = ox.Store.read_only(str(built))
    text = next(
        store.quads_for_pattern(
            ox.NamedNode(RELEASE_IRI), ox.NamedNode("https://schema.org/text"), None, None
        )
    ).object.value
    browser.get(f"{server}/id/release/{RELEASE}")
    shown = browser.execute_script(
        "const t = document.getElementById('release-text').cloneNode(true);"
        "t.querySelectorAll('ins.correction').forEach(e => e.remove());"
        "return t.textContent;"
    )
    assert shown == text


def test_figure_page_links_back_to_its_release(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server + "/id/release/" + RELEASE + "/figure/671-675")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "malformed" in body and "9,26" in body
    back = browser.find_element(By.ID, "back-to-release")
    assert back.get_attribute("href") == f"{server}/id/release/{RELEASE}#f-671-675"
    back.click()
    assert browser.current_url == f"{server}/id/release/{RELEASE}#f-671-675"
    assert browser.find_element(By.ID, "f-671-675").text == "9,26"


def test_entity_page_lists_mentions_per_release_and_figures(
    server: str, browser: Any, built: Path
) -> None:
    from selenium.webdriver.common.by import By

    store = ox.Store.read_only(str(built))
    rows = store.query(
        "PREFIX oa: <http://www.w3.org/ns/oa#> PREFIX prov: <http://www.w3.org/ns/prov#>"
        f" SELECT DISTINCT ?r WHERE {{ GRAPH ?g {{ ?m oa:hasBody <{NKGV}jurisdiction/CN-YN> ;"
        " prov:wasDerivedFrom ?r } }"
    )
    assert isinstance(rows, ox.QuerySolutions)
    releases = {r["r"].value for r in rows}  # type: ignore[union-attr]
    assert releases
    browser.get(f"{server}/id/jurisdiction/CN-YN")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Yunnan"
    items = browser.find_elements(By.CSS_SELECTOR, "#mentions li")
    assert len(items) == len(releases)
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "Q43194" in page  # the verified Wikidata link
    assert browser.find_elements(By.CSS_SELECTOR, "#figures tr")


def test_index_lists_the_releases(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#releases a")]
    assert f"{server}/id/release/{RELEASE}" in links


def test_sparql_form_answers_in_the_browser(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    browser.get(server + "/sparql")
    box = browser.find_element(By.NAME, "query")
    box.clear()
    box.send_keys(
        f"PREFIX nko: <{NKO}> SELECT ?v WHERE {{ GRAPH ?g {{ <{MALFORMED}> nko:verbatim ?v }} }}"
    )
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#sparql-results, #sparql-error")
    )
    cells = browser.find_elements(By.CSS_SELECTOR, "#sparql-results td")
    assert [c.text for c in cells] == ["9,26"]


# --- content negotiation and the SPARQL endpoint over HTTP ---------------------------------


@pytest.mark.parametrize(
    ("accept", "fmt", "ctype", "parser"),
    [
        ("text/turtle", None, "text/turtle", "turtle"),
        ("application/ld+json", None, "application/ld+json", "json-ld"),
        ("application/n-triples", None, "application/n-triples", "nt"),
        ("text/html", "ttl", "text/turtle", "turtle"),
        (None, "jsonld", "application/ld+json", "json-ld"),
    ],
)
def test_content_negotiation_returns_parseable_rdf(
    server: str, accept: str | None, fmt: str | None, ctype: str, parser: str
) -> None:
    url = f"{server}/id/release/{RELEASE}/figure/671-675" + (f"?format={fmt}" if fmt else "")
    status, got, body = get(url, accept)
    assert status == 200
    assert got.split(";")[0] == ctype
    g = Graph().parse(data=body.decode("utf-8"), format=parser)
    figure = URIRef(MALFORMED)
    assert (figure, URIRef(NKO + "statedIn"), URIRef(RELEASE_IRI)) in g
    assert (figure, URIRef(NKO + "verbatim"), Literal("9,26")) in g
    assert (figure, URIRef(NKO + "value"), None) not in g  # nothing invented


def test_html_by_default_406_for_nothing_we_have_404_for_unknown(server: str) -> None:
    status, ctype, body = get(f"{server}/id/release/{RELEASE}", "text/html,*/*;q=0.8")
    assert status == 200 and ctype.startswith("text/html")
    assert b'class="figure malformed"' in body
    assert get(f"{server}/id/release/{RELEASE}", "image/png")[0] == 406
    assert get(f"{server}/id/release/no-such-release")[0] == 404
    assert get(f"{server}/download/../store/CURRENT")[0] == 404


def test_vocabulary_links_and_void_are_served(server: str) -> None:
    status, _, body = get(f"{server}/id/jurisdiction/CN", "text/turtle")
    assert status == 200
    g = Graph().parse(data=body.decode(), format="turtle")
    exact = URIRef("http://www.w3.org/2004/02/skos/core#exactMatch")
    cn = URIRef(f"{NKGV}jurisdiction/CN")
    assert (cn, exact, URIRef("https://sws.geonames.org/1814991/")) in g
    assert (cn, exact, URIRef("http://www.wikidata.org/entity/Q148")) in g
    status, _, body = get(f"{server}/.well-known/void", "text/turtle")
    assert status == 200
    void = Graph().parse(data=body.decode(), format="turtle")
    endpoint = URIRef("http://rdfs.org/ns/void#sparqlEndpoint")
    dataset = URIRef(f"{NKGV}dataset/narcotics-kg")
    assert void.value(dataset, endpoint) == URIRef(f"{server}/sparql")
    status, ctype, body = get(f"{server}/download/narcotics-kg.trig")
    assert status == 200 and ctype == "application/trig" and body


def test_sparql_endpoint_is_read_only_and_times_out(server: str) -> None:
    ask = f"ASK {{ GRAPH ?g {{ <{MALFORMED}> ?p ?o }} }}"
    status, ctype, body = get(
        f"{server}/sparql?query={urllib.parse.quote(ask)}", "application/sparql-results+json"
    )
    assert status == 200 and ctype == "application/sparql-results+json"
    assert b'"boolean":true' in body.replace(b" ", b"")
    for bad in ("INSERT DATA { <x:a> <x:b> <x:c> }", "DROP ALL"):
        assert get(f"{server}/sparql?query={urllib.parse.quote(bad)}")[0] == 400
    status, ctype, _ = get(f"{server}/sparql?query={urllib.parse.quote('DESCRIBE <x:y>')}")
    assert status == 200 and ctype.startswith("text/turtle")  # answered, as Turtle
    slow = (
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?a { ?s ?p ?o } GRAPH ?b { ?s2 ?p2 ?o2 }"
        " GRAPH ?c { ?s3 ?p3 ?o3 } }"
    )
    status, _, body = get(f"{server}/sparql?query={urllib.parse.quote(slow)}", "text/csv")
    assert status == 503 and b"timed out" in body


def test_negotiation_and_query_form_rules() -> None:
    assert negotiate("text/turtle;q=0.5, application/ld+json", None) == "jsonld"
    assert negotiate("text/html,application/xhtml+xml,*/*;q=0.8", None) == "html"
    assert negotiate("image/png", None) is None
    assert negotiate(None, "nt") == "nt"
    assert query_form("# c\nPREFIX a: <x:>\nselect * {}") == "SELECT"
    assert query_form("BASE <x:> CONSTRUCT {} WHERE {}") == "CONSTRUCT"


# --- HTTP as the server parses it (uvicorn, h11) -------------------------------------------


def _raw(base: str, request: bytes, *, wait: float = 30) -> bytes:
    """Everything the server sends on one connection after ``request``, until it closes it."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        with contextlib.suppress(OSError):  # it may answer and close before reading it all
            sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_malformed_requests_get_a_4xx_answer_not_a_dropped_connection(server: str) -> None:
    # Each request is sent whole and no further: a server closing a connection with bytes
    # still unread resets it (TCP), which could drop the answer before the test reads it.
    bad_length = b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n"
    assert _raw(server, bad_length).startswith(b"HTTP/1.1 400 ")
    assert _raw(server, b"NOT HTTP AT ALL\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    start = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: "  # a head that never ends
    endless = start + b"a" * (MAX_HEADER_BYTES + 1 - len(start))
    assert _raw(server, endless).startswith(b"HTTP/1.1 400 ")
    too_long = (
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 2000000\r\n\r\n"
    )
    assert _raw(server, too_long).startswith(b"HTTP/1.1 413 ")
    assert get(server + "/")[0] == 200  # and it goes on answering


def test_an_idle_keep_alive_connection_is_closed_after_the_limit(server: str) -> None:
    start = time.monotonic()
    answer = _raw(server, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert KEEP_ALIVE_SECONDS - 0.5 <= time.monotonic() - start < KEEP_ALIVE_SECONDS + 10


def test_web_says_where_it_listens_and_stops_cleanly_on_ctrl_c(built: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "web", "--port", str(port), "--store", str(built)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    try:
        assert select.select([proc.stderr], [], [], 60)[0], "no address printed within 60 s"
        line = proc.stderr.readline()
        assert (
            line == f"serving http://127.0.0.1:{port}/ (store {built}, read-only); Ctrl-C stops\n"
        )
        assert get(f"http://127.0.0.1:{port}/")[0] == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert proc.stderr.read() == ""  # no traceback, no log noise
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- the report ----------------------------------------------------------------------------


def _png_colours(png: bytes) -> int:
    """Distinct pixel values of an 8-bit RGB/RGBA PNG (decoded here: no imaging library)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", data[:10])
            assert depth == 8 and colour in (2, 6)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    prev, colours = bytearray(stride), set()
    for y in range(height):
        f, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        if y % 8 == 0:
            colours.update(bytes(line[i : i + channels]) for i in range(0, stride, channels * 4))
        prev = line
    return len(colours)


def test_report_is_self_contained_and_not_blank(built: Path, tmp_path: Path, browser: Any) -> None:
    out = tmp_path / "report.html"
    narcokg("report", "--store", str(built), "--out", str(out))
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert html.count("<svg") >= 4
    for section in ('id="measures"', 'id="seizures"', 'id="jurisdictions"', 'id="quality"'):
        assert section in html
    browser.get(out.as_uri())
    png = browser.get_screenshot_as_png()
    assert _png_colours(png) > 1
    (tmp_path / "report.png").write_bytes(png)
