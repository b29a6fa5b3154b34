"""``narcokg web`` under attack and after a rebuild: what it serves and what it refuses.

Each test runs the real command on a free port of 127.0.0.1 over a small real build in its own
folder, and talks HTTP to it: downloads only of listed files, the ``Host`` check (DNS
rebinding), federated queries refused (a local HTTP server records whether it was called), a
memory cap and a bound on concurrent queries, ``javascript:`` sources shown as text, a bad
``Content-Length`` answered, and one consistent view of pages, queries and downloads after a
rebuild.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.publish import whole
from kg.publish.web import Site, create_app
from kg.publish.webview import ServedView
from tests.conftest import narcokg
from tests.recorder import ROW_VALUE, Recorder, recording

pytestmark = pytest.mark.slow  # real builds and real servers

TEXT_A = (
    "From January to June, Gansu police cracked 23 drug cases and arrested 31 suspects.\n\n"
    "They seized 4.2 kilograms of drugs.\n"
)
TEXT_B = (
    "From January to June, Gansu police cracked 29 drug cases and arrested 37 suspects.\n\n"
    "They seized 5.6 kilograms of drugs.\n"
)
COUNT_RELEASES = (
    "PREFIX dct: <http://purl.org/dc/terms/> SELECT (COUNT(DISTINCT ?g) AS ?n) "
    "WHERE { GRAPH ?g { ?r dct:issued ?d } }"
)
# a cross product of every quad with itself three times: no answer in any useful time, and
# sorted, so the whole product must be held in memory before the first row
RUNAWAY = (
    "SELECT ?a ?b ?c WHERE { GRAPH ?g1 { ?a ?p ?o } GRAPH ?g2 { ?b ?q ?r } "
    "GRAPH ?g3 { ?c ?x ?y } } ORDER BY (CONCAT(STR(?o), STR(?r), STR(?y)))"
)
# the same product only counted: slow, but in constant memory
SLOW = (
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g1 { ?a ?p ?o } GRAPH ?g2 { ?b ?q ?r } "
    "GRAPH ?g3 { ?c ?x ?y } }"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with lower-case names, body) of one request to the local server."""
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def sparql(base: str, query: str, **kw: object) -> tuple[int, dict[str, str], bytes]:
    return request(
        f"{base}/sparql",
        data=query.encode(),
        headers={
            "Content-Type": "application/sparql-query",
            "Accept": "application/sparql-results+json",
        },
        **kw,  # type: ignore[arg-type]
    )


def _build(folder: Path, text: str, yaml: str = "") -> Path:
    """Build one release ``g.txt`` into ``folder/data/store`` (dumps in ``folder/data``)."""
    src = folder / "in"
    src.mkdir(parents=True, exist_ok=True)
    (src / "g.txt").write_text(text, encoding="utf-8")
    meta = "- id: g\n  file: g.txt\n  issued: 2024-07-02\n" + yaml
    (src / "releases.yaml").write_text(meta, encoding="utf-8")
    store = folder / "data" / "store"
    narcokg("build", str(src), "--store", str(store))
    return store


