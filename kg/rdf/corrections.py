"""Verified corrections → revised figures in their own named graph (``nkg:corrections``).

Why: the English translation garbled or moved some figures ("9,26 drug-related crime cases" for
2.6万, i.e. 26,000). ``mappings/reference/corrections.csv`` records the values verified against
the Chinese original, with their sources. A correction never touches the stated figure: it
becomes a separate ``nko:Figure`` with status ``revised`` that is ``prov:wasRevisionOf`` the
stated one, so both the release's words and the verified value stay queryable.

Rows are matched to the stated figure by their quote, never by offset: ``exact`` must occur
exactly once in the release text; the corrected figure is the first number token inside that
occurrence (as :func:`kg.text.numerals.scan` reads tokens), and the stated figure is the one whose
span lies inside the occurrence and covers that token. The ``start`` column is only a check (a
mismatch is reported). A row that matches no figure is reported, never silently dropped.

Percent rows are signed changes ("-18.1" = a decrease of 18.1%); the model stores a change as
its magnitude with ``nko:direction`` (docs/decisions/20261126-corrections-graph.md), so a revised
change gets ``nko:value`` = the magnitude and the direction of the sign, and
``nko:signedChange`` = the signed value of the row.

Not done here: reading the releases (the stated figures come from the store, where the release
graphs already are) or judging whether a correction is right (``narcokg check`` lists every
stated-vs-verified difference).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from kg import resources
from kg.errors import InputError
from kg.namespaces import (
    NKG,
    NKGV,
    NKO,
    PREFIXES,
    PROV,
    QB,
    SDMX_ATT,
    release_iri,
)
from kg.rdf.mapping import unit_iri
from kg.text.numerals import format_decimal, scan

_Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
CORRECTIONS_DATASET = NKGV["dataset/corrections"]
COLUMNS = (
    "release", "exact", "start", "verified_value", "unit", "qualifier", "sources", "note",
)  # fmt: skip
UNITS = {
    "count": "NUM", "people": "NUM", "tonne": "TONNE", "kilogram": "KiloGM",
    "percent": "PERCENT", "mu": "MU", "hectare": "HA", "week": "WK",
}  # fmt: skip
"""The file's unit words → the unit codes of docs/model.md (people are counted: ``unit:NUM``)."""
QUALIFIERS = {"exact", "more-than", "about", "nearly", "at-least"}

# Attributes of the stated figure that a revision keeps (the dimensions are all copied).
_COPIED = (NKO.changeOf, NKO.partOf, NKO.periodPhrase, NKO.inSentence, NKO.verbatim)


def default_path() -> Path:
    """The bundled corrections file."""
    return resources.mappings_dir() / "reference" / "corrections.csv"


@dataclass(frozen=True)
class CorrectionRow:
    """One row of the corrections file; ``line`` is its first line number (1 = header)."""

    path: Path
    line: int
    release: str
    exact: str
    start: int
    value: Decimal
    unit: str
    qualifier: str
    sources: tuple[str, ...]
    note: str

    @property
    def where(self) -> str:
        """``file:line``, for messages."""
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Revision:
    """A row matched to the stated figure it corrects."""

    row: CorrectionRow
    stated: str
    iri: str


@dataclass(frozen=True)
class Unmatched:
    """A row that matched no stated figure, and why."""

    row: CorrectionRow
    reason: str


@dataclass(frozen=True)
class CorrectionsResult:
    """The corrections graph and what became of each row.

    Attributes:
        graph: the triples of the ``nkg:corrections`` graph.
        revisions: rows matched to a stated figure (one revised figure each).
        unmatched: rows of releases in the store that matched no figure.
        notes: other things a reader should know (an offset column that disagrees).
        absent: rows whose release is not in the store (not applicable, not an error).
    """

    graph: Graph
    revisions: tuple[Revision, ...]
    unmatched: tuple[Unmatched, ...]
    notes: tuple[str, ...]
    absent: tuple[CorrectionRow, ...]

    def warnings(self) -> list[str]:
        """One line per unmatched row and per note, ready for stderr."""
        out = [f"warning: {u.row.where}: {u.reason}; row not applied" for u in self.unmatched]
        return out + [f"warning: {n}" for n in self.notes]


