"""The HTTP front of ``narcokg serve``: checks every request, then streams it to Oxigraph.

Why a proxy: the Oxigraph server cannot be told to refuse federated queries (``SERVICE <iri>``
makes it call any address: server-side request forgery), to bound how many queries run at once,
or to give up on a query its own ``--timeout-s`` does not stop (a sort over a cross product runs
on). So ``narcokg serve`` listens on the user's port itself and passes requests to the Oxigraph
child (kg/store/child.py), which listens on a private loopback port. For each request:

* ``Host`` must name this server (``127.0.0.1:PORT``, ``localhost:PORT`` or ``[::1]:PORT``),
  else 421: a web page whose domain was re-pointed at 127.0.0.1 (DNS rebinding) cannot use it;
  an ``Origin`` from another site is refused (403), so a page cannot post updates either.
* Every SPARQL query and update (``?query=`` / ``?update=``, form bodies, ``application/
  sparql-query`` and ``sparql-update`` bodies, on any path) is checked by
  kg/queries/federation.py: a SERVICE or LOAD to an endpoint the operator did not allow with
  ``--allow-service`` gets 403 and one line.
* At most ``--max-queries`` SPARQL requests run at once; one more gets 503 with ``Retry-After`` at
  once instead of queueing behind a slow query.
* A SPARQL request with no complete answer ``DEADLINE_GRACE`` seconds past ``--timeout`` gets
  503; since Oxigraph's timeout did not stop that query, the child is killed and restarted so it
  stops using CPU and memory. When the child dies under a request (its memory cap, a crash), the
  request gets 503 saying why, and the supervisor has already started a new child.

* A query (at ``/query``) that names no dataset of its own (no ``FROM``/``FROM NAMED`` clause,
  no ``default-graph-uri``/``named-graph-uri`` parameter) is passed on with Oxigraph's
  ``union-default-graph`` parameter: the data lives in named graphs, one per release, so without
  it ``SELECT * { ?s ?p ?o }`` finds nothing. Why per query rather than the server's
  ``--union-default-graph`` option: with that option Oxigraph (0.5.13) also ignores a query's
  ``FROM`` (measured: a count ``FROM <…/graph/corrections>`` counted every quad of the store,
  not the graph's), whereas the parameter is simply not sent when the query chooses its dataset.
  The protocol's ``default-graph-uri`` still wins over the option; updates are passed on as
  they are.

Everything else (the query page, the Graph Store at ``/store``) is passed through: method,
headers (less the hop-by-hop ones), status; request and response bodies are streamed in 64 KiB
pieces, never held whole, so a dump of the store costs no memory here. Only SPARQL bodies are read
whole, since they must be checked before they are passed on (Oxigraph caps them at 128 MB too).

Why the standard library (``http.server.ThreadingHTTPServer`` + ``http.client``) rather than the
installed starlette/uvicorn/httpx: one thread per connection is exactly what the bounds need (a
semaphore for ``--max-queries``, a blocking socket timeout as the deadline, a plain loop of reads
and writes for streaming), with no event loop to keep responsive around blocking calls and no
extra dependency in the serving path. The load is an analyst's browser and scripts on 127.0.0.1.
Responses always close the connection (``Connection: close``): simpler framing, no keep-alive
state to get wrong, and the cost of a loopback connection is nothing next to a SPARQL query.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kg.queries.federation import FederationRefused, refuse_federation
from kg.store.child import Echo, Supervisor

DEADLINE_GRACE = 5.0  # seconds past --timeout before a query is taken as not stopped by Oxigraph
RESTART_WAIT = 30.0  # how long a request waits for a restarting child before 503
CHUNK = 64 * 1024
MAX_SPARQL_BYTES = 128 * 1024 * 1024  # Oxigraph's own cap on SPARQL bodies
CLIENT_SECONDS = 60.0  # longest silence from (or stall of) the client
MAX_CONNECTIONS = 128
SPARQL_BODIES = {
    "application/x-www-form-urlencoded": None,
    "application/sparql-query": "query",
    "application/sparql-update": "update",
}
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
    "content-length",
}
SINGLE = ("Host", "Content-Length", "Content-Type", "Transfer-Encoding", "Origin")


@dataclass(frozen=True)
class Limits:
    """What the operator set: ``--timeout``, ``--max-queries``, ``--memory-limit`` (MB, 0: none)
    and the ``--allow-service`` endpoints."""

    timeout: float
    max_queries: int
    memory_limit_mb: int
    allowed: frozenset[str] = frozenset()


class _Refusal(Exception):
    """Answer the client with ``status`` and the one-line ``message``."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


