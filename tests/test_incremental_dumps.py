"""A build changes only what its releases change, and the dumps still agree.

One store goes through every kind of change a user makes: adding a release, rebuilding an
unchanged one, rebuilding a changed one, ``remove``, a change of the reference corrections, a
change of the vocabulary graph, a ``--no-dump`` build followed by one with dumps, a store whose
graph versions were thrown away (what ``serve --writable`` does), and builds interrupted in the
middle of their dumps. After each:

- the files of the graphs the change did not touch are the very same files (inode, size and
  modification time), so they were not written again; the touched ones were;
- the dumps agree with the store, checked against the store itself: each per-graph Turtle file
  holds that graph's triples; the whole-dataset N-Quads, TriG and JSON-LD
  (assembled from the pieces, as ``narcokg dump`` and ``narcokg web`` do; the build writes
  none) hold exactly the store's quads; ``void:triples`` counts each graph's quads; every
  listed file has its ``dcat:byteSize``;
- they equal a full rebuild (``publish`` into an empty folder): the same bytes for every dump,
  and the same description triples except the per-graph ``dcterms:issued`` and
  ``dcterms:modified``, which say when each graph first appeared and last changed (a full
  rebuild only knows today); those are checked on their own.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import URIRef

import kg.build
import kg.publish.describe as describe
from kg.build import build, remove
from kg.namespaces import CORRECTIONS_GRAPH, VOCABULARY_GRAPH
from kg.publish import whole
from kg.publish.describe import DCTERMS, graph_file, publish, whole_pieces
from kg.rdf.corrections import read_corrections
from kg.rdf.ontology import load_ontology_graph
from kg.resources import corpus_dir
from kg.store.graph_versions import discard, versions_path
from tests.conftest import INVENTED

G = "https://w3id.org/narcotics-kg/graph/"
DAY1 = dt.date(2026, 1, 5)
DAY2 = dt.date(2026, 2, 7)
FORMATS = {
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
}
Stats = dict[str, tuple[int, int, int]]


def _epoch(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> None:
    start = dt.datetime.combine(day, dt.time(12), tzinfo=dt.timezone.utc)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(start.timestamp())))


def _stats(dump_dir: Path) -> Stats:
    """Every file of the dump folder (the pieces' cache included), by path: inode, size, time."""
    out = {}
    for path in dump_dir.rglob("*"):
        rel = path.relative_to(dump_dir)
        if path.is_file() and rel.parts[0] != "store" and not rel.name.startswith("store."):
            st = path.stat()
            out[rel.as_posix()] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return out


def _files_of(graph: str) -> set[str]:
    """The Turtle file and the cached pieces of one graph (paths in the dump folder)."""
    ttl = graph_file(graph)
    stem = ttl.removesuffix(".ttl")
    return {ttl} | {f".fragments/{stem}.{key}" for key in ("nq", "trig", "jsonld")}


def _rewritten(before: Stats, after: Stats) -> set[str]:
    return {p for p in after if p in before and after[p] != before[p]}


def _void(path: Path) -> set[str]:
    return {str(t) for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)}


def _dates(void: set[str]) -> set[str]:
    """The per-graph dcterms:issued / modified triples (the dataset's own are not among them)."""
    return {
        t
        for t in void
        if t.startswith(f"<{G}") and (f"<{DCTERMS}issued>" in t or f"<{DCTERMS}modified>" in t)
    }


def _whole(dump_dir: Path, key: str) -> bytes:
    """The whole-dataset dump in format ``key``, from the pieces the manifest lists, after
    checking each piece has the size recorded for it."""
    pieces = whole_pieces(dump_dir, key)
    for path, recorded in pieces:
        assert path.stat().st_size == recorded, path
    out = io.BytesIO()
    whole.write(key, [path for path, _ in pieces], out)
    return out.getvalue()


