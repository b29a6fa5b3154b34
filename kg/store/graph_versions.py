"""Which version of each named graph the store holds: one token per graph, in a file beside it.

Why: the dumps (kg/publish/describe.py) re-serialise only the graphs that changed since they
were written. Finding out from the store itself would mean reading every graph, which costs as
much as dumping it; so whoever writes a graph says so here. The protocol is the kept answers'
(kg/store/kept_answers.py): a graph is *forgotten* before it is written and *remembered* (its
token recorded) once it has landed, so a kill in between leaves it unknown, and an unknown
graph is dumped again, never served stale. ``narcokg serve --writable``, whose updates nobody
records, deletes the file: every graph is then unknown once.

A token is opaque: the SHA-256 of the bytes the graph was made from when that determines the
graph (same release text, same token: a rebuilt but unchanged release is not dumped again), a
random one when it does not (blank nodes get new labels in every load).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from kg.store.beside import beside

SUFFIX = ".graphs.json"


def versions_path(store_dir: Path) -> Path:
    """The versions file of the store at ``store_dir`` (beside it: the folder is RocksDB's)."""
    return beside(store_dir, SUFFIX)


def token_of(data: bytes) -> str:
    """The token of a graph made from ``data`` (N-Triples): its digest, or random with blank
    nodes, whose labels a load renames."""
    if b"_:" in data:
        return "random:" + secrets.token_hex(16)
    return "sha256:" + hashlib.sha256(data).hexdigest()


def read_versions(store_dir: Path) -> dict[str, str]:
    """Graph IRI → token; empty when the file is missing or unreadable (everything unknown)."""
    try:
        data = json.loads(versions_path(store_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    graphs = data.get("graphs") if isinstance(data, dict) else None
    if not isinstance(graphs, dict):
        return {}
    return {str(k): str(v) for k, v in graphs.items() if isinstance(v, str)}


def _write(store_dir: Path, graphs: Mapping[str, str]) -> None:
    path = versions_path(store_dir)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.fchmod(fd, 0o666 & ~mask)  # mkstemp makes it private; the store's files are not
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"format": 1, "graphs": dict(sorted(graphs.items()))}, out, indent=0)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def forget(store_dir: Path, graphs: Iterable[str]) -> None:
    """Mark ``graphs`` unknown; call *before* writing them into the store."""
    known = read_versions(store_dir)
    gone = set(graphs) & known.keys()
    if gone or not versions_path(store_dir).exists():
        _write(store_dir, {g: t for g, t in known.items() if g not in gone})


def remember(store_dir: Path, tokens: Mapping[str, str]) -> None:
    """Record the tokens of graphs now in the store; call *after* they have landed."""
    if tokens:
        _write(store_dir, {**read_versions(store_dir), **tokens})


def discard(store_dir: Path) -> bool:
    """Delete the file (writes nobody records follow); return whether there was one."""
    try:
        versions_path(store_dir).unlink()
    except FileNotFoundError:
        return False
    return True
