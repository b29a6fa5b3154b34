"""The ontology's HTML documentation (pyLODE) documents every term, and is up to date."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import SKOS

from kg.errors import InputError
from kg.namespaces import NKO
from kg.publish import ontology_docs
from kg.resources import ontology_dir

TBOX = ontology_dir() / "narcotics.ttl"


def _own_terms() -> dict[str, tuple[str, str]]:
    """Every class and property the TBox declares in our namespace: IRI -> (label, definition)."""
    g = Graph().parse(TBOX, format="turtle")
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    terms = {}
    for kind in kinds:
        for s in g.subjects(RDF.type, kind):
            if isinstance(s, URIRef) and str(s).startswith(str(NKO)):
                terms[str(s)] = (str(g.value(s, RDFS.label)), str(g.value(s, SKOS.definition)))
    return terms


def test_the_committed_page_documents_every_term_of_ours() -> None:
    html = ontology_docs.default_path().read_text(encoding="utf-8")
    terms = _own_terms()
    assert len(terms) > 20  # the TBox has dozens of terms; an empty parse must not pass
    for iri, (label, definition) in terms.items():
        assert f"<code>{iri}</code>" in html, iri
        assert label in html, (iri, label)
        # pyLODE renders the definition as text; compare the first words, markup-free
        words = " ".join(definition.split()[:6])
        assert words in re.sub(r"\s+", " ", html), (iri, words)
    # and no term of ours that the TBox no longer has
    documented = set(
        re.findall(r"<code>(https://w3id\.org/narcotics-kg/ontology#\w+)</code>", html)
    )
    assert documented == set(terms)


def test_the_page_works_offline() -> None:
    html = ontology_docs.default_path().read_text(encoding="utf-8")
    assert "<style" in html  # CSS inline
    assert not re.search(r"<link[^>]+stylesheet[^>]+href=\"https?:", html)
    assert not re.search(r"<script[^>]+src=", html)


@pytest.mark.slow
def test_the_committed_page_is_what_pylode_makes_now() -> None:
    """Regenerating gives the committed lines (as a multiset: pyLODE's list order varies)."""
    fresh = ontology_docs.render()
    committed = ontology_docs.default_path().read_text(encoding="utf-8")
    assert sorted(fresh.splitlines()) == sorted(committed.splitlines()), (
        "ontology/narcotics.html is out of date: run python -m kg.publish.ontology_docs"
    )


def test_a_broken_tbox_is_one_error_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.ttl"
    bad.write_text("@prefix : <http://x/> . :a :b ", encoding="utf-8")
    with pytest.raises(InputError) as info:
        ontology_docs.write(tmp_path / "out.html", bad)
    assert "broken.ttl" in str(info.value)
    assert "\n" not in str(info.value)
    assert not (tmp_path / "out.html").exists()
