"""Real triple stores for the tests: an Oxigraph server and a Virtuoso, on free loopback ports.

Each server runs from a temporary database folder, is waited for until it answers a query, and
is stopped by its pid (SIGTERM, then SIGKILL). ``kill()`` + ``start()`` restart it on the same
data, which the kill-and-retry tests use. Imported by tests/test_stores.py (fixtures live here
rather than in conftest.py so that this file is the only one that knows about the servers).

Virtuoso: ``virtuoso-t`` from Debian's ``virtuoso-opensource`` (.ci/run installs it). Without
it the Virtuoso tests are skipped on a developer machine and fail under CI (``CI`` set), so a
missing install step cannot turn into a green run.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib

from kg.store.remote import Endpoint

LOOPBACK = "127.0.0.1"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def _answers_query(url: str) -> bool:
    data = urllib.parse.urlencode({"query": "ASK { }"}).encode()
    request = urllib.request.Request(url, data=data, headers={"Accept": "application/json"})
    try:
        with _NO_PROXY.open(request, timeout=2) as response:
            return int(response.status) == 200
    except (OSError, urllib.error.URLError):
        return False


class Server:
    """A server process started from a command, stopped by pid."""

    name = "server"
    password: str | None = None
    #: xsd:decimal digits the store keeps after the point (None: all of them)
    decimal_places: int | None = None

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / "server.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    @property
    def endpoint(self) -> Endpoint:
        raise NotImplementedError

    def load_args(self) -> list[str]:
        """The ``narcokg load`` options that point at this server."""
        raise NotImplementedError

    def before_start(self) -> None:
        """Hook run before each start."""

    def after_first_start(self) -> None:
        """Hook run once, when the server answers for the first time."""

    def start(self, timeout: float = 90.0) -> None:
        first = self.proc is None
        self.before_start()
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.command(),
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not _answers_query(self.endpoint.query):
            if self.proc.poll() is not None:
                tail = self.log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{tail}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"{self.name} did not answer within {timeout} s")
            time.sleep(0.2)
        if first:
            self.after_first_start()

    def kill(self) -> None:
        """SIGKILL, as a crash would: no shutdown, no checkpoint."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


class OxigraphServer(Server):
    """``oxigraph serve`` (read-write) over a temporary database folder."""

    name = "oxigraph"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.port = free_port()
        self.base = f"http://{LOOPBACK}:{self.port}"

    def command(self) -> list[str]:
        binary = Path(sys.executable).parent / "oxigraph"
        exe = str(binary) if binary.is_file() else (shutil.which("oxigraph") or "oxigraph")
        location = self.workdir / "db"
        return [exe, "serve", "--location", str(location), "--bind", f"{LOOPBACK}:{self.port}"]

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint.from_options(
            f"{self.base}/query", update=f"{self.base}/update", graph_store=f"{self.base}/store"
        )

    def load_args(self) -> list[str]:
        e = self.endpoint
        return ["--endpoint", e.query, "--update", e.update, "--graph-store", e.graph_store]


VIRTUOSO_INI = """\
[Database]
DatabaseFile       = {d}/virtuoso.db
ErrorLogFile       = {d}/virtuoso.log
LockFile           = {d}/virtuoso.lck
TransactionFile    = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
TempStorage        = TempDatabase
[TempDatabase]
DatabaseFile       = {d}/virtuoso-temp.db
TransactionFile    = {d}/virtuoso-temp.trx
[Parameters]
ServerPort         = {host}:{sql_port}
DisableUnixSocket  = 1
CheckpointInterval = 60
DirsAllowed        = ., {d}
NumberOfBuffers    = 10000
MaxDirtyBuffers    = 6000
CaseMode           = 2
[HTTPServer]
ServerPort         = {host}:{http_port}
ServerRoot         = {d}/vsp
ServerThreads      = 10
MaxClientConnections = 10
Charset            = UTF-8
EnabledGzipContent = 0
[SPARQL]
ResultSetMaxRows   = 1000000
MaxQueryExecutionTime = 300
[Plugins]
"""


