"""Score ``narcokg figures`` output against hand annotations: the table of the real-layouts bar.

Why a module of its own: the same scores are asserted by ``tests/test_release_layouts.py``,
printed by ``python -m tests.scoring`` while one works on the extractor, and quoted in the
README; one definition keeps the three the same.

A gold row and a found row match when their spans are equal. Attribute scores are over the
matched figures (and only over the columns an annotation has: the first six invented releases
and the corpus have no period columns). "Garbled given a value" counts found figures that
overlap a gold malformed span and carry a value: a fragment of a garbled number published as a
number. "Non-figures taken" counts found figures overlapping a numeral the annotation says is
not a figure (a date, a year, a threshold...).
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASES = ROOT / "tests" / "data" / "releases"
CORPUS_GOLD = ROOT / "tests" / "data" / "gold"
INDICATOR = "https://w3id.org/narcotics-kg/id/indicator/"

Row = dict[str, str]
Key = tuple[str, int, int]

NEEDED = {
    "recall": 0.98,
    "precision": 0.97,
    "value": 1.0,
    "area": 0.95,
    "measure": 0.95,
    "period": 0.90,
    "direction": 0.95,
}
"""The bar every scored set must reach (issue "Real releases", column "needed")."""


def read_gold(folder: Path, ids: Iterable[str] | None = None) -> dict[Key, Row]:
    """``{(release, start, end): row}`` of every ``<id>.csv`` in ``folder`` (or of ``ids``)."""
    out: dict[Key, Row] = {}
    paths = [folder / f"{i}.csv" for i in ids] if ids is not None else sorted(folder.glob("*.csv"))
    for path in paths:
        if path.name.endswith(".nonfigures.csv"):
            continue
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                out[(path.stem, int(row["start"]), int(row["end"]))] = row
    return out


def read_nonfigures(folder: Path) -> dict[Key, Row]:
    """``{(release, start, end): row}`` of every ``<id>.nonfigures.csv`` in ``folder``."""
    out: dict[Key, Row] = {}
    for path in sorted(folder.glob("*.nonfigures.csv")):
        release = path.name.removesuffix(".nonfigures.csv")
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                out[(release, int(row["start"]), int(row["end"]))] = row
    return out


def read_found(figures_csv: str) -> dict[Key, Row]:
    """``{(release, start, end): row}`` of the CSV ``narcokg figures --format csv`` prints."""
    return {
        (r["release"], int(r["start"]), int(r["end"])): r
        for r in csv.DictReader(io.StringIO(figures_csv))
    }


@dataclass
class Score:
    """Counts behind one row of the table; ratios are computed from them."""

    gold: int = 0
    found: int = 0
    matched: int = 0
    values_right: int = 0
    areas_right: int = 0
    measures_right: int = 0
    periods_scored: int = 0
    periods_right: int = 0
    directions_scored: int = 0
    directions_right: int = 0
    garbled_with_value: list[Key] = field(default_factory=list)
    nonfigures_taken: list[Key] = field(default_factory=list)
    other_counts: int = 0
    wrong: dict[str, list[str]] = field(default_factory=dict)

    def ratios(self) -> dict[str, float]:
        """The scores of the table, each in [0, 1]."""

        def r(a: int, b: int) -> float:
            return a / b if b else 1.0

        return {
            "recall": r(self.matched, self.gold),
            "precision": r(self.matched, self.found),
            "value": r(self.values_right, self.matched),
            "area": r(self.areas_right, self.matched),
            "measure": r(self.measures_right, self.matched),
            "period": r(self.periods_right, self.periods_scored),
            "direction": r(self.directions_right, self.directions_scored),
            "other-count rate": self.other_counts / self.found if self.found else 0.0,
        }

    def shortfalls(self) -> list[str]:
        """Every score below the bar, and every garbled value, as a message."""
        out = [
            f"{name} {value:.3f} < {NEEDED[name]}"
            for name, value in self.ratios().items()
            if name in NEEDED and value < NEEDED[name]
        ]
        if self.garbled_with_value:
            out.append(f"garbled numbers given a value: {self.garbled_with_value}")
        return out


def _note(score: Score, what: str, key: Key, detail: str) -> None:
    score.wrong.setdefault(what, []).append(f"{key[0]} {key[1]}-{key[2]}: {detail}")


def score(
    gold: Mapping[Key, Row], found: Mapping[Key, Row], nonfigures: Mapping[Key, Row] | None = None
) -> Score:
    """Compare ``found`` with ``gold`` (and the annotated non-figures) over the same releases."""
    releases = {k[0] for k in gold}
    found = {k: v for k, v in found.items() if k[0] in releases}
    s = Score(gold=len(gold), found=len(found))
    for key in sorted(gold.keys() - found.keys()):
        _note(s, "missed", key, gold[key]["verbatim"])
    for key in sorted(found.keys() - gold.keys()):
        _note(s, "extra", key, found[key]["verbatim"])
    for key in sorted(gold.keys() & found.keys()):
        want, have = gold[key], found[key]
        s.matched += 1
        if _value_right(want, have):
            s.values_right += 1
        else:
            _note(
                s,
                "value",
                key,
                f"{have['verbatim']!r} {have['status']} {have['value']!r} "
                f"{have['unit']} {have['qualifier']}; want {want['status']} {want['value']!r} "
                f"{want['unit']} {want['qualifier']}",
            )
        if set(have["area"].split(";")) == set(want["area"].split(";")):
            s.areas_right += 1
        else:
            _note(s, "area", key, f"{have['verbatim']!r} {have['area']} want {want['area']}")
        measure = have["measure"].removeprefix(INDICATOR)
        if measure == want["measure"]:
            s.measures_right += 1
        else:
            _note(s, "measure", key, f"{have['verbatim']!r} {measure} want {want['measure']}")
        if "period_start" in want:
            s.periods_scored += 1
            got = (have["period_start"], have["period_end"])
            if got == (want["period_start"], want["period_end"]):
                s.periods_right += 1
            else:
                _note(
                    s,
                    "period",
                    key,
                    f"{have['verbatim']!r} {got} want {(want['period_start'], want['period_end'])}",
                )
        if want["direction"] or have["direction"]:
            s.directions_scored += 1
            change = have["change_of"].rsplit("/", 1)[-1] if have["change_of"] else ""
            if (have["direction"], change) == (want["direction"], want["change_of"]):
                s.directions_right += 1
            else:
                _note(
                    s,
                    "direction",
                    key,
                    f"{have['verbatim']!r} {have['direction']} of "
                    f"{change} want {want['direction']} of {want['change_of']}",
                )
    for key, have in found.items():
        if have["measure"].endswith("/other-count"):
            s.other_counts += 1
        if have["value"] and any(
            g[0] == key[0] and g[1] < key[2] and key[1] < g[2] and row["status"] == "malformed"
            for g, row in gold.items()
        ):
            s.garbled_with_value.append(key)
        if (
            nonfigures
            and key not in gold
            and any(n[0] == key[0] and n[1] < key[2] and key[1] < n[2] for n in nonfigures)
        ):
            s.nonfigures_taken.append(key)
    return s


def _value_right(want: Row, have: Row) -> bool:
    if (have["status"], have["unit"], have["qualifier"]) != (
        want["status"],
        want["unit"],
        want["qualifier"],
    ):
        return False
    if want["status"] == "malformed":
        return have["value"] == ""
    return bool(have["value"]) and Decimal(have["value"]) == Decimal(want["value"])


def table(scores: Mapping[str, Score]) -> str:
    """The scores as a Markdown table, one column per scored set, the bar in the last."""
    names = list(scores)
    lines = [
        "| " + " | ".join(["score", *names, "needed"]) + " |",
        "|" + "---|" * (len(names) + 2),
    ]
    counts = [f"{s.gold} gold / {s.found} found" for s in scores.values()]
    lines.append("| " + " | ".join(["figures", *counts, ""]) + " |")
    for metric in [
        "recall",
        "precision",
        "value",
        "area",
        "measure",
        "period",
        "direction",
        "other-count rate",
    ]:
        cells = [f"{s.ratios()[metric]:.3f}" for s in scores.values()]
        need = f"≥ {NEEDED[metric]}" if metric in NEEDED else ""
        lines.append("| " + " | ".join([metric, *cells, need]) + " |")
    garbled = [str(len(s.garbled_with_value)) for s in scores.values()]
    lines.append("| " + " | ".join(["garbled given a value", *garbled, "0"]) + " |")
    taken = [str(len(s.nonfigures_taken)) for s in scores.values()]
    lines.append("| " + " | ".join(["non-figures taken as figures", *taken, "0"]) + " |")
    return "\n".join(lines)


def second_set_ids() -> list[str]:
    """The releases annotated with periods and non-figures (r07 onwards)."""
    return sorted(
        p.name.removesuffix(".nonfigures.csv") for p in (RELEASES / "gold").glob("*.nonfigures.csv")
    )


def first_set_ids() -> list[str]:
    """The first six invented releases (no period columns)."""
    second = set(second_set_ids())
    return sorted(
        p.stem
        for p in (RELEASES / "gold").glob("*.csv")
        if not p.name.endswith(".nonfigures.csv") and p.stem not in second
    )


def _ranges(argv: list[str]) -> list[tuple[str, str, list[str]]]:
    """``--releases r33-r37`` (repeatable): a column for the second-set releases in that range,
    to measure a held-out set on its own."""
    out = []
    for flag, value in pairwise(argv):
        if flag == "--releases":
            lo, _, hi = value.partition("-")
            ids = [i for i in second_set_ids() if lo <= i[: len(lo)] <= (hi or lo)]
            out.append((lo, hi or lo, ids))
    return out


def main(argv: list[str]) -> int:
    """Build the test releases and the corpus into a scratch store and print the table
    (``-v``: every wrong attribution; ``--releases r33-r37``: a column for those releases)."""
    import subprocess
    import tempfile

    verbose = "-v" in argv
    with tempfile.TemporaryDirectory() as tmp:

        def run(*args: str) -> str:
            return subprocess.run(
                [sys.executable, "-m", "kg.cli", *args],
                check=True,
                capture_output=True,
                text=True,
                cwd=tmp,
            ).stdout

        run("build", str(RELEASES), "--store", f"{tmp}/releases", "--no-dump")
        run("build", "--store", f"{tmp}/corpus", "--no-dump")
        releases = read_found(run("figures", "--format", "csv", "--store", f"{tmp}/releases"))
        corpus = read_found(run("figures", "--format", "csv", "--store", f"{tmp}/corpus"))
    folder = RELEASES / "gold"
    scores = {
        "second set": score(read_gold(folder, second_set_ids()), releases, read_nonfigures(folder)),
        **{
            f"{lo}–{hi}": score(read_gold(folder, ids), releases, read_nonfigures(folder))
            for lo, hi, ids in _ranges(argv)
        },
        "first six": score(read_gold(folder, first_set_ids()), releases),
        "corpus": score(read_gold(CORPUS_GOLD), corpus),
    }
    print(table(scores))
    if verbose:
        for name, s in scores.items():
            for what, items in s.wrong.items():
                print(f"\n## {name}: {what} ({len(items)})")
                print("\n".join(items))
            if s.nonfigures_taken:
                print(f"\n## {name}: non-figures taken\n" + "\n".join(map(str, s.nonfigures_taken)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