def _agree(store_dir: Path, dump_dir: Path, tmp: Path) -> set[str]:
    """Check the dumps and description against the store and against a full rebuild; return
    the description's per-graph date triples."""
    store = ox.Store.read_only(str(store_dir))
    quads = {str(q) for q in store}
    graphs = sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))
    assembled = {key: _whole(dump_dir, key) for key in FORMATS}
    for key, fmt in FORMATS.items():
        parsed = {str(q) for q in ox.parse(assembled[key], format=fmt)}
        assert parsed == quads, key
        assert not (dump_dir / f"narcotics-kg.{key}").exists()  # the build writes none
    ttl_files = {p.relative_to(dump_dir).as_posix() for p in (dump_dir / "graph").rglob("*.ttl")}
    assert ttl_files == {graph_file(g) for g in graphs}
    for g in graphs:
        in_store = {
            str(q.triple) for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g))
        }
        turtle = ox.parse(path=str(dump_dir / graph_file(g)), format=ox.RdfFormat.TURTLE)
        assert {str(t.triple) for t in turtle} == in_store, g
    void = _void(dump_dir / "void.ttl")
    for g in graphs:
        n = sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(g)))
        count = f'<{g}> <http://rdfs.org/ns/void#triples> "{n}"^^<http://www.w3.org/2001/XMLSchema#integer>'
        assert count in void, g
    sizes = [t for t in void if "<http://www.w3.org/ns/dcat#byteSize>" in t]
    assert len(sizes) == len(graphs) + 3
    for t in sizes:
        rel = t.split(">", 1)[0].split("/distribution/", 1)[1]
        key = rel.removeprefix("narcotics-kg.")
        size = len(assembled[key]) if key in FORMATS else (dump_dir / rel).stat().st_size
        assert f'"{size}"' in t, rel

    fresh = tmp / f"fresh-{len(list(tmp.glob('fresh-*')))}"
    publish(store, fresh)
    for key in FORMATS:
        assert _whole(fresh, key) == assembled[key], key
    for g in graphs:  # the workers' files and those read back from the store: the same bytes
        assert (fresh / graph_file(g)).read_bytes() == (dump_dir / graph_file(g)).read_bytes(), g
    context = "narcotics-kg.context.jsonld"
    assert (fresh / context).read_bytes() == (dump_dir / context).read_bytes()
    full = _void(fresh / "void.ttl")
    assert void - _dates(void) == full - _dates(full)
    del store
    return _dates(void)


