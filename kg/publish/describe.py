"""Describe the dataset with VoID and DCAT, and write the dumps the description lists.

Why: a linked-data consumer decides from a dataset's description (W3C VoID,
https://www.w3.org/TR/void/, and DCAT 3, https://www.w3.org/TR/vocab-dcat-3/) what it is, who
publishes it under which licence, where it came from, how big it is and where to download it.
The description is brought up to date with the store after every build, entry by entry (only
the graphs a build changed are read again), so its triple counts and its release list cannot
drift from the data. It is written next to the dumps (``void.ttl``), not
into the store: a description inside the store would have to count itself.

Identifiers: the dataset is ``nkgv:dataset/narcotics-kg``; each named graph is described as a
``void:subset`` under its own graph IRI (``nkg:release/<id>``, ``nkg:vocabulary``, ...).
Download URLs are under ``https://w3id.org/narcotics-kg/download/`` followed by the file's path
relative to the dump folder; ``narcokg web`` serves that folder there. The issue date is the
build day, or ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention) when set, so that a
rebuild of the same input can give the same description.

The SPARQL endpoint (``void:sparqlEndpoint``) is the deployment's: ``<base>sparql`` where the
base is ``NARCOKG_BASE_URL`` when set (the host a deployment serves ``narcokg web`` on, e.g.
``https://kg.example.org/``) and otherwise ``https://w3id.org/narcotics-kg/``, whose redirect
rules (``deploy/w3id/.htaccess``) send ``/sparql`` on to the served endpoint. ``narcokg web``
serves the description with its own endpoint in place of this one. The dataset names its
contact point (``dcat:contactPoint``, a vCard) and its last change (``dcterms:modified``, the
build day, like ``dcterms:issued``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.errors import InputError
from kg.namespaces import NKG, NKGV, PREFIXES, VOCABULARY_GRAPH
from kg.publish.dumps import atomic_writer, sync_file_system
from kg.publish.whole import DUMP_STEM, WHOLE, jsonld_context, prefix_header
from kg.publish.whole import size as whole_size
from kg.rdf.serialise import FILES, graph_files, without_prefixes
from kg.store.embedded import graph_names, ntriples_of_piece
from kg.store.graph_versions import read_versions, remember

BASE = "https://w3id.org/narcotics-kg/"
DOWNLOAD_BASE = BASE + "download/"
DATASET = f"{NKGV}dataset/narcotics-kg"
PUBLISHER = f"{NKGV}agent/narcotics-kg-project"
CONTACT = f"{NKGV}agent/narcotics-kg-project/contact"
BASE_URL_VARIABLE = "NARCOKG_BASE_URL"
VCARD = "http://www.w3.org/2006/vcard/ns#"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
DESCRIPTION_GRAPH = f"{NKG}description"
DESCRIPTION_FILE = "void.ttl"
CONTEXT_FILE = f"{DUMP_STEM}.context.jsonld"
RIGHTS = (
    "The graph (figures, mentions, links, descriptions) is published under CC BY 4.0. The "
    "release texts (schema:text) and the quoted spans (oa:exact, nko:verbatim) are quoted "
    "from their sources, English machine translations of Chinese government press releases, "
    "which keep their own terms; dcterms:source names them."
)
IANA = "https://www.iana.org/assignments/media-types/"


@dataclass(frozen=True)
class Format:
    """A serialisation: file suffix, media type, the spec it conforms to."""

    suffix: str
    media_type: str
    spec: str
    label: str


FORMATS: dict[str, Format] = {
    "trig": Format("trig", "application/trig", "https://www.w3.org/TR/trig/", "TriG"),
    "nq": Format("nq", "application/n-quads", "https://www.w3.org/TR/n-quads/", "N-Quads"),
    "jsonld": Format(
        "jsonld", "application/ld+json", "https://www.w3.org/TR/json-ld11/", "JSON-LD"
    ),
    "ttl": Format("ttl", "text/turtle", "https://www.w3.org/TR/turtle/", "Turtle"),
}

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def issued_date() -> dt.date:
    """Today (UTC), or the day of ``SOURCE_DATE_EPOCH`` when that is set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc).date()
    return dt.datetime.now(tz=dt.timezone.utc).date()


