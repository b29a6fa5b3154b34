"""Describe the dataset with VoID and DCAT, and write the dumps the description lists.

Why: a linked-data consumer decides from a dataset's description (W3C VoID,
https://www.w3.org/TR/void/, and DCAT 3, https://www.w3.org/TR/vocab-dcat-3/) what it is, who
publishes it under which licence, where it came from, how big it is and where to download it.
The description is computed from the store after every build, so its triple counts and its
release list cannot drift from the data. It is written next to the dumps (``void.ttl``), not
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

import datetime as dt
import json
import os
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.errors import InputError
from kg.namespaces import NKG, NKGV, PREFIXES, VOCABULARY_GRAPH
from kg.publish.dumps import atomic_writer, dump

if TYPE_CHECKING:
    from rdflib import Graph

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
DUMP_STEM = "narcotics-kg"
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


def jsonld_context() -> dict[str, object]:
    """The JSON-LD context of the dumps: the project's prefixes (a term per namespace)."""
    return {"@context": dict(sorted(PREFIXES.items()))}


def graph_file(graph_iri: str) -> str:
    """The Turtle file of one named graph, relative to the dump folder (mirrors its IRI)."""
    if graph_iri.startswith(BASE):
        return graph_iri[len(BASE) :] + ".ttl"
    return "graph/other/" + "".join(c if c.isalnum() else "_" for c in graph_iri) + ".ttl"


def _write_atomically(path: Path, data: bytes) -> Path:
    with atomic_writer(path) as out:
        out.write(data)
    return path


def write_jsonld(store: ox.Store, path: Path) -> Path:
    """The whole dataset as one JSON-LD document, its ``@context`` inlined.

    The body is pyoxigraph's streamed JSON-LD (absolute IRIs, one node object per named graph
    holding that graph's ``@graph``) under ``{"@context": ..., "@graph": [...]}``: valid JSON-LD
    1.1 whose meaning does not depend on the context, written without holding the dataset in
    memory; ``narcotics-kg.context.jsonld`` is the same context for compacting it.
    """
    with atomic_writer(path) as out:
        head = json.dumps(jsonld_context(), indent=1)[:-2]  # drop the closing "\n}"
        out.write(f'{head},\n "@graph": '.encode())
        store.dump(out, format=ox.RdfFormat.JSON_LD)
        out.write(b"\n}\n")
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


