"""Step 3 of extraction, periods: which stretch of time each figure covers.

Reads the paragraphs of the release (``kg.text.segment``) and the periods their sentences state
(``kg.text.periods.find_periods``, relative to the issue date). Adds the release's default
period (:func:`default_period`), one :class:`~kg.extract.records.SentenceContext` per sentence
(:func:`sentence_contexts`: the periods it states, the period in force, the sentence read
before it) and each draft's ``period`` (:func:`assign_periods`).

Why it walks the text: a period phrase scopes what follows it in its paragraph ("From January
to May, ... . Police also seized 3 tons"), and a lead sentence ending in ":" scopes the
numbered list below it; a figure is dated by the last phrase before it in its sentence, else the
first after it, else the period in force.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import replace

from kg.extract import window
from kg.extract.cues import BASE_BEFORE
from kg.extract.records import Draft, SentenceContext
from kg.text.corpus import Release
from kg.text.periods import Period, find_periods
from kg.text.segment import Paragraph, Sentence, lead

_LIST_ITEM = re.compile(r"\(?\d{1,2}[.)、]\s|[-*•]\s")


def default_period(release: Release, paras: Sequence[Paragraph]) -> Period:
    """The first dated period the release's lead states, else "not stated".

    The lead is the first paragraph of running text (two sentences or more, or a long one):
    headlines, bylines and timestamps above it are short, and what a headline states is the
    lead's account. A single day ("at a press conference on September 9") is when something
    was said, not what the account covers. Why not "up to the release date" when nothing is
    stated: that is a guess, and a figure whose period the text does not give is better left
    without one than given a wrong one.
    """
    first = lead(paras)
    for para in [first] if first is not None else []:
        text = release.text[para.start : para.end]
        for period in find_periods(text, release.issued, para.start):
            one_day = period.start is not None and period.start == period.end
            if (period.start or period.end) and not period.refers and not one_day:
                return Period(period.start, period.end, period.phrase, -1)
        break
    return Period(None, None, "not stated", -1)


def sentence_contexts(
    release: Release, paras: Sequence[Paragraph], default: Period
) -> list[SentenceContext]:
    """Every sentence of ``paras`` in reading order, with what it inherits.

    A paragraph starts with the default period (the lead's: a release is one account unless a
    paragraph says otherwise), except the items of a numbered list, which start with the period
    their lead sentence (the paragraph ending in ":") had in force. A stated period with a date
    (or any stated period, when the issue date is unknown) stays in force until the paragraph
    ends. Phrases that point back ("in the same period", "over the five months", "during the
    year", "that year") take the last dated period stated before them, in any paragraph, and a
    month named without a year ("in March") falls in the year of the account in force when that
    is one past year. The "previous" sentence of a list item's first sentence is the lead, so
    the lead's province or operation can be inherited too.

    Args:
        release: the release (its text and issue date).
        paras: its paragraphs.
        default: its default period (:func:`default_period`); kept by identity, so a lead
            that states no period does not pass the default on as if it were stated.
    """
    out: list[SentenceContext] = []
    lead: Sentence | None = None  # "From January to May, police:" before a numbered list
    lead_period: Period | None = None
    history = _History()  # the dated periods stated so far, in reading order
    for para in paras:
        is_item = bool(_LIST_ITEM.match(para.sentences[0].text)) if para.sentences else False
        if not is_item:
            lead, lead_period = None, None
        previous: Sentence | None = lead if is_item else None
        # a paragraph's period scopes what follows
        context = lead_period or default
        for sentence in para.sentences:
            hint = _one_past_year(context if context.phrase_start >= 0 else default, release)
            stated = []
            for p in find_periods(sentence.text, release.issued, sentence.start, hint):
                p = _resolve(p, history)
                stated.append(p)
                if (p.start or p.end) and not p.base:
                    history.add(p)
            out.append(SentenceContext(sentence, previous, tuple(stated), context))
            dated = [
                p for p in stated if (p.start or p.end or release.issued is None) and not p.base
            ]
            if dated:
                context = dated[-1]
            previous = sentence
        last_sentence = para.sentences[-1] if para.sentences else None
        if last_sentence is not None and last_sentence.text.rstrip().endswith(":"):
            lead = last_sentence
            lead_period = context if context.phrase_start >= 0 else None
    return out


class _History:
    """The dated periods stated so far: the last one, and the last one about each length.

    Why the lengths: "the same five months" points back at the last period about five months
    long; looking it up by length instead of reading the periods back keeps a text of many
    such phrases linear.
    """

    def __init__(self) -> None:
        self.last: Period | None = None
        self._by_months: dict[int, Period] = {}

    def add(self, period: Period) -> None:
        """``period`` is the last one stated now, and the last about its length (a month
        either way)."""
        self.last = period
        length = _length_in_months(period)
        if length is not None:
            for months in (length - 1, length, length + 1):
                self._by_months[months] = period

    def about(self, months: int) -> Period | None:
        """The last period stated that is about ``months`` long."""
        return self._by_months.get(months)


def _resolve(period: Period, history: _History) -> Period:
    """A phrase that points back, with the bounds of the period it points at: the last one
    stated, or for "the same five months" the last one that long."""
    last = history.last
    if not period.refers or last is None:
        return period
    if period.refers == "same":
        months = _months_named(period.phrase)
        if months is not None:
            last = history.about(months) or last
        return replace(period, start=last.start, end=last.end)
    year = (last.end or last.start or "")[:4]
    if not year:
        return period
    if period.refers == "year":
        return replace(period, start=f"{year}-01-01", end=f"{year}-12-31")
    return replace(period, start=None, end=f"{year}-12-31")


_MONTHS_NAMED = re.compile(
    r"\b(\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|eleven) months\b", re.I
)
_NUMBER_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven")


def _months_named(phrase: str) -> int | None:
    m = _MONTHS_NAMED.search(phrase)
    if m is None:
        return None
    word = m.group(1).lower()
    return int(word) if word.isdigit() else _NUMBER_WORDS.index(word) + 2


def _length_in_months(period: Period) -> int | None:
    """How many calendar months ``period`` touches, when both its bounds are known."""
    if not (period.start and period.end):
        return None
    a, b = period.start, period.end
    return (int(b[:4]) - int(a[:4])) * 12 + int(b[5:7]) - int(a[5:7]) + 1


def _one_past_year(period: Period | None, release: Release) -> int | None:
    """The year of ``period`` when it lies within one calendar year before the issue year."""
    if period is None or release.issued is None or not period.end:
        return None
    year = int(period.end[:4])
    if period.start and int(period.start[:4]) != year:
        return None
    return year if year < release.issued.year else None


def figure_period(
    pos: int,
    stated: Sequence[Period],
    default: Period,
    clause: tuple[int, int] | None = None,
) -> Period:
    """The period phrase of the figure at ``pos``: the nearest one in its clause (the last
    before it, else the first after it), else the last one before it in its sentence, else the
    first after it, else ``default`` (the period in force).

    Why the clause first: "In 2020, 427,000 users were caught, and 3 million had stayed clean
    by the end of last year" dates each figure by the phrase of its own clause.
    """
    # a base's own time ("against seven in 2021") dates only the number right before it
    stated = [p for p in stated if not p.base or 0 <= p.phrase_start - pos <= _BASE_REACH]
    if clause is not None:
        near = [p for p in stated if clause[0] <= p.phrase_start < clause[1]]
        before = [p for p in near if p.phrase_start <= pos]
        if before:
            return before[-1]
        if near:
            return near[0]
    before = [p for p in stated if p.phrase_start <= pos]
    if before:
        return before[-1]
    return stated[0] if stated else default


_BASE_REACH = 40
"""A base's time phrase dates the number at most this many characters before it."""


class StatedPeriods:
    """The periods one sentence states, by position: :func:`figure_period` for each of its
    figures with one bisection or two, instead of a pass over all of them.

    Why: a sentence may state thousands of periods and hold thousands of figures (a text of
    "in 2020, 12 kg; in 2021, 13 kg; ..."); reading every period for every figure made that
    quadratic. ``stated`` must be in order of position, as ``SentenceContext.stated`` is.
    """

    def __init__(self, stated: Sequence[Period]) -> None:
        """Split ``stated`` into the sentence's own periods and the times of bases."""
        own = [(p.phrase_start, i) for i, p in enumerate(stated) if not p.base]
        bases = [(p.phrase_start, i) for i, p in enumerate(stated) if p.base]
        self._stated = stated
        self._own, self._own_at = own, [a for a, _ in own]
        self._bases, self._base_at = bases, [a for a, _ in bases]

    def _candidates(self, pos: int) -> list[tuple[int, int]]:
        """The bases that may date the figure at ``pos`` (those right after it)."""
        lo = bisect.bisect_left(self._base_at, pos)
        return self._bases[lo : bisect.bisect_right(self._base_at, pos + _BASE_REACH)]

    def _last(self, near: list[tuple[int, int]], lo: int | None, hi: int) -> tuple[int, int] | None:
        """The last own period or base of ``near`` whose phrase starts in ``[lo, hi]``."""
        j = bisect.bisect_right(self._own_at, hi) - 1
        found = [self._own[j]] if j >= 0 and (lo is None or self._own_at[j] >= lo) else []
        found += [b for b in near if (lo is None or lo <= b[0]) and b[0] <= hi]
        return max(found) if found else None

    def _first(self, near: list[tuple[int, int]], lo: int, hi: int) -> tuple[int, int] | None:
        """The first own period or base of ``near`` whose phrase starts in ``[lo, hi)``."""
        j = bisect.bisect_left(self._own_at, lo)
        found = [self._own[j]] if j < len(self._own) and self._own_at[j] < hi else []
        found += [b for b in near if lo <= b[0] < hi]
        return min(found) if found else None

    def period_at(self, pos: int, default: Period, clause: tuple[int, int] | None = None) -> Period:
        """What :func:`figure_period` says for the figure at ``pos``."""
        near = self._candidates(pos)
        if clause is not None:
            found = self._last(near, clause[0], min(pos, clause[1] - 1))
            found = found or self._first(near, clause[0], clause[1])
            if found:
                return self._stated[found[1]]
        found = self._last(near, None, pos)
        if found is None:
            heads = ([self._own[0]] if self._own else []) + near[:1]
            found = min(heads) if heads else None
        return self._stated[found[1]] if found else default


def flows_to_instants(drafts: Sequence[Draft], context: SentenceContext) -> None:
    """A count over time dated only by when it was counted up to ("By the end of June, the
    operation had cracked 186 cases") runs from the start of the period in force ("Since
    March, ...") to that day. Stocks keep their instant. Needs the indicators.
    """
    since = context.period
    for d in drafts:
        p = d.period
        if p is None or p.start or not p.end or d.indicator is None or d.indicator.stock:
            continue
        if d.is_change or d.kind == "percent":  # a change or share is dated like its figure
            continue
        if since.start and since.start <= p.end and since is not p:
            d.period = replace(p, start=since.start)


_A_YEAR_EARLIER = re.compile(
    r"[^,;.]{0,30}?\b(?:(?:in|during) the same period (?:of |in )?(?:the )?(?:last|previous|prior)"
    r" year|a year (?:earlier|before|ago)|(?:in|during) the previous year)\b",
    re.I,
)


def _year_earlier(p: Period) -> Period:
    """``p`` one year earlier (29 February becomes 28 February)."""

    def back(day: str | None) -> str | None:
        if day is None:
            return None
        y, m, d = (int(x) for x in day.split("-"))
        return f"{y - 1:04d}-{m:02d}-{min(d, 28) if (m, d) == (2, 29) else d:02d}"

    return replace(p, start=back(p.start), end=back(p.end))


_PEAK = re.compile(
    r"\b(?:a|the|its) (?:peak|high|record|maximum) of\s+(?:over |more than |about |nearly )?$"
)


def assign_periods(drafts: Sequence[Draft], context: SentenceContext, text: str = "") -> None:
    """Set ``period`` on each draft of the sentence of ``context``.

    "fallen from a peak of 160,000 to 35,000 in 2022": the peak's year is not stated, and the
    period phrase of its clause belongs to the figure after it.
    """
    stated = StatedPeriods(context.stated)
    for d in drafts:
        before = window.cue_before(text, d.clause[0], d.num.start) if text else ""
        if _PEAK.search(before):
            d.period = Period(None, None, "not stated", -1)
            continue
        d.period = stated.period_at(d.num.start, context.period, d.clause)
        # "58 parcels, up from 31 in the same period last year": the base is a year earlier
        if BASE_BEFORE.search(before) and _A_YEAR_EARLIER.match(text, d.unit_end):
            d.period = _year_earlier(d.period)