def deployment_base() -> str:
    """The base URL of the deployment the description describes, ending in ``/``.

    ``NARCOKG_BASE_URL`` when set, else the persistent ``https://w3id.org/narcotics-kg/``.

    Raises:
        InputError: the variable is not an absolute http(s) URL without query or fragment.
    """
    value = os.environ.get(BASE_URL_VARIABLE, "").strip() or BASE
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise InputError(
            None,
            f"{BASE_URL_VARIABLE}={value!r}: expected an http(s) URL such as "
            "https://kg.example.org/",
        )
    return value if value.endswith("/") else value + "/"


def sparql_endpoint_url() -> str:
    """The deployment's SPARQL endpoint: ``<base>sparql`` (where ``narcokg web`` serves it)."""
    return deployment_base() + "sparql"


def graph_file(graph_iri: str) -> str:
    """The Turtle file of one named graph, relative to the dump folder (mirrors its IRI)."""
    if graph_iri.startswith(BASE):
        return graph_iri[len(BASE) :] + ".ttl"
    return "graph/other/" + "".join(c if c.isalnum() else "_" for c in graph_iri) + ".ttl"


def _write_atomically(path: Path, data: bytes) -> Path:
    with atomic_writer(path) as out:
        out.write(data)
    return path


def graph_sizes(store: ox.Store) -> dict[str, int]:
    """Named graph IRI → number of triples, for every named graph of the store."""
    rows = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    out: dict[str, int] = {}
    assert isinstance(rows, ox.QuerySolutions)
    for row in rows:
        g, n = row["g"], row["n"]
        if isinstance(g, ox.NamedNode) and isinstance(n, ox.Literal):
            out[g.value] = int(n.value)
    return dict(sorted(out.items()))


@dataclass(frozen=True)
class ReleaseMeta:
    """What a release graph says about its release."""

    iri: str
    identifier: str
    title: str | None
    issued: str | None
    sources: tuple[str, ...]


def release_metadata(store: ox.Store, graph_iri: str) -> ReleaseMeta | None:
    """The release described in ``graph_iri``, None when the graph holds no release."""
    rows = store.query(
        "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>\n"
        "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
        f"SELECT ?r ?id ?title ?issued ?source WHERE {{ GRAPH <{graph_iri}> {{"
        " ?r a nko:Release ; dcterms:identifier ?id ."
        " OPTIONAL { ?r dcterms:title ?title } OPTIONAL { ?r dcterms:issued ?issued }"
        " OPTIONAL { ?r dcterms:source ?source } } } ORDER BY ?source"
    )
    assert isinstance(rows, ox.QuerySolutions)
    found = list(rows)
    if not found:
        return None
    first = found[0]

    def text(term: object) -> str | None:
        return term.value if isinstance(term, (ox.Literal, ox.NamedNode)) else None

    return ReleaseMeta(
        iri=str(text(first["r"])),
        identifier=str(text(first["id"])),
        title=text(first["title"]),
        issued=text(first["issued"]),
        sources=tuple(
            dict.fromkeys(s for s in (text(r["source"]) for r in found) if s is not None)
        ),
    )


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"
XSD = "http://www.w3.org/2001/XMLSchema#"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
PROV = "http://www.w3.org/ns/prov#"
DESCRIPTION_PREFIXES = {**PREFIXES, "void": VOID, "dcat": DCAT, "foaf": FOAF, "vcard": VCARD}
CACHE_DIR = ".fragments"
"""Per-graph pieces the whole-dataset dumps are assembled from, and their manifest."""
MANIFEST = "manifest.json"
WRITING = ".writing"
HEADER = "# VoID + DCAT description written by `narcokg build` (kg/publish/describe.py).\n"


def _iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def _en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


def _typed(value: object, datatype: str) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode(XSD + datatype))


class _Triples(list[ox.Triple]):
    def add(self, s: str, p: str, o: ox.NamedNode | ox.Literal) -> None:
        self.append(ox.Triple(ox.NamedNode(s), ox.NamedNode(p), o))


