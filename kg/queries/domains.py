"""What a query parameter or a table filter may name, and the error for a name that is none.

Why: an unknown release or measure used to give an empty table and exit 0, which reads as
"nothing was stated". A value that names nothing in the store is a typo far more often; the
user is told so in one line, with the closest names the store does hold.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

import pyoxigraph as ox

from kg.errors import InputError
from kg.namespaces import NKG

_RELEASES = f"""
PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?id WHERE {{
  GRAPH ?g {{ ?r a nko:Release ; dcterms:identifier ?id }}
  FILTER(STRSTARTS(STR(?g), "{NKG}release/"))
}}
"""
_CONCEPTS = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?c ?label ?notation WHERE {
  GRAPH <https://w3id.org/narcotics-kg/graph/vocabulary> {
    ?c skos:prefLabel ?label .
    OPTIONAL { ?c skos:notation ?notation }
    FILTER(LANG(?label) = "en" && STRSTARTS(STR(?c), "BASE"))
  }
}
"""
_BASES = {
    "measure": "https://w3id.org/narcotics-kg/id/indicator/",
    "area": "https://w3id.org/narcotics-kg/id/jurisdiction/",
    "operation": "https://w3id.org/narcotics-kg/id/operation/",
    "substance": "https://w3id.org/narcotics-kg/id/substance/",
}
STATUSES = ("stated", "malformed", "implausible")


def release_ids(store: ox.Store) -> list[str]:
    """The ids of the releases the store holds."""
    rows = store.query(_RELEASES)
    assert isinstance(rows, ox.QuerySolutions)
    return sorted(str(r["id"].value) for r in rows)  # type: ignore[union-attr]


def concepts(store: ox.Store, kind: str) -> dict[str, set[str]]:
    """``kind`` (measure, area, operation, substance) concepts: IRI → every name it answers to
    (the IRI, its last path segment, its notation such as CN-YN, its English label), lower-case."""
    rows = store.query(_CONCEPTS.replace("BASE", _BASES[kind]))  # a constant of this module
    assert isinstance(rows, ox.QuerySolutions)
    out: dict[str, set[str]] = {}
    for r in rows:
        iri = str(r["c"].value)  # type: ignore[union-attr]
        names = out.setdefault(iri, {iri.lower(), iri.rsplit("/", 1)[-1].lower()})
        names.add(str(r["label"].value).lower())  # type: ignore[union-attr]
        if r["notation"] is not None:
            names.add(str(r["notation"].value).lower())  # type: ignore[union-attr]
    return out


def unknown(kind: str, value: str, known: Iterable[str]) -> InputError:
    """The one-line error for ``value`` naming no ``kind``, with the closest known names."""
    names = sorted(set(known))
    close = difflib.get_close_matches(value, names, n=3, cutoff=0.5)
    if not close:
        close = difflib.get_close_matches(value.lower(), [n.lower() for n in names], n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else f"; the store has {len(names)}"
    return InputError(None, f"no {kind} {value!r} in the store{hint}")


def resolve(store: ox.Store, kind: str, value: str) -> str:
    """The IRI of the ``kind`` concept ``value`` names (IRI, slug, notation or label, in any
    case); an :class:`InputError` naming close matches when it names none."""
    found = concepts(store, kind)
    wanted = value.strip().lower()
    for iri, names in found.items():
        if wanted in names:
            return iri
    slugs = [iri.rsplit("/", 1)[-1] for iri in found]
    return _raise(unknown(kind, value, slugs))


def _raise(error: InputError) -> str:
    raise error


def check_params(store: ox.Store, params: Mapping[str, str]) -> None:
    """Refuse a ``release`` or ``measure`` parameter that names nothing in the store.

    The catalogue's ``measure`` parameter is an indicator slug (``drugs-seized``), its
    ``release`` a release id; other parameters are left to the query.
    """
    if "release" in params:
        ids = release_ids(store)
        if params["release"] not in ids:
            raise unknown("release", params["release"], ids)
    if "measure" in params:
        slugs = [iri.rsplit("/", 1)[-1] for iri in concepts(store, "measure")]
        if params["measure"] not in slugs:
            raise unknown("measure", params["measure"], slugs)
