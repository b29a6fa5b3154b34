"""Measure the build pipeline on the bundled corpus, repeated: prints figures and ratios.

Why: performance is measured here, never asserted in tests. This first version times each
stage (extract, map to RDF, store) against the store's own bulk load of the same quads, the
floor any build can reach. Run: ``python benchmarks/run.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox

from kg.corpus import iter_releases
from kg.extract import Extractor
from kg.lexicon import Lexicon
from kg.measures import default_measures
from kg.namespaces import release_graph
from kg.store import open_store, replace_graph
from kg.to_rdf import to_graph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=100, help="copies of each corpus release")
    args = parser.parse_args()
    base = list(iter_releases())
    releases = [replace(r, id=f"{r.id}-{i}") for i in range(args.repeat) for r in base]
    tracemalloc.start()
    t0 = time.perf_counter()
    extractor = Extractor(Lexicon.load(), default_measures())
    t1 = time.perf_counter()
    extractions = [extractor.extract(r) for r in releases]
    t2 = time.perf_counter()
    graphs = [(ex.release.id, to_graph(ex)) for ex in extractions]
    t3 = time.perf_counter()
    triples = sum(len(g) for _, g in graphs)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "a")
        for rid, g in graphs:
            replace_graph(store, release_graph(rid), g)
        t4 = time.perf_counter()
        nquads = store.dump(format=ox.RdfFormat.N_QUADS)
        floor_store = open_store(Path(tmp) / "b")
        t5 = time.perf_counter()
        floor_store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
        t6 = time.perf_counter()
    peak = tracemalloc.get_traced_memory()[1]
    n = len(releases)
    build = (t2 - t1) + (t3 - t2) + (t4 - t3)
    result = {
        "releases": n,
        "triples": triples,
        "lexicon_load_s": round(t1 - t0, 3),
        "extract_s": round(t2 - t1, 3),
        "map_s": round(t3 - t2, 3),
        "store_s": round(t4 - t3, 3),
        "build_releases_per_s": round(n / build, 1),
        "floor_bulk_load_s": round(t6 - t5, 3),
        "build_over_floor": round(build / (t6 - t5), 1),
        "peak_python_memory_mb": round(peak / 2**20, 1),
    }
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:{width}}  {value}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"build-{n}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