def _common(
    out: _Triples, node: str, title: str, text: str, *, issued: str, modified: str, endpoint: str
) -> None:
    """What every described dataset (the whole one and each graph) says about itself."""
    out.add(node, RDF_TYPE, _iri(VOID + "Dataset"))
    out.add(node, RDF_TYPE, _iri(DCAT + "Dataset"))
    out.add(node, DCTERMS + "title", _en(title))
    out.add(node, DCTERMS + "description", _en(text))
    out.add(node, DCTERMS + "publisher", _iri(PUBLISHER))
    out.add(node, DCTERMS + "license", _iri(LICENSE))
    out.add(node, DCTERMS + "rights", _en(RIGHTS))
    out.add(node, DCTERMS + "issued", _typed(issued, "date"))
    out.add(node, DCTERMS + "modified", _typed(modified, "date"))
    out.add(node, DCAT + "contactPoint", _iri(CONTACT))
    if endpoint:
        out.add(node, VOID + "sparqlEndpoint", _iri(endpoint))


def _distribution(
    out: _Triples, node: str, key: str, rel: str, size: int, download_base: str
) -> None:
    fmt = FORMATS[key]
    url = _iri(download_base + rel)
    dist = f"{NKGV}distribution/{rel}"
    out.add(node, DCAT + "distribution", _iri(dist))
    out.add(node, VOID + "dataDump", url)
    out.add(dist, RDF_TYPE, _iri(DCAT + "Distribution"))
    out.add(dist, DCTERMS + "title", _en(f"{fmt.label} dump"))
    out.add(dist, DCAT + "downloadURL", url)
    out.add(dist, DCAT + "accessURL", url)
    out.add(dist, DCAT + "mediaType", _iri(IANA + fmt.media_type))
    out.add(dist, DCTERMS + "format", ox.Literal(fmt.media_type))
    out.add(dist, DCTERMS + "conformsTo", _iri(fmt.spec))
    out.add(dist, DCTERMS + "license", _iri(LICENSE))
    out.add(dist, DCAT + "byteSize", _typed(size, "nonNegativeInteger"))
    if key == "jsonld":
        out.add(dist, RDFS_SEE_ALSO, _iri(download_base + CONTEXT_FILE))


def dataset_triples(
    *,
    total: int,
    whole: dict[str, tuple[str, int]],
    day: str,
    endpoint: str,
    download_base: str = DOWNLOAD_BASE,
) -> list[ox.Triple]:
    """The description of the whole dataset, its publisher and the whole-dataset dumps
    (``whole``: key → (path relative to the dump folder, byte size)). Each graph's part,
    including the dataset's ``void:subset`` link to it, is :func:`graph_triples`."""
    out = _Triples()
    out.add(PUBLISHER, RDF_TYPE, _iri(FOAF + "Organization"))
    out.add(PUBLISHER, FOAF + "name", _en("The narcotics-kg project"))
    out.add(PUBLISHER, FOAF + "homepage", _iri(BASE))
    # DCAT 3 §6.6.6 (dcat:contactPoint): a vCard; its URL the project's home, no invented email
    out.add(CONTACT, RDF_TYPE, _iri(VCARD + "Organization"))
    out.add(CONTACT, VCARD + "fn", _en("The narcotics-kg project"))
    out.add(CONTACT, VCARD + "hasURL", _iri(BASE))
    _common(
        out,
        DATASET,
        "narcotics-kg: figures of China's anti-narcotics press releases",
        "Every figure stated in the press releases of China's Ministry of Public Security and "
        "National Narcotics Control Commission (English machine translations) as an RDF Data "
        "Cube observation pointing to the characters it came from; garbled figures are kept "
        "verbatim without a value. One named graph per release, plus the vocabularies.",
        issued=day,
        modified=day,
        endpoint=endpoint,
    )
    out.add(DATASET, VOID + "triples", _typed(total, "integer"))
    out.add(DATASET, VOID + "uriSpace", ox.Literal(str(NKGV)))
    for ns in ("nko", "qb", "prov", "oa", "skos", "time", "dcterms", "org", "schema", "qudt"):
        out.add(DATASET, VOID + "vocabulary", _iri(PREFIXES[ns]))
    for word in ("narcotics", "drug seizures", "law enforcement", "China", "statistics"):
        out.add(DATASET, DCAT + "keyword", _en(word))
    out.add(DATASET, DCAT + "spatial", _iri("http://www.wikidata.org/entity/Q148"))
    for key in WHOLE:
        if key in whole:
            rel, size = whole[key]
            _distribution(out, DATASET, key, rel, size, download_base)
    return out


