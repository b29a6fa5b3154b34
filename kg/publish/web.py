"""``narcokg web``: dereferenceable IRIs, HTML pages, content negotiation, a SPARQL form.

Why: linked data means an IRI of the graph answers with what the graph says about it. This
small stdlib server (``http.server``, no framework) serves every
``https://w3id.org/narcotics-kg/id/...`` IRI under its own host as ``/id/...``: HTML for a
browser, Turtle, JSON-LD (compacted with the dumps' context) or N-Triples by the ``Accept``
header (RFC 9110 §12.5.1) or ``?format=``. Named graphs are served as ``/graph/...``, the dumps
as ``/download/...``, the VoID/DCAT description at ``/.well-known/void`` (RFC 8615; VoID §7.2)
with this server's SPARQL endpoint added.

It binds 127.0.0.1 only and opens the store read-only. SPARQL queries (SELECT, ASK, CONSTRUCT;
updates cannot even be parsed as queries) run in a child process that is killed after a
timeout, so one runaway query cannot hold the server.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import re
import sys
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pyoxigraph as ox

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
ROW_LIMIT = 1000
_KEYWORD = re.compile(
    r"^\s*(?:(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*(\w+)", re.IGNORECASE
)


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


class App:
    """Everything the request handler needs: the store, the dump folder, the description."""

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
        self.base_url = ""  # set by the server: http://127.0.0.1:PORT

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

    def description_triples(self) -> list[ox.Triple]:
        """The VoID/DCAT description, with this server's SPARQL endpoint."""
        extra = []
        if self.base_url:
            void = "http://rdfs.org/ns/void#"
            for t in self.description:
                if t.predicate.value == f"{void}subset" or t.subject == ox.NamedNode(DATASET):
                    extra.append(
                        ox.Triple(
                            t.subject,
                            ox.NamedNode(f"{void}sparqlEndpoint"),
                            ox.NamedNode(self.base_url + "/sparql"),
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
        """(HTTP status, content type, body) for a query; ``kind`` html gives a dict."""
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


def sparql_page(query: str, result: dict[str, Any] | None, error: str | None) -> str:
    """The query form, with the results of ``query`` when there are some."""
    esc = pages.esc
    default = query or (
        "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>\n"
        "SELECT ?figure ?verbatim ?value WHERE {\n"
        "  GRAPH ?g { ?figure a nko:Figure ; nko:verbatim ?verbatim .\n"
        "             OPTIONAL { ?figure nko:value ?value } }\n} LIMIT 20"
    )
    out = (
        '<form method="get" action="/sparql"><textarea name="query" rows="10">'
        f'{esc(default)}</textarea><br><button type="submit">Run</button> '
        "<small>Read-only: SELECT, ASK and CONSTRUCT; name graphs with GRAPH ?g. "
        "Results as JSON: send Accept: application/sparql-results+json.</small></form>"
    )
    if error:
        out += f'<p class="error" id="sparql-error">{esc(error)}</p>'
    if result is not None:
        if "boolean" in result:
            out += f'<p id="sparql-boolean">{esc(str(result["boolean"]).lower())}</p>'
        elif "triples" in result:
            out += f'<pre id="sparql-triples">{esc(result["triples"])}</pre>'
        else:
            head = "".join(f"<th>{esc(h)}</th>" for h in result["head"])
            rows = "".join(
                "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>"
                for row in result["rows"]
            )
            out += f'<table id="sparql-results"><tr>{head}</tr>{rows}</table>'
    return pages.page("SPARQL query", out)


def make_handler(app: App) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to ``app``."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "narcokg-web"

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

        def _send(self, status: int, ctype: str, body: bytes, *, vary: bool = False) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            if vary:
                self.send_header("Vary", "Accept")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _html(self, status: int, text: str) -> None:
            self._send(status, "text/html; charset=utf-8", text.encode("utf-8"), vary=True)

        def _not_found(self, what: str) -> None:
            self._html(404, pages.page("Not found", f"<p>{pages.esc(what)}</p>"))

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            params = urllib.parse.parse_qs(url.query)
            fmt = params["format"][0] if params.get("format") else None
            path = urllib.parse.unquote(url.path)
            try:
                self._route(path, params, fmt)
            except BrokenPipeError:
                pass
            except ValueError as exc:  # not an IRI (pyoxigraph refuses it)
                self._send(400, "text/plain", f"bad request: {exc}".encode())
            except Exception as exc:  # one line in the log and a 500, never a dead socket
                self.log_message("error: %s", " ".join(str(exc).split())[:300])
                self._send(500, "text/plain", b"internal error")

        def do_POST(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            if url.path != "/sparql":
                self._send(405, "text/plain", b"POST only on /sparql")
                return
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(min(length, 1_000_000)).decode("utf-8", "replace")
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if ctype == "application/sparql-query":
                query = raw
            else:
                query = (urllib.parse.parse_qs(raw).get("query") or [""])[0]
            self._sparql(query)

        def _sparql(self, query: str) -> None:
            accept = self.headers.get("Accept") or ""
            wants_html = not query or ("text/html" in accept and "sparql-results" not in accept)
            if not query:
                self._html(200, sparql_page("", None, None))
                return
            status, ctype, body = app.sparql(query, "html" if wants_html else "data")
            if isinstance(body, dict):
                self._html(200, sparql_page(query, body, None))
            elif wants_html and status != 200:
                self._html(status, sparql_page(query, None, body.decode("utf-8")))
            else:
                self._send(status, ctype, body)

        def _rdf(self, iri: str, triples: list[ox.Triple], kind: str) -> None:
            body = app.serialize(triples, kind)
            ctype = RDF_TYPES[kind] + ("; charset=utf-8" if kind != "jsonld" else "")
            self._send(200, ctype, body, vary=True)

        def _route(self, path: str, params: dict[str, list[str]], fmt: str | None) -> None:
            kind = negotiate(self.headers.get("Accept"), fmt)
            if path == "/":
                self._html(200, pages.index_page(app.view))
            elif path == "/sparql":
                self._sparql((params.get("query") or [""])[0])
            elif path in ("/.well-known/void", "/void"):
                self._rdf(DATASET, app.description_triples(), kind if kind in RDF_TYPES else "ttl")
            elif path.startswith("/download/"):
                self._download(path[len("/download/") :])
            elif path.startswith(("/id/", "/graph/")):
                iri = BASE + path[1:]
                if kind is None:
                    self._send(
                        406,
                        "text/plain",
                        b"available: text/html, text/turtle, "
                        b"application/ld+json, application/n-triples",
                        vary=True,
                    )
                    return
                if path.startswith("/graph/"):
                    triples = app.graph_triples(iri)
                    if not triples:
                        self._not_found(f"no graph {iri}")
                    elif kind == "html":
                        self._html(200, pages.entity_page(app.view, iri))
                    else:
                        self._rdf(iri, triples, kind)
                    return
                triples = app.describe(iri)
                if not triples:
                    self._not_found(f"the graph says nothing about {iri}")
                elif kind == "html":
                    self._html(200, pages.resource_page(app.view, iri))
                else:
                    self._rdf(iri, triples, kind)
            else:
                self._not_found(f"no page at {path}")

        def _download(self, rel: str) -> None:
            root = app.dump_dir.resolve()
            target = (root / rel).resolve()
            if root not in target.parents or not target.is_file() or "store" in target.parts:
                self._not_found(f"no file {rel}")
                return
            suffix = target.suffix.lstrip(".")
            ctype = {
                "trig": "application/trig",
                "nq": "application/n-quads",
                "ttl": "text/turtle",
                "jsonld": "application/ld+json",
            }.get(suffix, "application/octet-stream")
            self._send(200, ctype, target.read_bytes())

    return Handler


def serve(
    store_dir: Path,
    *,
    port: int = 8080,
    dump_dir: Path | None = None,
    timeout: float = 10.0,
    ready: Any = None,
) -> None:
    """Serve until interrupted on 127.0.0.1:``port`` (0 = any free port)."""
    app = App(store_dir, dump_dir or store_dir.parent, timeout=timeout)
    try:
        server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(app))
    except OSError as exc:
        raise InputError(None, f"cannot listen on 127.0.0.1:{port}: {exc.strerror}") from exc
    server.daemon_threads = True
    app.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    if ready is not None:
        ready(app.base_url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


__all__ = ["CONTEXT_FILE", "DOWNLOAD_BASE", "App", "negotiate", "query_form", "serve"]