def _changed(folder: Path, name: str) -> Path:
    """A copy of an invented release with one more figure (same file name: same release id)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (INVENTED / name).read_text(encoding="utf-8")
    path = folder / name
    path.write_text(text + "\nPolice seized 7 kilograms of heroin in the new operation.\n")
    return path


R1, R2, R3 = "r01_guangdong_annual", "r03_yunnan_list", "r05_hainan_bullets"


def _release_graph(rid: str) -> str:
    return f"{G}release/{rid}"


@pytest.mark.slow  # a dozen builds
def test_each_kind_of_change_rewrites_only_its_graphs_and_the_dumps_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    store_dir, dump_dir = data / "store", data
    bundled = sorted(p.stem for p in corpus_dir().glob("*.txt"))
    _epoch(monkeypatch, DAY1)
    build([corpus_dir(), INVENTED / f"{R1}.txt", INVENTED / f"{R2}.txt"], **_dirs(data))
    _agree(store_dir, dump_dir, tmp_path)
    everything = {_release_graph(r) for r in [*bundled, R1, R2]}

    # adding a release: only its files and the vocabulary's (loaded again by every build: new
    # blank node labels) are written
    _epoch(monkeypatch, DAY2)
    before = _stats(dump_dir)
    build([INVENTED / f"{R3}.txt"], **_dirs(data))
    after = _stats(dump_dir)
    assert _files_of(_release_graph(R3)) <= after.keys() - before.keys()
    untouched = set().union(*(_files_of(g) for g in everything | {CORRECTIONS_GRAPH}))
    assert not _rewritten(before, after) & untouched
    assert _files_of(str(VOCABULARY_GRAPH)) <= _rewritten(before, after)
    dates = _agree(store_dir, dump_dir, tmp_path)
    # the description's entries: the untouched graphs keep their day, the new one has today's
    modified = f"<{DCTERMS}modified>"
    assert (
        f'<{_release_graph(R1)}> {modified} "{DAY1}"^^<http://www.w3.org/2001/XMLSchema#date>'
        in dates
    )
    assert (
        f'<{_release_graph(R3)}> {modified} "{DAY2}"^^<http://www.w3.org/2001/XMLSchema#date>'
        in dates
    )

    # rebuilding an unchanged release: its graph is replaced by the same triples, not dumped
    before = _stats(dump_dir)
    build([INVENTED / f"{R3}.txt"], **_dirs(data))
    assert not _rewritten(before, _stats(dump_dir)) & (untouched | _files_of(_release_graph(R3)))
    _agree(store_dir, dump_dir, tmp_path)

    # rebuilding a changed release: its files and no other release's
    before = _stats(dump_dir)
    build([_changed(tmp_path / "changed", f"{R1}.txt")], **_dirs(data))
    rewritten = _rewritten(before, _stats(dump_dir))
    assert _files_of(_release_graph(R1)) <= rewritten
    assert not rewritten & (untouched - _files_of(_release_graph(R1)))
    _agree(store_dir, dump_dir, tmp_path)

    # remove: the release's files go
    remove([R2], **_dirs(data))
    assert not _files_of(_release_graph(R2)) & _stats(dump_dir).keys()
    _agree(store_dir, dump_dir, tmp_path)

    # a change of the corrections: the corrections graph's files, then none when none apply
    rows = read_corrections()
    monkeypatch.setattr(kg.build, "read_corrections", lambda: rows[:2])
    before = _stats(dump_dir)
    build([INVENTED / f"{R3}.txt"], **_dirs(data))
    assert _files_of(CORRECTIONS_GRAPH) <= _rewritten(before, _stats(dump_dir))
    _agree(store_dir, dump_dir, tmp_path)
    monkeypatch.setattr(kg.build, "read_corrections", lambda: [])
    build([INVENTED / f"{R3}.txt"], **_dirs(data))
    assert not _files_of(CORRECTIONS_GRAPH) & _stats(dump_dir).keys()
    _agree(store_dir, dump_dir, tmp_path)
    monkeypatch.setattr(kg.build, "read_corrections", read_corrections)

    # a change of the vocabulary graph
    extra = URIRef("https://w3id.org/narcotics-kg/id/test/issue-17")
    ontology = load_ontology_graph()
    ontology.add((extra, URIRef(f"{DCTERMS}title"), URIRef("https://example.org/x")))
    monkeypatch.setattr(kg.build, "load_ontology_graph", lambda: ontology)
    before = _stats(dump_dir)
    build([INVENTED / f"{R3}.txt"], **_dirs(data))
    assert not _rewritten(before, _stats(dump_dir)) & _files_of(_release_graph(R1))
    assert "issue-17" in (dump_dir / graph_file(str(VOCABULARY_GRAPH))).read_text()
    _agree(store_dir, dump_dir, tmp_path)

    # a --no-dump build changes the store; the next build's dumps catch up with it
    build([INVENTED / f"{R1}.txt"], store_dir=store_dir, dump_dir=None)
    before = _stats(dump_dir)
    build([INVENTED / f"{R3}.txt"], **_dirs(data))
    assert _files_of(_release_graph(R1)) <= _rewritten(before, _stats(dump_dir))
    _agree(store_dir, dump_dir, tmp_path)

    # the store's graph versions thrown away (serve --writable): every graph is read again
    assert discard(store_dir)
    before = _stats(dump_dir)
    build([INVENTED / f"{R3}.txt"], **_dirs(data))
    assert _files_of(_release_graph(R1)) <= _rewritten(before, _stats(dump_dir))
    _agree(store_dir, dump_dir, tmp_path)


def _dirs(data: Path) -> dict[str, Path]:
    return {"store_dir": data / "store", "dump_dir": data}


class _Killed(BaseException):
    """Stands for a kill: nothing catches it, so no later step of the dump runs."""


@pytest.mark.parametrize(
    ("where", "allowed"),
    [("atomic_writer", 1), ("write_graph_files", 1), ("whole_size", 1), ("_write_atomically", 0)],
)
def test_a_dump_interrupted_half_way_is_repaired_by_the_next_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, allowed: int
) -> None:
    """Interrupted between a graph's Turtle file and its pieces, after the first graph's
    files, after every graph's files but before the description, or at the JSON-LD context:
    the next build brings everything back into agreement and leaves no temporary file."""
    data = tmp_path / "data"
    _epoch(monkeypatch, DAY1)
    build([INVENTED / f"{R1}.txt", INVENTED / f"{R2}.txt"], **_dirs(data))
    real = getattr(describe, where)
    calls = []

    def once_then_die(*args: object, **kwargs: object) -> object:
        if len(calls) == allowed:
            raise _Killed
        calls.append(1)
        return real(*args, **kwargs)

    # where the build calls it too (the files its workers serialised), there as well
    modules = [m for m in (describe, kg.build) if getattr(m, where, None) is real]
    for module in modules:
        monkeypatch.setattr(module, where, once_then_die)
    with pytest.raises(_Killed):
        build([_changed(tmp_path / "changed", f"{R1}.txt"), INVENTED / f"{R3}.txt"], **_dirs(data))
    for module in modules:
        monkeypatch.setattr(module, where, real)
    build([INVENTED / f"{R2}.txt"], **_dirs(data))
    _agree(data / "store", data, tmp_path)
    assert _hidden(data) == []


@pytest.mark.parametrize("stop", ["error", "kill"])
def test_files_of_a_release_that_never_landed_do_not_outlive_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop: str
) -> None:
    """The workers write a graph's files before the graph lands in the store. A build of two
    new releases stopped right after the first one's files were written leaves files of a
    graph the store does not hold: a build stopped by an error deletes them on its way out;
    after a kill (no clean-up runs: stood for by skipping it), the next build does."""
    data = tmp_path / "data"
    _epoch(monkeypatch, DAY1)
    build([INVENTED / f"{R1}.txt"], **_dirs(data))
    real = describe.write_graph_files
    calls = []

    def once_then_die(*args: object, **kwargs: object) -> object:
        if calls:
            raise _Killed
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(kg.build, "write_graph_files", once_then_die)
    if stop == "kill":
        monkeypatch.setattr(kg.build, "abandon_writes", lambda _: None)
    with pytest.raises(_Killed):
        build([INVENTED / f"{R2}.txt", INVENTED / f"{R3}.txt"], **_dirs(data))
    monkeypatch.undo()
    _epoch(monkeypatch, DAY1)
    assert calls == [1]  # R2's files were written, then the build stopped
    store = ox.Store.read_only(str(data / "store"))
    assert not store.contains_named_graph(ox.NamedNode(_release_graph(R2)))
    del store
    orphans = {data / f for f in _files_of(_release_graph(R2))}
    if stop == "kill":
        assert all(f.is_file() for f in orphans)
        assert _hidden(data) == [data / ".fragments" / ".writing"]
    else:
        assert not any(f.exists() for f in orphans)
        assert _hidden(data) == []
    build([INVENTED / f"{R1}.txt"], **_dirs(data))
    assert not any(f.exists() for f in orphans)
    assert all((data / f).is_file() for f in _files_of(_release_graph(R1)))
    _agree(data / "store", data, tmp_path)
    assert _hidden(data) == []


def _hidden(data: Path) -> list[Path]:
    """Hidden files among the dumps (temporary files, the running-publish marker)."""
    return [
        p for p in data.rglob(".*") if p.is_file() and "store" not in p.relative_to(data).parts[0]
    ]


@pytest.mark.slow  # real builds killed with SIGKILL
def test_sigkill_during_the_dumps_then_a_build_leaves_them_in_agreement(
    tmp_path: Path,
) -> None:
    """A real ``narcokg build`` killed at random moments while it writes the dumps (after it
    has written the first file); the next build repairs them. The moments are drawn over the
    time the rest of the dumps took in an uninterrupted build, measured first, so that kills
    land inside them on a slow machine as on a fast one."""
    data = tmp_path / "data"
    cmd = [sys.executable, "-m", "kg.cli", "build", "--store", str(data / "store")]
    subprocess.run([*cmd, str(INVENTED)], check=True, capture_output=True)
    rng = random.Random(17)
    versions = [[str(_changed(tmp_path / "B", f"{R1}.txt"))], [str(INVENTED / f"{R1}.txt")]]

    def start(paths: list[str]) -> tuple[subprocess.Popen[str], float]:
        """A build, once it has written its first dump file, and that moment."""
        process = subprocess.Popen(
            [*cmd, *paths], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith("wrote "):
                break
        return process, time.perf_counter()

    process, stored = start(versions[1])
    assert process.wait() == 0
    window = time.perf_counter() - stored  # the rest of the dumps
    mid_dump = 0
    for run in range(8):
        process, _ = start(versions[run % 2])
        time.sleep(rng.uniform(0, window))
        process.send_signal(signal.SIGKILL)
        assert process.stderr is not None
        process.stderr.close()
        process.wait()
        # a temporary file of a dump, or the marker of a publish running, left behind: the
        # kill landed while the dumps were written
        mid_dump += bool(_hidden(data))
        subprocess.run([*cmd, *versions[run % 2]], check=True, capture_output=True)
        assert _hidden(data) == []  # the next build removed them
        _agree(data / "store", data, tmp_path)
    assert mid_dump >= 1, "no kill landed inside the dumps"


@pytest.mark.slow  # a real writable server
def test_a_writable_server_drops_the_versions_and_the_next_dumps_show_its_change(
    tmp_path: Path,
) -> None:
    """Updates through ``serve --writable`` are recorded by nobody: the server deletes the
    store's graph versions, so the next build reads every graph again."""
    from kg.store.remote import Endpoint, update
    from tests.test_stores import _start_serve, _stop

    data = tmp_path / "data"
    store_dir = data / "store"
    build([INVENTED / f"{R1}.txt"], **_dirs(data))
    assert versions_path(store_dir).is_file()
    proc, urls = _start_serve(store_dir, "--writable")
    try:
        assert not versions_path(store_dir).exists()
        endpoint = Endpoint.from_options(urls["SPARQL endpoint"], update=urls["SPARQL update"])
        update(
            endpoint,
            f"INSERT DATA {{ GRAPH <{_release_graph(R1)}> "
            "{ <urn:x> <urn:p> 'CHANGED BY THE SERVER' } }",
        )
    finally:
        assert _stop(proc, signal.SIGTERM) == 0
    build([INVENTED / f"{R3}.txt"], **_dirs(data))
    assert "CHANGED BY THE SERVER" in (data / graph_file(_release_graph(R1))).read_text()
    _agree(store_dir, data, tmp_path)
