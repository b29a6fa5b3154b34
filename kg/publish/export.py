"""``narcokg dump``: the whole dataset as one N-Quads, TriG or JSON-LD file, on demand.

Why: the build keeps every graph's serialisation up to date (kg/publish/describe.py), but
concatenating them into whole-dataset files costs time in proportion to the dataset's bytes,
which made adding one release to 10,000 cost half a minute. An export is asked for when it is
needed, like ``pg_dump`` or ``oxigraph dump``: this module first brings the per-graph pieces up
to date with the store (nothing to do after a build with dumps), then concatenates them, while
it holds the store, so no build can change a graph half-way through.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from kg.errors import InputError
from kg.publish.describe import publish, whole_pieces
from kg.publish.dumps import atomic_writer, check_writable
from kg.publish.whole import WHOLE, write
from kg.store.embedded import store_at

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def format_of(out: Path | None, fmt: str | None) -> str:
    """The dump's format: ``fmt`` when given, else ``out``'s suffix, else (no file, or a name
    without a suffix such as a named pipe) N-Quads, the one format that can be split,
    streamed and concatenated line by line."""
    if fmt is not None:
        key = fmt.lower()
    elif out is not None and out.suffix:
        key = out.suffix.lstrip(".").lower()
    else:
        key = "nq"
    if key not in WHOLE:
        where = out if fmt is None else None
        raise InputError(
            where, f"unknown dump format {key!r}; use one of {', '.join(WHOLE)} (--format)"
        )
    return key


def export(
    store_dir: Path,
    dump_dir: Path,
    *,
    key: str,
    out: Path | None = None,
    stream: BinaryIO | None = None,
    progress: Progress = _quiet,
) -> int:
    """Write the whole dataset in format ``key`` to ``out`` (atomically) or to ``stream``
    (default: standard output); return the bytes written.

    The pieces in ``dump_dir`` are brought up to date first (only graphs that changed since the
    last build are serialised), so the export is the store as it is now.
    """
    if key not in WHOLE:
        raise InputError(None, f"unknown dump format {key!r}; use one of {', '.join(WHOLE)}")
    with store_at(store_dir, create=False) as store:
        check_writable(dump_dir)  # the pieces live there: refused before anything is read
        publish(store, dump_dir, progress=progress, store_dir=store_dir)
        pieces = whole_pieces(dump_dir, key)
        for path, recorded in pieces:
            if path.stat().st_size != recorded:  # a piece replaced behind the manifest's back
                raise InputError(path, "changed since it was recorded; run `narcokg dump` again")
        paths = [path for path, _ in pieces]
        if out is not None:
            # a device or a pipe (/dev/null, a FIFO a loader reads) is written into, since
            # replacing it by a regular file would break whoever reads it; a file atomically
            device = out.exists() and not out.is_file()
            with out.open("wb") if device else atomic_writer(out) as target:
                size = write(key, paths, target)
            progress(f"wrote {out}: {size:,} bytes, {len(paths)} graphs")
            return size
        into: BinaryIO = stream if stream is not None else sys.stdout.buffer
        size = write(key, paths, into)
        into.flush()
        return size
