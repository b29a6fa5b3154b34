"""``narcokg load`` against hostile HTTP servers on 127.0.0.1: trickling answers, echoed secrets.

Why: a real store behind a flaky proxy can keep a connection alive by sending one byte at a
time (a per-read timeout never fires, so the load must use a deadline per request), and a
server that echoes the request headers in its error page would otherwise put the credentials
on the user's terminal and in CI logs. Each server here is a small socket or ``http.server``
server started by the test on a free loopback port; the command runs as a real process over a
real build of the bundled corpus.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

LOOPBACK = "127.0.0.1"
DEADLINE = 2  # --timeout of the trickle tests, seconds
TRICKLE_EVERY = 1.0  # one byte a second: a per-read timeout of DEADLINE never fires
HANG_GUARD = 60  # the process is killed (and the test fails) if it runs this long
MARKER = "[redacted]"
USER = "loader"
# '/', '+', '@', ' ', '?', '>' make the raw, percent-encoded, HTML-escaped, standard and
# URL-safe base64 forms all differ, and "user:password" is not a multiple of 3 bytes long, so
# its base64 has padding that the unpadded form drops.
PASSWORD = "s3cr/t+P@ss w?rd~>"
UNICODE_PASSWORD = "pässwörd-秘密/+?"


def _narcokg_load(
    endpoint: str, store: Path, *extra: str, password: str | None = None, timeout: float
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``narcokg load`` as a user would; returns the result and the time it ended."""
    env = dict(os.environ)
    env.pop("NARCOKG_PASSWORD", None)
    if password is not None:
        env["NARCOKG_PASSWORD"] = password
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "load",
            "--endpoint",
            endpoint,
            "--store",
            str(store),
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    return result, time.monotonic()


def _error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one ``error:`` line of a failed load (exit 2); it is the last line of stderr."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    errors = [ln for ln in lines if ln.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    return errors[0]


# --- a deadline for each request ----------------------------------------------------------------


def _read_request(conn: socket.socket) -> bytes:
    """The request head and body (Content-Length bytes); the head is returned lower-cased."""
    data = b""
    while b"\r\n\r\n" not in data:
        more = conn.recv(65536)
        if not more:
            return b""
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    length = int(match.group(1)) if match else 0
    while len(body) < length:
        more = conn.recv(65536)
        if not more:
            break
        body += more
    return head.lower()


