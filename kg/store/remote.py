"""Talk to a remote SPARQL 1.1 store: load the graphs into it, and ask it the catalogue's queries.

Why: users load this graph into the store they already run (Oxigraph, Virtuoso, Fuseki, GraphDB)
and query it there. Loading uses the SPARQL 1.1 Graph Store Protocol (PUT replaces a graph, POST
adds to it; https://www.w3.org/TR/sparql11-http-rdf-update/), never one giant ``INSERT DATA``,
and it is built so that an interrupted load loses nothing:

1. each graph is sent in bounded chunks to a *staging* graph (``urn:narcokg:staging:<graph>``,
   outside the ``.../graph/`` namespace the queries look at): the first chunk with PUT, which
   throws away whatever an earlier, interrupted run left there, the others with POST;
2. the staging graph's triple count is checked against the local graph;
3. one SPARQL 1.1 Update ``MOVE <staging> TO <graph>`` replaces the graph (one request, so one
   transaction on stores whose updates are transactional, as Oxigraph's and Virtuoso's are);
4. after every graph is in place its count is checked again against the local store.

A load killed at any point therefore leaves each target graph either as it was or fully
replaced, and running it again converges on exactly the local data. A chunk never splits the
triples that share a blank node (a blank node label is scoped to one request body).

Queries go through SPARQLWrapper. Remote stores cannot take pyoxigraph substitutions, and
string templating would let a value rewrite the query, so a parameter is either applied to the
answer's rows (the default; see ``run_remote_query`` for why) or bound by ``VALUES`` clauses
built from escaped RDF term syntax (``sparql_string``), where the query marks its parameters.

Every HTTP request (connect, send, the whole answer, and the auth probe or retry it needs) runs
under one deadline of ``Endpoint.timeout`` seconds (``--timeout``): a socket timeout alone
bounds each read, and a server sending a byte a second would hold the load for ever. At the
deadline the request's connections are shut down and a :class:`RemoteError` is raised; an
answer cut short by the deadline is never taken as complete, so a graph is moved in only after
each of its chunks and its count came back whole. A MOVE whose answer misses the deadline may
still be carried out by the server, which leaves that graph fully replaced: the guarantee above
holds, and the load still ends with exit 2.

The password is read by the caller (the CLI reads ``NARCOKG_PASSWORD``) and is never put in a
URL. HTTP errors are reported as one line naming the URL without any user-info, and every
message built from what a server or an exception said goes through :class:`Redactor`, which
replaces the credentials in any form (raw, ``user:password``, its base64 standard or URL-safe
with or without padding, percent-, HTML- or JSON-escaped, the Authorization values sent, any
``Basic``/``Digest`` credentials and URL user-info) by ``[redacted]``. Loopback URLs bypass
any HTTP proxy configured in the environment; other URLs honour it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import html
import http.client
import json
import math
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.errors import InputError, KgError
from kg.queries.binding import bind_marked, sparql_string
from kg.queries.catalogue import Query, resolve
from kg.queries.tables import Table

if TYPE_CHECKING:
    from http.client import HTTPResponse

    from SPARQLWrapper import SPARQLWrapper

Progress = Callable[[str], None]

DEFAULT_CHUNK_TRIPLES = 20_000
DEFAULT_TIMEOUT = 60.0
STAGING_PREFIX = "urn:narcokg:staging:"
REDACTED = "[redacted]"
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class RemoteError(KgError):
    """The remote store refused, failed, timed out or could not be reached (exit 2)."""

    exit_code = 2


class LoadMismatchError(KgError):
    """The remote store holds a different number of triples than the local store (exit 1).

    Exit 1 ("the data does not conform") rather than 2: the server answered every request, but
    what it holds differs from what was sent, so re-running will not help by itself.
    """

    exit_code = 1


@dataclass(frozen=True)
class Endpoint:
    """Where a remote store answers: SPARQL query, SPARQL update and Graph Store URLs."""

    query: str
    update: str
    graph_store: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_options(
        cls,
        query: str,
        *,
        update: str | None = None,
        graph_store: str | None = None,
        user: str | None = None,
        password: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Endpoint:
        """Check the URLs; ``update`` and ``graph_store`` default to the query URL.

        The defaults fit servers that answer all three at one address (Fuseki's dataset URL);
        Oxigraph, Virtuoso and GraphDB use separate paths (see the README).
        """
        urls = {"--endpoint": query, "--update": update, "--graph-store": graph_store}
        for option, url in urls.items():
            if url is None:
                continue
            try:
                parts = urllib.parse.urlsplit(url)
                _ = parts.port  # raises on a port that is not a number
                usable = parts.scheme in ("http", "https") and bool(parts.hostname)
            except ValueError:  # an unbalanced IPv6 bracket, a port that is not a number
                usable = False
            if not usable:
                raise InputError(None, f"{option} {_redact(url)!r}: expected an http(s) URL")
            if parts.username or parts.password:
                raise InputError(
                    None,
                    f"{option}: put no credentials in the URL; use --user and NARCOKG_PASSWORD",
                )
        if not math.isfinite(timeout) or timeout <= 0:
            raise InputError(None, "--timeout must be a positive number of seconds")
        return cls(
            query=query,
            update=update or query,
            graph_store=graph_store or query,
            user=user,
            password=password,
            timeout=timeout,
        )


@dataclass(frozen=True)
class GraphLoad:
    """One graph pushed to the remote store."""

    graph: str
    triples: int
    chunks: int
    remote_triples: int


# --- HTTP ---------------------------------------------------------------------------------------


def _redact(url: str) -> str:
    """``url`` without user-info (``http://u:p@h/`` → ``http://h/``)."""
    try:
        parts = urllib.parse.urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:  # an unparsable port or IPv6 host: drop everything up to the last @
        scheme, sep, rest = url.partition("://")
        return f"{scheme}{sep}{REDACTED}@{rest.rsplit('@', 1)[-1]}" if "@" in rest else url
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


# user-info in any URL a server names (``scheme://user:pw@host``)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#\s@]+@")
# the value of an (echoed) Authorization header, to the end of its line: a Digest value holds
# commas and quotes, so nothing shorter is sure to cover it
_AUTH_HEADER = re.compile(r"(?im)(\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*)\S.*$")
_BASIC = re.compile(r"(?i)\b(basic\s+)([A-Za-z0-9+/_\-]{4,}={0,2})")
_DIGEST = re.compile(r"(?im)\b(digest\s+)([\w-]+\s*=.*)$")


def _secret_forms(user: str | None, password: str | None) -> set[str]:
    """Every form in which a server could hand the credentials back to us.

    A server that echoes the request (in an error page, a reason phrase, a debug dump) shows
    them as the Basic token (base64 of ``user:password``, standard or URL-safe, with or without
    padding), percent-encoded (a URL or form it rebuilt), HTML- or JSON-escaped, or raw.
    """
    if not password:
        return set()
    forms: set[str] = set()
    texts = [password] + ([f"{user}:{password}"] if user is not None else [])
    for text in texts:
        forms |= {
            text,
            urllib.parse.quote(text, safe=""),
            urllib.parse.quote(text),
            urllib.parse.quote_plus(text),
            html.escape(text),
            html.escape(text, quote=False),
            json.dumps(text)[1:-1],
            json.dumps(text, ensure_ascii=False)[1:-1],
        }
        encoded = [text.encode("utf-8")]
        with contextlib.suppress(UnicodeEncodeError):  # what a Latin-1 client would send
            encoded.append(text.encode("latin-1"))
        for raw in encoded:
            for token in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
                forms |= {token.decode(), token.decode().rstrip("=")}
    return {f for f in forms if f}


def _basic_token(match: re.Match[str]) -> str:
    """Redact ``Basic <token>`` when the token decodes to ``user:password`` (it holds a colon),
    and leave prose such as "Basic authentication required" readable."""
    token = match.group(2).rstrip("=").replace("-", "+").replace("_", "/")
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
    except (binascii.Error, ValueError):
        return match.group(0)
    return match.group(1) + REDACTED if b":" in decoded else match.group(0)


@dataclass(frozen=True)
class Redactor:
    """Takes the credentials out of any text that reaches a message.

    Why: a server's answer is not ours to trust; one that echoes the request puts the password
    (in some encoding) into the error body or the reason phrase we print. Every message built
    from server text, exception strings or URLs goes through this before it is raised.
    ``extra`` holds the Authorization values actually sent (a Digest answer is a hash of the
    password, and only the sender knows what it was).
    """

    user: str | None
    password: str | None = field(default=None, repr=False)
    extra: tuple[str, ...] = field(default=(), repr=False)

    def __call__(self, text: str) -> str:
        forms = _secret_forms(self.user, self.password) | {e for e in self.extra if e}
        if forms:
            # longest first, so that "user:password" goes whole rather than around "password";
            # percent-escapes may come back in either case (%2F, %2f)
            alternatives = [
                f"(?i:{re.escape(f)})" if "%" in f else re.escape(f)
                for f in sorted(forms, key=len, reverse=True)
            ]
            text = re.sub("|".join(alternatives), REDACTED, text)
        text = _AUTH_HEADER.sub(lambda m: m.group(1) + REDACTED, text)
        text = _DIGEST.sub(lambda m: m.group(1) + REDACTED, text)
        text = _BASIC.sub(_basic_token, text)
        return _USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", text)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by its user
        sock.shutdown(socket.SHUT_RDWR)


class _Exchange:
    """One logical HTTP request under a deadline: connect, send and the whole answer.

    Why: a socket timeout bounds each read, so a server sending one byte a second holds a
    request forever. Every connection the request opens (the auth probe, an auth retry, a
    redirect) is registered here; when ``seconds`` have passed since the start a timer shuts
    them down, which makes any blocked send or receive return at once. The caller must then
    check :attr:`expired`: a shut-down connection can look like a short, complete answer.

    It also records the Authorization values sent, so that an echo of them is redacted.
    """

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.seconds = endpoint.timeout
        self.expired = False
        self.sent_authorization: list[str] = []
        self._end = 0.0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer: threading.Timer | None = None

    def __enter__(self) -> _Exchange:
        self._end = time.monotonic() + self.seconds
        self._timer = threading.Timer(self.seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            sock.close()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    def connect(
        self, address: tuple[str, int], timeout: object = None, *args: Any
    ) -> socket.socket:
        """``socket.create_connection`` within what is left of the deadline; the socket is
        watched (through a duplicate descriptor, which stays valid when TLS wraps the socket)."""
        remaining = self._end - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline passed")
        if isinstance(timeout, (int, float)):
            remaining = min(remaining, float(timeout))
        sock = socket.create_connection(address, remaining, *args)
        try:
            watched = sock.dup()
        except OSError:
            sock.close()
            raise
        with self._lock:
            self._sockets.append(watched)
            if self.expired:
                _shut(watched)
        return sock

    def redactor(self) -> Redactor:
        """A :class:`Redactor` for the endpoint's credentials and the headers sent so far."""
        extra: list[str] = []
        for value in self.sent_authorization:
            extra += [value, value.partition(" ")[2]]
            extra += re.findall(r'(?i)\b(?:response|cnonce)="?([^",\s]+)', value)
        return Redactor(self.endpoint.user, self.endpoint.password, tuple(extra))

    def failure(self, url: str, action: str, exc: BaseException) -> RemoteError:
        """The one-line error for ``exc``, the deadline's if it has passed, redacted."""
        problem = f"{action} failed: {_describe(exc, self)}"
        if self.expired:
            problem = f"{action} failed: {self.deadline_message()}"
        redact = self.redactor()
        return RemoteError(redact(_redact(url)), redact(problem))

    def deadline_message(self) -> str:
        return (
            f"no answer within {self.seconds:g} s (--timeout: the deadline for each request, "
            "covering connect, send and the whole answer)"
        )

    def check(self, url: str, action: str) -> None:
        """Refuse an answer that completed only because the deadline cut the connection."""
        if self.expired:
            raise self.failure(url, action, TimeoutError())


class _Watched(http.client.HTTPConnection):
    """An HTTP connection that connects through an :class:`_Exchange` and reports the
    Authorization header it sends."""

    def __init__(self, host: str, *, exchange: _Exchange, **kwargs: Any) -> None:
        super().__init__(host, **kwargs)
        self._exchange = exchange
        self._create_connection = exchange.connect

    def putheader(self, header: str | bytes, *values: Any) -> None:
        name = header.decode("latin-1") if isinstance(header, bytes) else header
        if name.lower() in ("authorization", "proxy-authorization"):
            for v in values:
                text = v.decode("latin-1") if isinstance(v, bytes) else str(v)
                self._exchange.sent_authorization.append(text)
        super().putheader(header, *values)


class _WatchedTLS(_Watched, http.client.HTTPSConnection):
    """The HTTPS twin of :class:`_Watched` (TLS wraps the socket the exchange connected)."""


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, exchange: _Exchange) -> None:
        super().__init__()
        self._exchange = exchange

    def do_open(self, http_class: Any, req: urllib.request.Request, **kwargs: Any) -> Any:
        return super().do_open(functools.partial(_Watched, exchange=self._exchange), req, **kwargs)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, exchange: _Exchange) -> None:
        super().__init__()
        self._exchange = exchange

    def do_open(self, http_class: Any, req: urllib.request.Request, **kwargs: Any) -> Any:
        watched = functools.partial(_WatchedTLS, exchange=self._exchange)
        return super().do_open(watched, req, **kwargs)


def _opener(endpoint: Endpoint, url: str, exchange: _Exchange) -> urllib.request.OpenerDirector:
    """An opener under ``exchange``'s deadline with the endpoint's credentials (Digest or
    Basic, as the server asks)."""
    handlers: list[urllib.request.BaseHandler] = [_HTTPHandler(exchange), _HTTPSHandler(exchange)]
    if _is_loopback(url):
        handlers.append(urllib.request.ProxyHandler({}))
    if endpoint.user is not None and endpoint.password is not None:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        for u in {endpoint.query, endpoint.update, endpoint.graph_store}:
            passwords.add_password(None, u, endpoint.user, endpoint.password)
        # Digest runs first (handler_order 490) and lets a Basic challenge through to Basic.
        handlers.append(urllib.request.HTTPDigestAuthHandler(passwords))
        handlers.append(urllib.request.HTTPBasicAuthHandler(passwords))
    return urllib.request.build_opener(*handlers)


_MAX_ERROR_BODY = 64 * 1024


def _server_said(body: bytes, redact: Redactor) -> str:
    """The first non-empty line of an error body, short, redacted.

    Redacted whole before the line is picked and cut, so that a cut cannot leave part of a
    secret that no longer matches.
    """
    text = redact(body.decode("utf-8", "replace"))
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if len(line) > 160:
        line = line[:157] + "..."
    return line


# What a status most often means when loading, said beside it: a 403 is not always the
# password (a read-only server answers it to everybody), and a 404/405 on a write usually means
# the URL given is the query endpoint, which --update and --graph-store default to.
_HINTS = {
    401: " (check --user and NARCOKG_PASSWORD)",
    403: " (the server refuses this request: it may be read-only, or this user may not write)",
    404: " (is this the server's Graph Store or update URL? pass --graph-store and --update;"
    " Oxigraph: .../store and .../update)",
    405: " (this URL does not take this request: pass --graph-store and --update;"
    " Oxigraph: .../store and .../update)",
    501: " (this URL does not take this request: pass --graph-store and --update;"
    " Oxigraph: .../store and .../update)",
}


def _describe(exc: BaseException, exchange: _Exchange) -> str:
    """One line for a transport failure (redacted again by the caller as a whole)."""
    redact = exchange.redactor()
    if isinstance(exc, urllib.error.HTTPError):
        try:
            body = exc.read(_MAX_ERROR_BODY)
        except (OSError, http.client.HTTPException):
            body = b""
        said = _server_said(body, redact)
        hint = _HINTS.get(exc.code, "")
        return f"HTTP {exc.code} {redact(str(exc.reason))}{hint}" + (f": {said}" if said else "")
    if isinstance(exc, urllib.error.URLError):
        cause = exc.reason
        if isinstance(cause, (TimeoutError, socket.timeout)):
            return exchange.deadline_message()
        return f"cannot connect: {redact(str(getattr(cause, 'strerror', None) or cause))}"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return exchange.deadline_message()
    if isinstance(exc, (ConnectionError, http.client.HTTPException)):
        return f"connection lost: {redact(type(exc).__name__ + ' ' + str(exc)).strip()}"
    return redact(f"{type(exc).__name__}: {exc}")


_TRANSPORT_ERRORS = (urllib.error.URLError, OSError, http.client.HTTPException, ValueError)


def _request(
    endpoint: Endpoint,
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    content_type: str | None = None,
    accept: str | None = None,
) -> bytes:
    """One HTTP request under the endpoint's deadline; any failure, the deadline passing
    included, becomes a :class:`RemoteError` naming the URL, never a partial answer."""
    request = urllib.request.Request(url, data=body, method=method)
    if content_type:
        request.add_header("Content-Type", content_type)
    if accept:
        request.add_header("Accept", accept)
    with _Exchange(endpoint) as exchange:
        try:
            if body and endpoint.user is not None and endpoint.password is not None:
                _authorize_ahead(endpoint, request, exchange)
            with _opener(endpoint, url, exchange).open(request, timeout=endpoint.timeout) as r:
                data: bytes = r.read()
        except _TRANSPORT_ERRORS as exc:
            raise exchange.failure(url, method, exc) from None
        exchange.check(url, method)
    return data


def _authorize_ahead(
    endpoint: Endpoint, request: urllib.request.Request, exchange: _Exchange
) -> None:
    """Answer the server's auth challenge before sending a large body.

    urllib sends a request without credentials first and answers the 401; a server that
    replies 401 while a multi-megabyte body is still being sent closes the connection
    (Virtuoso does), and the client sees a broken pipe. So a body-less GET fetches the
    challenge and the real request carries its answer from the start. The probe counts
    against the same deadline as the request it prepares.
    """
    probe = urllib.request.Request(request.full_url, method="GET")
    opener = urllib.request.build_opener(
        _HTTPHandler(exchange),
        _HTTPSHandler(exchange),
        *([urllib.request.ProxyHandler({})] if _is_loopback(request.full_url) else []),
    )
    try:
        with opener.open(probe, timeout=endpoint.timeout):
            return  # no challenge: nothing to answer
    except urllib.error.HTTPError as exc:
        if exc.code != 401:
            return
        challenge = exc.headers.get("WWW-Authenticate", "")
    scheme, _, rest = challenge.partition(" ")
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, request.full_url, endpoint.user or "", endpoint.password or "")
    if scheme.lower() == "digest":
        digest = urllib.request.HTTPDigestAuthHandler(passwords)
        chal = urllib.request.parse_keqv_list(urllib.request.parse_http_list(rest))
        answer = digest.get_authorization(request, chal)
        if answer:
            request.add_unredirected_header("Authorization", f"Digest {answer}")
    elif scheme.lower() == "basic":
        token = base64.b64encode(f"{endpoint.user}:{endpoint.password}".encode()).decode()
        request.add_unredirected_header("Authorization", f"Basic {token}")


