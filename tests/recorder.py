"""A SPARQL endpoint stand-in on 127.0.0.1 that records every request it gets.

Why: the tests of federated queries must show that a server was, or was not, called; this one
answers any GET or POST with one result row (``x`` = ``"from the recorder"``) and keeps
``"METHOD /path?query"`` of each call in ``calls``.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

ROW_VALUE = "from the recorder"


class Recorder(http.server.ThreadingHTTPServer):
    """The server; ``calls`` lists what it was asked, in order."""

    calls: list[str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Answer(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        assert isinstance(self.server, Recorder)
        self.server.calls.append(f"{self.command} {self.path}")
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        row = {"x": {"type": "literal", "value": ROW_VALUE}}
        body = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [row]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *_args: object) -> None:
        pass


@contextmanager
def recording() -> Iterator[Recorder]:
    """A running recorder on a free port of 127.0.0.1, shut down afterwards."""
    server = Recorder(("127.0.0.1", 0), _Answer)
    server.calls = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
