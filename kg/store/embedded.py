"""The embedded pyoxigraph store: open it, replace one graph atomically, read it back.

Why: a release graph must be either its old or its new version, never half of each, so a
rebuild replaces it in one SPARQL update (one transaction). Only this module and
``kg.publish.dumps`` write anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph

from kg.errors import InputError
from kg.namespaces import RELEASE_GRAPH_PREFIX, VOCABULARY_GRAPH

DEFAULT_DATA_DIR = Path("narcokg-data")
DEFAULT_STORE = DEFAULT_DATA_DIR / "store"


def open_store(path: Path, *, create: bool = True) -> ox.Store:
    """Open (and by default create) the on-disk store at ``path``."""
    if not create and not path.is_dir():
        raise InputError(path, "no store here; run `narcokg build` first or pass --store")
    try:
        path.mkdir(parents=True, exist_ok=True)
        return ox.Store(str(path))
    except OSError as exc:
        raise InputError(path, f"cannot open store: {exc}") from exc


@contextmanager
def store_at(path: Path, *, create: bool = True) -> Iterator[ox.Store]:
    """Open the store for the length of a ``with`` block and flush it on the way out."""
    store = open_store(path, create=create)
    try:
        yield store
    finally:
        store.flush()
        del store


def replace_graph(store: ox.Store, graph_iri: str, graph: Graph) -> int:
    """Replace the named graph ``graph_iri`` by ``graph`` in one transaction; return its size."""
    body = graph.serialize(format="nt")
    store.update(
        f"DROP SILENT GRAPH <{graph_iri}> ;\nINSERT DATA {{ GRAPH <{graph_iri}> {{\n{body}\n}} }}"
    )
    return len(graph)


def graph_names(store: ox.Store) -> list[str]:
    """The named graphs in the store, sorted."""
    return sorted(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))


def graph_size(store: ox.Store, graph_iri: str) -> int:
    """Triples in one named graph."""
    return sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri)))


def to_dataset(store: ox.Store) -> Dataset:
    """The whole store as an rdflib Dataset (for pyshacl, which works on rdflib graphs)."""
    data = store.dump(format=ox.RdfFormat.N_QUADS)
    dataset = Dataset()
    if data:
        dataset.parse(data=data.decode("utf-8"), format="nquads")
    return dataset


def put_graph_ntriples(store: ox.Store, graph_iri: str, ntriples: bytes) -> None:
    """Make ``ntriples`` the whole content of the named graph ``graph_iri``, in one transaction.

    Why two paths: a graph the store does not hold yet is loaded with ``Store.load``, which is
    one transaction and parses N-Triples directly (about a third faster than an update); a
    graph that exists must be dropped and refilled in the *same* transaction, which in
    pyoxigraph 0.5 only a SPARQL update (``DROP`` + ``INSERT DATA``) can do. Either way a
    crash leaves the graph old or new, never half of each. One writer (the build) is assumed
    between the check and the write.
    """
    graph = ox.NamedNode(graph_iri)
    if store.contains_named_graph(graph):
        body = ntriples.decode("utf-8")
        drop = f"DROP SILENT GRAPH <{graph_iri}> ;\n"
        store.update(f"{drop}INSERT DATA {{ GRAPH <{graph_iri}> {{\n{body}\n}} }}")
    else:
        store.load(ntriples, format=ox.RdfFormat.N_TRIPLES, to_graph=graph)


ATOMIC_LOAD_QUADS = 500_000
"""At most this many quads per :func:`load_new_graphs` call: Oxigraph's bulk loader writes up to
1,000,000 quads as one set of table files, ingested by one RocksDB ``IngestExternalFiles``
call (atomic across the indexes); more would be several ingestions, so not one transaction."""


def nquads_piece(graph_iri: str, ntriples: bytes) -> bytes:
    """The N-Triples ``ntriples`` as N-Quads lines in the graph ``graph_iri``."""
    suffix = f" {ox.NamedNode(graph_iri)} .\n".encode()
    body = ntriples if ntriples.endswith(b"\n") or not ntriples else ntriples + b"\n"
    # N-Triples escapes line breaks inside literals, so " .\n" only ends a statement
    quads = body.replace(b" .\n", suffix)
    if quads.count(suffix) != body.count(b"\n"):
        raise ValueError(f"{graph_iri}: not one N-Triples statement per line")
    return quads


def ntriples_of_piece(graph_iri: str, nquads: bytes) -> bytes:
    """The N-Quads ``nquads`` of the graph ``graph_iri`` (:func:`nquads_piece`, or a dump
    piece) as N-Triples; ``ValueError`` unless every line is a quad of that graph."""
    suffix = f" {ox.NamedNode(graph_iri)} .\n".encode()
    if nquads.count(b"\n") != nquads.count(suffix):
        raise ValueError(f"{graph_iri}: not one quad of this graph per line")
    return nquads.replace(suffix, b" .\n")


def load_new_graphs(
    store: ox.Store, pieces: Sequence[bytes], *, parsed: bool = False, at_most: int | None = None
) -> None:
    """Add named graphs none of which the store holds, given as N-Quads ``pieces`` (one graph
    each: :func:`nquads_piece`, or the N-Quads file a build worker serialised), in one atomic
    step.

    Why not :func:`put_graph_ntriples` for each: ``Store.load`` inserts quad by quad in a
    transaction, ~18 µs a quad; the bulk loader sorts them into table files that RocksDB
    ingests whole, 2-3x faster from about eight release graphs on (one graph at a time it is
    slower: files per call). Its one ingestion is atomic across the indexes, so a kill leaves
    every graph of the batch absent or complete, as a transaction would; the build, the only
    writer, has checked that none of them exists (the bulk loader adds, it does not replace).

    ``parsed``: every piece was already parsed strictly (IRIs, datatypes, language tags
    checked) by an Oxigraph parser, so this load skips those checks (lenient: ~17% less CPU).
    The build's workers parse each release graph into their scratch store
    (kg/store/kept_answers.py) before the parent loads it.

    ``at_most``: a bound on the pieces' quads the caller already knows (the build: the lines
    its mappers wrote, which the store's canonical forms can only merge), checked instead of
    counting the lines (~0.1 ms a release graph).
    """
    data = b"".join(pieces)
    lines = data.count(b"\n") if at_most is None else at_most
    if lines > ATOMIC_LOAD_QUADS:
        raise ValueError(f"{lines} quads in one atomic load; at most {ATOMIC_LOAD_QUADS}")
    if data:
        store.bulk_load(data, format=ox.RdfFormat.N_QUADS, lenient=parsed)


def scratch_store(vocabulary: Iterable[ox.Triple | ox.Quad]) -> ox.Store:
    """An in-memory store holding ``vocabulary`` in the vocabulary graph, for
    :func:`release_findings`."""
    scratch = ox.Store()
    name = ox.NamedNode(str(VOCABULARY_GRAPH))
    scratch.extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in vocabulary)
    return scratch


def release_graph_names(store: ox.Store) -> list[str]:
    """The release graphs of ``store``, sorted (the order of every report)."""
    return sorted(
        g.value
        for g in store.named_graphs()
        if isinstance(g, ox.NamedNode) and g.value.startswith(RELEASE_GRAPH_PREFIX)
    )