class VirtuosoServer(Server):
    """``virtuoso-t -f`` with its own ini, database and ports; dba's password set on first start.

    Layout (Virtuoso 7): SPARQL query at /sparql (anonymous, read-only), SPARQL update at
    /sparql-auth and the Graph Store at /sparql-graph-crud-auth, both with HTTP Digest auth.
    """

    name = "virtuoso"
    user = "dba"
    # Virtuoso rounds xsd:decimal to 15 places after the point on input ("0.0666666666666667"
    # is stored as "0.066666666666667"): openlink/virtuoso-opensource issue 114, open since 2013.
    decimal_places = 15

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.sql_port = free_port()
        self.http_port = free_port()
        self.base = f"http://{LOOPBACK}:{self.http_port}"
        self.password = "nk-" + secrets.token_hex(8)  # unique, so a test can grep output for it
        (workdir / "vsp").mkdir(exist_ok=True)
        ini = VIRTUOSO_INI.format(
            d=workdir, host=LOOPBACK, sql_port=self.sql_port, http_port=self.http_port
        )
        (workdir / "virtuoso.ini").write_text(ini, encoding="utf-8")

    def command(self) -> list[str]:
        return ["virtuoso-t", "-f", "-c", str(self.workdir / "virtuoso.ini")]

    def before_start(self) -> None:
        # after a SIGKILL the lock file stays behind; the process holding it is gone (reaped)
        (self.workdir / "virtuoso.lck").unlink(missing_ok=True)

    def after_first_start(self) -> None:
        subprocess.run(
            [
                "isql-vt",
                f"{LOOPBACK}:{self.sql_port}",
                "dba",
                "dba",
                f"exec=user_set_password('dba', '{self.password}');",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint.from_options(
            f"{self.base}/sparql",
            update=f"{self.base}/sparql-auth",
            graph_store=f"{self.base}/sparql-graph-crud-auth",
            user=self.user,
            password=self.password,
        )

    def load_args(self) -> list[str]:
        e = self.endpoint
        return [
            "--endpoint",
            e.query,
            "--update",
            e.update,
            "--graph-store",
            e.graph_store,
            "--user",
            self.user,
        ]


def _run_server(server: Server) -> Iterator[Server]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real Oxigraph server, read-write, on a free loopback port."""
    yield from _run_server(OxigraphServer(tmp_path_factory.mktemp("oxigraph")))


@pytest.fixture(scope="session")
def virtuoso_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real Virtuoso Open Source on free loopback ports, with a fresh database."""
    if shutil.which("virtuoso-t") is None or shutil.which("isql-vt") is None:
        message = "virtuoso-t not installed (apt-get install virtuoso-opensource)"
        if os.environ.get("CI"):
            pytest.fail(message + "; .ci/run should have installed it")
        pytest.skip(message)
    yield from _run_server(VirtuosoServer(tmp_path_factory.mktemp("virtuoso")))


@pytest.fixture(scope="session", params=["oxigraph", "virtuoso"])
def server(request: pytest.FixtureRequest) -> Server:
    """Each real store in turn."""
    fixture: Server = request.getfixturevalue(f"{request.param}_server")
    return fixture


def remote_graph(endpoint: Endpoint, graph: str) -> rdflib.Graph:
    """The triples of one remote named graph, as rdflib, rebuilt from a SELECT.

    A SELECT with ``STR``/``DATATYPE``/``LANG`` of each object, rather than a CONSTRUCT:
    Virtuoso prints doubles with 6 digits in its Turtle output though it stores them whole, and
    this helper must show what the store holds, not how one serialiser prints it.
    """
    query = (
        "SELECT ?s ?p ?o (STR(?o) AS ?lex) (DATATYPE(?o) AS ?dt) (LANG(?o) AS ?lang) "
        f"WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    )
    request = urllib.request.Request(
        endpoint.query,
        data=urllib.parse.urlencode({"query": query}).encode(),
        headers={"Accept": "application/sparql-results+json"},
    )
    with _NO_PROXY.open(request, timeout=120) as response:
        bindings = json.loads(response.read().decode("utf-8"))["results"]["bindings"]

    def node(b: dict[str, str]) -> rdflib.term.Node:
        if b["type"] == "uri":
            return rdflib.URIRef(b["value"])
        return rdflib.BNode(b["value"])

    g = rdflib.Graph()
    for row in bindings:
        o = row["o"]
        if o["type"] in ("uri", "bnode"):
            obj: rdflib.term.Node = node(o)
        elif row.get("lang", {}).get("value"):
            obj = rdflib.Literal(row["lex"]["value"], lang=row["lang"]["value"])
        else:
            dt = row.get("dt", {}).get("value")
            if dt == XSD_STRING:  # RDF 1.1: a simple literal is an xsd:string; rdflib differs
                dt = None
            obj = rdflib.Literal(row["lex"]["value"], datatype=rdflib.URIRef(dt) if dt else None)
        g.add((node(row["s"]), rdflib.URIRef(row["p"]["value"]), obj))
    return g


def remote_graph_names(endpoint: Endpoint, prefix: str) -> set[str]:
    """Named graphs on the remote store whose IRI starts with ``prefix``."""
    from kg.store.remote import select, sparql_string

    table = select(
        endpoint,
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        f"FILTER(STRSTARTS(STR(?g), {sparql_string(prefix)})) }}",
    )
    return {row[0] for row in table.rows}
