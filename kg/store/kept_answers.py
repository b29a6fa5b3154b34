"""Kept answers: the release-scoped catalogue queries answered per release at build time.

Why: at 10,000 releases the whole-corpus row tables (``figures``: 312,000 rows of 19 cells)
take 3-90 s in Oxigraph, and most of that is not evaluation but decoding: every IRI or long
literal of an answer is one RocksDB read, so a bare scan of one predicate returns 284,000 rows in
1.4 s. No rewrite of a query gets under that floor. The answer for *one* release, though, comes
from that release's graph and the vocabulary alone (what ``#+ scope: release`` declares, and
tests/test_kept_answers.py checks) in a few milliseconds. So the build's workers answer
those queries while the graphs are at hand (:class:`Tabulator`, ~9 ms per release), and the
build keeps the answers in a SQLite file beside the store (:class:`KeptAnswers`): one JSON array
of rows per query and release. A whole-corpus answer is those arrays in release order.

A kept answer is used only while the file matches the store by every check below; otherwise
the query runs in the store, slow but right, and ``narcokg build`` refreshes the file:

- The build forgets a release in the file (commit) before it stores the release's graph, and
  keeps its answers only after (in the commit that forgets the next one). A crash in between
  leaves the release missing from the file, never stale.
- The file records the SHA-256 of each query's text and of the vocabulary graph the answers were
  computed with. It is used only while both match and it holds exactly the store's release
  graphs.
- Writers the build does not control are shut out: ``narcokg serve --writable`` deletes the file
  before it starts. Anything else that writes into the store must do the same (or rebuild).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import pyoxigraph as ox

from kg.errors import InputError
from kg.namespaces import VOCABULARY_GRAPH
from kg.queries.catalogue import Query, load_queries
from kg.queries.run import run_query
from kg.queries.tables import Table
from kg.store.beside import SqliteFile, beside
from kg.store.embedded import release_graph_names, scratch_store

FORMAT = "narcokg-kept-answers/2"
"""Written into the file; a file of another format is rebuilt, never read."""

SUFFIX = ".answers.sqlite"
SCRATCH_RELEASES = 250
"""Release graphs answered in one scratch store before it is replaced (memory stays flat)."""

Kept = tuple[str, str, Mapping[str, str]]
"""A release's id, graph IRI and answers (query name → JSON array of rows)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS query (name TEXT PRIMARY KEY, digest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS release (id TEXT PRIMARY KEY, graph TEXT NOT NULL UNIQUE);
-- keyed by release first: the build forgets a release before replacing its graph, and a
-- delete that scanned the table made the build quadratic
CREATE TABLE IF NOT EXISTS answer (
  release TEXT NOT NULL, query TEXT NOT NULL, rows TEXT NOT NULL, PRIMARY KEY (release, query)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS answer_by_query ON answer (query, release);
"""


def answers_path(store_dir: Path) -> Path:
    """Where the kept answers of the store at ``store_dir`` live: a file beside it.

    Beside, not inside: the store folder belongs to RocksDB, and the file must not travel into
    dumps or backups of the RDF.
    """
    return beside(store_dir, SUFFIX)


def release_scoped(queries: Mapping[str, Query] | None = None) -> list[Query]:
    """The catalogue queries declared ``#+ scope: release``, by name."""
    catalogue = queries if queries is not None else load_queries()
    return [q for q in catalogue.values() if q.scope == "release"]


def query_digest(query: Query) -> str:
    """SHA-256 of the query's text: a changed query never answers from an old file."""
    return hashlib.sha256(query.text.encode("utf-8")).hexdigest()


def vocabulary_digest(store: ox.Store) -> str:
    """SHA-256 of the store's vocabulary graph: its sorted N-Triples, blank node labels blanked.

    Blank node labels change with every parse of the same Turtle, so they are left out; every
    other term counts.
    """
    graph = ox.NamedNode(str(VOCABULARY_GRAPH))
    lines = sorted(
        " ".join(
            "_:" if isinstance(term, ox.BlankNode) else str(term)
            for term in (quad.subject, quad.predicate, quad.object)
        )
        for quad in store.quads_for_pattern(None, None, None, graph)
    )
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


class Tabulator:
    """Answers the release-scoped queries for a few release graphs at a time (in a build worker).

    A scratch in-memory store holds the vocabulary graph; the release graphs are loaded into
    it, every query answered over them unbound (the store holds just those releases), and the
    graphs removed again.
    """

    def __init__(self, vocabulary: Sequence[ox.Triple], queries: Sequence[Query]) -> None:
        self.vocabulary = vocabulary
        self.queries = {q.name: q for q in queries}
        self._scratch = scratch_store(vocabulary)
        self._answered = 0  # releases answered in the current scratch store
        for query in self.queries:  # a query the store cannot run fails now, not mid-build
            run_query(self._scratch, query, queries=self.queries)

    def answers(
        self,
        releases: Sequence[tuple[str, str, bytes]],
        *,
        also: Callable[[ox.Store], None] | None = None,
    ) -> list[dict[str, str]]:
        """Each query's rows as a compact JSON array, by query name, for each of ``releases``
        (given as id, graph IRI, N-Triples), in that order.

        They are loaded together and each query runs once over all of them; its rows are then
        dealt out by their ``release`` column, which keeps each release's rows in order (a
        scoped query orders by release first, and its answer for one release is its rows for
        that release: tests/test_query_binding.py, tests/test_kept_answers.py). ``also`` is
        called with the scratch store while it holds the graphs (the build worker serialises
        their dump files from there instead of loading them a second time).

        The graphs are parsed strictly (IRIs, datatypes, language tags checked), a mapper's
        error failing here: the build's parent then bulk-loads them without checking again
        (:func:`kg.store.embedded.load_new_graphs`, ``parsed``).
        """
        if self._answered >= SCRATCH_RELEASES:
            # an in-memory store keeps every term it has seen: a fresh one keeps memory flat
            self._scratch, self._answered = scratch_store(self.vocabulary), 0
        self._answered += len(releases)
        names = [ox.NamedNode(graph) for _, graph, _ in releases]
        try:
            for name, (_, _, ntriples) in zip(names, releases, strict=True):
                self._scratch.load(ntriples, format=ox.RdfFormat.N_TRIPLES, to_graph=name)
            if also is not None:
                also(self._scratch)
            dealt: list[dict[str, list[tuple[str, ...]]]] = [{} for _ in releases]
            index = {release: i for i, (release, _, _) in enumerate(releases)}
            for query in self.queries.values():
                table = run_query(self._scratch, query.name, queries=self.queries)
                column = table.columns.index("release")
                for answer in dealt:
                    answer[query.name] = []
                for row in table.rows:
                    if row[column] not in index:  # the query broke its #+ scope promise
                        raise ValueError(f"{query.name}: a row of release {row[column]!r}")
                    dealt[index[row[column]]][query.name].append(row)
            return [
                {
                    name: json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
                    for name, rows in answer.items()
                }
                for answer in dealt
            ]
        finally:
            for name in names:
                self._scratch.remove_graph(name)


_tabulator: Tabulator | None = None


def process_tabulator() -> Tabulator:
    """This process's tabulator, built once (the vocabulary and the catalogue are read once)."""
    global _tabulator
    if _tabulator is None:
        from kg.rdf.ontology import load_ontology_graph

        nt = load_ontology_graph().serialize(format="nt", encoding="utf-8")
        vocabulary = list(ox.parse(nt, format=ox.RdfFormat.N_TRIPLES))
        _tabulator = Tabulator(vocabulary, release_scoped())  # type: ignore[arg-type]
    return _tabulator


class KeptAnswers(SqliteFile):
    """The SQLite file of kept answers: written by the build, read by the query runner."""

    @classmethod
    def for_build(cls, path: Path, progress: Callable[[str], None] | None = None) -> KeptAnswers:
        """Open (or create) the file to write; an unreadable one or one of another format is
        started afresh: it only ever holds what a build can compute again."""
        try:
            kept = cls._open_writable(path)
            found = kept._meta("format")
            if found in (None, FORMAT):
                kept._db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (FORMAT,))
                kept._db.commit()
                return kept
            kept.close()
            raise sqlite3.DatabaseError(f"format {found!r}")
        except sqlite3.DatabaseError as exc:
            if progress is not None:
                progress(f"warning: {path}: kept answers unusable ({exc}); starting afresh")
            path.unlink(missing_ok=True)
            return cls.for_build(path)

    @classmethod
    def _open_writable(cls, path: Path) -> KeptAnswers:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path)
        except (OSError, sqlite3.OperationalError) as exc:
            raise InputError(path, f"cannot open kept answers: {exc}") from exc
        # the build's commits must not each wait for the disk: a killed process still leaves
        # a consistent file (the journal rolls back), which is the store's own guarantee too
        db.execute("PRAGMA synchronous=OFF")
        db.executescript(_SCHEMA)
        return cls(path, db)

    @classmethod
    def for_reading(cls, path: Path) -> KeptAnswers | None:
        """Open the file read-only; ``None`` if there is none or it is no SQLite file."""
        if not path.is_file():
            return None
        try:
            db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
            db.execute("SELECT 1 FROM meta LIMIT 1").fetchall()
        except sqlite3.DatabaseError:
            return None
        return cls(path, db)

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # -- writing (the build) -------------------------------------------------------------

    def prepare(self, vocabulary: str, queries: Iterable[Query]) -> None:
        """Drop what a changed vocabulary or query text made stale; record the new digests.

        Call it after the vocabulary graph is stored and before any release graph is.
        """
        db = self._db
        if self._meta("vocabulary") != vocabulary:
            db.execute("DELETE FROM answer")
            db.execute("DELETE FROM release")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('vocabulary', ?)", (vocabulary,))
        digests = {q.name: query_digest(q) for q in queries}
        for name, old in db.execute("SELECT name, digest FROM query").fetchall():
            if digests.get(name) != old:
                db.execute("DELETE FROM answer WHERE query = ?", (name,))
                db.execute("DELETE FROM query WHERE name = ?", (name,))
        db.executemany("INSERT OR REPLACE INTO query VALUES (?, ?)", digests.items())
        db.commit()

    def record(self, stored: Kept | None, storing: str | None) -> None:
        """In one commit: keep the answers of the release just ``stored`` (its id, graph and
        answers), and forget the release whose graph is ``storing`` next.

        The build calls it before each graph it stores and once after the last, so a release
        is forgotten before its graph changes and kept only once the new graph is in.
        """
        self.record_many([] if stored is None else [stored], [] if storing is None else [storing])

    def record_many(self, stored: Sequence[Kept], storing: Sequence[str]) -> None:
        """:meth:`record` for several releases at once (one commit): the build loads new
        release graphs in batches, each batch in one transaction."""
        for release, graph, answers in stored:
            self._db.execute("DELETE FROM answer WHERE release = ?", (release,))
            self._db.executemany(
                "INSERT INTO answer VALUES (?, ?, ?)",
                ((release, query, rows) for query, rows in answers.items()),
            )
            self._db.execute("INSERT OR REPLACE INTO release VALUES (?, ?)", (release, graph))
        for release in storing:
            self._db.execute("DELETE FROM answer WHERE release = ?", (release,))
            self._db.execute("DELETE FROM release WHERE id = ?", (release,))
        self._db.commit()

    # -- reading ------------------------------------------------------------------------

    def stale(self, store: ox.Store, query: Query) -> str | None:
        """Why the kept answers of ``query`` are not the store's answer, or ``None`` if they are."""
        db = self._db
        if self._meta("format") != FORMAT:
            return "the file is of another format"
        row = db.execute("SELECT digest FROM query WHERE name = ?", (query.name,)).fetchone()
        if row is None or row[0] != query_digest(query):
            return f"the query {query.name} changed since they were computed"
        if self._meta("vocabulary") != vocabulary_digest(store):
            return "the vocabulary graph changed since they were computed"
        kept = {g for (g,) in db.execute("SELECT graph FROM release")}
        if kept != set(release_graph_names(store)):
            return "they do not cover the store's release graphs"
        (answered,) = db.execute(
            "SELECT count(*) FROM answer WHERE query = ?", (query.name,)
        ).fetchone()
        if answered != len(kept):
            return f"some releases have no kept answer for {query.name}"
        return None

    def table(self, query: Query, release: str | None = None) -> Table:
        """The kept answer: of one release, or of every release in release order.

        Call :meth:`stale` first; this reads whatever the file holds.
        """
        if release is None:
            cursor = self._db.execute(
                "SELECT rows FROM answer WHERE query = ? ORDER BY release", (query.name,)
            )
        else:
            cursor = self._db.execute(
                "SELECT rows FROM answer WHERE query = ? AND release = ?", (query.name, release)
            )
        rows: list[tuple[str, ...]] = []
        for (text,) in cursor:
            rows.extend(map(tuple, json.loads(text)))
        return Table(columns=query.returns, rows=tuple(rows))

    def has_release(self, release: str) -> bool:
        """Whether the file holds ``release``."""
        found = self._db.execute("SELECT 1 FROM release WHERE id = ?", (release,)).fetchone()
        return found is not None


