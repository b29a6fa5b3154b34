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

import re
from collections.abc import Sequence
from dataclasses import replace

from kg.extract.records import Figure
from kg.text.segment import Paragraph

_LEAD_MIN_CHARS = 120  # as kg.extract.periods: a paragraph this long is running text
_OF_THOSE = re.compile(
    r"^\W*(?:(?:Of|Among) (?:the|those|these|all (?:the|those|these))\s+(?:[^,;.]|\.\d){3,80}?,"
    r"|(?:Among|Of) (?:them|these|those|which)\b,?)",
    re.I,
)


def lead_start(paras: Sequence[Paragraph]) -> int:
    """Where the lead (the first paragraph of running text) starts; 0 when there is none."""
    for para in paras:
        if len(para.sentences) >= 2 or para.end - para.start >= _LEAD_MIN_CHARS:
            return para.start
    return 0


def headline_restatements(figures: Sequence[Figure], paras: Sequence[Paragraph]) -> list[Figure]:
    """``figures`` with each headline figure attributed like the body figure it restates."""
    lead = lead_start(paras)
    out = list(figures)
    for i, f in enumerate(figures):
        if f.start >= lead or f.value is None:
            continue
        body = next(
            (b for b in figures if b.start >= lead and b.value == f.value and b.unit == f.unit),
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
        if not _OF_THOSE.match(text[s.start : f.start]):
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
