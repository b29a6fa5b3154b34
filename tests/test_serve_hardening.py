"""``narcokg serve`` under attack and under load: real servers on 127.0.0.1, nothing mocked.

Each test starts the real command (``python -m kg.cli serve``) as a process on a free port over a
copy of the bundled corpus's store, and talks HTTP to it. What is checked (issue #14):

* SERVICE to a local HTTP server is refused (403, one line) and the server is never called,
  unless the operator allows that endpoint with ``--allow-service``; also in updates, and LOAD;
* a sort over a three-way cross product (150 MB/s on this store) under ``--memory-limit 300``
  gets 503 saying so, and the next query answers right, from the same serve process;
* a query Oxigraph's own timeout does not stop (it spins at 100 % CPU in constant memory) gets
  503 shortly after ``--timeout``, and the spinning child is replaced;
* ``--max-queries 1``: a second query while one runs gets 503 with ``Retry-After`` at once;
* SIGKILL of the serve leaves no Oxigraph child running; the next serve removes the snapshot
  folder it left; after SIGKILL of a ``--writable`` serve the store is free for ``narcokg build``;
* bad option values and a busy port are one line, exit 2, and leave no snapshot folder;
* a request whose Host header names another server is refused (DNS rebinding), as is a request
  from another web origin; the query page, the Graph Store dump and Graph Store writes (streamed,
  chunked) work through the guard.
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from tests.conftest import narcokg
from tests.recorder import Recorder, recording
from tests.stores_fixtures import free_port

HOLDERS = ".narcokg-serve-*"
# every quad against every quad against every quad, sorted on a string made of the three: the
# sort must hold every row (8,723³ with the bundled corpus), and Oxigraph's --timeout does not
# interrupt it (measured: it grows by about 150 MB/s, 3 GB after 20 s with --timeout 3)
RUNAWAY = (
    "SELECT ?a ?b ?c WHERE { GRAPH ?g1 { ?a ?p1 ?o1 } GRAPH ?g2 { ?b ?p2 ?o2 } "
    "GRAPH ?g3 { ?c ?p3 ?o3 } } ORDER BY (CONCAT(STR(?o1), STR(?o2), STR(?o3)))"
)
# the same product filtered to nothing: constant memory (~37 MB), 100 % CPU, hours of work, and
# also not interrupted by Oxigraph's --timeout
SPINNING = (
    "SELECT ?a WHERE { GRAPH ?g1 { ?a ?p1 ?o1 } GRAPH ?g2 { ?b ?p2 ?o2 } GRAPH ?g3 { ?c ?p3 ?o3 } "
    "FILTER(CONCAT(STR(?o1), STR(?o2), STR(?o3)) = 'no such text') } ORDER BY ?a"
)
# a two-way product counted: slow (about 20 s), but Oxigraph's timeout does stop this one
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g1 { ?a ?p1 ?o1 } GRAPH ?g2 { ?b ?p2 ?o2 } }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


# --- helpers ---------------------------------------------------------------------------------


class Served:
    """A running ``narcokg serve`` process and how to reach it."""

    def __init__(self, store: Path, log: Path, *extra: str) -> None:
        self.port = free_port()
        self.log = log
        command = [sys.executable, "-m", "kg.cli", "serve", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            [*command, "--store", str(store), *extra],
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        printed = []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            printed.append(line)
            if line.startswith("query page: "):
                return
        self.proc.kill()
        self.proc.wait()
        raise AssertionError(f"serve printed {printed}; stderr: {log.read_text()}")

    def request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> tuple[int, dict[str, str], str]:
        """Status, headers (lower-case names) and body text of one request (the Host is ours
        unless given)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            sent = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
            connection.request(method, target, body=body, headers=sent)
            answer = connection.getresponse()
            headers = {name.lower(): value for name, value in answer.getheaders()}
            return answer.status, headers, answer.read().decode("utf-8")
        finally:
            connection.close()

    def query(self, text: str, how: str = "form", timeout: float = 60) -> tuple[int, dict, str]:
        accept = {"Accept": "application/sparql-results+json"}
        if how == "get":
            target = "/query?" + urllib.parse.urlencode({"query": text})
            return self.request("GET", target, headers=accept, timeout=timeout)
        if how == "body":
            headers = {**accept, "Content-Type": "application/sparql-query"}
            return self.request("POST", "/query", text.encode(), headers, timeout)
        headers = {**accept, "Content-Type": "application/x-www-form-urlencoded"}
        form = urllib.parse.urlencode({"query": text}).encode()
        return self.request("POST", "/query", form, headers, timeout)

    def update(self, text: str) -> tuple[int, dict, str]:
        headers = {"Content-Type": "application/sparql-update"}
        return self.request("POST", "/update", text.encode(), headers)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=30)


