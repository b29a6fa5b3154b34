"""The query catalogue: ``queries/*.rq`` files with ``#+`` headers, run into plain tables.

Why: every question the graph answers is a SPARQL file a reader can open, run elsewhere and
cite; Python only reads the headers, binds parameters and formats the result. A ``.rq`` starts
with its question (the SIB sparql-examples convention)::

    #+ summary: How much of each substance did each release report as seized?
    #+ description: Malformed figures carry no value and are left out.
    #+ returns: [release, substance, tonnes]
    #+ params: [release]

A parameter names a result column (``?release``). Where the query marks it with a comment line
``# @bind ?release``, a given value replaces that line by ``VALUES ?release { "value" }`` (the
value escaped as one SPARQL string literal), so the store restricts the query *there*, before
any join: at 10,000 releases a per-release question then costs what one release costs instead
of the whole corpus (pyoxigraph 0.5 applies its own pre-bound variables, SEP-0007
substitutions, only after evaluating everything). Unbound, the mark is a comment and the same
text answers for every release, in any SPARQL engine. A parameter without a mark is bound with
a substitution. Either way a value is data, never query text.
Cells are the terms'
lexical forms (IRIs as IRIs, literals without datatype), an unbound variable is the empty string;
this module deliberately does not convert numbers, so CSV shows exactly what the store holds.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.errors import InputError
from kg.namespaces import release_graph
from kg.resources import queries_dir

FORMATS = ("table", "csv", "json", "jsonl")
_HEADER = re.compile(r"^#\+\s*(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<value>.*?)\s*$")
_BIND_MARK = re.compile(
    r"^(?P<indent>[ \t]*)#[ \t]*@bind[ \t]+\?(?P<name>\w+)(?:[ \t]+\?(?P<graph>\w+))?[ \t]*$", re.M
)
_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


@dataclass(frozen=True)
class Query:
    """One question of the catalogue: its file, its ``#+`` headers and its SPARQL text."""

    name: str
    path: Path
    summary: str
    description: str
    returns: tuple[str, ...]
    params: tuple[str, ...]
    text: str
    scope: str = "store"


SCOPES = ("store", "release")
"""``#+ scope``: ``release`` declares that the answer for one release reads only that release's
graph and the vocabulary graph, and that the whole-corpus answer is the per-release answers in
release order, so it can be kept per release (kg/tables.py); ``store`` (the default) promises
nothing."""


@dataclass(frozen=True)
class Table:
    """A query result: column names and rows of strings (``""`` where a variable is unbound)."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def as_dicts(self) -> list[dict[str, str]]:
        """The rows as column → value mappings, in column order."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def _parse_list(path: Path, key: str, value: str) -> tuple[str, ...]:
    """Parse ``[a, b, c]`` (brackets optional); an empty list is ``[]``."""
    inner = value.strip()
    if inner.startswith("[") != inner.endswith("]"):
        raise InputError(path, f"#+ {key}: unbalanced brackets in {value!r}")
    inner = inner.strip("[]").strip()
    items = tuple(item.strip() for item in inner.split(",")) if inner else ()
    if any(not re.fullmatch(r"[A-Za-z_]\w*", item) for item in items):
        raise InputError(path, f"#+ {key}: expected [name, name, ...], got {value!r}")
    return items