class Web:
    """A running ``narcokg web``; stopped with SIGTERM."""

    def __init__(self, store: Path, *args: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "web", "--port", str(self.port),
             "--store", str(store), *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                if request(self.base + "/", timeout=5)[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                self.stop()
                pytest.fail(f"narcokg web did not start: {err}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def small(tmp_path: Path) -> Path:
    return _build(tmp_path, TEXT_A)


@pytest.fixture
def web(small: Path) -> Iterator[Web]:
    server = Web(small, "--timeout", "5")
    try:
        yield server
    finally:
        server.stop()


def test_downloads_are_only_the_files_the_description_lists(small: Path, tmp_path: Path) -> None:
    data = small.parent
    (data / ".ssh").mkdir()
    (data / ".ssh" / "id_rsa").write_text("PRIVATE KEY\n")
    (data / "notes.txt").write_text("not published\n")
    server = Web(small)
    try:
        void = list(ox.parse(path=str(data / "void.ttl")))
        listed = {
            t.object.value.rsplit("/download/", 1)[1]
            for t in void
            if t.predicate.value == "http://www.w3.org/ns/dcat#downloadURL"
        }
        sizes = {
            t.subject.value.rsplit("/distribution/", 1)[1]: int(t.object.value)
            for t in void
            if t.predicate.value == "http://www.w3.org/ns/dcat#byteSize"
        }
        assert {"narcotics-kg.trig", "narcotics-kg.nq", "narcotics-kg.jsonld"} <= listed
        for name in sorted(listed):
            status, headers, body = request(f"{server.base}/download/{name}")
            assert status == 200, name
            assert len(body) == sizes[name] == int(headers["content-length"]), name
            if name.startswith("narcotics-kg.") and not name.endswith(".context.jsonld"):
                # streamed from the pieces: the bytes `narcokg dump` writes
                out = tmp_path / name
                narcokg("dump", "--store", str(small), "--out", str(out))
                assert body == out.read_bytes(), name
            else:
                assert body == (data / name).read_bytes(), name
        assert (data / "store.answers.sqlite").is_file()  # in the default layout, not listed
        for path in (".ssh/id_rsa", "notes.txt", "store.answers.sqlite", "store/CURRENT",
                     "..%2Fin%2Fg.txt", "%2Fetc%2Fpasswd", ".fragments/manifest.json",
                     "store.graphs.json"):  # fmt: skip
            status, _, body = request(f"{server.base}/download/{path}")
            assert status == 404, path
            assert b"PRIVATE KEY" not in body
    finally:
        server.stop()


def test_requests_naming_another_host_are_refused(web: Web) -> None:
    """DNS rebinding: a page of evil.example resolved to 127.0.0.1 sends Host: evil.example."""
    for host in ("evil.example", f"evil.example:{web.port}", "127.0.0.1.evil.example"):
        status, _, body = request(web.base + "/", headers={"Host": host})
        assert status == 400, host
        assert b"Invalid host header" in body
    for host in (f"127.0.0.1:{web.port}", f"localhost:{web.port}"):
        assert request(web.base + "/", headers={"Host": host})[0] == 200, host


@pytest.fixture
def internal() -> Iterator[Recorder]:
    """An HTTP service on 127.0.0.1 that the web server must not call for a stranger."""
    with recording() as server:
        yield server


def test_federated_queries_are_refused_unless_the_endpoint_is_allowed(
    small: Path, internal: Recorder
) -> None:
    endpoint = f"{internal.url}/sparql"
    query = f"SELECT ?x WHERE {{ SERVICE <{endpoint}> {{ ?s ?p ?x }} }}"
    server = Web(small)
    try:
        for q in (query, query.replace("SERVICE", "service silent"),
                  query.replace("SERVICE", "\\u0053ERVICE")):  # fmt: skip
            status, _, body = sparql(server.base, q)
            assert status == 403, (q, body)
            assert body.decode().startswith("federated query refused: SERVICE"), body
        # a GET from a link is refused the same way
        status, _, _ = request(f"{server.base}/sparql?query={urllib.parse.quote(query)}")
        assert status == 403
        assert internal.calls == []
    finally:
        server.stop()
    allowed = Web(small, "--allow-service", endpoint)
    try:
        status, _, body = sparql(allowed.base, query)
        assert status == 200, body
        assert ROW_VALUE in body.decode()
        assert len(internal.calls) == 1
    finally:
        allowed.stop()


def test_a_query_past_the_memory_cap_gets_503_and_the_server_goes_on(small: Path) -> None:
    server = Web(small, "--memory-limit", "200MB", "--timeout", "60")
    try:
        status, headers, body = sparql(server.base, RUNAWAY, timeout=120)
        assert status == 503, body
        assert "more than the server's 200 MB per query" in body.decode()
        assert "--memory-limit" in body.decode()
        assert headers.get("retry-after") == "5"
        # the cap's message, not the timeout's ("query timed out after 60 s")
        status, _, body = sparql(server.base, COUNT_RELEASES)
        assert status == 200
        rows = json.loads(body)["results"]["bindings"]
        assert rows[0]["n"]["value"] == "1"
        assert server.proc.poll() is None
    finally:
        server.stop()


def test_queries_beyond_the_concurrency_bound_get_503_at_once(small: Path) -> None:
    server = Web(small, "--max-queries", "1", "--timeout", "6")
    try:
        answers: list[tuple[int, dict[str, str], bytes]] = []
        slow = threading.Thread(target=lambda: answers.append(sparql(server.base, SLOW)))
        slow.start()
        time.sleep(2)  # the slow one holds the only slot
        # refused with 503, not queued: a queued query would get its 200 once the slot frees
        status, headers, body = sparql(server.base, COUNT_RELEASES)
        slow.join()
        assert status == 503, body
        assert body == b"1 queries are running; try again shortly"
        assert headers.get("retry-after") == "5"
        assert answers[0][0] == 503 and b"timed out after 6 s" in answers[0][2]
        # the slot is free again
        assert sparql(server.base, COUNT_RELEASES)[0] == 200
    finally:
        server.stop()


def test_sources_that_are_not_http_are_text_not_links(tmp_path: Path) -> None:
    store = _build(
        tmp_path,
        TEXT_A,
        "  sources:\n    - javascript:alert(document.domain)\n    - https://example.org/a\n",
    )
    server = Web(store)
    try:
        status, _, body = request(f"{server.base}/id/release/g")
        page = body.decode()
        assert status == 200
        assert "javascript:alert(document.domain)" in page  # shown
        assert 'href="javascript:' not in page.replace(" ", "")  # but never a link
        assert '<a href="https://example.org/a">https://example.org/a</a>' in page
    finally:
        server.stop()


def test_a_bad_content_length_gets_an_answer(web: Web) -> None:
    for value in ("abc", "-5", "5, 6"):
        with socket.create_connection(("127.0.0.1", web.port), timeout=10) as s:
            s.sendall(
                b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/sparql-query\r\n"
                b"Content-Length: " + value.encode() + b"\r\n\r\nASK {}"
            )
            answer = s.recv(4096)
        assert answer.startswith(b"HTTP/1.1 400 "), (value, answer)


def _views_agree(base: str) -> tuple[str, str, str]:
    """What the page, a query and the N-Quads download say the cases figure is."""
    page = request(f"{base}/id/release/g")[2].decode()
    rows = json.loads(
        sparql(
            base,
            "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#> SELECT ?v WHERE { GRAPH ?g {"
            " ?f nko:value ?v ; nko:indicator ?m } FILTER(CONTAINS(STR(?m), 'cases')) }",
        )[2]
    )["results"]["bindings"]
    nq = request(f"{base}/download/narcotics-kg.nq")[2].decode()
    in_page = "29" if ">29<" in page else "23" if ">23<" in page else "?"
    in_query = rows[0]["v"]["value"] if rows else "?"
    in_dump = "29" if '"29"' in nq else "23" if '"23"' in nq else "?"
    return in_page, in_query, in_dump


def test_after_a_rebuild_pages_queries_and_downloads_show_one_version(
    small: Path, tmp_path: Path
) -> None:
    server = Web(small)
    try:
        assert _views_agree(server.base) == ("23", "23", "23")
        src = tmp_path / "in"
        (src / "g.txt").write_text(TEXT_B, encoding="utf-8")
        narcokg("build", str(src), "--store", str(small))
        deadline = time.monotonic() + 30
        seen = _views_agree(server.base)
        while seen != ("29", "29", "29") and time.monotonic() < deadline:
            time.sleep(0.5)
            seen = _views_agree(server.base)
        assert seen == ("29", "29", "29")
    finally:
        server.stop()
    # no snapshot is left beside the store once the server stopped
    assert [p.name for p in small.parent.iterdir() if p.name.startswith(".narcokg-")] == []


def test_a_killed_web_server_leaves_a_snapshot_the_next_one_removes(small: Path) -> None:
    server = Web(small)
    holders = [p for p in small.parent.iterdir() if p.name.startswith(".narcokg-serve-")]
    assert len(holders) == 1  # the view it serves
    server.proc.kill()  # SIGKILL: no chance to clean up
    server.proc.wait()
    assert holders[0].is_dir()
    again = Web(small)
    try:
        now = [p for p in small.parent.iterdir() if p.name.startswith(".narcokg-serve-")]
        assert holders[0] not in now and len(now) == 1
    finally:
        again.stop()
    assert [p for p in small.parent.iterdir() if p.name.startswith(".narcokg-")] == []


def _assembled(view: ServedView, rel: str) -> bytes:
    """The whole-dataset dump ``rel`` as the view streams it (from its links to the pieces)."""
    key, pieces = view.assembled[rel]
    return b"".join(whole.chunks(key, pieces))


def test_a_view_is_one_version_until_it_is_renewed(small: Path, tmp_path: Path) -> None:
    """In the application: a request that holds a view sees it whole, old or new."""
    app = create_app(small)
    site: Site = app.state.site
    try:
        old = site.current
        src = tmp_path / "in"
        (src / "g.txt").write_text(TEXT_B, encoding="utf-8")
        narcokg("build", str(src), "--store", str(small))
        q = (
            "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#> SELECT ?v WHERE { GRAPH ?g {"
            " ?f nko:value ?v ; nko:indicator ?m } FILTER(CONTAINS(STR(?m), 'cases')) }"
        )
        status, _, body = site.sparql(q, "data", old)
        assert status == 200 and '"23"' in body.decode()  # type: ignore[union-attr]
        assert b'"23"' in _assembled(old, "narcotics-kg.nq")
        assert site.views.refresh() is True
        new = site.current
        assert new is not old
        status, _, body = site.sparql(q, "data", new)
        assert '"29"' in body.decode()  # type: ignore[union-attr]
        assert b'"29"' in _assembled(new, "narcotics-kg.nq")
        # the old view still answers whole until it is purged
        status, _, body = site.sparql(q, "data", old)
        assert '"23"' in body.decode()  # type: ignore[union-attr]
        assert site.views.refresh() is False  # nothing changed since
    finally:
        site.views.close()
    assert not old.holder.exists()
    assert not os.path.exists(new.holder)