def answer(
    store: ox.Store,
    name: str,
    params: Mapping[str, str] | None = None,
    *,
    kept: Path | None = None,
    note: Callable[[str], None] | None = None,
) -> Table:
    """The catalogue query ``name``'s answer: kept (from the file ``kept``) when it is fresh,
    otherwise run in ``store`` (:func:`kg.queries.run.run_query`). ``note`` hears why not.

    Only ``release`` is answered from the file; a query given any other parameter runs in the
    store.
    """
    catalogue = load_queries()
    given = dict(params or {})
    query = catalogue.get(name)
    if (
        kept is not None
        and query is not None
        and query.scope == "release"
        and set(given) <= {"release"}
    ):
        why = _kept_table(store, query, given.get("release"), kept)
        if isinstance(why, Table):
            return why
        if why and note is not None:
            note(f"note: {kept}: kept answers not used: {why}; querying the store")
    return run_query(store, name, given, queries=catalogue)


def _kept_table(store: ox.Store, query: Query, release: str | None, path: Path) -> Table | str:
    answers = KeptAnswers.for_reading(path)
    if answers is None:
        return "" if not path.exists() else "not a kept-answers file"
    with answers:
        try:
            why = answers.stale(store, query)
            if why is not None:
                return why
            if release is not None and not answers.has_release(release):
                return ""
            return answers.table(query, release)
        except sqlite3.DatabaseError as exc:
            return f"unreadable ({exc})"
