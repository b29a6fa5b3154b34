"""Crash safety: ``narcokg build`` killed with SIGKILL at random moments loses nothing.

A small corpus exists in two versions, A and B (B adds one sentence with a new figure to every
release). The store holds one version completely; a build of the other version is started as
a real process and killed with SIGKILL, either at a uniformly random moment of its run or at a
random number of stored release graphs (counted on stderr), within the time one more graph
takes, so that kills land among the per-release transactions. After every kill:

- the store opens read-write (not corrupt, lock released) and every release graph is exactly
  its A or exactly its B version, quad for quad; the vocabulary graph is complete;
- the dumps under their real names parse to the end (never truncated);
- the next build of the same version completes and leaves every graph at that version;
- every release-scoped query answers exactly as when run in the store: from the kept answers
  (kg/store/kept_answers.py) when they survived the kill fresh, from the store when they did not.

Seeds are fixed, so a failure replays. The figures go to tests/.reliability/figures.json.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.queries.run import run_query
from kg.store.kept_answers import answer, answers_path, release_scoped
from tests.conftest import ROOT, narcokg
from tests.reliability_log import record

pytestmark = pytest.mark.slow  # SIGKILL loops over real builds

G = "https://w3id.org/narcotics-kg/graph/"
VOCABULARY = f"{G}vocabulary"
RUNS = 24
SEED = 8
RELEASES = 6

State = dict[str, frozenset[str]]


def _corpus(root: Path) -> tuple[Path, Path]:
    """Write versions A and B of a corpus of small releases cut from the bundled texts."""
    paragraphs = []
    for path in sorted((ROOT / "corpus").glob("*.txt")):
        paragraphs += [p for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    chunks = [paragraphs[i::RELEASES] for i in range(RELEASES)]
    a, b = root / "A", root / "B"
    for folder in (a, b):
        folder.mkdir()
    for i, chunk in enumerate(chunks):
        text = "\n\n".join(chunk) + "\n"
        (a / f"r{i}.txt").write_text(text, encoding="utf-8")
        extra = f"\nPolice seized {i + 2} kilograms of heroin in the new operation.\n"
        (b / f"r{i}.txt").write_text(text + extra, encoding="utf-8")
    return a, b


def _state(store: ox.Store) -> State:
    graphs: dict[str, set[str]] = {}
    for q in store:
        assert isinstance(q.graph_name, ox.NamedNode)
        graphs.setdefault(q.graph_name.value, set()).add(str(q))
    return {g: frozenset(quads) for g, quads in graphs.items()}


def _vocabulary_shape(quads: frozenset[str]) -> tuple[int, frozenset[str]]:
    """Size and blank-node-free quads: the ontology's blank nodes get new labels per build."""
    return len(quads), frozenset(q for q in quads if "_:" not in q)


def _check(state: State, a: State, b: State) -> str:
    """Every release graph is A or B; return which ("A", "B" or "mixed")."""
    releases = {g for g in a if g != VOCABULARY}
    assert set(state) in (releases | {VOCABULARY}, set()), sorted(state)
    assert _vocabulary_shape(state[VOCABULARY]) == _vocabulary_shape(a[VOCABULARY])
    versions = set()
    for g in releases:
        assert state[g] in (a[g], b[g]), f"{g} is neither its old nor its new version"
        versions.add("A" if state[g] == a[g] else "B")
    return versions.pop() if len(versions) == 1 else "mixed"


FORMATS = {
    ".trig": ox.RdfFormat.TRIG,
    ".nq": ox.RdfFormat.N_QUADS,
    ".ttl": ox.RdfFormat.TURTLE,
    ".jsonld": ox.RdfFormat.JSON_LD,
}


def _triples(quads: frozenset[str] | set[str]) -> set[str]:
    """Quads (as strings) without their graph name, for comparing per-graph files."""
    return {q.rsplit(" ", 1)[0] for q in quads}


def _check_dumps(folder: Path, a: State, b: State) -> int:
    """Every dump file under its real name parses to the end; whole-dataset dumps and
    per-graph Turtle files hold each release graph exactly as A or as B."""
    checked = 0
    for path in sorted(folder.rglob("*")):
        fmt = FORMATS.get(path.suffix)
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
        if fmt is None or hidden or "store" in path.parts:
            continue  # temporary files, the pieces' cache (.fragments/), the store
        if path.name.endswith(".context.jsonld"):
            continue  # a JSON-LD context, not data
        parsed = list(ox.parse(path=str(path), format=fmt, base_iri="http://example.org/"))
        checked += 1
        if fmt in (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS):
            graphs: dict[str, set[str]] = {}
            for q in parsed:
                assert isinstance(q.graph_name, ox.NamedNode)
                graphs.setdefault(q.graph_name.value, set()).add(str(q))
            assert set(graphs) == set(a), path
            for g, quads in graphs.items():
                if g != VOCABULARY:
                    assert frozenset(quads) in (a[g], b[g]), f"{path}: {g} is neither A nor B"
        elif fmt is ox.RdfFormat.TURTLE and path.parent.name == "release":
            g = f"{G}release/{path.stem}"
            triples = {str(t) for t in parsed}
            assert triples in (_triples(a[g]), _triples(b[g])), f"{path} is neither A nor B"
    return checked


