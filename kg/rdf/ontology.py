"""Read the shipped ontology and vocabularies into one graph (the vocabulary named graph).

Why: the store carries the TBox and SKOS schemes next to the data so that queries can resolve
labels and ISO codes, and shapes can check code lists, without any other file.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from kg.errors import InputError
from kg.resources import ontology_dir


def ontology_files(directory: Path | None = None) -> list[Path]:
    """``narcotics.ttl`` first, then ``vocab/*.ttl`` in name order."""
    root = directory or ontology_dir()
    return sorted(root.glob("*.ttl")) + sorted((root / "vocab").glob("*.ttl"))


def load_ontology_graph(directory: Path | None = None) -> Graph:
    """Parse every ontology file; a broken one raises :class:`InputError` naming it."""
    graph = Graph()
    for path in ontology_files(directory):
        try:
            graph.parse(path, format="turtle")
        except Exception as exc:  # rdflib raises several unrelated types for bad Turtle
            raise InputError(path, f"not valid Turtle: {str(exc).splitlines()[0]}") from exc
    return graph
