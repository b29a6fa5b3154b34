"""Split a release into paragraphs and sentences, keeping code-point offsets.

Why: figures are attributed to places, operations and periods through their sentence and
paragraph, and every sentence gets provenance offsets. The splitter is deliberately simple and
conservative: it never splits inside a number ("1,313.2", "9.02") or a quotation. A stretch with
no sentence end longer than :data:`MAX_SENTENCE_CHARS` (no real sentence is) is cut into pieces
between words, so that no "sentence" is as long as the release; and the splitter takes time
linear in the text, whatever its shape.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kg.text.numerals import WORD_VALUES

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n(?=\s*(?:\d+[.)]|[-*•])\s)")
# A sentence ends at . ! ? (optionally followed by a closing quote) before white space and a
# capital, digit or opening quote; or at the end of the paragraph.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’']?(?=\s+[\"“‘(]?[A-Z0-9])")
_ABBREVIATIONS = (
    "e.g.", "i.e.", "No.", "Mr.", "Ms.", "Dr.", "St.", "etc.", "vs.",
    "Jan.", "Feb.", "Mar.", "Apr.", "Aug.", "Sep.", "Sept.", "Oct.", "Nov.", "Dec.",
)  # fmt: skip
# A candidate end is tested against as many characters before it as the longest abbreviation
# has (it ends in its full stop or a closing quote, never in white space). Why not the whole
# sentence so far: in a text of "No. 1 e.g. Mr. 2 ..." every candidate is refused, and the
# sentence was read again, longer each time, for each one.
_ABBREVIATION_REACH = max(len(a) for a in _ABBREVIATIONS) + 1


@dataclass(frozen=True)
class Sentence:
    """A sentence: ``text == release_text[start:end]``."""

    start: int
    end: int
    text: str
    paragraph: int
    index: int


@dataclass(frozen=True)
class Paragraph:
    """A paragraph with its sentences."""

    start: int
    end: int
    index: int
    sentences: tuple[Sentence, ...]


LEAD_MIN_CHARS = 120
"""A paragraph this long, or of two sentences or more, is running text, not a headline."""


def is_running_text(para: Paragraph) -> bool:
    """Whether ``para`` is running text rather than a headline, byline or timestamp line."""
    return len(para.sentences) >= 2 or para.end - para.start >= LEAD_MIN_CHARS


def lead(paras: Sequence[Paragraph]) -> Paragraph | None:
    """The lead: the first paragraph of running text, else the first paragraph, else None.

    Why: the lines above it (headline, byline, timestamp) are short and restate it; several
    stages take the release's default period, area and attribution from it.
    """
    return next((p for p in paras if is_running_text(p)), paras[0] if paras else None)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def paragraphs(text: str) -> list[Paragraph]:
    """Split ``text`` into paragraphs and sentences with offsets into ``text``."""
    result: list[Paragraph] = []
    sentence_index = 0
    cursor = 0
    bounds: list[tuple[int, int]] = []
    for brk in _PARAGRAPH_BREAK.finditer(text):
        bounds.append((cursor, brk.start()))
        cursor = brk.end()
    bounds.append((cursor, len(text)))
    for p_start, p_end in bounds:
        p_start, p_end = _trimmed(text, p_start, p_end)
        if p_start == p_end:
            continue
        ends: list[int] = []
        s_start = p_start
        for m in _SENTENCE_END.finditer(text, p_start, p_end):
            cut = m.end()
            if text[max(s_start, cut - _ABBREVIATION_REACH) : cut].endswith(_ABBREVIATIONS):
                continue
            ends.append(cut)
            s_start = cut
        sentences: list[Sentence] = []
        s_start = p_start
        for end in [*ends, p_end]:
            for a, b in _pieces(text, s_start, end):
                sentences.append(Sentence(a, b, text[a:b], len(result), sentence_index))
                sentence_index += 1
            s_start = end
        result.append(Paragraph(p_start, p_end, len(result), tuple(sentences)))
    return result


MAX_SENTENCE_CHARS = 2000
"""The longest stretch of text kept as one sentence.

Why: a text with no full stop (a page of numbers, a list with no end) would be one sentence as
long as the release, and every figure carries its sentence as provenance (a column of the
figures table, kept for each figure): thousands of figures in a 1 MiB "sentence" made
gigabytes downstream. Real sentences are far shorter (the longest of the bundled and test
releases has 743 characters). A longer stretch is cut where a clause ends (after a comma,
semicolon or colon), else between words; never inside a number, nor between a number and the
word after it (its unit or scale: "5 million" stays whole, as do "ten thousand" and "hundred
million").
"""
_CLAUSE_END_SPACE = re.compile(r"(?<=[,;:])\s+")
_SPACE = re.compile(r"\s+")
_LAST_WORD = re.compile(r"[A-Za-z-]+$")
# words after which the next word may belong to the same number: "five kg", "ten thousand"
_NUMBER_WORDS = frozenset({*WORD_VALUES, "one", "ten", "hundred"})


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentence ``text[start:end]``, trimmed, in pieces of at most
    :data:`MAX_SENTENCE_CHARS` where it can be cut (:func:`_cut`); none when it is blank."""
    out: list[tuple[int, int]] = []
    a, b = _trimmed(text, start, end)
    while b - a > MAX_SENTENCE_CHARS:
        cut = _cut(text, a, b)
        if cut is None:
            break  # one word or number longer than the limit: the rest stays whole
        out.append(_trimmed(text, a, cut))
        a, b = _trimmed(text, cut, b)
    if a < b:
        out.append((a, b))
    return out


def _cut(text: str, a: int, b: int) -> int | None:
    """Where to end the first piece of the over-long sentence ``text[a:b]``: the last clause end
    in the second half of the limit, else the last space there that may be cut (:func:`_may_cut`),
    else the first one after it; None when there is none."""
    lo, hi = a + MAX_SENTENCE_CHARS // 2, a + MAX_SENTENCE_CHARS
    for pattern in (_CLAUSE_END_SPACE, _SPACE):
        found = [m for m in pattern.finditer(text, lo, hi) if _may_cut(text, m, b)]
        if found:
            return found[-1].start()
    return next((m.start() for m in _SPACE.finditer(text, hi, b) if _may_cut(text, m, b)), None)


def _may_cut(text: str, space: re.Match[str], end: int) -> bool:
    """Whether a sentence may be cut at ``space`` (a run of white space before ``end``): not when
    a word follows a number ("5 kg", "5 million", "five kg", "ten thousand")."""
    if space.end() >= end:
        return False
    if not text[space.end()].isalpha():
        return True
    before = text[space.start() - 1] if space.start() else ""
    if before.isdigit() or before == "%":
        return False
    word = _LAST_WORD.search(text, max(0, space.start() - 20), space.start())
    return word is None or word.group(0).lower().split("-")[-1] not in _NUMBER_WORDS


def sentences(text: str) -> list[Sentence]:
    """All sentences of ``text`` in order."""
    return [s for p in paragraphs(text) for s in p.sentences]