def _row(path: Path, line: int, cells: dict[str, str]) -> CorrectionRow:
    def bad(problem: str) -> InputError:
        return InputError(path, f"line {line}: {problem}")

    for col in COLUMNS:
        if cells.get(col) is None:
            raise bad(f"missing column {col!r}")
    for col in ("release", "exact", "start", "verified_value", "unit", "qualifier", "sources"):
        if not cells[col].strip():
            raise bad(f"empty {col!r}")
    try:
        start = int(cells["start"])
    except ValueError:
        raise bad(f"start {cells['start']!r} is not an integer") from None
    if start < 0:
        raise bad(f"start {start} is negative")
    try:
        value = Decimal(cells["verified_value"].strip())
    except InvalidOperation:
        raise bad(f"verified_value {cells['verified_value']!r} is not a number") from None
    if not value.is_finite():
        raise bad(f"verified_value {cells['verified_value']!r} is not a number")
    unit = cells["unit"].strip()
    if unit not in UNITS:
        raise bad(f"unknown unit {unit!r}; expected one of {', '.join(UNITS)}")
    if value < 0 and unit != "percent":
        raise bad(f"negative verified_value {value} for unit {unit!r} (only changes are signed)")
    qualifier = cells["qualifier"].strip().replace("_", "-")
    if qualifier not in QUALIFIERS:
        raise bad(f"unknown qualifier {cells['qualifier']!r}")
    sources = tuple(cells["sources"].split())
    for s in sources:
        if not s.startswith(("http://", "https://")) or any(c in s for c in '<>"{}|\\^`'):
            raise bad(f"source {s!r} is not an http(s) URL")
    return CorrectionRow(
        path=path,
        line=line,
        release=cells["release"].strip(),
        exact=cells["exact"],
        start=start,
        value=value,
        unit=unit,
        qualifier=qualifier,
        sources=sources,
        note=cells["note"].strip(),
    )


def read_corrections(path: Path | None = None) -> list[CorrectionRow]:
    """Read and check every row of a corrections file (default: the bundled one).

    Raises:
        InputError: the file is unreadable, lacks a column, or a row is unusable (the message
            names the file and the line).
    """
    path = path if path is not None else default_path()
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, strict=True)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise InputError(path, f"line 1: missing column(s) {', '.join(missing)}")
            rows = []
            line = reader.line_num + 1
            for cells in reader:
                if None in cells:
                    raise InputError(path, f"line {line}: more cells than columns")
                rows.append(_row(path, line, cells))
                line = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(path, f"cannot read corrections: {exc}") from exc
    return rows


@dataclass(frozen=True)
class _Stated:
    iri: str
    start: int
    end: int


# The release and its graph are written into each query as IRIs (ox.NamedNode checks them),
# not passed as substitutions: pyoxigraph 0.5 applies substitutions after evaluating the whole
# query, which read every release graph of the store for each correction row.


def _release_text(store: ox.Store, release_id: str) -> str | None:
    release = ox.NamedNode(release_iri(release_id))
    graph = ox.NamedNode(f"{NKG}release/{release_id}")
    q = f"SELECT ?text WHERE {{ GRAPH {graph} {{ {release} <https://schema.org/text> ?text }} }}"
    solutions = store.query(q)
    assert isinstance(solutions, ox.QuerySolutions)
    for sol in solutions:
        text = sol["text"]
        return text.value if text is not None else None
    return None


