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

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.checks.datacube import (
    ConstraintResult,
    CubeChecker,
    CubeVocabulary,
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
    merged_findings,
    other_graphs_report,
    release_findings,
)
from kg.checks.shacl import (
    REPORT_SHAPES_DIR,
    Finding,
    Severity,
    ValidationReport,
    load_shapes,
)
from kg.namespaces import RELEASE_GRAPH_PREFIX, VOCABULARY_GRAPH
from kg.store.embedded import release_graph_names, scratch_store
from kg.store.parallel import AUTO_PARALLEL_MIN, default_jobs, ordered_map

if TYPE_CHECKING:
    from kg.store.checked import CheckedGraphs

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
    """The SHACL report of a store and, unless left out, its Data Cube report; how many
    release graphs were checked and how many reused their kept findings."""

    shacl: ValidationReport
    cube: DataCubeReport | None
    checked: int = 0
    """Release graphs checked in this run."""
    reused: int = 0
    """Release graphs not checked again: their kept findings are in the reports."""

    @property
    def conforms(self) -> bool:
        """True iff the shapes and (when checked) every integrity constraint are met."""
        return self.shacl.conforms and (self.cube is None or self.cube.conforms)


SCRATCH_RELEASES = 8
"""Release graphs checked in one scratch store before it is replaced by a fresh one.

Only for a release that shares a triple with the vocabulary (see
:func:`kg.checks.fastshacl.merged_findings`, which makes a store per release otherwise): a
scratch store slows down with every release it has held (3x after 100 releases).
"""


class ReleaseChecker:
    """Checks one release graph at a time, given as N-Triples or read from ``source``; holds
    what every release needs.

    Built once per worker: the vocabulary parsed once, the compiled shapes and which of their
    checks can fire (``checks``, see :func:`kg.checks.fastshacl.live_checks`). ``shapes=None``
    skips SHACL, ``cube=False`` the integrity constraints. ``fast_cube`` (the vocabulary's
    :class:`CubeVocabulary`, computed once by the caller) checks the constraints by the fast
    path where it applies; without it, every release is checked by the Recommendation's
    queries. ``source``: the store to read a release graph from when it comes without its
    N-Triples (:func:`check_releases`).
    """

    def __init__(
        self,
        vocabulary: bytes,
        *,
        shapes: CompiledShapes | None,
        checks: Sequence[int],
        cube: bool,
        fast_cube: CubeVocabulary | None = None,
        source: ox.Store | None = None,
    ) -> None:
        triples = list(ox.parse(vocabulary, format=_NT))
        self._vocabulary = triples
        self._shapes = shapes
        self._checks = list(checks)
        self._scratch: ox.Store | None = None  # made when first needed (_in_scratch)
        self._cube = CubeChecker(triples, fast=fast_cube) if cube else None
        self._since_fresh = 0
        self._source = source

    def check(self, graph: str, ntriples: bytes | None) -> ReleaseOutcome:
        """Run the checks on the release graph ``graph`` whose content is ``ntriples``, or
        (``None``) the graph as the source store holds it.

        ``ox.parse`` keeps blank node labels (``Store.load`` would rename them), and so does a
        CONSTRUCT of the graph's triples, so the graph is the one in the store, term for term.
        """
        if ntriples is not None:
            triples = list(ox.parse(ntriples, format=_NT))
        elif self._source is not None:
            triples = _triples(self._source, graph)
        else:
            raise ValueError(f"{graph}: no content given and no store to read it from")
        findings: list[Finding] = []
        if self._shapes is not None:
            merged = merged_findings(self._vocabulary, graph, triples, self._shapes, self._checks)
            findings = merged if merged is not None else self._in_scratch(graph, triples)
        cube = self._cube.check(graph, triples) if self._cube is not None else []
        return ReleaseOutcome(graph, tuple(findings), tuple(cube))

    def _in_scratch(self, graph: str, triples: Sequence[ox.Triple]) -> list[Finding]:
        """The findings of a release that shares a triple with the vocabulary: checked in
        the scratch store, the release and the vocabulary as two named graphs."""
        assert self._shapes is not None
        if self._scratch is None or self._since_fresh >= SCRATCH_RELEASES:
            # an in-memory store keeps every term (and quad) it has seen after its quads are
            # removed, so a long-lived scratch store grew by each release's terms (1.3 GB per
            # worker at 10,000 releases) and slowed down; a fresh one now and then avoids both
            self._scratch = scratch_store(self._vocabulary)
            self._since_fresh = 0
        self._since_fresh += 1
        name = ox.NamedNode(graph)
        quads = (ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)
        return release_findings(self._scratch, graph, quads, self._shapes, self._checks)