def graph_triples(
    graph_iri: str,
    *,
    triples: int,
    meta: ReleaseMeta | None,
    turtle: tuple[str, int] | None,
    issued: str,
    modified: str,
    endpoint: str,
    download_base: str = DOWNLOAD_BASE,
) -> list[ox.Triple]:
    """The description of one named graph (a ``void:subset`` of the dataset): what it holds,
    where it came from, its size and its Turtle file (``turtle``: relative path, byte size).

    ``issued`` is the day the graph was first dumped, ``modified`` the day its content last
    changed: a build touches the entries of the graphs it changed and no other.
    """
    out = _Triples()
    out.add(DATASET, VOID + "subset", _iri(graph_iri))
    dates = {"issued": issued, "modified": modified, "endpoint": endpoint}
    if meta is not None:
        title = f"Release graph {meta.identifier}" + (f": {meta.title}" if meta.title else "")
        text = "The figures, mentions, sentences and text of one press release."
        _common(out, graph_iri, title, text, **dates)
        out.add(graph_iri, DCTERMS + "identifier", ox.Literal(meta.identifier))
        out.add(graph_iri, PROV + "wasDerivedFrom", _iri(meta.iri))
        for source in meta.sources:
            out.add(graph_iri, DCTERMS + "source", _iri(source))
            out.add(DATASET, DCTERMS + "source", _iri(source))
        out.add(graph_iri, VOID + "exampleResource", _iri(meta.iri))
    elif graph_iri == str(VOCABULARY_GRAPH):
        _common(
            out,
            graph_iri,
            "Ontology and vocabularies",
            "The TBox, the Data Cube structure and the SKOS vocabularies (jurisdictions, "
            "operations, agencies, substances...) with their verified links.",
            **dates,
        )
        out.add(graph_iri, DCTERMS + "source", _iri(BASE + "mappings/links.sssom.tsv"))
    else:
        name = graph_iri.rsplit("/", 1)[-1]
        _common(out, graph_iri, f"Graph {name}", f"The named graph <{graph_iri}>.", **dates)
        out.add(graph_iri, DCTERMS + "source", _iri(BASE))
    out.add(graph_iri, VOID + "triples", _typed(triples, "integer"))
    if turtle is not None:
        _distribution(out, graph_iri, "ttl", turtle[0], turtle[1], download_base)
    return out


def _turtle_block(triples: list[ox.Triple]) -> str:
    """Triples as Turtle without the prefix lines (one header serves every block)."""
    text = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=DESCRIPTION_PREFIXES)
    return without_prefixes((text or b"").decode("utf-8"))