def _stated_figures(store: ox.Store, release_id: str) -> list[_Stated]:
    graph = ox.NamedNode(f"{NKG}release/{release_id}")
    q = """
    PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>
    PREFIX oa: <http://www.w3.org/ns/oa#>
    SELECT ?f ?s ?e WHERE { GRAPH $graph {
        ?f a nko:Figure ; nko:statedAt ?span .
        ?span oa:hasSelector ?pos . ?pos a oa:TextPositionSelector ; oa:start ?s ; oa:end ?e .
    } }""".replace("$graph", str(graph))
    out = []
    for sol in store.query(q):  # type: ignore[union-attr]
        out.append(_Stated(sol["f"].value, int(sol["s"].value), int(sol["e"].value)))
    return sorted(out, key=lambda f: (f.start, f.end))


def match(row: CorrectionRow, text: str, stated: Sequence[_Stated]) -> tuple[_Stated | str, str]:
    """The stated figure ``row`` corrects, or why there is none; plus a note ("" if none).

    Pure: the release ``text`` and its stated figure spans in, a decision out.
    """
    found: list[int] = []
    at = text.find(row.exact)
    while at >= 0 and len(found) < 2:
        found.append(at)
        at = text.find(row.exact, at + 1)
    if not found:
        return "quote not found in the release text", ""
    if len(found) > 1:
        return "quote occurs more than once in the release text (not a unique TextQuote)", ""
    occ = found[0]
    note = ""
    if occ != row.start:
        note = (
            f"{row.where}: start column says {row.start}, the quote is at {occ} (matched by quote)"
        )
    numerals = scan(row.exact)
    if not numerals:
        return "no number in the quote", note
    first = numerals[0]
    tok_start, tok_end = occ + first.start, occ + first.end
    occ_end = occ + len(row.exact)
    hits = [
        f
        for f in stated
        if occ <= f.start and f.end <= occ_end and f.start < tok_end and tok_start < f.end
    ]
    if not hits:
        return f"no stated figure at the quote's first number {first.verbatim!r}", note
    if len(hits) > 1:
        return f"{len(hits)} stated figures at the quote's first number {first.verbatim!r}", note
    return hits[0], note


def correction_iri(release_id: str, start: int, end: int) -> str:
    """The revised figure of the stated figure at ``start:end`` of a release."""
    return f"{NKGV}correction/{release_id}/{start}-{end}"


def _copy_description(store: ox.Store, stated: str, graph: str) -> list[tuple[ox.NamedNode, _Term]]:
    """The stated figure's dimension values and kept attributes, as (predicate, object)."""
    q = """
    PREFIX qb: <http://purl.org/linked-data/cube#>
    SELECT DISTINCT ?p ?o WHERE {
      { GRAPH <https://w3id.org/narcotics-kg/graph/vocabulary> {
          ?dsd qb:component/qb:dimension ?p } }
      UNION { VALUES ?p { %s } }
      GRAPH $graph { $figure ?p ?o }
    }""".replace("%s", " ".join(f"<{p}>" for p in _COPIED))
    q = q.replace("$graph", str(ox.NamedNode(graph))).replace("$figure", str(ox.NamedNode(stated)))
    sols = store.query(q)
    return [(s["p"], s["o"]) for s in sols]  # type: ignore[union-attr]


def _area_group(
    store: ox.Store, stated: str, graph: str
) -> list[tuple[ox.NamedNode, ox.NamedNode, _Term]]:
    """The description of the stated figure's area when it is a group of areas (its type,
    label and members live in the release graph, not in the vocabulary): copied with the
    revision, so that the corrections graph's areas are in the code list too (IC-19)."""
    q = """
    PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>
    SELECT ?a ?p ?o WHERE { GRAPH $graph {
      $figure nko:refArea ?a . ?a a nko:AreaGroup ; ?p ?o } }"""
    q = q.replace("$graph", str(ox.NamedNode(graph))).replace("$figure", str(ox.NamedNode(stated)))
    sols = store.query(q)
    return [(s["a"], s["p"], s["o"]) for s in sols]  # type: ignore[union-attr]


