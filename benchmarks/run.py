"""Measure build, validation, the store's own load (the floor) and the queries at growing sizes.

Why: performance is measured here, never asserted in tests. For each size N this generates N
synthetic releases (benchmarks/corpus.py), then times, each as a user would run it:

- build as users run it: ``narcokg build`` with its defaults (dumps, description and kept
  answers written) into a fresh store, in a child process, ``--build-runs`` times (default
  two, as the floor), the fastest kept; and its parts: ``--no-dump`` (extract + map + store,
  workers incl., once), and the difference, which is the dumps;
- add one release to that store as users run it (``narcokg build new.txt``, default) beside
  its floor, the same with ``--no-dump`` (benchmarks/add_one.py);
- floor: ``Store.bulk_load`` of the same quads (dumped to an N-Quads file) into an empty store,
  in a child process (the time is the load alone, measured inside it), ``--build-runs`` times,
  the fastest kept;
- validate: the SHACL validation of ``narcokg validate`` (kg/checks/fastshacl.py) in a child
  process, in triples per second; and the whole ``narcokg validate`` as users run it, which
  adds the Data Cube integrity checks (kg/checks/datacube.py), up to ``--cli-validate-max``
  releases (default: every size), from nothing (triples/s beside its floor), on the store the
  default build made (its dumps beside it, whose pieces feed the workers); then, last, the
  same command again with nothing changed and after one new release was built into the store
  (seconds beside its floor: findings of unchanged graphs are kept, issue 17);
- queries (1,000 releases and up): every ``queries/*.rq`` in a child process, ``--repeat`` runs
  each over the whole corpus, and for the queries that take ``release``, ``--repeat`` runs
  bound to as many different releases (the per-release answer a user asks for): p50 and max,
  as the command line answers them (kept answers where fresh, kg/store/kept_answers.py). The
  release-scoped queries are also run ``--store-repeat`` times in the store itself.

Peak memory is measured per stage: the ``ru_maxrss`` that ``wait4`` reports for each child
(build with its workers, floor load, validation, queries), so no stage hides behind another.
Linearity is the time per release at the largest size over that at 1,000 (or the next
smaller size).

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
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from add_one import add_one  # noqa: E402

from corpus import generate  # noqa: E402
from kg.publish.dumps import dump  # noqa: E402

NARCOKG = [sys.executable, "-m", "kg.cli"]
SHAPES_ONLY = (
    "import sys, pyoxigraph as ox\n"
    "from kg.checks.releases import validate_store\n"
    "print(validate_store(ox.Store.read_only(sys.argv[1])).text())\n"
)
"""The SHACL part of ``narcokg validate`` alone (the CLI also runs the Data Cube IC checks)."""


def _timed(cmd: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, str, float]:
    """Run ``cmd``; return its wall time, its stdout and its peak RSS in MB (``wait4``)."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if child.returncode not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed ({child.returncode}):\n{stderr[-2000:]}")
    return elapsed, stdout, _mb(usage.ru_maxrss)


FLOOR = (
    "import sys, time, pyoxigraph as ox\n"
    "store = ox.Store(sys.argv[2])\n"
    "t0 = time.perf_counter()\n"
    "store.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_QUADS)\n"
    "store.flush()\n"
    "print(time.perf_counter() - t0)\n"
)
"""The store's own bulk load of the N-Quads dump (the floor), timed inside a child process."""


def _mb(kilobytes: int) -> float:
    return round(kilobytes / 1024, 1)  # ru_maxrss is in KiB on Linux


