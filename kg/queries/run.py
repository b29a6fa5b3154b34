"""Run a catalogue query on the embedded store into a :class:`~kg.queries.tables.Table`."""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox

from kg.errors import InputError
from kg.queries.binding import bind_marked
from kg.queries.catalogue import Query, resolve
from kg.queries.tables import Table


def _cell(term: object) -> str:
    """The lexical form of a result term; unbound is ``""``."""
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    return str(term)


def run_query(
    store: ox.Store,
    name: str,
    params: Mapping[str, str] | None = None,
    *,
    queries: Mapping[str, Query] | None = None,
) -> Table:
    """Run the catalogue query ``name`` on ``store`` with ``params`` bound as string literals.

    Columns follow the query's SELECT clause (a test keeps it equal to ``#+ returns``). A
    parameter the query does not declare is an error rather than silently ignored, because a
    misspelt filter would otherwise return everything.
    """
    query, given = resolve(name, params, queries)
    text, unmarked = bind_marked(query, given)
    substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
        ox.Variable(k): ox.Literal(v) for k, v in unmarked.items()
    }
    try:
        solutions = store.query(text, substitutions=substitutions or None)
    except SyntaxError as exc:
        raise InputError(query.path, f"SPARQL syntax error: {exc}") from exc
    except OSError as exc:
        raise InputError(query.path, f"query failed: {exc}") from exc
    if not isinstance(solutions, ox.QuerySolutions):
        raise InputError(query.path, "not a SELECT query")
    columns = tuple(v.value for v in solutions.variables)
    rows = tuple(tuple(_cell(term) for term in solution) for solution in solutions)
    return Table(columns=columns, rows=rows)
