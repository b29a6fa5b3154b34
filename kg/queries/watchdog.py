"""End a command-line process with a one-line error when a local query overruns its time.

Why: pyoxigraph's ``Store.query`` takes no timeout and cannot be interrupted from Python, but
it releases the GIL while it evaluates, so a timer thread still runs and can end the process.
That is only safe where the process holds no write in progress: ``narcokg query`` reads. (Even
a write would survive, see docs/reliability.md, but the library never ends its caller's process:
this module is for ``kg.cli`` only.) The served endpoints bound their queries their own way.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from kg.errors import InputError


def _expire(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()
    os._exit(InputError.exit_code)


@contextmanager
def deadline(seconds: float | None, message: str) -> Iterator[None]:
    """Within the block, exit with ``error: <message>`` (exit 2) after ``seconds``; ``None``/0:
    no limit. Nothing is printed to stdout before the block ends, so no partial table shows."""
    if not seconds:
        yield
        return
    timer = threading.Timer(seconds, _expire, args=(message,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