def _stat(path: Path) -> list[int] | None:
    """What says a file is the one written: inode, size, modification time (ns)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns]


def graph_file_path(dump_dir: Path, graph_iri: str, key: str) -> Path:
    """Where one graph's file ``key`` (kg/rdf/serialise.py ``FILES``) lives in the dump folder:
    the Turtle file under ``graph/``, the pieces of the whole-dataset dumps under
    ``.fragments/``."""
    return _file(dump_dir, graph_iri, key)


def _piece(dump_dir: Path, graph_iri: str, key: str) -> Path:
    return dump_dir / CACHE_DIR / (graph_file(graph_iri).removesuffix(".ttl") + "." + key)


def _read_manifest(dump_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((dump_dir / CACHE_DIR / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("format") == 1 else {}


def _dump_graph(store: ox.Store, dump_dir: Path, graph_iri: str) -> dict[str, Any]:
    """Serialise one named graph from the store into its files (kg/rdf/serialise.py).

    The graph is read from the store once: decoding its terms costs ~12 ms per release graph,
    serialising them ~1 ms per format.
    """
    quads = store.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri))
    return write_graph_files(dump_dir, graph_iri, graph_files(graph_iri, quads), store)


def write_graph_files(
    dump_dir: Path, graph_iri: str, files: dict[str, bytes], holding: ox.Store
) -> dict[str, Any]:
    """Write one graph's files (``graph_files``) into the dump folder, each atomically; return
    what the manifest records of them (digest, triple count, each file's inode, size, time)
    and of the release the graph describes (``meta``: :func:`release_metadata`, read from
    ``holding``, a store that holds the graph: the build worker's scratch store, where the
    query takes ~0.07 ms against ~0.5 ms in the on-disk store, or the store itself).

    None is synced here: :func:`publish` flushes them all at once before it writes the
    description and the manifest that name them (:func:`kg.publish.dumps.sync_file_system`).
    The build's workers call this for the graphs they serialise, before the graph lands
    (docs/decisions/20261129-workers-write-graph-files.md); :func:`publish` then takes the
    files as they are.
    """
    stats: dict[str, list[int] | None] = {}
    for key in FILES:
        path = _file(dump_dir, graph_iri, key)
        with atomic_writer(path, sync=False) as out:
            out.write(files[key])
        stats[key] = _stat(path)
    nq = files["nq"]
    meta = release_metadata(holding, graph_iri)
    return {
        "digest": "sha256:" + hashlib.sha256(nq).hexdigest(),
        "triples": nq.count(b"\n"),
        "files": stats,
        "meta": None if meta is None else dataclasses.asdict(meta),
    }


def publish(
    store: ox.Store,
    dump_dir: Path,
    *,
    progress: Progress = _quiet,
    issued: dt.date | None = None,
    sparql_endpoint: str | None = None,
    store_dir: Path | None = None,
    staged: dict[str, dict[str, Any]] | None = None,
) -> list[Path]:
    """Bring the dumps and their description up to date with ``store``; return the paths written.

    The files: Turtle per named graph, each graph's pieces of the whole-dataset dumps
    (``.fragments/``), the JSON-LD context and the description (``void.ttl``). Only the graphs
    that changed since the last call are serialised again
    (docs/decisions/20261129-incremental-dumps.md): ``store_dir``'s versions
    (kg/store/graph_versions.py) say which version of each graph the store holds, and the
    manifest in ``<dump_dir>/.fragments/`` which version each graph's files hold. A graph
    whose version is unknown is serialised again, and its digest becomes its version. The
    description is the concatenation of the graphs' cached entries after the dataset's own.

    The whole-dataset dumps (N-Quads, TriG, JSON-LD) are not written here: they are the
    concatenation of the pieces (kg/publish/whole.py), written on demand by ``narcokg dump``
    and streamed by ``narcokg web``; the description states their sizes, computed from the
    pieces (docs/decisions/20261129-whole-dumps-on-demand.md). Whole-dataset files an
    earlier build wrote into the folder are deleted, since they would no longer follow the
    store.

    ``sparql_endpoint`` defaults to the deployment's (:func:`sparql_endpoint_url`).
    ``staged`` holds, per graph, what :func:`write_graph_files` returned for files the build
    already wrote (with the ``version`` they were made from): taken as they are when that is
    still the store's version, instead of reading the graph back from the store.

    Each file is written atomically; the description after the files it lists, the manifest
    last, so a kill leaves whole files, and the next call repairs what it left stale.
    """
    endpoint = sparql_endpoint or sparql_endpoint_url()  # a bad NARCOKG_BASE_URL: nothing written
    day = (issued or issued_date()).isoformat()
    # a killed dump leaves its temporary files (atomic_writer) behind: they go now
    for pattern in (f".{DUMP_STEM}.*", f".{DESCRIPTION_FILE}.*"):
        for leftover in dump_dir.glob(pattern):
            leftover.unlink(missing_ok=True)
    if staged is None:  # else the build began the writes (it wrote the staged files)
        begin_writes(dump_dir)
    manifest = _read_manifest(dump_dir)
    old: dict[str, dict[str, Any]] = manifest.get("graphs", {})
    same_site = manifest.get("endpoint") == endpoint and manifest.get("download") == DOWNLOAD_BASE
    versions = read_versions(store_dir) if store_dir is not None else {}
    names = graph_names(store)
    entries: dict[str, dict[str, Any]] = {}
    learned: dict[str, str] = {}
    written: list[Path] = []

    def wrote(path: Path) -> None:  # said as it happens: a long dump shows its progress
        written.append(path)
        progress(f"wrote {path}")

    changed = False
    for graph_iri in names:
        entry = old.get(graph_iri)
        version = versions.get(graph_iri)
        if (
            entry is not None
            and version is not None
            and entry.get("version") == version
            and all(_stat(_file(dump_dir, graph_iri, k)) == v for k, v in entry["files"].items())
        ):
            if not same_site:
                entry["void"] = _entry_block(graph_iri, entry, endpoint)
            entries[graph_iri] = entry
            continue
        ready = (staged or {}).get(graph_iri)
        if ready is not None and version is not None and ready["version"] == version:
            fresh = {k: v for k, v in ready.items() if k != "version"}  # the build wrote them
        else:
            fresh = _dump_graph(store, dump_dir, graph_iri)
        wrote(dump_dir / graph_file(graph_iri))
        if version is None:
            version = fresh["digest"]
            learned[graph_iri] = version
        unchanged = entry is not None and entry.get("digest") == fresh["digest"]
        entry = {
            "version": version,
            **fresh,  # digest, triples, files, meta
            "issued": entry["issued"] if entry is not None else day,
            "modified": entry["modified"] if entry is not None and unchanged else day,
        }
        entry["void"] = _entry_block(graph_iri, entry, endpoint)
        entries[graph_iri] = entry
        changed = True
    for graph_iri in old.keys() - entries.keys():
        for key in FILES:
            _file(dump_dir, graph_iri, key).unlink(missing_ok=True)
        changed = True
    # whole-dataset files of an earlier build (recorded by it; a user's own are left alone)
    for key, recorded in manifest.get("whole", {}).items():
        legacy = dump_dir / f"{DUMP_STEM}.{key}"
        if key in WHOLE and recorded is not None and _stat(legacy) == recorded:
            legacy.unlink()
            progress(f"removed {legacy}: the whole-dataset dumps are written by `narcokg dump`")
            changed = True
    if staged or changed:  # the graph files written unsynced, before anything names them
        sync_file_system(dump_dir)
    context = dump_dir / CONTEXT_FILE
    context_bytes = (json.dumps(jsonld_context(), indent=1) + "\n").encode()
    if not context.is_file() or context.read_bytes() != context_bytes:
        wrote(_write_atomically(context, context_bytes))
    void = dump_dir / DESCRIPTION_FILE
    if changed or not same_site or _stat(void) != manifest.get("void"):
        sizes = {
            key: (f"{DUMP_STEM}.{key}", whole_size(key, _sizes(entries, key))) for key in WHOLE
        }
        head = dataset_triples(
            total=sum(e["triples"] for e in entries.values()),
            whole=sizes,
            day=day,
            endpoint=endpoint,
        )
        with atomic_writer(void) as out:
            out.write((HEADER + prefix_header(DESCRIPTION_PREFIXES)).encode("utf-8"))
            out.write(_turtle_block(head).encode("utf-8"))
            for graph_iri in names:
                out.write(entries[graph_iri]["void"].encode("utf-8"))
        wrote(void)
    if store_dir is not None:
        remember(store_dir, learned)
    record = {
        "format": 1,
        "endpoint": endpoint,
        "download": DOWNLOAD_BASE,
        "void": _stat(void),
        "graphs": entries,
    }
    _write_atomically(dump_dir / CACHE_DIR / MANIFEST, json.dumps(record).encode("utf-8"))
    end_writes(dump_dir)
    return written


def end_writes(dump_dir: Path) -> None:
    """The dump folder's writes are over (done, or failed with every temporary file deleted
    by :func:`kg.publish.dumps.atomic_writer` on its way out): remove the marker."""
    (dump_dir / CACHE_DIR / WRITING).unlink(missing_ok=True)


def _sizes(entries: dict[str, dict[str, Any]], key: str) -> list[int]:
    """The byte sizes of the graphs' ``key`` pieces, in graph order (recorded when written)."""
    return [(entry["files"][key] or [0, 0])[1] for entry in entries.values()]


