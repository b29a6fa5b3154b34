"""The Oxigraph server as a supervised child process of ``narcokg serve``.

Why each part:

* **It dies with us.** ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` in the child, set between fork and
  exec, makes the kernel kill it when we die, even by SIGKILL (no handler of ours runs then). A
  writable server left behind would otherwise hold the store's lock, and a read-only one its
  snapshot, with nobody to stop them. The signal is sent when the *thread* that forked the child
  ends, so every child is started by the one supervisor thread, which lives as long as the serve.
* **Its memory is capped.** A sort over a cross product grows without bound and Oxigraph's
  ``--timeout-s`` does not interrupt it: 150 MB/s on the bundled corpus, until the kernel kills
  something. The supervisor reads the child's anonymous resident memory (``RssAnon`` in
  /proc/PID/status: the heap and the stack pages in use, not files) every 50 ms and kills the
  child above the cap. Measured on that query: killed 14.5 s in at 2,066 MB resident (cap
  2048 MB), 1.8 s in at 318 MB (cap 300 MB); a new child answered 0.1 s later.
  The kernel's limits were tried first and fail with Oxigraph: ``RLIMIT_AS`` counts address
  space reserved but never used (64 MB malloc arenas per thread, RocksDB's reservations), so at
  300 MB the server could not even start its threads; ``RLIMIT_DATA`` stops the runaway sort
  exactly, but it also counts every thread's whole 2 MB stack, and Oxigraph starts one thread
  per query that sleeps for the full ``--timeout-s`` after the query is done: at a 300 MB cap,
  300 quick ``ASK`` queries in a row got 186 answers "500 Resource temporarily unavailable" (a
  2048 MB cap fails the same way after about 1,000 queries a minute). Resident memory counts
  only what is used: under the 300 MB watchdog, 1,500 quick queries in 4 s were all answered
  (3.1 GB of address space in 1,506 sleeping threads, 20 MB resident).
* **It is restarted.** If it dies (memory cap, crash) or the proxy asks (a query ran past its
  deadline and Oxigraph's own timeout did not stop it), it is killed, reaped and started again on
  the same folder, on a new private loopback port. Each start is a *generation*; the proxy asks
  which generation ended how, to tell the client why its request failed.
* **Its output is summarised.** stdout and stderr are read into a short buffer; when the server
  cannot start, the one meaningful line (``Error: Address already in use``, the lock error, the
  failed allocation) is reported instead of a Rust backtrace.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import ctypes.util
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError, KgError

Echo = Callable[[str], None]
STARTUP_SECONDS = 30.0  # a large store takes a while to open
STOP_SECONDS = 10.0
POLL_SECONDS = 0.05
FAILED_RESTARTS = 3  # starts in a row that fail before the serve gives up
PR_SET_PDEATHSIG = 1
MEMORY_FAILURE = "memory allocation of"  # Rust's message when an allocation fails
_RESIDENT = re.compile(rb"^RssAnon:\s*(\d+) kB", re.MULTILINE)
_RESIDENT_ALL = re.compile(rb"^VmRSS:\s*(\d+) kB", re.MULTILINE)  # before Linux 4.5


class ServeError(KgError):
    """The server could not be started or kept running (exit 2)."""

    exit_code = 2


def _prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, looked up once here: after fork the child should only call it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        function: Callable[..., int] = libc.prctl
    except (OSError, AttributeError):
        return None
    return function


_PRCTL = _prctl()


def _in_child(parent: int) -> Callable[[], None]:
    """What the child runs between fork and exec: ask the kernel to kill it when we die."""

    def setup() -> None:
        if _PRCTL is not None:
            _PRCTL(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the line above took effect
            os._exit(1)

    return setup


def resident_mb(pid: int) -> float | None:
    """The anonymous resident memory of process ``pid`` in MB (None if it cannot be read)."""
    try:
        status = Path(f"/proc/{pid}/status").read_bytes()
    except OSError:
        return None
    found = _RESIDENT.search(status) or _RESIDENT_ALL.search(status)
    return int(found.group(1)) / 1024 if found else None


@dataclass(frozen=True)
class ChildCommand:
    """How to start the Oxigraph server: which binary, over which folder, with which limits."""

    binary: str
    location: Path
    read_only: bool
    timeout_seconds: int
    memory_limit_mb: int  # 0: no cap

    def argv(self, port: int) -> list[str]:
        mode = "serve-read-only" if self.read_only else "serve"
        return [
            self.binary,
            mode,
            "--location",
            str(self.location),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout-s",
            str(self.timeout_seconds),
        ]


@dataclass(frozen=True)
class Death:
    """How one generation of the child ended: ``kind`` is "memory", "overrun", "crash" or
    "stopped"; ``detail`` a short phrase for messages."""

    generation: int
    kind: str
    detail: str


class _Output:
    """The last lines the child wrote (stdout and stderr), read by a thread so it never blocks."""

    def __init__(self, stream: object) -> None:
        self.lines: collections.deque[str] = collections.deque(maxlen=40)
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
            self.lines.append(raw.decode("utf-8", "replace").rstrip())

    def finish(self) -> None:
        """Wait until everything the (dead) child wrote has been read."""
        self._thread.join(timeout=2)

    def summary(self) -> str:
        """The one meaningful line: an error, a failed allocation or a panic, else the last line
        that is not part of a backtrace."""
        lines = [line.strip() for line in self.lines if line.strip()]
        for line in lines:
            if line.startswith("Error:"):
                return line.removeprefix("Error:").strip()
            if MEMORY_FAILURE in line or "panicked at" in line:
                return line
        noise = ("stack backtrace", "note:", "at ", "skipping backtrace", "listening for")
        useful = [
            line
            for line in lines
            if not line.lower().startswith(noise) and not line.split(":", 1)[0].isdigit()
        ]
        return useful[-1] if useful else "no message"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the child binds it next)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    """Whether an HTTP server answers on ``port`` (any status counts)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/query?query=ASK%7B%7D", headers={"Host": f"127.0.0.1:{port}"})
        connection.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


