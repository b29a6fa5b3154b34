"""The one consistent view ``narcokg web`` serves: a snapshot of the store and of its dumps.

Why: the web serves pages (from the store), ``/sparql`` (a child process per query) and
``/download`` (the dump files). Read from the live store and folder, a rebuild showed old pages
beside new query answers and new downloads. So every request is answered from one *view*:

* a snapshot of the store (a RocksDB checkpoint next to it, :func:`kg.store.serve.snapshot`:
  hard links, so it costs neither time nor space), opened read-only for the pages and by each
  query's child process;
* hard links to the dump files the dataset description (``void.ttl``) lists, taken at the same
  moment, so ``/download`` serves exactly those files and nothing else of the folder; the
  whole-dataset dumps, which the build no longer writes, are hard links to every graph's piece
  (kg/publish/whole.py), streamed one after the other.

A watcher notices a rebuild (``void.ttl`` replaced, or the store's files changed) and takes a
new view once the build has released the store; requests already running finish on the view
they started with, which is deleted only after the longest query could have ended.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.errors import InputError
from kg.publish import pages
from kg.publish.describe import CONTEXT_FILE, DESCRIPTION_FILE, DOWNLOAD_BASE, whole_pieces
from kg.publish.whole import DUMP_STEM, WHOLE
from kg.store.serve import snapshot

DCAT_DOWNLOAD = "http://www.w3.org/ns/dcat#downloadURL"
VOID_DUMP = "http://rdfs.org/ns/void#dataDump"
SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"


def signature(store_dir: Path, dump_dir: Path) -> tuple[object, ...]:
    """What changes when a build writes: the store's file names and the description's inode.

    A build adds and removes RocksDB files (new tables, a new log) and replaces ``void.ttl``
    (a new inode) last; reading the names of a folder costs microseconds.
    """
    try:
        names = tuple(sorted(os.listdir(store_dir)))
    except OSError:
        names = ()
    try:
        st = (dump_dir / DESCRIPTION_FILE).stat()
        void: tuple[int, int] | None = (st.st_ino, st.st_mtime_ns)
    except OSError:
        void = None
    return names, void


@dataclass
class ServedView:
    """A store snapshot, its dataset description and the dump files it lists, frozen together."""

    holder: Path
    store: ox.Store
    view: pages.View
    description: list[ox.Triple]
    downloads: dict[str, Path]  # the path under /download/ -> the hard link in the snapshot
    taken: tuple[object, ...]
    # a whole-dataset dump under /download/ -> (its format, hard links to its pieces in order)
    assembled: dict[str, tuple[str, list[Path]]] = field(default_factory=dict)
    retired_at: float | None = field(default=None)

    @property
    def store_path(self) -> Path:
        return self.holder / "store"


def _listed_files(description: list[ox.Triple]) -> set[str]:
    """The dump files the description lists, as paths under ``/download/``."""
    names = set()
    for t in description:
        if t.predicate.value in (DCAT_DOWNLOAD, VOID_DUMP, SEE_ALSO) and isinstance(
            t.object, ox.NamedNode
        ):
            iri = t.object.value
            if iri.startswith(DOWNLOAD_BASE):
                names.add(iri[len(DOWNLOAD_BASE) :])
    return names


def _link(source: Path, target: Path) -> bool:
    """Hard-link ``source`` to ``target`` (a copy across file systems); False if it is gone."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except FileNotFoundError:
        return False
    except OSError:  # another file system, or links not allowed: a copy is still consistent
        try:
            shutil.copyfile(source, target)
        except FileNotFoundError:
            return False
    return True


def take(store_dir: Path, dump_dir: Path) -> ServedView:
    """A new view of ``store_dir`` and ``dump_dir``; raises :class:`kg.errors.InputError` while
    a build (or a writable server) holds the store, since its state is then half-written."""
    before = signature(store_dir, dump_dir)
    holder = snapshot(store_dir)
    try:
        description: list[ox.Triple] = []
        downloads: dict[str, Path] = {}
        assembled: dict[str, tuple[str, list[Path]]] = {}
        void = dump_dir / DESCRIPTION_FILE
        kept_void = holder / "dumps" / DESCRIPTION_FILE
        if _link(void, kept_void):
            description = [q.triple for q in ox.parse(path=str(kept_void))]
            downloads[DESCRIPTION_FILE] = kept_void
            root = dump_dir.resolve()
            listed = _listed_files(description)
            for key in WHOLE:
                rel = f"{DUMP_STEM}.{key}"
                if rel in listed:
                    assembled[rel] = (key, _link_pieces(dump_dir, key, holder / "pieces" / key))
            for rel in sorted(listed - assembled.keys() | {CONTEXT_FILE}):
                source = (root / rel).resolve()
                if root not in source.parents or not source.is_file():
                    continue  # listed but outside the folder, or not there: not served
                if _link(source, holder / "dumps" / rel):
                    downloads[rel] = holder / "dumps" / rel
        store = ox.Store.read_only(str(holder / "store"))
    except BaseException:
        shutil.rmtree(holder, ignore_errors=True)
        raise
    # the snapshot's own open of the store changed its file names: remember them after it
    after = signature(store_dir, dump_dir)
    taken = after if after[1] == before[1] else before
    return ServedView(holder, store, pages.View(store), description, downloads, taken, assembled)


def _link_pieces(dump_dir: Path, key: str, folder: Path) -> list[Path]:
    """Hard links, in ``folder``, to the pieces of the ``key`` whole-dataset dump, in order.

    A piece whose size is not the one recorded with the description (a build writing right
    now) makes the view fail, to be taken again once the build is done.
    """
    folder.mkdir(parents=True, exist_ok=True)
    links = []
    for i, (source, recorded) in enumerate(whole_pieces(dump_dir, key)):
        target = folder / str(i)
        if not _link(source, target) or target.stat().st_size != recorded:
            raise InputError(source, "changed while the view was taken")
        links.append(target)
    return links


class Views:
    """The current view, and the retired ones kept until no request can still use them."""

    def __init__(self, store_dir: Path, dump_dir: Path, *, linger: float) -> None:
        self.store_dir = store_dir
        self.dump_dir = dump_dir
        self.linger = linger
        self.current = take(store_dir, dump_dir)
        self.retired: list[ServedView] = []

    def refresh(self) -> bool:
        """Take a new view if the store or its dumps changed since the current one was taken;
        return whether it did. A store still being built is left for the next call."""
        self._purge()
        if signature(self.store_dir, self.dump_dir) == self.current.taken:
            return False
        try:
            fresh = take(self.store_dir, self.dump_dir)
        except Exception:  # locked by a build in progress, or half-written dumps: next time
            return False
        old, self.current = self.current, fresh  # one assignment: requests see old or new
        old.retired_at = time.monotonic()
        self.retired.append(old)
        return True

    def _purge(self, *, everything: bool = False) -> None:
        now = time.monotonic()
        keep = []
        for view in self.retired:
            if everything or now - (view.retired_at or now) > self.linger:
                shutil.rmtree(view.holder, ignore_errors=True)
            else:
                keep.append(view)
        self.retired = keep

    def close(self) -> None:
        """Delete every snapshot (the server is stopping)."""
        self._purge(everything=True)
        with contextlib.suppress(OSError):
            shutil.rmtree(self.current.holder, ignore_errors=True)