def begin_writes(dump_dir: Path) -> None:
    """Mark the dump folder as being written, first deleting what an interrupted writer left
    (:func:`abandon_writes`, when the marker says one was).

    The marker ``.fragments/.writing`` exists from the first write of a build (or of
    :func:`publish`) until its manifest is written, so the walk over every per-graph file
    (40,000 names at 10,000 releases) happens only after an interruption.
    """
    marker = dump_dir / CACHE_DIR / WRITING
    if marker.exists():
        _remove_unrecorded(dump_dir)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()


def abandon_writes(dump_dir: Path) -> None:
    """A build failed (its workers stopped): delete what it left among the per-graph files
    that the manifest does not vouch for, then the marker.

    A build's workers write a graph's files before the graph lands in the store, so a build
    stopped in between leaves files of graphs the store may not hold (and, from a stopped
    worker, temporary files). The files of graphs the manifest records are left: those the
    build replaced no longer match the manifest's inode, size and time, and the next
    :func:`publish` writes them again from the store.
    """
    _remove_unrecorded(dump_dir)
    end_writes(dump_dir)


def _remove_unrecorded(dump_dir: Path) -> None:
    """Delete every per-graph file (Turtle file or piece) the manifest does not record, and
    temporary files."""
    marker = dump_dir / CACHE_DIR / WRITING
    recorded = {
        _file(dump_dir, graph_iri, key)
        for graph_iri in _read_manifest(dump_dir).get("graphs", {})
        for key in FILES
    }
    for folder in (dump_dir / "graph", dump_dir / CACHE_DIR / "graph"):
        for leftover in folder.rglob("*"):
            if leftover.is_file() and leftover not in recorded:
                leftover.unlink(missing_ok=True)
    for leftover in (dump_dir / CACHE_DIR).glob(".*.*"):  # a manifest's temporary file
        if leftover.is_file() and leftover != marker:
            leftover.unlink(missing_ok=True)


