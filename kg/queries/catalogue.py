"""The query catalogue: ``queries/*.rq`` files and their ``#+`` headers.

Why: every question the graph answers is a SPARQL file a reader can open, run elsewhere and
cite; Python only reads the headers (here), binds parameters (kg.queries.binding), runs the
query (kg.queries.run) and formats the rows (kg.queries.tables). A ``.rq`` starts with its
question (the SIB sparql-examples convention)::

    #+ summary: How much of each substance did each release report as seized?
    #+ description: Malformed figures carry no value and are left out.
    #+ returns: [release, substance, tonnes]
    #+ params: [release]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError
from kg.resources import queries_dir

_HEADER = re.compile(r"^#\+\s*(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<value>.*?)\s*$")

BIND_MARK = re.compile(
    r"^(?P<indent>[ \t]*)#[ \t]*@bind[ \t]+\?(?P<name>\w+)(?:[ \t]+\?(?P<graph>\w+))?[ \t]*$", re.M
)
"""A ``# @bind ?param [?graph]`` line: where a given parameter becomes a ``VALUES`` clause."""


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
    numbers: tuple[str, ...] = ()  # ``#+ numbers``: columns JSON gives as numbers, not text
    joins: str = ""  # ``#+ joins``: the other dataset the query needs besides ours (none: "")


SCOPES = ("store", "release")
"""``#+ scope``: ``release`` declares that the answer for one release reads only that release's
graph and the vocabulary graph, and that the whole-corpus answer is the per-release answers in
release order, so it can be kept per release (kg/store/kept_answers.py); ``store`` (the
default) promises nothing."""


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
    numbers = _parse_list(path, "numbers", headers.get("numbers", ""))
    if set(numbers) - set(returns):
        raise InputError(path, "#+ numbers: names a column #+ returns does not")
    scope = headers.get("scope", "store")
    if scope not in SCOPES:
        raise InputError(path, f"#+ scope: expected one of {', '.join(SCOPES)}, got {scope!r}")
    if scope == "release" and not ("release" in params and "release" in returns):
        raise InputError(path, "#+ scope: release needs the column and the parameter release")
    stray = sorted({m["name"] for m in BIND_MARK.finditer(text)} - set(params))
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
        numbers=numbers,
        joins=headers.get("joins", ""),
    )


def load_queries(directory: Path | None = None) -> dict[str, Query]:
    """Every ``*.rq`` of ``directory`` (default: the bundled ``queries/``), by name, sorted."""
    folder = directory if directory is not None else queries_dir()
    if not folder.is_dir():
        raise InputError(folder, "no queries folder here")
    return {p.stem: parse_query(p) for p in sorted(folder.glob("*.rq"))}


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
