"""Step 8 of extraction, restatements: figures that repeat or narrow figures stated elsewhere.

Reads the finished figures of a release (``kg.extract.records.Figure``), its text and its
paragraphs. Changes two things, both across sentences (the stages before work one sentence at
a time):

- :func:`headline_restatements`: a figure above the lead (a headline: "Police seize 412 kg of
  drugs in joint operation") restates a figure of the body with the same number and unit; it
  takes that figure's measure, areas, locality, period and subjects. Why: a headline is too
  short to say where and when, and the body says it.
- :func:`subset_openers`: a sentence opening with "Of those cases," or "Of the registered
  users," states parts of a figure stated before it; its figures become parts (``part_of``) of
  the last earlier figure with the same measure, so that no check or sum takes a part for a
  second statement of the whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from kg.extract import window
from kg.extract.cues import SUBSET_OPENER
from kg.extract.records import Figure
from kg.text.segment import Paragraph, lead


def headline_restatements(figures: Sequence[Figure], paras: Sequence[Paragraph]) -> list[Figure]:
    """``figures`` with each headline figure attributed like the body figure it restates."""
    first = lead(paras)
    lead_at = first.start if first is not None else 0
    # the first body figure of each value and unit (a lookup, not a pass over the body for
    # each headline figure: a release of many short lines is all headline)
    bodies: dict[tuple[Decimal | None, str], Figure] = {}
    for b in figures:
        if b.start >= lead_at:
            bodies.setdefault((b.value, b.unit), b)
    out = list(figures)
    for i, f in enumerate(figures):
        if f.start >= lead_at or f.value is None:
            continue
        body = bodies.get((f.value, f.unit))
        if body is not None:
            out[i] = replace(
                f,
                indicator=body.indicator,
                areas=body.areas,
                locality=body.locality,
                period=body.period,
                operation=body.operation,
                offence=body.offence,
                substance=body.substance,
                agency=body.agency,
            )
    return out


def subset_openers(text: str, figures: Sequence[Figure]) -> list[Figure]:
    """``figures`` (in reading order) with those of an "Of those cases," sentence linked to
    their whole: the last figure of an earlier sentence with the same measure that is neither
    a part nor a change."""
    out = list(figures)
    # the last such figure of each measure in the sentences before the current one; a running
    # note instead of a look back over every figure before each one
    wholes: dict[tuple[str, str], Figure] = {}
    pending: list[Figure] = []  # the current sentence's figures, noted when it is done
    for i, f in enumerate(figures):
        s = f.sentence
        if pending and pending[-1].sentence.start < s.start:
            for w in pending:
                wholes[(w.indicator, w.unit)] = w
            pending = []
        if f.part_of is None and f.change_of is None:
            pending.append(f)
        else:
            continue
        if not SUBSET_OPENER.match(window.opening(text, s.start, f.start)):
            continue
        whole = wholes.get((f.indicator, f.unit))
        if whole is not None:
            out[i] = replace(f, part_of=(whole.start, whole.end))
    return out
