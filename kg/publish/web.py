"""``narcokg web``: dereferenceable IRIs, HTML pages, content negotiation, a SPARQL form.

Why: linked data means an IRI of the graph answers with what the graph says about it. This
Starlette application, served by uvicorn, serves every ``https://w3id.org/narcotics-kg/id/...``
IRI under its own host as ``/id/...``: HTML for a browser (Jinja2 templates, ``pages.py``),
Turtle, JSON-LD (compacted with the dumps' context) or N-Triples by the ``Accept`` header
(RFC 9110 §12.5.1) or ``?format=``. Named graphs are served as ``/graph/...``, the dumps as
``/download/...``, the VoID/DCAT description at ``/.well-known/void`` (RFC 8615; VoID §7.2)
with this server's SPARQL endpoint added, the ontology's HTML documentation at ``/ontology``.

It binds 127.0.0.1 only and answers only requests whose ``Host`` names that address (DNS
rebinding: a page of another site that resolves its own name to 127.0.0.1 gets a 400). Every
request is answered from one consistent view of the store and its dumps
(:mod:`kg.publish.webview`), renewed after a rebuild. ``/download`` serves only the files the
dataset description lists. SPARQL queries (SELECT, ASK, CONSTRUCT; updates cannot even be
parsed as queries) run in a child process that is killed after a timeout and refused memory
past a cap, at most ``max_queries`` at once, so one runaway query cannot hold the server;
federated queries (``SERVICE``) are refused unless the operator allows the endpoint, since
the server would otherwise call any address for whoever sends the query. uvicorn parses HTTP
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
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from kg.errors import InputError
from kg.namespaces import PREFIXES
from kg.publish import pages
from kg.publish.describe import (
    CONTEXT_FILE,
    DATASET,
    DOWNLOAD_BASE,
    jsonld_context,
)
from kg.publish.webview import ServedView, Views
from kg.queries.federation import FederationRefused, refuse_federation
from kg.resources import ontology_dir
from kg.store.serve import clean_stale_snapshots

BASE = "https://w3id.org/narcotics-kg/"
RDF_TYPES = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
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
    "html": "html",
}
MEDIA = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/turtle": "ttl",
    "application/x-turtle": "ttl",
    "application/ld+json": "jsonld",
    "application/n-triples": "nt",
    "text/plain": "nt",
}
DOWNLOAD_TYPES = {
    "trig": "application/trig",
    "nq": "application/n-quads",
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
}
ROW_LIMIT = 1000
_KEYWORD = re.compile(
    r"^\s*(?:(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*(\w+)", re.IGNORECASE
)

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


def negotiate(accept: str | None, fmt: str | None) -> str | None:
    """``html``/``ttl``/``jsonld``/``nt`` from ``?format=`` or the Accept header; None = 406."""
    if fmt:
        return FORMAT_ALIASES.get(fmt.lower())
    if not accept or not accept.strip():
        return "html"
    best: tuple[float, int, str] | None = None
    for order, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for p in params:
            key, _, val = p.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(val)
                except ValueError:
                    q = 0.0
        media = media.lower()
        kind = MEDIA.get(media) or ("html" if media in ("*/*", "text/*") else None)
        if kind is None or q <= 0:
            continue
        rank = (q, -order, kind)
        if best is None or rank[:2] > best[:2]:
            best = rank
    return best[2] if best else None


def query_form(query: str) -> str:
    """The query's form (SELECT, ASK, CONSTRUCT, DESCRIBE...), upper-case; '' if unknown."""
    stripped = "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("#"))
    match = _KEYWORD.match(stripped)
    return match.group(1).upper() if match else ""


def _cell(term: object) -> str:
    """A result cell as a person reads it: a literal's text, an IRI, ``_:b`` for a blank."""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    return "" if term is None else str(term)


