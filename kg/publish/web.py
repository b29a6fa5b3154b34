"""``narcokg web``: dereferenceable IRIs, HTML pages, content negotiation, a SPARQL form.

Why: linked data means an IRI of the graph answers with what the graph says about it. This
Starlette application, served by uvicorn, serves every ``https://w3id.org/narcotics-kg/id/...``
IRI under its own host as ``/id/...``: HTML for a browser (Jinja2 templates, ``pages.py``),
Turtle, JSON-LD (compacted with the dumps' context), N-Triples or RDF/XML by the ``Accept``
header (RFC 9110 §12.5.1) or ``?format=``. Named graphs are served as ``/graph/...``, the dumps
as ``/download/...``, the VoID/DCAT description at ``/.well-known/void`` (RFC 8615; VoID §7.2)
with this server's SPARQL endpoint in place of the deployment's, the ontology (and so every
``nko:`` term) at ``/ontology``: its HTML documentation or the TBox in RDF by negotiation,
and the charts of ``narcokg report`` at ``/report`` when a ``report.html`` lies beside the dumps.

It binds 127.0.0.1 only and answers only requests whose ``Host`` names that address (DNS
rebinding: a page of another site that resolves its own name to 127.0.0.1 gets a 400). Every
request is answered from one consistent view of the store and its dumps
(:mod:`kg.publish.webview`), renewed after a rebuild. ``/download`` serves only the files the
dataset description lists.

``/sparql`` answers SELECT, ASK, CONSTRUCT and DESCRIBE in the format the client negotiates
(``Accept`` with q-values, or ``?format=``): SPARQL results as JSON, XML, CSV, TSV or an HTML
table; graphs as Turtle, N-Triples, JSON-LD (compacted like the rest of the site) or RDF/XML.
The default graph is the union of the named graphs (the data has no triple outside them), unless
the query names its own dataset with ``FROM``. An update is refused as one (the store is read-only
anyway), a syntax error says its line and column. Queries run in a child process that is killed
after a timeout and refused memory past a cap, at most ``max_queries`` at once, so one runaway
query cannot hold the server; federated queries (``SERVICE``) are refused unless the operator
allows the endpoint, since the server would otherwise call any address for whoever sends the
query. uvicorn parses HTTP
(h11) and enforces the limits below; a request it cannot parse gets a 400, a body over
``MAX_BODY_BYTES`` a 413, a method a path does not take a 405
(docs/decisions/20261128-web-starlette-jinja2.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import math
import multiprocessing as mp
import re
import signal
import socket
import sys
import threading
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from kg.errors import InputError
from kg.namespaces import PREFIXES
from kg.publish import pages, whole
from kg.publish.describe import (
    CONTEXT_FILE,
    DATASET,
    DOWNLOAD_BASE,
)
from kg.publish.webview import ServedView, Views
from kg.publish.whole import jsonld_context
from kg.queries.federation import FederationRefused, refuse_federation
from kg.resources import ontology_dir
from kg.store.proxy import names_dataset
from kg.store.serve import clean_stale_snapshots

BASE = "https://w3id.org/narcotics-kg/"
RDF_TYPES = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdfxml": "application/rdf+xml",
}
FORMAT_ALIASES = {
    "ttl": "ttl",
    "turtle": "ttl",
    "jsonld": "jsonld",
    "json-ld": "jsonld",
    "json": "jsonld",
    "nt": "nt",
    "ntriples": "nt",
    "n-triples": "nt",
    "rdfxml": "rdfxml",
    "rdf-xml": "rdfxml",
    "rdf": "rdfxml",
    "html": "html",
}
# (media type, kind) in the server's order of preference: a wildcard gets the first it covers
MEDIA = (
    ("text/html", "html"),
    ("application/xhtml+xml", "html"),
    ("text/turtle", "ttl"),
    ("application/x-turtle", "ttl"),
    ("application/ld+json", "jsonld"),
    ("application/n-triples", "nt"),
    ("application/rdf+xml", "rdfxml"),  # for clients that read no other RDF syntax
    ("text/plain", "nt"),
)
AVAILABLE = (
    "available: text/html, text/turtle, application/ld+json, application/n-triples, "
    "application/rdf+xml"
)
# /sparql: what SELECT and ASK answer in, and what CONSTRUCT and DESCRIBE answer in
RESULT_MEDIA = (
    ("application/sparql-results+json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
    ("text/html", "html"),
    ("application/json", "json"),
    ("application/xml", "xml"),
    ("application/xhtml+xml", "html"),
)
GRAPH_MEDIA = (
    ("text/turtle", "ttl"),
    ("application/n-triples", "nt"),
    ("application/ld+json", "jsonld"),
    ("application/rdf+xml", "rdfxml"),
    ("text/html", "html"),
    ("application/x-turtle", "ttl"),
    ("text/plain", "nt"),
    ("application/xml", "rdfxml"),
    ("application/xhtml+xml", "html"),
)
RESULT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}
GRAPH_TYPES = {
    "ttl": "text/turtle; charset=utf-8",
    "nt": "application/n-triples; charset=utf-8",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
# ?format= on /sparql: a short name or one of the media types above
RESULT_FORMATS = {"json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv"}
RESULT_FORMATS |= {"tsv": "tsv", "html": "html"}
GRAPH_FORMATS = {"ttl": "ttl", "turtle": "ttl", "nt": "nt", "ntriples": "nt", "n-triples": "nt"}
GRAPH_FORMATS |= {"jsonld": "jsonld", "json-ld": "jsonld", "json": "jsonld", "html": "html"}
GRAPH_FORMATS |= {"rdfxml": "rdfxml", "rdf-xml": "rdfxml", "rdf": "rdfxml", "xml": "rdfxml"}
QUERY_FAMILY = {"SELECT": "results", "ASK": "results", "CONSTRUCT": "graph", "DESCRIBE": "graph"}
UPDATE_FORMS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)
READ_ONLY = (
    "updates are not accepted: this endpoint is read-only "
    "(it answers SELECT, ASK, CONSTRUCT and DESCRIBE queries)"
)
REPORT_FILE = "report.html"  # `narcokg report`'s default name, served at /report
DOWNLOAD_TYPES = {
    "trig": "application/trig",
    "nq": "application/n-quads",
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
}
ROW_LIMIT = pages.ROW_LIMIT  # rows of an HTML results table (the other formats give every row)
# the prologue of a query or update: space, comments, PREFIX and BASE declarations
_PROLOGUE = re.compile(
    r"\s+|#[^\r\n]*|PREFIX\s+[^\s:]*:\s*<[^<>\s]*>|BASE\s*<[^<>\s]*>", re.IGNORECASE
)
_FORM = re.compile(r"[A-Za-z]+")
_POSITION = re.compile(r"error at (\d+):(\d+):\s*(.*)", re.DOTALL)
_MESSAGE_CHARS = 400
# a token of the parser's "expected one of" list: a quoted token, a character class, a word
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\[(?:\'(?:[^\'\\]|\\.)*\'|[^\]\'])*\]|[^,]+')

# The server's limits (docs/decisions/20261128-web-starlette-jinja2.md). To change one, edit it
# here or pass it to serve(); to run under another ASGI server, give it create_app(...).
KEEP_ALIVE_SECONDS = 5  # an idle keep-alive connection is closed after this
MAX_CONNECTIONS = 32  # open connections (or requests in progress) at once; beyond: 503
MAX_HEADER_BYTES = 64 * 1024  # request line + headers (h11); beyond: 400
MAX_BODY_BYTES = 1_000_000  # a POST /sparql body; beyond: 413
MAX_QUERIES = 4  # SPARQL query processes at once; beyond: 503 with Retry-After
QUERY_MEMORY_MB = 1024  # the memory a query process may allocate (RLIMIT_DATA); 0: no cap
REFRESH_SECONDS = 2.0  # how often the server looks for a rebuild of the store or dumps
LOCAL_HOSTS = ("127.0.0.1", "localhost")  # the Host names a request may give (any port)


def _accept_ranges(accept: str) -> list[tuple[str, str, float, int]]:
    """The media ranges of an Accept header: (type, subtype, q, position), lower-case."""
    ranges = []
    for order, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        media = "*/*" if media == "*" else media.lower()  # "*" alone: sent by some clients
        kind, slash, sub = media.partition("/")
        if not slash or not kind or not sub:
            continue
        q = 1.0
        for p in params:
            key, _, val = p.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(val)
                except ValueError:
                    q = 0.0
        ranges.append((kind, sub, min(q, 1.0) if math.isfinite(q) else 0.0, order))
    return ranges


def choose(accept: str | None, offered: Sequence[tuple[str, str]]) -> str | None:
    """The kind of the offered media type that ``accept`` prefers; None when it takes none.

    RFC 9110 §12.5.1: each offered type gets the q of the most specific range that matches it
    (``text/csv`` before ``text/*`` before ``*/*``), so ``text/html;q=0, */*`` refuses HTML and
    takes anything else; a q of 0 refuses. Between equal q the type named more specifically
    wins, then the one the client lists first, then the server's order (``offered``), which is
    also what no Accept header at all gets.
    """
    if not accept or not accept.strip():
        return offered[0][1] if offered else None
    ranges = _accept_ranges(accept)
    best: tuple[tuple[float, int, int, int], str] | None = None
    for index, (media, kind) in enumerate(offered):
        main, _, sub = media.partition("/")
        match: tuple[int, float, int] | None = None  # (specificity, q, position)
        for r_main, r_sub, q, order in ranges:
            if (r_main, r_sub) == (main, sub):
                specificity = 2
            elif r_main == main and r_sub == "*":
                specificity = 1
            elif (r_main, r_sub) == ("*", "*"):
                specificity = 0
            else:
                continue
            if match is None or specificity > match[0]:
                match = (specificity, q, order)
        if match is None or match[1] <= 0:
            continue
        rank = (match[1], match[0], -match[2], -index)
        if best is None or rank > best[0]:
            best = (rank, kind)
    return best[1] if best else None


def negotiate(accept: str | None, fmt: str | None) -> str | None:
    """``html``/``ttl``/``jsonld``/``nt`` from ``?format=`` or the Accept header; None = 406."""
    if fmt:
        return FORMAT_ALIASES.get(fmt.lower())
    return choose(accept, MEDIA)


def query_form(query: str) -> str:
    """The first keyword after the prologue, upper-case: the query's form (SELECT, ASK,
    CONSTRUCT, DESCRIBE) or an update's first operation (INSERT, DROP...); '' if none."""
    at = 0
    while (found := _PROLOGUE.match(query, at)) is not None and found.end() > at:
        at = found.end()
    word = _FORM.match(query, at)
    return word.group().upper() if word else ""


@dataclass(frozen=True)
class Wanted:
    """What a /sparql request accepts: a kind of ``RESULT_MEDIA`` for SELECT and ASK, one of
    ``GRAPH_MEDIA`` for CONSTRUCT and DESCRIBE; None where nothing is acceptable (406)."""

    results: str | None
    graph: str | None

    @classmethod
    def of(cls, accept: str | None, fmt: str | None) -> Wanted:
        """From ``?format=`` (a short name or a media type) if given, else the Accept header."""
        if fmt:
            name = fmt.strip().lower()
            return cls(
                RESULT_FORMATS.get(name) or dict(RESULT_MEDIA).get(name),
                GRAPH_FORMATS.get(name) or dict(GRAPH_MEDIA).get(name),
            )
        return cls(choose(accept, RESULT_MEDIA), choose(accept, GRAPH_MEDIA))

    def html(self, form: str) -> bool:
        """Whether errors about a query of ``form`` are best shown on the query page."""
        family = QUERY_FAMILY.get(form)
        if family is not None:
            return (self.results if family == "results" else self.graph) == "html"
        return "html" in (self.results, self.graph)


def unacceptable(family: str | None) -> str:
    """The 406 message: what a query of ``family`` ("results", "graph"; None: either) is
    available as, by media type and by ``?format=`` name."""
    lines = []
    if family in ("results", None):
        lines.append(
            "SELECT and ASK results are available as application/sparql-results+json, "
            "application/sparql-results+xml, text/csv, text/tab-separated-values or text/html "
            "(?format=json, xml, csv, tsv or html)"
        )
    if family in ("graph", None):
        lines.append(
            "CONSTRUCT and DESCRIBE results are available as text/turtle, "
            "application/n-triples, application/ld+json, application/rdf+xml or text/html "
            "(?format=ttl, nt, jsonld, rdfxml or html)"
        )
    return "none of the formats asked for; " + "; ".join(lines)


def _expected(text: str) -> str:
    """The parser's "expected one of …" in words: its quoted tokens and keywords as they are,
    its character classes (printed as Rust ranges, hundreds of characters long) as "a digit",
    "a letter" or "more text"."""
    found = re.match(r"expected (?:one of )?(.*)", text)
    if found is None:
        return text
    words: list[str] = []
    for token in _TOKEN.findall(found.group(1)):
        token = token.strip()
        if token.startswith("["):
            if "'0'" in token:
                token = "a digit"
            elif "'A'" in token or "'a'" in token:
                token = "a letter"
            elif token == "[_]":  # any character: the text ended too early
                token = "more text"
            else:
                continue
        if token and token not in words:
            words.append(token)
    if not words:
        return text
    return "expected " + (words[0] if len(words) == 1 else "one of " + ", ".join(words))


def syntax_message(error: str, query: str | None = None) -> str:
    """pyoxigraph's parse error (``error at 3:47: expected …``, line and column counted from 1,
    the column in characters of the text as sent) as ``syntax error at line 3, column 47:
    expected …``, one line, with what stands there in ``query`` when it is given."""
    text = " ".join(error.split())
    found = _POSITION.match(text)
    if found is None:
        message = f"syntax error: {text}"
    else:
        line, column, rest = found.groups()
        message = f"syntax error at line {line}, column {column}: {_expected(rest)}"
        if query is not None:
            lines = query.split("\n")
            number, at = int(line), int(column)
            there = lines[number - 1][at - 1 :].strip() if number <= len(lines) else ""
            if not there and number >= len(lines) and at > len(lines[-1]):
                shown = "the end of the query"
            else:
                shown = f"“{there[:20]}”" if there else "nothing more on that line"
            message = f"{message}; found {shown}"
    if len(message) > _MESSAGE_CHARS:
        message = message[: _MESSAGE_CHARS - 1].rstrip() + "…"
    return message


def error_position(query: str, message: str) -> tuple[str, int] | None:
    """(the line, the column) a syntax error message points at, to show it under the form."""
    found = re.match(r"syntax error at line (\d+), column (\d+)", message)
    if found is None:
        return None
    lines = query.split("\n")
    number, column = int(found.group(1)), int(found.group(2))
    if not 1 <= number <= len(lines):
        return None
    return lines[number - 1].rstrip("\r"), column


def _cell(term: object) -> tuple[str, str]:
    """A result cell for the HTML table: (kind, text), kind ``iri`` (the page links it),
    ``blank`` (``_:b``), ``literal`` (its text), ``triple`` or ``""`` (unbound)."""
    if isinstance(term, ox.NamedNode):
        return "iri", term.value
    if isinstance(term, ox.BlankNode):
        return "blank", f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return "literal", term.value
    return ("", "") if term is None else ("triple", str(term))


_RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def _answer(result: object, results: str | None, graph: str | None) -> tuple[str, str, Any]:
    """What the query process sends back for ``result`` in the kinds asked for."""
    if isinstance(result, (ox.QueryBoolean, ox.QuerySolutions)):
        if results is None:
            return "unacceptable", "results", ""
        if results != "html":
            body = result.serialize(format=_RESULT_FORMATS[results])
            return "ok", RESULT_TYPES[results], body
        if isinstance(result, ox.QueryBoolean):
            return "ok", "html", json.dumps({"boolean": bool(result)})
        names = [v.value for v in result.variables]
        rows, more = [], False
        for i, row in enumerate(result):
            if i >= ROW_LIMIT:
                more = True
                break
            rows.append([_cell(row[n]) for n in names])
        return "ok", "html", json.dumps({"head": names, "rows": rows, "more": more})
    if graph is None:
        return "unacceptable", "graph", ""
    triples = list(result)  # type: ignore[call-overload]
    if graph == "html":
        text = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b""
        return "ok", "html", json.dumps({"triples": text.decode("utf-8")})
    if graph == "rdfxml":
        body = ox.serialize(triples, format=ox.RdfFormat.RDF_XML, prefixes=PREFIXES) or b""
    else:
        body = Site.serialize(triples, graph)
    return "ok", GRAPH_TYPES[graph], body


def _run_query(
    store_dir: str,
    query: str,
    wanted: tuple[str | None, str | None],
    union: bool,
    conn: Any,
    memory_mb: int = 0,
) -> None:
    """Child process: run ``query`` on a read-only store; send (status, type, body) back.

    ``wanted`` is the kind of answer for solutions and for graphs (:class:`Wanted`); ``union``
    makes the default graph the union of the named graphs. With ``memory_mb`` the process may
    allocate that much and no more (``RLIMIT_DATA``: the heap and private mappings, not the
    store's memory-mapped files); past it the allocation fails, Oxigraph aborts, and the parent
    answers 503 for this query alone.
    """
    import os
    import resource

    if memory_mb:
        cap = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    # the abort message and backtrace of a query out of memory are the parent's to summarise
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        store = ox.Store.read_only(store_dir)
        try:
            result = store.query(query, use_default_graph_as_union=union)
        except SyntaxError as exc:  # the parser's, with its position in the text as sent
            conn.send(("syntax", "text/plain", syntax_message(str(exc), query)))
            return
        conn.send(_answer(result, *wanted))
    except MemoryError:
        conn.send(("memory", "text/plain", ""))
    except Exception as exc:  # the child reports any failure as text, never a traceback page
        conn.send(("error", "text/plain", " ".join(str(exc).split())[:500]))
    finally:
        conn.close()


class Site:
    """What the application serves: the current view of the store and dumps, and the limits."""

    def __init__(
        self,
        store_dir: Path,
        dump_dir: Path,
        *,
        timeout: float = 10.0,
        max_queries: int = MAX_QUERIES,
        query_memory_mb: int = QUERY_MEMORY_MB,
        allowed_services: Collection[str] = (),
    ) -> None:
        if not store_dir.is_dir():
            raise InputError(store_dir, "no store here; run `narcokg build` first or pass --store")
        if not (math.isfinite(timeout) and timeout > 0):
            raise InputError(None, f"timeout {timeout!r}: expected a finite number of seconds")
        if max_queries < 1 or query_memory_mb < 0:
            raise InputError(None, "max_queries must be at least 1, query_memory_mb 0 or more")
        self.store_dir = store_dir
        self.dump_dir = dump_dir
        self.timeout = timeout
        self.query_memory_mb = query_memory_mb
        self.max_queries = max_queries
        self.allowed_services = tuple(allowed_services)
        self._slots = threading.BoundedSemaphore(max_queries)
        # a retired view lingers until every query that could use it has been killed
        self.views = Views(store_dir, dump_dir, linger=timeout + 30)
        # http://127.0.0.1:PORT, set by serve(); when empty, each request's own base URL
        self.base_url = ""

    @property
    def current(self) -> ServedView:
        """The view a request uses from start to end (read once per request)."""
        return self.views.current

    # --- RDF -------------------------------------------------------------------------------
    @staticmethod
    def describe(view: ServedView, iri: str) -> list[ox.Triple]:
        """What the store and the description say about ``iri`` (out- and inbound triples)."""
        node = ox.NamedNode(iri)
        seen: dict[str, ox.Triple] = {}
        for q in view.store.quads_for_pattern(node, None, None, None):
            seen.setdefault(str(q.triple), q.triple)
        for q in view.store.quads_for_pattern(None, None, node, None):
            seen.setdefault(str(q.triple), q.triple)
        for t in view.description:
            if t.subject == node or t.object == node:
                seen.setdefault(str(t), t)
        return list(seen.values())

    @staticmethod
    def graph_triples(view: ServedView, graph_iri: str) -> list[ox.Triple]:
        """Every triple of one named graph."""
        node = ox.NamedNode(graph_iri)
        return [q.triple for q in view.store.quads_for_pattern(None, None, None, node)]

    @staticmethod
    def description_triples(view: ServedView, base_url: str) -> list[ox.Triple]:
        """The VoID/DCAT description, with the SPARQL endpoint at ``base_url``/sparql.

        The endpoint ``void.ttl`` names (the deployment's, ``NARCOKG_BASE_URL`` at build time)
        gives way to this server's own: a description names the endpoint that serves it.
        """
        void = "http://rdfs.org/ns/void#"
        endpoint = ox.NamedNode(f"{void}sparqlEndpoint")
        description = view.description
        extra = []
        if base_url:
            description = [t for t in description if t.predicate != endpoint]
            for t in description:
                if t.predicate.value == f"{void}subset" or t.subject == ox.NamedNode(DATASET):
                    extra.append(ox.Triple(t.subject, endpoint, ox.NamedNode(base_url + "/sparql")))
        return list({str(t): t for t in [*description, *extra]}.values())

    @staticmethod
    def serialize(triples: list[ox.Triple], kind: str) -> bytes:
        """Triples as Turtle, N-Triples, RDF/XML, or JSON-LD compacted with the dumps' context."""
        if kind == "ttl":
            return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b""
        if kind == "rdfxml":
            return ox.serialize(triples, format=ox.RdfFormat.RDF_XML, prefixes=PREFIXES) or b""
        nt = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
        if kind == "nt":
            return nt
        from rdflib import Graph

        g = Graph()
        g.parse(data=nt.decode("utf-8"), format="nt")
        text = g.serialize(format="json-ld", context=jsonld_context()["@context"], indent=1)
        return text.encode("utf-8")

    # --- SPARQL ----------------------------------------------------------------------------
    def sparql(
        self, query: str, kind: str | Wanted, view: ServedView | None = None
    ) -> tuple[int, str, bytes | dict[str, Any]]:
        """(HTTP status, content type, body) for a query; an HTML answer is a dict for the page.

        ``kind`` is what the client accepts (:class:`Wanted`), or ``"html"`` (the page) or
        ``"data"`` (JSON results, Turtle graphs). An update is refused before anything runs:
        the store is opened read-only, so it could not run anyway, but the parser would only
        say it expected a query. Blocks up to ``timeout`` seconds: the application calls it
        in a worker thread.
        """
        if isinstance(kind, str):
            kind = Wanted("html", "html") if kind == "html" else Wanted("json", "ttl")
        form = query_form(query)
        if form in UPDATE_FORMS:
            return 400, "text/plain", READ_ONLY.encode()
        family = QUERY_FAMILY.get(form)
        if (family == "results" and kind.results is None) or (
            family == "graph" and kind.graph is None
        ):
            return 406, "text/plain", unacceptable(family).encode()
        try:
            refuse_federation(query, self.allowed_services)
        except FederationRefused as exc:
            return 403, "text/plain", str(exc).encode("utf-8")
        if not self._slots.acquire(blocking=False):
            busy = f"{self.max_queries} queries are running; try again shortly"
            return 503, "text/plain", busy.encode()
        try:
            return self._run(query, kind, view or self.current)
        finally:
            self._slots.release()

    def _run(self, query: str, kind: Wanted, view: ServedView) -> tuple[int, str, Any]:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe(duplex=False)
        wanted = (kind.results, kind.graph)
        union = not names_dataset(query)  # a query with FROM reads the graphs it names
        proc = ctx.Process(
            target=_run_query,
            args=(str(view.store_path), query, wanted, union, child, self.query_memory_mb),
            daemon=True,
        )
        proc.start()
        child.close()
        out_of_memory = (
            f"the query needed more than the server's {self.query_memory_mb} MB per query "
            "(the operator raises it with --memory-limit)"
        ).encode()
        try:
            if not parent.poll(self.timeout):
                proc.kill()
                proc.join()
                return 503, "text/plain", f"query timed out after {self.timeout:g} s".encode()
            status, ctype, body = parent.recv()
        except EOFError:
            proc.join(timeout=5)
            if proc.exitcode == -signal.SIGABRT and self.query_memory_mb:
                return 503, "text/plain", out_of_memory
            return 500, "text/plain", b"query process ended without an answer"
        finally:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
            parent.close()
        if status == "memory":
            return 503, "text/plain", out_of_memory
        if status == "unacceptable":
            return 406, "text/plain", unacceptable(ctype).encode()
        if status != "ok":  # "syntax", "error"
            return 400, "text/plain", body.encode("utf-8")
        if ctype == "html":
            return 200, "html", json.loads(body)
        return 200, ctype, body if isinstance(body, bytes) else body.encode("utf-8")


# --- responses -------------------------------------------------------------------------------


def _html(status: int, text: str) -> Response:
    return HTMLResponse(text, status, headers={"Vary": "Accept"})


def _text(status: int, text: str | bytes, *, vary: bool = False) -> Response:
    return PlainTextResponse(text, status, headers={"Vary": "Accept"} if vary else None)


def _not_found(what: str) -> Response:
    return _html(404, pages.not_found_page(what))


def _rdf(site: Site, triples: list[ox.Triple], kind: str) -> Response:
    ctype = RDF_TYPES[kind] + ("; charset=utf-8" if kind != "jsonld" else "")
    return Response(
        site.serialize(triples, kind), 200, media_type=ctype, headers={"Vary": "Accept"}
    )


def _site(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


def _first(request: Request, name: str) -> str | None:
    """The first non-empty value of query parameter ``name`` (as ``parse_qs`` would give it)."""
    values = [v for v in request.query_params.getlist(name) if v]
    return values[0] if values else None


Endpoint = Callable[[Request], Awaitable[Response]]


def _guarded(handler: Callable[[Request], Any]) -> Endpoint:
    """An endpoint around ``handler``: a plain function runs in a worker thread (the store
    and the templates block); a ValueError (pyoxigraph refusing a string that is no IRI) is a
    400, any other failure one line on stderr and a 500, never a dead connection."""

    @wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            if inspect.iscoroutinefunction(handler):
                response: Response = await handler(request)
            else:
                response = await run_in_threadpool(handler, request)
            return response
        except HTTPException:
            raise
        except ClientDisconnect:  # gone while sending its body: nobody to answer
            return Response(status_code=400)
        except ValueError as exc:
            return _text(400, f"bad request: {exc}")
        except Exception as exc:
            client = request.client.host if request.client else "-"
            sys.stderr.write(f"{client} error: {' '.join(str(exc).split())[:300]}\n")
            return _text(500, "internal error")

    return endpoint


# --- endpoints -------------------------------------------------------------------------------


@_guarded
def home(request: Request) -> Response:
    """The releases, graphs and vocabularies, and where to go next: the SPARQL form, every
    download of the current view, the report when there is one."""
    site = _site(request)
    view = site.current
    page = pages.index_page(
        view.view,
        downloads=sorted([*view.downloads, *view.assembled]),
        report=(site.dump_dir / REPORT_FILE).is_file(),
    )
    return _html(200, page)


@_guarded
def report(request: Request) -> Response:
    """``report.html`` beside the dumps (``narcokg report``'s charts), that file and no other:
    the path is fixed, nothing of the request names a file."""
    page = _site(request).dump_dir / REPORT_FILE
    if not page.is_file():
        return _not_found("no report here: run narcokg report beside the dumps")
    return FileResponse(page, media_type="text/html")


@_guarded
def resource(request: Request) -> Response:
    """``/id/...`` and ``/graph/...``: HTML or RDF by negotiation; 406, 404 otherwise."""
    site = _site(request)
    view = site.current
    kind = negotiate(request.headers.get("accept"), _first(request, "format"))
    path = request.scope["path"]
    iri = BASE + path[1:]
    if kind is None:
        return _text(406, AVAILABLE, vary=True)
    if path.startswith("/graph/"):
        triples = site.graph_triples(view, iri)
        if not triples:
            return _not_found(f"no graph {iri}")
        if kind == "html":
            return _html(200, pages.entity_page(view.view, iri))
        return _rdf(site, triples, kind)
    triples = site.describe(view, iri)
    if not triples:
        return _not_found(f"the graph says nothing about {iri}")
    if kind == "html":
        return _html(200, pages.resource_page(view.view, iri))
    return _rdf(site, triples, kind)


@_guarded
def void(request: Request) -> Response:
    """The dataset description, with this server's SPARQL endpoint; Turtle unless asked."""
    site = _site(request)
    kind = negotiate(request.headers.get("accept"), _first(request, "format"))
    base_url = site.base_url or str(request.base_url).rstrip("/")
    triples = site.description_triples(site.current, base_url)
    return _rdf(site, triples, kind if kind in RDF_TYPES else "ttl")


@_guarded
def download(request: Request) -> Response:
    """A file the dataset description lists (as it was when the current view was taken);
    nothing else of the folder, whatever the path."""
    rel = request.path_params["rel"]
    view = _site(request).current
    if rel in view.assembled:  # a whole-dataset dump: its graphs' pieces, one after the other
        key, pieces = view.assembled[rel]
        length = whole.size(key, [p.stat().st_size for p in pieces])
        return StreamingResponse(
            whole.chunks(key, pieces),
            media_type=DOWNLOAD_TYPES.get(key, "application/octet-stream"),
            headers={"Content-Length": str(length)},
        )
    target = view.downloads.get(rel)
    if target is None:
        return _not_found(f"no file {rel}")
    media = DOWNLOAD_TYPES.get(target.suffix.lstrip("."), "application/octet-stream")
    return FileResponse(target, media_type=media)


@_guarded
def ontology(request: Request) -> Response:
    """The ontology ``https://w3id.org/narcotics-kg/ontology`` and so every ``nko:`` term (the
    fragment of ``…/ontology#Figure`` never reaches a server): its HTML documentation (pyLODE,
    kg/publish/ontology_docs.py, one anchor per term) for a browser, the TBox
    (``ontology/narcotics.ttl``) as Turtle, JSON-LD, N-Triples or RDF/XML by ``Accept`` or
    ``?format=``, like any ``/id/`` resource."""
    kind = negotiate(request.headers.get("accept"), _first(request, "format"))
    if kind is None:
        return _text(406, AVAILABLE, vary=True)
    if kind == "html":
        page = ontology_dir() / "narcotics.html"
        if not page.is_file():
            return _not_found(
                "no ontology documentation here: run python -m kg.publish.ontology_docs"
            )
        return FileResponse(page, media_type="text/html", headers={"Vary": "Accept"})
    source = ontology_dir() / "narcotics.ttl"
    if not source.is_file():
        return _not_found(f"no ontology here: {source.name} is missing")
    triples = [q.triple for q in ox.parse(path=str(source), format=ox.RdfFormat.TURTLE)]
    return _rdf(_site(request), triples, kind)


@_guarded
def not_found(request: Request) -> Response:
    return _not_found(f"no page at {request.scope['path']}")


async def _body(request: Request) -> bytes:
    """The request body, refused with 413 past ``MAX_BODY_BYTES`` (declared or sent)."""
    too_large = HTTPException(
        413, f"request body over {MAX_BODY_BYTES} bytes", headers={"Connection": "close"}
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


@_guarded
async def sparql(request: Request) -> Response:
    """The SPARQL form and endpoint: ``?query=`` by GET, a form or a query body by POST; the
    answer's format by ``Accept`` or ``format`` (:class:`Wanted`), an error as one line of text,
    or on the query page when the client takes HTML."""
    fmt = _first(request, "format")
    if request.method == "POST":
        raw = (await _body(request)).decode("utf-8", "replace")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "application/sparql-query":
            query = raw
        else:
            fields = urllib.parse.parse_qs(raw)
            query = (fields.get("query") or [""])[0]
            fmt = fmt or next(iter(fields.get("format") or []), None)
    else:
        query = _first(request, "query") or ""
    if not query:
        return _html(200, await run_in_threadpool(pages.sparql_page, "", None, None))
    wanted = Wanted.of(request.headers.get("accept"), fmt)
    site = _site(request)
    status, ctype, body = await run_in_threadpool(site.sparql, query, wanted, site.current)
    if isinstance(body, dict):
        return _html(200, await run_in_threadpool(pages.sparql_page, query, body, None))
    if status not in (200, 406) and wanted.html(query_form(query)):
        error = body.decode("utf-8")
        where = error_position(query, error)
        page = await run_in_threadpool(pages.sparql_page, query, None, error, where)
        return _html(status, page)
    headers = {"Vary": "Accept"}
    if status == 503:
        headers["Retry-After"] = "5"
    return Response(body, status, media_type=ctype, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    """400/405/413... as one line of text (Starlette's own answer, with our wording for 405)."""
    assert isinstance(exc, HTTPException)
    detail = exc.detail
    if exc.status_code == 405 and request.method == "POST":
        detail = "POST only on /sparql"
    return PlainTextResponse(detail, exc.status_code, headers=exc.headers)


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    """While the application runs, look for a rebuild every ``REFRESH_SECONDS`` and take a new
    view when there is one; when it stops, delete its snapshots."""
    site: Site = app.state.site

    async def watch() -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            await run_in_threadpool(site.views.refresh)

    task = asyncio.create_task(watch())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        site.views.close()


def create_app(
    store_dir: Path,
    dump_dir: Path | None = None,
    *,
    timeout: float = 10.0,
    max_queries: int = MAX_QUERIES,
    query_memory_mb: int = QUERY_MEMORY_MB,
    allowed_services: Collection[str] = (),
    allowed_hosts: Sequence[str] | None = None,
) -> Starlette:
    """The web application over a snapshot of the store at ``store_dir`` (read-only).

    ``dump_dir`` holds the dumps and ``void.ttl`` (default: the store's parent folder);
    ``timeout`` is the seconds a SPARQL query may run, ``query_memory_mb`` the memory it may
    allocate, ``max_queries`` how many run at once; ``allowed_services`` the endpoints a
    ``SERVICE`` clause may call; ``allowed_hosts`` the ``Host`` names answered (None: any, for
    an application mounted behind another server). Raises InputError without a store.
    """
    site = Site(
        store_dir,
        dump_dir or store_dir.parent,
        timeout=timeout,
        max_queries=max_queries,
        query_memory_mb=query_memory_mb,
        allowed_services=allowed_services,
    )
    middleware = (
        [Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))]
        if allowed_hosts is not None
        else []
    )
    app = Starlette(
        middleware=middleware,
        routes=[
            Route("/", home),
            Route("/sparql", sparql, methods=["GET", "POST"]),
            Route("/.well-known/void", void),
            Route("/void", void),
            Route("/ontology", ontology),
            Route("/report", report),
            Route("/download/{rel:path}", download),
            Route("/id/{rest:path}", resource),
            Route("/graph/{rest:path}", resource),
            Route("/{path:path}", not_found),
        ],
        exception_handlers={HTTPException: _http_error},
        lifespan=_lifespan,
    )
    app.state.site = site
    return app


class _Server(uvicorn.Server):
    """uvicorn's server, telling ``ready`` once it accepts connections."""

    def __init__(self, config: uvicorn.Config, ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._ready()


def serve(
    store_dir: Path,
    *,
    port: int = 8080,
    dump_dir: Path | None = None,
    timeout: float = 10.0,
    ready: Any = None,
    keep_alive: int = KEEP_ALIVE_SECONDS,
    max_connections: int = MAX_CONNECTIONS,
    max_header_bytes: int = MAX_HEADER_BYTES,
    max_queries: int = MAX_QUERIES,
    query_memory_mb: int = QUERY_MEMORY_MB,
    allowed_services: Collection[str] = (),
    allowed_hosts: Sequence[str] = (),
) -> None:
    """Serve until interrupted (Ctrl-C, SIGTERM) on 127.0.0.1:``port`` (0 = any free port).

    ``ready(url)`` is called with ``http://127.0.0.1:PORT`` once connections are accepted.
    On a stop signal uvicorn stops accepting, closes idle connections and lets requests in
    progress finish (a SPARQL query within its timeout) before it returns. Requests must name
    127.0.0.1 or localhost in ``Host`` (or one of ``allowed_hosts``, for a reverse proxy).
    """
    # snapshots left by a server that was killed (no chance to clean up) go first
    clean_stale_snapshots(store_dir.parent, lambda line: print(line, file=sys.stderr))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise InputError(None, f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from exc
    try:
        app = create_app(
            store_dir,
            dump_dir,
            timeout=timeout,
            max_queries=max_queries,
            query_memory_mb=query_memory_mb,
            allowed_services=allowed_services,
            allowed_hosts=[*LOCAL_HOSTS, *allowed_hosts],
        )
    except BaseException:
        sock.close()
        raise
    site: Site = app.state.site
    site.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=sock.getsockname()[1],
        http="h11",  # the parser the limits below are for, whatever else is installed
        timeout_keep_alive=keep_alive,
        limit_concurrency=max_connections,
        h11_max_incomplete_event_size=max_header_bytes,
        timeout_graceful_shutdown=int(timeout) + 5,
        log_level="warning",
        access_log=False,
        server_header=False,
        headers=[("server", "narcokg-web")],
    )
    server = _Server(config, lambda: ready(site.base_url) if ready is not None else None)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled: the stop asked for
        pass
    finally:
        sock.close()
        site.views.close()  # also when the lifespan never ran


__all__ = [
    "CONTEXT_FILE",
    "DOWNLOAD_BASE",
    "Site",
    "Wanted",
    "choose",
    "create_app",
    "negotiate",
    "query_form",
    "serve",
    "syntax_message",
]
