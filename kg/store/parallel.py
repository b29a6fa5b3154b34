"""Extract and map releases in worker processes; hand the parent each release's graph.

Why: extraction and mapping are pure and independent per release (embarrassingly parallel),
and they are most of a build's cost; storing is not (one embedded store, one writer). So
worker processes each load the lexicon once and turn a :class:`~kg.text.corpus.Release` into a
:class:`MappedRelease` (its graph plus the counts the build reports, its kept answers, and
what they wrote of its dump files), and the parent stores those in input order, new graphs a
batch per bulk load (kg/build.py). The graph travels as N-Triples bytes, or, when the worker
wrote the graph's dump files, not at all: the parent reads its N-Quads piece
(docs/decisions/20261129-workers-write-graph-files.md).

Mapping goes through :func:`kg.rdf.mapping.to_graph` (the one place that knows the graph layout),
but into :class:`_NTriplesGraph`, which writes each triple as an N-Triples line instead of
indexing it: rdflib's in-memory indexes were two thirds of the per-release cost and the store
re-parses the text anyway. The stored quads are the same as those of ``to_graph(ex)``
serialised by rdflib (tests/test_parallel_build_and_fast_shacl.py checks it).

Workers are started with the ``spawn`` method: forking a process that holds an open RocksDB
store (and, under pytest, threads) is unsafe. Spawning costs about a second (imports and the
lexicon), so small inputs are mapped in-process unless ``jobs`` is given explicitly.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import islice
from multiprocessing.pool import Pool
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from kg.extract.extractor import Extractor
from kg.extract.records import Extraction, Status
from kg.namespaces import release_graph
from kg.store.graph_versions import token_of
from kg.text.corpus import Release

Progress = Callable[[str], None]

AUTO_PARALLEL_MIN = 64
"""With ``jobs=None``, inputs smaller than this are mapped in-process (spawning costs ~1 s)."""

_ESCAPE = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class MappedRelease:
    """One release's graph as N-Triples, and what the build reports about it."""

    id: str
    graph: str
    ntriples: bytes
    """The graph as the mapper wrote it; empty when its worker wrote the graph's dump files
    (``written``): the parent then reads the graph from its N-Quads piece, so that it does not
    cross from the worker to the parent through a pipe (~3 ms a release graph)."""
    triples: int
    figures: int
    malformed: int
    implausible: int
    mentions: int
    unlinked: int
    answers: dict[str, str] = field(default_factory=dict)
    """The release-scoped queries' answers for this release, as JSON (kg/store/kept_answers.py)."""
    token: str = ""
    """The version of the graph (kg/store/graph_versions.py), from the mapper's N-Triples."""
    written: dict[str, Any] | None = None
    """What the worker's :data:`GraphFileWriter` returned for the graph's dump files, when it
    wrote them (the graph changed and has no blank nodes); ``None`` when it did not."""


GraphFileWriter = Callable[[str, dict[str, bytes], ox.Store], dict[str, Any]]
"""Writes one graph's dump files (IRI, files by key: kg/rdf/serialise.py) where the dumps live
and returns what the dumps' manifest records of them and of the graph's release, read from the
store given (one that holds the graph: the worker's scratch store; kg/publish/describe.py).
The build hands one to the workers (a module-level function and a path: picklable), so that
the files are written where they are made instead of crossing to the parent."""


@dataclass(frozen=True)
class Batch:
    """Releases a worker takes together, with the version of each release graph the dumps
    already hold (``None``: none), so that it writes only the files of graphs that changed."""

    releases: tuple[Release, ...]
    dumped: tuple[str | None, ...]


def _term(node: Any) -> str:
    """One RDF term in N-Triples syntax (RDF 1.1 N-Triples §2.4-2.5)."""
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        quoted = '"' + str(node).translate(_ESCAPE) + '"'
        if node.language:
            return f"{quoted}@{node.language}"
        if node.datatype:
            return f"{quoted}^^<{node.datatype}>"
        return quoted
    raise TypeError(f"the mapper made a {type(node).__name__} ({node!r}); expected IRIs only")


