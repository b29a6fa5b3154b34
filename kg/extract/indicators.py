"""Step 7 of extraction, indicators: what each figure counts (cases solved, drugs seized...).

Reads the drafts (``kind``, ``tail``, ``clause`` from ``kg.extract.numbers``; ``is_change`` and
``part_of`` from ``kg.extract.changes``) and the measure book's indicators. Adds ``indicator``
in two steps with a non-figure check between them (``kg.extract.nonfigures``
``.drop_compound_adjectives`` reads the figure's own indicator):

1. :func:`assign_indicators`: a change counts the year-on-year change (or the absolute or
   average annual change); any other figure the first indicator of its kind whose ``tail``
   pattern (or ``framed`` pair) matches the words after it, else whose ``tail`` matches what
   the words before it name as counted ("the number of registered drug users ... was", "Of
   those cases, 87 ..."), else the first whose ``context`` pattern matches its clause, else its
   kind's fallback.
2. :func:`inherit_from_totals`: a part whose own indicator is a fallback ("of which 1.9 tons
   were heroin") takes its total's.

Why after changes: whether a percentage is a change decides what it counts, and a part can
only inherit once it is linked to its total.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from kg.extract import window
from kg.extract.cues import BASE_BEFORE, SUBSET_OPENER
from kg.extract.measures import Indicator, MeasureBook
from kg.extract.records import Draft
from kg.extract.window import Scans

# "the number of registered drug users dropped ... to 2.404 million": what is counted is named
# before the number, as the subject of its clause
_NUMBER_OF = re.compile(
    r"\b(?:number|total) of\s+(?P<np>(?:[\w-]+\s+){0,12}?[\w-]+?)\s+(?:(?:had|has|have)\s+)?"
    r"(?:was|were|is|are|been|stood|reached|dropped|fell|fallen|rose|risen|declined|decreased|"
    r"increased|shrank|shrunk|grew|grown|climbed|came|amounted|totall?ed)\b",
    re.I,
)


def _subject(text: str, d: Draft) -> str:
    """What the words before a figure say it counts, as a tail (" registered drug users")."""
    before = window.before(text, d.clause[0], d.num.start)
    low = before.lower()  # (the words the pattern needs, before trying it at every character)
    found = list(_NUMBER_OF.finditer(before)) if "number of" in low or "total of" in low else []
    if found:
        return " " + found[-1].group("np")
    opener = SUBSET_OPENER.match(window.opening(text, d.segment[0], d.num.start))
    return " " + opener.group("np") if opener and opener.group("np") else ""


# "suspects caught in the case": the head of a noun phrase, before what qualifies it
_QUALIFIER_START = re.compile(r"\s(?:in|of|at|by|from|for|with|who|that|which|whose|during)\s")


def _subjects(text: str, d: Draft) -> list[str]:
    """What the words before a figure name as counted: its head first, then the whole."""
    whole = _subject(text, d)
    head = _QUALIFIER_START.split(whole, maxsplit=1)[0]
    return [head, whole] if head != whole else [whole] if whole else []


class ClauseIndicators:
    """What the clause-wide patterns of the indicators say, once per clause and kind of figure:
    which indicators a figure may have (``requires``) and which one its clause's words name
    (``context``).

    Why: both depend on the clause only, and a clause may hold thousands of figures (all of a
    text with no punctuation); asked once per clause, they cost nothing per figure. The figures
    of a clause come one after another: only the last clause of each kind is remembered.
    """

    def __init__(self, book: MeasureBook, scans: Scans) -> None:
        """``scans``: the release's stretch searches."""
        self.book = book
        self.scans = scans
        self._candidates: dict[str, tuple[tuple[int, int], list[Indicator]]] = {}
        self._by_context: dict[str, tuple[tuple[int, int], Indicator | None]] = {}

    def candidates(self, kind: str, clause: tuple[int, int]) -> list[Indicator]:
        """The indicators (not fallbacks) of ``kind`` whose ``requires`` the clause meets."""
        last = self._candidates.get(kind)
        if last is None or last[0] != clause:
            found = [
                i
                for i in self.book.indicators
                if kind in i.kinds
                and not i.fallback
                and (not i.requires or any(self._search(p, clause) for p in i.requires))
            ]
            last = self._candidates[kind] = (clause, found)
        return last[1]

    def by_context(self, kind: str, clause: tuple[int, int]) -> Indicator | None:
        """The first candidate whose ``context`` pattern matches the clause, if any."""
        last = self._by_context.get(kind)
        if last is None or last[0] != clause:
            named = next(
                (
                    ind
                    for ind in self.candidates(kind, clause)
                    if any(self._search(p, clause) for p in ind.context)
                ),
                None,
            )
            last = self._by_context[kind] = (clause, named)
        return last[1]

    def _search(self, pattern: re.Pattern[str], clause: tuple[int, int]) -> bool:
        return self.scans.search(pattern, *clause)