class Supervisor:
    """Starts the Oxigraph child, restarts it when it dies or is asked to, stops it at the end.

    All starts happen on one thread (see the module docstring: PR_SET_PDEATHSIG follows the
    thread). Other threads ask with :meth:`current`, :meth:`restart` and :meth:`death`.
    """

    def __init__(self, command: ChildCommand, progress: Echo) -> None:
        self.command = command
        self.progress = progress
        self._state = threading.Condition()
        self._generation = 0
        self._port: int | None = None  # the port of the ready child, None between children
        self._pid: int | None = None
        self._deaths: dict[int, Death] = {}
        self._restart: dict[int, str] = {}  # generation -> why the proxy wants it restarted
        self._stopping = threading.Event()
        self.failure: str | None = None  # set when the child cannot be (re)started: fatal
        self.failed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="oxigraph-supervisor")

    # --- asked by other threads ------------------------------------------------------------------

    def start(self, cancelled: threading.Event | None = None) -> None:
        """Start the first child and wait until it answers (or ``cancelled`` is set: a signal
        asked us to stop); ServeError/InputError if it cannot start."""
        if self.command.memory_limit_mb and resident_mb(os.getpid()) is None:
            self.progress("note: --memory-limit is not enforced here (no /proc to measure with)")
        self._thread.start()
        with self._state:
            while not self._state.wait_for(
                lambda: self._port is not None or self.failed.is_set(), timeout=0.2
            ):
                if cancelled is not None and cancelled.is_set():
                    return
        if self.failure is not None:
            self._thread.join()
            raise self._start_error(self.failure)

    def current(self, wait: float) -> tuple[int, int] | None:
        """``(port, generation)`` of the ready child, waiting up to ``wait`` s through a restart;
        None if there is none by then."""
        with self._state:
            self._state.wait_for(
                lambda: self._port is not None or self.failed.is_set() or self._stopping.is_set(),
                timeout=wait,
            )
            if self._port is None:
                return None
            return self._port, self._generation

    @property
    def pid(self) -> int | None:
        with self._state:
            return self._pid

    def restart(self, generation: int, reason: str) -> None:
        """Kill and restart the child of ``generation`` (if it is still the current one)."""
        with self._state:
            if generation == self._generation and generation not in self._deaths:
                self._restart.setdefault(generation, reason)
                self._port = None  # new requests wait for the next child
                self._state.notify_all()

    def death(self, generation: int, wait: float) -> Death | None:
        """How ``generation`` ended, waiting up to ``wait`` s for the supervisor to notice; None
        if it is still running."""
        with self._state:
            self._state.wait_for(lambda: generation in self._deaths, timeout=wait)
            return self._deaths.get(generation)

    def stop(self) -> None:
        """Stop the child (SIGTERM, then SIGKILL) and the supervisor thread."""
        self._stopping.set()
        with self._state:
            self._state.notify_all()
        if self._thread.is_alive():
            self._thread.join()

    # --- the supervisor thread -------------------------------------------------------------------

    def _start_error(self, summary: str) -> KgError:
        if "LOCK" in summary and "temporarily unavailable" in summary:
            return InputError(
                self.command.location,
                "store is in use by another process (a build, a query or a writable serve)",
            )
        return ServeError(None, f"oxigraph could not start: {summary}")

    def _spawn(self) -> tuple[subprocess.Popen[bytes], _Output, int] | str:
        """Start one child and wait until it answers: the child, its output and its port, or the
        one-line reason it did not start."""
        env = dict(os.environ, RUST_BACKTRACE="0", RUST_LIB_BACKTRACE="0")
        for _attempt in range(3):  # the free port may be taken between the probe and the bind
            port = free_port()
            try:
                child = subprocess.Popen(
                    self.command.argv(port),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # Ctrl-C in the terminal reaches us only
                    preexec_fn=_in_child(os.getpid()),
                    env=env,
                )
            except OSError as exc:
                return f"cannot run {self.command.binary}: {exc.strerror or exc}"
            assert child.stdout is not None
            output = _Output(child.stdout)
            deadline = time.monotonic() + STARTUP_SECONDS
            while not self._stopping.is_set():
                if child.poll() is not None:
                    break
                if _answers(port):
                    return child, output, port
                if time.monotonic() > deadline:
                    self._end(child)
                    return f"no answer on 127.0.0.1:{port} within {STARTUP_SECONDS:g} s"
                time.sleep(POLL_SECONDS)
            self._end(child)
            output.finish()
            summary = output.summary()
            if self._stopping.is_set():
                return "stopped"
            if "address already in use" not in summary.lower():
                return summary
        return summary

    def _end(self, child: subprocess.Popen[bytes], *, gently: bool = False) -> None:
        """Stop ``child`` (SIGTERM first when ``gently``, for a clean stop) and reap it."""
        if child.poll() is None:
            if gently:
                child.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=STOP_SECONDS)
            if child.poll() is None:
                child.kill()
        child.wait()

    def _classify(self, generation: int, code: int, output: _Output) -> Death:
        output.finish()
        if code == -signal.SIGKILL:
            return Death(generation, "crash", "it was killed (SIGKILL; out of memory?)")
        how = f"signal {-code}" if code < 0 else f"exit code {code}"
        return Death(generation, "crash", f"{how}: {output.summary()}")

    def _fail(self, message: str) -> None:
        with self._state:
            self.failure = message
            self.failed.set()
            self._state.notify_all()

    def _run(self) -> None:
        try:
            self._supervise()
        except Exception as failed:  # a bug here must end the serve with one line, not hang it
            self._fail(f"supervisor: {type(failed).__name__}: {failed}")

    def _supervise(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            began = time.monotonic()
            started = self._spawn()
            if isinstance(started, str):
                if self._stopping.is_set():
                    return
                failures += 1
                if self._generation == 0 or failures >= FAILED_RESTARTS:
                    self._fail(started)
                    return
                self.progress(f"oxigraph did not start again ({started}); retrying")
                continue
            failures = 0
            child, output, port = started
            with self._state:
                self._generation += 1
                generation = self._generation
                self._port, self._pid = port, child.pid
                self._state.notify_all()
            if generation > 1:
                self.progress(f"oxigraph restarted in {time.monotonic() - began:.1f} s")
            death = self._watch(generation, child, output)
            with self._state:
                self._port = None
                self._deaths[generation] = death
                self._state.notify_all()
            if death.kind == "stopped":
                return
            self.progress(f"oxigraph stopped ({death.detail}); restarting it")

    def _watch(self, generation: int, child: subprocess.Popen[bytes], output: _Output) -> Death:
        """Wait until the child dies, grows past the memory cap, the proxy asks for a restart,
        or the serve stops."""
        limit = self.command.memory_limit_mb
        while True:
            code = child.poll()
            if code is not None:
                return self._classify(generation, code, output)
            if self._stopping.is_set():
                self._end(child, gently=True)
                return Death(generation, "stopped", "the server stopped")
            used = resident_mb(child.pid) if limit else None
            if used is not None and used > limit:
                self._end(child)
                return Death(generation, "memory", f"it went over the memory limit of {limit} MB")
            with self._state:
                reason = self._restart.get(generation)
                if reason is None:
                    self._state.wait(timeout=POLL_SECONDS)
                    continue
            self._end(child)
            return Death(generation, "overrun", reason)
