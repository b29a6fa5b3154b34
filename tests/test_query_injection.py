"""Hostile ``narcokg query`` parameters and runaway queries.

Parameters are bound as RDF literals (SEP-0007 substitutions), never pasted into the query
text, so a value full of quotes, braces, ``} INSERT DATA {``, ``#`` or newlines is only a
string that names no release: every catalogue query answers exactly as it does for an unknown
release, and the store keeps every quad. A hostile parameter *name* or query *name* is refused
(exit 2). A local query that runs past ``--timeout`` ends with a one-line error, exit 2,
instead of hanging. Served endpoints have their own tests (``narcokg serve``/``web``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.queries.catalogue import load_queries
from kg.queries.run import run_query
from tests.conftest import narcokg
from tests.reliability_log import record

REAL = "000_a69edf0332bcabe2"
HOSTILE = [
    f'{REAL}" }} INSERT DATA {{ GRAPH <urn:evil> {{ <urn:a> <urn:b> <urn:c> }} }} #',
    f"{REAL}' }} ; DROP ALL ; SELECT * {{ '",
    '"} UNION { GRAPH ?g { ?s ?p ?o } } #',
    "} } DELETE WHERE { GRAPH ?g { ?s ?p ?o } } ; SELECT * WHERE { {",
    f"{REAL}\n}}\nDROP ALL\n",
    f"{REAL} # comment",
    f"{REAL}\\",
    '\\" . ?s ?p ?o . FILTER(true) #',
    "<https://w3id.org/narcotics-kg/graph/vocabulary>",
    "?release",
    "$release",
    '""" ) } LIMIT 1',
    "\x00\u202e{}\r\n\t",
    REAL.upper(),
    f" {REAL}",
]


def quads(store: Path) -> list[str]:
    return sorted(str(q) for q in ox.Store.read_only(str(store)))


@pytest.fixture
def store(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store"
    shutil.copytree(built, copy)
    return copy


def test_hostile_values_are_literals_in_every_catalogue_query(store: Path) -> None:
    before = quads(store)
    catalogue = load_queries()
    with_params = [q for q in catalogue.values() if "release" in q.params]
    assert len(with_params) >= 5
    tried = 0
    s = ox.Store(str(store))
    for q in with_params:
        real = run_query(s, q.name, {"release": REAL})
        unknown = run_query(s, q.name, {"release": "no-such-release"})
        assert unknown.rows == (), q.name  # a release that does not exist has no answers
        everything = run_query(s, q.name, {})
        assert len(everything.rows) >= len(real.rows)
        for value in HOSTILE:
            answer = run_query(s, q.name, {"release": value})
            assert answer == unknown, (q.name, value)
            tried += 1
    # the filter does work: the real id has answers for the per-figure questions
    assert run_query(s, "figures", {"release": REAL}).rows
    del s
    assert quads(store) == before
    record("query_injection", "hostile_values", len(HOSTILE))
    record("query_injection", "catalogue_queries", len(with_params))
    record("query_injection", "library_runs", tried)


@pytest.mark.slow
def test_hostile_values_through_the_command_line(store: Path) -> None:
    before = quads(store)
    real = narcokg("query", "figures", "--param", f"release={REAL}", "--format", "json",
                   "--store", str(store)).stdout  # fmt: skip
    assert real.count('"verbatim"') == 57
    runs = 0
    for value in HOSTILE:
        if "\x00" in value:
            continue  # an argv cannot hold NUL; the library test above covers it
        for args in (
            ["query", "figures", "--param", f"release={value}", "--format", "json"],
            ["figures", "--release", value, "--format", "json"],
        ):
            result = narcokg(*args, "--store", str(store), check=False)
            # it names no release: one line saying so (not an empty table), nothing printed
            assert result.returncode == 2, result.stderr
            assert result.stdout == "", (value, result.stdout[:200])
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: no release "), lines
            runs += 1
    assert quads(store) == before
    record("query_injection", "command_line_runs", runs)


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["query", "figures", "--param", "release} INSERT DATA { <urn:a> <urn:b> <urn:c> }=x"],
         "unknown parameter release} INSERT DATA"),
        (["query", "figures", "--param", "novalue"], "expected KEY=VALUE"),
        (["query", "../../../etc/passwd"], "unknown query '../../../etc/passwd'"),
        (["query", "figures; DROP ALL"], "unknown query 'figures; DROP ALL'"),
    ],
)  # fmt: skip
def test_hostile_names_are_refused(store: Path, args: list[str], problem: str) -> None:
    before = quads(store)
    result = narcokg(*args, "--store", str(store), check=False)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert problem in result.stderr
    assert quads(store) == before
    record("query_injection", f"refused: {' '.join(args[1:])}", result.stderr.strip())


@pytest.mark.slow
def test_a_runaway_local_query_ends_with_an_error_not_a_hang(store: Path, tmp_path: Path) -> None:
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "runaway.rq").write_text(
        "#+ summary: How many triples does the triple cross product of the store hold?\n"
        "#+ returns: [n]\n"
        "SELECT (COUNT(*) AS ?n) WHERE {\n"
        "  GRAPH ?g { ?a ?b ?c } GRAPH ?h { ?d ?e ?f } GRAPH ?i { ?x ?y ?z } }\n",
        encoding="utf-8",
    )
    code = (
        "import sys; from pathlib import Path; import kg.queries.catalogue as q;"
        f"q.queries_dir = lambda: Path({str(folder)!r})\n"
        "from kg.cli import main; main(sys.argv[1:], prog_name='narcokg')"
    )
    before = quads(store)
    result = subprocess.run(
        [sys.executable, "-c", code, "query", "runaway", "--timeout", "1", "--store", str(store)],
        capture_output=True,
        text=True,
        timeout=120,  # a hang fails the test instead of the run
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "error: query runaway: no answer within 1 s (--timeout)\n"
    assert quads(store) == before
    assert ox.Store(str(store)).query("ASK { GRAPH ?g { ?s ?p ?o } }")  # opens and answers after
    record("query_injection", "runaway query with --timeout 1", "exit 2, one line, store intact")
