"""A graph's dump files are the same bytes whether a build worker made them or the store did.

The workers serialise each new release graph from its N-Triples; ``publish`` serialises the
others from the store. Both sort the triples by their N-Triples form, and the worker reads them
back from a scratch store first, because Oxigraph stores some literals canonically.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from kg.rdf.serialise import graph_files, graph_files_from_ntriples

G = "https://w3id.org/narcotics-kg/graph/release/t"
NT = (
    b'<https://example.org/s2> <https://example.org/p> "x"@en .\n'
    b"<https://example.org/s1> <https://example.org/p> "
    b'"7"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger> .\n'
)


def test_worker_files_hold_what_the_store_holds_in_sorted_order(tmp_path: Path) -> None:
    files = graph_files_from_ntriples(G, NT)
    assert files is not None
    # sorted by N-Triples text (s1 before s2); the non-negative integer as the store keeps it
    assert files["nq"].decode() == (
        '<https://example.org/s1> <https://example.org/p> "7"^^'
        f"<http://www.w3.org/2001/XMLSchema#integer> <{G}> .\n"
        f'<https://example.org/s2> <https://example.org/p> "x"@en <{G}> .\n'
    )
    assert files["trig"].decode().startswith(f"<{G}> {{\n")
    assert files["jsonld"].decode().startswith(f'{{"@id": "{G}", "@graph": [')
    store = ox.Store(str(tmp_path / "store"))
    store.load(NT, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(G))
    from_store = graph_files(G, store.quads_for_pattern(None, None, None, ox.NamedNode(G)))
    assert from_store == files


def test_a_graph_with_blank_nodes_is_left_to_the_store() -> None:
    """Its labels would be the parser's, not the store's: the files would differ."""
    assert graph_files_from_ntriples(G, b"_:b <https://example.org/p> _:c .\n") is None


def test_an_empty_graph_has_empty_pieces() -> None:
    files = graph_files(G, [])
    assert files["nq"] == files["trig"] == files["jsonld"] == b""