def _children(pid: int) -> list[int]:
    """The pids of the processes whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[1] == str(pid):
                found.append(int(entry.name))
    return found


def _oxigraph_child(pid: int) -> int:
    """The pid of the Oxigraph server started by the serve process ``pid``."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for child in _children(pid):
            try:
                if (Path(f"/proc/{child}/comm").read_text().strip()) == "oxigraph":
                    return child
            except OSError:
                continue
        time.sleep(0.1)
    raise AssertionError(f"no oxigraph child under pid {pid}")


def _running(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while _running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _end(served: Served, child: int) -> None:
    """After a test that kills the serve: make sure neither it nor its child is left running
    (the child is ours to end: the old serve left it behind, and this test started that serve)."""
    if served.proc.poll() is None:
        served.proc.kill()
        served.proc.wait()
    if _running(child):
        os.kill(child, signal.SIGKILL)
        _gone(child, within=10)


def _count(body: str) -> int:
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


@pytest.fixture
def store(built: Path, tmp_path: Path) -> Path:
    """A private copy of the built store (a RocksDB checkpoint): snapshots and locks left by
    these tests stay beside it."""
    copy = tmp_path / "data" / "store"
    copy.parent.mkdir()
    ox.Store.read_only(str(built)).backup(str(copy))
    return copy


@pytest.fixture
def quads(built: Path) -> int:
    return len(ox.Store.read_only(str(built)))


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with recording() as server:
        yield server


def _refusal(endpoint: str) -> str:
    return (
        f"federated query refused: SERVICE <{endpoint}> is not an allowed endpoint "
        "(the operator allows endpoints with --allow-service)\n"
    )


# --- 3. SSRF: federated queries ------------------------------------------------------------------


@pytest.mark.slow
def test_service_is_refused_unless_the_operator_allows_it(
    store: Path, tmp_path: Path, recorder: Recorder
) -> None:
    endpoint = f"http://127.0.0.1:{recorder.server_address[1]}/sparql"
    query = f"SELECT ?x WHERE {{ SERVICE <{endpoint}> {{ ?x ?y ?z }} }}"
    escaped = endpoint.replace("sparql", "spar\\u0071l")  # Oxigraph reads \u0071 as q
    hidden = [
        f"select ?x where {{ ?s ?p ?o . service silent <{endpoint}> {{ ?x ?y ?z }} }}",
        f"SELECT * {{ ?s ?p 1.SERVICE<{endpoint}>{{ ?x ?y ?z }} }}",
        f"PREFIX e: <{endpoint.rsplit('/', 1)[0]}/> SELECT * {{ SERVICEe:sparql {{ ?x ?y ?z }} }}",
        f"SELECT * {{ ?s ?p ?o # comment\n SERVICE #\n <{endpoint}> {{ ?x ?y ?z }} }}",
        f"SELECT * {{ ?s ?p ?a FILTER(?a<'>')SERVICE <{endpoint}> {{ ?x ?y ?z }} ?s ?p 'x' }}",
        f"SELECT * {{ SERVICE <{escaped}> {{ ?x ?y ?z }} }}",
    ]
    served = Served(store, tmp_path / "serve.log")
    try:
        for how in ("get", "form", "body"):
            status, headers, body = served.query(query, how)
            assert (status, body) == (403, _refusal(endpoint)), how
            assert headers["content-type"].startswith("text/plain")
        for text in hidden:
            status, _, body = served.query(text)
            assert status == 403 and body.startswith("federated query refused: SERVICE"), text
        status, _, body = served.query("SELECT * { SERVICE ?where { ?x ?y ?z } }")
        assert status == 403 and "variable" in body
        # the word in a string, a comment or an IRI is no federation
        fine = "SELECT ?s WHERE { ?s ?p 'SERVICE <http://x/> {}' } # SERVICE <http://x/>"
        assert served.query(fine)[0] == 200
        assert served.query(COUNT)[0] == 200
    finally:
        assert served.stop() == 0
    assert recorder.calls == []  # never called

    allowing = Served(store, tmp_path / "serve2.log", "--allow-service", endpoint)
    try:
        status, _, body = allowing.query(query)
        assert status == 200, body
        assert json.loads(body)["results"]["bindings"] == [
            {"x": {"type": "literal", "value": "from the recorder"}}
        ]
        assert recorder.calls  # this endpoint was allowed, and called
        other = endpoint.replace("/sparql", "/other")
        status, _, body = allowing.query(query.replace(endpoint, other))
        assert (status, body) == (403, _refusal(other))
    finally:
        assert allowing.stop() == 0


# --- 4. runaway queries ------------------------------------------------------------------------


@pytest.mark.slow
def test_a_query_past_the_memory_limit_gets_503_and_serving_goes_on(
    store: Path, tmp_path: Path, quads: int
) -> None:
    served = Served(store, tmp_path / "serve.log", "--memory-limit", "300", "--timeout", "3")
    try:
        first = _oxigraph_child(served.proc.pid)
        started = time.monotonic()
        status, _, body = served.query(RUNAWAY, timeout=120)
        took = time.monotonic() - started
        assert (status, body) == (
            503,
            "the query exceeded the server's memory limit of 300 MB; "
            "the operator can raise it with --memory-limit\n",
        )
        assert took < 3 + 5  # stopped by the cap, before the deadline
        assert served.proc.poll() is None  # serve itself lives on
        status, _, body = served.query(COUNT)
        assert status == 200 and _count(body) == quads  # and answers right
        assert _oxigraph_child(served.proc.pid) != first
        assert "memory limit of 300 MB" in served.log.read_text()
    finally:
        assert served.stop() == 0


@pytest.mark.slow
def test_a_query_that_oxigraph_does_not_stop_gets_503_and_a_new_child(
    store: Path, tmp_path: Path, quads: int
) -> None:
    served = Served(store, tmp_path / "serve.log", "--timeout", "1")
    try:
        spinning = _oxigraph_child(served.proc.pid)
        started = time.monotonic()
        status, _, body = served.query(SPINNING, timeout=40)
        took = time.monotonic() - started
        assert (status, body) == (
            503,
            "the query ran past the server's time limit of 1 s and was stopped; "
            "the operator can raise it with --timeout\n",
        )
        assert 1 <= took < 1 + 5 + 3
        assert _gone(spinning, within=5)  # no longer burning a core
        status, _, body = served.query(COUNT)
        assert status == 200 and _count(body) == quads
        assert served.proc.poll() is None
    finally:
        assert served.stop() == 0


@pytest.mark.slow
def test_more_queries_than_max_queries_get_503_with_retry_after(
    store: Path, tmp_path: Path
) -> None:
    served = Served(store, tmp_path / "serve.log", "--max-queries", "1", "--timeout", "3")
    try:
        slow: list[tuple[int, dict, str]] = []
        running = threading.Thread(target=lambda: slow.append(served.query(SLOW)))
        running.start()
        time.sleep(1)  # the slow query holds the one slot
        # refused with 503, not queued: a queued query would get its 200 once the slot frees
        status, headers, body = served.query("ASK {}")
        assert (status, body) == (
            503,
            "too many queries at once: this server runs at most 1 at a time "
            "(--max-queries); retry shortly\n",
        )
        assert headers["retry-after"] == "1"
        running.join(timeout=30)
        assert slow and slow[0][0] == 200  # Oxigraph's own timeout ended that one
        assert served.query("ASK {}")[0] == 200  # the slot is free again
    finally:
        assert served.stop() == 0


# --- 7. SIGKILL --------------------------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_of_serve_leaves_no_child_and_the_next_serve_removes_its_snapshot(
    store: Path, tmp_path: Path
) -> None:
    served = Served(store, tmp_path / "serve.log")
    child = _oxigraph_child(served.proc.pid)
    try:
        (left,) = store.parent.glob(HOLDERS)
        served.proc.send_signal(signal.SIGKILL)
        served.proc.wait()
        assert _gone(child, within=5), "the oxigraph child outlived its serve"
        assert left.is_dir()  # nobody could remove it
    finally:
        _end(served, child)
    again = Served(store, tmp_path / "serve2.log")
    try:
        assert not left.exists()
        assert f"removed {left}: left by a serve (pid {served.proc.pid}) that was killed" in (
            again.log.read_text()
        )
        assert len(list(store.parent.glob(HOLDERS))) == 1  # its own
    finally:
        assert again.stop() == 0
    assert not list(store.parent.glob(HOLDERS))


