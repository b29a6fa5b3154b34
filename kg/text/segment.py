"""Split a release into paragraphs and sentences, keeping code-point offsets.

Why: figures are attributed to places, operations and periods through their sentence and
paragraph, and every sentence gets provenance offsets. The splitter is deliberately simple and
conservative: it never splits inside a number ("1,313.2", "9.02") or a quotation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n(?=\s*(?:\d+[.)]|[-*•])\s)")
# A sentence ends at . ! ? (optionally followed by a closing quote) before white space and a
# capital, digit or opening quote; or at the end of the paragraph.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’']?(?=\s+[\"“‘(]?[A-Z0-9])")
_ABBREVIATIONS = (
    "e.g.", "i.e.", "No.", "Mr.", "Ms.", "Dr.", "St.", "etc.", "vs.",
    "Jan.", "Feb.", "Mar.", "Apr.", "Aug.", "Sep.", "Sept.", "Oct.", "Nov.", "Dec.",
)  # fmt: skip


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
        sentences: list[Sentence] = []
        s_start = p_start
        for m in _SENTENCE_END.finditer(text, p_start, p_end):
            cut = m.end()
            if text[s_start:cut].rstrip().endswith(_ABBREVIATIONS):
                continue
            a, b = _trimmed(text, s_start, cut)
            if a < b:
                sentences.append(Sentence(a, b, text[a:b], len(result), sentence_index))
                sentence_index += 1
            s_start = cut
        a, b = _trimmed(text, s_start, p_end)
        if a < b:
            sentences.append(Sentence(a, b, text[a:b], len(result), sentence_index))
            sentence_index += 1
        result.append(Paragraph(p_start, p_end, len(result), tuple(sentences)))
    return result


def sentences(text: str) -> list[Sentence]:
    """All sentences of ``text`` in order."""
    return [s for p in paragraphs(text) for s in p.sentences]