_checker: ReleaseChecker | None = None
_failure: Exception | None = None


def _start_worker(
    vocabulary: bytes,
    shapes: CompiledShapes | None,
    checks: Sequence[int],
    cube: bool,
    fast_cube: CubeVocabulary | None = None,
) -> None:
    """Pool initializer: build this worker's checker; keep a failure for :func:`_check`."""
    global _checker, _failure
    try:
        _checker = ReleaseChecker(
            vocabulary, shapes=shapes, checks=checks, cube=cube, fast_cube=fast_cube
        )
    except Exception as exc:  # raised from _check: a failing initializer makes Pool respawn
        _failure = exc


def _check(item: tuple[str, bytes | None]) -> ReleaseOutcome:
    if _checker is None:
        raise RuntimeError("the validation worker did not start") from _failure
    return _checker.check(*item)


def _triples(store: ox.Store, graph: str) -> list[ox.Triple]:
    """The triples of ``graph``: a CONSTRUCT, 30% cheaper than N-Triples dumped and parsed
    (8.5 ms against 12.1 ms for a release of ~1,600 triples, most of either the store
    decoding terms); blank nodes keep the store's labels, as in a dump."""
    found = store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert isinstance(found, ox.QueryTriples)
    return list(found)


GraphSource = Callable[[str], bytes | None]
"""A graph's N-Triples from outside the store, or ``None`` when it cannot say (see
:func:`check_releases`)."""


def _read(store: ox.Store, graph: str, source: GraphSource | None) -> bytes:
    """The N-Triples of ``graph``: from ``source`` when it has them, else from the store."""
    found = source(graph) if source is not None else None
    return found if found is not None else _ntriples(store, graph)


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
    fast_cube: bool = True,
    jobs: int | None = None,
    items: Iterable[tuple[str, bytes | None]] | None = None,
    source: GraphSource | None = None,
) -> Iterator[ReleaseOutcome]:
    """Check every graph of ``releases`` (in ``store``), in order, in up to ``jobs`` processes.

    ``jobs=None`` means one process per core, in-process below
    :data:`kg.store.parallel.AUTO_PARALLEL_MIN` releases (spawning costs ~1 s); ``jobs=1`` never
    starts a process. Both run the same :class:`ReleaseChecker` on the same triples.
    ``fast_cube=False`` checks the Data Cube constraints by the Recommendation's queries alone.
    ``items`` (graph, N-Triples), when given, are what is checked instead of the graphs of
    ``releases`` read from the store (whose length then only decides ``jobs``); N-Triples
    ``None`` means the graph as the store holds it.

    Who reads a release graph given as ``None``: in one process, the checker, from ``store``
    (a CONSTRUCT, :func:`_triples`, 30% cheaper than N-Triples dumped and parsed); for worker
    processes, the parent, which dumps it as N-Triples. (Workers reading a read-only handle
    of the store themselves were measured no faster: more CPU in all, and the parent idle.)
    ``source``, when given, is asked first: a graph's N-Triples from somewhere cheaper than
    the store (the dumps' pieces, ``None`` when they do not hold the store's version), since
    decoding a release graph's terms is most of the parent's ~10 ms per release.
    """
    if jobs is None:
        jobs = default_jobs() if len(releases) >= AUTO_PARALLEL_MIN else 1
    jobs = max(1, min(jobs, len(releases)))
    vocabulary = _ntriples(store, str(VOCABULARY_GRAPH))
    # the constraints the vocabulary decides are run once, here, not per release
    fast = CubeVocabulary.of(ox.parse(vocabulary, format=_NT)) if cube and fast_cube else None
    if items is None:
        items = ((g, None) for g in releases)
    if jobs == 1:
        checker = ReleaseChecker(
            vocabulary, shapes=shapes, checks=checks, cube=cube, fast_cube=fast, source=store
        )
        for graph, ntriples in items:
            yield checker.check(graph, ntriples)
        return
    items = ((g, nt if nt is not None else _read(store, g, source)) for g, nt in items)
    initargs = (vocabulary, shapes, list(checks), cube, fast)
    yield from ordered_map(_check, items, jobs, initializer=_start_worker, initargs=initargs)


