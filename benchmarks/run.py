"""Measure build, validation, the store's own load (the floor) and the queries at growing sizes.

Why: performance is measured here, never asserted in tests. For each size N this generates N
synthetic releases (benchmarks/corpus.py), then times, each as a user would run it:

- build: ``narcokg build --no-dump`` in a child process (extract + map + store, workers incl.);
- floor: ``Store.bulk_load`` of the same quads (dumped to an N-Quads file) into an empty store;
- validate: the SHACL validation of ``narcokg validate`` (kg/fastvalidate.py) in a child
  process, in triples per second; up to ``--cli-validate-max`` releases also the whole
  ``narcokg validate``, which adds the Data Cube integrity checks (kg/datacube.py);
- queries (largest size only): every ``queries/*.rq``, ``--repeat`` runs each: p50 and max.

Peak memory is ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` (the largest child so far: build,
its workers, validate) and ``RUSAGE_SELF`` for this process (floor load, queries). Linearity is
the time per release at the largest size over that at 1,000 (or the next smaller size).

Run: ``python benchmarks/run.py --sizes 100,1000,10000`` (prints a table, writes
``benchmarks/results/<date>-<largest N>.json``). ``--reference-max N`` also times pySHACL for
sizes up to N (default 100), for comparison.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import generate  # noqa: E402
from kg.export import dump  # noqa: E402
from kg.queries import load_queries, run_query  # noqa: E402

NARCOKG = [sys.executable, "-m", "kg.cli"]
SHAPES_ONLY = (
    "import sys, pyoxigraph as ox\n"
    "from kg.fastvalidate import validate_store\n"
    "print(validate_store(ox.Store.read_only(sys.argv[1])).text())\n"
)
"""The SHACL part of ``narcokg validate`` alone (the CLI also runs the Data Cube IC checks)."""


def _timed(cmd: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def _mb(kilobytes: int) -> float:
    return round(kilobytes / 1024, 1)  # ru_maxrss is in KiB on Linux


def measure(
    n: int,
    work: Path,
    *,
    jobs: int | None,
    reference: bool,
    repeat: int | None,
    cli_validate: bool,
) -> dict[str, Any]:
    """One size: build, floor, validation. Leaves the store in ``work/store`` for queries."""
    corpus_dir, store_dir, floor_dir = work / "corpus", work / "store", work / "floor"
    for d in (corpus_dir, store_dir, floor_dir):
        shutil.rmtree(d, ignore_errors=True)
    generate(corpus_dir, n)
    cmd = [*NARCOKG, "build", str(corpus_dir), "--store", str(store_dir), "--no-dump"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    build_s, _ = _timed(cmd)
    nq = work / "dump.nq"
    store = ox.Store.read_only(str(store_dir))
    quads = len(store)
    dump(store, nq)
    del store
    floor = ox.Store(str(floor_dir))
    t0 = time.perf_counter()
    floor.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    floor.flush()
    floor_s = time.perf_counter() - t0
    del floor
    shapes_s, out = _timed([sys.executable, "-c", SHAPES_ONLY, str(store_dir)])
    validate_s = None
    if cli_validate:
        validate_s, _ = _timed([*NARCOKG, "validate", "--store", str(store_dir)], ok=(0, 1))
    row: dict[str, Any] = {
        "releases": n,
        "quads": quads,
        "nquads_mb": round(nq.stat().st_size / 2**20, 1),
        "build_s": round(build_s, 2),
        "build_releases_per_s": round(n / build_s, 1),
        "build_ms_per_release": round(1000 * build_s / n, 2),
        "floor_bulk_load_s": round(floor_s, 2),
        "build_over_floor": round(build_s / floor_s, 2),
        "validate_s": round(shapes_s, 2),
        "validate_triples_per_s": round(quads / shapes_s),
        "validate_ms_per_release": round(1000 * shapes_s / n, 2),
        "validate_conforms": out.rstrip().endswith("conforms: yes"),
        "cli_validate_with_datacube_s": round(validate_s, 2) if validate_s else None,
        "peak_child_rss_mb": _mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss),
    }
    if reference:
        ref_s, _ = _timed(
            [*NARCOKG, "validate", "--reference", "--store", str(store_dir)], ok=(0, 1)
        )
        row["reference_validate_s"] = round(ref_s, 2)
        row["reference_triples_per_s"] = round(quads / ref_s)
    nq.unlink()
    shutil.rmtree(floor_dir, ignore_errors=True)
    if repeat:
        row["queries"] = time_queries(store_dir, repeat)
    return row


def time_queries(store_dir: Path, repeat: int) -> dict[str, dict[str, float]]:
    """p50 and max seconds of every catalogue query (no parameters) on the built store."""
    out = {}
    store = ox.Store.read_only(str(store_dir))
    for name in load_queries():
        times, rows = [], 0
        for _ in range(repeat):
            t0 = time.perf_counter()
            rows = len(run_query(store, name).rows)
            times.append(time.perf_counter() - t0)
        out[name] = {
            "p50_s": round(statistics.median(times), 3),
            "max_s": round(max(times), 3),
            "rows": rows,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000", help="comma-separated release counts")
    parser.add_argument("--jobs", type=int, default=None, help="build --jobs (default: cores)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each query")
    parser.add_argument("--reference-max", type=int, default=100, help="time pySHACL up to N")
    parser.add_argument(
        "--cli-validate-max",
        type=int,
        default=1000,
        help="also time the whole `narcokg validate` (SHACL + Data Cube ICs) up to N",
    )
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: tmp)")
    args = parser.parse_args()
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        work = Path(tmp)
        rows = []
        for n in sizes:
            print(f"… {n} releases", file=sys.stderr, flush=True)
            rows.append(
                measure(
                    n,
                    work,
                    jobs=args.jobs,
                    reference=n <= args.reference_max,
                    repeat=args.repeat if n >= 1000 or n == sizes[-1] else None,
                    cli_validate=n <= args.cli_validate_max,
                )
            )
    base = next((r for r in rows if r["releases"] == 1000), rows[-2] if len(rows) > 1 else None)
    last = rows[-1]
    linear = None
    if base is not None and base is not last:
        linear = {
            "from": base["releases"],
            "to": last["releases"],
            "build_per_release_ratio": round(
                last["build_ms_per_release"] / base["build_ms_per_release"], 2
            ),
            "validate_per_release_ratio": round(
                last["validate_ms_per_release"] / base["validate_ms_per_release"], 2
            ),
        }
    result = {
        "date": dt.date.today().isoformat(),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "pyoxigraph": ox.__version__,  # type: ignore[attr-defined]
            "load_average": os.getloadavg(),
        },
        "sizes": rows,
        "queries_at": last["releases"],
        "queries": last["queries"],
        "linearity": linear,
        "peak_self_rss_mb": _mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
        "peak_child_rss_mb": _mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss),
    }
    print(render(result))
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{result['date']}-{last['releases']}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {path.relative_to(HERE.parent)}")


def render(result: dict[str, Any]) -> str:
    """The result as aligned text tables (Markdown pipes, so the README can quote them)."""
    cols = [
        ("releases", "releases"),
        ("quads", "quads"),
        ("build_s", "build s"),
        ("build_releases_per_s", "releases/s"),
        ("floor_bulk_load_s", "floor s"),
        ("build_over_floor", "build/floor"),
        ("validate_s", "validate s"),
        ("validate_triples_per_s", "triples/s"),
        ("peak_child_rss_mb", "peak RSS MB"),
    ]
    lines = ["| " + " | ".join(h for _, h in cols) + " |", "|" + "---:|" * len(cols)]
    for row in result["sizes"]:
        lines.append("| " + " | ".join(f"{row[k]:,}" for k, _ in cols) + " |")
    lines += ["", f"Queries at {result['queries_at']:,} releases:", ""]
    lines += ["| query | p50 s | max s | rows |", "|---|---:|---:|---:|"]
    for name, q in result["queries"].items():
        lines.append(f"| {name} | {q['p50_s']} | {q['max_s']} | {q['rows']:,} |")
    sized = [r for r in result["sizes"] if "queries" in r]
    if len(sized) > 1:
        small, big = sized[-2], sized[-1]
        lines += [
            "",
            f"Query p50 growth from {small['releases']:,} to {big['releases']:,} releases:",
        ]
        for name, q in big["queries"].items():
            before = small["queries"].get(name, {}).get("p50_s") or 0
            ratio = f"{q['p50_s'] / before:.1f}x" if before else "n/a"
            lines.append(f"- {name}: {ratio}")
    lin = result["linearity"]
    if lin:
        lines += [
            "",
            f"Time per release at {lin['to']:,} over at {lin['from']:,}: build "
            f"{lin['build_per_release_ratio']}x, validation {lin['validate_per_release_ratio']}x.",
        ]
    for row in result["sizes"]:
        if "reference_validate_s" in row:
            lines.append(
                f"pySHACL reference at {row['releases']:,} releases: "
                f"{row['reference_validate_s']} s ({row['reference_triples_per_s']:,} triples/s)."
            )
    lines.append(
        f"Peak RSS: this process {result['peak_self_rss_mb']} MB, largest child "
        f"{result['peak_child_rss_mb']} MB."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