class _NTriplesGraph(Graph):
    """A Graph that only records each distinct triple as an N-Triples line, in order.

    IRIs are written once each (a release graph names each subject about ten times, and
    predicates and codes hundreds of times): the cache halves the cost of the lines.
    """

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[str, None] = {}
        self._iris: dict[str, str] = {}

    def bind(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Prefixes mean nothing in N-Triples: binding them cost ~1 ms a release graph."""

    def add(self, triple: Any) -> _NTriplesGraph:  # type: ignore[override]
        """Record ``triple``; a repeated triple is kept once, as a graph would."""
        s, p, o = triple
        iris = self._iris
        subject = iris.get(s)
        if subject is None:
            subject = iris[s] = _term(s)
        predicate = iris.get(p)
        if predicate is None:
            predicate = iris[p] = _term(p)
        if type(o) is URIRef:
            value = iris.get(o)
            if value is None:
                value = iris[o] = _term(o)
        else:
            value = _term(o)
        self.lines[f"{subject} {predicate} {value} .\n"] = None
        return self

    def __len__(self) -> int:
        return len(self.lines)


def map_extraction(ex: Extraction) -> MappedRelease:
    """Map one extraction to N-Triples bytes (pure)."""
    from kg.rdf.mapping import to_graph

    sink = _NTriplesGraph()
    to_graph(ex, into=sink)
    figures = ex.figures
    return MappedRelease(
        id=ex.release.id,
        graph=release_graph(ex.release.id),
        ntriples="".join(sink.lines).encode("utf-8"),
        triples=len(sink),
        figures=len(figures),
        malformed=sum(f.status is Status.MALFORMED for f in figures),
        implausible=sum(f.status is Status.IMPLAUSIBLE for f in figures),
        mentions=len(ex.mentions),
        unlinked=sum(m.entity is None for m in ex.mentions),
    )


_extractor: Extractor | None = None


def process_extractor() -> Extractor:
    """This process's extractor, built once: loading the lexicon is the expensive part, and
    building it early checks the mapping files before anything is written."""
    global _extractor
    if _extractor is None:
        from kg.extract.lexicon import Lexicon
        from kg.extract.measures import default_measures

        _extractor = Extractor(Lexicon.load(), default_measures())
    return _extractor


BATCH = 32
"""Releases a worker maps and answers together: each kept query then runs once per batch
(parsing and planning the ten of them cost ~11 ms, as much as answering them for one release)."""


def map_batch(batch: Batch, write: GraphFileWriter | None = None) -> list[MappedRelease]:
    """Extract and map releases with this process's extractor, and answer their release-scoped
    queries together while the graphs are at hand (kg/store/kept_answers.py); with ``write``,
    serialise the dump files of the graphs that changed (kg/rdf/serialise.py) and write them."""
    from kg.rdf.serialise import graph_files_from_ntriples
    from kg.store.kept_answers import process_tabulator

    extractor = process_extractor()
    mapped = [
        replace(m, token=token_of(m.ntriples))
        for m in (map_extraction(extractor.extract(release)) for release in batch.releases)
    ]
    written: list[dict[str, Any] | None] = [None] * len(mapped)

    def serialise(scratch: ox.Store, write: GraphFileWriter) -> None:
        """From the tabulator's store, which holds the graphs."""
        for i, (m, dumped) in enumerate(zip(mapped, batch.dumped, strict=True)):
            if m.token == dumped:
                continue  # the dumps hold this very graph: its files are right
            files = graph_files_from_ntriples(m.graph, m.ntriples, loaded=scratch)
            if files is not None:
                written[i] = write(m.graph, files, scratch)

    answers = process_tabulator().answers(
        [(m.id, m.graph, m.ntriples) for m in mapped],
        also=None if write is None else partial(serialise, write=write),
    )
    return [
        replace(m, answers=a, written=w, ntriples=m.ntriples if w is None else b"")
        for m, a, w in zip(mapped, answers, written, strict=True)
    ]


def worker_count(releases: int, jobs: int | None) -> int:
    """The processes :func:`map_releases` uses for ``releases`` releases (1: none started).

    ``jobs=None`` means :func:`default_jobs`, in-process below :data:`AUTO_PARALLEL_MIN`
    releases (spawning costs ~1 s); never more processes than releases.
    """
    if jobs is None:
        jobs = default_jobs() if releases >= AUTO_PARALLEL_MIN else 1
    return max(1, min(jobs, releases))


def _warm_up() -> None:
    """Load what every batch needs (the lexicon, the kept queries) as the worker starts, so
    that it is ready when the first batch comes. A failure is not raised here (a pool whose
    initializer fails restarts its workers forever): :func:`map_batch` meets it again and
    raises it, and the parent has already checked the same files."""
    from kg.store.kept_answers import process_tabulator

    try:
        process_extractor()
        process_tabulator()
    except Exception:  # raised again by the first batch (see above)
        return


def start_workers(jobs: int) -> Pool:
    """A pool of ``jobs`` spawned worker processes, warming up at once (:func:`_warm_up`).

    Why separate from :func:`map_releases`: a worker takes ~1.5 s to start (imports, the
    lexicon); started before the build's own checks and set-up, it is ready when the first
    batch comes instead of after. The caller closes it (``with``), which stops the workers.
    """
    return multiprocessing.get_context("spawn").Pool(jobs, _warm_up)


def map_releases(
    releases: Sequence[Release],
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    write: GraphFileWriter | None = None,
    dumped: Mapping[str, str] | None = None,
    pool: Pool | None = None,
) -> Generator[MappedRelease, None, None]:
    """Yield every release mapped, in input order, using up to ``jobs`` processes.

    ``jobs`` as :func:`worker_count` says; ``jobs=1`` never starts a process, and ``pool``
    (:func:`start_workers`, left open) is used instead of starting one. Workers take
    :data:`BATCH` releases at a time. Results stream: at most ``2 * jobs`` batches wait for
    the parent at any time, whatever the size of the build. With ``write``, the workers write
    the dump files of each graph whose version is not the one ``dumped`` (graph IRI →
    version) says the dumps hold.
    """
    jobs = worker_count(len(releases), jobs)
    known = dumped or {}
    batches = (
        Batch(
            tuple(releases[i : i + BATCH]),
            tuple(known.get(release_graph(r.id)) for r in releases[i : i + BATCH]),
        )
        for i in range(0, len(releases), BATCH)
    )
    work = partial(map_batch, write=write)  # module-level + keyword: picklable for workers
    if jobs == 1 and pool is None:
        done: Iterable[list[MappedRelease]] = map(work, batches)
    else:
        done = ordered_map(work, batches, jobs, window=2 * jobs, pool=pool)
    yield from _report((m for batch in done for m in batch), progress)


def ordered_map(
    func: Callable[[Any], Any],
    items: Iterable[Any],
    jobs: int,
    *,
    window: int | None = None,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    pool: Pool | None = None,
) -> Iterator[Any]:
    """``map(func, items)`` over ``jobs`` spawned processes (or over ``pool``'s, which is
    left open), results in input order.

    Why bounded: at most ``window`` (default ``4 * jobs``) results wait for the parent at any
    time, so memory stays flat whatever the number of items. ``func`` must be a module-level
    function (it is pickled by name). ``initializer(*initargs)`` runs once in each worker, for
    state every item needs (e.g. a vocabulary loaded once); it must not raise (a pool whose
    initializer fails restarts workers forever), so keep a failure and raise it from ``func``.
    ``items`` is consumed lazily, as workers free up.
    """
    window = window or jobs * 4
    todo = iter(items)
    with ExitStack() as stack:
        if pool is None:
            context = multiprocessing.get_context("spawn")
            pool = stack.enter_context(context.Pool(jobs, initializer, initargs))
        pending = deque(pool.apply_async(func, (item,)) for item in islice(todo, window))
        while pending:
            done = pending.popleft().get()
            for item in islice(todo, 1):
                pending.append(pool.apply_async(func, (item,)))
            yield done


def _report(mapped: Iterable[MappedRelease], progress: Progress | None) -> Iterator[MappedRelease]:
    for m in mapped:
        if progress is not None:
            progress(f"extracted {m.id}: {m.figures} figures, {m.mentions} mentions")
        yield m
