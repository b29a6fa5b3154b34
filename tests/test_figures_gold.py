"""``narcokg figures`` against the hand annotation of both bundled releases.

The expected rows in tests/data/gold/ come from reading the texts, not from program output
(see its README). The test computes recall, precision and attribute accuracy and asserts them.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import GOLD, narcokg

COLUMNS = [
    "release", "start", "end", "verbatim", "value", "verified_value", "unit", "measure",
    "qualifier", "status", "area", "operation", "period_start", "period_end", "change_of",
    "direction", "substance", "offence", "quote", "figure", "measure_label", "area_label",
    "operation_label", "substance_label", "offence_label", "sentence", "role", "within",
]  # fmt: skip


@pytest.fixture(scope="module")
def rows(built: Path) -> list[dict[str, str]]:
    out = narcokg("figures", "--format", "csv", "--store", str(built)).stdout
    reader = csv.DictReader(io.StringIO(out))
    assert reader.fieldnames == COLUMNS
    return list(reader)


def gold() -> dict[tuple[str, int, int], dict[str, str]]:
    out = {}
    for path in sorted(GOLD.glob("*.csv")):
        with path.open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                out[(path.stem, int(row["start"]), int(row["end"]))] = row
    return out


def by_key(rows: list[dict[str, str]]) -> dict[tuple[str, int, int], dict[str, str]]:
    return {(r["release"], int(r["start"]), int(r["end"])): r for r in rows}


def test_recall_and_precision_against_the_hand_annotation(rows: list[dict[str, str]]) -> None:
    expected, found = gold(), by_key(rows)
    matched = expected.keys() & found.keys()
    recall = len(matched) / len(expected)
    precision = len(matched) / len(found)
    missed = sorted(expected.keys() - found.keys())
    extra = sorted(found.keys() - expected.keys())
    assert len(expected) == 73
    assert recall >= 0.98, f"recall {recall:.3f}; missed {missed}"
    assert precision >= 0.98, f"precision {precision:.3f}; not in gold {extra}"


def test_values_exact_and_garbled_figures_have_none(rows: list[dict[str, str]]) -> None:
    expected, found = gold(), by_key(rows)
    for key in expected.keys() & found.keys():
        want, got = expected[key], found[key]
        assert got["verbatim"] == want["verbatim"], key
        if want["status"] == "malformed":
            assert got["status"] == "malformed", key
            assert got["value"] == "", key
        else:
            assert Decimal(got["value"]) == Decimal(want["value"]), key
            assert got["status"] == want["status"], key
        assert got["unit"] == want["unit"], key
        assert got["qualifier"] == want["qualifier"], key


def test_no_value_is_invented(rows: list[dict[str, str]]) -> None:
    """Every value's significant digits stand in its verbatim text (scale words add zeros)."""
    for r in rows:
        if not r["value"]:
            continue
        digits = re.sub(r"\D", "", r["verbatim"])
        if not digits:  # a number written as a word
            continue
        significant = re.sub(r"\D", "", r["value"]).strip("0")
        assert significant in digits, r


def test_offsets_and_quotes_are_exact(rows: list[dict[str, str]]) -> None:
    from kg.text.corpus import iter_releases

    texts = {r.id: r.text for r in iter_releases()}
    for r in rows:
        text = texts[r["release"]]
        assert text[int(r["start"]) : int(r["end"])] == r["verbatim"] == r["quote"]


def test_attribution_matches_the_hand_annotation(rows: list[dict[str, str]]) -> None:
    """Measure, area, change links and directions: each right for at least 90% of figures."""
    expected, found = gold(), by_key(rows)
    keys = sorted(expected.keys() & found.keys())

    def accuracy(check) -> tuple[float, list]:  # type: ignore[no-untyped-def]
        wrong = [k for k in keys if not check(expected[k], found[k])]
        return 1 - len(wrong) / len(keys), wrong

    def change(want: dict[str, str], got: dict[str, str]) -> bool:
        if not want["change_of"]:
            return got["change_of"] == ""
        return got["change_of"].endswith(f"/figure/{want['change_of']}")

    checks = {
        "measure": lambda w, g: g["measure"].endswith("/indicator/" + w["measure"]),
        "area": lambda w, g: sorted(g["area"].split(";")) == sorted(w["area"].split(";")),
        "change_of": change,
        "direction": lambda w, g: g["direction"] == w["direction"],
    }
    for name, check in checks.items():
        score, wrong = accuracy(check)
        assert score >= 0.9, f"{name}: {score:.3f}; wrong at {wrong}"
    # changes are exactly right: each points at the figure the sentence distributes it to
    assert accuracy(change)[0] == 1.0


def test_periods_come_from_the_metadata_year(rows: list[dict[str, str]]) -> None:
    found = by_key(rows)
    first = found[("000_a69edf0332bcabe2", 671, 675)]  # "From January to August, ..."
    assert (first["period_start"], first["period_end"]) == ("2023-01-01", "2023-08-31")
    as_of = found[("003_fa7d3ae810f620c8", *_span("003_fa7d3ae810f620c8", "2,589"))]
    assert (as_of["period_start"], as_of["period_end"]) == ("", "2022-07-31")


def _span(release: str, token: str) -> tuple[int, int]:
    text = (Path(__file__).resolve().parent.parent / "corpus" / f"{release}.txt").read_text(
        encoding="utf-8"
    )
    start = text.index(token)
    return start, start + len(token)