def _run_query(store_dir: str, query: str, kind: str, conn: Any, memory_mb: int = 0) -> None:
    """Child process: run ``query`` on a read-only store; send (status, type, body) back.

    With ``memory_mb`` the process may allocate that much and no more (``RLIMIT_DATA``: the
    heap and private mappings, not the store's memory-mapped files); past it the allocation
    fails, Oxigraph aborts, and the parent answers 503 for this query alone.
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
        result = store.query(query)
        if isinstance(result, ox.QueryBoolean):
            if kind == "html":
                conn.send(("ok", "html", json.dumps({"boolean": bool(result)})))
            else:
                body = result.serialize(format=ox.QueryResultsFormat.JSON)
                conn.send(("ok", "application/sparql-results+json", body))
        elif isinstance(result, ox.QuerySolutions):
            if kind == "html":
                names = [v.value for v in result.variables]
                rows = []
                for i, row in enumerate(result):
                    if i >= ROW_LIMIT:
                        break
                    rows.append([_cell(row[n]) for n in names])
                conn.send(("ok", "html", json.dumps({"head": names, "rows": rows})))
            else:
                body = result.serialize(format=ox.QueryResultsFormat.JSON)
                conn.send(("ok", "application/sparql-results+json", body))
        else:
            body = ox.serialize(result, format=ox.RdfFormat.N_TRIPLES) or b""
            if kind == "html":
                conn.send(("ok", "html", json.dumps({"triples": body.decode("utf-8")})))
            else:
                conn.send(("ok", "application/n-triples", body))
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
        """The VoID/DCAT description, with the SPARQL endpoint at ``base_url``/sparql."""
        extra = []
        if base_url:
            void = "http://rdfs.org/ns/void#"
            for t in view.description:
                if t.predicate.value == f"{void}subset" or t.subject == ox.NamedNode(DATASET):
                    extra.append(
                        ox.Triple(
                            t.subject,
                            ox.NamedNode(f"{void}sparqlEndpoint"),
                            ox.NamedNode(base_url + "/sparql"),
                        )
                    )
        return list({str(t): t for t in [*view.description, *extra]}.values())

    @staticmethod
    def serialize(triples: list[ox.Triple], kind: str) -> bytes:
        """Triples as Turtle, N-Triples, or JSON-LD compacted with the dumps' context."""
        if kind == "ttl":
            return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b""
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
        self, query: str, kind: str, view: ServedView | None = None
    ) -> tuple[int, str, bytes | dict[str, Any]]:
        """(HTTP status, content type, body) for a query; ``kind`` html gives a dict.

        Blocks up to ``timeout`` seconds: the application calls it in a worker thread.
        """
        form = query_form(query)
        if form not in ("SELECT", "ASK", "CONSTRUCT"):
            return 400, "text/plain", b"only SELECT, ASK and CONSTRUCT queries are answered"
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

    def _run(self, query: str, kind: str, view: ServedView) -> tuple[int, str, Any]:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_run_query,
            args=(str(view.store_path), query, kind, child, self.query_memory_mb),
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
        if status != "ok":
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
    return _html(200, pages.index_page(_site(request).current.view))


@_guarded
def resource(request: Request) -> Response:
    """``/id/...`` and ``/graph/...``: HTML or RDF by negotiation; 406, 404 otherwise."""
    site = _site(request)
    view = site.current
    kind = negotiate(request.headers.get("accept"), _first(request, "format"))
    path = request.scope["path"]
    iri = BASE + path[1:]
    if kind is None:
        return _text(
            406,
            "available: text/html, text/turtle, application/ld+json, application/n-triples",
            vary=True,
        )
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
    target = _site(request).current.downloads.get(rel)
    if target is None:
        return _not_found(f"no file {rel}")
    media = DOWNLOAD_TYPES.get(target.suffix.lstrip("."), "application/octet-stream")
    return FileResponse(target, media_type=media)


@_guarded
def ontology(request: Request) -> Response:
    """The ontology's HTML documentation (pyLODE, kg/publish/ontology_docs.py)."""
    page = ontology_dir() / "narcotics.html"
    if not page.is_file():
        return _not_found("no ontology documentation here: run python -m kg.publish.ontology_docs")
    return FileResponse(page, media_type="text/html")


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
    """The SPARQL form and endpoint: ``?query=`` by GET, a form or a query body by POST."""
    if request.method == "POST":
        raw = (await _body(request)).decode("utf-8", "replace")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "application/sparql-query":
            query = raw
        else:
            query = (urllib.parse.parse_qs(raw).get("query") or [""])[0]
    else:
        query = _first(request, "query") or ""
    accept = request.headers.get("accept") or ""
    wants_html = not query or ("text/html" in accept and "sparql-results" not in accept)
    if not query:
        return _html(200, await run_in_threadpool(pages.sparql_page, "", None, None))
    site = _site(request)
    status, ctype, body = await run_in_threadpool(
        site.sparql, query, "html" if wants_html else "data", site.current
    )
    if isinstance(body, dict):
        return _html(200, await run_in_threadpool(pages.sparql_page, query, body, None))
    if wants_html and status != 200:
        page = await run_in_threadpool(pages.sparql_page, query, None, body.decode("utf-8"))
        return _html(status, page)
    headers = {"Retry-After": "5"} if status == 503 else None
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
    "create_app",
    "negotiate",
    "query_form",
    "serve",
]
