"""How far the stages read around a number, and patterns searched once per stretch of text.

Why: extraction must take time linear in the length of a release, whatever its shape (issue
#14). A number is described by the words near it, yet a clause, segment or sentence can be as
long as the release: a text with no punctuation is one clause, "12 kg, 13 kg, ..." a thousand
times over is one sentence. Reading the whole stretch again for each of its numbers made those
texts quadratic (a 100 KB run of numbers took minutes). So every read of the stages is one of
two kinds:

- a *window*: the text right before a number (:func:`before`), right after it (:func:`after`)
  or at the start of its stretch (:func:`opening`), never more than :data:`WINDOW` characters;
  a cue that must end right at the number ("more than", "up from") is looked for in the last
  :data:`CUE_REACH` characters (:func:`cue_before`). The cues read there stand next to what
  they describe ("of the drug", "Of those cases,"), so these windows cut nothing of real
  releases: in the bundled and test releases a clause reaches at most about 200 characters
  before or after its number.
- a *stretch test* (:class:`Scans`): "does this clause match that pattern anywhere". It
  depends on the clause only, not on the number, so it is searched once per clause and pattern
  and shared by every number of the clause: the same answer as before, found once.

Everything else the stages do per number is a lookup in lists sorted once per sentence
(mentions, periods, clause breaks), by bisection.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterable

from kg.text.numerals import blank_long_runs

WINDOW = 400
"""The most characters a stage reads on one side of a number (or from the start of its clause,
segment or sentence): about twice the longest clause of the real releases on either side."""

CUE_REACH = 120
"""How far before a number a cue that must end right at it is looked for ("more than", "up
from", "a peak of", "the number of registered drug users stood at"): longer than any such cue
with the spaces around it, and short, because these patterns are tried at every character."""


def before(text: str, lo: int, pos: int) -> str:
    """``text[lo:pos]``, the words before a number, cut to its last :data:`WINDOW` characters."""
    return text[max(lo, pos - WINDOW) : pos]


def cue_before(text: str, lo: int, pos: int) -> str:
    """``text[lo:pos]`` cut to its last :data:`CUE_REACH` characters: where a cue that ends
    right before the number stands."""
    return text[max(lo, pos - CUE_REACH) : pos]


def after(text: str, pos: int, hi: int) -> str:
    """``text[pos:hi]``, the words after a number, cut to its first :data:`WINDOW` characters."""
    return text[pos : min(hi, pos + WINDOW)]


def opening(text: str, lo: int, pos: int) -> str:
    """``text[lo:pos]`` from the start of a clause or sentence, cut to :data:`WINDOW` characters:
    for cues that open it ("Of those cases, ..."), wherever in it the number stands."""
    return text[lo : min(pos, lo + WINDOW)]


class Scans:
    """What patterns find in stretches of one text, each pattern searched once per stretch.

    Why: many numbers share a clause (all of them, in a text with no punctuation), and whether
    a pattern matches in the clause is the same for each; asking it once per clause keeps the
    work linear in the text. The numbers of a stretch come one after another, so only the last
    stretch asked about is remembered for each pattern: a sentence of fifty thousand clauses
    keeps nothing of those before. One instance serves a release; a stage called alone makes
    its own.
    """

    _SLICES = 4  # stretches kept as text at once (a clause, its segment and a spare or two)

    def __init__(self, text: str) -> None:
        """Scan nothing yet: stretches are searched when first asked about.

        The patterns see ``text`` with its overlong runs of digits blanked out
        (:func:`~kg.text.numerals.blank_long_runs`: no such run is a number, and some patterns
        take time quadratic in their length); offsets are unchanged.
        """
        self.text = blank_long_runs(text)
        self._found: dict[re.Pattern[str], tuple[int, int, bool]] = {}
        self._first_end: dict[re.Pattern[str], tuple[int, int, int]] = {}
        self._slices: dict[tuple[int, int], str] = {}

    def _slice(self, lo: int, hi: int) -> str:
        piece = self._slices.get((lo, hi))
        if piece is None:
            if len(self._slices) >= self._SLICES:
                del self._slices[next(iter(self._slices))]  # the oldest
            piece = self._slices[(lo, hi)] = self.text[lo:hi]
        return piece

    def search(self, pattern: re.Pattern[str], lo: int, hi: int) -> bool:
        """Whether ``pattern.search(text[lo:hi])`` finds anything."""
        last = self._found.get(pattern)
        if last is not None and last[:2] == (lo, hi):
            return last[2]
        found = pattern.search(self._slice(lo, hi)) is not None
        self._found[pattern] = (lo, hi, found)
        return found

    def ends_by(self, pattern: re.Pattern[str], lo: int, hi: int, pos: int) -> bool:
        """Whether the first match of ``pattern`` in ``text[lo:hi]`` ends at or before ``pos``.

        For a cue pattern (a word or a phrase: no match of it holds a shorter one) that is
        whether ``text[lo:pos]`` holds a match. The first match is searched once per stretch;
        "is there a cue earlier in the segment than this number" is then a comparison.
        """
        last = self._first_end.get(pattern)
        if last is None or last[:2] != (lo, hi):
            m = pattern.search(self._slice(lo, hi))
            last = self._first_end[pattern] = (lo, hi, lo + m.end() if m else hi + 1)
        return last[2] <= pos


class SpanIndex:
    """Spans (start, end) of one text, and whether one of them overlaps or holds a stretch.

    Why: a long release has thousands of names and dates, and each number is tested against
    them; a scan of them all made extraction quadratic, and so did reading every span within
    the longest one's length (one long span, a list of related links, is enough). Sorted by
    start with the running maximum of their ends, each test is one bisection.
    """

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        """Sort ``spans`` and note, for each, the furthest end of it and those before it."""
        self.spans = sorted(spans)
        self._starts = [a for a, _ in self.spans]
        self._reach = list(itertools.accumulate((b for _, b in self.spans), max))

    def _furthest(self, i: int) -> int:
        """The furthest end of the first ``i`` spans (-1 for none)."""
        return self._reach[i - 1] if i else -1

    def overlaps(self, a: int, b: int) -> bool:
        """Whether any span shares a character with ``[a, b)``."""
        return self._furthest(bisect.bisect_left(self._starts, b)) > a

    def contains(self, a: int, b: int) -> bool:
        """Whether one span holds all of ``[a, b)``."""
        return self._furthest(bisect.bisect_right(self._starts, a)) >= b
