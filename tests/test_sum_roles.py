"""Which figures of a release may be added: every figure's role in a sum (kg/rdf/roles.py).

Invented sentences in the layouts real releases use (a national total, then provinces; a
campaign inside the year; "of which" and "among them" parts; a change), run through the real
extractor; and the bundled release 000, whose seizure rows marked addable must add up to its
own stated total. Every expected role was worked out by reading the sentence.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from kg.rdf.mapping import _broader
from kg.rdf.roles import roles
from kg.store.parallel import process_extractor
from kg.text.corpus import Release
from tests.conftest import narcokg

ISSUED = dt.date(2024, 9, 10)


def roles_of(text: str) -> list[tuple[str, str, str]]:
    """(verbatim, role, verbatim of the figure it lies within) for each figure, in text order."""
    release = Release(
        id="t", path=Path("t.txt"), text=text, issued=ISSUED,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )  # fmt: skip
    figures = process_extractor().extract(release).figures
    found = roles(figures, ISSUED.isoformat(), _broader())
    out = []
    for f in figures:
        role = found[(f.start, f.end)]
        within = text[role.within[0] : role.within[1]] if role.within else ""
        out.append((f.verbatim, role.role, within))
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "From January to June, police across the country seized 5 tons of drugs, of which"
            " 2 tons were heroin.\n",
            [("5", "headline", ""), ("2", "part", "5")],
        ),
        (
            "From January to June, police across the country cracked 300 drug cases. In the same"
            " period, Yunnan police cracked 120 drug cases and Guangxi police cracked 80 drug"
            " cases.\n",
            [("300", "headline", ""), ("120", "covered", "300"), ("80", "covered", "300")],
        ),
        (
            # two provinces and no total: each is a fact of its own
            "From January to June, Yunnan police cracked 120 drug cases and Guangxi police"
            " cracked 80 drug cases.\n",
            [("120", "separate", ""), ("80", "separate", "")],
        ),
        (
            # a campaign's months inside the year's; a change is never added
            "From January to August, police nationwide seized 5 tons of drugs, up 10% year on"
            " year. During the summer campaign from June to August, police seized 1.2 tons of"
            " drugs.\n",
            [("5", "headline", ""), ("10%", "change", ""), ("1.2", "covered", "5")],
        ),
        (
            # "among them" in another unit and a province: inside the national total
            "From January to June, police nationwide seized 5 tons of drugs. Among them, 640"
            " kilograms of heroin were seized in Yunnan.\n",
            [("5", "headline", ""), ("640", "covered", "5")],
        ),
    ],
)
def test_each_figure_says_whether_it_may_be_added(
    text: str, expected: list[tuple[str, str, str]]
) -> None:
    assert roles_of(text) == expected


@pytest.mark.slow
def test_the_addable_seizures_of_release_000_add_up_to_its_stated_total(built: Path) -> None:
    """Release 000 states "8.2 tons of various drugs" seized nationwide from January to August;
    every other drug seizure it states (Yunnan's 2.7 t, the summer campaign's, the operations')
    lies inside that. Summed blindly the rows gave 97.2 t."""
    out = narcokg(
        "query", "seizures_per_release_tonnes", "--param", "release=000_a69edf0332bcabe2",
        "--format", "json", "--store", str(built),
    ).stdout  # fmt: skip
    rows = [r for r in json.loads(out) if r["measure"] == "drugs-seized"]
    assert len(rows) == 7
    addable = [r for r in rows if r["may_add"] == "yes"]
    assert [(r["verbatim"], r["role"]) for r in addable] == [("8.2", "headline")]
    assert sum(r["tonnes"] for r in addable) == pytest.approx(8.2)
    yunnan = next(r for r in rows if r["area"] == "CN-YN")
    assert (yunnan["verbatim"], yunnan["role"], yunnan["may_add"]) == ("2.7", "covered", "no")
    figures = json.loads(
        narcokg("figures", "--release", "000_a69edf0332bcabe2", "--measure", "drugs-seized",
                "--area", "CN-YN", "--format", "json", "--store", str(built)).stdout
    )  # fmt: skip
    assert [(f["verbatim"], f["within"].rsplit("/", 1)[-1]) for f in figures] == [
        ("2.7", "762-765")  # the national 8.2 t at characters 762-765
    ]