def validate_all(
    store: ox.Store,
    *,
    shapes_dir: Path | None = None,
    reference: bool = False,
    cube: bool = True,
    jobs: int | None = None,
    progress: Progress | None = None,
    store_dir: Path | None = None,
    recheck: bool = False,
    source: GraphSource | None = None,
) -> StoreValidation:
    """Validate ``store`` against the shapes and (``cube``) the Data Cube constraints.

    Release graphs go through :func:`check_releases`; the SHACL report is that of
    :func:`kg.checks.fastshacl.validate_store` and the cube report that of
    :func:`kg.checks.datacube.check_store`. ``reference=True`` (or shapes the compiler does not
    know; ``progress`` is told why) validates the shapes with pySHACL alone, on everything, and
    the Data Cube constraints with the Recommendation's queries alone.

    With ``store_dir`` (where ``store`` lives), the findings of each release graph are kept
    beside it (:mod:`kg.store.checked`) and a graph whose content and context (shapes,
    vocabulary, checking code: :func:`check_context`) have not changed since is not checked
    again: its kept findings are the result (``reused`` counts them). ``recheck=True``
    checks every graph and keeps the new findings. Only the default path (fast shapes and
    the Data Cube constraints) keeps findings: it is the one ``narcokg validate`` runs.
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
    memo = None
    if store_dir is not None and compiled is not None and cube:
        memo = _Memo.open(store, store_dir, shapes_dir, recheck=recheck, progress=progress)
    reused = 0
    if compiled is not None or cube:
        if memo is None:
            outcomes: Iterable[ReleaseOutcome] = check_releases(
                store,
                releases,
                shapes=compiled,
                checks=checks,
                cube=cube,
                fast_cube=not reference,
                jobs=jobs,
                source=source,
            )
        else:

            def run(
                todo: Sequence[str], items: Iterable[tuple[str, bytes | None]]
            ) -> Iterator[ReleaseOutcome]:
                return check_releases(
                    store,
                    todo,
                    shapes=compiled,
                    checks=checks,
                    cube=cube,
                    jobs=jobs,
                    items=items,
                    source=source,
                )

            outcomes = memo.outcomes(releases, run)
            reused = memo.reused
        for outcome in outcomes:
            findings.extend(outcome.findings)
            results.extend(outcome.cube)
    done = set(releases)

    def others() -> tuple[ValidationReport, list[ConstraintResult]]:
        """The graphs of a fixed size (vocabulary, corrections): shapes by pySHACL, the
        corrections graph's cube by the Recommendation's queries."""
        report = other_graphs_report(store, shapes_dir)
        rest = [g for g in observation_graphs(store) if g not in done]
        return report, [r for g in rest for r in check_graph(store, g)]

    if compiled is None:
        shacl = validate(to_dataset(store), shapes_dir=shapes_dir)
    elif not cube:
        shacl = merge_reports(releases, findings, other_graphs_report(store, shapes_dir))
    else:
        other, extra = others() if memo is None else memo.others(others)
        shacl = merge_reports(releases, findings, other)
        results.extend(extra)
    if memo is not None:
        memo.close()
    if not cube:
        return StoreValidation(shacl, None, len(releases))
    if compiled is None:
        for graph in observation_graphs(store):  # the releases, then the corrections graph
            if graph not in done:
                results.extend(check_graph(store, graph))
    order = {g: i for i, g in enumerate(observation_graphs(store))}
    results.sort(key=lambda r: order[r.graph])  # stable: IC order within a graph
    return StoreValidation(shacl, DataCubeReport(tuple(results)), len(releases) - reused, reused)


CODE = ("datacube.py", "fastshacl.py", "releases.py", "shacl.py")
"""The modules whose code decides the findings of a release graph (in kg/checks/)."""


def check_context(store: ox.Store, shapes_dir: Path | None = None) -> str:
    """SHA-256 of everything besides a release graph's content that decides its findings.

    The shapes files (``shapes/*.ttl`` and ``shapes/report/*.ttl``, names and bytes), the
    vocabulary graph (:func:`kg.store.kept_answers.vocabulary_digest`), the source of the
    checking modules (:data:`CODE`: a changed check must not answer from old findings; a
    source digest rather than the package version, which an editable install does not bump)
    and the SPARQL engine's version (Oxigraph evaluates the compiled shapes).
    """
    from kg import resources
    from kg.store.kept_answers import vocabulary_digest

    folder = shapes_dir or resources.shapes_dir()
    digest = hashlib.sha256(b"narcokg-validation/1\0")
    files = sorted(folder.glob("*.ttl")) + sorted((folder / REPORT_SHAPES_DIR).glob("*.ttl"))
    for path in files:
        digest.update(f"shapes:{path.relative_to(folder).as_posix()}\0".encode())
        digest.update(path.read_bytes() + b"\0")
    here = Path(__file__).parent
    for name in CODE:
        digest.update(f"code:{name}\0".encode() + (here / name).read_bytes() + b"\0")
    digest.update(f"vocabulary:{vocabulary_digest(store)}\0".encode())
    digest.update(f"pyoxigraph:{getattr(ox, '__version__', '')}\0".encode())
    return digest.hexdigest()


def _payload(outcome: ReleaseOutcome) -> str:
    """An outcome as compact JSON (graph implied by the row)."""
    return json.dumps(
        {
            "findings": [
                [f.focus_node, f.shape, f.path, f.severity.value, f.message, f.value]
                for f in outcome.findings
            ],
            "cube": [[r.constraint, r.title, r.passed] for r in outcome.cube],
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _outcome(graph: str, payload: str) -> ReleaseOutcome:
    data = json.loads(payload)
    findings = tuple(
        Finding(graph, focus, shape, path, Severity(severity), message, value)
        for focus, shape, path, severity, message, value in data["findings"]
    )
    cube = tuple(ConstraintResult(graph, c, title, passed) for c, title, passed in data["cube"])
    return ReleaseOutcome(graph, findings, cube)


OTHERS = "(other graphs)"
"""The row of the graphs that are not release graphs (vocabulary, corrections): no IRI."""

KEEP_EVERY = 64
"""Outcomes written to the checked-graphs file per commit (a kill loses at most these)."""


class _Memo:
    """The checked-graphs file of one validation: which graphs to check, which to reuse.

    A graph's content is identified by the version token the build recorded for it
    (:mod:`kg.store.graph_versions`: forgotten before the graph is written, recorded after),
    or, for a graph the build did not record, by the SHA-256 of its N-Triples as read.
    """

    def __init__(
        self,
        store: ox.Store,
        checked: CheckedGraphs,
        versions: dict[str, str],
        context: str,
        recheck: bool,
    ) -> None:
        self._store = store
        self._checked = checked
        self._versions = versions
        self._context = context
        self._recheck = recheck
        self.reused = 0

    @classmethod
    def open(
        cls,
        store: ox.Store,
        store_dir: Path,
        shapes_dir: Path | None,
        *,
        recheck: bool,
        progress: Progress | None,
    ) -> _Memo | None:
        """The memo of the store at ``store_dir``; ``None`` (and a note) if the file cannot
        be opened: validation then checks everything, as before."""
        from kg.store.checked import CheckedGraphs, checked_path
        from kg.store.graph_versions import read_versions

        path = checked_path(store_dir)
        try:
            checked = CheckedGraphs.open(path, progress)
        except (OSError, sqlite3.Error) as exc:
            if progress is not None:
                progress(f"note: {path}: cannot keep findings ({exc}); checking every graph")
            return None
        context = check_context(store, shapes_dir)
        return cls(store, checked, read_versions(store_dir), context, recheck)

    def close(self) -> None:
        """Close the file (every write committed itself)."""
        self._checked.close()

    def others(
        self, run: Callable[[], tuple[ValidationReport, list[ConstraintResult]]]
    ) -> tuple[ValidationReport, list[ConstraintResult]]:
        """The other graphs' findings and constraint results: kept while their content (read:
        they are small) and the context are unchanged, otherwise ``run()`` and kept.

        The vocabulary graph's content is not read here: the context holds its digest with
        blank node labels left out (:func:`check_context`), and every build stores it again
        under new labels, which made every validation after a build check the other graphs
        again (~1 s).
        """
        digest = hashlib.sha256()
        vocabulary = str(VOCABULARY_GRAPH)
        for g in sorted(n.value for n in self._store.named_graphs() if isinstance(n, ox.NamedNode)):
            if g == vocabulary:
                digest.update(g.encode() + b"\0(in the context)\0")
            elif not g.startswith(RELEASE_GRAPH_PREFIX):
                digest.update(g.encode() + b"\0" + _ntriples(self._store, g) + b"\0")
        content = "sha256:" + digest.hexdigest()
        if not self._recheck and self._checked.rows().get(OTHERS) == (content, self._context):
            data = json.loads(self._checked.payload(OTHERS))
            report = ValidationReport(
                findings=tuple(
                    Finding(g, focus, shape, path, Severity(sev), message, value)
                    for g, focus, shape, path, sev, message, value in data["findings"]
                ),
                graphs=tuple(data["graphs"]),
            )
            cube = [ConstraintResult(g, c, t, ok) for g, c, t, ok in data["cube"]]
            return report, cube
        report, cube = run()
        payload = json.dumps(
            {
                "findings": [
                    [f.graph, f.focus_node, f.shape, f.path, f.severity.value, f.message, f.value]
                    for f in report.findings
                ],
                "graphs": list(report.graphs),
                "cube": [[r.graph, r.constraint, r.title, r.passed] for r in cube],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        self._checked.keep([(OTHERS, content, self._context, payload)])
        return report, cube

    def outcomes(
        self,
        releases: Sequence[str],
        run: Callable[
            [Sequence[str], Iterable[tuple[str, bytes | None]]], Iterable[ReleaseOutcome]
        ],
    ) -> list[ReleaseOutcome]:
        """Every release's outcome in release order: kept where its content and context
        match, otherwise from ``run(graphs to check, their (graph, N-Triples))``; N-Triples
        ``None`` (a graph whose version the build recorded: nothing to hash) leaves the
        reading to the checker (:func:`check_releases`)."""
        kept = {} if self._recheck else self._checked.rows()
        done: dict[str, ReleaseOutcome] = {}
        content: dict[str, str] = {}
        unknown: list[str] = []  # not recorded by the build: read to know
        todo: list[str] = []
        for g in releases:
            token = self._versions.get(g)
            if token is None:
                unknown.append(g)
                continue
            content[g] = "version:" + token
            if kept.get(g) == (content[g], self._context):
                done[g] = _outcome(g, self._checked.payload(g))
                self.reused += 1
            else:
                todo.append(g)

        def items() -> Iterator[tuple[str, bytes | None]]:
            for g in releases:
                if g in done:
                    continue
                if g in content:  # its version says what it holds: the checker reads it
                    yield g, None
                    continue
                ntriples = _ntriples(self._store, g)
                content[g] = "sha256:" + hashlib.sha256(ntriples).hexdigest()
                if kept.get(g) == (content[g], self._context):
                    done[g] = _outcome(g, self._checked.payload(g))
                    self.reused += 1
                    continue
                yield g, ntriples

        batch: list[tuple[str, str, str, str]] = []
        for outcome in run([*todo, *unknown], items()):
            done[outcome.graph] = outcome
            batch.append((outcome.graph, content[outcome.graph], self._context, _payload(outcome)))
            if len(batch) >= KEEP_EVERY:
                self._checked.keep(batch)
                batch = []
        self._checked.keep(batch)
        self._checked.forget_except([*releases, OTHERS])
        return [done[g] for g in releases]


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
