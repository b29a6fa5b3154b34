"""``narcokg web``: dereferenceable IRIs, HTML pages, content negotiation, a SPARQL form.

Why: linked data means an IRI of the graph answers with what the graph says about it. This
Starlette application, served by uvicorn, serves every ``https://w3id.org/narcotics-kg/id/...``
IRI under its own host as ``/id/...``: HTML for a browser (Jinja2 templates, ``pages.py``),
Turtle, JSON-LD (compacted with the dumps' context) or N-Triples by the ``Accept`` header
(RFC 9110 §12.5.1) or ``?format=``. Named graphs are served as ``/graph/...``, the dumps as
``/download/...``, the VoID/DCAT description at ``/.well-known/void`` (RFC 8615; VoID §7.2)
with this server's SPARQL endpoint added, the ontology's HTML documentation at ``/ontology``.

It binds 127.0.0.1 only and opens the store read-only. SPARQL queries (SELECT, ASK, CONSTRUCT;
updates cannot even be parsed as queries) run in a child process that is killed after a
timeout, so one runaway query cannot hold the server. uvicorn parses HTTP (h11) and enforces
the limits below; a request it cannot parse gets a 400, a body over ``MAX_BODY_BYTES`` a 413,
a method a path does not take a 405 (docs/decisions/20261128-web-starlette-jinja2.md).
"""

from __future__ import annotations

import inspect
import json
import multiprocessing as mp
import re
import socket
import sys
import urllib.parse
from collections.abc import Awaitable, Callable
from functools import wraps
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from kg.errors import InputError
from kg.namespaces import PREFIXES
from kg.publish import pages
from kg.publish.describe import (
    CONTEXT_FILE,
    DATASET,
    DESCRIPTION_FILE,
    DOWNLOAD_BASE,
    jsonld_context,
)
from kg.resources import ontology_dir

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


def _run_query(store_dir: str, query: str, kind: str, conn: Any) -> None:
    """Child process: run ``query`` on a read-only store; send (status, type, body) back."""
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
    except Exception as exc:  # the child reports any failure as text, never a traceback page
        conn.send(("error", "text/plain", " ".join(str(exc).split())[:500]))
    finally:
        conn.close()


class Site:
    """What the application serves: the store, the dump folder, the description."""

    def __init__(self, store_dir: Path, dump_dir: Path, *, timeout: float = 10.0) -> None:
        if not store_dir.is_dir():
            raise InputError(store_dir, "no store here; run `narcokg build` first or pass --store")
        self.store_dir = store_dir
        self.dump_dir = dump_dir
        self.timeout = timeout
        self.store = ox.Store.read_only(str(store_dir))
        self.view = pages.View(self.store)
        self.description: list[ox.Triple] = []
        void = dump_dir / DESCRIPTION_FILE
        if void.is_file():
            self.description = [
                q.triple for q in ox.parse(path=str(void), format=ox.RdfFormat.TURTLE)
            ]
        # http://127.0.0.1:PORT, set by serve(); when empty, each request's own base URL
        self.base_url = ""

    # --- RDF -------------------------------------------------------------------------------
    def describe(self, iri: str) -> list[ox.Triple]:
        """What the store and the description say about ``iri`` (out- and inbound triples)."""
        node = ox.NamedNode(iri)
        seen: dict[str, ox.Triple] = {}
        for q in self.store.quads_for_pattern(node, None, None, None):
            seen.setdefault(str(q.triple), q.triple)
        for q in self.store.quads_for_pattern(None, None, node, None):
            seen.setdefault(str(q.triple), q.triple)
        for t in self.description:
            if t.subject == node or t.object == node:
                seen.setdefault(str(t), t)
        return list(seen.values())

    def graph_triples(self, graph_iri: str) -> list[ox.Triple]:
        """Every triple of one named graph."""
        node = ox.NamedNode(graph_iri)
        return [q.triple for q in self.store.quads_for_pattern(None, None, None, node)]

    def description_triples(self, base_url: str) -> list[ox.Triple]:
        """The VoID/DCAT description, with the SPARQL endpoint at ``base_url``/sparql."""
        extra = []
        if base_url:
            void = "http://rdfs.org/ns/void#"
            for t in self.description:
                if t.predicate.value == f"{void}subset" or t.subject == ox.NamedNode(DATASET):
                    extra.append(
                        ox.Triple(
                            t.subject,
                            ox.NamedNode(f"{void}sparqlEndpoint"),
                            ox.NamedNode(base_url + "/sparql"),
                        )
                    )
        return list({str(t): t for t in [*self.description, *extra]}.values())

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
    def sparql(self, query: str, kind: str) -> tuple[int, str, bytes | dict[str, Any]]:
        """(HTTP status, content type, body) for a query; ``kind`` html gives a dict.

        Blocks up to ``timeout`` seconds: the application calls it in a worker thread.
        """
        form = query_form(query)
        if form not in ("SELECT", "ASK", "CONSTRUCT"):
            return 400, "text/plain", b"only SELECT, ASK and CONSTRUCT queries are answered"
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(
            target=_run_query, args=(str(self.store_dir), query, kind, child), daemon=True
        )
        proc.start()
        child.close()
        try:
            if not parent.poll(self.timeout):
                proc.kill()
                proc.join()
                return 503, "text/plain", f"query timed out after {self.timeout:g} s".encode()
            status, ctype, body = parent.recv()
        except EOFError:
            return 500, "text/plain", b"query process ended without an answer"
        finally:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
            parent.close()
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
    return _html(200, pages.index_page(_site(request).view))


