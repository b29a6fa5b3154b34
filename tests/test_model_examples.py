"""The examples of docs/model.md run as they are written, against a real build.

Why: the examples are what a reader copies first; one that answers nothing (a query of the
empty default graph, a wrong prefix, a path the build does not write) teaches that the data is
not there. Every fenced ``sparql`` block is run with pyoxigraph on the built store the way the
endpoints of ``narcokg web`` and ``narcokg serve`` run it (the default graph is the union of
the named graphs unless the query names its dataset with ``FROM``), every ``python`` block as
its own process in the folder of the build; each must answer something that is not nothing.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.store.proxy import names_dataset
from tests.conftest import ROOT

MODEL = ROOT / "docs" / "model.md"
_FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def examples(language: str) -> list[str]:
    """The fenced code blocks of docs/model.md tagged ``language``, in order."""
    text = MODEL.read_text(encoding="utf-8")
    return [body for tag, body in _FENCE.findall(text) if tag == language]


SPARQL = examples("sparql")
PYTHON = examples("python")


def _nothing(term: object) -> bool:
    """An unbound cell, or a count of zero."""
    return term is None or (isinstance(term, ox.Literal) and term.value in ("", "0"))


def test_model_md_has_runnable_examples() -> None:
    assert len(SPARQL) >= 5
    assert len(PYTHON) >= 2
    assert any("GRAPH ?g" in query for query in SPARQL)  # the graph of each triple
    assert any(names_dataset(query) for query in SPARQL)  # and a dataset chosen with FROM


@pytest.mark.parametrize("query", SPARQL, ids=[f"sparql-{i}" for i in range(len(SPARQL))])
def test_each_sparql_example_answers(built: Path, query: str) -> None:
    store = ox.Store.read_only(str(built))
    result = store.query(query, use_default_graph_as_union=not names_dataset(query))
    if isinstance(result, ox.QueryBoolean):
        assert bool(result)
        return
    if isinstance(result, ox.QueryTriples):
        assert list(result)
        return
    names = [v.value for v in result.variables]
    rows = list(result)
    assert rows, query
    for row in rows:
        assert not all(_nothing(row[n]) for n in names), (query, row)


@pytest.mark.parametrize("code", PYTHON, ids=[f"python-{i}" for i in range(len(PYTHON))])
def test_each_python_example_prints_an_answer(built: Path, code: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=built.parent,  # where `narcokg build` wrote the store and the dumps
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    printed = done.stdout.split()
    assert printed, done.stderr
    assert printed != ["0"]
