"""Step 2 of extraction, non-figures: drop the numbers that state no quantity.

Reads the drafts of ``kg.extract.numbers``, the release text, the mentions of
``kg.extract.mentions``, the dates and period phrases ``kg.text.periods`` finds and the shapes
of ``mappings/nonfigures.yaml``. Adds nothing: it returns the drafts that are figures. Not
figures: numbers inside quoted names, entity names, dates and clock times ("June 26, 2019",
"2020/6/25 18:22:27"), period phrases ("the first two months", "between 2017 and 2021"), page
furniture, phone numbers, ages, article numbers and legal thresholds (the data file's shapes);
every number of a sentence that states the law; a length of time ("for three years", "15
years in prison") unless an operation lasted it; a year closing a title line, the number of a
list item, a number glued to a word by a hyphen ("COVID-19"), an edition number before a
proper name ("the 6 National ... Competition") and capitalised number words inside a title.

One check runs later: a number word hyphenated to a word ("three-dimensional") is a figure
when an indicator counts that word ("three-wave"), so :func:`drop_compound_adjectives` needs the
indicators and runs after ``kg.extract.indicators``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kg.extract.measures import NonFigureRules
from kg.extract.numbers import SPLIT
from kg.extract.records import Draft, Mention
from kg.extract.window import SpanIndex, after, cue_before
from kg.text.numerals import Numeral, blank_long_runs
from kg.text.periods import date_spans, period_phrase_spans
from kg.text.segment import Sentence

_QUOTED = re.compile(r"\"[^\"\n]{1,200}\"|“[^”\n]{1,200}”")
_YEAR = re.compile(r"(?:19|20)\d\d")
_CAPITALISED_WORD_BEFORE = re.compile(r"\b[A-Z][\w-]*\s+$")
_LINE_END_AFTER = re.compile(r"\s*(?:\n|$)")
_LIST_NUMBER_END = re.compile(r"[.)、](?:\s|$)")
_PERIOD_WORD_BEFORE = re.compile(r"\b(?:first|last|past|previous|next|recent)\s+$", re.I)
_PERIOD_UNIT_AFTER = re.compile(r"[\s-]+(?:months?|weeks?|days?|years?|quarters?)\b", re.I)
_THE_BEFORE = re.compile(r"\bthe\s+$", re.I)
_CAPITAL_AFTER = re.compile(r"\s+[A-Z]")
_OTHER_COUNT = "/other-count"
_DURATION_AFTER = re.compile(
    r"\s+(?:days?|weeks?|months?|years?)\b(?!-)(?![-\s]+(?:on|over)[-\s]+year)", re.I
)
_HYPHEN_DURATION = re.compile(r"-(?:days?|weeks?|months?|years?)\b(?!-old)", re.I)
_CLAUSE_START = re.compile(r"[,;:(]|\band\b|\bor\b")


class NonFigures:
    """The names and dates of one release, and the test of a number against them.

    Why a class: the spans of a release's names and dates are indexed once, then every number
    of every sentence is tested against them.
    """

    def __init__(
        self,
        text: str,
        mentions: Sequence[Mention],
        rules: NonFigureRules | None = None,
        period_phrases: Sequence[tuple[int, int]] | None = None,
    ) -> None:
        """Index the quoted stretches and mentions of ``text`` (names), its dates, period
        phrases (found again unless the sentences' ``period_phrases`` are given) and the
        stretches the data file's shapes match."""
        self._rules = rules or NonFigureRules()
        quoted = [m.span() for m in _QUOTED.finditer(text)]
        named = [(m.start, m.end) for m in mentions]
        self._names = SpanIndex(quoted + named)
        shapes_see = blank_long_runs(text)  # (no long run of digits is a number)
        runnable = self._rules.spans_prefilter.runnable(shapes_see)
        shaped = [
            m.span()
            for (_, pattern), may_match in zip(self._rules.spans, runnable, strict=True)
            if may_match  # skipped only when it cannot match (kg/text/prefilter.py)
            for m in pattern.finditer(shapes_see)
        ]
        phrases = period_phrase_spans(text) if period_phrases is None else list(period_phrases)
        self._dates = SpanIndex(date_spans(text) + phrases + shaped)

    def drop(self, sentence: Sentence, drafts: Sequence[Draft]) -> list[Draft]:
        """The drafts of ``sentence`` whose number is a figure, in order."""
        if drafts and any(p.search(sentence.text) for p in self._rules.legal):
            return []  # the sentence states the law: thresholds and penalties, not events
        return [d for d in drafts if not self.is_non_figure(sentence, d.num)]

    def is_non_figure(self, sentence: Sentence, n: Numeral) -> bool:
        """Whether the number ``n`` (release offsets) of ``sentence`` is part of a name or date."""
        if n.malformed == SPLIT:  # joined pieces span words: only the first piece is tested
            return self._names.overlaps(n.start, n.start + 1) or self._dates.contains(
                n.start, n.start + 1
            )
        if self._names.overlaps(n.start, n.end) or self._dates.contains(n.start, n.end):
            return True
        # the words around the number in its sentence, as far as a cue can reach (kg.extract.window)
        text, offset = sentence.text, sentence.start
        pre = cue_before(text, 0, n.start - offset)
        post = after(text, n.end - offset, len(text))
        # "China Drug Situation Report 2023": a year closing a title line
        if (
            _YEAR.fullmatch(n.verbatim)
            and _CAPITALISED_WORD_BEFORE.search(pre)
            and _LINE_END_AFTER.match(post)
        ):
            return True
        # "for three years", "15 years in prison": a length of time, unless an operation lasted it
        if not n.percent and _DURATION_AFTER.match(post) and not self._lasted(pre):
            return True
        # "five-month results": a hyphenated duration names a period unless an operation follows
        nouns = self._rules.duration_figure_nouns
        if nouns is not None and _HYPHEN_DURATION.match(post) and not nouns.match(post):
            return True
        # "1. solved 1,086 cases": the number of a list item
        at_start = n.start - offset == len(pre)  # the whole of what precedes it was read
        if at_start and pre.strip() in ("", "(") and _LIST_NUMBER_END.match(post):
            return True
        # "the first two months of the year": part of a period phrase
        if _PERIOD_WORD_BEFORE.search(pre) and _PERIOD_UNIT_AFTER.match(post):
            return True
        # "Flow-26", "COVID-19": a number glued to a word by a hyphen is part of a name
        if pre.endswith("-") and len(pre) > 1 and pre[-2].isalnum():
            return True
        # "the 6 National Youth ... Competition": an edition number before a proper name
        if _THE_BEFORE.search(pre) and _CAPITAL_AFTER.match(post):
            return True
        # "Four Specialities, Three Determinations": capitalised number words inside a title
        return bool(
            n.written_as_word
            and n.verbatim[0].isupper()
            and pre.strip()
            and _CAPITAL_AFTER.match(post)
        )

    def _lasted(self, before: str) -> bool:
        """Whether the clause before a duration says something lasted it (a figure)."""
        clause = _CLAUSE_START.split(before)[-1]
        return any(p.search(clause) for p in self._rules.duration_figure)


def is_compound_adjective(text: str, d: Draft) -> bool:
    """ "three-dimensional", "two-way", "5.8-magnitude": a number hyphenated to a word that is
    neither a unit ("two-week") nor something an indicator counts ("three-wave") is an
    adjective.

    Reads ``d.indicator`` as ``kg.extract.indicators.assign_indicators`` set it (before a part
    takes its total's indicator).
    """
    if not text.startswith("-", d.num.end) or d.unit_end > d.num.end:
        return False
    if d.indicator is None:
        raise ValueError("is_compound_adjective needs the indicators (kg.extract.indicators)")
    return d.indicator.iri.endswith(_OTHER_COUNT)


def drop_compound_adjectives(text: str, drafts: Sequence[Draft]) -> list[Draft]:
    """The drafts that are not compound adjectives (:func:`is_compound_adjective`), in order."""
    return [d for d in drafts if not is_compound_adjective(text, d)]
