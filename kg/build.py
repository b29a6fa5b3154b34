"""Build the graph: read releases, extract, map, store each release graph, dump.

Why: the CLI stays thin; this is the library entry point a notebook or a scheduler calls too.
All input is read before anything is written, so bad input leaves the store as it was; each
release graph is then extracted and mapped (in parallel, kg/store/parallel.py) and stored
atomically (new graphs a batch per bulk load, a rebuilt one replaced in its own transaction), so
a crash leaves every graph either old or new. The answers of the release-scoped queries are kept
beside the store as each graph lands (kg/store/kept_answers.py), and so are the dump files the
workers serialised (kg/rdf/serialise.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import ExitStack, closing
from dataclasses import dataclass
from functools import partial
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import Graph

from kg.errors import OutputError
from kg.extract.extractor import Extractor
from kg.extract.lexicon import Lexicon
from kg.extract.measures import default_measures
from kg.extract.records import Extraction
from kg.namespaces import CORRECTIONS_GRAPH, VOCABULARY_GRAPH, release_graph
from kg.publish.describe import (
    abandon_writes,
    begin_writes,
    dumped_versions,
    graph_file_path,
    publish,
    sparql_endpoint_url,
    write_graph_files,
)
from kg.publish.dumps import check_writable
from kg.queries.catalogue import Query
from kg.rdf.corrections import CorrectionRow, CorrectionsResult, read_corrections
from kg.rdf.ontology import load_ontology_graph
from kg.store import compaction
from kg.store.corrections import apply_corrections
from kg.store.embedded import (
    ATOMIC_LOAD_QUADS,
    load_new_graphs,
    nquads_piece,
    ntriples_of_piece,
    put_graph_ntriples,
    release_graph_names,
    replace_graph,
    store_at,
)
from kg.store.graph_versions import forget, remember, token_of
from kg.store.kept_answers import (
    KeptAnswers,
    answers_path,
    process_tabulator,
    vocabulary_digest,
)
from kg.store.parallel import (
    MappedRelease,
    map_releases,
    process_extractor,
    start_workers,
    worker_count,
)
from kg.text.corpus import Release, iter_releases

Progress = Callable[[str], None]
BULK_MIN_GRAPHS = 8
"""New release graphs are bulk-loaded (one atomic ingestion per batch) from this many on."""
BULK_MAX_GRAPHS = 32
"""At most this many release graphs per bulk load (and half of ATOMIC_LOAD_QUADS quads)."""


@dataclass(frozen=True)
class ReleaseSummary:
    """What one release contributed."""

    id: str
    figures: int
    malformed: int
    implausible: int
    mentions: int
    unlinked: int
    triples: int


@dataclass(frozen=True)
class BuildResult:
    """The outcome of a build."""

    releases: tuple[ReleaseSummary, ...]
    skipped_duplicates: tuple[str, ...]
    dumps: tuple[Path, ...]
    held: int = 0  # release graphs in the store afterwards (this build's and earlier ones)


def _quiet(_: str) -> None:
    return None


def extract_all(releases: Iterable[Release], progress: Progress = _quiet) -> list[Extraction]:
    """Extract every release (pure; no writes)."""
    extractor = Extractor(Lexicon.load(), default_measures())
    out = []
    for release in releases:
        ex = extractor.extract(release)
        progress(f"extracted {release.id}: {len(ex.figures)} figures, {len(ex.mentions)} mentions")
        out.append(ex)
    return out


def build(
    paths: Iterable[Path] | None,
    *,
    store_dir: Path,
    dump_dir: Path | None,
    progress: Progress = _quiet,
    jobs: int | None = None,
) -> BuildResult:
    """Build release graphs for ``paths`` (default: the bundled corpus) into ``store_dir``.

    ``jobs`` processes extract and map (kg/store/parallel.py; default: one per core, in-process for
    small inputs), started as soon as the input is read, while this process stores the
    release graphs in input order, new ones a batch per bulk load. Every file is read (and bad
    input refused) before anything is written.
    """
    releases: list[Release] = []
    seen: dict[str, Release] = {}
    skipped: list[str] = []
    warnings: list[str] = []  # said once every input is read: a refused build says one line
    for release in iter_releases(list(paths) if paths else None):
        first = seen.get(release.sha256)
        if first is not None:
            warnings.append(
                f"warning: {release.path}: same bytes as {first.path} (release {first.id}); "
                f"{release.id} skipped, one graph kept"
            )
            skipped.append(release.id)
            continue
        warnings.extend(f"warning: {release.path}: {note}" for note in release.notes)
        seen[release.sha256] = release
        releases.append(release)
    with ExitStack() as stack:
        # the workers start now and warm up (imports, lexicon) while this process does the
        # checks and set-up below; leaving the block stops them, whatever happened
        workers = worker_count(len(releases), jobs)
        pool = stack.enter_context(start_workers(workers)) if workers > 1 else None
        return _checked_build(
            releases, skipped, warnings, store_dir, dump_dir, progress, workers, pool
        )


def _checked_build(
    releases: list[Release],
    skipped: list[str],
    warnings: list[str],
    store_dir: Path,
    dump_dir: Path | None,
    progress: Progress,
    workers: int,
    pool: Pool | None,
) -> BuildResult:
    """:func:`build` once its input is read: every other check, then the writes."""
    ontology = load_ontology_graph()
    # the mapping files are input too: a malformed one must fail before anything is written
    # (this also builds the in-process extractor, which map_releases then reuses)
    process_extractor()
    corrections = read_corrections()  # reference corrections: refused before any write too
    # and the queries whose answers are kept: a broken one fails here (it is run once, empty)
    scoped = list(process_tabulator().queries.values())
    if dump_dir is not None:
        check_writable(dump_dir)  # a read-only dump folder is refused before the store changes
        sparql_endpoint_url()  # and a malformed NARCOKG_BASE_URL (the description's endpoint)
    for warning in warnings:
        progress(warning)
    summaries: list[ReleaseSummary] = []
    dumps: list[Path] = []
    held: list[int] = []
    try:
        _store_and_dump(
            releases, store_dir, dump_dir, ontology, corrections, scoped, summaries, dumps,
            held, progress=progress, workers=workers, pool=pool,
        )  # fmt: skip
    except BaseException as exc:
        if pool is not None:
            pool.terminate()  # the workers stop before anything cleans up after them
        if dump_dir is not None:
            # the workers (stopped by now) may have written files of graphs that never
            # landed, and left temporary files: they go (a kill leaves them to the next build)
            abandon_writes(dump_dir)
        if isinstance(exc, OSError):
            raise _write_failure(exc, store_dir, dump_dir, written=len(summaries)) from None
        raise
    return BuildResult(tuple(summaries), tuple(skipped), tuple(dumps), held[0] if held else 0)


def _write_failure(
    exc: OSError, store_dir: Path, dump_dir: Path | None, *, written: int
) -> OutputError:
    """One line for a write that failed half-way (disk full, folder gone read-only), saying
    what is safe: each stored graph is complete (one transaction each) and every dump file
    under its real name is a complete older or newer one (atomic replace)."""
    where = exc.filename or (dump_dir if written and dump_dir else store_dir)
    return OutputError(
        where,
        f"cannot write: {exc.strerror or exc}; {written} release graphs were stored, each "
        "complete, and the dumps are whole files of this or the previous build; free the "
        "space (or fix the folder) and run the build again",
    )


def _store_and_dump(
    releases: list[Release],
    store_dir: Path,
    dump_dir: Path | None,
    ontology: Graph,
    corrections: list[CorrectionRow],
    scoped: list[Query],
    summaries: list[ReleaseSummary],
    dumps: list[Path],
    held: list[int],
    *,
    progress: Progress,
    workers: int,
    pool: Pool | None,
) -> None:
    """The writing half of :func:`build`: store each graph, keep answers, correct, dump."""
    with (
        store_at(store_dir) as store,
        KeptAnswers.for_build(answers_path(store_dir), progress) as kept,
    ):
        # the graphs this build writes are unknown to the dumps until they have landed
        # (kg/store/graph_versions.py): a kill in between leaves them to be dumped again
        written = [str(VOCABULARY_GRAPH), CORRECTIONS_GRAPH]
        forget(store_dir, [*written, *(release_graph(r.id) for r in releases)])
        replace_graph(store, str(VOCABULARY_GRAPH), ontology)
        tokens = {str(VOCABULARY_GRAPH): token_of(b"_:")}  # blank nodes: new labels every load
        progress(f"stored vocabulary graph: {len(ontology)} triples")
        kept.prepare(vocabulary_digest(store), scoped)

        def landed(m: MappedRelease) -> None:
            tokens[m.graph] = m.token
            if m.written is not None:  # the files its worker wrote: publish takes them as they are
                staged[m.graph] = {"version": m.token, **m.written}
            summaries.append(
                ReleaseSummary(
                    id=m.id,
                    figures=m.figures,
                    malformed=m.malformed,
                    implausible=m.implausible,
                    mentions=m.mentions,
                    unlinked=m.unlinked,
                    triples=m.triples,
                )
            )
            progress(f"stored {m.graph}: {m.triples} triples")

        def land(batch: list[MappedRelease]) -> None:
            """Store release graphs the store does not hold: a batch in one atomic bulk load,
            a few one transaction each (the bulk loader costs more below eight graphs).
            Kept answers: forgotten before, kept after, so a kill leaves them missing."""
            if len(batch) < BULK_MIN_GRAPHS:
                for m in batch:
                    replace_one(m)
                return
            kept.record_many([], [m.id for m in batch])
            # every graph was parsed strictly by its worker (the kept answers' scratch store)
            load_new_graphs(
                store, [quads(m) for m in batch], parsed=True, at_most=sum(m.triples for m in batch)
            )
            kept.record_many([(m.id, m.graph, m.answers) for m in batch], [])
            for m in batch:
                landed(m)

        def replace_one(m: MappedRelease) -> None:
            """One release graph in its own transaction (a rebuilt one is replaced)."""
            kept.record(None, m.id)
            put_graph_ntriples(store, m.graph, ntriples(m))
            transacted.append(m.graph)
            kept.record((m.id, m.graph, m.answers), None)
            landed(m)

        transacted: list[str] = []  # graphs stored by a transaction (not bulk-loaded)
        staged: dict[str, dict[str, Any]] = {}
        write = None if dump_dir is None else partial(write_graph_files, dump_dir)
        dumped = dumped_versions(dump_dir) if dump_dir is not None else {}
        if dump_dir is not None:
            begin_writes(dump_dir)  # the workers write the files of the graphs they map

        def quads(m: MappedRelease) -> bytes:
            """The graph as N-Quads: the piece its worker wrote (as the store holds it)."""
            if m.written is None or dump_dir is None:
                return nquads_piece(m.graph, m.ntriples)
            return graph_file_path(dump_dir, m.graph, "nq").read_bytes()

        def ntriples(m: MappedRelease) -> bytes:
            return m.ntriples if m.written is None else ntriples_of_piece(m.graph, quads(m))

        mapped = map_releases(
            releases, jobs=workers, pool=pool, progress=progress, write=write, dumped=dumped
        )
        # each batch lands as it comes, while the workers map the next ones (landing a
        # segment of 1,024 at a time, or everything once all is mapped, was measured and
        # rejected: docs/decisions/20261130-build-stores-after-mapping.md)
        pending: dict[str, MappedRelease] = {}  # by graph IRI, in input order
        pending_quads = 0
        with closing(mapped):
            for m in mapped:
                if m.graph in pending or store.contains_named_graph(ox.NamedNode(m.graph)):
                    land(list(pending.values()))  # in input order: what came before first
                    pending, pending_quads = {}, 0
                    replace_one(m)
                    continue
                pending[m.graph] = m
                pending_quads += m.triples
                if len(pending) >= BULK_MAX_GRAPHS or pending_quads >= ATOMIC_LOAD_QUADS // 2:
                    land(list(pending.values()))
                    pending, pending_quads = {}, 0
        land(list(pending.values()))
        progress(
            f"kept answers of {len(scoped)} queries for {len(summaries)} releases: {kept.path}"
        )
        # revised figures for the releases now in the store (kg/rdf/corrections.py)
        tokens.update(_corrections_token(apply_corrections(store, corrections, progress)))
        remember(store_dir, tokens)
        held.append(len(release_graph_names(store)))
        # compact what the per-release transactions left in many small files (whole-corpus
        # queries then read far fewer of them), once a tenth of the store was written since
        # the last time: a full compaction costs 15 s at 10,000 releases. Bulk-loaded graphs
        # do not count: they arrive as sorted table files, which RocksDB merges in the
        # background (whole-corpus queries measured as fast before a compaction as after)
        compaction.after_writes(
            store, store_dir, written=len(transacted), held=held[0], progress=progress
        )
        if dump_dir is not None:
            # Turtle per graph and its pieces of the whole-dataset dumps, then void.ttl (only
            # the graphs that changed and no worker serialised are read: kg/publish/describe.py)
            dumps.extend(
                publish(store, dump_dir, progress=progress, store_dir=store_dir, staged=staged)
            )


def remove(
    ids: Iterable[str],
    *,
    store_dir: Path,
    dump_dir: Path | None,
    progress: Progress = _quiet,
) -> int:
    """Remove the release graphs of ``ids`` from the store; return how many graphs remain.

    Everything derived from a release goes with it, so that store, kept answers, corrections
    and dumps still agree: its kept answers are forgotten before its graph is dropped, the
    corrections graph is made again for the releases that remain, and the dumps and their
    description are written again (its per-graph Turtle file removed). An id the store does
    not hold is refused, naming the closest ones, before anything changes.
    """
    from kg.publish.describe import graph_file
    from kg.queries.domains import release_ids, unknown

    wanted = list(dict.fromkeys(ids))
    corrections = read_corrections()
    if dump_dir is not None:
        check_writable(dump_dir)
        sparql_endpoint_url()  # a malformed NARCOKG_BASE_URL is refused before anything changes
    with (
        store_at(store_dir, create=False) as store,
        KeptAnswers.for_build(answers_path(store_dir), progress) as kept,
    ):
        held = release_ids(store)
        for rid in wanted:
            if rid not in held:
                raise unknown("release", rid, held)
        forget(store_dir, [CORRECTIONS_GRAPH, *(release_graph(rid) for rid in wanted)])
        for rid in wanted:
            graph = release_graph(rid)
            kept.record(None, rid)  # forget first: a crash between leaves it missing, not stale
            store.update(f"DROP SILENT GRAPH <{graph}>")
            progress(f"removed {graph}")
            if dump_dir is not None:
                (dump_dir / graph_file(graph)).unlink(missing_ok=True)
        remember(store_dir, _corrections_token(apply_corrections(store, corrections, progress)))
        if dump_dir is not None:
            publish(store, dump_dir, progress=progress, store_dir=store_dir)
        return len(release_graph_names(store))


def _corrections_token(result: CorrectionsResult) -> dict[str, str]:
    """The version token of the corrections graph just stored (none when it was dropped):
    the digest of its sorted N-Triples, so unchanged corrections are not dumped again."""
    if not (result.revisions or result.unmatched):
        return {}
    lines = sorted(result.graph.serialize(format="nt").splitlines())
    return {CORRECTIONS_GRAPH: token_of("\n".join(lines).encode("utf-8"))}
