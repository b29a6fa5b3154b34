"""Step 6 of extraction, lists and changes: year-on-year changes, parts of totals, lists.

Reads the drafts of one sentence (``num``, ``kind``, ``unit_end``, ``clause`` from
``kg.extract.numbers``) and the measure book's ``up``, ``down``, ``year_on_year``,
``respectively`` and ``part_cues`` phrases. Adds ``is_change``, ``direction`` and
``change_of`` (the span of the figure a change changes) and ``part_of`` (the total a figure is
a part of). :func:`link` runs the three steps in the order they depend on each other:

1. :func:`mark_changes`: a percentage after "up", "down", "an increase of"..., or near "year on
   year", is a change, not a share.
2. :func:`link_parts`: a figure after "of which" or "including" is a part of the last total of
   its kind before it; the figures listed right after a part are parts of the same total.
3. :func:`link_changes`: consecutive changes form a group that shares one direction; a group
   followed by "respectively" goes, in order, to as many figures before it; any other change
   goes to the last figure before it. Neither changes nor parts are bases.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kg.extract.cues import ends_with_phrase
from kg.extract.measures import MeasureBook
from kg.extract.records import Draft
from kg.text.segment import Sentence

_YOY_ARTICLE = re.compile(r"\b(?:a|an|the)\s+(?:year-on-year|year on year)\s+", re.I)
_LIST_GAP = re.compile(r"[\s,]*(?:and\s*)?")
_PART_LIST_BREAK = re.compile(r"[;.]|\bwhile\b")


def link(text: str, sentence: Sentence, drafts: Sequence[Draft], measures: MeasureBook) -> None:
    """Mark the changes of one sentence, link parts to totals and changes to their bases."""
    mark_changes(text, sentence, drafts, measures)
    link_parts(text, drafts, measures.part_cues)
    link_changes(text, drafts, measures.respectively)


def mark_changes(
    text: str, sentence: Sentence, drafts: Sequence[Draft], measures: MeasureBook
) -> None:
    """Set ``is_change`` and ``direction`` on the percentages that state a change.

    The direction comes from the words just before the number in its clause ("a year-on-year
    decrease of 6.1%" reads as "decrease of"); "year on year" within 60 characters before or 80
    after marks a change even when no direction is stated.
    """
    for d in drafts:
        if d.kind != "percent":
            continue
        before = text[max(d.clause[0], d.num.start - 40) : d.num.start]
        before = _YOY_ARTICLE.sub(" ", before)
        if ends_with_phrase(before, measures.up):
            d.direction = "up"
        elif ends_with_phrase(before, measures.down):
            d.direction = "down"
        window = text[
            max(sentence.start, d.num.start - 60) : min(sentence.end, d.num.end + 80)
        ].lower()
        yoy = any(p.lower() in window for p in measures.year_on_year)
        d.is_change = d.direction is not None or yoy


def link_parts(text: str, drafts: Sequence[Draft], part_cues: Sequence[str]) -> None:
    """ "3 tons of drugs, of which 1.9 tons were heroin and 0.4 tons ketamine": set ``part_of``.

    Needs :func:`mark_changes` first: a change is never a part nor a total.
    """
    for i, d in enumerate(drafts):
        if d.is_change or i == 0:
            continue
        prev = drafts[i - 1]
        lead = text[max(0, d.num.start - 30) : d.num.start]
        total: Draft | None = None
        if ends_with_phrase(lead, part_cues):
            total = next(
                (
                    t for t in reversed(drafts[:i])
                    if not t.is_change and t.part_of is None and t.kind == d.kind
                ),
                None,
            )  # fmt: skip
        elif prev.part_of is not None and prev.kind == d.kind:
            gap = text[prev.unit_end : d.num.start]
            if len(gap) < 60 and not _PART_LIST_BREAK.search(gap):
                total = prev.part_of
        d.part_of = total


def link_changes(text: str, drafts: Sequence[Draft], respectively: Sequence[str]) -> None:
    """Group consecutive changes ("up 6%, 3.9%, and 16.5% respectively") and set ``change_of``.

    Needs :func:`mark_changes` and :func:`link_parts` first: the bases are the figures before
    the group that are neither changes nor parts.
    """
    groups: list[list[Draft]] = []
    for d in drafts:
        if not d.is_change:
            continue
        if groups and _LIST_GAP.fullmatch(text[groups[-1][-1].unit_end : d.num.start]):
            groups[-1].append(d)
        else:
            groups.append([d])
    for group in groups:
        direction = next((g.direction for g in group if g.direction), None)
        for g in group:
            g.direction = g.direction or direction
        after = text[group[-1].unit_end : group[-1].unit_end + 40].lower()
        bases = [
            b for b in drafts
            if not b.is_change and b.part_of is None and b.num.start < group[0].num.start
        ]  # fmt: skip
        is_respectively = any(p.lower() in after for p in respectively)
        if len(group) > 1 and is_respectively and len(bases) >= len(group):
            for g, b in zip(group, bases[-len(group) :], strict=True):
                g.change_of = (b.num.start, b.num.end)
        elif bases:
            for g in group:
                g.change_of = (bases[-1].num.start, bases[-1].num.end)
