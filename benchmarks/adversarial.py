"""Measure ``narcokg build`` on releases of adversarial shapes: is the time linear in the size?

Why: a release is whatever a scraper saved, up to ``MAX_RELEASE_BYTES`` (kg/text/textfile.py).
Real releases are short sentences with a few figures each; a page of numbers, a list of a
thousand figures with no full stop, a text with no punctuation at all or a run of digits and
commas a hundred kilobytes long made extraction quadratic (issue #14: 100 KB of
``"1234567890 "`` took over 150 s). This builds each shape at several sizes, and real text
(the bundled releases, repeated) at the same sizes, so that a regression shows as a time that
grows faster than the size, or as a shape whose cost per kilobyte runs away from real text's.

Each build is a fresh process (``python -m kg.cli build FILE --store DIR --no-dump --jobs 1``)
into a fresh store, measured with ``os.wait4``: its processor time (user and system, which does
not grow when other work shares the machine, as wall-clock time does) and its peak resident
memory. With ``--what extract`` the process reads and extracts the release and does nothing
else, which separates extraction from the stages after it (mapping, store, the answers a build
keeps). A one-sentence release is run first (the cheapest of three): its time is the fixed cost
of a process (imports, vocabulary, store), taken off each run as ``net_seconds`` so that the
growth between sizes is the growth of the work that depends on the text (at small sizes the
net time is within the noise of the fixed cost: compare sizes of 64 KB and more). A process
past ``--timeout`` seconds or ``--max-rss-mb`` of memory is killed and reported as such, and
the larger sizes of its shape are skipped. The build's limit on numbers per release
(kg/text/textfile.py: more than 10,000 are refused up front) is lifted for these runs, so that
they measure the work itself; ``--number-limit`` keeps it.

Prints one JSON line per run: ``what``, ``shape``, ``bytes``, ``exit`` (the exit code, or
"timeout", "memory", "skipped"), ``seconds`` (wall clock), ``cpu_seconds``, ``peak_rss_mb``,
``figures`` (as the process reported them), ``net_seconds`` (processor time less the fixed
cost), ``ms_per_kb``, ``vs_real`` (this shape's ``ms_per_kb`` over real text's at the same
size), ``ms_per_figure`` and ``vs_real_per_figure`` (the same per figure found: a page of
numbers holds a figure every 11 characters, real text one every two hundred or so, and every
figure becomes some thirty triples and a row of each table, so its cost per kilobyte is higher
for that reason alone) and, against the shape's previous size, ``size_growth`` and
``time_growth``: the time is linear in the size when the two are about equal.

Run::

    python benchmarks/adversarial.py [--sizes 65536,262144,1048576] [--shapes numbers,...]
        [--what build|extract] [--timeout 1800] [--max-rss-mb 8000]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kg.resources import corpus_dir
from kg.text.textfile import MAX_NUMBERS_ENV

PROVINCES = ("Yunnan", "Guangdong", "Hunan", "Sichuan", "Guangxi", "Zhejiang")


def real_text() -> str:
    """The bundled releases, one after another."""
    return "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(corpus_dir().glob("*.txt")))


def repeated(unit: str, size: int) -> str:
    """``unit`` over and over, cut to ``size`` bytes of UTF-8 (never inside a character)."""
    times = size // max(1, len(unit.encode("utf-8"))) + 1
    return (unit * times).encode("utf-8")[:size].decode("utf-8", errors="ignore")


def numbered(item: Callable[[int], str], size: int, head: str = "") -> str:
    """``head`` then ``item(0)``, ``item(1)``, ... up to ``size`` bytes: every figure differs."""
    parts, length, i = [head], len(head.encode("utf-8")), 0
    while length < size:
        part = item(i)
        parts.append(part)
        length += len(part.encode("utf-8"))
        i += 1
    return "".join(parts).encode("utf-8")[:size].decode("utf-8", errors="ignore")


SHAPES: dict[str, Callable[[int], str]] = {
    # the bundled releases: the cost every other shape is compared with
    "real": lambda n: repeated(real_text(), n),
    # issue #14: a page of numbers with spaces, no words, no punctuation
    "numbers": lambda n: repeated("1234567890 ", n),
    # one sentence of thousands of figures and no full stop
    "figure_sentence": lambda n: numbered(
        lambda i: f"{12 + i} kg of heroin, ", n, head="Police seized "
    ),
    # real words with every punctuation mark and line break removed: one clause
    "no_punctuation": lambda n: repeated(
        " ".join(re.sub(r"[^\w\s]", " ", real_text()).split()) + " ", n
    ),
    # real sentences with the line breaks removed: one paragraph
    "one_paragraph": lambda n: repeated(" ".join(real_text().split()) + " ", n),
    # words, numbers and comma-groups thousands of characters long
    "long_tokens": lambda n: repeated(f"seized {'x' * 5000} 12 kg {'9' * 5000} {'1,2' * 2000} ", n),
    # one run of digits and commas as long as the release
    "one_token": lambda n: repeated("1,2", n),
    # list items: numbered, dashed and bracketed, each its own paragraph
    "list_markers": lambda n: repeated(
        "1. Police seized 12 kg of heroin\n- 3 cases\n(2) 4 suspects\n", n
    ),
    # nested and unbalanced brackets and quotes around figures
    "brackets_quotes": lambda n: repeated(
        '("seized 12 kg" (of "heroin") [3 cases]) “4” ( " “ 5 ', n
    ),
    # abbreviations at every turn: each is a sentence end to test and refuse
    "abbreviations": lambda n: repeated("No. 1 e.g. Mr. Dr. 2 etc. vs. Jan. 3 ", n),
    # a period phrase before every figure of one sentence
    "period_phrases": lambda n: numbered(
        lambda i: (
            f"in {2000 + i % 24} police seized {i + 5} kg, from January to May {i + 3} cases, "
        ),
        n,
    ),
    # jurisdictions in lists around every figure of one sentence
    "names_and_figures": lambda n: numbered(
        lambda i: (
            f"{PROVINCES[i % 6]} police seized {i + 5} kg and "
            f"{PROVINCES[(i + 1) % 6]}, {PROVINCES[(i + 2) % 6]} and {PROVINCES[(i + 3) % 6]} "
        ),
        n,
    ),
    # thousands of headline-like lines, each its own paragraph
    "short_lines": lambda n: numbered(lambda i: f"Police seize {i + 5} kg of drugs\n\n", n),
}
BASELINE = "Police seized 5 kg of heroin in Yunnan in 2023.\n"
"""A one-sentence release: its build time is what every build costs before any text."""


def command(release: Path, store: Path, what: str) -> list[str]:
    """The process that measures ``release``: the whole build, or its extraction alone."""
    if what == "extract":
        return [sys.executable, __file__, "--extract-only", str(release)]
    return [sys.executable, "-m", "kg.cli", "build", str(release), "--store", str(store),
            "--no-dump", "--jobs", "1"]  # fmt: skip


def extract_only(release: Path) -> None:
    """Read ``release`` and extract it, as a build does, and nothing else (``--what extract``)."""
    from kg.extract.extractor import Extractor
    from kg.extract.lexicon import Lexicon
    from kg.extract.measures import default_measures
    from kg.text.corpus import load_release

    ex = Extractor(Lexicon.load(), default_measures()).extract(load_release(release))
    print(f"extracted {release.stem}: {len(ex.figures)} figures", flush=True)


def _rss_mb(pid: int) -> float:
    """The resident memory of a running process, from /proc (0 where there is none)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except OSError:
        return 0.0
    rss = next((line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")), 0)
    return int(rss) / 1024


def measure(text: str, name: str, work: Path, args: argparse.Namespace) -> dict[str, object]:
    """Run ``command`` on a release of ``text`` in a fresh process: its seconds, exit code and
    peak RSS; "timeout" or "memory" (and the process killed) past ``--timeout`` seconds or
    ``--max-rss-mb`` of memory, so that a quadratic shape cannot take the machine down."""
    release = work / f"{name}.txt"
    release.write_text(text, encoding="utf-8")
    output = work / f"{name}.out"
    started = time.perf_counter()
    with output.open("wb") as out:
        process = subprocess.Popen(
            command(release, work / f"s-{name}", args.what),
            stdout=out,
            stderr=out,
            env=os.environ if args.number_limit else os.environ | {MAX_NUMBERS_ENV: "1000000000"},
        )
    over = ""
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - started > args.timeout:
            over = "timeout"
        elif _rss_mb(process.pid) > args.max_rss_mb:
            over = "memory"
        if over:
            process.kill()
            _, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.05)
    seconds = round(time.perf_counter() - started, 2)
    said = re.search(r"extracted [^:\n]*: (\d+) figures", output.read_text(errors="replace"))
    return {
        "exit": over or os.waitstatus_to_exitcode(status),
        "seconds": seconds,
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "figures": int(said.group(1)) if said else None,
    }


def _seconds(row: dict[str, object]) -> float:
    """The processor time of a run (user and system): unlike the wall-clock time, it does not
    grow when other work shares the processors, so the growth between sizes stays readable on
    a busy machine."""
    seconds = row["cpu_seconds"]
    assert isinstance(seconds, (int, float))
    return float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="65536,262144,1048576", help="bytes, comma-separated")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated, see SHAPES")
    parser.add_argument(
        "--what",
        choices=("build", "extract"),
        default="build",
        help="time the whole build (default) or the extraction alone",
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per process")
    parser.add_argument("--max-rss-mb", type=float, default=8000, help="memory per process")
    parser.add_argument(
        "--number-limit",
        action="store_true",
        help="keep the build's limit on numbers per release (the shapes past it are refused)",
    )
    parser.add_argument("--extract-only", type=Path, help=argparse.SUPPRESS)  # the child's part
    args = parser.parse_args()
    if args.extract_only:
        extract_only(args.extract_only)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    shapes = ["real"] + [s for s in args.shapes.split(",") if s and s != "real"]
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown:
        parser.error(f"unknown shape(s): {', '.join(unknown)}; known: {', '.join(SHAPES)}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # the fixed cost: the fastest of three runs on one sentence (it varies by a second)
        fixed = min(_seconds(measure(BASELINE, f"baseline{i}", work, args)) for i in range(3))
        print(
            json.dumps({"what": args.what, "shape": "baseline", "cpu_seconds": fixed}), flush=True
        )
        real_ms: dict[int, float] = {}
        real_fig: dict[int, float] = {}
        for shape in shapes:
            previous: tuple[int, float] | None = None
            failed = False
            for size in sizes:
                text = SHAPES[shape](size)
                size_bytes = len(text.encode("utf-8"))
                row: dict[str, object] = {"what": args.what, "shape": shape, "bytes": size_bytes}
                if failed:  # a larger size cannot do better
                    print(json.dumps(row | {"exit": "skipped"}), flush=True)
                    continue
                row |= measure(text, f"{shape}-{size}", work, args)
                failed = row["exit"] != 0
                net = max(_seconds(row) - fixed, 0.01)
                ms_per_kb = 1000 * net / (size_bytes / 1024)
                figures = row.get("figures")
                ms_per_figure = (
                    1000 * net / figures if isinstance(figures, int) and figures else None
                )
                if shape == "real":
                    real_ms[size] = ms_per_kb
                    if ms_per_figure:
                        real_fig[size] = ms_per_figure
                row |= {
                    "net_seconds": round(net, 2),
                    "ms_per_kb": round(ms_per_kb, 1),
                    "vs_real": round(ms_per_kb / real_ms[size], 2) if real_ms.get(size) else None,
                    "ms_per_figure": round(ms_per_figure, 2) if ms_per_figure else None,
                    "vs_real_per_figure": (
                        round(ms_per_figure / real_fig[size], 2)
                        if ms_per_figure and real_fig.get(size)
                        else None
                    ),
                }
                if previous is not None:
                    row |= {
                        "size_growth": round(size_bytes / previous[0], 2),
                        "time_growth": round(net / previous[1], 2),
                    }
                previous = (size_bytes, net)
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
