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

from kg.extract.cues import SUBSET_OPENER
from kg.extract.records import Figure
from kg.text.segment import Paragraph, lead


def headline_restatements(figures: Sequence[Figure], paras: Sequence[Paragraph]) -> list[Figure]:
    """``figures`` with each headline figure attributed like the body figure it restates."""
    first = lead(paras)
    lead_at = first.start if first is not None else 0
    out = list(figures)
    for i, f in enumerate(figures):
        if f.start >= lead_at or f.value is None:
            continue
        body = next(
            (b for b in figures if b.start >= lead_at and b.value == f.value and b.unit == f.unit),
            None,
        )
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
    """``figures`` with those of an "Of those cases," sentence linked to their whole."""
    out = list(figures)
    for i, f in enumerate(figures):
        s = f.sentence
        if f.part_of is not None or f.change_of is not None:
            continue
        if not SUBSET_OPENER.match(text[s.start : f.start]):
            continue
        whole = next(
            (
                w
                for w in reversed(figures[:i])
                if w.sentence.start < s.start
                and w.indicator == f.indicator
                and w.unit == f.unit
                and w.part_of is None
                and w.change_of is None
            ),
            None,
        )
        if whole is not None:
            out[i] = replace(f, part_of=(whole.start, whole.end))
    return out
