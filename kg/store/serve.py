"""Serve the built store over HTTP with the Oxigraph server (the ``oxigraph`` Python package).

Why: analysts want a SPARQL endpoint and a query page without installing a triple store. The
embedded store is a RocksDB folder that only one process may open for writing, so:

* read-only (the default): the store is first copied to a *snapshot* next to it
  (``.narcokg-serve-*``; a RocksDB checkpoint, i.e. hard links, so it costs neither time nor
  space), and ``oxigraph serve-read-only`` serves the snapshot. The server rejects SPARQL
  updates and Graph Store writes, and the live store stays free: ``narcokg build`` and
  ``narcokg query`` keep working while it serves, and the server keeps answering from the data
  as it was when it started. The snapshot is deleted when the server stops.
* ``--writable``: ``oxigraph serve`` opens the store itself, so updates sent to the server are
  stored in it; while it runs, no other process (``build``, local ``query``) can open the store.

The server listens on 127.0.0.1 only. SIGINT (Ctrl-C) and SIGTERM are forwarded to it (it runs
in its own session so the terminal's Ctrl-C reaches it only through us), the child is reaped,
and the snapshot is removed before returning.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from kg.errors import InputError, KgError
from kg.store.kept_answers import answers_path

Echo = Callable[[str], None]
STARTUP_SECONDS = 30.0
STOP_SECONDS = 10.0


class ServeError(KgError):
    """The server could not be started (exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Urls:
    """The addresses a running server answers at."""

    base: str

    @property
    def query(self) -> str:
        return f"{self.base}/query"

    @property
    def update(self) -> str:
        return f"{self.base}/update"

    @property
    def graph_store(self) -> str:
        return f"{self.base}/store"

    @property
    def page(self) -> str:
        return f"{self.base}/"


def oxigraph_binary() -> str:
    """The ``oxigraph`` server command: next to this Python first, then on PATH."""
    beside = Path(sys.executable).parent / "oxigraph"
    if beside.is_file():
        return str(beside)
    found = shutil.which("oxigraph")
    if found is None:
        raise ServeError(None, "the oxigraph server is not installed; `pip install oxigraph`")
    return found


def snapshot(store_dir: Path) -> Path:
    """A consistent copy of the store next to it, for a read-only server; returns its folder.

    The store is opened read-write for the copy so that a concurrent writer (a build, a
    writable server) makes this fail clearly instead of copying a half-written state.
    """
    import pyoxigraph as ox

    if not store_dir.is_dir():
        raise InputError(store_dir, "no store here; run `narcokg build` first or pass --store")
    holder = Path(tempfile.mkdtemp(prefix=".narcokg-serve-", dir=store_dir.parent))
    target = holder / "store"
    try:
        store = ox.Store(str(store_dir))
    except OSError as exc:
        shutil.rmtree(holder, ignore_errors=True)
        raise InputError(
            store_dir, f"store is in use by another process (a build or a writable serve): {exc}"
        ) from None
    try:
        store.backup(str(target))
    except OSError as exc:
        shutil.rmtree(holder, ignore_errors=True)
        raise InputError(store_dir, f"cannot snapshot the store: {exc}") from None
    finally:
        del store
    return holder


def _answers(url: str) -> bool:
    """Whether an HTTP server answers at ``url`` (any status counts as an answer)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def serve(
    store_dir: Path,
    *,
    port: int = 7878,
    writable: bool = False,
    timeout: float = 60.0,
    echo: Echo = print,
    progress: Echo = print,
) -> int:
    """Run the Oxigraph server over ``store_dir`` until SIGINT/SIGTERM; return the exit code.

    ``echo`` receives the addresses (stdout in the CLI), ``progress`` the status lines.
    """
    if not 0 < port < 65536:
        raise InputError(None, f"--port {port}: expected 1-65535")
    if not timeout > 0:
        raise InputError(None, f"--timeout {timeout:g}: expected a positive number of seconds")
    binary = oxigraph_binary()
    holder: Path | None = None
    if writable:
        if not store_dir.is_dir():
            raise InputError(store_dir, "no store here; run `narcokg build` first or pass --store")
        location = store_dir
        command = [binary, "serve"]
        # updates through the server would leave the kept answers stale: drop them (a build
        # makes them again; until then queries run in the store)
        kept = answers_path(store_dir)
        if kept.exists():
            kept.unlink()
            progress(f"removed {kept}: a writable server could make its answers stale")
    else:
        holder = snapshot(store_dir)
        location = holder / "store"
        command = [binary, "serve-read-only"]
    urls = Urls(f"http://127.0.0.1:{port}")
    command += ["--location", str(location), "--bind", f"127.0.0.1:{port}"]
    # a pathological query gets an error after this long instead of holding the server
    command += ["--timeout-s", f"{max(1, round(timeout))}"]
    stopping: list[int] = []
    child: subprocess.Popen[bytes] | None = None

    def forward(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        child = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=sys.stderr, start_new_session=True
        )
        if stopping:  # a signal came before the child existed
            child.send_signal(stopping[0])
        deadline = time.monotonic() + STARTUP_SECONDS
        while not stopping and not _answers(urls.query):
            if child.poll() is not None:
                raise ServeError(
                    None,
                    f"oxigraph exited with code {child.returncode} before answering on port "
                    f"{port} (port in use? store locked?)",
                )
            if time.monotonic() > deadline:
                raise ServeError(None, f"oxigraph did not answer on port {port} in time")
            time.sleep(0.1)
        if not stopping:
            mode = "read-write" if writable else "read-only snapshot of"
            progress(f"serving {mode} {store_dir} (Ctrl-C stops)")
            echo(f"SPARQL endpoint: {urls.query}")
            if writable:
                echo(f"SPARQL update: {urls.update}")
                echo(f"graph store: {urls.graph_store}")
            else:
                echo(f"graph store (read-only): {urls.graph_store}")
            echo(f"query page: {urls.page}")
        code = child.wait()
        if stopping:
            progress("server stopped")
            return 0
        progress(f"oxigraph exited with code {code}")
        return 2
    finally:
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for s, handler in previous.items():
            signal.signal(s, handler)
        if holder is not None:
            shutil.rmtree(holder, ignore_errors=True)
