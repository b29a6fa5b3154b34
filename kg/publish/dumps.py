"""Write the store's dumps (TriG, N-Quads, and per-graph Turtle / JSON-LD on request).

Why: users load dumps into other stores; a dump must be complete or absent, so it is written to
a temporary file and renamed into place (``os.replace`` is atomic on one file system).
"""

from __future__ import annotations

import ctypes
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from kg.errors import InputError
from kg.namespaces import PREFIXES

FORMATS: dict[str, ox.RdfFormat] = {
    "trig": ox.RdfFormat.TRIG,
    "nq": ox.RdfFormat.N_QUADS,
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
}


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextmanager
def atomic_writer(path: Path, *, sync: bool = True) -> Iterator[BinaryIO]:
    """A binary file that replaces ``path`` only once it is complete (and synced).

    Why: a build killed half-way must never leave a truncated dump under a real name. The
    temporary file sits next to ``path`` (same file system, so ``os.replace`` is atomic) and
    gets the usual umask-based mode, since ``mkstemp`` makes it private. ``sync=False`` skips
    the ``fsync`` for caches whose loss is detected and repaired (the dumps' per-graph pieces):
    a killed process loses nothing the kernel already holds; only a power cut could.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            if sync:
                os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def sync_file_system(folder: Path) -> None:
    """Flush to disk every file written on the file system that holds ``folder``.

    Why: a build writes four files per graph it changed; an ``fsync`` each (a journal commit
    each) cost ~3 ms a graph under a build's load. Written unsynced, then flushed together by
    one ``syncfs`` before the description and the manifest that record them, they are as
    durable as before at the point that matters: a power cut before that point leaves the
    manifest not naming them, so the next build writes them again. Falls back to ``os.sync``
    where ``syncfs`` is missing (not Linux).
    """
    fd = os.open(folder, os.O_RDONLY)
    try:
        if _syncfs is not None and _syncfs(fd) == 0:
            return
        os.sync()
    finally:
        os.close(fd)


def _load_syncfs() -> Callable[[int], int] | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function: Callable[[int], int] = libc.syncfs
    except (OSError, AttributeError):
        return None
    return function


_syncfs = _load_syncfs()


def check_writable(folder: Path) -> None:
    """Refuse a dump folder this process cannot write, before a build writes anything.

    Why: the dumps are written after the store; a read-only folder found then would fail a
    build whose graphs are already stored. Creating (and removing) a temporary file is the
    only test that answers for every cause: permissions, a read-only mount, a full quota.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".narcokg-write-test.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise InputError(
            folder, f"cannot write the dumps here: {exc.strerror or exc} (--dump-dir, --no-dump)"
        ) from None


def dump(store: ox.Store, path: Path, *, graph: str | None = None) -> Path:
    """Write the dataset (or one ``graph`` for triple formats) to ``path``, atomically."""
    suffix = path.suffix.lstrip(".").lower()
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise InputError(path, f"unknown dump format {suffix!r}; use one of {', '.join(FORMATS)}")
    with atomic_writer(path) as out:
        prefixes = PREFIXES if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.TURTLE) else None
        source = None
        if graph is not None or not fmt.supports_datasets:
            if graph is None:
                raise InputError(path, f"{suffix} holds one graph: name it with --graph")
            source = ox.NamedNode(graph)
        store.dump(out, format=fmt, from_graph=source, prefixes=prefixes)
    return path
