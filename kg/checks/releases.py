"""Validate release graphs in worker processes: SHACL (fast path) and Data Cube ICs in one pass.

Why: ``narcokg validate`` checks every release graph twice, against the shapes compiled to
SPARQL (kg/checks/fastshacl.py) and against the RDF Data Cube integrity constraints
(kg/checks/datacube.py), each in a small in-memory store holding the release and the vocabulary.
Both are independent per release, and together cost ~130 ms of one core per release, so they
run in worker processes like the build (:func:`kg.store.parallel.ordered_map`): the parent reads
each release graph out of the store as N-Triples, lazily, and a worker (which parsed the
vocabulary and holds the compiled shapes once, see :class:`ReleaseChecker`) runs both checks
on it and hands back findings and constraint results, in release order.

The contract: the reports are the same whatever ``jobs`` is, and the same as those of the
straightforward paths (pySHACL via :func:`kg.checks.shacl.validate`,
:func:`kg.checks.datacube.check_store`);
tests/test_validate_parallel.py checks it. The graphs of a fixed size (vocabulary,
corrections) are still checked by the parent: pySHACL for the shapes, :func:`check_graph` for
the cube.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.checks.datacube import (
    ConstraintResult,
    CubeChecker,
    DataCubeReport,
    check_graph,
    observation_graphs,
)
from kg.checks.fastshacl import (
    CompiledShapes,
    Unsupported,
    compile_shapes,
    live_checks,
    merge_reports,
    other_graphs_report,
    release_findings,
)
from kg.checks.shacl import Finding, ValidationReport, load_shapes
from kg.namespaces import VOCABULARY_GRAPH
from kg.store.embedded import release_graph_names, scratch_store
from kg.store.parallel import AUTO_PARALLEL_MIN, default_jobs, ordered_map

Progress = Callable[[str], None]
_NT = ox.RdfFormat.N_TRIPLES


@dataclass(frozen=True)
class ReleaseOutcome:
    """What the checks found in one release graph."""

    graph: str
    findings: tuple[Finding, ...]
    cube: tuple[ConstraintResult, ...]


@dataclass(frozen=True)
class StoreValidation:
    """The SHACL report of a store and, unless left out, its Data Cube report."""

    shacl: ValidationReport
    cube: DataCubeReport | None

    @property
    def conforms(self) -> bool:
        """True iff the shapes and (when checked) every integrity constraint are met."""
        return self.shacl.conforms and (self.cube is None or self.cube.conforms)


SCRATCH_RELEASES = 250
"""Release graphs checked in one scratch store before it is replaced by a fresh one."""


class ReleaseChecker:
    """Checks one release graph at a time, given as N-Triples; holds what every release needs.

    Built once per worker: the vocabulary parsed once, a scratch store holding it for the
    shapes, the compiled shapes and which of their checks can fire (``checks``, see
    :func:`kg.checks.fastshacl.live_checks`). ``shapes=None`` skips SHACL, ``cube=False`` the
    integrity constraints.
    """

    def __init__(
        self,
        vocabulary: bytes,
        *,
        shapes: CompiledShapes | None,
        checks: Sequence[int],
        cube: bool,
    ) -> None:
        triples = list(ox.parse(vocabulary, format=_NT))
        self._vocabulary = triples
        self._shapes = shapes
        self._checks = list(checks)
        self._scratch = scratch_store(triples) if shapes is not None else None
        self._cube = CubeChecker(triples) if cube else None
        self._since_fresh = 0

    def check(self, graph: str, ntriples: bytes) -> ReleaseOutcome:
        """Run the checks on the release graph ``graph`` whose content is ``ntriples``.

        ``ox.parse`` keeps blank node labels (``Store.load`` would rename them), so the graph
        is the one in the store, term for term.
        """
        triples = list(ox.parse(ntriples, format=_NT))
        findings: list[Finding] = []
        if self._scratch is not None and self._since_fresh >= SCRATCH_RELEASES:
            # an in-memory store keeps every term it has seen after its quads are removed,
            # so a long-lived scratch store grew by each release's terms (1.3 GB per worker
            # at 10,000 releases); a fresh one every few hundred releases keeps memory flat
            self._scratch = scratch_store(self._vocabulary)
            self._since_fresh = 0
        self._since_fresh += 1
        if self._shapes is not None and self._scratch is not None:
            name = ox.NamedNode(graph)
            quads = (ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)
            findings = release_findings(self._scratch, graph, quads, self._shapes, self._checks)
        cube = self._cube.check(graph, triples) if self._cube is not None else []
        return ReleaseOutcome(graph, tuple(findings), tuple(cube))


_checker: ReleaseChecker | None = None
_failure: Exception | None = None


def _start_worker(
    vocabulary: bytes, shapes: CompiledShapes | None, checks: Sequence[int], cube: bool
) -> None:
    """Pool initializer: build this worker's checker; keep a failure for :func:`_check`."""
    global _checker, _failure
    try:
        _checker = ReleaseChecker(vocabulary, shapes=shapes, checks=checks, cube=cube)
    except Exception as exc:  # raised from _check: a failing initializer makes Pool respawn
        _failure = exc


