"""Time the everyday job: one new release added to a built store (issue 17).

Why: ``narcokg build new.txt`` into a store of N releases must cost what the new release costs,
not what the store holds. Timed as users run it, in child processes: the default (dumps and
description brought up to date) beside its floor, the same with ``--no-dump`` (extract, map,
store, kept answers, corrections, compaction); the difference is the dumps' share, which must
not grow with N. Two different new releases (same generator, another seed) are used, the
default first, so that the ``--no-dump`` one does not leave work to the default one.

Run alone: ``python benchmarks/add_one.py --sizes 500,1000`` (builds each store from nothing
with the default command first, timed too), or ``--store DIR`` to time adding to a store built
before (10,000 releases take twenty minutes to build; each run adds two releases to it);
``benchmarks/run.py`` calls :func:`add_one` on the store its default build made.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import generate  # noqa: E402

NARCOKG = [sys.executable, "-m", "kg.cli"]


def _run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return time.perf_counter() - t0


def add_one(store_dir: Path, work: Path, *, seed: int = 8) -> dict[str, float]:
    """Add one new release to the store at ``store_dir`` (dumps beside it), then another with
    ``--no-dump``; return both times in seconds and their difference."""
    new = work / f"new-{seed}"
    shutil.rmtree(new, ignore_errors=True)
    first, second = generate(new, 2, seed=seed)
    default_s = _run([*NARCOKG, "build", str(first), "--store", str(store_dir)])
    no_dump_s = _run([*NARCOKG, "build", str(second), "--store", str(store_dir), "--no-dump"])
    shutil.rmtree(new, ignore_errors=True)
    return {
        "add_one_s": round(default_s, 2),
        "add_one_no_dump_s": round(no_dump_s, 2),
        "add_one_dumps_s": round(default_s - no_dump_s, 2),
    }


def _held(store_dir: Path) -> int:
    """Release graphs in the store (read in a child: the store is opened read-only there)."""
    code = (
        "import pyoxigraph as ox, sys; s = ox.Store.read_only(sys.argv[1]); "
        "print(sum(1 for g in s.named_graphs() if '/graph/release/' in g.value))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(store_dir)], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="500,1000", help="comma-separated release counts")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: tmp)")
    parser.add_argument("--out", type=Path, default=None, help="write the rows as JSON here")
    parser.add_argument(
        "--store", type=Path, default=None, help="add to this store (built before) instead"
    )
    parser.add_argument("--seed", type=int, default=8, help="seed of the new releases")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        work = Path(tmp)
        if args.store is not None:
            held = _held(args.store)
            rows.append(
                {
                    "releases": held,
                    "build_default_s": None,
                    **add_one(args.store, work, seed=args.seed),
                }
            )
        for n in (
            []
            if args.store is not None
            else sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
        ):
            print(f"… {n} releases", file=sys.stderr, flush=True)
            corpus, data = work / "corpus", work / "data"
            shutil.rmtree(corpus, ignore_errors=True)
            shutil.rmtree(data, ignore_errors=True)
            generate(corpus, n)
            build_s = _run([*NARCOKG, "build", str(corpus), "--store", str(data / "store")])
            rows.append(
                {
                    "releases": n,
                    "build_default_s": round(build_s, 2),
                    **add_one(data / "store", work),
                }
            )
    head = "| releases | `build` from nothing s | add one: `build new.txt` s | floor: `--no-dump` s"
    print(head + " | dumps s |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['releases']:,} | {r['build_default_s']} | {r['add_one_s']} "
            f"| {r['add_one_no_dump_s']} | {r['add_one_dumps_s']} |"
        )
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