def _is_loopback(url: str) -> bool:
    return urllib.parse.urlsplit(url).hostname in _LOOPBACK


def _graph_url(endpoint: Endpoint, graph: str) -> str:
    """The Graph Store Protocol address of a named graph (indirect identification, ?graph=)."""
    sep = "&" if urllib.parse.urlsplit(endpoint.graph_store).query else "?"
    return f"{endpoint.graph_store}{sep}{urllib.parse.urlencode({'graph': graph})}"


def update(endpoint: Endpoint, text: str) -> None:
    """Run one SPARQL 1.1 Update request (POST, ``application/sparql-update``)."""
    _request(
        endpoint,
        "POST",
        endpoint.update,
        body=text.encode("utf-8"),
        content_type="application/sparql-update; charset=utf-8",
    )


# --- SPARQL terms and queries ------------------------------------------------------------------


def iri_ref(iri: str) -> str:
    """``<iri>``, refusing characters an IRIREF cannot hold (SPARQL 1.1 §19.8, [139])."""
    if any(c in '<>"{}|^`\\' or ord(c) <= 0x20 for c in iri):
        raise InputError(None, f"not an IRI: {iri!r}")
    return f"<{iri}>"


def bind_values(query: Query, params: Mapping[str, str]) -> str:
    """The query's text with ``params`` bound as escaped string literals in ``VALUES`` clauses.

    A parameter the query marks (``# @bind ?release``, see :mod:`kg.queries.binding`) is bound
    there, as the embedded store binds it. An unmarked one goes into a trailing VALUES block
    (SPARQL 1.1 §10.2.2), joined with the solutions after grouping and before projection, so it
    restricts a parameter only if that variable is projected; the catalogue's parameters are
    always result columns (checked here), which makes the result the same as pre-binding it.
    """
    for name in params:
        if name not in query.returns:
            raise InputError(query.path, f"parameter {name} is not a result column; cannot bind")
    text, unmarked = bind_marked(query, params)
    if not unmarked:
        return text
    names = sorted(unmarked)
    variables = " ".join(f"?{n}" for n in names)
    values = " ".join(sparql_string(unmarked[n]) for n in names)
    return f"{text.rstrip()}\nVALUES ({variables}) {{ ({values}) }}\n"


