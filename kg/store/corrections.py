"""Store the revised figures of the verified corrections as the corrections graph.

Why here and not in kg.rdf.corrections: matching corrections to stated figures and minting
revised figures is pure graph work; replacing a named graph in the store is the store's job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pyoxigraph as ox

from kg.namespaces import CORRECTIONS_GRAPH
from kg.rdf.corrections import CorrectionRow, CorrectionsResult, revise
from kg.store.embedded import replace_graph


def apply_corrections(
    store: ox.Store, rows: Sequence[CorrectionRow], progress: Callable[[str], None]
) -> CorrectionsResult:
    """Replace the corrections graph of ``store`` by the revisions of ``rows`` (one transaction).

    Rows of releases that are not in the store do not apply; when none applies, the graph is
    dropped rather than left stale. Unmatched rows and offset mismatches go to ``progress`` as
    warnings.
    """
    result = revise(store, rows)
    for line in result.warnings():
        progress(line)
    if result.revisions or result.unmatched:
        size = replace_graph(store, CORRECTIONS_GRAPH, result.graph)
        progress(
            f"stored {CORRECTIONS_GRAPH}: {len(result.revisions)} revised figures, {size} triples"
        )
    else:
        store.update(f"DROP SILENT GRAPH <{CORRECTIONS_GRAPH}>")
    return result