def measure(
    n: int,
    work: Path,
    *,
    jobs: int | None,
    reference: bool,
    repeat: int | None,
    store_repeat: int = 0,
    cli_validate: bool,
    build_runs: int = 2,
) -> dict[str, Any]:
    """One size: build, floor, validation. Leaves the store in ``work/store`` for queries."""
    corpus_dir, store_dir, floor_dir = work / "corpus", work / "store", work / "floor"
    for d in (corpus_dir, store_dir, floor_dir):
        shutil.rmtree(d, ignore_errors=True)
    for beside in work.glob("store.*"):  # a smaller size's kept answers, versions, findings:
        beside.unlink()  # the first releases of every size are the same, so they would be reused
    generate(corpus_dir, n)
    cmd = [*NARCOKG, "build", str(corpus_dir), "--store", str(store_dir), "--no-dump"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    build_s, _, build_mb = _timed(cmd)
    default_dir = work / "default" / "store"
    default_cmd = [*NARCOKG, "build", str(corpus_dir), "--store", str(default_dir)]
    if jobs:
        default_cmd += ["--jobs", str(jobs)]
    # from nothing, as many times as the floor below and the faster kept: both are best-of-N,
    # so a noisy neighbour slowing one run of either side does not decide the ratio
    defaults = []
    for _ in range(build_runs):
        shutil.rmtree(default_dir.parent, ignore_errors=True)
        defaults.append(_timed(default_cmd)[0])
    default_s = min(defaults)
    added = add_one(default_dir, work)  # the everyday job: one new release (issue 17)
    nq = work / "dump.nq"
    store = ox.Store.read_only(str(store_dir))
    quads = len(store)
    dump(store, nq)
    del store
    # the floor is a lower bound: run as often as the build into fresh stores and keep the
    # fastest (a noisy neighbour can only slow a run down, and a slow floor would flatter the
    # build's ratio, as a slow build run would spoil it)
    floors = []
    for _ in range(build_runs):
        shutil.rmtree(floor_dir, ignore_errors=True)
        _, floor_out, floor_mb = _timed([sys.executable, "-c", FLOOR, str(nq), str(floor_dir)])
        floors.append(float(floor_out))
    floor_s = min(floors)
    shapes_s, out, validate_mb = _timed([sys.executable, "-c", SHAPES_ONLY, str(store_dir)])
    validate_s = None
    if cli_validate:  # as users run it: on the store the default build made, dumps beside it
        validate_s, _, _ = _timed([*NARCOKG, "validate", "--store", str(default_dir)], ok=(0, 1))
    row: dict[str, Any] = {
        "releases": n,
        "quads": quads,
        "nquads_mb": round(nq.stat().st_size / 2**20, 1),
        "build_default_s": round(default_s, 2),
        "build_default_runs_s": [round(d, 2) for d in defaults],
        **added,
        "dumps_s": round(default_s - build_s, 2),
        "build_s": round(build_s, 2),
        "build_releases_per_s": round(n / build_s, 1),
        "build_ms_per_release": round(1000 * build_s / n, 2),
        "floor_bulk_load_s": round(floor_s, 2),
        "floor_runs_s": [round(f, 2) for f in floors],
        "build_over_floor": round(build_s / floor_s, 2),
        "build_default_over_floor": round(default_s / floor_s, 2),
        "validate_s": round(shapes_s, 2),
        "validate_triples_per_s": round(quads / shapes_s),
        "validate_ms_per_release": round(1000 * shapes_s / n, 2),
        "validate_conforms": out.rstrip().endswith("conforms: yes"),
        "cli_validate_with_datacube_s": round(validate_s, 2) if validate_s else None,
        "build_rss_mb": build_mb,
        "floor_rss_mb": floor_mb,
        "validate_rss_mb": validate_mb,
        "peak_child_rss_mb": _mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss),
    }
    if reference:
        ref_s, _, _ = _timed(
            [*NARCOKG, "validate", "--reference", "--store", str(store_dir)], ok=(0, 1)
        )
        row["reference_validate_s"] = round(ref_s, 2)
        row["reference_triples_per_s"] = round(quads / ref_s)
    nq.unlink()
    shutil.rmtree(floor_dir, ignore_errors=True)
    if repeat:
        queries_s, answer, queries_mb = _timed(
            [
                sys.executable,
                str(HERE / "queries.py"),
                str(store_dir),
                "--repeat",
                str(repeat),
                "--store-repeat",
                str(store_repeat),
            ]
        )
        row["queries"] = json.loads(answer)
        row["queries_rss_mb"] = queries_mb
        row["queries_s"] = round(queries_s, 1)
    if validate_s:  # last: it adds a release to the store
        row.update(validate_again(default_dir, work))
    shutil.rmtree(default_dir.parent, ignore_errors=True)
    return row


VALIDATE_FLOOR = {"from_nothing_triples_per_s": 100_000, "one_added_s": 2.0}
"""Issue 17's floors for ``narcokg validate`` (Data Cube ICs included): from nothing, and after
one release was added to a validated store."""