@pytest.mark.slow
def test_after_sigkill_of_a_writable_serve_the_store_can_be_built(
    store: Path, tmp_path: Path, recorder: Recorder
) -> None:
    served = Served(store, tmp_path / "serve.log", "--writable")
    child = _oxigraph_child(served.proc.pid)
    try:
        endpoint = f"http://127.0.0.1:{recorder.server_address[1]}/data"
        # federation hides in updates too: SERVICE in a WHERE, and LOAD
        status, _, body = served.update(
            f"INSERT {{ <urn:a> <urn:b> ?x }} WHERE {{ SERVICE <{endpoint}> {{ ?x ?y ?z }} }}"
        )
        assert (status, body) == (403, _refusal(endpoint))
        status, _, body = served.update(f"LOAD <{endpoint}> INTO GRAPH <urn:loaded>")
        assert status == 403 and body.startswith(f"update refused: LOAD <{endpoint}>")
        assert recorder.calls == []
        # the Graph Store through the guard: a chunked upload, streamed, then read back
        triples = (f'<urn:s{i}> <urn:p> "row {i}" .\n'.encode() for i in range(5000))
        status, _, body = served.request(
            "PUT",
            "/store?graph=urn%3Aput",
            body=triples,  # type: ignore[arg-type]  # http.client sends an iterable chunked
            headers={"Content-Type": "application/n-triples"},
        )
        assert status in (201, 204), body
        status, _, body = served.request(
            "GET", "/store?graph=urn%3Aput", headers={"Accept": "application/n-triples"}
        )
        assert status == 200 and len(body.splitlines()) == 5000
        served.proc.send_signal(signal.SIGKILL)
        served.proc.wait()
        assert _gone(child, within=5), "the oxigraph child outlived its serve"
    finally:
        _end(served, child)
    build = narcokg("build", "--store", str(store), cwd=tmp_path, check=False)
    assert build.returncode == 0, build.stderr