def parse_query(path: Path) -> Query:
    """Read one ``.rq`` file; its headers are the ``#+`` lines of the leading comment block."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read query: {exc}") from exc
    headers: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        match = _HEADER.match(line)
        if match:
            key = match["key"]
            if key in headers:
                raise InputError(path, f"duplicate #+ {key} header")
            headers[key] = match["value"]
    for required in ("summary", "returns"):
        if not headers.get(required):
            raise InputError(path, f"missing #+ {required} header")
    returns = _parse_list(path, "returns", headers["returns"])
    if not returns:
        raise InputError(path, "#+ returns: names no column")
    params = _parse_list(path, "params", headers.get("params", ""))
    scope = headers.get("scope", "store")
    if scope not in SCOPES:
        raise InputError(path, f"#+ scope: expected one of {', '.join(SCOPES)}, got {scope!r}")
    if scope == "release" and not ("release" in params and "release" in returns):
        raise InputError(path, "#+ scope: release needs the column and the parameter release")
    stray = sorted({m["name"] for m in _BIND_MARK.finditer(text)} - set(params))
    if stray:
        raise InputError(path, f"# @bind ?{stray[0]} names no parameter of #+ params")
    return Query(
        name=path.stem,
        path=path,
        summary=headers["summary"],
        description=headers.get("description", ""),
        returns=returns,
        params=params,
        text=text,
        scope=scope,
    )


def load_queries(directory: Path | None = None) -> dict[str, Query]:
    """Every ``*.rq`` of ``directory`` (default: the bundled ``queries/``), by name, sorted."""
    folder = directory if directory is not None else queries_dir()
    if not folder.is_dir():
        raise InputError(folder, "no queries folder here")
    return {p.stem: parse_query(p) for p in sorted(folder.glob("*.rq"))}


def _cell(term: object) -> str:
    """The lexical form of a result term; unbound is ``""``."""
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    return str(term)


def resolve(
    name: str,
    params: Mapping[str, str] | None = None,
    queries: Mapping[str, Query] | None = None,
) -> tuple[Query, dict[str, str]]:
    """The catalogue query ``name`` and its parameters, refusing unknown names and parameters.

    Shared by the local and the remote runner, so that both refuse the same mistakes the same
    way: a misspelt filter would otherwise silently return everything.
    """
    catalogue = queries if queries is not None else load_queries()
    query = catalogue.get(name)
    if query is None:
        raise InputError(None, f"unknown query {name!r}; `narcokg query --list` lists them")
    given = dict(params or {})
    unknown = sorted(set(given) - set(query.params))
    if unknown:
        allowed = ", ".join(query.params) if query.params else "none"
        raise InputError(
            query.path, f"unknown parameter {', '.join(unknown)}; this query takes: {allowed}"
        )
    return query, given


def sparql_string(value: str) -> str:
    """``value`` as a SPARQL string literal (``STRING_LITERAL2`` with ``ECHAR`` escapes).

    Every character that could end the literal (``"``, ``\\``, line breaks) is escaped, so the
    result is exactly one term whatever the value holds (SPARQL 1.1 §19.7).
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(None, f"parameter value is not valid Unicode text: {exc.reason}") from None
    return '"' + "".join(_ECHAR.get(c, c) for c in value) + '"'


def bind_marked(query: Query, params: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """The query text with every ``# @bind ?p`` line of a given ``p`` made a ``VALUES`` clause.

    ``# @bind ?release ?g`` also binds ``?g`` to that release's named graph
    (:func:`kg.namespaces.release_graph`), so every pattern of the group is looked up in one
    graph whatever join order the store picks. Returns the text and the parameters the query
    does not mark (left for the caller to bind some other way). Marks of parameters not given
    stay comments.
    """
    marked = {m["name"] for m in _BIND_MARK.finditer(query.text)}

    def values(match: re.Match[str]) -> str:
        name, graph = match["name"], match["graph"]
        if name not in params:
            return match[0]
        value = sparql_string(params[name])
        if graph is None:
            return f"{match['indent']}VALUES ?{name} {{ {value} }}"
        try:  # a value that makes no IRI names no release graph: bind the release alone
            iri = f"<{ox.NamedNode(release_graph(params[name])).value}>"
        except ValueError:
            iri = "UNDEF"
        return f"{match['indent']}VALUES (?{name} ?{graph}) {{ ({value} {iri}) }}"

    text = _BIND_MARK.sub(values, query.text)
    return text, {k: v for k, v in params.items() if k not in marked}


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


def _text_table(table: Table) -> str:
    widths = [len(c) for c in table.columns]
    for row in table.rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()

    lines = [line(table.columns), line(tuple("-" * w for w in widths))]
    lines += [line(row) for row in table.rows]
    return "\n".join(lines) + "\n"


def format_table(table: Table, fmt: str) -> str:
    """Render ``table`` as ``table`` (aligned text), ``csv``, ``json`` (array) or ``jsonl``.

    CSV has a header row and ``\\n`` line endings; JSON objects keep the column order. The text
    table is for people and may change; scripts should use the other three.
    """
    if fmt == "table":
        return _text_table(table)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(table.columns)
        writer.writerows(table.rows)
        return out.getvalue()
    if fmt == "json":
        return json.dumps(table.as_dicts(), ensure_ascii=False, indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in table.as_dicts())
    raise InputError(None, f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
