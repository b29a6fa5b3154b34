"""Sentences keep exact offsets; period phrases become ISO intervals only with a known year."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from kg.text.periods import date_spans, find_periods
from kg.text.segment import paragraphs, sentences

TEXT = (
    'Police in Hunan seized 1,204.5 kilograms of drugs. The "8.15" case was solved.\n\n'
    "From March to May, 31 cases were cracked. Officers stayed alert."
)


def test_sentences_and_paragraphs_have_exact_offsets() -> None:
    paras = paragraphs(TEXT)
    assert [len(p.sentences) for p in paras] == [2, 2]
    found = sentences(TEXT)
    assert [s.text for s in found] == [
        "Police in Hunan seized 1,204.5 kilograms of drugs.",
        'The "8.15" case was solved.',
        "From March to May, 31 cases were cracked.",
        "Officers stayed alert.",
    ]
    for s in found:
        assert TEXT[s.start : s.end] == s.text
    assert [s.paragraph for s in found] == [0, 0, 1, 1]


@given(st.text(alphabet='ab. \n"1,2', max_size=80))
def test_sentence_offsets_hold_for_any_text(text: str) -> None:
    for s in sentences(text):
        assert text[s.start : s.end] == s.text
        assert s.text.strip() == s.text


def test_periods_with_a_known_year() -> None:
    issued = dt.date(2021, 11, 3)
    (p,) = find_periods("From February to October, 12 dens", issued)
    assert (p.start, p.end) == ("2021-02-01", "2021-10-31")
    (p,) = find_periods("As of June 30, 4 gangs", issued)
    assert (p.start, p.end) == (None, "2021-06-30")
    (p,) = find_periods("since the start of the year, 9 cases", issued)
    assert (p.start, p.end) == ("2021-01-01", "2021-11-03")
    (p,) = find_periods("From May 3rd to 9th, a sweep", issued)
    assert (p.start, p.end) == ("2021-05-03", "2021-05-09")


def test_a_month_after_the_release_date_belongs_to_the_previous_year() -> None:
    (p,) = find_periods("From November to December, 5 cases", dt.date(2022, 2, 1))
    assert (p.start, p.end) == ("2021-11-01", "2021-12-31")


def test_without_a_year_periods_stay_relative() -> None:
    (p,) = find_periods("From January to August, 3 cases", None)
    assert (p.start, p.end, p.phrase) == (None, None, "From January to August")


def test_dates_are_marked_so_their_digits_are_not_figures() -> None:
    text = "On March 12, in 2020, 2021 million fans"
    spans = [text[a:b] for a, b in date_spans(text)]
    assert "March 12" in spans
    assert "in 2020" in spans
    assert not any("2021" in s for s in spans)