def dumped_versions(dump_dir: Path) -> dict[str, str]:
    """The version of each graph whose files the dump folder holds (its manifest): the build
    does not write again the files of a graph rebuilt unchanged."""
    graphs: dict[str, dict[str, Any]] = _read_manifest(dump_dir).get("graphs", {})
    return {iri: str(entry.get("version")) for iri, entry in graphs.items()}


def graph_ntriples_source(dump_dir: Path, store_dir: Path) -> Callable[[str], bytes | None]:
    """A reader of each graph's N-Triples from its N-Quads piece in ``dump_dir``, for the
    graphs whose piece holds the version the store at ``store_dir`` holds (its recorded
    version equals the manifest's, and the piece is the very file the manifest recorded);
    ``None`` for any other graph, which is then read from the store.

    Why: validation hands each release graph to a worker as N-Triples, and reading it from
    the store costs ~10 ms (decoding its terms) where reading the piece costs well under one.
    """
    graphs: dict[str, dict[str, Any]] = _read_manifest(dump_dir).get("graphs", {})
    versions = read_versions(store_dir)

    def read(graph_iri: str) -> bytes | None:
        entry = graphs.get(graph_iri)
        version = versions.get(graph_iri)
        if entry is None or version is None or entry.get("version") != version:
            return None
        path = _piece(dump_dir, graph_iri, "nq")
        if _stat(path) != entry["files"].get("nq"):
            return None
        try:
            return ntriples_of_piece(graph_iri, path.read_bytes())
        except (OSError, ValueError):  # unreadable, or not one quad of this graph per line
            return None

    return read


def whole_pieces(dump_dir: Path, key: str) -> list[tuple[Path, int]]:
    """The pieces of the ``key`` whole-dataset dump, in graph order, with the size the
    manifest recorded for each: what ``narcokg dump`` and ``narcokg web`` concatenate
    (kg/publish/whole.py). Empty when the folder has no manifest."""
    graphs: dict[str, dict[str, Any]] = _read_manifest(dump_dir).get("graphs", {})
    return [
        (_piece(dump_dir, graph_iri, key), (entry["files"][key] or [0, 0])[1])
        for graph_iri, entry in graphs.items()
    ]


def _file(dump_dir: Path, graph_iri: str, key: str) -> Path:
    return dump_dir / graph_file(graph_iri) if key == "ttl" else _piece(dump_dir, graph_iri, key)


def _entry_block(graph_iri: str, entry: dict[str, Any], endpoint: str) -> str:
    """The cached Turtle of one graph's description entry."""
    meta = entry["meta"]
    ttl = entry["files"].get("ttl")
    return _turtle_block(
        graph_triples(
            graph_iri,
            triples=entry["triples"],
            meta=None
            if meta is None
            else ReleaseMeta(**{**meta, "sources": tuple(meta["sources"])}),
            turtle=None if ttl is None else (graph_file(graph_iri), ttl[1]),
            issued=entry["issued"],
            modified=entry["modified"],
            endpoint=endpoint,
        )
    )
