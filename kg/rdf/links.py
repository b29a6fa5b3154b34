"""The links to other datasets, as an SSSOM mapping set: made, written, read, turned into RDF.

Why: a link to Wikidata, ISO 3166-2 or GeoNames is a claim that must name its evidence, so the
links are published as a mapping set (SSSOM TSV, https://mapping-commons.github.io/sssom/) whose
rows each say where they were verified, and the vocabulary's ``skos:exactMatch`` triples are
generated from that set, never typed by hand. A link is made only when it is verified:

- Wikidata: the lexicon entry's ``wikidata`` QID must be a row of
  ``mappings/reference/wikidata.csv`` (for a jurisdiction, the row with its ISO 3166-2 code);
  a QID that is not there is an error, not a link.
- ISO 3166: the entry's ``notation`` must be a code pycountry ships (its ISO 3166-1 alpha-2
  country codes or ISO 3166-2 subdivision codes), or nothing is generated. The code is not a
  link but the key itself, a notation (``nko:isoSubdivisionCode "CN-YN"``, written by
  kg/rdf/vocab.py): ISO publishes no identifier IRI per code, and its Online Browsing Platform
  address (``https://www.iso.org/obp/ui/#iso:code:3166:CN-YN``) is a fragment of a web
  application, which ``skos:exactMatch`` would have said *is* the province
  (docs/decisions/20261129-join-keys.md).
- GeoNames: rows of ``mappings/reference/geonames.csv`` (from the shared reference notes).

Run ``python -m kg.rdf.links`` (or ``python -m kg.rdf.vocab``, which calls it) after editing the
lexicon or the reference files.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kg.errors import InputError
from kg.extract.lexicon import Lexicon
from kg.namespaces import NKGV
from kg.resources import mappings_dir

if TYPE_CHECKING:
    from rdflib import Graph

WIKIDATA = "http://www.wikidata.org/entity/"
GEONAMES = "https://sws.geonames.org/"
SKOS_EXACT_MATCH = "skos:exactMatch"
MANUAL_CURATION = "semapv:ManualMappingCuration"

CURIE_MAP: dict[str, str] = {
    "nkgv": str(NKGV),
    "wikidata": WIKIDATA,
    "geonames": GEONAMES,
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "semapv": "https://w3id.org/semapv/vocab/",
}
MAPPING_SET_ID = "https://w3id.org/narcotics-kg/mappings/links.sssom.tsv"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
AUTHOR_ID = "nkgv:agent/narcotics-kg-project"
"""Who asserts the links (SSSOM ``author_id``): the project, the agent that publishes the data."""
MAPPING_DATE = "2026-11-29"
"""When the links were last asserted (SSSOM ``mapping_date``): the day the reference rows were
checked and the set regenerated. Changed by hand with them, so that regenerating an unchanged set
gives the same file."""
COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "object_source",
    "author_id",
    "mapping_date",
    "comment",
)
SOURCES = {
    "wikidata": "https://www.wikidata.org/",
    "geonames": "https://www.geonames.org/",
}


@dataclass(frozen=True)
class Link:
    """One row of the mapping set; ids are CURIEs with the prefixes of :data:`CURIE_MAP`."""

    subject_id: str
    subject_label: str
    object_id: str
    object_label: str
    comment: str
    predicate_id: str = SKOS_EXACT_MATCH
    mapping_justification: str = MANUAL_CURATION
    author_id: str = AUTHOR_ID
    mapping_date: str = MAPPING_DATE

    @property
    def object_source(self) -> str:
        """The database the object belongs to (its CURIE prefix's home page)."""
        return SOURCES[self.object_id.split(":", 1)[0]]

    def row(self) -> tuple[str, ...]:
        """The TSV cells in :data:`COLUMNS` order."""
        return tuple(getattr(self, c) for c in COLUMNS)


def expand_curie(curie: str) -> str:
    """Expand a CURIE of the mapping set to a full IRI."""
    prefix, sep, local = curie.partition(":")
    if not sep or prefix not in CURIE_MAP:
        raise ValueError(f"unknown prefix in {curie!r}")
    return CURIE_MAP[prefix] + local


def _nkgv_curie(iri: str) -> str:
    return "nkgv:" + iri[len(str(NKGV)) :]


def read_reference(path: Path, key: str) -> list[dict[str, str]]:
    """Rows of a reference CSV that has the column ``key``; a missing column is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from exc
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and key not in rows[0]:
        raise InputError(path, f"no column {key!r}")
    return rows


def _iso_name(code: str) -> str | None:
    """pycountry's name of an ISO 3166-1 alpha-2 or ISO 3166-2 code, None if it has none."""
    import pycountry

    if "-" in code:
        sub = pycountry.subdivisions.get(code=code)
        return str(sub.name) if sub is not None else None
    country = pycountry.countries.get(alpha_2=code)
    return str(country.name) if country is not None else None


def make_links(
    lexicon: Lexicon | None = None,
    *,
    wikidata_csv: Path | None = None,
    geonames_csv: Path | None = None,
) -> list[Link]:
    """Every verified link of the vocabulary, sorted by subject then object.

    Raises:
        InputError: a lexicon QID is not a row of the reference file, or a notation is not an
            ISO code pycountry knows (checked here, though the code is a notation, not a
            link), or a GeoNames row names no vocabulary entry.
    """
    lexicon = lexicon or Lexicon.load()
    ref = mappings_dir() / "reference"
    wikidata_csv = wikidata_csv or ref / "wikidata.csv"
    geonames_csv = geonames_csv or ref / "geonames.csv"
    wd_rows = read_reference(wikidata_csv, "wikidata")
    gn_rows = read_reference(geonames_csv, "geonames")
    links: list[Link] = []
    by_notation = {}
    for scheme in lexicon.schemes:
        for e in lexicon.entries(scheme.name):
            subject = _nkgv_curie(e.iri)
            if e.notation and scheme.name == "jurisdictions":
                by_notation[e.notation] = e
                name = _iso_name(e.notation)
                if name is None:
                    raise InputError(
                        scheme.path, f"{e.iri}: notation {e.notation!r} is not an ISO 3166 code"
                    )
            if e.wikidata:
                rows = [
                    r
                    for r in wd_rows
                    if r["wikidata"] == e.wikidata
                    and (not e.notation or r.get("iso_3166_2", "") in ("", e.notation))
                ]
                if not rows:
                    raise InputError(
                        scheme.path,
                        f"{e.iri}: wikidata {e.wikidata} is not verified in {wikidata_csv.name}",
                    )
                links.append(
                    Link(
                        subject,
                        e.label,
                        f"wikidata:{e.wikidata}",
                        rows[0]["name"],
                        f"verified by: {rows[0]['verified_by']}",
                    )
                )
    for r in gn_rows:
        entry = by_notation.get(r.get("iso_3166_2", ""))
        if entry is None:
            raise InputError(
                geonames_csv, f"GeoNames {r['geonames']}: no jurisdiction {r.get('iso_3166_2')!r}"
            )
        links.append(
            Link(
                _nkgv_curie(entry.iri),
                entry.label,
                f"geonames:{r['geonames']}/",
                r["name"],
                f"verified by: {r['verified_by']}",
            )
        )
    return sorted(links, key=lambda link: (link.subject_id, link.object_id))


def _version() -> str:
    """The distribution's version: the mapping set is released with the data it links."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("narcotics-kg")
    except PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
        return "0"


def metadata() -> dict[str, object]:
    """The mapping set's metadata (the SSSOM YAML header).

    ``mapping_set_version`` is the package's version; ``creator_id`` the project, which is
    also every row's ``author_id`` (the columns ``author_id`` and ``mapping_date``).
    """
    return {
        "curie_map": dict(CURIE_MAP),
        "mapping_set_id": MAPPING_SET_ID,
        "mapping_set_title": "Links of the narcotics-kg vocabularies to other datasets",
        "mapping_set_description": (
            "Generated by `python -m kg.rdf.links` from mappings/lexicon/, mappings/reference/ and"
            " pycountry; only verified links."
        ),
        "mapping_set_version": _version(),
        "license": LICENSE,
        "mapping_provider": "https://w3id.org/narcotics-kg/",
        "creator_id": [AUTHOR_ID],
    }


def _header() -> str:
    import yaml

    text = yaml.safe_dump(metadata(), sort_keys=False, allow_unicode=True, width=1000)
    return "".join(f"#{line}\n" for line in text.splitlines())


def to_tsv(links: Iterable[Link]) -> str:
    """The mapping set as SSSOM TSV text: YAML metadata as ``#`` lines, then the table."""
    out = io.StringIO()
    out.write(_header())
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    writer.writerow(COLUMNS)
    for link in links:
        writer.writerow(link.row())
    return out.getvalue()


def default_path() -> Path:
    """Where the mapping set lives: ``mappings/links/links.sssom.tsv``."""
    return mappings_dir() / "links" / "links.sssom.tsv"


def read_tsv(path: Path | None = None) -> tuple[dict[str, object], list[dict[str, str]]]:
    """(metadata, rows) of an SSSOM TSV file; the metadata is the ``#`` lines parsed as YAML."""
    import yaml

    path = path or default_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror}") from exc
    meta_lines = [line[1:] for line in text.splitlines() if line.startswith("#")]
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    try:
        meta = yaml.safe_load("\n".join(meta_lines)) or {}
    except yaml.YAMLError as exc:
        raise InputError(path, f"metadata header is not YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise InputError(path, "metadata header is not a YAML mapping")
    rows = list(csv.DictReader(io.StringIO(body), delimiter="\t"))
    missing = set(COLUMNS[:6]) - set(rows[0] if rows else COLUMNS)
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(sorted(missing))}")
    return meta, rows


def links_graph(path: Path | None = None) -> Graph:
    """The mapping set's rows as ``skos:exactMatch`` triples (an rdflib Graph)."""
    from rdflib import Graph, URIRef
    from rdflib.namespace import SKOS

    meta, rows = read_tsv(path)
    curies = meta.get("curie_map") or CURIE_MAP
    assert isinstance(curies, dict)
    g = Graph()
    g.bind("skos", str(SKOS))
    for row in rows:
        if row["predicate_id"] != SKOS_EXACT_MATCH:
            continue

        def iri(curie: str) -> URIRef:
            prefix, _, local = curie.partition(":")
            return URIRef(str(curies[prefix]) + local)

        g.add((iri(row["subject_id"]), SKOS.exactMatch, iri(row["object_id"])))
    return g


def write(path: Path | None = None) -> Path:
    """Regenerate the mapping set file atomically; return its path."""
    path = path or default_path()
    text = to_tsv(make_links())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


if __name__ == "__main__":  # pragma: no cover
    print(write(), file=sys.stderr)