def _check(item: tuple[str, bytes]) -> ReleaseOutcome:
    if _checker is None:
        raise RuntimeError("the validation worker did not start") from _failure
    return _checker.check(*item)


def _ntriples(store: ox.Store, graph: str) -> bytes:
    """The triples of ``graph`` as N-Triples (what a worker is handed: compact, picklable)."""
    return store.dump(format=_NT, from_graph=ox.NamedNode(graph)) or b""


def check_releases(
    store: ox.Store,
    releases: Sequence[str],
    *,
    shapes: CompiledShapes | None,
    checks: Sequence[int] = (),
    cube: bool = True,
    jobs: int | None = None,
) -> Iterator[ReleaseOutcome]:
    """Check every graph of ``releases`` (in ``store``), in order, in up to ``jobs`` processes.

    ``jobs=None`` means one process per core, in-process below
    :data:`kg.store.parallel.AUTO_PARALLEL_MIN` releases (spawning costs ~1 s); ``jobs=1`` never
    starts a process. Both run the same :class:`ReleaseChecker` on the same N-Triples.
    """
    if jobs is None:
        jobs = default_jobs() if len(releases) >= AUTO_PARALLEL_MIN else 1
    jobs = max(1, min(jobs, len(releases)))
    vocabulary = _ntriples(store, str(VOCABULARY_GRAPH))
    items = ((g, _ntriples(store, g)) for g in releases)
    if jobs == 1:
        checker = ReleaseChecker(vocabulary, shapes=shapes, checks=checks, cube=cube)
        for graph, ntriples in items:
            yield checker.check(graph, ntriples)
        return
    initargs = (vocabulary, shapes, list(checks), cube)
    yield from ordered_map(_check, items, jobs, initializer=_start_worker, initargs=initargs)


def validate_all(
    store: ox.Store,
    *,
    shapes_dir: Path | None = None,
    reference: bool = False,
    cube: bool = True,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> StoreValidation:
    """Validate ``store`` against the shapes and (``cube``) the Data Cube constraints.

    Release graphs go through :func:`check_releases`; the SHACL report is that of
    :func:`kg.checks.fastshacl.validate_store` and the cube report that of
    :func:`kg.checks.datacube.check_store`. ``reference=True`` (or shapes the compiler does not
    know; ``progress`` is told why) validates the shapes with pySHACL alone, on everything.
    """
    from kg.checks.shacl import validate
    from kg.store.embedded import to_dataset

    compiled: CompiledShapes | None = None
    if not reference:
        try:
            compiled = compile_shapes(load_shapes(shapes_dir)[0])
        except Unsupported as exc:
            if progress is not None:
                progress(f"note: fast validation does not cover this SHACL ({exc}); using pySHACL")
    releases = release_graph_names(store)
    checks = live_checks(store, compiled) if compiled is not None else []
    findings: list[Finding] = []
    results: list[ConstraintResult] = []
    if compiled is not None or cube:
        for outcome in check_releases(
            store, releases, shapes=compiled, checks=checks, cube=cube, jobs=jobs
        ):
            findings.extend(outcome.findings)
            results.extend(outcome.cube)
    if compiled is None:
        shacl = validate(to_dataset(store), shapes_dir=shapes_dir)
    else:
        shacl = merge_reports(releases, findings, other_graphs_report(store, shapes_dir))
    if not cube:
        return StoreValidation(shacl, None)
    done = set(releases)
    for graph in observation_graphs(store):  # the releases, then the corrections graph
        if graph not in done:
            results.extend(check_graph(store, graph))
    order = {g: i for i, g in enumerate(observation_graphs(store))}
    results.sort(key=lambda r: order[r.graph])  # stable: IC order within a graph
    return StoreValidation(shacl, DataCubeReport(tuple(results)))


def validate_store(
    store: ox.Store,
    *,
    shapes_dir: Path | None = None,
    reference: bool = False,
    progress: Progress | None = None,
    jobs: int | None = None,
) -> ValidationReport:
    """Validate every release graph of ``store`` (fast path), and the other graphs (reference).

    ``reference=True`` runs pySHACL on everything (``kg.checks.shacl.validate``); so does a shapes
    folder this compiler does not fully understand (``progress`` is told why). Release graphs
    are checked in up to ``jobs`` worker processes (:func:`kg.checks.releases.validate_all`,
    which also runs the Data Cube checks in the same pass; ``jobs=None``: one per core, in
    process for small stores), with the same findings whatever ``jobs``.
    """
    return validate_all(
        store,
        shapes_dir=shapes_dir,
        reference=reference,
        cube=False,
        jobs=jobs,
        progress=progress,
    ).shacl
