"""Turn period phrases ("From January to August", "As of July 31") into ISO date bounds.

Why: the translated texts never state the year; the release metadata does. A phrase becomes an
interval only when the year is known; otherwise it stays relative (bounds None) and the phrase
is kept so users can see why.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December)"
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


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _year_for(month: int, issued: dt.date) -> int:
    """A month named without a year is the latest one not after the release date."""
    return issued.year if month <= issued.month else issued.year - 1


# (pattern, builder) pairs; builders get the match and the release date
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\bfrom {_MONTH} {_DAY} to {_DAY}\b", re.I), "day_range"),
    (re.compile(rf"\bfrom {_MONTH} to {_MONTH}\b", re.I), "month_range"),
    (re.compile(rf"\b(?:as of|as at|by the end of|by|until|up to) {_MONTH} {_DAY}\b", re.I),
     "as_of"),
    (re.compile(r"\bsince the (?:beginning|start) of (?:this|the) year\b", re.I), "year_to_date"),
    (re.compile(rf"\bsince\b[^.;]{{0,160}}?\bin {_MONTH}\b", re.I), "since_month"),
    (re.compile(rf"\bsince (?:early |mid-|late )?{_MONTH}\b", re.I), "since_month"),
    (re.compile(rf"\bin (?:{_PART_OF_MONTH})[- ]{_MONTH}\b", re.I), "month"),
    (re.compile(rf"\b(?:in|during) {_MONTH}\b(?! \d)", re.I), "month"),
    (re.compile(rf"\bby the end of {_MONTH}\b(?! \d)", re.I), "as_of_month"),
    (re.compile(r"\b(?:in|during|throughout|for the year) ((?:19|20)\d\d)\b(?![,.]?\d)", re.I),
     "year"),
    (re.compile(rf"\bthe first ({_COUNT}) months of (?:this|the) year\b", re.I), "first_months"),
    (re.compile(r"\bthe first half of (?:this|the) year\b", re.I), "first_half"),
]  # fmt: skip


def find_periods(text: str, issued: dt.date | None, offset: int = 0) -> list[Period]:
    """All period phrases in ``text`` (a sentence), in order of appearance."""
    found: list[Period] = []
    taken: list[tuple[int, int]] = []
    for pattern, kind in _PATTERNS:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append(_build(kind, m, issued, offset))
    found.sort(key=lambda p: p.phrase_start)
    return found


def _build(kind: str, m: re.Match[str], issued: dt.date | None, offset: int) -> Period:
    phrase, pos = m.group(0), m.start() + offset
    if issued is None:
        return Period(None, None, phrase, pos)
    if kind == "year_to_date":
        return Period(f"{issued.year}-01-01", issued.isoformat(), phrase, pos)
    if kind == "year":
        return Period(f"{m.group(1)}-01-01", f"{m.group(1)}-12-31", phrase, pos)
    if kind in ("first_months", "first_half"):
        word = m.group(1).lower() if kind == "first_months" else "six"
        months = int(word) if word.isdigit() else _COUNT_WORDS[word]
        if not 1 <= months <= 12:
            return Period(None, None, phrase, pos)
        done = months < issued.month or (
            months == issued.month and issued.day == _last_day(issued.year, months)
        )
        year = issued.year if done or "this year" in phrase.lower() else issued.year - 1
        end = dt.date(year, months, _last_day(year, months))
        return Period(f"{year}-01-01", end.isoformat(), phrase, pos)
    month = MONTHS[m.group(1).lower()]
    year = _year_for(month, issued)
    if kind == "day_range":
        a, b = int(m.group(2)), int(m.group(3))
        if not (1 <= a <= b <= _last_day(year, month)):
            return Period(None, None, phrase, pos)
        return Period(
            dt.date(year, month, a).isoformat(), dt.date(year, month, b).isoformat(), phrase, pos
        )
    if kind == "month_range":
        month2 = MONTHS[m.group(2).lower()]
        year2 = _year_for(month2, issued)
        year1 = year2 if month <= month2 else year2 - 1
        return Period(
            dt.date(year1, month, 1).isoformat(),
            dt.date(year2, month2, _last_day(year2, month2)).isoformat(),
            phrase,
            pos,
        )
    if kind == "as_of":
        day = int(m.group(2))
        if not 1 <= day <= _last_day(year, month):
            return Period(None, None, phrase, pos)
        return Period(None, dt.date(year, month, day).isoformat(), phrase, pos)
    if kind == "as_of_month":
        return Period(None, dt.date(year, month, _last_day(year, month)).isoformat(), phrase, pos)
    if kind == "since_month":
        return Period(dt.date(year, month, 1).isoformat(), issued.isoformat(), phrase, pos)
    # a (part of a) month: the whole month, the phrase says which part
    return Period(
        dt.date(year, month, 1).isoformat(),
        dt.date(year, month, _last_day(year, month)).isoformat(),
        phrase,
        pos,
    )


_MONTH_ABBR = r"(?:Jan|Feb|Mar|Apr|Aug|Sept?|Oct|Nov|Dec)\."


def date_spans(text: str) -> list[tuple[int, int]]:
    """Spans of dates ("July 31", "Oct. 15", "in 2021"): their digits are not figures."""
    spans = [m.span() for m in re.finditer(rf"\b{_MONTH} {_DAY}\b", text, re.I)]
    spans += [m.span() for m in re.finditer(rf"\b{_MONTH_ABBR} ?{_DAY}\b", text)]
    spans += [m.span() for m in re.finditer(rf"\b{_MONTH} {_DAY} to {_DAY}\b", text, re.I)]
    spans += [m.span() for m in _YEAR.finditer(text)]
    return spans
