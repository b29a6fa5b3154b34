"""``narcokg build`` end to end: named graphs, determinism, rebuild semantics, CLI contract."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, URIRef
from rdflib.compare import isomorphic

from kg.publish.describe import graph_file
from kg.resources import corpus_dir
from kg.store.embedded import graph_names
from tests.conftest import ROOT, narcokg

G = "https://w3id.org/narcotics-kg/graph/"
HEAVY = ["pyshacl", "owlready2", "rdflib"]
RELEASES = {f"{G}release/000_a69edf0332bcabe2", f"{G}release/003_fa7d3ae810f620c8"}


def load_trig(path: Path) -> Dataset:
    ds = Dataset()
    ds.parse(path, format="trig")
    return ds


def test_one_named_graph_per_release_plus_vocabulary(built: Path) -> None:
    store = ox.Store.read_only(str(built))
    # plus the verified corrections of release 000 (kg/rdf/corrections.py)
    names = set(graph_names(store))
    assert names == RELEASES | {f"{G}vocabulary", f"{G}corrections"}
    dumps = built.parent
    for name in names:
        assert (dumps / graph_file(name)).stat().st_size > 0, name
    # the whole-dataset files are `narcokg dump`'s (the fixture ran it), not the build's
    assert {p.name for p in dumps.glob("narcotics-kg.*")} == {
        "narcotics-kg.context.jsonld",
        "narcotics-kg.trig",
        "narcotics-kg.nq",
        "narcotics-kg.jsonld",
    }


def test_a_build_writes_no_whole_dataset_file_and_dump_writes_one(tmp_path: Path) -> None:
    """The build keeps per-graph files and the description; `narcokg dump` writes the whole
    dataset on demand, to a file or to stdout, with the size the description states."""
    store = tmp_path / "store"
    one = corpus_dir() / "000_a69edf0332bcabe2.txt"
    narcokg("build", str(one), "--store", str(store), cwd=tmp_path)
    assert not list(tmp_path.glob("narcotics-kg.nq")) and not list(tmp_path.glob("*.trig"))
    to_stdout = subprocess.run(
        [sys.executable, "-m", "kg.cli", "dump", "--store", str(store)],
        cwd=tmp_path,
        capture_output=True,
        check=True,
    )
    quads = {str(q) for q in ox.parse(to_stdout.stdout, format=ox.RdfFormat.N_QUADS)}
    assert quads == {str(q) for q in ox.Store.read_only(str(store))}
    narcokg("dump", "--store", str(store), "--out", str(tmp_path / "kg.trig"), cwd=tmp_path)
    trig = {str(q) for q in ox.parse(path=str(tmp_path / "kg.trig"), format=ox.RdfFormat.TRIG)}
    assert trig == quads
    stated = {
        t.subject.value.rsplit("/", 1)[1]: int(t.object.value)
        for t in ox.parse(path=str(tmp_path / "void.ttl"), format=ox.RdfFormat.TURTLE)
        if t.predicate.value == "http://www.w3.org/ns/dcat#byteSize"
    }
    assert stated["narcotics-kg.nq"] == len(to_stdout.stdout)
    assert stated["narcotics-kg.trig"] == (tmp_path / "kg.trig").stat().st_size
    bad = narcokg("dump", "--store", str(store), "--out", str(tmp_path / "kg.xml"), check=False)
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        f"error: {tmp_path / 'kg.xml'}: unknown dump format 'xml'; use one of nq, trig, jsonld "
        "(--format)"
    )


@pytest.mark.slow
def test_two_builds_are_isomorphic(built: Path, tmp_path: Path) -> None:
    narcokg("build", "--store", str(tmp_path / "store"), cwd=tmp_path)
    out = tmp_path / "narcotics-kg.trig"
    narcokg("dump", "--store", str(tmp_path / "store"), "--out", str(out), cwd=tmp_path)
    first, second = load_trig(built.parent / "narcotics-kg.trig"), load_trig(out)
    for name in RELEASES | {f"{G}vocabulary", f"{G}corrections"}:
        a, b = first.graph(URIRef(name)), second.graph(URIRef(name))
        assert len(a) > 0
        assert isomorphic(a, b), name


def test_trig_and_nquads_dumps_hold_the_same_quads(built: Path) -> None:
    trig = load_trig(built.parent / "narcotics-kg.trig")
    nq = Dataset()
    nq.parse(built.parent / "narcotics-kg.nq", format="nquads")
    for name in RELEASES:
        assert isomorphic(trig.graph(URIRef(name)), nq.graph(URIRef(name)))


@pytest.mark.slow
def test_rebuilding_one_release_replaces_its_graph_and_keeps_the_others(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    store = tmp_path / "store"
    narcokg("build", str(corpus), "--store", str(store), cwd=tmp_path)
    before = ox.Store.read_only(str(store))
    other = ox.NamedNode(f"{G}release/003_fa7d3ae810f620c8")
    kept = {str(q) for q in before.quads_for_pattern(None, None, None, other)}
    del before
    # the release text changes: a new figure appears, its graph is replaced
    path = corpus / "000_a69edf0332bcabe2.txt"
    path.write_text(
        path.read_text(encoding="utf-8") + "\n\nPolice seized 42 kilograms of drugs.\n",
        encoding="utf-8",
    )
    result = narcokg("build", str(path), "--store", str(store), cwd=tmp_path)
    assert "000_a69edf0332bcabe2" in result.stderr
    after = ox.Store.read_only(str(store))
    assert {str(q) for q in after.quads_for_pattern(None, None, None, other)} == kept
    rows = list(
        after.query(
            "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#> SELECT ?v WHERE {"
            ' GRAPH ?g { ?f nko:verbatim "42" ; nko:value ?v } }'
        )
    )
    assert [r["v"].value for r in rows] == ["42"]


def test_a_plain_text_file_without_metadata_builds(tmp_path: Path) -> None:
    path = tmp_path / "local-news.txt"
    path.write_text("From March to April, Hunan police cracked 17 drug cases.", encoding="utf-8")
    narcokg("build", str(path), "--store", str(tmp_path / "s"), cwd=tmp_path)
    out = narcokg("figures", "--store", str(tmp_path / "s"), "--format", "csv").stdout
    lines = out.strip().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("local-news,")
    assert ",17,17,,NUM," in lines[1]  # verbatim, value, no verified value, unit


def test_bad_input_is_one_line_exit_2_and_the_store_is_untouched(
    built: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"caf\xe9 garbage")
    store = tmp_path / "store"
    shutil.copytree(built, store)
    before = sorted(str(q) for q in ox.Store.read_only(str(store)))
    result = narcokg("build", str(bad), "--store", str(store), cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"error: {bad}: not UTF-8 at byte 3"]
    assert sorted(str(q) for q in ox.Store.read_only(str(store))) == before


def test_help_is_fast_and_lists_the_commands() -> None:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "kg.cli", "--help"], capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - started
    for command in ["build", "validate", "reason", "figures", "mentions", "query"]:
        assert command in result.stdout
    # reported, not asserted as a timing (benchmarks/ measures speed); heavy modules stay unloaded
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, kg.cli; print(*[m in sys.modules for m in ('pyshacl', 'owlready2')])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.split() == ["False", "False"], elapsed


def test_commands_on_a_missing_store_fail_clearly(tmp_path: Path) -> None:
    result = narcokg("figures", "--store", str(tmp_path / "nothing"), check=False)
    assert result.returncode == 2
    assert "no store here" in result.stderr


def test_dump_into_a_named_pipe_writes_through_it(built: Path, tmp_path: Path) -> None:
    """``--out`` naming a pipe (or /dev/null) writes into it instead of replacing it by a file,
    so a loader reading the pipe gets the dataset."""
    fifo = tmp_path / "to-loader"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    work = tmp_path / "copy"
    shutil.copytree(built.parent, work, ignore=shutil.ignore_patterns(".narcokg-*"))
    narcokg("dump", "--store", str(work / "store"), "--out", str(fifo))
    reader.join(timeout=60)
    assert fifo.is_fifo()
    assert got == [(work / "narcotics-kg.nq").read_bytes()]  # what the fixture's dump wrote
