"""Entity mentions: every name the lexicon knows, and the unknown ones the discovery rules see.

Reads the release text, the lexicon (``mappings/lexicon/*.yaml``) and the discovery patterns of
the measure book; adds one :class:`~kg.extract.records.Mention` per name, with its offsets and
its sentence. Runs first, before any number is read: the later stages need the names, both to
drop the numbers inside them (non-figures) and to attribute figures (areas, subjects).

Why the discovery rules: a name the lexicon lacks ("X Province", a quoted operation name) is
still worth recording, unlinked, so that the build can report it and someone can add it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from kg.extract.lexicon import Lexicon, Match
from kg.extract.measures import Discovery
from kg.extract.records import Mention
from kg.extract.window import SpanIndex
from kg.text.corpus import Release
from kg.text.segment import Sentence

_YEAR_SUFFIX = re.compile(r"-(\d{2,4})\b")


def find_mentions(
    release: Release,
    sentences: Sequence[Sentence],
    lexicon: Lexicon,
    discovery: Sequence[Discovery],
) -> list[Mention]:
    """Every mention in ``release``, sorted by start.

    Lexicon names come first; a discovery match that overlaps a known name (or an earlier
    discovery) is skipped, so a name is never reported both linked and unlinked.

    Args:
        release: the release whose text is searched.
        sentences: its sentences, in order (a mention records the one it starts in; one that
            starts between sentences gets the last sentence).
        lexicon: the known names.
        discovery: patterns (group ``name``) for names the lexicon does not know.
    """
    text = release.text
    out: list[Mention] = []
    sentence_at = _SentenceFinder(sentences)
    for match in lexicon.find(text):
        start, end, iri = match.start, match.end, match.entry.iri
        if match.entry.annual:
            end, iri = edition(text, match, release)
        sentence = sentence_at(start)
        place = text[start:end].lower() in {p.lower() for p in match.entry.places}
        own = bool(match.entry.data.get("own_figures"))
        out.append(
            Mention(
                start,
                end,
                text[start:end],
                iri,
                match.entry.cls,
                match.entry.scheme,
                sentence,
                place,
                own,
            )
        )
    known = SpanIndex((m.start, m.end) for m in out)
    for rule in discovery:
        found_now: list[tuple[int, int]] = []  # the names of one rule never overlap each other
        for found in rule.pattern.finditer(text):
            start, end = found.span("name")
            if known.overlaps(start, end):
                continue
            sentence = sentence_at(start)
            out.append(Mention(start, end, text[start:end], None, rule.cls, rule.scheme, sentence))
            found_now.append((start, end))
        known = SpanIndex(known.spans + found_now)
    out.sort(key=lambda m: m.start)
    return out


def edition(text: str, match: Match, release: Release) -> tuple[int, str]:
    """Link an annual operation to its edition: the year after it, else the release's.

    Why: "Clean Source and Cut off the Flow-2023" is one yearly edition of a recurring
    campaign; the year written after the name wins over the release's year, and only editions
    the lexicon lists become edition IRIs.

    Returns:
        The end of the mention (after a written year suffix, if any) and the IRI it links to.
    """
    end, year = match.end, release.year
    suffix = _YEAR_SUFFIX.match(text, end)  # at ``end`` without copying the rest of the text
    if suffix:
        end = suffix.end()
        written = int(suffix.group(1))
        if 1990 <= written <= 2100:
            year = written
    editions = {int(y) for y in match.entry.data.get("editions", ()) or ()}
    if year is not None and year in editions:
        return end, f"{match.entry.iri}/{year}"
    return end, match.entry.iri


class MentionIndex(tuple):  # type: ignore[type-arg]
    """Mentions sorted by start, with their starts for bisection.

    Why: the stages look up the mentions of one sentence at a time; bisecting keeps that
    linear in the length of the release instead of quadratic.
    """

    keys: list[int]

    def __new__(cls, mentions: Sequence[Mention]) -> MentionIndex:
        self = super().__new__(cls, mentions)
        self.keys = [m.start for m in mentions]
        return self


def within(mentions: Sequence[Mention], start: int, end: int) -> list[Mention]:
    """The mentions (sorted by start) that begin in ``[start, end)``."""
    keys = mentions.keys if isinstance(mentions, MentionIndex) else [m.start for m in mentions]
    return list(mentions[bisect.bisect_left(keys, start) : bisect.bisect_left(keys, end)])


def run_key(ms: Sequence[Mention]) -> tuple[int, int, int]:
    """What tells a run of a release's mentions (one sentence's, from :func:`within`) from
    another: where its first and last start, and how many it holds.

    Why: a stage that reads a sentence's mentions once (the jurisdictions of a list's lead
    sentence, inherited by every item) keeps what it read under this key.
    """
    return (ms[0].start, ms[-1].start, len(ms)) if ms else (-1, -1, 0)


class _SentenceFinder:
    """The sentence a position falls in (the last sentence for one between sentences), by
    bisection: a release of many sentences and names would be quadratic otherwise."""

    def __init__(self, sentences: Sequence[Sentence]) -> None:
        self._sentences = sentences
        self._starts = [s.start for s in sentences]

    def __call__(self, pos: int) -> Sentence:
        i = bisect.bisect_right(self._starts, pos) - 1
        if i >= 0 and pos < self._sentences[i].end:
            return self._sentences[i]
        return self._sentences[-1]
