"""Cues several stages read: does a stretch of text end with a cue phrase, is a number the base
of a comparison, does a sentence open by naming the whole its figures are parts of?

Why: several stages decide from the words right before a number or a name: the qualifier
("more than 300"), a change's direction ("an increase of 5%"), a part ("of which 2 tons"), an
example list ("including Hunan"). They all need the same test, whole words only, so that "up"
does not fire on "setup" and "of which" not on "proof of which".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

# The number after these is the base of a comparison ("caught 23 passengers, up from 9 a year
# earlier", "compared with 158 kilograms in the same period last year"): it counts what the
# figure before it counts, over the time the comparison names.
BASE_BEFORE = re.compile(
    r"(?:\b(?:up|down|rising|falling|rose|fell|increased|decreased|dropped|climbed)\s+from"
    r"|\b(?:against|compared with|compared to|versus|as against))\s+"
    r"(?:about\s+|some\s+|nearly\s+|more than\s+)?$",
    re.I,
)

# A sentence that opens by naming the whole its figures are parts of: "Of the registered users,
# 588,000 took ...", "Of those cases, 87 ...", "Among them, 41 ...". Group ``np`` is the whole
# when the opener names it.
SUBSET_OPENER = re.compile(
    r"^\W*(?:(?:Of|Among) (?:the|those|these|all)(?: the| those| these)?\s+"
    r"(?:about\s+|some\s+)?(?:\d[\d,.]*\s+(?:(?:thousand|million|billion)\s+)?)?"
    r"(?P<np>(?:[^,;.]|\.\d){3,80}?),|(?:Among|Of) (?:them|these|those|which)\b,?)",
    re.I,
)


def ends_with_phrase(before: str, phrases: Sequence[str]) -> str | None:
    """The first of ``phrases`` that ``before`` ends with as whole words, else None.

    Args:
        before: the text before the number or name (trailing space is ignored).
        phrases: cue phrases, longest first, so that the longest one that fits wins.

    Returns:
        The phrase as listed (not as written in the text), or None.
    """
    every, by_last, reach = _lowered(tuple(phrases))
    stripped = before.rstrip()
    # only the end can hold a phrase and the character before it: lower-case no more
    low = stripped[-reach:].lower()
    whole = len(stripped) <= reach  # nothing before what was lower-cased
    candidates = every if by_last is None else by_last.get(low[-1:], ())
    for phrase, p in candidates:  # longest first
        if low.endswith(p) and ((whole and len(low) == len(p)) or not low[-len(p) - 1].isalnum()):
            return phrase
    return None


Phrases = tuple[tuple[str, str], ...]
"""Cue phrases as listed and in lower case, in their order."""


@cache
def _lowered(phrases: tuple[str, ...]) -> tuple[Phrases, dict[str, Phrases] | None, int]:
    """``phrases`` with their lower case, the same grouped by their last character (None when
    one is empty: it ends every text), and how far from the end of a text one of them can
    start (with the character before it): worked out once per list of phrases.

    Why the grouping: a text can only end with a phrase that ends with its last character, so
    only those are tried, in the same order; the stages ask this for every number.
    """
    every = tuple((phrase, phrase.lower()) for phrase in phrases)
    reach = max((len(p) for _, p in every), default=0) + 1
    if not all(p for _, p in every):
        return every, None, reach
    by_last: dict[str, Phrases] = {}
    for pair in every:
        by_last[pair[1][-1]] = (*by_last.get(pair[1][-1], ()), pair)
    return every, by_last, reach
