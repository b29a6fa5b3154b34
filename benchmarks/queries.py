"""Time every catalogue query on a built store; print JSON (benchmarks/run.py runs this).

Why a script of its own: run.py starts it as a child process, so the queries' memory is
measured apart from the build, the floor load and the validation, and nothing the benchmark
process holds (an open store, earlier results) weighs on them.

Each query runs ``--repeat`` times over the whole corpus, as ``narcokg query NAME`` does. A
query that takes ``release`` also runs ``--repeat`` times bound to as many different releases,
spread over the store (``narcokg query NAME --param release=ID``): that is the question a user
asks of one release, and its cost must not grow with the corpus. Times are wall-clock seconds
of ``kg.queries.run_query``, i.e. evaluation plus turning every row into Python strings.

Run: ``python benchmarks/queries.py STORE [--repeat 3] [--only NAME ...]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kg.queries import load_queries, run_query

ID_QUERY = """SELECT ?id WHERE { GRAPH ?g {
  ?r a <https://w3id.org/narcotics-kg/ontology#Release> ; <http://purl.org/dc/terms/identifier> ?id
} } ORDER BY ?id"""


def release_ids(store: ox.Store, count: int) -> list[str]:
    """``count`` release ids spread evenly over the sorted ids of the store."""
    solutions = store.query(ID_QUERY)
    assert isinstance(solutions, ox.QuerySolutions)
    ids = [s["id"].value for s in solutions]  # type: ignore[union-attr]
    if not ids:
        return []
    step = max(1, len(ids) // count)
    return [ids[(i * step + step // 2) % len(ids)] for i in range(count)]


def _stats(times: list[float], rows: list[int]) -> dict[str, Any]:
    return {
        "p50_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "rows": max(rows),
    }


def time_queries(store: ox.Store, repeat: int, only: list[str] | None = None) -> dict[str, Any]:
    """p50/max seconds and rows of every query, whole-corpus and (if it can) per release."""
    catalogue = load_queries()
    sample = release_ids(store, repeat)
    out: dict[str, Any] = {}
    for name, query in catalogue.items():
        if only and name not in only:
            continue
        print(f"… {name}", file=sys.stderr, flush=True)
        times, rows = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            rows.append(len(run_query(store, name).rows))
            times.append(time.perf_counter() - t0)
        entry = _stats(times, rows)
        if "release" in query.params and sample:
            times, rows = [], []
            for rid in sample:
                t0 = time.perf_counter()
                rows.append(len(run_query(store, name, {"release": rid}).rows))
                times.append(time.perf_counter() - t0)
            entry["per_release"] = _stats(times, rows)
        out[name] = entry
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None, help="query names (default: all)")
    args = parser.parse_args()
    store = ox.Store.read_only(str(args.store))
    print(json.dumps(time_queries(store, args.repeat, args.only), indent=2))


if __name__ == "__main__":
    main()
