"""Skip a regex over a text that cannot hold a match: the words every match must contain.

Why: extraction runs dozens of patterns over every sentence ("from January to May", "as of
July 31", "in the same period"...), and most sentences hold none of most patterns' words, yet
Python's regex engine tries each case-insensitive pattern at every position. A substring test
on the lower-cased sentence costs a fraction of that, so a pattern whose required words are all
absent is not run. The answer is the same by construction: a pattern is skipped only when no
match is possible.

What a pattern requires is read from its own parse tree (:func:`required`), never written by
hand, so editing a pattern cannot leave a stale shortcut behind. The test holds for ASCII texts
only (:class:`Prefilter`): there, a case-insensitive ASCII character matches exactly its two
cases, which lower-casing the text and the words captures; in other texts a few non-ASCII
letters fold onto ASCII ones (the Kelvin sign onto "k", the long s onto "s"), so every pattern
runs.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Sequence
from typing import Any


def _sre_module(name: str, before_3_11: str) -> Any:
    """The regex parser's module ``re.<name>`` (Python 3.11+), else its older name."""
    try:
        return importlib.import_module(f"re.{name}")
    except ImportError:  # pragma: no cover - Python 3.10
        return importlib.import_module(before_3_11)


_sre = _sre_module("_constants", "sre_constants")
_sre_parse = _sre_module("_parser", "sre_parse")

Words = frozenset[str]

_REPEATS = {
    op
    for op in (
        getattr(_sre, "MAX_REPEAT", None),
        getattr(_sre, "MIN_REPEAT", None),
        getattr(_sre, "POSSESSIVE_REPEAT", None),
    )
    if op is not None
}


def required(pattern: re.Pattern[str]) -> Words | None:
    """Lower-case ASCII strings one of which every match of ``pattern`` contains (the most
    selective such set found), or None when no such set was found (the pattern always runs).

    Sound, not complete: a construct this does not read (a class, a back reference, a
    lookaround, an optional part) is taken to require nothing: at worst a pattern runs where
    it could have been skipped.
    """
    try:
        parsed = _sre_parse.parse(pattern.pattern, pattern.flags)
    except Exception:  # an unreadable tree only means no shortcut
        return None
    try:
        return _sequence(parsed.data)
    except Exception:  # a tree shaped otherwise (another Python version): no shortcut
        return None


def _sequence(items: Sequence[tuple[Any, Any]]) -> Words | None:
    """What a sequence of parsed items requires: the best of its literal runs and of what
    its mandatory parts require."""
    best: Words | None = None
    run: list[str] = []

    def consider(words: Words | None) -> None:
        nonlocal best
        if words and all(words) and (best is None or _better(words, best)):
            best = words

    for op, av in items:
        if op is _sre.LITERAL and 0 < av < 128:
            run.append(chr(av).lower())
            continue
        consider(frozenset(["".join(run)]) if run else None)
        run = []
        if op is _sre.SUBPATTERN:
            consider(_sequence(av[-1]))
        elif op is getattr(_sre, "ATOMIC_GROUP", None):
            consider(_sequence(av))
        elif op is _sre.BRANCH:
            branches = [_sequence(branch) for branch in av[1]]
            if all(branches):
                consider(frozenset().union(*branches))  # type: ignore[arg-type]
        elif op in _REPEATS and av[0] >= 1:
            consider(_sequence(av[2]))
        # anything else (a class, a lookaround, an anchor, a non-ASCII character) consumes
        # or asserts something this does not read: it requires no word, and ends the run
    consider(frozenset(["".join(run)]) if run else None)
    return best


def _better(words: Words, than: Words) -> bool:
    """Whether ``words`` rules out more texts than ``than``: a longer shortest word, then
    fewer words."""
    return (min(map(len, words)), -len(words)) > (min(map(len, than)), -len(than))


class Prefilter:
    """The patterns of a list, each with the words one of which its matches need."""

    def __init__(self, patterns: Iterable[re.Pattern[str]]) -> None:
        self.patterns = tuple(patterns)
        self._needs = tuple(required(p) for p in self.patterns)

    def runnable(self, text: str) -> list[bool]:
        """For each pattern, in order, whether it may match somewhere in ``text`` (False only
        when it certainly does not)."""
        if not text.isascii():
            return [True] * len(self.patterns)
        lowered = text.lower()
        return [needs is None or any(word in lowered for word in needs) for needs in self._needs]
