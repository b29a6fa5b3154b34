"""Does a stretch of text end with one of the measure book's cue phrases?

Why: several stages decide from the words right before a number or a name: the qualifier
("more than 300"), a change's direction ("an increase of 5%"), a part ("of which 2 tons"), an
example list ("including Hunan"). They all need the same test, whole words only, so that "up"
does not fire on "setup" and "of which" not on "proof of which".
"""

from __future__ import annotations

from collections.abc import Sequence


def ends_with_phrase(before: str, phrases: Sequence[str]) -> str | None:
    """The first of ``phrases`` that ``before`` ends with as whole words, else None.

    Args:
        before: the text before the number or name (trailing space is ignored).
        phrases: cue phrases, longest first, so that the longest one that fits wins.

    Returns:
        The phrase as listed (not as written in the text), or None.
    """
    low = before.lower().rstrip()
    for phrase in phrases:  # longest first
        p = phrase.lower()
        if low.endswith(p) and (len(low) == len(p) or not low[-len(p) - 1].isalnum()):
            return phrase
    return None
