"""Step 6 of extraction, lists and changes: year-on-year changes, parts of totals, lists.

Reads the drafts of one sentence (``num``, ``kind``, ``unit_end``, ``clause`` from
``kg.extract.numbers``) and the measure book's ``up``, ``down``, ``year_on_year``,
``respectively`` and ``part_cues`` phrases. Adds ``is_change``, ``direction`` and
``change_of`` (the span of the figure a change changes) and ``part_of`` (the total a figure is
a part of). :func:`link` runs the three steps in the order they depend on each other:

1. :func:`mark_changes`: a percentage after "up", "down", "an increase of"..., or near "year on
   year", is a change, not a share.
2. :func:`link_parts`: a figure after "of which" or "including" is a part of the last total of
   its kind before it; the figures listed right after a part are parts of the same total.
3. :func:`link_changes`: consecutive changes form a group that shares one direction; a group
   followed by "respectively" goes, in order, to as many figures before it; any other change
   goes to the last figure before it. Neither changes nor parts are bases.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from itertools import pairwise

from kg.extract import window
from kg.extract.cues import ends_with_phrase
from kg.extract.measures import MeasureBook
from kg.extract.records import Draft
from kg.text.segment import Sentence

# "made up 62%", "set up 12": "up" as a particle of the verb, not a rise
_PARTICLE_UP = re.compile(
    r"\b(?:made|make|makes|making|pick(?:ed|s)?|set|sets|took|take|takes|shored|stepped|"
    r"built|opened|sum(?:med)?|add(?:ed|s)?|broke|broken|split|locked|rounded)\s+up\s*$",
    re.I,
)
_SHARE_BEFORE = re.compile(
    r"\b(?:accounting for|accounted for|accounts? for|representing|represented|making up|"
    r"made up|makes up|share of|proportion of|rate of)\s*$",
    re.I,
)
_AVERAGE = re.compile(
    r"\b(?:average annual|annual average|average yearly|on average|an average of)\b", re.I
)
# "20 percent a year on average", "by an average of 16.9 percent a year"
_PER_YEAR = re.compile(r"^\s*(?:a|per|each|every) year\b|^\s*annually\b", re.I)
_AVERAGE_WORD = re.compile(r"\baverage\b", re.I)
_DOWN_AFTER = re.compile(
    r"^\s*(?:lower|less|fewer|down|decrease|decline|drop|fall|reduction)\b", re.I
)
_UP_AFTER = re.compile(r"^\s*(?:higher|more|up|increase|rise|growth)\b", re.I)
_FEWER_AFTER = re.compile(r"^\s*(?:fewer|less)\b(?!\s+than\s+\d)", re.I)
_MORE_THAN_BASE_AFTER = re.compile(
    r"^\s*more\s+than\s+(?:in|during|the same|last|a year|the previous|the year)\b", re.I
)
_BARE_DIRECTION_BASE_AFTER = re.compile(r"^\s*(?:from|compared|over|on|than)\b", re.I)
_YOY_ARTICLE = re.compile(r"\b(?:a|an|the)\s+(?:year-on-year|year on year)\s+", re.I)
# between two changes of one list: "6.2 percent and 9.5 percent and up 12.7 percent"
# "respective year-on-year rises of 12.7 percent and 9.4 percent"
_RESPECTIVE_BEFORE = re.compile(r"\brespective\b[^.;]*$")
_LIST_GAP = re.compile(
    r"[\s,]*(?:and\s*)?(?:(?:up|down|an? (?:increase|decrease|rise|fall|drop|decline) of"
    r"|increased|decreased|rose|fell|dropped|declined)(?:\s+by)?\s*)?",
    re.I,
)
# words between a direction and its number: "dropping by more than 20 percent"
_BETWEEN_DIRECTION_AND_NUMBER = re.compile(
    r"(?:\b(?:more than|over|nearly|about|almost|around|approximately|some|an average of|"
    r"on average|an annual average of|an average annual)\s+)+$",
    re.I,
)
# "dropped 5.8 percent from the previous year to 2.404 million": the base follows
_BASE_FOLLOWS = re.compile(r"^[^,;]{0,60}?\bto\s+(?:about |around |some |nearly )?$", re.I)
_PART_LIST_BREAK = re.compile(r"[;.]|\b(?:while|whereas|also|besides|in addition)\b")
# "arrested 243 suspects, 17 of them from Myanmar": a part of the figure before
_OF_THEM = re.compile(r"^\s+of (?:them|whom|which|those)\b", re.I)


def link(text: str, sentence: Sentence, drafts: Sequence[Draft], measures: MeasureBook) -> None:
    """Mark the changes of one sentence, link parts to totals and changes to their bases."""
    mark_changes(text, sentence, drafts, measures)
    link_parts(text, drafts, measures.part_cues)
    link_changes(text, drafts, measures.respectively)


def mark_changes(
    text: str, sentence: Sentence, drafts: Sequence[Draft], measures: MeasureBook
) -> None:
    """Set ``is_change`` and ``direction`` on the percentages that state a change.

    The direction comes from the words just before the number in its clause ("a year-on-year
    decrease of 6.1%" reads as "decrease of"); "year on year" within 60 characters before or 80
    after marks a change even when no direction is stated.
    """
    for d in drafts:
        before = text[max(d.clause[0], d.num.start - 40) : d.num.start]
        before = _YOY_ARTICLE.sub(" ", before)
        after = text[d.unit_end : min(d.unit_end + 40, sentence.end)]
        if d.kind != "percent":
            _mark_absolute_change(d, before, after, measures)
            continue
        found = _direction_before(before, measures)
        if found is None:
            found = _direction_before(_BETWEEN_DIRECTION_AND_NUMBER.sub("", before), measures)
        if found is None and not _SHARE_BEFORE.search(before):
            if _DOWN_AFTER.match(after):
                found = "down"
            elif _UP_AFTER.match(after):
                found = "up"
        d.direction = found
        after_average = text[d.unit_end : min(d.unit_end + 40, sentence.end)]
        d.average = bool(_AVERAGE.search(before)) or bool(
            _PER_YEAR.match(after_average) and _AVERAGE_WORD.search(before + after_average)
        )
        window = text[
            max(sentence.start, d.num.start - 60) : min(sentence.end, d.num.end + 80)
        ].lower()
        yoy = any(p.lower() in window for p in measures.year_on_year)
        share = bool(_SHARE_BEFORE.search(before))
        d.is_change = d.direction is not None or (yoy and not share) or d.average
    # "increases of 19.1 percent and 18.1 percent respectively": the list's later items too
    for prev, d in pairwise(drafts):
        if (
            d.kind == "percent"
            and not d.is_change
            and prev.is_change
            and prev.kind == "percent"
            and _list_gap(text, prev.unit_end, d.num.start)
        ):
            d.is_change = True


def _list_gap(text: str, a: int, b: int) -> bool:
    """Whether ``text[a:b]`` only separates two items of one list of changes (matched in place:
    the gaps of a long sentence are not copied)."""
    return (_LIST_GAP.fullmatch(text, a, b) if a <= b else _LIST_GAP.fullmatch("")) is not None


def _direction_before(before: str, measures: MeasureBook) -> str | None:
    """ "up", "down" or None from the words that end ``before``; "made up" is not a rise."""
    if ends_with_phrase(before, measures.up) and not _PARTICLE_UP.search(before):
        return "up"
    if ends_with_phrase(before, measures.down):
        return "down"
    return None


def _mark_absolute_change(d: Draft, before: str, after: str, measures: MeasureBook) -> None:
    """A count or mass stated as a difference: "1,546 fewer than in 2019", "down 2.6 tons from".

    Bare "up" and "down" before the number count only when a base follows ("from 2019",
    "compared with"): "picked up 30 suspects" is no change.
    """
    if d.kind not in ("count", "mass", "money", "volume", "area"):
        return
    direction = None
    if _FEWER_AFTER.match(after):
        direction = "down"
    elif _MORE_THAN_BASE_AFTER.match(after):
        direction = "up"
    else:
        bare = before.rstrip().lower()
        if bare.endswith((" up", " down")) or bare in ("up", "down"):
            if _BARE_DIRECTION_BASE_AFTER.match(after):
                direction = "up" if bare.endswith("up") else "down"
        else:
            direction = _direction_before(before, measures)
            if direction and not re.search(r"\b(?:by|of)\s*$", before):
                direction = None  # "an increase of 30 cases", "rose by 2 tons" only
    if direction:
        d.is_change, d.direction = True, direction


def link_parts(text: str, drafts: Sequence[Draft], part_cues: Sequence[str]) -> None:
    """ "3 tons of drugs, of which 1.9 tons were heroin and 0.4 tons ketamine": set ``part_of``.

    Needs :func:`mark_changes` first: a change is never a part nor a total.
    """
    last_total: dict[str, Draft] = {}  # the last figure of each kind that may be a total
    for i, d in enumerate(drafts):
        if d.is_change or i == 0:
            _may_be_total(d, last_total)
            continue
        prev = drafts[i - 1]
        lead = text[max(0, d.num.start - 30) : d.num.start]
        total: Draft | None = None
        follows = text[d.unit_end : d.unit_end + 12]
        if ends_with_phrase(lead, part_cues) or _OF_THEM.match(follows):
            total = last_total.get(d.kind)
        elif (
            prev.part_of is not None
            and prev.kind == d.kind
            and d.num.start - prev.unit_end < 60
            and not _PART_LIST_BREAK.search(text[prev.unit_end : d.num.start])
        ):
            total = prev.part_of
        d.part_of = total
        _may_be_total(d, last_total)


def _may_be_total(d: Draft, last_total: dict[str, Draft]) -> None:
    """Note ``d`` as the last total of its kind so far, unless it is a change or a part.

    Why a running note rather than looking back: a sentence of thousands of "of which" parts
    looked back over all the figures before each one.
    """
    if not d.is_change and d.part_of is None:
        last_total[d.kind] = d


class _Figures:
    """The figures of one sentence that are not changes, by position, for the bases of the
    changes: bisecting them keeps a sentence of many changes linear."""

    def __init__(self, drafts: Sequence[Draft]) -> None:
        self.plain = [d for d in drafts if not d.is_change]
        self._starts = [d.num.start for d in self.plain]
        totals = [d for d in self.plain if d.part_of is None]  # neither changes nor parts
        self._totals = {"": totals}
        for d in totals:
            self._totals.setdefault(d.kind, []).append(d)
        self._total_starts = {k: [d.num.start for d in v] for k, v in self._totals.items()}

    def first_after(self, pos: int) -> Draft | None:
        """The first that starts after ``pos``."""
        i = bisect.bisect_right(self._starts, pos)
        return self.plain[i] if i < len(self.plain) else None

    def bases(self, kind: str, pos: int, count: int) -> tuple[int, list[Draft]]:
        """How many totals of ``kind`` ("" for any) start before ``pos``, and the last
        ``count`` of them."""
        i = bisect.bisect_left(self._total_starts.get(kind, []), pos)
        return i, self._totals.get(kind, [])[max(0, i - count) : i]


def _base_following(text: str, figures: _Figures, group: Sequence[Draft]) -> Draft | None:
    """The figure a lone change goes "to" ("down 5.8 percent ... to 2.404 million"), if any."""
    if len(group) != 1:
        return None
    g = group[0]
    nxt = figures.first_after(g.num.end)
    if nxt is None or nxt.num.start > g.clause[1] or nxt.kind == "percent":
        return None
    if not _BASE_FOLLOWS.match(window.opening(text, g.unit_end, nxt.num.start)):
        return None
    return nxt


def link_changes(text: str, drafts: Sequence[Draft], respectively: Sequence[str]) -> None:
    """Group consecutive changes ("up 6%, 3.9%, and 16.5% respectively") and set ``change_of``.

    Needs :func:`mark_changes` and :func:`link_parts` first: the bases are the figures before
    the group that are neither changes nor parts.
    """
    groups: list[list[Draft]] = []
    for d in drafts:
        if not d.is_change:
            continue
        if groups and _list_gap(text, groups[-1][-1].unit_end, d.num.start):
            groups[-1].append(d)
        else:
            groups.append([d])
    figures = _Figures(drafts)
    for group in groups:
        direction = next((g.direction for g in group if g.direction), None)
        for g in group:  # an item without a direction word takes the one before it
            g.direction = direction = g.direction or direction
        after = text[group[-1].unit_end : group[-1].unit_end + 40].lower()
        kind = group[0].kind
        # the bases: figures before the group that are neither changes nor parts, of its kind
        # (any kind for percentages); how many there are, and the last as many as the group
        found, bases = figures.bases(
            "" if kind == "percent" else kind, group[0].num.start, len(group)
        )
        lead = text[max(0, group[0].num.start - 60) : group[0].num.start].lower()
        is_respectively = any(p.lower() in after for p in respectively) or bool(
            _RESPECTIVE_BEFORE.search(lead)
        )
        if all(g.average for g in group):
            continue  # an average annual change over years has no one base figure
        following = _base_following(text, figures, group)
        if following is not None:
            for g in group:
                g.change_of = (following.num.start, following.num.end)
        elif len(group) > 1 and is_respectively and found >= len(group):
            for g, b in zip(group, bases, strict=True):
                g.change_of = (b.num.start, b.num.end)
        elif bases:
            for g in group:
                g.change_of = (bases[-1].num.start, bases[-1].num.end)
