"""Issue 7: a parameter bound where the query marks it (``# @bind ?release ?g``) gives exactly
the rows of the unbound query whose column equals the value.

Why this matters: at 10,000 releases a per-release question ran the whole corpus and filtered
afterwards (90 s for 36 rows; pyoxigraph applies its substitutions late). The marks make the
store restrict the query first; these tests prove that moving the restriction changes no answer,
on the bundled corpus and on the six invented releases, for every release and every catalogue
query that takes ``release``.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.errors import InputError
from kg.queries.binding import bind_marked
from kg.queries.catalogue import Query, load_queries, parse_query
from kg.queries.run import run_query
from kg.queries.tables import Table
from tests.conftest import INVENTED_COUNT, narcokg

RELEASES = Path(__file__).parent / "data" / "releases"


@pytest.fixture(scope="module")
def invented(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of the six invented, hand-annotated releases."""
    work = tmp_path_factory.mktemp("invented")
    narcokg("build", str(RELEASES), "--store", str(work / "store"), "--no-dump", cwd=work)
    return work / "store"


def _unbound_then_filtered(store: ox.Store, query: Query, column: str, value: str) -> Table:
    """The reference answer: the whole query, then the rows whose ``column`` is ``value``."""
    everything = run_query(store, query.name)
    i = everything.columns.index(column)
    return Table(everything.columns, tuple(r for r in everything.rows if r[i] == value))


def _release_ids(store: ox.Store) -> list[str]:
    rows = store.query(
        "SELECT DISTINCT ?id WHERE { GRAPH ?g { ?r a <https://w3id.org/narcotics-kg/ontology#Release>"
        " ; <http://purl.org/dc/terms/identifier> ?id } }"
    )
    assert isinstance(rows, ox.QuerySolutions)
    return sorted(s["id"].value for s in rows)  # type: ignore[union-attr]


# the 30-odd invented releases take half a minute: the fast set runs the corpus only
@pytest.mark.parametrize("which", ["corpus", pytest.param("invented", marks=pytest.mark.slow)])
def test_marked_binding_answers_like_filtering_the_whole_answer(
    which: str, built: Path, invented: Path
) -> None:
    store = ox.Store.read_only(str(built if which == "corpus" else invented))
    ids = _release_ids(store)
    assert len(ids) == (2 if which == "corpus" else INVENTED_COUNT)
    catalogue = load_queries()
    marked = [q for q in catalogue.values() if "release" in q.params]
    assert len(marked) == 11
    nonempty = 0
    for query in marked:
        for rid in [*ids, "no-such-release"]:
            got = run_query(store, query.name, {"release": rid})
            assert got == _unbound_then_filtered(store, query, "release", rid), (query.name, rid)
            nonempty += bool(got.rows)
    assert nonempty >= 8 * len(ids)  # the comparisons are mostly not between empty answers


def test_every_release_parameter_is_marked_in_the_catalogue() -> None:
    for query in load_queries().values():
        if "release" in query.params:
            assert "# @bind ?release" in query.text, query.name


def test_a_mark_becomes_one_values_clause_with_the_value_escaped() -> None:
    query = load_queries()["malformed_figures"]
    text, unmarked = bind_marked(query, {"release": 'r1" } DROP ALL #'})
    assert unmarked == {}
    assert "# @bind" not in text
    line = next(ln for ln in text.splitlines() if "VALUES" in ln).strip()
    assert line == (
        'VALUES (?release ?g) { ("r1\\" } DROP ALL #" UNDEF) }'  # no IRI can hold a space
    )
    text, _ = bind_marked(query, {"release": "r01"})
    graph = "<https://w3id.org/narcotics-kg/graph/release/r01>"
    assert f'VALUES (?release ?g) {{ ("r01" {graph}) }}' in text
    assert bind_marked(query, {}) == (query.text, {})  # unbound: the marks stay comments


def test_an_unmarked_parameter_is_left_to_the_caller(tmp_path: Path) -> None:
    path = tmp_path / "q.rq"
    path.write_text(
        "#+ summary: s\n#+ returns: [a]\n#+ params: [a]\nSELECT ?a WHERE { VALUES ?a { 1 } }\n",
        encoding="utf-8",
    )
    query = parse_query(path)
    assert bind_marked(query, {"a": "x"}) == (query.text, {"a": "x"})


def test_a_mark_must_name_a_declared_parameter(tmp_path: Path) -> None:
    path = tmp_path / "q.rq"
    path.write_text(
        "#+ summary: s\n#+ returns: [a]\n#+ params: [a]\n"
        "SELECT ?a WHERE {\n  # @bind ?b\n  VALUES ?a { 1 }\n}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"@bind \?b names no parameter"):
        parse_query(path)