def _to_rdflib(term: _Term) -> URIRef | Literal:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == str(XSD.string):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unexpected term {term!r}")  # figures have no blank nodes


def _revision_triples(g: Graph, store: ox.Store, row: CorrectionRow, stated: _Stated) -> str:
    iri = URIRef(correction_iri(row.release, stated.start, stated.end))
    graph = f"{NKG}release/{row.release}"
    g.add((iri, RDF.type, NKO.Figure))
    g.add((iri, RDF.type, QB.Observation))
    g.add((iri, QB.dataSet, CORRECTIONS_DATASET))
    for p, o in _copy_description(store, stated.iri, graph):
        g.add((iri, URIRef(p.value), _to_rdflib(o)))
    for area, p, o in _area_group(store, stated.iri, graph):
        g.add((URIRef(area.value), URIRef(p.value), _to_rdflib(o)))
    magnitude = abs(row.value) if row.unit == "percent" else row.value
    g.add((iri, QB.measureType, NKO.value))
    g.add((iri, NKO.value, Literal(format_decimal(magnitude), datatype=XSD.decimal)))
    if row.unit == "percent" and row.value != 0:
        direction = "up" if row.value > 0 else "down"
        g.add((iri, NKO.direction, NKGV[f"direction/{direction}"]))
        g.add((iri, NKO.signedChange, Literal(format_decimal(row.value), datatype=XSD.decimal)))
    g.add((iri, SDMX_ATT.unitMeasure, unit_iri(UNITS[row.unit])))
    g.add((iri, NKO.qualifier, NKGV[f"qualifier/{row.qualifier}"]))
    g.add((iri, NKO.status, NKGV["status/revised"]))
    g.add((iri, PROV.wasRevisionOf, URIRef(stated.iri)))
    for source in row.sources:
        g.add((iri, DCTERMS.source, URIRef(source)))
        g.add((iri, PROV.wasDerivedFrom, URIRef(source)))
    if row.note:
        g.add((iri, SKOS.note, Literal(row.note, lang="en")))
    return str(iri)


def release_ids(store: ox.Store) -> set[str]:
    """Ids of the releases whose graphs are in the store."""
    prefix = f"{NKG}release/"
    return {
        g.value[len(prefix) :]
        for g in store.named_graphs()
        if isinstance(g, ox.NamedNode) and g.value.startswith(prefix)
    }


def revise(store: ox.Store, rows: Iterable[CorrectionRow]) -> CorrectionsResult:
    """Match ``rows`` against the release graphs in ``store``; build the corrections graph.

    Only reads the store. Rows of releases not in the store are returned as ``absent``.
    """
    g = Graph()
    for prefix, ns in PREFIXES.items():
        g.bind(prefix, ns, override=True)
    present = release_ids(store)
    texts: dict[str, str | None] = {}
    figures: dict[str, list[_Stated]] = {}
    revisions: list[Revision] = []
    unmatched: list[Unmatched] = []
    notes: list[str] = []
    absent: list[CorrectionRow] = []
    taken: dict[str, CorrectionRow] = {}
    for row in rows:
        if row.release not in present:
            absent.append(row)
            continue
        if row.release not in texts:
            texts[row.release] = _release_text(store, row.release)
            figures[row.release] = _stated_figures(store, row.release)
        text = texts[row.release]
        if text is None:
            unmatched.append(Unmatched(row, "the release graph holds no text"))
            continue
        found, note = match(row, text, figures[row.release])
        if note:
            notes.append(note)
        if isinstance(found, str):
            unmatched.append(Unmatched(row, found))
            continue
        if found.iri in taken:
            unmatched.append(Unmatched(row, f"same stated figure as line {taken[found.iri].line}"))
            continue
        taken[found.iri] = row
        iri = _revision_triples(g, store, row, found)
        revisions.append(Revision(row, found.iri, iri))
    return CorrectionsResult(g, tuple(revisions), tuple(unmatched), tuple(notes), tuple(absent))