@_guarded
def resource(request: Request) -> Response:
    """``/id/...`` and ``/graph/...``: HTML or RDF by negotiation; 406, 404 otherwise."""
    site = _site(request)
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
        triples = site.graph_triples(iri)
        if not triples:
            return _not_found(f"no graph {iri}")
        if kind == "html":
            return _html(200, pages.entity_page(site.view, iri))
        return _rdf(site, triples, kind)
    triples = site.describe(iri)
    if not triples:
        return _not_found(f"the graph says nothing about {iri}")
    if kind == "html":
        return _html(200, pages.resource_page(site.view, iri))
    return _rdf(site, triples, kind)


@_guarded
def void(request: Request) -> Response:
    """The dataset description, with this server's SPARQL endpoint; Turtle unless asked."""
    site = _site(request)
    kind = negotiate(request.headers.get("accept"), _first(request, "format"))
    base_url = site.base_url or str(request.base_url).rstrip("/")
    return _rdf(site, site.description_triples(base_url), kind if kind in RDF_TYPES else "ttl")


@_guarded
def download(request: Request) -> Response:
    """A file of the dump folder (never the store inside it)."""
    rel = request.path_params["rel"]
    root = _site(request).dump_dir.resolve()
    target = (root / rel).resolve()
    if root not in target.parents or not target.is_file() or "store" in target.parts:
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
        site.sparql, query, "html" if wants_html else "data"
    )
    if isinstance(body, dict):
        return _html(200, await run_in_threadpool(pages.sparql_page, query, body, None))
    if wants_html and status != 200:
        page = await run_in_threadpool(pages.sparql_page, query, None, body.decode("utf-8"))
        return _html(status, page)
    return Response(body, status, media_type=ctype)


async def _http_error(request: Request, exc: Exception) -> Response:
    """400/405/413... as one line of text (Starlette's own answer, with our wording for 405)."""
    assert isinstance(exc, HTTPException)
    detail = exc.detail
    if exc.status_code == 405 and request.method == "POST":
        detail = "POST only on /sparql"
    return PlainTextResponse(detail, exc.status_code, headers=exc.headers)


def create_app(
    store_dir: Path, dump_dir: Path | None = None, *, timeout: float = 10.0
) -> Starlette:
    """The web application over the store at ``store_dir`` (opened read-only).

    ``dump_dir`` holds the dumps and ``void.ttl`` (default: the store's parent folder);
    ``timeout`` is the seconds a SPARQL query may run. Raises InputError without a store.
    """
    site = Site(store_dir, dump_dir or store_dir.parent, timeout=timeout)
    app = Starlette(
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
) -> None:
    """Serve until interrupted (Ctrl-C, SIGTERM) on 127.0.0.1:``port`` (0 = any free port).

    ``ready(url)`` is called with ``http://127.0.0.1:PORT`` once connections are accepted.
    On a stop signal uvicorn stops accepting, closes idle connections and lets requests in
    progress finish (a SPARQL query within its timeout) before it returns.
    """
    app = create_app(store_dir, dump_dir, timeout=timeout)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise InputError(None, f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from exc
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


__all__ = [
    "CONTEXT_FILE",
    "DOWNLOAD_BASE",
    "Site",
    "create_app",
    "negotiate",
    "query_form",
    "serve",
]