# --- 8. bad values, busy port: one line, exit 2, nothing left ------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "option",
    [
        ("--timeout", "inf"),
        ("--timeout", "nan"),
        ("--timeout", "-inf"),
        ("--timeout", "0"),
        ("--memory-limit", "lots"),
        ("--memory-limit", "10"),
        ("--max-queries", "0"),
        ("--allow-service", "not an endpoint"),
        ("--port", "70000"),
    ],
)
def test_a_bad_option_value_is_one_line_exit_2_and_leaves_nothing(
    store: Path, option: tuple[str, str]
) -> None:
    args = ["serve", "--store", str(store)]
    if option[0] != "--port":
        args += ["--port", str(free_port())]
    result = narcokg(*args, *option, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert option[0] in result.stderr
    assert not list(store.parent.glob(HOLDERS))


@pytest.mark.slow
def test_a_busy_port_is_one_line_exit_2(store: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = narcokg("serve", "--port", str(port), "--store", str(store), check=False)
    assert result.returncode == 2
    assert result.stderr == (
        f"error: port {port} on 127.0.0.1 is in use; choose another with --port\n"
    )
    assert not list(store.parent.glob(HOLDERS))


# --- Host header (DNS rebinding), Origin, and what passes through -----------------------------


@pytest.mark.slow
def test_other_hosts_and_origins_are_refused_and_the_rest_passes_through(
    store: Path, tmp_path: Path, quads: int
) -> None:
    served = Served(store, tmp_path / "serve.log")
    port = served.port
    ask = "/query?" + urllib.parse.urlencode({"query": "ASK {}"})
    try:
        for host in ("evil.example", f"evil.example:{port}", "127.0.0.1:1", f"127.0.0.2:{port}"):
            status, _, body = served.request("GET", ask, headers={"Host": host})
            assert status == 421, host
            assert body.count("\n") == 1 and "does not name this server" in body
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
            assert served.request("GET", ask, headers={"Host": host})[0] == 200, host
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        data = urllib.parse.urlencode({"query": "ASK {}"}).encode()
        status, _, body = served.request(
            "POST", "/query", data, {**form, "Origin": "http://evil.example"}
        )
        assert status == 403 and "cross-origin" in body
        own = {**form, "Origin": f"http://localhost:{port}"}
        assert served.request("POST", "/query", data, own)[0] == 200
        # the query page and the whole store, streamed through
        status, headers, _ = served.request("GET", "/")
        assert status == 200 and headers["content-type"].startswith("text/html")
        status, _, dump = served.request("GET", "/store", headers={"Accept": "application/n-quads"})
        assert status == 200 and len(dump.splitlines()) == quads
        # read-only: Oxigraph's own refusal still comes through
        status, _, body = served.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
        assert status == 403
    finally:
        assert served.stop() == 0


@pytest.mark.slow
def test_a_malformed_content_length_gets_a_one_line_400(store: Path, tmp_path: Path) -> None:
    """The proxy parses the request head itself now, so it must answer what Oxigraph answered."""
    served = Served(store, tmp_path / "serve.log")
    try:
        for value in (b"abc", b"-5", b"5, 6", b"1e3"):
            with socket.create_connection(("127.0.0.1", served.port), timeout=10) as s:
                s.sendall(
                    b"POST /query HTTP/1.1\r\nHost: 127.0.0.1:" + str(served.port).encode()
                    + b"\r\nContent-Type: application/sparql-query\r\nContent-Length: " + value
                    + b"\r\n\r\nASK {}"
                )  # fmt: skip
                answer = b""
                while chunk := s.recv(4096):
                    answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400 "), (value, answer)
            assert body.count(b"\n") <= 1 and body.strip(), (value, body)
        assert served.query("ASK {}")[0] == 200  # and it goes on answering
    finally:
        assert served.stop() == 0
