"""Time every catalogue query on a built store; print JSON (benchmarks/run.py runs this).

Why a script of its own: run.py starts it as a child process, so the queries' memory is
measured apart from the build, the floor load and the validation, and nothing the benchmark
process holds (an open store, earlier results) weighs on them.

Each query runs ``--repeat`` times over the whole corpus, as ``narcokg query NAME`` does. A
query that takes ``release`` also runs ``--repeat`` times bound to as many different releases,
spread over the store (``narcokg query NAME --param release=ID``): that is the question a user
asks of one release, and its cost must not grow with the corpus. Times are wall-clock seconds
of ``kg.store.kept_answers.answer``, the command line's path: the build's kept answers for the
``#+ scope: release`` queries when they are fresh (``answered_from`` says which), the store
otherwise; either way every row is turned into Python strings. ``--store-repeat K`` also times
the scoped queries' whole-corpus answers run in the store itself (``kg.queries.run.run_query``),
K times each, so the cost without the kept answers stays on record.

Run: ``python benchmarks/queries.py STORE [--repeat 3] [--store-repeat 1] [--only NAME ...]``.
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

from kg.queries.catalogue import Query, load_queries
from kg.queries.run import run_query
from kg.store.kept_answers import KeptAnswers, answer, answers_path

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


def _kept_fresh(store: ox.Store, kept: Path, query: Query) -> bool:
    answers = KeptAnswers.for_reading(kept)
    if answers is None or query.scope != "release":
        return False
    with answers:
        return answers.stale(store, query) is None


def time_queries(
    store: ox.Store,
    repeat: int,
    only: list[str] | None = None,
    *,
    kept: Path,
    store_repeat: int = 0,
) -> dict[str, Any]:
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
            rows.append(len(answer(store, name, kept=kept).rows))
            times.append(time.perf_counter() - t0)
        entry = _stats(times, rows)
        entry["answered_from"] = "kept answers" if _kept_fresh(store, kept, query) else "store"
        if "release" in query.params and sample:
            times, rows = [], []
            for rid in sample:
                t0 = time.perf_counter()
                rows.append(len(answer(store, name, {"release": rid}, kept=kept).rows))
                times.append(time.perf_counter() - t0)
            entry["per_release"] = _stats(times, rows)
        if store_repeat and query.scope == "release":
            times, rows = [], []
            for _ in range(store_repeat):
                t0 = time.perf_counter()
                rows.append(len(run_query(store, name).rows))
                times.append(time.perf_counter() - t0)
            entry["in_store"] = _stats(times, rows)
        out[name] = entry
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None, help="query names (default: all)")
    parser.add_argument(
        "--store-repeat", type=int, default=0, help="also run scoped queries in the store K times"
    )
    args = parser.parse_args()
    store = ox.Store.read_only(str(args.store))
    kept = answers_path(args.store)
    timings = time_queries(store, args.repeat, args.only, kept=kept, store_repeat=args.store_repeat)
    print(json.dumps(timings, indent=2))


if __name__ == "__main__":
    main()