def _timed_build(corpus: Path, store: Path) -> tuple[float, float]:
    """A complete build: (seconds in all, seconds after the first write began)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "build", str(corpus), "--store", str(store)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    writing = started
    for line in process.stderr:
        if line.startswith("stored vocabulary graph"):
            writing = time.perf_counter()
    assert process.wait() == 0
    ended = time.perf_counter()
    return ended - started, ended - writing


def test_sigkill_at_random_moments_leaves_every_graph_old_or_new(tmp_path: Path) -> None:
    version_a, version_b = _corpus(tmp_path)
    store = tmp_path / "data" / "store"
    reference = tmp_path / "ref" / "store"
    _timed_build(version_b, reference)
    b = _state(ox.Store.read_only(str(reference)))
    total, writing = _timed_build(version_a, store)
    a = _state(ox.Store.read_only(str(store)))
    assert len(a) >= RELEASES + 1
    assert all(a[g] != b[g] for g in a if g != VOCABULARY)

    rng = random.Random(SEED)
    outcomes: Counter[str] = Counter()
    versions = {"A": version_a, "B": version_b}
    current = "A"
    dumps_checked = 0
    for run in range(RUNS):
        target = "B" if current == "A" else "A"
        during_writes = run % 2 == 1
        process = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "build", str(versions[target]), "--store", str(store)],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        assert process.stderr is not None
        if during_writes:
            # after a random number of release graphs, within the time one more takes: the
            # build maps releases in batches and then stores them in a quick run, so a kill
            # drawn over the whole writing time mostly landed before the first graph
            stored_before_kill = rng.randrange(RELEASES)
            seen = 0
            for line in process.stderr:
                if line.startswith("stored vocabulary graph") and stored_before_kill == 0:
                    break
                if line.startswith("stored https://"):
                    seen += 1
                    if seen == stored_before_kill:
                        break
            time.sleep(rng.uniform(0, writing / RELEASES))
        else:
            time.sleep(rng.uniform(0, total))
        process.send_signal(signal.SIGKILL)
        process.stderr.close()
        code = process.wait()
        killed = code == -signal.SIGKILL
        if not killed:
            assert code == 0

        opened = ox.Store(str(store))  # read-write: the lock is free and the files are sound
        seen = _check(_state(opened), a, b)
        notes: list[str] = []
        for query in release_scoped():
            got = answer(opened, query.name, kept=answers_path(store), note=notes.append)
            assert got == run_query(opened, query.name), (run, query.name)
        outcomes["kept answers: fresh" if not notes else "kept answers: stale, not used"] += 1
        del opened
        dumps_checked += _check_dumps(store.parent, a, b)
        moment = "during writes" if during_writes else "at random"
        if killed:
            label = "old" if seen == current else "new" if seen == target else "mixed"
            outcomes[f"killed {moment}: store {label}"] += 1
        else:
            outcomes[f"finished before the kill ({moment})"] += 1

        narcokg("build", str(versions[target]), "--store", str(store))  # the next build completes
        assert _check(_state(ox.Store.read_only(str(store))), a, b) == target
        current = target

    killed_total = sum(n for k, n in outcomes.items() if k.startswith("killed"))
    assert outcomes["kept answers: stale, not used"] > 0, outcomes  # some kills left them stale
    assert killed_total >= RUNS - 2, outcomes
    assert any("mixed" in k for k in outcomes), outcomes  # some kills did land between graphs
    record("crash_safety", "runs", RUNS)
    record("crash_safety", "kills", killed_total)
    record("crash_safety", "outcomes", dict(sorted(outcomes.items())))
    record("crash_safety", "dump_files_checked", dumps_checked)
    record("crash_safety", "release_graphs", RELEASES)
    record("crash_safety", "full_build_seconds", round(total, 2))
    leftovers = sorted(p.name for p in store.parent.glob(".narcotics-kg.*"))
    record("crash_safety", "temporary_dump_files_left", len(leftovers))


FRESH_RUNS = 6


def test_sigkill_during_a_first_build_leaves_each_graph_absent_or_complete(
    tmp_path: Path,
) -> None:
    """A graph the store does not hold yet is loaded by another path (``Store.load``)."""
    _, version_b = _corpus(tmp_path)
    reference = tmp_path / "ref" / "store"
    _, writing = _timed_build(version_b, reference)
    b = _state(ox.Store.read_only(str(reference)))
    rng = random.Random(SEED + 1)
    outcomes: Counter[str] = Counter()
    for run in range(FRESH_RUNS):
        store = tmp_path / f"fresh{run}" / "store"
        process = subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "build", str(version_b), "--store", str(store)],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        assert process.stderr is not None
        # wait for a random number of release graphs to be stored, then kill within the time
        # one more graph takes: a kill drawn over the whole build's time landed before the
        # first or after the last graph whenever the machine was loaded
        stored_before_kill = run % RELEASES
        seen = 0
        for line in process.stderr:
            if line.startswith("stored vocabulary graph") and stored_before_kill == 0:
                break
            if line.startswith("stored https://"):
                seen += 1
                if seen == stored_before_kill:
                    break
        time.sleep(rng.uniform(0, writing / RELEASES))
        process.send_signal(signal.SIGKILL)
        process.stderr.close()
        killed = process.wait() == -signal.SIGKILL
        state = _state(ox.Store(str(store)))
        for g, graph_quads in state.items():
            if g == VOCABULARY:
                assert _vocabulary_shape(graph_quads) == _vocabulary_shape(b[VOCABULARY])
            else:
                assert graph_quads == b[g], f"{g} is incomplete"
        present = len(state) - (VOCABULARY in state)
        outcomes[f"{'killed' if killed else 'finished'}: {present} of {RELEASES} graphs"] += 1
        narcokg("build", str(version_b), "--store", str(store))
        after = _state(ox.Store.read_only(str(store)))
        assert {g: q for g, q in after.items() if g != VOCABULARY} == {
            g: q for g, q in b.items() if g != VOCABULARY
        }
    assert any(0 < int(k.split(": ")[1].split()[0]) < RELEASES for k in outcomes), outcomes
    record("crash_safety", "first_build_runs", FRESH_RUNS)
    record("crash_safety", "first_build_outcomes", dict(sorted(outcomes.items())))
