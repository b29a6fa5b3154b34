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

import re
from collections.abc import Sequence

from kg.extract.records import Draft, SentenceContext
from kg.text.corpus import Release
from kg.text.periods import Period, find_periods
from kg.text.segment import Paragraph, Sentence

_LIST_ITEM = re.compile(r"\(?\d{1,2}[.)、]\s|[-*•]\s")


def default_period(release: Release, paras: Sequence[Paragraph]) -> Period:
    """The first period the opening paragraph states, else up to the release date."""
    if paras:
        first = paras[0]
        found = find_periods(release.text[first.start : first.end], release.issued, first.start)
        for period in found:
            if period.start or period.end:
                return Period(period.start, period.end, period.phrase, -1)
    end = release.issued.isoformat() if release.issued else None
    return Period(None, end, "up to the release date" if end else "unknown", -1)


def sentence_contexts(
    release: Release, paras: Sequence[Paragraph], default: Period
) -> list[SentenceContext]:
    """Every sentence of ``paras`` in reading order, with what it inherits.

    A paragraph starts with the default period in force, except the items of a numbered list,
    which start with the period their lead sentence (the paragraph ending in ":") had in force.
    A stated period with a date (or any stated period, when the issue date is unknown) stays in
    force until the paragraph ends. The "previous" sentence of a list item's first sentence is
    the lead, so the lead's province or operation can be inherited too.

    Args:
        release: the release (its text and issue date).
        paras: its paragraphs.
        default: its default period (:func:`default_period`); kept by identity, so a lead
            that states no period does not pass the default on as if it were stated.
    """
    out: list[SentenceContext] = []
    lead: Sentence | None = None  # "From January to May, police:" before a numbered list
    lead_period: Period | None = None
    for para in paras:
        is_item = bool(_LIST_ITEM.match(para.sentences[0].text)) if para.sentences else False
        if not is_item:
            lead, lead_period = None, None
        previous: Sentence | None = lead if is_item else None
        context = lead_period or default  # a paragraph's period scopes what follows
        for sentence in para.sentences:
            stated = find_periods(sentence.text, release.issued, sentence.start)
            out.append(SentenceContext(sentence, previous, tuple(stated), context))
            if stated and (stated[-1].start or stated[-1].end or release.issued is None):
                context = stated[-1]
            previous = sentence
        last = para.sentences[-1] if para.sentences else None
        if last is not None and last.text.rstrip().endswith(":"):
            lead, lead_period = last, (context if context is not default else None)
    return out


def figure_period(pos: int, stated: Sequence[Period], default: Period) -> Period:
    """The last period phrase before ``pos`` in its sentence, else the first after it, else
    ``default`` (the period in force)."""
    before = [p for p in stated if p.phrase_start <= pos]
    if before:
        return before[-1]
    return stated[0] if stated else default


def assign_periods(drafts: Sequence[Draft], context: SentenceContext) -> None:
    """Set ``period`` on each draft of the sentence of ``context``."""
    for d in drafts:
        d.period = figure_period(d.num.start, context.stated, context.period)