def _wrapper(endpoint: Endpoint, exchange: _Exchange) -> SPARQLWrapper:
    """A SPARQLWrapper whose transport is our opener (credentials, proxy rule, deadline).

    SPARQLWrapper would otherwise install a process-wide urllib opener for Digest auth.
    """
    from SPARQLWrapper import JSON, POST, SPARQLWrapper

    class _Wrapper(SPARQLWrapper):
        def _query(self) -> tuple[HTTPResponse, str]:
            request = self._createRequest()
            opener = _opener(endpoint, endpoint.query, exchange)
            response: HTTPResponse = opener.open(request, timeout=endpoint.timeout)
            return response, self.returnFormat

    sparql = _Wrapper(endpoint.query, agent="narcotics-kg")
    sparql.setReturnFormat(JSON)
    sparql.setMethod(POST)
    return sparql


def _cell(binding: Mapping[str, str] | None) -> str:
    """The lexical form of a SPARQL JSON results term, as kg.queries.run renders local ones."""
    if binding is None:
        return ""
    if binding.get("type") == "bnode":
        return f"_:{binding['value']}"
    return binding.get("value", "")


def select(endpoint: Endpoint, text: str, *, where: str = "") -> Table:
    """Run a SELECT query remotely and return it as a :class:`Table` of lexical forms."""
    from SPARQLWrapper import SELECT

    action = f"query {where}"
    with _Exchange(endpoint) as exchange:
        sparql = _wrapper(endpoint, exchange)
        sparql.setQuery(text)
        # SPARQLWrapper guesses the query form from keywords and can take a word of a comment
        # ("add them up") for an update; the catalogue holds only SELECT queries.
        sparql.queryType = SELECT
        try:
            result = sparql.query()
            raw = result.response.read()
        except _TRANSPORT_ERRORS as exc:
            raise exchange.failure(endpoint.query, action, exc) from None
        exchange.check(endpoint.query, action)
        redact = exchange.redactor()
    try:
        data = json.loads(raw.decode("utf-8"))
        columns = tuple(data["head"]["vars"])
        rows = tuple(tuple(_cell(b.get(c)) for c in columns) for b in data["results"]["bindings"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        problem = f"{action} answered no SPARQL JSON results: {exc}"
        raise RemoteError(redact(_redact(endpoint.query)), redact(problem)) from None
    return Table(columns=columns, rows=rows)


BINDINGS = ("client", "values")


def run_remote_query(
    endpoint: Endpoint,
    name: str,
    params: Mapping[str, str] | None = None,
    *,
    queries: Mapping[str, Query] | None = None,
    binding: str = "client",
) -> Table:
    """Run the catalogue query ``name`` on a remote endpoint; the remote twin of ``run_query``.

    ``binding`` says how parameters are bound. ``"client"`` (the default) runs the query unbound
    and keeps the rows whose parameter column equals the value: no parameter text ever reaches
    the server, and the answer is the embedded store's, because every catalogue parameter is a
    result column that the query always binds (``bind_values`` checks it). ``"values"`` puts
    escaped ``VALUES`` clauses where the query marks its parameters (``# @bind``, see
    :mod:`kg.queries.binding`; a trailing clause for unmarked ones) so that the server does the
    selecting, early; it is standard SPARQL and right on Oxigraph (tested), and the only fast
    choice for per-release questions on a big remote store, but Virtuoso 7.2 evaluates it
    wrongly on figures.rq (rows of another release with a trailing VALUES, a row lost when the
    binding is put inside the WHERE clause or in a FILTER), hence not the default.
    """
    query, given = resolve(name, params, queries)
    if binding not in BINDINGS:
        raise InputError(None, f"unknown binding {binding!r}; expected one of {BINDINGS}")
    text = bind_values(query, given)  # also checks that each parameter is a result column
    if binding == "values":
        return select(endpoint, text, where=name)
    table = select(endpoint, query.text, where=name)
    for column, value in given.items():
        if column not in table.columns:
            raise RemoteError(_redact(endpoint.query), f"{name}: no column {column} in the answer")
        i = table.columns.index(column)
        table = Table(table.columns, tuple(row for row in table.rows if row[i] == value))
    return table


def count_triples(endpoint: Endpoint, graph: str) -> int:
    """Triples in one named graph of the remote store (a COUNT query)."""
    table = select(
        endpoint,
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {iri_ref(graph)} {{ ?s ?p ?o }} }}",
        where=f"count of {graph}",
    )
    try:
        return int(table.rows[0][0])
    except (IndexError, ValueError):
        raise RemoteError(_redact(endpoint.query), f"count of {graph}: no number") from None