def validate_again(store_dir: Path, work: Path) -> dict[str, Any]:
    """``narcokg validate`` of the validated store again (nothing changed: every finding kept),
    then after one new release (another seed) was built into it (issue 17)."""
    cmd = [*NARCOKG, "validate", "--store", str(store_dir)]
    unchanged_s, _, _ = _timed(cmd, ok=(0, 1))
    new = work / "new-validate"
    shutil.rmtree(new, ignore_errors=True)
    generate(new, 1, seed=9)
    _timed([*NARCOKG, "build", str(new), "--store", str(store_dir), "--no-dump"])
    shutil.rmtree(new, ignore_errors=True)
    added_s, out, _ = _timed(cmd, ok=(0, 1))
    summary = next((x for x in out.splitlines() if x.startswith("release graphs:")), "")
    return {
        "validate_unchanged_s": round(unchanged_s, 2),
        "validate_one_added_s": round(added_s, 2),
        "validate_one_added_summary": summary.split(" (")[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000", help="comma-separated release counts")
    parser.add_argument("--jobs", type=int, default=None, help="build --jobs (default: cores)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each query")
    parser.add_argument(
        "--store-repeat",
        type=int,
        default=1,
        help="runs of each release-scoped query in the store itself, whole corpus (0: none)",
    )
    parser.add_argument("--reference-max", type=int, default=100, help="time pySHACL up to N")
    parser.add_argument(
        "--cli-validate-max",
        type=int,
        default=10**9,
        help="time the whole `narcokg validate` (SHACL + Data Cube ICs) up to N releases",
    )
    parser.add_argument(
        "--build-runs",
        type=int,
        default=2,
        help="times the default build from nothing and the floor each run (the fastest kept)",
    )
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: tmp)")
    parser.add_argument(
        "--label", default="", help="appended to the result file's name (keeps earlier runs)"
    )
    args = parser.parse_args()
    sizes = sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    load_at_start = os.getloadavg()
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
                    store_repeat=args.store_repeat,
                    cli_validate=n <= args.cli_validate_max,
                    build_runs=max(1, args.build_runs),
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
            "load_average_at_start": load_at_start,
            "load_average_at_end": os.getloadavg(),
        },
        "sizes": rows,
        "queries_at": last["releases"],
        "queries": last.get("queries", {}),
        "linearity": linear,
        "targets": targets(rows, linear),
        "peak_self_rss_mb": _mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
        "peak_child_rss_mb": _mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss),
    }
    print(render(result))
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    label = f"-{args.label}" if args.label else ""
    path = out / f"{result['date']}-{last['releases']}{label}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {path.relative_to(HERE.parent)}")


def targets(rows: list[dict[str, Any]], linear: dict[str, Any] | None) -> dict[str, Any]:
    """Issue 7's and issue 17's targets, checked on the largest size: value and whether met."""
    last = rows[-1]
    queries = last.get("queries", {})
    whole = max((q["p50_s"] for q in queries.values()), default=None)
    per_release = max(
        (q["per_release"]["p50_s"] for q in queries.values() if "per_release" in q), default=None
    )
    rss = max(last[k] for k in ("build_rss_mb", "floor_rss_mb", "validate_rss_mb"))
    rss = max(rss, last.get("queries_rss_mb", 0))
    out: dict[str, Any] = {
        "releases": last["releases"],
        "build_over_floor": {
            "value": last["build_over_floor"],
            "met": last["build_over_floor"] <= 5,
        },
        "validate_triples_per_s": {
            "value": last["validate_triples_per_s"],
            "met": last["validate_triples_per_s"] >= 40_000,
        },
        "slowest_query_p50_s": {"value": whole, "met": whole is not None and whole < 1},
        "slowest_per_release_query_p50_s": {
            "value": per_release,
            "met": per_release is not None and per_release < 1,
        },
        "peak_rss_mb": {"value": rss, "met": rss < 4096},
    }
    if linear:
        for key in ("build_per_release_ratio", "validate_per_release_ratio"):
            out[key] = {"value": linear[key], "met": linear[key] <= 1.3}
    # issue 17: the default commands, as users run them
    out["default_build_over_floor"] = {
        "value": last["build_default_over_floor"],
        "met": last["build_default_over_floor"] <= 3,
    }
    out["add_one_release_s"] = {"value": last["add_one_s"], "met": last["add_one_s"] < 3}
    if last.get("cli_validate_with_datacube_s"):
        per_s = round(last["quads"] / last["cli_validate_with_datacube_s"])
        out["validate_from_nothing_triples_per_s"] = {
            "value": per_s,
            "met": per_s >= VALIDATE_FLOOR["from_nothing_triples_per_s"],
        }
    if "validate_one_added_s" in last:
        out["validate_after_one_added_s"] = {
            "value": last["validate_one_added_s"],
            "met": last["validate_one_added_s"] < VALIDATE_FLOOR["one_added_s"],
        }
    return out


