"""Step 7 of extraction, indicators: what each figure counts (cases solved, drugs seized...).

Reads the drafts (``kind``, ``tail``, ``clause`` from ``kg.extract.numbers``; ``is_change`` and
``part_of`` from ``kg.extract.changes``) and the measure book's indicators. Adds ``indicator``
in two steps with a non-figure check between them (``kg.extract.nonfigures``
``.drop_compound_adjectives`` reads the figure's own indicator):

1. :func:`assign_indicators`: a change counts the year-on-year change; any other figure the
   first indicator of its kind whose ``tail`` pattern matches the words after it, else the
   first whose ``context`` pattern matches its clause, else its kind's fallback.
2. :func:`inherit_from_totals`: a part whose own indicator is a fallback ("of which 1.9 tons
   were heroin") takes its total's.

Why after changes: whether a percentage is a change decides what it counts, and a part can
only inherit once it is linked to its total.
"""

from __future__ import annotations

from collections.abc import Sequence

from kg.extract.measures import Indicator, MeasureBook
from kg.extract.records import Draft


def own_indicator(text: str, d: Draft, book: MeasureBook) -> Indicator:
    """The indicator of ``d`` from its own words (not its total's)."""
    if d.is_change:
        if d.kind != "percent":
            return book.indicator("absolute-change")
        if d.average:
            return book.indicator("average-annual-change")
        return book.indicator("year-on-year-change")
    clause = text[d.clause[0] : d.clause[1]]
    candidates = [
        i
        for i in book.indicators
        if d.kind in i.kinds
        and not i.fallback
        and (not i.requires or any(p.search(clause) for p in i.requires))
    ]
    tail = text[d.tail[0] : d.tail[1]]
    before = text[d.clause[0] : d.num.start]
    for ind in candidates:
        if any(p.search(tail) for p in ind.tail) or any(
            b.search(before) and t.search(tail) for b, t in ind.framed
        ):
            return ind
    for ind in candidates:
        if any(p.search(clause) for p in ind.context):
            return ind
    for ind in book.indicators:
        if ind.fallback and d.kind in ind.kinds:
            return ind
    if d.kind == "duration":
        return book.indicator("operation-duration")
    return book.indicator("share") if d.kind == "percent" else book.indicator("other-count")


def assign_indicators(text: str, drafts: Sequence[Draft], book: MeasureBook) -> None:
    """Set each draft's ``indicator`` to :func:`own_indicator`."""
    for d in drafts:
        d.indicator = own_indicator(text, d, book)


def inherit_from_totals(drafts: Sequence[Draft]) -> None:
    """A part whose indicator is a fallback takes its total's (own) indicator.

    The total may have been dropped since (a compound adjective); its indicator still counts.
    Every inherited value is read before any is written, so only own indicators pass on.
    """
    inherited = []
    for d in drafts:
        if d.part_of is None or d.indicator is None or not d.indicator.fallback:
            continue
        if d.part_of.indicator is None:
            raise ValueError("inherit_from_totals needs assign_indicators on the totals first")
        inherited.append((d, d.part_of.indicator))
    for d, indicator in inherited:
        d.indicator = indicator
