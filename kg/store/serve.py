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

This module orchestrates; the parts live beside it. ``narcokg serve`` listens on the user's port
(127.0.0.1 only) with a guarding proxy (kg/store/proxy.py: Host check, federation refused unless
``--allow-service``, ``--max-queries``, a deadline past ``--timeout``), which streams requests to
the Oxigraph server running as a supervised child on a private loopback port
(kg/store/child.py: dies with us, memory capped by ``--memory-limit``, restarted when it dies).
The data lives in named graphs (one per release), so the proxy gives every query that does not
choose its own dataset (``FROM``) the union of all graphs as its default graph.

Every option is checked before anything is created, and the port is bound before the snapshot
is taken, so a bad value or a busy port is one line, exit 2, and leaves nothing behind. A
snapshot whose serve was killed (SIGKILL leaves no chance to clean up) is removed by the next
serve beside the same store: the holder folder records its owner's pid and start time, and a
folder whose owner is no longer running is stale. SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the
proxy and the child, and remove the snapshot, before returning.
"""

from __future__ import annotations

import errno
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from kg.errors import InputError
from kg.store.child import ChildCommand, ServeError, Supervisor
from kg.store.graph_versions import discard as discard_versions
from kg.store.graph_versions import versions_path
from kg.store.kept_answers import answers_path
from kg.store.proxy import Limits, Proxy

__all__ = ["ServeError", "Urls", "parse_megabytes", "serve", "snapshot"]

Echo = Callable[[str], None]
DEFAULT_MEMORY_MB = 2048
MIN_MEMORY_MB = 128  # below this the server cannot open a store and answer at all
DEFAULT_MAX_QUERIES = 4
HOLDER_PREFIX = ".narcokg-serve-"
OWNER_FILE = "owner"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


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


def parse_megabytes(text: str) -> int:
    """``--memory-limit``: ``2048``, ``2048MB``, ``300M``, ``2G``/``2GB`` (1 GB = 1024 MB) or
    ``0`` (no cap), in MB."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(m|mb|mib|g|gb|gib)?\s*", text, re.IGNORECASE)
    if not found:
        raise InputError(None, f"--memory-limit {text!r}: expected megabytes (2048, 300MB, 2GB)")
    number = float(found.group(1))
    unit = (found.group(2) or "mb").lower()
    megabytes = number * 1024 if unit.startswith("g") else number
    if not math.isfinite(megabytes) or megabytes > 1 << 30:
        raise InputError(None, f"--memory-limit {text!r}: too large")
    return round(megabytes)


def _check_options(
    port: int, timeout: float, memory_limit_mb: int, max_queries: int, allow: Collection[str]
) -> None:
    """Refuse a bad option value with one line, before anything is created."""
    if not 0 < port < 65536:
        raise InputError(None, f"--port {port}: expected 1-65535")
    if not (math.isfinite(timeout) and timeout > 0):
        raise InputError(None, f"--timeout {timeout:g}: expected a finite number of seconds > 0")
    if memory_limit_mb != 0 and memory_limit_mb < MIN_MEMORY_MB:
        raise InputError(
            None,
            f"--memory-limit {memory_limit_mb} MB: too small for the server to run; "
            f"expected 0 (no cap) or at least {MIN_MEMORY_MB} MB",
        )
    if max_queries < 1:
        raise InputError(None, f"--max-queries {max_queries}: expected 1 or more")
    for endpoint in allow:
        if not re.fullmatch(r"https?://[^\s<>\"{}|^`\\]+", endpoint):
            raise InputError(
                None,
                f"--allow-service {endpoint!r}: expected the endpoint's absolute http(s) IRI, "
                "as queries write it in SERVICE <...>",
            )


def _process_start(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot, from /proc), None if it is not
    running: with the pid it names one process even after the pid is reused."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return fields[19]


def _own(holder: Path) -> None:
    """Record this process as the owner of a snapshot holder folder."""
    pid = os.getpid()
    (holder / OWNER_FILE).write_text(f"{pid} {_process_start(pid) or '?'}\n")


def clean_stale_snapshots(parent: Path, progress: Echo) -> None:
    """Remove the snapshot folders beside the store whose serve is no longer running (killed,
    so it could not clean up); name in one line those whose owner is unknown."""
    if _process_start(os.getpid()) is None:
        return  # no /proc: owners cannot be told alive or dead, so nothing is removed
    for holder in sorted(parent.glob(f"{HOLDER_PREFIX}*")):
        if not holder.is_dir():
            continue
        try:
            pid_text, started = (holder / OWNER_FILE).read_text().split()[:2]
        except (OSError, ValueError):
            progress(
                f"note: {holder} looks like the snapshot of an earlier `narcokg serve` that "
                "does not say whose it is; delete it if no serve is running"
            )
            continue
        if not pid_text.isdigit():
            continue
        if _process_start(int(pid_text)) == started:
            continue  # its serve is still running
        shutil.rmtree(holder, ignore_errors=True)
        progress(f"removed {holder}: left by a serve (pid {pid_text}) that was killed")


