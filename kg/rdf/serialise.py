"""One named graph's dump files, serialised in one canonical order wherever they are made.

Why: a graph's files (its Turtle file and its pieces of the whole-dataset N-Quads, TriG and
JSON-LD, kg/publish/describe.py) are made in two places: by the build's worker processes, from
the N-Triples they just mapped, while the parent only writes bytes; and by ``publish``, from
the store, for graphs no worker serialised (the vocabulary, the corrections, graphs a
``--no-dump`` build changed). Reading a graph back from the store costs ~12 ms (decoding its
terms), ten times its serialisation, so the workers' copy saves the build that work; but the
store and the N-Triples list the same triples in different orders, and a graph's files must
be the same bytes whoever made them (an incremental build equals a full rebuild). So both
sort the triples by their N-Triples form first (~1 ms for a release graph).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pyoxigraph as ox

from kg.namespaces import PREFIXES

FILES = ("ttl", "nq", "trig", "jsonld")
"""A graph's files: its Turtle file, and its pieces of the three whole-dataset dumps."""


def without_prefixes(text: str) -> str:
    """Turtle or TriG without its leading ``@prefix`` lines (one header serves every block)."""
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines) and lines[i].startswith("@prefix "):
        i += 1
    return "".join(lines[i:])


def graph_files(graph_iri: str, triples: Iterable[ox.Triple | ox.Quad]) -> dict[str, bytes]:
    """The files of the named graph ``graph_iri`` holding ``triples`` (quads: their triples):
    ``ttl`` (a Turtle document with the project's prefixes), ``nq`` (N-Quads lines), ``trig``
    (a TriG block ``<graph> { ... }`` whose body is the Turtle without its prefixes, which the
    whole TriG dump declares once) and ``jsonld`` (the node object ``{"@id": graph,
    "@graph": [...]}``).

    Built from one Turtle and one JSON-LD serialisation and the triples' N-Triples text, not
    from quad objects: making 1,500 ``Quad`` objects costs more than serialising them.
    """
    # each triple's N-Triples text made once: it is both the sort key and the N-Quads line
    keyed = sorted(
        (str(t), t) for t in (t.triple if isinstance(t, ox.Quad) else t for t in triples)
    )
    ordered = [t for _, t in keyed]
    graph = str(ox.NamedNode(graph_iri))
    ttl = ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b""
    body = without_prefixes(ttl.decode("utf-8"))
    nodes = (ox.serialize(ordered, format=ox.RdfFormat.JSON_LD) or b"[]").strip()
    return {
        "ttl": ttl,
        "nq": "".join(f"{text} {graph} .\n" for text, _ in keyed).encode("utf-8"),
        "trig": f"{graph} {{\n{body}}}\n".encode() if ordered else b"",
        "jsonld": b'{"@id": ' + json.dumps(graph_iri).encode() + b', "@graph": ' + nodes + b"}"
        if ordered
        else b"",
    }


def graph_files_from_ntriples(
    graph_iri: str, ntriples: bytes, loaded: ox.Store | None = None
) -> dict[str, bytes] | None:
    """:func:`graph_files` of a graph given as N-Triples, as a store holds it, or ``None``
    when it has blank nodes: the store gives them other labels, so its files would differ.

    ``loaded`` is a store that already holds exactly ``ntriples`` in the graph ``graph_iri``
    (a build worker's scratch store, kg/store/kept_answers.py): read from there, the graph
    is not parsed and stored a second time (~3 ms a release graph).
    """
    if b"_:" in ntriples:
        return None
    graph = ox.NamedNode(graph_iri)
    if loaded is None:
        # through a store, not the parser: Oxigraph stores some literals in a canonical form
        # (an xsd:nonNegativeInteger becomes an xsd:integer), and the files must hold what the
        # store does
        loaded = ox.Store()
        loaded.load(ntriples, format=ox.RdfFormat.N_TRIPLES, to_graph=graph)
    return graph_files(graph_iri, loaded.quads_for_pattern(None, None, None, graph))