def render(result: dict[str, Any]) -> str:
    """The result as aligned text tables (Markdown pipes, so the docs can quote them)."""
    cols = [
        ("releases", "releases"),
        ("quads", "quads"),
        ("build_default_s", "`build` s"),
        ("build_s", "--no-dump s"),
        ("build_releases_per_s", "releases/s"),
        ("floor_bulk_load_s", "floor s"),
        ("build_over_floor", "build/floor"),
        ("build_default_over_floor", "`build`/floor"),
        ("add_one_s", "add one s"),
        ("add_one_no_dump_s", "add one --no-dump s"),
        ("cli_validate_with_datacube_s", "`validate` s"),
        ("validate_s", "SHACL part s"),
        ("validate_triples_per_s", "triples/s"),
        ("build_rss_mb", "build MB"),
        ("floor_rss_mb", "floor MB"),
        ("validate_rss_mb", "validate MB"),
        ("queries_rss_mb", "queries MB"),
    ]
    lines = ["| " + " | ".join(h for _, h in cols) + " |", "|" + "---:|" * len(cols)]
    for row in result["sizes"]:
        cells = (row.get(k) for k, _ in cols)
        lines.append("| " + " | ".join("" if c is None else f"{c:,}" for c in cells) + " |")
    sized = [r for r in result["sizes"] if "queries" in r]
    small = sized[-2] if len(sized) > 1 else None
    lines += ["", f"Queries at {result['queries_at']:,} releases (p50 / max seconds):", ""]
    head = "| query | answered from | whole corpus p50 | max | rows | one release p50 | max |"
    head += " in the store, whole corpus |"
    if small:
        head += f" growth from {small['releases']:,} (whole / one) |"
    lines += [head, "|---|" + "---:|" * (head.count("|") - 2)]
    for name, q in result["queries"].items():
        one = q.get("per_release")
        qcells: list[Any] = [
            name,
            q.get("answered_from", "store"),
            q["p50_s"],
            q["max_s"],
            f"{q['rows']:,}",
        ]
        qcells += [one["p50_s"], one["max_s"]] if one else ["", ""]
        qcells.append(q["in_store"]["p50_s"] if "in_store" in q else "")
        if small:
            before = small["queries"].get(name, {})
            grow = [_ratio(q["p50_s"], before.get("p50_s"))]
            if one:
                grow.append(_ratio(one["p50_s"], before.get("per_release", {}).get("p50_s")))
            qcells.append(" / ".join(grow))
        lines.append("| " + " | ".join(str(c) for c in qcells) + " |")
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
        if row.get("cli_validate_with_datacube_s"):
            per_s = round(row["quads"] / row["cli_validate_with_datacube_s"])
            floor = VALIDATE_FLOOR["from_nothing_triples_per_s"]
            lines.append(
                f"Whole `narcokg validate` (SHACL + Data Cube ICs) at {row['releases']:,} "
                f"releases, from nothing: {row['cli_validate_with_datacube_s']} s, "
                f"{per_s:,} triples/s (floor {floor:,})."
            )
        if "validate_one_added_s" in row:
            lines.append(
                f"`narcokg validate` again, unchanged: {row['validate_unchanged_s']} s; after one "
                f"release added: {row['validate_one_added_s']} s (floor < "
                f"{VALIDATE_FLOOR['one_added_s']} s; {row['validate_one_added_summary']})."
            )
    lines += ["", "Targets (issues 7 and 17) at the largest size:"]
    for key, t in result["targets"].items():
        if isinstance(t, dict):
            lines.append(f"- {key}: {t['value']} ({'met' if t['met'] else 'NOT met'})")
    return "\n".join(lines)


def _ratio(now: float, before: float | None) -> str:
    return f"{now / before:.1f}x" if before else "n/a"


if __name__ == "__main__":
    main()