def snapshot(store_dir: Path) -> Path:
    """A consistent copy of the store next to it, for a read-only server; returns its folder.

    The store is opened read-write for the copy so that a concurrent writer (a build, a
    writable server) makes this fail clearly instead of copying a half-written state.
    """
    import pyoxigraph as ox

    if not store_dir.is_dir():
        raise InputError(store_dir, "no store here; run `narcokg build` first or pass --store")
    try:
        holder = Path(tempfile.mkdtemp(prefix=HOLDER_PREFIX, dir=store_dir.parent))
    except OSError as exc:
        raise InputError(
            store_dir.parent, f"cannot make the snapshot folder here: {exc.strerror or exc}"
        ) from None
    target = holder / "store"
    try:
        _own(holder)
    except OSError as exc:
        shutil.rmtree(holder, ignore_errors=True)
        raise InputError(holder, f"cannot write: {exc.strerror or exc}") from None
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


def _bind(port: int, limits: Limits, progress: Echo) -> Proxy:
    try:
        return Proxy(port, limits, progress)
    except OSError as exc:
        reason = (
            "is in use"
            if exc.errno == errno.EADDRINUSE
            else f"cannot be used ({exc.strerror or exc})"
        )
        raise ServeError(
            None, f"port {port} on 127.0.0.1 {reason}; choose another with --port"
        ) from None


def _drop_kept_answers(store_dir: Path, progress: Echo) -> None:
    kept = answers_path(store_dir)
    if kept.exists():
        try:
            kept.unlink()
        except OSError as exc:
            raise InputError(kept, f"cannot remove: {exc.strerror or exc}") from None
        progress(f"removed {kept}: a writable server could make its answers stale")


def serve(
    store_dir: Path,
    *,
    port: int = 7878,
    writable: bool = False,
    timeout: float = 60.0,
    memory_limit_mb: int = DEFAULT_MEMORY_MB,
    max_queries: int = DEFAULT_MAX_QUERIES,
    allow_service: Collection[str] = (),
    echo: Echo = print,
    progress: Echo = print,
) -> int:
    """Serve ``store_dir`` on 127.0.0.1:``port`` until SIGINT/SIGTERM/SIGHUP; return the exit
    code (0 when stopped by a signal).

    ``echo`` receives the addresses (stdout in the CLI), ``progress`` the status lines.
    """
    _check_options(port, timeout, memory_limit_mb, max_queries, allow_service)
    binary = oxigraph_binary()
    if not store_dir.is_dir() and not writable:
        raise InputError(store_dir, "no store here; run `narcokg build` first or pass --store")
    if not store_dir.exists():
        # a writable server over a new, empty store: somewhere to `narcokg load` into
        try:
            store_dir.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(store_dir, f"cannot create the store: {exc.strerror}") from None
        progress(f"{store_dir}: no store here yet; serving a new, empty one")
    elif not store_dir.is_dir():
        raise InputError(store_dir, "not a store folder")
    limits = Limits(timeout, max_queries, memory_limit_mb, frozenset(allow_service))
    stopping = threading.Event()
    holder: Path | None = None
    supervisor: Supervisor | None = None
    proxy: Proxy | None = None
    worker: threading.Thread | None = None

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    try:
        clean_stale_snapshots(store_dir.parent, progress)
        # a bound but idle socket: the port is ours (or the error is one line) before any
        # snapshot exists; connections wait in the backlog until the child answers
        proxy = _bind(port, limits, progress)
        if writable:
            location = store_dir
        else:
            holder = snapshot(store_dir)
            location = holder / "store"
        command = ChildCommand(
            binary=binary,
            location=location,
            read_only=not writable,
            # Oxigraph counts whole seconds; the proxy's deadline uses the exact value
            timeout_seconds=max(1, math.ceil(timeout)),
            memory_limit_mb=memory_limit_mb,
        )
        supervisor = Supervisor(command, progress)
        proxy.supervisor = supervisor
        supervisor.start(stopping)
        if stopping.is_set():
            progress("server stopped")
            return 0
        if writable:
            # updates through the server would leave the kept answers stale: drop them (a build
            # makes them again; until then queries run in the store). Only now, with the store
            # ours (a locked store keeps them) and before the first request is let through.
            _drop_kept_answers(store_dir, progress)
            # and the graph versions the dumps trust (kg/store/graph_versions.py): the next
            # build's dumps then read every graph again instead of trusting them
            if discard_versions(store_dir):
                progress(f"removed {versions_path(store_dir)}: the next dumps read every graph")
        worker = threading.Thread(target=proxy.serve_forever, name="serve-proxy", daemon=True)
        worker.start()
        urls = Urls(f"http://127.0.0.1:{port}")
        mode = "read-write" if writable else "read-only snapshot of"
        progress(f"serving {mode} {store_dir} (Ctrl-C stops)")
        progress(
            "queries see the union of all graphs as their default graph; GRAPH ?g names each "
            "release's graph, FROM <graph> reads that graph only"
        )
        echo(f"SPARQL endpoint: {urls.query}")
        if writable:
            echo(f"SPARQL update: {urls.update}")
            echo(f"graph store: {urls.graph_store}")
        else:
            echo(f"graph store (read-only): {urls.graph_store}")
        echo(f"query page: {urls.page}")
        while not stopping.wait(0.5):
            if supervisor.failed.is_set():
                raise ServeError(None, f"oxigraph cannot be restarted: {supervisor.failure}")
        progress("server stopped")
        return 0
    finally:
        if proxy is not None:
            if worker is not None:
                proxy.shutdown()
            proxy.server_close()
        if supervisor is not None:
            supervisor.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
        if holder is not None:
            shutil.rmtree(holder, ignore_errors=True)
