"""Build the graph: read releases, extract, map, store each release graph, dump.

Why: the CLI stays thin; this is the library entry point a notebook or a scheduler calls too.
All input is read and mapped before anything is written, so bad input leaves the store as it
was; each release graph is then replaced in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from kg.corpus import Release, iter_releases
from kg.export import dump
from kg.extract import Extraction, Extractor
from kg.lexicon import Lexicon
from kg.measures import default_measures
from kg.namespaces import VOCABULARY_GRAPH, release_graph
from kg.ontology import load_ontology_graph
from kg.store import replace_graph, store_at
from kg.to_rdf import to_graph

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ReleaseSummary:
    """What one release contributed."""

    id: str
    figures: int
    malformed: int
    implausible: int
    mentions: int
    unlinked: int
    triples: int


@dataclass(frozen=True)
class BuildResult:
    """The outcome of a build."""

    releases: tuple[ReleaseSummary, ...]
    skipped_duplicates: tuple[str, ...]
    dumps: tuple[Path, ...]


def _quiet(_: str) -> None:
    return None


def extract_all(releases: Iterable[Release], progress: Progress = _quiet) -> list[Extraction]:
    """Extract every release (pure; no writes)."""
    extractor = Extractor(Lexicon.load(), default_measures())
    out = []
    for release in releases:
        ex = extractor.extract(release)
        progress(f"extracted {release.id}: {len(ex.figures)} figures, {len(ex.mentions)} mentions")
        out.append(ex)
    return out


def build(
    paths: Iterable[Path] | None,
    *,
    store_dir: Path,
    dump_dir: Path | None,
    progress: Progress = _quiet,
) -> BuildResult:
    """Build release graphs for ``paths`` (default: the bundled corpus) into ``store_dir``."""
    releases: list[Release] = []
    seen: dict[str, str] = {}
    skipped: list[str] = []
    for release in iter_releases(list(paths) if paths else None):
        if release.sha256 in seen:
            progress(
                f"warning: {release.path}: same text as release {seen[release.sha256]}; skipped"
            )
            skipped.append(release.id)
            continue
        seen[release.sha256] = release.id
        releases.append(release)
    ontology = load_ontology_graph()
    extractions = extract_all(releases, progress)
    graphs = [(ex, to_graph(ex)) for ex in extractions]
    summaries = []
    dumps: list[Path] = []
    with store_at(store_dir) as store:
        replace_graph(store, str(VOCABULARY_GRAPH), ontology)
        progress(f"stored vocabulary graph: {len(ontology)} triples")
        for ex, graph in graphs:
            size = replace_graph(store, release_graph(ex.release.id), graph)
            figs = ex.figures
            summaries.append(
                ReleaseSummary(
                    id=ex.release.id,
                    figures=len(figs),
                    malformed=sum(f.status.value == "malformed" for f in figs),
                    implausible=sum(f.status.value == "implausible" for f in figs),
                    mentions=len(ex.mentions),
                    unlinked=sum(m.entity is None for m in ex.mentions),
                    triples=size,
                )
            )
            progress(f"stored {release_graph(ex.release.id)}: {size} triples")
        if dump_dir is not None:
            for name in ("narcotics-kg.trig", "narcotics-kg.nq"):
                dumps.append(dump(store, dump_dir / name))
                progress(f"wrote {dump_dir / name}")
    return BuildResult(tuple(summaries), tuple(skipped), tuple(dumps))
