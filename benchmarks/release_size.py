"""Measure ``narcokg build`` on one release of growing size: seconds and peak memory.

Why: kg/text/textfile.py refuses release files over ``MAX_RELEASE_BYTES``; this shows what a
release near that limit costs, so the limit is a measured choice (docs/reliability.md), not
a guess. Each size is a fresh process building into a fresh store, measured with
``os.wait4`` (peak resident memory of that process). Run::

    python benchmarks/release_size.py [--sizes 102400,524288,1048000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kg.resources import corpus_dir


def measure(size: int, work: Path) -> dict[str, float]:
    """Build one release of about ``size`` bytes made of the bundled texts, repeated."""
    source = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(corpus_dir().glob("*.txt")))
    text = (source * (size // len(source.encode("utf-8")) + 1)).encode("utf-8")[:size]
    release = work / f"r{size}.txt"
    release.write_bytes(text.decode("utf-8", errors="ignore").encode("utf-8"))
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "build", str(release), "--store", str(work / f"s{size}"),
         "--no-dump", "--jobs", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    return {
        "bytes": release.stat().st_size,
        "exit": os.waitstatus_to_exitcode(status),
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="102400,524288,1048000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            print(json.dumps(measure(size, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
