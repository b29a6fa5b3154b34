"""Turn period phrases ("From January to August", "As of July 31") into ISO date bounds.

Why: the translated texts never state the year; the release metadata does. A phrase becomes an
interval only when the year is known; otherwise it stays relative (bounds None) and the phrase
is kept so users can see why.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from kg.text.prefilter import Prefilter

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December)"
# a month as wire copy abbreviates it too ("between Jan 24 and March 15")
_MON = (
    r"(January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)


def _month_number(name: str) -> int:
    """1-12 for a month name or its abbreviation ("Sept", "Jan")."""
    key = name.lower().rstrip(".")
    return MONTHS.get(key) or next(m for n, m in MONTHS.items() if n.startswith(key[:3]))


_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_COUNT = r"\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|eleven"
_COUNT_WORDS = {w: i for i, w in enumerate(_COUNT.split("|")[1:], start=2)}
_PART_OF_MONTH = "early|mid|late|mid-to-late|early-to-mid|the middle of|the end of"
# "of" only after a word that takes a year ("the end of 2023"): "a total of 1895 people" is a count
_YEAR_LEAD = (
    "in|since|year|during|until|by|from|to|early|late|mid"
    "|(?:end|beginning|start|middle|half|quarter|first|second|third|fourth) of"
)
_YEAR = re.compile(
    rf"\b(?:{_YEAR_LEAD})\s+(1[89]\d\d|20\d\d)\b(?![,.]?\d)(?!\s+(?:million|billion|thousand))",
    re.I,
)


@dataclass(frozen=True)
class Period:
    """An interval: ``start``/``end`` ISO dates or None when open or unknown."""

    start: str | None
    end: str | None
    phrase: str
    phrase_start: int = -1  # offset of the phrase in the release, -1 for a default period
    base: bool = False
    """The time of a comparison base stated with its number ("against seven in 2021"): it
    dates that number only, not the figures around it."""
    spans_words: bool = False
    """The phrase runs across words that are not part of it ("since ... in March"): numbers
    inside it are not thereby part of a period phrase."""
    refers: str = ""
    """How the phrase points back at the period in force: "" (it does not), "same" ("in the
    same period", "over the five months": that period), "year" ("during the year", "that
    year": its calendar year) or "year_end" ("by the end of that year": the last day of its
    year). ``start``/``end`` hold what the phrase means alone, for when nothing is in force."""


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _year_for(month: int, issued: dt.date) -> int:
    """A month named without a year is the latest one not after the release date."""
    return issued.year if month <= issued.month else issued.year - 1


_YR = r"((?:19|20)\d\d)"
_NOT_A_BASE = (
    r"(?<!compared with )(?<!compared to )(?<!than )(?<!over )(?<!from )"
    r"(?<!against )(?<!versus )"
)
# "this year" / "last year" after a month or a month range: "from January to May this year"
_WHICH_YEAR = r"(?:,? (?:of )?(this|last) year)?"
# The base of a comparison names a time that is not the figure's: "up 5% over the same period
# of last year", "21.7 percent fewer than a year earlier", "an increase over the end of last year"
_BASE = (
    r"\b(?:over|compared with|compared to|than|from|against|versus|on|with) "
    r"(?:that (?:of|in) |in |at |during )?"
    r"(?:the )?(?:same (?:period|time|months?|quarter) (?:of |in )?(?:the )?"
    r"(?:last|previous|prior|a) year"
    r"|(?:a|the previous|the prior|one) year (?:earlier|before|ago)|the (?:previous|prior) year"
    r"|the end of (?:last|the previous) year|last year's (?:level|figure)s?)\b"
    # "up from 31 in the same period last year": the base number and its time
    r"|\b(?:from|than|against|compared with|compared to|versus)\s+(?:about\s+|some\s+)?"
    r"\d[\d,.]*(?:\s+[a-z]+){0,2}?\s+(?:in|during) the same period (?:of |in )?(?:the )?"
    r"(?:last|previous|prior) year\b"
)
_TO = r"(?:to|and|until|through)"
_FROM = r"(?:from|between)"
_AS_OF = r"(?:as of|as at|by the end of|by|until|up to)"
_END_OF = r"(?:by|at|as of|as at|until) the end of"
_SPAN = rf"({_COUNT}) (months?|years?|quarters?)"
_UNITS = "(?:months|years|weeks|days)"
_DURING = "(?:during|in|over|for|within)"
_NTH = "(first|second|third|fourth)"
_OF_THIS = "(?: of (?:this|the) year)?"
_QUARTERS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3}
_UNIT_MONTHS = {"month": 1, "months": 1, "year": 12, "years": 12, "quarter": 3, "quarters": 3}

# (pattern, builder) pairs; builders get the match and the release date. Earlier patterns win
# over later ones that overlap them, so the longer phrases come first.
# "against seven in 2021", "compared with 5,912 in 2019": a base number right before a phrase
_BASE_NUMBER_BEFORE = re.compile(
    r"\b(?:against|compared with|compared to|versus|than|from)\s+(?:about\s+|some\s+)?"
    r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
    r"(?:\s+[a-z]+){0,2}?\s+$",
    re.I,
)
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(_BASE, re.I), "base"),
    (re.compile(rf"\b{_FROM} {_MONTH} {_YR} {_TO} {_MONTH} {_YR}\b", re.I),
     "month_year_range"),
    (re.compile(rf"\b{_FROM} {_MONTH} {_YR} {_TO} {_MONTH} (?:of )?this year\b", re.I),
     "month_year_to_this_year"),
    (re.compile(rf"\b{_FROM} {_MONTH} {_TO} {_MONTH},? {_YR}\b", re.I),
     "month_range_year"),
    (re.compile(rf"\b{_FROM} {_YR} {_TO} {_YR}\b", re.I), "year_range"),
    (re.compile(rf"(?<![\d/.-]){_YR}\s?[-–]\s?{_YR}(?![\d/.-])"), "year_range"),
    (re.compile(rf"\b{_FROM} {_MON} {_DAY} {_TO} {_MON} {_DAY}\b(?!,? \d)", re.I),
     "day_month_range"),
    (re.compile(rf"\bfrom {_MONTH} {_DAY} to {_DAY}\b", re.I), "day_range"),
    (re.compile(rf"\b{_FROM} {_MONTH} {_TO} {_MONTH}\b(?! \d){_WHICH_YEAR}", re.I), "month_range"),
    (re.compile(rf"\b{_AS_OF} {_MONTH} {_DAY},? {_YR}\b", re.I),
     "as_of_full"),
    (re.compile(rf"\b{_AS_OF} {_MONTH} {_DAY}\b", re.I),
     "as_of"),
    (re.compile(rf"\b{_END_OF} {_YR}\b", re.I), "end_of_year"),
    (re.compile(rf"\b{_END_OF} last year\b", re.I), "end_of_last_year"),
    (re.compile(rf"\b{_END_OF} this year\b", re.I), "end_of_this_year"),
    (re.compile(rf"\b{_END_OF} (?:the|that|the same) year\b", re.I), "end_of_that_year"),
    (re.compile(r"\bsince the (?:beginning|start) of (?:this|the) year\b", re.I), "year_to_date"),
    (re.compile(r"\b(?:since|so far) this year\b|\bthis year so far\b", re.I), "year_to_date"),
    (re.compile(rf"\bsince (?:the (?:beginning|start) of |early |mid-|late )?{_YR}\b", re.I),
     "since_year"),
    (re.compile(rf"\bsince\b[^.;]{{0,160}}?\bin {_MONTH}\b", re.I), "since_gap_month"),
    (re.compile(rf"\bsince (?:early |mid-|late )?{_MONTH}(?: {_DAY})?,? {_YR}\b", re.I),
     "since_month_year"),
    (re.compile(rf"\bsince (?:early |mid-|late )?{_MONTH}\b", re.I), "since_month"),
    (re.compile(rf"\bon {_MONTH} {_DAY},? {_YR}\b", re.I), "day_year"),
    (re.compile(rf"\bon {_MONTH} {_DAY}\b(?!,? \d)", re.I), "day"),
    (re.compile(rf"\b(?:in|during) (?:the )?(?:past|last|previous) {_SPAN}\b"
                rf"|\b(?:over|for) the (?:past|last) {_SPAN}\b", re.I), "past"),
    (re.compile(r"\b(?:in|during|over) the (?:past|last) (year|month)\b(?! or)", re.I), "past_one"),
    (re.compile(rf"\b(?:in|during|over|for) the same (?:period|time|{_COUNT} {_UNITS})\b"
                rf"|\b{_DURING} (?:the|this) period\b"
                rf"|\b{_DURING} (?:the|these|those) (?:{_COUNT}) {_UNITS}\b", re.I), "same"),
    (re.compile(r"\b(?:during|in|over|for|throughout) (?:that|the same) year\b|\bthat year\b",
                re.I), "that_year"),
    (re.compile(rf"\b(?:the )?{_NTH} quarter of {_YR}\b", re.I), "quarter_year"),
    (re.compile(rf"\b(?:the )?first three quarters{_OF_THIS}\b", re.I), "three_quarters"),
    (re.compile(rf"\b(?:the )?{_NTH} quarter{_OF_THIS}\b", re.I), "quarter"),
    (re.compile(rf"\bin (?:{_PART_OF_MONTH})[- ]{_MONTH}\b", re.I), "month"),
    (re.compile(rf"\b(?:in|during) {_MONTH},? {_YR}\b", re.I), "month_year"),
    (re.compile(rf"\blast {_MONTH}\b(?! \d)", re.I), "last_named_month"),
    (re.compile(rf"\b(?:in|during) {_MONTH}\b(?! \d){_WHICH_YEAR}", re.I), "month"),
    (re.compile(rf"\b(?:by|as of|as at|at|until) the end of {_MONTH}\b(?! \d){_WHICH_YEAR}", re.I),
     "as_of_month"),
    (re.compile(rf"\bthe first ({_COUNT}) months of {_YR}\b", re.I), "first_months_year"),
    (re.compile(rf"\bthe first half of {_YR}\b", re.I), "first_half_year"),
    (re.compile(rf"{_NOT_A_BASE}\b(?:in|during|throughout|for the year|for) {_YR}\b(?![,.]?\d)"
                r"(?!\s*[-–]\s*\d)", re.I), "year"),
    (re.compile(r"^((?:19|20)\d\d)\b(?=,)", re.I), "year"),
    (re.compile(rf"\b(?:the |in )first ({_COUNT}) months{_OF_THIS}\b", re.I), "first_months"),
    (re.compile(r"\bthe first half of (?:this|the) year\b"
                r"|\b(?:in|during|for) the first half\b(?! of)", re.I), "first_half"),
    (re.compile(r"\b(?:currently|at present)\b", re.I), "now"),
    (re.compile(rf"{_NOT_A_BASE}\b(?:in |during |for |throughout )?last year\b", re.I),
     "last_year"),
    (re.compile(r"\b(?:throughout|during|for|in) the (?:whole |entire )?year\b(?! \d)(?!'s)", re.I),
     "whole_year"),
    (re.compile(r"\bthis month\b", re.I), "this_month"),
    (re.compile(rf"{_NOT_A_BASE}\blast month\b", re.I), "last_month"),
    (re.compile(rf"{_NOT_A_BASE}\b(?:so far )?this year\b", re.I), "year_to_date"),
]  # fmt: skip

_PREFILTER = Prefilter(pattern for pattern, _ in _PATTERNS)
"""Which of :data:`_PATTERNS` a text may hold (kg/text/prefilter.py): most sentences hold the
words of few of them."""

# Kinds whose bounds the text alone gives, without the issue date.
_NEED_NO_DATE = {
    "month_year_range", "month_range_year", "year_range", "as_of_full", "end_of_year",
    "quarter_year", "month_year", "first_months_year", "first_half_year", "year", "day_year",
}  # fmt: skip
# Kinds that point back at the period in force (see Period.refers).
_REFERS = {
    "same": "same", "that_year": "year", "whole_year": "year", "end_of_that_year": "year_end",
}  # fmt: skip


def find_periods(
    text: str, issued: dt.date | None, offset: int = 0, year: int | None = None
) -> list[Period]:
    """All period phrases in ``text`` (a sentence), in order of appearance.

    ``year``: the year a month named without one falls in ("in March"), when the account in
    force is about one past year; otherwise the latest such month not after ``issued``.
    """
    found: list[Period] = []
    taken = _Taken()
    for (pattern, kind), may_match in zip(_PATTERNS, _PREFILTER.runnable(text), strict=True):
        if not may_match:  # no match possible: running it would find nothing
            continue
        for m in taken.new(pattern.finditer(text)):
            if kind == "base":  # the time a figure is compared with, not its own
                continue
            period = _build(kind, m, issued, offset, year)
            if kind in _REFERS:
                period = replace(period, refers=_REFERS[kind])
            if kind == "since_gap_month":
                period = replace(period, spans_words=True)
            if _BASE_NUMBER_BEFORE.search(text[max(0, m.start() - 60) : m.start()]):
                period = replace(period, base=True)
            found.append(period)
    found.sort(key=lambda p: p.phrase_start)
    return found


class _Taken:
    """The spans earlier patterns took, sorted, so that a phrase overlapping one is skipped.

    Why: a sentence can state thousands of periods (a text of "in 2020, ..." over and over);
    testing each match against every span taken made that quadratic. The matches of one
    pattern never overlap each other, so each is tested against the earlier patterns' spans
    only (one bisection), and they join those spans once the pattern is done.
    """

    def __init__(self) -> None:
        self._spans: list[tuple[int, int]] = []  # sorted and disjoint: ends are sorted too
        self._starts: list[int] = []

    def _overlaps(self, a: int, b: int) -> bool:
        i = bisect.bisect_left(self._starts, b)  # spans [0, i) start before b
        return i > 0 and self._spans[i - 1][1] > a

    def new(self, matches: Iterable[re.Match[str]]) -> Iterator[re.Match[str]]:
        """The ``matches`` of one pattern that overlap no span taken before, in order."""
        kept: list[tuple[int, int]] = []
        for m in matches:
            if not self._overlaps(m.start(), m.end()):
                kept.append(m.span())
                yield m
        if kept:
            self._spans = sorted(self._spans + kept)
            self._starts = [a for a, _ in self._spans]


def _build(
    kind: str, m: re.Match[str], issued: dt.date | None, offset: int, year: int | None = None
) -> Period:
    phrase, pos = m.group(0), m.start() + offset
    if issued is None and kind not in _NEED_NO_DATE:
        if kind == "since_year":  # the start is stated; the end is the unknown issue date
            return Period(f"{m.group(1)}-01-01", None, phrase, pos)
        if kind == "since_month_year":
            return Period(_since_day(m), None, phrase, pos)
        if kind == "month_year_to_this_year":
            return Period(f"{m.group(2)}-{MONTHS[m.group(1).lower()]:02d}-01", None, phrase, pos)
        return Period(None, None, phrase, pos)
    if kind in ("same", "that_year", "end_of_that_year") and issued is None:
        return Period(None, None, phrase, pos)
    try:
        return _bounds(kind, m, issued, phrase, pos, year)
    except ValueError:  # "February 30", "the first 13 months": no such interval
        return Period(None, None, phrase, pos)


def _since_day(m: re.Match[str]) -> str:
    """The first day of "since July 1, 2021" (the 1st of the month when no day is named)."""
    day = int(m.group(2)) if m.group(2) else 1
    return dt.date(int(m.group(3)), MONTHS[m.group(1).lower()], day).isoformat()


def _month_end(year: int, month: int) -> str:
    return dt.date(year, month, _last_day(year, month)).isoformat()


def _months_before(day: dt.date, months: int) -> dt.date:
    y, mo = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(y, mo + 1, min(day.day, _last_day(y, mo + 1)))


def _count(word: str) -> int:
    return int(word) if word.isdigit() else _COUNT_WORDS[word.lower()]


def _bounds(
    kind: str,
    m: re.Match[str],
    issued: dt.date | None,
    phrase: str,
    pos: int,
    hint: int | None = None,
) -> Period:
    g = m.group
    if kind == "month_year_range":
        a, b = MONTHS[g(1).lower()], MONTHS[g(3).lower()]
        return Period(f"{g(2)}-{a:02d}-01", _month_end(int(g(4)), b), phrase, pos)
    if kind == "month_range_year":
        a, b, year = MONTHS[g(1).lower()], MONTHS[g(2).lower()], int(g(3))
        return Period(
            f"{year if a <= b else year - 1}-{a:02d}-01", _month_end(year, b), phrase, pos
        )
    if kind == "year_range":
        if int(g(1)) > int(g(2)):
            return Period(None, None, phrase, pos)
        return Period(f"{g(1)}-01-01", f"{g(2)}-12-31", phrase, pos)
    if kind == "as_of_full":
        month, day, year = MONTHS[g(1).lower()], int(g(2)), int(g(3))
        return Period(None, dt.date(year, month, day).isoformat(), phrase, pos)
    if kind == "end_of_year":
        return Period(None, f"{g(1)}-12-31", phrase, pos)
    if kind == "quarter_year":
        q = _QUARTERS[g(1).lower()]
        return Period(f"{g(2)}-{3 * q - 2:02d}-01", _month_end(int(g(2)), 3 * q), phrase, pos)
    if kind == "month_year":
        month, year = MONTHS[g(1).lower()], int(g(2))
        return Period(f"{year}-{month:02d}-01", _month_end(year, month), phrase, pos)
    if kind == "first_months_year":
        months = _count(g(1))
        return Period(f"{g(2)}-01-01", _month_end(int(g(2)), months), phrase, pos)
    if kind == "first_half_year":
        return Period(f"{g(1)}-01-01", f"{g(1)}-06-30", phrase, pos)
    if kind == "year":
        return Period(f"{g(1)}-01-01", f"{g(1)}-12-31", phrase, pos)
    if kind == "day_year":
        iso = dt.date(int(g(3)), MONTHS[g(1).lower()], int(g(2))).isoformat()
        return Period(iso, iso, phrase, pos)
    assert issued is not None
    if kind == "same":  # nothing in force to point back at: the phrase alone says nothing
        return Period(None, None, phrase, pos)
    if kind == "that_year":
        return Period(f"{issued.year}-01-01", f"{issued.year}-12-31", phrase, pos)
    if kind == "end_of_that_year":
        return Period(None, f"{issued.year}-12-31", phrase, pos)
    if kind == "now":
        return Period(None, issued.isoformat(), phrase, pos)
    if kind == "this_month":
        return Period(f"{issued.year}-{issued.month:02d}-01", issued.isoformat(), phrase, pos)
    if kind == "last_month":
        y, mo = (issued.year, issued.month - 1) if issued.month > 1 else (issued.year - 1, 12)
        return Period(f"{y}-{mo:02d}-01", _month_end(y, mo), phrase, pos)
    if kind == "past_one":
        months = 12 if g(1).lower() == "year" else 1
        start = _months_before(issued, months)
        return Period(start.isoformat(), issued.isoformat(), phrase, pos)
    if kind == "month_year_to_this_year":
        a, b = MONTHS[g(1).lower()], MONTHS[g(3).lower()]
        return Period(f"{g(2)}-{a:02d}-01", _month_end(issued.year, b), phrase, pos)
    if kind == "since_month_year":
        return Period(_since_day(m), issued.isoformat(), phrase, pos)
    if kind == "year_to_date":
        return Period(f"{issued.year}-01-01", issued.isoformat(), phrase, pos)
    if kind == "since_year":
        return Period(f"{g(1)}-01-01", issued.isoformat(), phrase, pos)
    if kind == "end_of_last_year":
        return Period(None, f"{issued.year - 1}-12-31", phrase, pos)
    if kind == "end_of_this_year":
        return Period(None, f"{issued.year}-12-31", phrase, pos)
    if kind == "last_year":
        return Period(f"{issued.year - 1}-01-01", f"{issued.year - 1}-12-31", phrase, pos)
    if kind == "whole_year":
        return Period(f"{issued.year}-01-01", f"{issued.year}-12-31", phrase, pos)
    if kind == "past":
        count, unit = (g(1), g(2)) if g(1) else (g(3), g(4))
        months = _count(count) * _UNIT_MONTHS[unit.lower()]
        # "the past two months" up to 14 September: from 14 July, the same day of the month
        start = _months_before(issued, months)
        return Period(start.isoformat(), issued.isoformat(), phrase, pos)
    if kind in ("quarter", "three_quarters"):
        last = 3 * _QUARTERS[g(1).lower()] if kind == "quarter" else 9
        first = last - 2 if kind == "quarter" else 1
        year = issued.year if last <= issued.month else issued.year - 1
        return Period(f"{year}-{first:02d}-01", _month_end(year, last), phrase, pos)
    if kind in ("first_months", "first_half"):
        months = _count(g(1)) if kind == "first_months" else 6
        if not 1 <= months <= 12:
            return Period(None, None, phrase, pos)
        done = months < issued.month or (
            months == issued.month and issued.day == _last_day(issued.year, months)
        )
        year = issued.year if done or "this year" in phrase.lower() else issued.year - 1
        return Period(f"{year}-01-01", _month_end(year, months), phrase, pos)
    if kind == "day_month_range":
        m1, d1, m2, d2 = _month_number(g(1)), int(g(2)), _month_number(g(3)), int(g(4))
        year2 = hint if hint is not None and hint <= issued.year else _year_for(m2, issued)
        year1 = year2 if (m1, d1) <= (m2, d2) else year2 - 1
        start, end = dt.date(year1, m1, d1), dt.date(year2, m2, d2)
        return Period(start.isoformat(), end.isoformat(), phrase, pos)
    month = MONTHS[g(1).lower()]
    if kind == "last_named_month":  # "last June" in a June release: June a year before
        year = issued.year - 1 if month >= issued.month else issued.year
        return Period(f"{year}-{month:02d}-01", _month_end(year, month), phrase, pos)
    which = (m.groupdict() or {}).get("which") or (g(m.lastindex) if m.lastindex else None)
    if which and which.lower() in ("this", "last"):
        hint = issued.year if which.lower() == "this" else issued.year - 1
    year = hint if hint is not None and hint <= issued.year else _year_for(month, issued)
    if kind == "day":
        iso = dt.date(year, month, int(g(2))).isoformat()
        return Period(iso, iso, phrase, pos)
    if kind == "day_range":
        a, b = int(g(2)), int(g(3))
        if not (1 <= a <= b <= _last_day(year, month)):
            return Period(None, None, phrase, pos)
        return Period(
            dt.date(year, month, a).isoformat(), dt.date(year, month, b).isoformat(), phrase, pos
        )
    if kind == "month_range":
        month2 = MONTHS[g(2).lower()]
        year2 = year if hint is not None else _year_for(month2, issued)
        year1 = year2 if month <= month2 else year2 - 1
        return Period(f"{year1}-{month:02d}-01", _month_end(year2, month2), phrase, pos)
    if kind == "as_of":
        day = int(g(2))
        if not 1 <= day <= _last_day(year, month):
            return Period(None, None, phrase, pos)
        return Period(None, dt.date(year, month, day).isoformat(), phrase, pos)
    if kind == "as_of_month":
        return Period(None, _month_end(year, month), phrase, pos)
    if kind in ("since_month", "since_gap_month"):
        return Period(dt.date(year, month, 1).isoformat(), issued.isoformat(), phrase, pos)
    # a (part of a) month: the whole month, the phrase says which part
    return Period(f"{year}-{month:02d}-01", _month_end(year, month), phrase, pos)


_MONTH_ABBR = r"(?:Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec)\."


def period_phrase_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the period phrases of ``text``: their numbers ("the first five months",
    "between 2017 and 2021", "in the past three years") are part of the phrase, not figures.

    "since ... in March" is left out: the words between its ends are not part of the phrase.
    """
    return [
        m.span()
        for (pattern, kind), may_match in zip(_PATTERNS, _PREFILTER.runnable(text), strict=True)
        if may_match and kind not in ("since_gap_month", "base")
        for m in pattern.finditer(text)
    ]


def date_spans(text: str) -> list[tuple[int, int]]:
    """Spans of dates ("July 31", "Oct. 15", "in 2021"): their digits are not figures."""
    spans = [m.span() for m in re.finditer(rf"\b{_MONTH} {_DAY}\b", text, re.I)]
    spans += [m.span() for m in re.finditer(rf"\b{_MONTH_ABBR} ?{_DAY}\b", text)]
    spans += [m.span() for m in re.finditer(rf"\b{_MONTH} {_DAY} to {_DAY}\b", text, re.I)]
    spans += [m.span() for m in _YEAR.finditer(text)]
    return spans