class TrickleServer:
    """Accepts every connection, reads the request, then answers one byte a second forever.

    ``mode`` says where the trickle starts: ``status`` (inside the header block), ``body``
    (after complete headers announcing a large body) or ``query`` (Graph Store writes get a
    quick 204, SPARQL queries get a trickled body, so the load stalls at its first count).
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.listener = socket.create_server((LOOPBACK, 0))
        self.listener.settimeout(0.2)
        self.url = f"http://{LOOPBACK}:{self.listener.getsockname()[1]}/sparql"
        self.stop = threading.Event()
        self.first_trickle: float | None = None
        self.threads: list[threading.Thread] = []

    def __enter__(self) -> TrickleServer:
        self._spawn(self._accept)
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=5)
        self.listener.close()

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                head = _read_request(conn)
                if self.mode == "query" and b"content-type: text/turtle" in head:
                    conn.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                    return
                if self.mode == "status":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                else:
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                        b"Content-Length: 1000000\r\n\r\n"
                    )
                if self.first_trickle is None:
                    self.first_trickle = time.monotonic()
                while not self.stop.wait(TRICKLE_EVERY):
                    conn.sendall(b"a")
            except OSError:
                return  # the client gave up and closed the connection


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["status", "body", "query"])
def test_a_trickling_server_is_abandoned_at_the_deadline(built: Path, mode: str) -> None:
    with TrickleServer(mode) as server:
        result, ended = _narcokg_load(
            server.url, built, "--timeout", str(DEADLINE), timeout=HANG_GUARD
        )
        started = server.first_trickle
    line = _error_line(result)
    assert f"no answer within {DEADLINE} s" in line and "--timeout" in line, line
    assert server.url.split("?")[0] in line, line
    # nothing is claimed: no graph replaced, no count verified, no summary
    assert not re.search(r"replaced|verified|done", result.stderr), result.stderr
    assert result.stdout == ""
    # a hang guard, not a benchmark: the process ended soon after the deadline
    assert started is not None
    assert ended - started < 4 * DEADLINE, ended - started


# --- credentials never printed ------------------------------------------------------------------


def _b64(text: str) -> list[str]:
    raw = text.encode("utf-8")
    std = base64.b64encode(raw).decode()
    url = base64.urlsafe_b64encode(raw).decode()
    return [std, std.rstrip("="), url, url.rstrip("=")]


def _encodings(password: str) -> set[str]:
    """Every form of the password the command must never print."""
    pair = f"{USER}:{password}"
    forms = {password, pair, *_b64(pair), *_b64(password)}
    for text in (password, pair):
        forms |= {
            urllib.parse.quote(text, safe=""),
            urllib.parse.quote(text),
            urllib.parse.quote_plus(text),
            html.escape(text),
            json.dumps(text)[1:-1],
            json.dumps(text, ensure_ascii=False)[1:-1],
        }
    return forms


# What the server echoes, from the password and the Authorization header value it received.
ECHOES: dict[str, Callable[[str, str], str]] = {
    "authorization-header": lambda pw, auth: f"Authorization: {auth}",
    "base64": lambda pw, auth: _b64(f"{USER}:{pw}")[0],
    "base64-nopad": lambda pw, auth: _b64(f"{USER}:{pw}")[1],
    "base64-urlsafe": lambda pw, auth: _b64(f"{USER}:{pw}")[2],
    "base64-urlsafe-nopad": lambda pw, auth: _b64(f"{USER}:{pw}")[3],
    "password": lambda pw, auth: pw,
    "user:password": lambda pw, auth: f"{USER}:{pw}",
    "percent": lambda pw, auth: urllib.parse.quote(pw, safe=""),
    "url-userinfo": lambda pw, auth: f"see http://{USER}:{pw}@{LOOPBACK}:1/x",
    "url-userinfo-percent": lambda pw, auth: (
        f"see http://{USER}:{urllib.parse.quote(pw, safe='')}@{LOOPBACK}:1/x"
    ),
    "digest-header": lambda pw, auth: auth,
    "digest-response": lambda pw, auth: _digest_response(auth),
}


def _digest_response(auth: str) -> str:
    match = re.search(r'response="?([0-9a-fA-F]+)', auth)
    return match.group(1) if match else "(no response parameter)"


class EchoServer:
    """Challenges for credentials, then answers HTTP 500 echoing them in the reason and body.

    The challenge is Basic, or Digest for the ``digest-*`` variants; the echo goes in the
    status line's reason phrase (when it is Latin-1) and in the first line of the body.
    """

    def __init__(self, variant: str, password: str) -> None:
        self.variant = variant
        self.password = password
        self.received: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                auth = self.headers.get("Authorization")
                if auth is None:
                    self.send_response(401)
                    if owner.variant.startswith("digest"):
                        challenge = 'Digest realm="narcokg-test", nonce="abc123", qop="auth"'
                    else:
                        challenge = 'Basic realm="narcokg-test"'
                    self.send_header("WWW-Authenticate", challenge)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                owner.received.append(auth)
                echo = ECHOES[owner.variant](owner.password, auth)
                body = f"you sent {echo}\nsecond line\n".encode()
                try:
                    reason = f"Echo {echo}"
                    reason.encode("latin-1")
                except UnicodeEncodeError:
                    reason = "Internal Server Error"
                self.send_response(500, reason)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = do_POST = _answer

            def log_message(self, *_: object) -> None:
                return None

        self.httpd = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{LOOPBACK}:{self.httpd.server_address[1]}/sparql"

    def __enter__(self) -> EchoServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def _cases() -> Iterator[object]:
    for variant in ECHOES:
        yield pytest.param(variant, PASSWORD, id=variant)
    yield pytest.param("percent", UNICODE_PASSWORD, id="percent-utf8")


@pytest.mark.parametrize(("variant", "password"), list(_cases()))
def test_echoed_credentials_are_redacted(built: Path, variant: str, password: str) -> None:
    with EchoServer(variant, password) as server:
        result, _ = _narcokg_load(
            server.url, built, "--user", USER, password=password, timeout=HANG_GUARD
        )
    assert server.received, "the server never saw the credentials"
    output = result.stdout + result.stderr
    forbidden = _encodings(password) | set(server.received)
    forbidden |= {a.partition(" ")[2] for a in server.received}  # the value after the scheme
    forbidden |= {_digest_response(a) for a in server.received if a.startswith("Digest")}
    leaked = sorted(f for f in forbidden if f and f in output)
    assert not leaked, (leaked, output)
    line = _error_line(result)
    assert "HTTP 500" in line and MARKER in line, line


@pytest.mark.parametrize("seconds", ["inf", "nan"])
def test_a_deadline_must_be_a_positive_finite_number(built: Path, seconds: str) -> None:
    """``inf`` or ``nan`` would reach the socket layer (an OverflowError traceback for inf)."""
    url = f"http://{LOOPBACK}:1/sparql"  # never contacted: the option is refused first
    result, _ = _narcokg_load(url, built, "--timeout", seconds, timeout=HANG_GUARD)
    line = _error_line(result)
    assert "--timeout must be a positive number of seconds" in line, line