def own_indicator(
    text: str, d: Draft, book: MeasureBook, clauses: ClauseIndicators | None = None
) -> Indicator:
    """The indicator of ``d`` from its own words (not its total's).

    ``clauses``: what the clause-wide patterns say (:class:`ClauseIndicators`), shared by the
    figures of a sentence; made here when not given.
    """
    if d.is_change:
        if d.kind != "percent":
            return book.indicator("absolute-change")
        if d.average:
            return book.indicator("average-annual-change")
        return book.indicator("year-on-year-change")
    clauses = clauses or ClauseIndicators(book, Scans(text))
    candidates = clauses.candidates(d.kind, d.clause)
    tail = window.after(text, d.tail[0], d.tail[1])
    before = window.cue_before(text, d.clause[0], d.num.start)
    for ind in candidates:
        # (each framed pair's tail first: anchored, it fails at once on most figures)
        if any(p.search(tail) for p in ind.tail) or any(
            t.search(tail) and b.search(before) for b, t in ind.framed
        ):
            return ind
    for subject in _subjects(text, d):
        for ind in candidates:
            if any(p.search(subject) for p in ind.tail):
                return ind
    named = clauses.by_context(d.kind, d.clause)
    if named is not None:
        return named
    for ind in book.indicators:
        if ind.fallback and d.kind in ind.kinds:
            return ind
    if d.kind == "duration":
        return book.indicator("operation-duration")
    return book.indicator("share") if d.kind == "percent" else book.indicator("other-count")


def assign_indicators(
    text: str, drafts: Sequence[Draft], book: MeasureBook, scans: Scans | None = None
) -> None:
    """Set each draft's ``indicator`` to :func:`own_indicator` (``scans``: the release's)."""
    clauses = ClauseIndicators(book, scans or Scans(text))
    for d in drafts:
        d.indicator = own_indicator(text, d, book, clauses)


def date_stocks(drafts: Sequence[Draft]) -> None:
    """A stock (registered drug users) is counted at an instant: the end of its period.

    "The province has 654,000 registered drug addicts" in an account of January to May is the
    number at the end of May, not a count over the five months.
    """
    for d in drafts:
        p = d.period
        if d.indicator is not None and d.indicator.stock and p is not None and p.start and p.end:
            d.period = replace(p, start=None)


def inherit_from_totals(drafts: Sequence[Draft], text: str = "") -> None:
    """A part whose indicator is a fallback takes its total's (own) indicator; so does the
    base of a change stated after it ("23 passengers, up from 9"), from the figure before it.

    The total may have been dropped since (a compound adjective); its indicator still counts.
    Every inherited value is read before any is written, so only own indicators pass on.
    """
    inherited = []
    for i, d in enumerate(drafts):
        fallback = d.indicator is not None and d.indicator.fallback
        before = window.cue_before(text, d.clause[0], d.num.start) if text else ""
        if d.part_of is None and fallback and i and BASE_BEFORE.search(before):
            prev = drafts[i - 1]
            if prev.kind == d.kind and prev.indicator is not None and not prev.is_change:
                inherited.append((d, prev.indicator))
            continue
        if d.part_of is None or d.indicator is None or not d.indicator.fallback:
            continue
        if d.part_of.indicator is None:
            raise ValueError("inherit_from_totals needs assign_indicators on the totals first")
        inherited.append((d, d.part_of.indicator))
    for d, indicator in inherited:
        d.indicator = indicator
