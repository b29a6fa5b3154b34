"""Run a catalogue query on the embedded store into a :class:`~kg.queries.tables.Table`."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

import pyoxigraph as ox

from kg.errors import InputError
from kg.queries.binding import bind_marked
from kg.queries.catalogue import Query, resolve
from kg.queries.tables import Table


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
    if not columns:
        return Table(columns=(), rows=tuple(() for _ in solutions))
    return Table(columns=columns, rows=_csv_rows(solutions))


def _csv_rows(solutions: ox.QuerySolutions) -> tuple[tuple[str, ...], ...]:
    """Every row's cells: an IRI or a literal as its lexical form, a blank node as ``_:`` and
    its label, unbound as ``""``.

    Read from the SPARQL 1.1 CSV results, which hold exactly those cells: Oxigraph writes
    them without making a Python object per term (~6% of the time of the queries
    a build answers for each release, kg/store/kept_answers.py).
    """
    text = (solutions.serialize(format=ox.QueryResultsFormat.CSV) or b"").decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader)  # the header: the variables' names
    return tuple(tuple(row) for row in reader)