class _ClientGone(Exception):
    """The client stalled or closed its side: nothing more to answer (and not the child's fault,
    so never a reason to restart it)."""


def form_values(encoded: bytes) -> list[tuple[str, str]]:
    """``application/x-www-form-urlencoded`` pairs decoded as Oxigraph decodes them (Rust's
    ``form_urlencoded``: ``&`` only, ``+`` is a space, invalid UTF-8 becomes U+FFFD), so that the
    query checked here is the query Oxigraph runs."""
    pairs = []
    for piece in encoded.split(b"&"):
        if not piece:
            continue
        name, _, value = piece.partition(b"=")
        pairs.append(
            (
                urllib.parse.unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8", "replace"),
                urllib.parse.unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8", "replace"),
            )
        )
    return pairs


# What can hide a word from a query's keywords, as kg/queries/federation.py reads SPARQL 1.1
# terminals: strings (four quotings, with escapes), IRIs, escapes in prefixed names, # comments.
_OPAQUE = re.compile(
    r"'''(?:(?:''?)?(?:[^'\\]|\\.))*'''"
    r'|"""(?:(?:""?)?(?:[^"\\]|\\.))*"""'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|<(?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>"
    r"|\\."
    r"|#[^\r\n]*",
    re.DOTALL,
)
# FROM as a keyword: not the end of a variable, prefixed name, language tag or blank node
# label, and not a prefix ("from:x"). Oxigraph needs no space after it ("FROM<g>").
_FROM = re.compile(r"(?<![\w?$:@.\-])from(?!:)", re.IGNORECASE)
# the protocol's own ways to choose the dataset (SPARQL 1.1 Protocol §2.1.4), and the union
DATASET_PARAMETERS = frozenset({"default-graph-uri", "named-graph-uri", "union-default-graph"})
UNION_PARAMETER = "union-default-graph"


def names_dataset(query: str) -> bool:
    """Whether a SPARQL query chooses its own dataset (``FROM`` or ``FROM NAMED``).

    Why: such a query must be evaluated on the graphs it names; every other query gets the
    union of all graphs as its default graph (pyoxigraph's ``use_default_graph_as_union`` and
    Oxigraph's ``union-default-graph`` both override ``FROM``, so they are only set when this is
    False). A scan, not a parser: strings, IRIs and comments are blanked first. When the text
    could be read either way the answer is True, which only costs that query the union.
    """
    return _FROM.search(_OPAQUE.sub(" ", query)) is not None


def _with_union(target: str) -> str:
    """The request target with Oxigraph's ``union-default-graph`` parameter added."""
    if target.endswith(("?", "&")):
        return target + UNION_PARAMETER
    return target + ("&" if "?" in target else "?") + UNION_PARAMETER


def _one_line(message: str) -> str:
    return " ".join(message.split())


class Proxy(http.server.ThreadingHTTPServer):
    """The listening socket on 127.0.0.1:``port`` and what its handlers share."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 64  # connections that wait while the first child starts

    def __init__(self, port: int, limits: Limits, progress: Echo) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.port = int(self.server_address[1])
        self.limits = limits
        self.supervisor: Supervisor | None = None  # set before serve_forever
        self.progress = progress
        names = (f"127.0.0.1:{self.port}", f"localhost:{self.port}", f"[::1]:{self.port}")
        self.hosts = frozenset(names)
        self.origins = frozenset(f"http://{name}" for name in names)
        self.slots = threading.BoundedSemaphore(limits.max_queries)
        self.connections = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Refuse a connection beyond MAX_CONNECTIONS right away, instead of one more thread."""
        if not self.connections.acquire(blocking=False):
            body = b"too many connections; retry shortly\n"
            head = (
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
            )
            with contextlib.suppress(OSError):
                request.sendall(head.encode() + body)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """One line instead of socketserver's traceback (the handler answers 500 itself)."""
        failed = sys.exc_info()[1]
        self.progress(f"proxy: {type(failed).__name__}: {failed}")

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.connections.release()


class _Handler(http.server.BaseHTTPRequestHandler):
    """One request: check it, bound it, stream it to the child and the answer back."""

    server: Proxy
    protocol_version = "HTTP/1.1"  # for "Expect: 100-continue"; every answer closes anyway
    timeout = CLIENT_SECONDS
    _unread: int | None = None  # request body bytes not read yet (None: chunked or unknown)
    _target: str = ""  # the request target passed on (the client's, or with the union added)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the Oxigraph server logged no requests either; restarts are reported."""

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    # --- answers made here ---------------------------------------------------------------------

    def _answer(self, refusal: _Refusal) -> None:
        self._drain()
        body = (_one_line(refusal.message) + "\n").encode("utf-8")
        self.send_response_only(refusal.status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if refusal.retry_after is not None:
            self.send_header("Retry-After", str(refusal.retry_after))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True

    def _drain(self) -> None:
        """Read a small unread body before answering, so that closing the connection does not
        reset it under the client before it reads the answer."""
        if self._unread and self._unread <= 1024 * 1024:
            with contextlib.suppress(OSError):
                self.rfile.read(self._unread)
        self._unread = 0

    # --- the request ---------------------------------------------------------------------------

    def _handle(self) -> None:
        self.close_connection = True
        try:
            self._check_and_forward()
        except _Refusal as refusal:
            with contextlib.suppress(OSError):
                self._answer(refusal)
        except (OSError, _ClientGone):  # the client went away or stalled: nothing to answer
            pass
        except Exception as failed:  # a bug here must not cost more than this request
            with contextlib.suppress(OSError):
                self._answer(_Refusal(500, f"proxy error: {type(failed).__name__}: {failed}"))
            raise

    def _check_and_forward(self) -> None:
        limits = self.server.limits
        for name in SINGLE:
            if len(self.headers.get_all(name) or []) > 1:
                raise _Refusal(400, f"more than one {name} header")
        length = self._content_length()
        host = (self.headers.get("Host") or "").strip().lower()
        if host not in self.server.hosts:
            raise _Refusal(
                421,
                f"Host {host or '(none)'!r} does not name this server; use "
                f"http://127.0.0.1:{self.server.port}/ (other names are refused against DNS "
                "rebinding)",
            )
        origin = (self.headers.get("Origin") or "").strip().lower()
        if origin and origin not in self.server.origins:
            raise _Refusal(403, f"cross-origin request from {origin!r} refused")
        if not self.path.startswith("/") or "#" in self.path:
            raise _Refusal(400, "the request target must be a path (/query, /store, ...)")
        texts = self._sparql_in_url()  # (kind, text): kind "query" or "update"
        body: bytes | None = None
        media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if media in SPARQL_BODIES and self.command not in ("GET", "HEAD"):
            body = self._read_body(length)
            kind = SPARQL_BODIES[media]
            if kind is None:
                texts += [(k, v) for k, v in form_values(body) if k in ("query", "update")]
            else:
                texts.append((kind, body.decode("utf-8", "replace")))
        for _kind, text in texts:
            try:
                refuse_federation(text, limits.allowed)
            except FederationRefused as refused:
                raise _Refusal(403, str(refused)) from None
        if not texts:
            self._forward(body, length, deadline=None)
            return
        if self._union_wanted(texts, body, media):
            self._target = _with_union(self.path)
        if not self.server.slots.acquire(blocking=False):
            raise _Refusal(
                503,
                f"too many queries at once: this server runs at most {limits.max_queries} at a "
                "time (--max-queries); retry shortly",
                retry_after=1,
            )
        try:
            # Oxigraph bounds queries only: an update (a MOVE of a large graph by `narcokg
            # load`) may rightly take longer, so it gets no deadline, only the memory cap
            deadline = None
            if all(kind == "query" for kind, _ in texts):
                deadline = time.monotonic() + limits.timeout + DEADLINE_GRACE
            self._forward(body, length, deadline=deadline)
        finally:
            self.server.slots.release()

    def _union_wanted(self, texts: list[tuple[str, str]], body: bytes | None, media: str) -> bool:
        """Whether this request is a query at ``/query`` that leaves the dataset to the server:
        no ``FROM`` in the query, no dataset parameter in the URL or the form."""
        if self.path.partition("?")[0] != "/query":
            return False
        if any(kind != "query" or names_dataset(text) for kind, text in texts):
            return False
        in_url = self.path.partition("?")[2].encode("latin-1", "replace")
        names = {name for name, _ in form_values(in_url)}
        if body is not None and media == "application/x-www-form-urlencoded":
            names |= {name for name, _ in form_values(body)}
        return not names & DATASET_PARAMETERS

    def _content_length(self) -> int | None:
        """The declared body length; None for a chunked body. Refuses what could be read two
        ways (both framings, a bad number, an unknown transfer coding)."""
        coding = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        declared = self.headers.get("Content-Length")
        if coding:
            if coding != "chunked":
                raise _Refusal(501, f"Transfer-Encoding {coding!r} is not supported")
            if declared is not None:
                raise _Refusal(400, "both Content-Length and Transfer-Encoding: refused")
            self._unread = None
            return None
        if declared is None:
            self._unread = 0
            return 0
        if not declared.strip().isdigit():
            raise _Refusal(400, f"bad Content-Length {declared!r}")
        self._unread = int(declared)
        return self._unread

    def _sparql_in_url(self) -> list[tuple[str, str]]:
        query = self.path.partition("?")[2]
        pairs = form_values(query.encode("latin-1", "replace"))
        return [(name, value) for name, value in pairs if name in ("query", "update")]

    def _read_body(self, length: int | None) -> bytes:
        """The whole body of a SPARQL request (it is checked before it is passed on)."""
        coding = (self.headers.get("Content-Encoding") or "identity").strip().lower()
        if coding != "identity":
            raise _Refusal(415, f"compressed SPARQL requests ({coding}) are not accepted")
        if length is not None and length > MAX_SPARQL_BYTES:
            raise _Refusal(413, f"SPARQL requests are limited to {MAX_SPARQL_BYTES} bytes")
        if length is not None:
            body = self._read(length)
            self._unread = 0
            if len(body) < length:
                raise _Refusal(400, "the request body ended early")
            return body
        pieces, size = [], 0
        for piece in self._chunks():
            size += len(piece)
            if size > MAX_SPARQL_BYTES:
                raise _Refusal(413, f"SPARQL requests are limited to {MAX_SPARQL_BYTES} bytes")
            pieces.append(piece)
        return b"".join(pieces)

    def _chunks(self) -> Iterator[bytes]:
        """The pieces of a chunked request body."""
        while True:
            line = self._readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise _Refusal(400, "bad chunked request body") from None
            if size == 0:
                while self._readline(8192).strip():  # trailers
                    pass
                self._unread = 0
                return
            while size > 0:
                piece = self._read(min(size, CHUNK))
                if not piece:
                    raise _Refusal(400, "the request body ended early")
                size -= len(piece)
                yield piece
            self._readline(8)

    def _read(self, size: int) -> bytes:
        try:
            return self.rfile.read(size)
        except OSError as failed:
            raise _ClientGone(str(failed)) from None

    def _readline(self, size: int) -> bytes:
        try:
            return self.rfile.readline(size)
        except OSError as failed:
            raise _ClientGone(str(failed)) from None

    # --- to the child and back -----------------------------------------------------------------

    def _forward(self, body: bytes | None, length: int | None, *, deadline: float | None) -> None:
        supervisor = self.server.supervisor
        assert supervisor is not None
        for attempt in range(2):
            target = supervisor.current(wait=RESTART_WAIT)
            if target is None:
                raise _Refusal(503, "the SPARQL server is restarting; retry shortly", retry_after=2)
            port, generation = target
            upstream = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_SECONDS)
            try:
                try:
                    self._send(upstream, body, length)
                except ConnectionRefusedError as refused:
                    # the child died just before: nothing reached it, so (if the body can be
                    # sent again) try its successor rather than blame this request
                    if attempt == 0 and (body is not None or length == 0):
                        supervisor.death(generation, wait=5.0)
                        continue
                    raise self._child_failed(generation, refused) from None
                except (OSError, http.client.HTTPException) as failed:
                    # the child may have answered without reading the whole body (a write to
                    # a read-only server): that answer, if there is one, is the one to give
                    sock = upstream.sock
                    answer = _early_answer(upstream)
                    if answer is None:
                        raise self._child_failed(generation, failed) from None
                else:
                    sock = upstream.sock  # kept: http.client lets go of it once the answer closes
                    try:
                        _wait(sock, deadline)
                        answer = upstream.getresponse()
                    except TimeoutError as failed:
                        if deadline is None:
                            raise self._child_failed(generation, failed) from None
                        raise self._overrun(generation) from None
                    except (OSError, http.client.HTTPException) as failed:
                        raise self._child_failed(generation, failed) from None
                self._relay(answer, sock, generation, deadline)
                return
            finally:
                upstream.close()

    def _send(
        self, upstream: http.client.HTTPConnection, body: bytes | None, length: int | None
    ) -> None:
        connection_tokens = {
            token.strip().lower() for token in (self.headers.get("Connection") or "").split(",")
        }
        target = self._target or self.path
        upstream.putrequest(self.command, target, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            lower = name.lower()
            if lower not in HOP_BY_HOP and lower not in connection_tokens:
                try:  # Host too: Oxigraph's base IRI stays ours
                    upstream.putheader(name, value)
                except ValueError:  # a folded or otherwise unsendable header
                    raise _Refusal(400, f"bad {name} header") from None
        if body is not None:
            upstream.putheader("Content-Length", str(len(body)))
            upstream.endheaders(body)
            return
        if length is None:
            upstream.putheader("Transfer-Encoding", "chunked")
            upstream.endheaders()
            for piece in self._chunks():
                upstream.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            upstream.send(b"0\r\n\r\n")
            return
        if length or self.command in ("POST", "PUT", "PATCH"):
            upstream.putheader("Content-Length", str(length))
        upstream.endheaders()
        left = length
        while left > 0:
            piece = self._read(min(left, CHUNK))
            if not piece:
                raise _Refusal(400, "the request body ended early")
            left -= len(piece)
            upstream.send(piece)
        self._unread = 0

    def _relay(
        self,
        answer: http.client.HTTPResponse,
        sock: socket.socket | None,
        generation: int,
        deadline: float | None,
    ) -> None:
        """Stream the child's answer to the client; past the deadline, cut it and restart."""
        self.send_response_only(answer.status, answer.reason)
        connection_tokens = {
            token.strip().lower() for token in (answer.getheader("Connection") or "").split(",")
        }
        for name, value in answer.getheaders():
            lower = name.lower()
            if lower not in HOP_BY_HOP - {"content-length"} and lower not in connection_tokens:
                self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        while True:
            try:
                _wait(sock, deadline)
                piece = answer.read1(CHUNK)
            except TimeoutError:
                self._overrun(generation)
                return  # the client sees the answer cut short
            except (OSError, http.client.HTTPException):
                return  # the child died mid-answer: the supervisor restarts it
            if not piece:
                return
            self.wfile.write(piece)

    # --- when the child does not answer -------------------------------------------------------

    def _overrun(self, generation: int) -> _Refusal:
        limits = self.server.limits
        assert self.server.supervisor is not None
        self.server.supervisor.restart(
            generation,
            f"a query ran past --timeout {limits.timeout:g} s + {DEADLINE_GRACE:g} s",
        )
        return _Refusal(
            503,
            f"the query ran past the server's time limit of {limits.timeout:g} s and was "
            "stopped; the operator can raise it with --timeout",
        )

    def _child_failed(self, generation: int, failed: BaseException) -> _Refusal:
        assert self.server.supervisor is not None
        death = self.server.supervisor.death(generation, wait=5.0)
        limits = self.server.limits
        if death is None:
            return _Refusal(502, f"the SPARQL server did not answer: {failed}")
        if death.kind == "memory":
            return _Refusal(
                503,
                f"the query exceeded the server's memory limit of {limits.memory_limit_mb} MB; "
                "the operator can raise it with --memory-limit",
            )
        if death.kind == "overrun":
            return _Refusal(
                503,
                "the SPARQL server was restarted while answering (another query ran past "
                "--timeout); retry",
                retry_after=2,
            )
        if death.kind == "stopped":
            return _Refusal(503, "the server is stopping")
        return _Refusal(
            503,
            f"the SPARQL server stopped while answering ({death.detail}) and was restarted; retry",
            retry_after=2,
        )


def _early_answer(upstream: http.client.HTTPConnection) -> http.client.HTTPResponse | None:
    """The answer the child sent before it stopped reading the request, if it can be read."""
    if upstream.sock is None:
        return None
    try:
        upstream.sock.settimeout(2)
        return upstream.getresponse()
    except (OSError, http.client.HTTPException):
        return None


def _wait(sock: socket.socket | None, deadline: float | None) -> None:
    """Make the next read from the child give up at ``deadline``; without one, wait as long as
    it takes (a Graph Store upload or an update is not bounded in time, only in memory)."""
    if sock is None:
        return
    if deadline is None:
        sock.settimeout(None)
        return
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError
    sock.settimeout(left)
