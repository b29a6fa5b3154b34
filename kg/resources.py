"""The one place that knows where the project's data folders live.

Why: the same code runs from a source checkout (folders at the repository root) and from an
installed wheel (folders shipped under ``kg/data``). Nothing else in the package may build these
paths itself.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_root() -> Path:
    """Return the folder holding the ontology, mappings, shapes, queries and corpus folders."""
    installed = _PACKAGE / "data"
    if (installed / "ontology").is_dir():
        return installed
    return _PACKAGE.parent


def ontology_dir() -> Path:
    """The TBox (``narcotics.ttl``) and ``vocab/`` SKOS schemes."""
    return data_root() / "ontology"


def mappings_dir() -> Path:
    """Lexicon YAML files and ``measures.yaml``."""
    return data_root() / "mappings"


def shapes_dir() -> Path:
    """SHACL shapes, one ``.ttl`` per focus class."""
    return data_root() / "shapes"


def queries_dir() -> Path:
    """SPARQL questions, one ``.rq`` each."""
    return data_root() / "queries"


def corpus_dir() -> Path:
    """The bundled release texts and their ``releases.yaml``."""
    return data_root() / "corpus"
