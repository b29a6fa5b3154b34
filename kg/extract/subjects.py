"""Step 5 of extraction, subjects: the operation, offence and substance each figure is about.

Reads the drafts (``num``, ``tail``, ``clause``, ``segment`` from ``kg.extract.numbers``), the
mentions of the sentence and of the sentence before it (``kg.extract.mentions``) and the
operations the release's title or opening paragraph names (:func:`title_operations`). Adds each
draft's ``operation``, ``offence`` and ``substance`` (IRIs, or None).

Why these rules: an operation named in the figure's segment (else its sentence) is the closest
one before the figure; else the one the previous sentence names; else the one the title names.
An offence or substance belongs to the figure whose tail names it ("4 kg of heroin"), else to
the figure after it in the clause ("heroin seized: 4 kg"), never to the figure before it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kg.extract.lexicon import Lexicon
from kg.extract.mentions import edition
from kg.extract.records import Draft, Mention
from kg.text.corpus import Release
from kg.text.segment import paragraphs

_THE_DRUG = re.compile(r"^\W*(?:[\w-]+\s+){0,2}?of (?:the|this|that) (?:drug|substance)\b", re.I)


def _previous_substance(d: Draft, in_previous: Sequence[Mention], text: str) -> str | None:
    """ "seized 1,674 kilograms of the drug": the one substance the sentence before names."""
    if not _THE_DRUG.match(text[d.tail[0] : d.tail[1]]):
        return None
    named = {m.entity for m in in_previous if m.scheme == "substances" and m.entity}
    return named.pop() if len(named) == 1 else None


def title_operations(release: Release, lexicon: Lexicon) -> list[str]:
    """Operations the title names, else those the opening paragraph names (sorted IRIs)."""
    for source in (release.title or "", opening(release.text)):
        found = {
            edition(source, m, release)[1] if m.entry.annual else m.entry.iri
            for m in lexicon.find(source, ["operations"])
        }
        if found:
            return sorted(found)
    return []


def opening(text: str) -> str:
    """The release's first paragraph."""
    paras = paragraphs(text[:4000])
    return text[paras[0].start : paras[0].end] if paras else ""


def closest(ms: Sequence[Mention], pos: int) -> Mention | None:
    """The last of ``ms`` (sorted by start) before ``pos``, else the first after it."""
    before = [m for m in ms if m.start < pos]
    if before:
        return before[-1]
    return ms[0] if ms else None


def operation(
    d: Draft,
    in_sentence: Sequence[Mention],
    in_previous: Sequence[Mention],
    title_ops: Sequence[str],
) -> str | None:
    """The operation of one draft (None for an operation the vocabulary does not know)."""
    named = [m for m in in_sentence if m.scheme == "operations"]
    seg = [m for m in named if d.segment[0] <= m.start < d.segment[1]]
    chosen = closest(seg, d.num.start) or closest(named, d.num.start)
    if chosen:
        return chosen.entity  # None for an operation the vocabulary does not know
    prev = {m.entity for m in in_previous if m.scheme == "operations" and m.entity}
    if len(prev) == 1:
        return prev.pop()
    if len(title_ops) == 1:
        return title_ops[0]
    return None


def nearest(d: Draft, in_sentence: Sequence[Mention], scheme: str) -> str | None:
    """An entity of ``scheme`` named in the figure's tail, else earlier in its clause.

    Later in the clause belongs to the next figure ("4 kg of heroin and 2 t of precursors").
    """
    ms = [m for m in in_sentence if m.scheme == scheme and m.entity]
    in_tail = [m for m in ms if d.tail[0] <= m.start < d.tail[1]]
    if in_tail:
        return in_tail[0].entity
    before = [m for m in ms if d.clause[0] <= m.start < d.num.start]
    return before[-1].entity if before else None


def assign_subjects(
    drafts: Sequence[Draft],
    in_sentence: Sequence[Mention],
    in_previous: Sequence[Mention],
    title_ops: Sequence[str],
    text: str = "",
) -> None:
    """Set ``operation``, ``offence``, ``substance`` and ``agency`` on each draft of one sentence.

    The substance of "N kg of the drug" is the one the previous sentence names; the agency is
    one that reports its own figures (customs) named before the figure in its sentence.

    Args:
        drafts: the figures of the sentence, tails ended (``kg.extract.numbers.end_tails``).
        in_sentence: the mentions of the sentence, by start.
        in_previous: the mentions of the sentence before it (or of a list's lead).
        title_ops: the operations of the title (:func:`title_operations`).
        text: the release text (for "of the drug").
    """
    for d in drafts:
        d.operation = operation(d, in_sentence, in_previous, title_ops)
        d.offence = nearest(d, in_sentence, "offences")
        d.substance = nearest(d, in_sentence, "substances") or _previous_substance(
            d, in_previous, text
        )
        own = [m for m in in_sentence if m.own_figures and m.start < d.num.start]
        d.agency = own[-1].entity if own else None
