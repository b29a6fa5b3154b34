"""Checked graphs: what validation found in each release graph, kept beside the store.

Why: ``narcokg validate`` checked every release graph on every run, though a new release
changes one graph of thousands. This file remembers, per release graph, the findings of its
last check and what they were computed from: the graph's content (``content``: a digest) and
everything else that decides findings (``context``: a digest of the shapes files, the
vocabulary graph, the checking code and the SPARQL engine's version, made by the caller,
:mod:`kg.checks.releases`). A graph whose content and context both match is not checked again;
its findings are read back. The payload is opaque text here (the checks serialise it), so this
store-level module needs nothing from the checks.

Why it cannot be stale: a row states "this content, under this context, gave these findings",
which stays true whatever happens to the store; it is used only when the graph's current
content digest equals the row's. That digest comes either from reading the graph (always
right, costs a read of the graph) or from the digest the build recorded when it stored the
graph (:meth:`kg.store.kept_answers.KeptAnswers.graph_digests`: forgotten before the graph is
replaced, recorded after, so never describes another content; writers other than the build
must delete that file, as for the kept answers). Each write is its own SQLite transaction: a
killed validation leaves the rows of the graphs it finished, each whole.

Beside the store, not inside: the store folder belongs to RocksDB.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

from kg.store.beside import SqliteFile, beside

FORMAT = "narcokg-checked/1"
SUFFIX = ".checked.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checked (
  graph TEXT PRIMARY KEY, content TEXT NOT NULL, context TEXT NOT NULL, payload TEXT NOT NULL
) WITHOUT ROWID;
"""


def checked_path(store_dir: Path) -> Path:
    """Where the checked-graphs file of the store at ``store_dir`` lives: beside it."""
    return beside(store_dir, SUFFIX)


class CheckedGraphs(SqliteFile):
    """The SQLite file of checked graphs: one row per release graph, its last check."""

    @classmethod
    def open(cls, path: Path, progress: Callable[[str], None] | None = None) -> CheckedGraphs:
        """Open (or create) the file; one that is unreadable or of another format is started
        afresh: it only holds what a validation computes again."""
        try:
            db = sqlite3.connect(path, timeout=30)
            # a killed process still leaves a consistent file (the journal rolls back)
            db.execute("PRAGMA synchronous=OFF")
            db.executescript(_SCHEMA)
            row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            if row is not None and row[0] != FORMAT:
                db.close()
                raise sqlite3.DatabaseError(f"format {row[0]!r}")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (FORMAT,))
            db.commit()
            return cls(path, db)
        except sqlite3.DatabaseError as exc:
            if progress is not None:
                progress(f"warning: {path}: checked graphs unusable ({exc}); starting afresh")
            path.unlink(missing_ok=True)
            return cls.open(path)

    def rows(self) -> dict[str, tuple[str, str]]:
        """Every graph's (content, context) as last checked."""
        return {
            g: (content, context)
            for g, content, context in self._db.execute(
                "SELECT graph, content, context FROM checked"
            )
        }

    def payload(self, graph: str) -> str:
        """The payload kept for ``graph`` (call after :meth:`rows` said it matches)."""
        row = self._db.execute("SELECT payload FROM checked WHERE graph = ?", (graph,)).fetchone()
        if row is None:
            raise KeyError(graph)
        return str(row[0])

    def keep(self, rows: Iterable[tuple[str, str, str, str]]) -> None:
        """Record (graph, content, context, payload) rows, replacing each graph's old row."""
        self._db.executemany("INSERT OR REPLACE INTO checked VALUES (?, ?, ?, ?)", rows)
        self._db.commit()

    def forget_except(self, graphs: Iterable[str]) -> None:
        """Drop the rows of graphs not in ``graphs`` (release graphs the store no longer holds)."""
        keep = set(graphs)
        gone = [(g,) for (g,) in self._db.execute("SELECT graph FROM checked") if g not in keep]
        self._db.executemany("DELETE FROM checked WHERE graph = ?", gone)
        self._db.commit()