# --- loading -------------------------------------------------------------------------------------


def staging_graph(graph: str) -> str:
    """Where ``graph`` is assembled before it replaces the real one.

    Deterministic, so a re-run overwrites what an interrupted run left; outside the project's
    graph namespace, so the catalogue's queries never see a half-loaded graph.
    """
    return STAGING_PREFIX + graph


def _units(store: ox.Store, graph: str) -> list[list[ox.Triple]]:
    """The graph's triples grouped so that triples sharing a blank node stay together."""
    parent: dict[str, str] = {}

    def find(b: str) -> str:
        while parent.setdefault(b, b) != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        return b

    plain: list[list[ox.Triple]] = []
    linked: list[tuple[str, ox.Triple]] = []
    for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
        blanks = [t.value for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)]
        if not blanks:
            plain.append([quad.triple])
            continue
        for other in blanks[1:]:
            parent[find(other)] = find(blanks[0])
        linked.append((blanks[0], quad.triple))
    groups: dict[str, list[ox.Triple]] = {}
    for blank, triple in linked:
        groups.setdefault(find(blank), []).append(triple)
    return plain + list(groups.values())


def chunks(store: ox.Store, graph: str, size: int) -> Iterator[tuple[int, bytes]]:
    """N-Triples bodies of at most ``size`` triples each (more only for one blank-node group)."""
    if size < 1:
        raise InputError(None, "--chunk-size must be at least 1")
    batch: list[ox.Triple] = []
    for unit in _units(store, graph):
        if batch and len(batch) + len(unit) > size:
            yield len(batch), ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES) or b""
            batch = []
        batch.extend(unit)
    if batch:
        yield len(batch), ox.serialize(batch, format=ox.RdfFormat.N_TRIPLES) or b""


