"""Step 4 of extraction, areas: the jurisdictions each figure is about.

Reads the drafts (``segment``, from ``kg.extract.numbers``), the jurisdiction mentions of the
sentence and of the sentence before it (``kg.extract.mentions``) and the measure book's
``example_cues`` and ``province_anaphora``. Adds each draft's ``areas`` (ISO 3166-2 coded
jurisdiction IRIs), and the release's default area (:func:`release_area`).

Why in this order: the jurisdictions named in the figure's segment (between semicolons) come
first; else, when its sentence names none, the one jurisdiction the previous sentence names;
else the release's area. Jurisdictions after "including" or "such as" are examples, not the
area the figure covers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kg.extract.cues import ends_with_phrase
from kg.extract.records import Draft, Mention
from kg.namespaces import expand
from kg.text.segment import Paragraph

COUNTRY = expand("nkgv:jurisdiction/CN")
"""China: the area of a figure no jurisdiction is named for, in a national release."""
_SAME_LIST = re.compile(r"\s*(?:,|,?\s*and|,?\s*or)\s*")


def release_area(
    text: str,
    paras: Sequence[Paragraph],
    mentions: Sequence[Mention],
    province_anaphora: Sequence[re.Pattern[str]],
) -> str:
    """The country; or the one province a provincial release names and calls "the province".

    Args:
        text: the release text.
        paras: its paragraphs (the province must be named in the first).
        mentions: its mentions.
        province_anaphora: how a provincial release refers to its own province.
    """
    if not paras or not any(p.search(text) for p in province_anaphora):
        return COUNTRY
    first = paras[0]
    named = {
        m.entity
        for m in mentions
        if m.scheme == "jurisdictions" and m.entity and m.entity != COUNTRY
        and first.start <= m.start < first.end
    }  # fmt: skip
    return named.pop() if len(named) == 1 else COUNTRY


def non_examples(
    text: str, jurisdictions: Sequence[Mention], example_cues: Sequence[str]
) -> list[Mention]:
    """Drop jurisdictions listed after an example cue ("including", "such as")."""
    kept: list[Mention] = []
    in_example_list = False
    prev_end: int | None = None
    for j in jurisdictions:
        gap = text[prev_end : j.start] if prev_end is not None else ""
        if prev_end is not None and _SAME_LIST.fullmatch(gap):
            pass  # same list continues
        else:
            lead = text[max(0, j.start - 30) : j.start]
            in_example_list = ends_with_phrase(lead, example_cues) is not None
        if not in_example_list:
            kept.append(j)
        prev_end = j.end
    return kept


def figure_areas(
    text: str,
    d: Draft,
    in_sentence: Sequence[Mention],
    in_previous: Sequence[Mention],
    area: str,
    example_cues: Sequence[str],
) -> tuple[str, ...]:
    """The areas of one draft (see the module docstring for the order of preference).

    Args:
        text: the release text.
        d: the draft (its ``segment`` is read).
        in_sentence: the mentions of its sentence, by start.
        in_previous: the mentions of the sentence before it (or of a list's lead).
        area: the release's area (:func:`release_area`).
        example_cues: phrases after which jurisdictions are examples.
    """

    def juris(ms: Sequence[Mention]) -> list[Mention]:
        return non_examples(
            text, [m for m in ms if m.scheme == "jurisdictions" and m.entity], example_cues
        )

    in_segment = [m for m in juris(in_sentence) if d.segment[0] <= m.start < d.segment[1]]
    if in_segment:
        return tuple(dict.fromkeys(m.entity for m in in_segment if m.entity))
    if not juris(in_sentence):
        prev = {m.entity for m in juris(in_previous)}
        if len(prev) == 1:
            return (prev.pop(),)  # type: ignore[return-value]
    return (area,)


def assign_areas(
    text: str,
    drafts: Sequence[Draft],
    in_sentence: Sequence[Mention],
    in_previous: Sequence[Mention],
    area: str,
    example_cues: Sequence[str],
) -> None:
    """Set ``areas`` on each draft of one sentence (arguments as for :func:`figure_areas`)."""
    for d in drafts:
        d.areas = figure_areas(text, d, in_sentence, in_previous, area, example_cues)
