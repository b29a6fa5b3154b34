"""Bind a catalogue query's parameters as data, never as query text.

A parameter names a result column (``?release``). Where the query marks it with a comment line
``# @bind ?release``, a given value replaces that line by ``VALUES ?release { "value" }`` (the
value escaped as one SPARQL string literal), so the store restricts the query *there*, before
any join: at 10,000 releases a per-release question then costs what one release costs instead
of the whole corpus (pyoxigraph 0.5 applies its own pre-bound variables, SEP-0007
substitutions, only after evaluating everything). Unbound, the mark is a comment and the same
text answers for every release, in any SPARQL engine. A parameter without a mark is bound with
a substitution. Either way a value is data, never query text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pyoxigraph as ox

from kg.errors import InputError
from kg.namespaces import release_graph
from kg.queries.catalogue import BIND_MARK, Query

_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


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
    marked = {m["name"] for m in BIND_MARK.finditer(query.text)}

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

    text = BIND_MARK.sub(values, query.text)
    return text, {k: v for k, v in params.items() if k not in marked}