def _quiet(_: str) -> None:
    return None


def load_graph(
    store: ox.Store,
    endpoint: Endpoint,
    graph: str,
    *,
    chunk_triples: int = DEFAULT_CHUNK_TRIPLES,
    progress: Progress = _quiet,
) -> GraphLoad:
    """Replace ``graph`` on the remote store by the local one (staged, then one MOVE)."""
    local = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
    staging = staging_graph(graph)
    url = _graph_url(endpoint, staging)
    sent = 0
    n_chunks = 0
    for n, body in chunks(store, graph, chunk_triples):
        # N-Triples is a subset of Turtle, the one syntax every Graph Store must accept.
        _request(
            endpoint,
            "PUT" if n_chunks == 0 else "POST",
            url,
            body=body,
            content_type="text/turtle; charset=utf-8",
        )
        sent += n
        n_chunks += 1
        progress(f"{graph}: sent {sent}/{local} triples ({n_chunks} chunks)")
    staged = count_triples(endpoint, staging)
    if staged != local:
        raise LoadMismatchError(
            _redact(endpoint.graph_store),
            f"{graph}: staged {staged} triples but sent {local}; the graph was left as it was",
        )
    update(endpoint, f"MOVE {iri_ref(staging)} TO {iri_ref(graph)}")
    progress(f"{graph}: replaced ({local} triples)")
    return GraphLoad(graph=graph, triples=local, chunks=n_chunks, remote_triples=staged)