def describe(
    store: ox.Store,
    files: dict[str, Path],
    *,
    dump_dir: Path,
    issued: dt.date | None = None,
    sparql_endpoint: str | None = None,
    download_base: str = DOWNLOAD_BASE,
) -> Graph:
    """The VoID + DCAT description of the store's dataset and of each of its named graphs.

    Args:
        store: the built store (only read).
        files: distribution files by key: ``trig``, ``nq``, ``jsonld`` for the whole dataset,
            and named graph IRIs for their Turtle files; missing ones are not described.
        dump_dir: the folder the files' download URLs are relative to.
        issued: the publication day (default :func:`issued_date`).
        sparql_endpoint: a served SPARQL endpoint to advertise (``void:sparqlEndpoint``).
        download_base: the IRI the dump folder is published under.
    """
    from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
    from rdflib.namespace import DCAT, DCTERMS, FOAF, PROV, VOID

    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns)
    g.bind("void", VOID)
    g.bind("dcat", DCAT)
    g.bind("foaf", FOAF)
    g.bind("vcard", VCARD)
    day = Literal((issued or issued_date()).isoformat(), datatype=XSD.date)
    dataset, publisher, licence = URIRef(DATASET), URIRef(PUBLISHER), URIRef(LICENSE)

    g.add((publisher, RDF.type, FOAF.Organization))
    g.add((publisher, FOAF.name, Literal("The narcotics-kg project", lang="en")))
    g.add((publisher, FOAF.homepage, URIRef(BASE)))
    # DCAT 3 §6.6.6 (dcat:contactPoint): a vCard; its URL the project's home, no invented email
    contact = URIRef(CONTACT)
    g.add((contact, RDF.type, URIRef(VCARD + "Organization")))
    g.add((contact, URIRef(VCARD + "fn"), Literal("The narcotics-kg project", lang="en")))
    g.add((contact, URIRef(VCARD + "hasURL"), URIRef(BASE)))

    def common(node: URIRef, title: str, description: str) -> None:
        g.add((node, RDF.type, VOID.Dataset))
        g.add((node, RDF.type, DCAT.Dataset))
        g.add((node, DCTERMS.title, Literal(title, lang="en")))
        g.add((node, DCTERMS.description, Literal(description, lang="en")))
        g.add((node, DCTERMS.publisher, publisher))
        g.add((node, DCTERMS.license, licence))
        g.add((node, DCTERMS.rights, Literal(RIGHTS, lang="en")))
        g.add((node, DCTERMS.issued, day))
        g.add((node, DCTERMS.modified, day))
        g.add((node, DCAT.contactPoint, contact))
        if sparql_endpoint:
            g.add((node, VOID.sparqlEndpoint, URIRef(sparql_endpoint)))

    def distribution(node: URIRef, key: str, path: Path, fmt: Format) -> None:
        rel = path.resolve().relative_to(dump_dir.resolve()).as_posix()
        url = URIRef(download_base + rel)
        dist = URIRef(f"{NKGV}distribution/{rel}")
        g.add((node, DCAT.distribution, dist))
        g.add((node, VOID.dataDump, url))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(f"{fmt.label} dump", lang="en")))
        g.add((dist, DCAT.downloadURL, url))
        g.add((dist, DCAT.accessURL, url))
        g.add((dist, DCAT.mediaType, URIRef(IANA + fmt.media_type)))
        g.add((dist, DCTERMS.format, Literal(fmt.media_type)))
        g.add((dist, DCTERMS.conformsTo, URIRef(fmt.spec)))
        g.add((dist, DCTERMS.license, licence))
        g.add((dist, DCAT.byteSize, Literal(path.stat().st_size, datatype=XSD.nonNegativeInteger)))
        if key == "jsonld":
            context_url = URIRef(download_base + CONTEXT_FILE)
            g.add((dist, RDFS.seeAlso, context_url))

    sizes = graph_sizes(store)
    all_sources: list[str] = []
    common(
        dataset,
        "narcotics-kg: figures of China's anti-narcotics press releases",
        "Every figure stated in the press releases of China's Ministry of Public Security and "
        "National Narcotics Control Commission (English machine translations) as an RDF Data "
        "Cube observation pointing to the characters it came from; garbled figures are kept "
        "verbatim without a value. One named graph per release, plus the vocabularies.",
    )
    g.add((dataset, VOID.triples, Literal(sum(sizes.values()), datatype=XSD.integer)))
    g.add((dataset, VOID.uriSpace, Literal(str(NKGV))))
    for ns in ("nko", "qb", "prov", "oa", "skos", "time", "dcterms", "org", "schema", "qudt"):
        g.add((dataset, VOID.vocabulary, URIRef(PREFIXES[ns])))
    for word in ("narcotics", "drug seizures", "law enforcement", "China", "statistics"):
        g.add((dataset, DCAT.keyword, Literal(word, lang="en")))
    g.add((dataset, URIRef(str(DCAT) + "spatial"), URIRef("http://www.wikidata.org/entity/Q148")))
    for key in ("trig", "nq", "jsonld"):
        if key in files:
            distribution(dataset, key, files[key], FORMATS[key])

    for graph_iri, size in sizes.items():
        node = URIRef(graph_iri)
        g.add((dataset, VOID.subset, node))
        meta = release_metadata(store, graph_iri)
        if meta is not None:
            common(
                node,
                f"Release graph {meta.identifier}" + (f": {meta.title}" if meta.title else ""),
                "The figures, mentions, sentences and text of one press release.",
            )
            g.add((node, DCTERMS.identifier, Literal(meta.identifier)))
            g.add((node, PROV.wasDerivedFrom, URIRef(meta.iri)))
            for source in meta.sources:
                g.add((node, DCTERMS.source, URIRef(source)))
                all_sources.append(source)
            g.add((node, VOID.exampleResource, URIRef(meta.iri)))
        elif graph_iri == str(VOCABULARY_GRAPH):
            common(
                node,
                "Ontology and vocabularies",
                "The TBox, the Data Cube structure and the SKOS vocabularies (jurisdictions, "
                "operations, agencies, substances...) with their verified links.",
            )
            g.add((node, DCTERMS.source, URIRef(BASE + "mappings/links.sssom.tsv")))
        else:
            name = graph_iri.rsplit("/", 1)[-1]
            common(node, f"Graph {name}", f"The named graph <{graph_iri}>.")
            g.add((node, DCTERMS.source, URIRef(BASE)))
        g.add((node, VOID.triples, Literal(size, datatype=XSD.integer)))
        if graph_iri in files:
            distribution(node, "ttl", files[graph_iri], FORMATS["ttl"])
    for source in dict.fromkeys(all_sources):
        g.add((dataset, DCTERMS.source, URIRef(source)))
    return g


def publish(
    store: ox.Store,
    dump_dir: Path,
    *,
    progress: Progress = _quiet,
    issued: dt.date | None = None,
    sparql_endpoint: str | None = None,
) -> list[Path]:
    """Write the dumps a description lists (TriG, N-Quads, JSON-LD + context, Turtle per
    named graph) and the description itself (``void.ttl``); return the paths written.

    ``sparql_endpoint`` defaults to the deployment's (:func:`sparql_endpoint_url`).

    Each file is written atomically; the description is written last, so it never lists a
    file that is not there.
    """
    endpoint = sparql_endpoint or sparql_endpoint_url()  # a bad NARCOKG_BASE_URL: nothing written
    files: dict[str, Path] = {}
    for key in ("trig", "nq"):
        files[key] = dump(store, dump_dir / f"{DUMP_STEM}.{key}")
    files["jsonld"] = write_jsonld(store, dump_dir / f"{DUMP_STEM}.jsonld")
    context = _write_atomically(
        dump_dir / CONTEXT_FILE, (json.dumps(jsonld_context(), indent=1) + "\n").encode()
    )
    for graph_iri in graph_sizes(store):
        files[graph_iri] = dump(store, dump_dir / graph_file(graph_iri), graph=graph_iri)
    description = describe(store, files, dump_dir=dump_dir, issued=issued, sparql_endpoint=endpoint)
    header = "# VoID + DCAT description written by `narcokg build` (kg/publish/describe.py).\n"
    void = _write_atomically(
        dump_dir / DESCRIPTION_FILE,
        (header + description.serialize(format="turtle")).encode("utf-8"),
    )
    written = [*files.values(), context, void]
    for path in written:
        progress(f"wrote {path}")
    return written
