"""Compact the store when enough of it was written since the last compaction, not after every build.

Why: each release graph lands in its own transaction, which leaves many small RocksDB files;
whole-corpus queries read them all (``release_timeline`` at 10,000 releases: 1.2 s before a full
compaction, 0.7 s after). But a full compaction (``Store.optimize``) rewrites the whole store:
15 s at 10,000 releases, five times what adding one release may cost. So the graphs written
since the last compaction are counted in a file beside the store, and the store is compacted
once they reach a tenth of the graphs it holds: a store that grows one release at a time is
compacted about every tenth of its size, so the compaction's cost per added release stays
flat. Graphs the build bulk-loads (a build from nothing) are not counted: they arrive as
sorted table files, and whole-corpus queries were measured as fast on such a store before a
compaction as after it. RocksDB's own background compaction keeps the small files in check in
between.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from kg.store.beside import beside

SUFFIX = ".uncompacted"
SHARE = 10
"""Compact once the graphs written since the last compaction reach 1/SHARE of those held."""


def counter_path(store_dir: Path) -> Path:
    """The file beside the store counting the graphs written since its last compaction."""
    return beside(store_dir, SUFFIX)


def _read(path: Path) -> int:
    try:
        return max(0, int(path.read_text(encoding="ascii").strip() or 0))
    except (OSError, ValueError):
        return 0


def _write(path: Path, count: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{count}\n", encoding="ascii")
    os.replace(tmp, path)


def after_writes(
    store: ox.Store,
    store_dir: Path,
    *,
    written: int,
    held: int,
    progress: Callable[[str], None],
) -> bool:
    """Count ``written`` graphs against the store at ``store_dir`` (``held`` graphs now) and
    compact it when the count reaches a tenth of ``held``; return whether it compacted.

    A lost or unreadable counter counts as zero: the only cost is a compaction that comes
    later than it would have.
    """
    path = counter_path(store_dir)
    pending = _read(path) + max(0, written)
    if pending * SHARE >= held:
        store.optimize()
        progress(f"compacted the store ({pending} graphs written since the last compaction)")
        path.unlink(missing_ok=True)
        return True
    _write(path, pending)
    return False