def graphs_to_load(store: ox.Store) -> list[str]:
    """Every non-empty named graph of the local store: releases, corrections, vocabulary."""
    names = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    return [
        g for g in names if next(store.quads_for_pattern(None, None, None, ox.NamedNode(g)), None)
    ]


def load(
    store: ox.Store,
    endpoint: Endpoint,
    *,
    graphs: list[str] | None = None,
    chunk_triples: int = DEFAULT_CHUNK_TRIPLES,
    progress: Progress = _quiet,
) -> list[GraphLoad]:
    """Push every named graph of ``store`` to ``endpoint`` and verify the counts afterwards.

    Raises :class:`RemoteError` when the server cannot be reached or refuses a request (any
    graph not yet moved keeps its old content) and :class:`LoadMismatchError` when a graph's
    remote count differs from the local one after loading.
    """
    names = graphs if graphs is not None else graphs_to_load(store)
    if not names:
        raise InputError(None, "the local store holds no named graph; run `narcokg build` first")
    done = [
        load_graph(store, endpoint, g, chunk_triples=chunk_triples, progress=progress)
        for g in names
    ]
    checked = []
    for item in done:
        remote = count_triples(endpoint, item.graph)
        if remote != item.triples:
            raise LoadMismatchError(
                _redact(endpoint.query),
                f"{item.graph}: {remote} triples on the server, {item.triples} locally",
            )
        checked.append(GraphLoad(item.graph, item.triples, item.chunks, remote))
        progress(f"verified {item.graph}: {remote} triples")
    return checked
