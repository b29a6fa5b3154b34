"""What the command line tells a user: complete help, honest counts, and removing a release.

Real processes over real builds of the bundled corpus (two releases) in temporary folders.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from tests.conftest import ROOT, narcokg

R0, R3 = "000_a69edf0332bcabe2", "003_fa7d3ae810f620c8"
G = "https://w3id.org/narcotics-kg/graph/"
COMMANDS = (
    "build", "validate", "check", "reason", "figures", "mentions", "query", "serve", "load",
    "web", "report", "remove",
)  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS)
def test_help_is_sentences_about_what_the_command_does(command: str) -> None:
    out = narcokg(command, "--help").stdout
    summary = out.split("\n\n", 2)[1].strip()  # the paragraph after the usage line
    assert summary[0].isupper() and summary.endswith((".", ")")), summary
    for source in (".rq", "queries/", "shapes/", ".py"):
        assert source not in out, (command, source)


@pytest.fixture
def data(built: Path, tmp_path: Path) -> Path:
    """A copy of the bundled-corpus build, with its dumps and kept answers."""
    folder = tmp_path / "data"
    shutil.copytree(built.parent, folder, ignore=shutil.ignore_patterns(".narcokg-*"))
    return folder


def _graphs(store: Path) -> set[str]:
    return {g.value.removeprefix(G) for g in ox.Store.read_only(str(store)).named_graphs()}


@pytest.mark.slow
def test_build_says_how_many_graphs_the_store_holds(data: Path, tmp_path: Path) -> None:
    path = tmp_path / "extra.txt"
    path.write_text("From May to June, Hainan police cracked 12 drug cases.\n", encoding="utf-8")
    done = narcokg("build", str(path), "--store", str(data / "store"), "--no-dump")
    assert done.stderr.splitlines()[-1] == (
        f"done: 1 release graphs built; {data / 'store'} holds 3 release graphs"
    )


@pytest.mark.slow
def test_remove_takes_a_release_and_everything_derived_from_it(data: Path) -> None:
    store = data / "store"
    assert {f"release/{R0}", f"release/{R3}"} <= _graphs(store)
    done = narcokg("remove", R3, "--store", str(store))
    assert done.stderr.splitlines()[-1] == f"done: 1 release graphs removed; {store} holds 1"
    assert _graphs(store) == {f"release/{R0}", "vocabulary", "corrections"}
    # the dumps and their description no longer hold it
    assert not (data / "graph" / "release" / f"{R3}.ttl").exists()
    assert (data / "graph" / "release" / f"{R0}.ttl").exists()
    assert R3 not in (data / "void.ttl").read_text(encoding="utf-8")
    nquads = narcokg("dump", "--store", str(store)).stdout
    assert R3 not in nquads
    graphs = {q.graph_name.value for q in ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS)}
    assert {g.removeprefix(G) for g in graphs} == _graphs(store)
    # the kept answers cover exactly the store again: figures are answered from them
    figures = narcokg("figures", "--store", str(store))
    assert "kept answers not used" not in figures.stderr
    assert {line.split(",", 1)[0] for line in figures.stdout.splitlines()[1:]} == {R0}
    # the corrections of release 003 (if any) went with it; those of 000 stay
    rows = ox.Store.read_only(str(store)).query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{G}corrections> {{ ?r ?p ?o }}"
        f" FILTER(CONTAINS(STR(?r), '{R3}')) }}"
    )
    assert next(iter(rows))["n"].value == "0"  # type: ignore[index,union-attr,arg-type]


@pytest.mark.slow
def test_removing_an_unknown_release_changes_nothing(data: Path) -> None:
    store = data / "store"
    before = sorted(str(q) for q in ox.Store.read_only(str(store)))
    dumps = narcokg("dump", "--store", str(store)).stdout
    void = (data / "void.ttl").read_bytes()
    done = narcokg("remove", R0, "003_fa7d3ae810f620c9", "--store", str(store), check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: no release '003_fa7d3ae810f620c9' in the store; did you mean 003_fa7d3ae810f620c8?"
    )
    assert sorted(str(q) for q in ox.Store.read_only(str(store))) == before
    assert narcokg("dump", "--store", str(store)).stdout == dumps
    assert (data / "void.ttl").read_bytes() == void
    assert re.search(r"holds", done.stderr) is None


def test_version_names_the_data_folder_the_command_reads() -> None:
    """Run from the checkout, the command reads the checkout's ontology, mappings and queries
    (an editable install does the same; a plain install names its own copy)."""
    out = narcokg("--version").stdout.strip()
    assert re.fullmatch(r"narcokg \S+ \(data: .+\)", out), out
    assert out.endswith(f"(data: {ROOT})")


class _Oxigraph:
    """The Oxigraph server binary on a free port of 127.0.0.1, over a fresh store."""

    def __init__(self, folder: Path, *, read_only: bool) -> None:
        import socket
        import subprocess
        import sys
        import time
        import urllib.request

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        location = folder / "remote"
        ox.Store(str(location)).flush()
        binary = str(Path(sys.executable).parent / "oxigraph")
        mode = "serve-read-only" if read_only else "serve"
        self.proc = subprocess.Popen(
            [binary, mode, "--location", str(location), "--bind", f"127.0.0.1:{self.port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/", timeout=2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("oxigraph did not start")

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.mark.slow
def test_load_into_a_read_only_server_does_not_blame_the_password(
    data: Path, tmp_path: Path
) -> None:
    server = _Oxigraph(tmp_path, read_only=True)
    try:
        b = server.base
        done = narcokg(
            "load", "--endpoint", f"{b}/query", "--update", f"{b}/update",
            "--graph-store", f"{b}/store", "--store", str(data / "store"), check=False,
        )  # fmt: skip
    finally:
        server.stop()
    assert done.returncode == 2
    line = done.stderr.strip().splitlines()[-1]
    assert "HTTP 403" in line and "it may be read-only" in line, line
    assert "NARCOKG_PASSWORD" not in line


@pytest.mark.slow
def test_load_to_the_query_url_alone_says_which_urls_to_give(data: Path, tmp_path: Path) -> None:
    server = _Oxigraph(tmp_path, read_only=False)
    try:
        done = narcokg(
            "load", "--endpoint", f"{server.base}/query", "--store", str(data / "store"),
            check=False,
        )  # fmt: skip
    finally:
        server.stop()
    assert done.returncode == 2
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith(f"error: {server.base}/query?graph="), line
    assert ": PUT failed: HTTP 404 Not Found" in line, line
    assert "pass --graph-store and --update; Oxigraph: .../store and .../update" in line, line


@pytest.mark.slow
def test_reason_checks_the_vocabulary_a_store_holds(built: Path) -> None:
    triples = len(list(ox.Store.read_only(str(built)).quads_for_pattern(
        None, None, None, ox.NamedNode(f"{G}vocabulary"))))  # fmt: skip
    done = narcokg("reason", "--store", str(built))
    assert done.stdout.strip() == f"consistent: HermiT found no contradiction in {triples} triples"


@pytest.mark.slow
def test_a_writable_server_starts_an_empty_store_to_load_into(data: Path, tmp_path: Path) -> None:
    import signal
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    target = tmp_path / "new" / "store"
    serve = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--writable", "--port", str(port),
         "--store", str(target)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert serve.stdout is not None
        for line in serve.stdout:
            if line.startswith("query page: "):
                break
        base = f"http://127.0.0.1:{port}"
        done = narcokg(
            "load", "--endpoint", f"{base}/query", "--update", f"{base}/update",
            "--graph-store", f"{base}/store", "--store", str(data / "store"),
        )  # fmt: skip
        graphs = len(list(ox.Store.read_only(str(data / "store")).named_graphs()))
        assert done.stderr.strip().splitlines()[-1].startswith(f"done: {graphs} graphs, ")
    finally:
        serve.send_signal(signal.SIGINT)
        _, err = serve.communicate(timeout=30)
    assert f"{target}: no store here yet; serving a new, empty one" in err
    assert len(list(ox.Store.read_only(str(target)).named_graphs())) == graphs
