"""The extractor on invented sentences: each rule of the kg/extract/ stages on unseen text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.extract.extractor import Extractor
from kg.extract.lexicon import Lexicon
from kg.extract.measures import default_measures
from kg.extract.records import Extraction, Figure, Status
from kg.resources import mappings_dir
from kg.text.corpus import Release

CN = "https://w3id.org/narcotics-kg/id/jurisdiction/CN"


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor(Lexicon.load(), default_measures())


def run(
    extractor: Extractor, text: str, issued: dt.date | None = dt.date(2024, 6, 20)
) -> Extraction:
    release = Release(id="t", path=Path("t.txt"), text=text, sha256="0", issued=issued)
    return extractor.extract(release)


def fig(ex: Extraction, verbatim: str) -> Figure:
    (found,) = [f for f in ex.figures if f.verbatim == verbatim]
    return found


def slug(iri: str | None) -> str:
    return (iri or "").rsplit("/", 1)[-1]


def test_measures_yaml_examples(extractor: Extractor) -> None:
    """Every invented example in mappings/measures.yaml yields its figure and indicator."""
    raw = yaml.safe_load((mappings_dir() / "measures.yaml").read_text(encoding="utf-8"))
    checked = 0
    for entry in raw["indicators"]:
        for example in entry.get("examples") or []:
            ex = run(extractor, example["text"])
            matching = [f for f in ex.figures if f.value == Decimal(example["value"])]
            assert matching, example
            assert slug(matching[0].indicator) == example["indicator"], example
            checked += 1
    assert checked >= 25


def test_respectively_distributes_changes_in_order(extractor: Extractor) -> None:
    ex = run(
        extractor,
        "Police solved 1,204 drug cases, arrested 1,530 suspects and seized 2.5 tons of drugs, "
        "up 3%, 4.5% and 12% respectively year-on-year.",
    )
    assert slug(fig(ex, "1,204").indicator) == "cases-solved"
    assert slug(fig(ex, "1,530").indicator) == "suspects-arrested"
    assert slug(fig(ex, "2.5").indicator) == "drugs-seized"
    assert fig(ex, "2.5").unit == "TONNE"
    for change, base in [("3%", "1,204"), ("4.5%", "1,530"), ("12%", "2.5")]:
        c, b = fig(ex, change), fig(ex, base)
        assert c.change_of == (b.start, b.end)
        assert c.direction == "up"
        assert slug(c.indicator) == "year-on-year-change"


def test_a_single_change_goes_to_the_nearest_figure_before_it(extractor: Extractor) -> None:
    ex = run(extractor, "Officers dealt with 870 drug users, a year-on-year decrease of 6.1%.")
    c, b = fig(ex, "6.1%"), fig(ex, "870")
    assert (c.change_of, c.direction) == ((b.start, b.end), "down")


def test_garbled_numbers_are_malformed_and_keep_no_value(extractor: Extractor) -> None:
    ex = run(
        extractor, "The city cracked 3,7 drug cases and 12,<> suspects, up 4.<>% year-on-year."
    )
    for token in ["3,7", "12,<>", "4.<>%"]:
        f = fig(ex, token)
        assert f.status is Status.MALFORMED
        assert f.value is None
        assert f.reason


def test_suspicious_numbers_keep_their_value_with_a_reason(extractor: Extractor) -> None:
    ex = run(extractor, "Police seized 3.2500 tons of heroin and solved 1 cases in 2024.")
    precise = fig(ex, "3.2500")
    assert (precise.status, precise.value) == (Status.IMPLAUSIBLE, Decimal("3.2500"))
    assert "precision" in (precise.reason or "")
    assert fig(ex, "1").status is Status.IMPLAUSIBLE
    assert not [f for f in ex.figures if f.verbatim == "2024"]  # a year is not a figure


def test_qualifiers(extractor: Extractor) -> None:
    ex = run(extractor, "Over 40 suspects, nearly 9 tons of drugs and about 300 drug users.")
    assert fig(ex, "40").qualifier == "more-than"
    assert fig(ex, "9").qualifier == "nearly"
    assert fig(ex, "300").qualifier == "about"


def test_areas_from_the_segment_and_examples_are_not_areas(extractor: Extractor) -> None:
    ex = run(
        extractor,
        "Sichuan and Gansu cracked 45 drug cases; the ministry led 9 provinces, including "
        "Qinghai and Tibet, and seized 7 tons of drugs.",
    )
    assert [slug(a) for a in fig(ex, "45").areas] == ["CN-SC", "CN-GS"]
    assert fig(ex, "9").areas == (CN,)
    assert fig(ex, "7").areas == (CN,)


def test_area_carries_over_from_a_previous_sentence_with_one_province(extractor: Extractor) -> None:
    ex = run(
        extractor, "Hainan sent 300 police officers to the coast. Eleven drug cases were solved."
    )
    assert [slug(a) for a in fig(ex, "Eleven").areas] == ["CN-HI"]


def test_dates_quoted_names_and_editions_are_not_figures(extractor: Extractor) -> None:
    ex = run(
        extractor,
        'On March 3, the "5.12" case team and the 8 National Anti-drug Forum met; the '
        "Operation-2023 squad seized 4 kilograms of drugs on May 9th.",
    )
    assert [f.verbatim for f in ex.figures] == ["4"]


def test_periods_use_the_release_year_or_stay_relative(extractor: Extractor) -> None:
    text = "From January to May, 64 drug cases were solved."
    period = fig(run(extractor, text), "64").period
    assert (period.start, period.end) == ("2024-01-01", "2024-05-31")
    relative = fig(run(extractor, text, issued=None), "64").period
    assert (relative.start, relative.end, relative.phrase) == (None, None, "From January to May")


def test_number_words_and_durations(extractor: Extractor) -> None:
    ex = run(extractor, "A three-week sweep smashed twelve drug gangs in a two-way deal.")
    week = fig(ex, "three")
    assert (week.unit, week.value, slug(week.indicator)) == ("WK", Decimal(3), "operation-duration")
    assert slug(fig(ex, "twelve").indicator) == "networks-destroyed"
    assert not [f for f in ex.figures if f.verbatim == "two"]


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet='0123456789,.<>% abcdeston\n;"Yunan', min_size=1, max_size=120))
def test_any_text_offsets_hold(extractor: Extractor, text: str) -> None:
    ex = run(extractor, text)
    for f in ex.figures:
        assert text[f.start : f.end] == f.verbatim
        assert (f.value is None) == (f.status is Status.MALFORMED)
    for m in ex.mentions:
        assert text[m.start : m.end] == m.verbatim


def test_list_numbers_and_period_ordinals_are_not_figures(extractor: Extractor) -> None:
    text = (
        "Results of the first three months of the year, police across the city:\n"
        "1. cracked 52 drug cases;\n2) seized 7 kilograms of heroin.\n"
    )
    ex = run(extractor, text)
    assert [f.verbatim for f in ex.figures] == ["52", "7"]
    assert (fig(ex, "52").period.start, fig(ex, "52").period.end) == ("2024-01-01", "2024-03-31")


def test_parts_take_the_measure_of_their_total(extractor: Extractor) -> None:
    ex = run(
        extractor,
        "Customs seized 800 kilograms of drugs, including 500 kilograms of heroin and 120 "
        "kilograms of ketamine, up 10% year on year.",
    )
    total = fig(ex, "800")
    for part in ("500", "120"):
        assert fig(ex, part).part_of == (total.start, total.end)
        assert slug(fig(ex, part).indicator) == "drugs-seized"
    assert fig(ex, "10%").change_of == (total.start, total.end)


def test_a_provincial_release_defaults_to_its_province(extractor: Extractor) -> None:
    provincial = "The Gansu police held a briefing.\n\nThe province solved 61 drug cases."
    assert slug(fig(run(extractor, provincial), "61").areas[0]) == "CN-GS"
    national = "The Gansu police held a briefing.\n\nPolice solved 61 drug cases."
    assert slug(fig(run(extractor, national), "61").areas[0]) == "CN"


def test_unknown_names_are_unlinked_mentions(extractor: Extractor) -> None:
    ex = run(
        extractor,
        'The "Iron Net" operation in Lingnan Province seized 4 kilograms of mephedrone.',
    )
    unlinked = {(m.verbatim, m.cls) for m in ex.mentions if m.entity is None}
    assert unlinked == {
        ('"Iron Net"', "Operation"),
        ("Lingnan Province", "Jurisdiction"),
        ("mephedrone", "Substance"),
    }
    assert fig(ex, "4").operation is None


def test_a_year_closing_a_title_line_is_not_a_figure(extractor: Extractor) -> None:
    ex = run(extractor, "Drug Control Annual Report 2023\n\nPolice solved 9 cases.")
    assert [f.verbatim for f in ex.figures] == ["9"]


def test_a_count_after_of_is_not_a_year(extractor: Extractor) -> None:
    ex = run(
        extractor,
        "A total of 1895 people were ordered to undergo compulsory isolation, up 6.5% year-on-year."
        " By the end of 2023, 40 cases were closed.",
    )
    count = fig(ex, "1895")
    assert fig(ex, "6.5%").change_of == (count.start, count.end)
    assert [f.verbatim for f in ex.figures] == ["1895", "6.5%", "40"]
