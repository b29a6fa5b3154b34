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

import bisect
import re
from collections.abc import Sequence

from kg.extract import window
from kg.extract.lexicon import Lexicon
from kg.extract.mentions import edition, run_key
from kg.extract.records import Draft, Mention
from kg.text.corpus import Release
from kg.text.segment import paragraphs

_THE_DRUG = re.compile(r"^\W*(?:[\w-]+\s+){0,2}?of (?:the|this|that) (?:drug|substance)\b", re.I)


def _only(ms: Sequence[Mention], scheme: str) -> str | None:
    """The one entity of ``scheme`` that ``ms`` name, if they name exactly one."""
    named = {m.entity for m in ms if m.scheme == scheme and m.entity}
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


class _ByStart:
    """Mentions sorted by start, and the last one before a position or the first in a stretch,
    by bisection."""

    def __init__(self, ms: list[Mention]) -> None:
        self.ms = ms
        self._starts = [m.start for m in ms]

    def last_before(self, pos: int, lo: int | None = None) -> Mention | None:
        """The last mention starting before ``pos`` (and at or after ``lo``)."""
        i = bisect.bisect_left(self._starts, pos) - 1
        return self.ms[i] if i >= 0 and (lo is None or self._starts[i] >= lo) else None

    def first_in(self, lo: int, hi: int) -> Mention | None:
        """The first mention starting in ``[lo, hi)``."""
        i = bisect.bisect_left(self._starts, lo)
        return self.ms[i] if i < len(self.ms) and self._starts[i] < hi else None

    def closest(self, pos: int, stretch: tuple[int, int] | None = None) -> Mention | None:
        """:func:`closest` of the mentions starting in ``stretch`` (all when not given)."""
        if stretch is None:
            return self.last_before(pos) or (self.ms[0] if self.ms else None)
        lo, hi = stretch
        return self.last_before(min(pos, hi), lo) or self.first_in(lo, hi)


class SentenceSubjects:
    """The operations, offences, substances and own-figure agencies one sentence names, read
    once for all its figures.

    Why: each figure takes the nearest of them; picking them out of the sentence's mentions
    again for each figure made a sentence of many names and figures quadratic.

    Args:
        in_sentence: the mentions of the sentence, by start.
        previous_operation: the one operation the sentence before names, if it names one.
        title_ops: the operations of the title (:func:`title_operations`).
    """

    def __init__(
        self,
        in_sentence: Sequence[Mention],
        previous_operation: str | None,
        title_ops: Sequence[str],
    ) -> None:
        self.operations = _ByStart([m for m in in_sentence if m.scheme == "operations"])
        self._linked = {
            scheme: _ByStart([m for m in in_sentence if m.scheme == scheme and m.entity])
            for scheme in ("offences", "substances")
        }
        self.agencies = _ByStart([m for m in in_sentence if m.own_figures])
        self.previous_operation = previous_operation
        self.title_operation = title_ops[0] if len(title_ops) == 1 else None

    def operation(self, d: Draft) -> str | None:
        """The operation of one draft (None for an operation the vocabulary does not know): the
        closest one named in its segment, else in its sentence, else the one the sentence
        before names, else the title's."""
        pos = d.num.start
        chosen = self.operations.closest(pos, d.segment) or self.operations.closest(pos)
        if chosen:
            return chosen.entity
        return self.previous_operation or self.title_operation

    def nearest(self, d: Draft, scheme: str) -> str | None:
        """:func:`nearest`, for the offences or substances of the sentence."""
        ms = self._linked[scheme]
        found = ms.first_in(*d.tail) or ms.last_before(d.num.start, d.clause[0])
        return found.entity if found else None


class SubjectReader:
    """Assigns subjects to the figures of a release's sentences; one per release.

    Why a class: what the sentence before names is read once per sentence, and a list's lead
    sentence is "the sentence before" every item of the list.
    """

    def __init__(self, title_ops: Sequence[str], text: str = "") -> None:
        """``title_ops``: the operations of the title; ``text``: the release text."""
        self.title_ops = title_ops
        self.text = text
        self._only: dict[tuple[tuple[int, int, int], str], str | None] = {}

    def only(self, ms: Sequence[Mention], scheme: str) -> str | None:
        """:func:`_only`, once per run of mentions (a sentence's, known by its ends)."""
        key = (run_key(ms), scheme)
        if key not in self._only:
            self._only[key] = _only(ms, scheme)
        return self._only[key]

    def assign(
        self,
        drafts: Sequence[Draft],
        in_sentence: Sequence[Mention],
        in_previous: Sequence[Mention],
    ) -> None:
        """:func:`assign_subjects` with this reader's title operations and text."""
        named = SentenceSubjects(in_sentence, self.only(in_previous, "operations"), self.title_ops)
        for d in drafts:
            d.operation = named.operation(d)
            d.offence = named.nearest(d, "offences")
            d.substance = named.nearest(d, "substances")
            if d.substance is None and _THE_DRUG.match(window.after(self.text, *d.tail)):
                # "seized 1,674 kilograms of the drug": the one the sentence before names
                d.substance = self.only(in_previous, "substances")
            own = named.agencies.last_before(d.num.start)
            d.agency = own.entity if own else None


def operation(
    d: Draft,
    in_sentence: Sequence[Mention],
    in_previous: Sequence[Mention],
    title_ops: Sequence[str],
) -> str | None:
    """The operation of one draft (None for an operation the vocabulary does not know)."""
    return SentenceSubjects(in_sentence, _only(in_previous, "operations"), title_ops).operation(d)


def nearest(d: Draft, in_sentence: Sequence[Mention], scheme: str) -> str | None:
    """An entity of ``scheme`` named in the figure's tail, else earlier in its clause.

    Later in the clause belongs to the next figure ("4 kg of heroin and 2 t of precursors").
    """
    ms = _ByStart([m for m in in_sentence if m.scheme == scheme and m.entity])
    found = ms.first_in(*d.tail) or ms.last_before(d.num.start, d.clause[0])
    return found.entity if found else None


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
    SubjectReader(title_ops, text).assign(drafts, in_sentence, in_previous)
