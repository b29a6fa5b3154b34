"""``narcokg reason --data`` — the ontology, vocabularies and data together.

The whole store (release graphs, corrections, vocabulary) must be consistent for HermiT and in
OWL 2 DL for the OWL API's profile checker (both from owlready2's HermiT.jar, run by
kg/checks/java/OwlCheck.java). Java: slow.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from tests.conftest import narcokg

G000 = "https://w3id.org/narcotics-kg/graph/release/000_a69edf0332bcabe2"
FIGURE = "https://w3id.org/narcotics-kg/id/release/000_a69edf0332bcabe2/figure/671-675"


def store_with(built: Path, tmp_path: Path, triple: str) -> Path:
    """A copy of the built store with one more triple in release 000's graph."""
    copy = tmp_path / "store"
    shutil.copytree(built, copy)
    store = ox.Store(str(copy))
    store.update(f"INSERT DATA {{ GRAPH <{G000}> {{ {triple} }} }}")
    store.flush()
    del store
    return copy


@pytest.mark.slow
def test_the_built_corpus_is_consistent_and_in_owl2_dl(built: Path) -> None:
    done = narcokg("reason", "--data", "--store", str(built), check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    consistent, profile = done.stdout.splitlines()
    assert consistent.startswith("consistent: HermiT found no contradiction in ")
    assert profile.startswith("OWL 2 DL: the OWL API profile checker found no violation in ")
    # the dates keep xsd:date (OWL-Time, DCAT): declared, and left out of HermiT's check
    assert "http://www.w3.org/2001/XMLSchema#date" in done.stderr


@pytest.mark.slow
def test_an_individual_in_two_disjoint_classes_is_inconsistent(built: Path, tmp_path: Path) -> None:
    # a person typed as an agency: nko:Person and nko:Agency are disjoint (tests/test_ontology.py)
    store = store_with(
        built,
        tmp_path,
        "<https://w3id.org/narcotics-kg/id/person/wei-xiaojun> a "
        "<https://w3id.org/narcotics-kg/ontology#Agency> .",
    )
    done = narcokg("reason", "--data", "--store", str(store), check=False)
    assert done.returncode == 3
    assert done.stdout.splitlines()[0].startswith("inconsistent: HermiT found a contradiction in ")


@pytest.mark.slow
def test_an_undeclared_annotation_property_is_outside_owl2_dl(built: Path, tmp_path: Path) -> None:
    store = store_with(
        built, tmp_path, f'<{FIGURE}> <http://www.w3.org/2004/02/skos/core#editorialNote> "x" .'
    )
    done = narcokg("reason", "--data", "--store", str(store), check=False)
    assert done.returncode == 1
    consistent, profile = done.stdout.splitlines()
    assert consistent.startswith("consistent: ")
    assert profile.startswith(
        "not OWL 2 DL: Use of undeclared annotation property: "
        "<http://www.w3.org/2004/02/skos/core#editorialNote>"
    ), profile


def test_reason_data_without_a_store_is_a_usage_error(tmp_path: Path) -> None:
    done = narcokg("reason", "--data", "--store", str(tmp_path / "nothing"), check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ")
