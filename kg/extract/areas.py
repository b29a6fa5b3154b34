"""Step 4 of extraction, areas: the jurisdictions each figure is about.

Reads the drafts (``clause`` and ``segment``, from ``kg.extract.numbers``), the jurisdiction
mentions of the sentence and of the sentence before it (``kg.extract.mentions``) and the measure
book's ``example_cues``, ``province_anaphora`` and ``area_cues``. Adds each draft's ``areas``
(ISO 3166-2 coded jurisdiction IRIs), and the release's default area (:func:`release_area`).

Not every jurisdiction a text names is where a figure happened (:func:`area_mentions`): a
dateline ("KUNMING, June 25 (Xinhua) --"), the place of a press conference or a speech, the
origin of people or goods ("suspects from Myanmar", "natives of Gansu"), a destination and
"China's" before a province ("southwest China's Yunnan Province" is Yunnan) are not areas.
A city or prefecture the lexicon knows stands for its province (its mention is linked to it).

Why in this order: the jurisdictions named in the figure's clause come first, then a
nationwide clause ("police nationwide destroyed 5 dens") is China, then the jurisdictions of
its segment (between semicolons); else, when its sentence names none, those the previous
sentence names (one, or several named as one list: a joint operation); else the release's
area. Jurisdictions after "including" or "such as" are examples, not the area the figure
covers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from kg.extract.cues import ends_with_phrase
from kg.extract.measures import AreaCues
from kg.extract.records import Draft, Mention
from kg.namespaces import expand
from kg.text.segment import Paragraph, is_running_text

COUNTRY = expand("nkgv:jurisdiction/CN")
"""China: the area of a figure no jurisdiction is named for, in a national release."""
_SAME_LIST = re.compile(r"\s*(?:,|,?\s*and|,?\s*or)\s*")
_POSSESSIVE = re.compile(r"['’]s\b")
# "Xinjiang police, working with police in Inner Mongolia and ...": one joint account
_JOINT = re.compile(
    r"[^.;:]{0,50}\b(?:together with|jointly with|working with|worked with|in cooperation with|"
    r"teamed up with|joined by|with)\s+(?:the\s+|their\s+|its\s+)?(?:police|officers|counterparts|"
    r"public security (?:organs|departments|bureaus))\s+(?:in|from|of)\s+"
    r"(?:(?:neighbouring|neighboring|nearby|adjacent)\s+)?",
    re.I,
)
# "Baoji police and Gansu Province jointly cracked ...": two forces named as one subject
_POLICE_AND = re.compile(
    r"\s+(?:police|officers|public security (?:organs|bureaus?|departments?))\s*"
    r"(?:,|,?\s*and|,?\s*together with|,?\s*with)\s+(?:(?:the\s+)?(?:police|officers|"
    r"public security (?:organs|bureaus?|departments?))\s+(?:in|of|from)\s+)?",
    re.I,
)
# "... worked with counterparts in Shenzhen ...": the release's own province is the partner
_JOINT_BEFORE = re.compile(
    r"\b(?:together with|jointly with|working with|worked with|in cooperation with|"
    r"teamed up with|cooperated with|joined hands with)\s+(?:the\s+|their\s+|its\s+)?"
    r"(?:police|officers|"
    r"counterparts|public security (?:organs|departments|bureaus))\s+(?:in|from|of)\s+"
    r"(?:(?:neighbouring|neighboring|nearby|adjacent)\s+)?$",
    re.I,
)
_APPOSITION = re.compile(r",\s*|\s+in\s+|,?\s+(?:and|or)\s+")
_SENTENCE_END = re.compile(r"[.!?]\s")
_DATELINE_PREFIX = 60  # a dateline place stands within this many characters of its line start


def area_mentions(text: str, mentions: Sequence[Mention], cues: AreaCues) -> list[Mention]:
    """The jurisdiction mentions of ``mentions`` that may be where a figure happened.

    Left out: datelines, "China's" before another name, and names the ``not_area_before`` cues
    make a venue, an origin, a destination or a border.
    """
    out = []
    dropped_end = -1  # end of the last name left out: "in Kunming, Yunnan province" goes with it
    for m in mentions:
        if m.scheme != "jurisdictions" or not m.entity:
            continue
        if m.entity == COUNTRY and _POSSESSIVE.match(text, m.end):
            continue
        before = text[max(0, m.start - 80) : m.start]
        if (
            (dropped_end >= 0 and _APPOSITION.fullmatch(text[dropped_end : m.start]))
            or any(p.search(before) for p in cues.not_area_before)
            or (cues.dateline_after is not None and _is_dateline(text, m, cues.dateline_after))
        ):
            dropped_end = m.end
            continue
        out.append(m)
    return out


def _is_dateline(text: str, m: Mention, after: re.Pattern[str]) -> bool:
    line_start = text.rfind("\n", 0, m.start) + 1
    prefix = text[line_start : m.start]
    if len(prefix) > _DATELINE_PREFIX or _SENTENCE_END.search(prefix):
        return False
    if prefix.strip() and not prefix.rstrip().endswith(","):
        return False  # "Police in Beijing, May 3 ..." is not a dateline; "CNS, Beijing, May 3" is
    return bool(after.match(text[m.end : m.end + 160]))


def release_area(
    text: str,
    paras: Sequence[Paragraph],
    mentions: Sequence[Mention],
    province_anaphora: Sequence[re.Pattern[str]],
    cues: AreaCues | None = None,
) -> str:
    """The country; or the one province a provincial release names and calls "the province".

    Args:
        text: the release text.
        paras: its paragraphs (the province must be the only one named in the first paragraph
            that names any, at the latest in the lead: the first paragraph of running text).
        mentions: its mentions.
        province_anaphora: how a provincial release refers to its own province.
        cues: which named jurisdictions are not areas (datelines, venues...).
    """
    if not paras or not any(p.search(text) for p in province_anaphora):
        return COUNTRY
    usable = area_mentions(text, mentions, cues or AreaCues())
    for para in paras:  # the first paragraph, up to the lead, that names a province decides
        named = {
            m.entity for m in usable if m.entity != COUNTRY and para.start <= m.start < para.end
        }
        if named:
            return named.pop() if len(named) == 1 else COUNTRY  # type: ignore[return-value]
        if is_running_text(para):
            break
    return COUNTRY


def non_examples(
    text: str, jurisdictions: Sequence[Mention], example_cues: Sequence[str]
) -> list[Mention]:
    """Drop jurisdictions listed after an example cue ("including", "such as")."""
    kept: list[Mention] = []
    in_example_list = False
    prev_end: int | None = None
    for j in jurisdictions:
        gap = text[prev_end : j.start] if prev_end is not None else ""
        if prev_end is not None and _SAME_LIST.fullmatch(gap):
            pass  # same list continues
        else:
            lead = text[max(0, j.start - 30) : j.start]
            in_example_list = ends_with_phrase(lead, example_cues) is not None
        if not in_example_list:
            kept.append(j)
        prev_end = j.end
    return kept


def figure_locality(named: tuple[str, ...] | list[Mention]) -> str | None:
    """The one city or prefecture the mentions that gave a figure its area name, if any."""
    if isinstance(named, tuple) or not named or not all(m.place for m in named):
        return None
    places = {m.verbatim for m in named}
    return places.pop() if len(places) == 1 else None


def _entities(ms: Sequence[Mention]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m.entity for m in ms if m.entity))


def area_named(
    text: str,
    d: Draft,
    in_sentence: Sequence[Mention],
    in_previous: Sequence[Mention],
    area: str,
    example_cues: Sequence[str],
    cues: AreaCues | None = None,
) -> tuple[str, ...] | list[Mention]:
    """The mentions that give one draft its areas, or the areas themselves when no mention
    does (China for a nationwide clause, the release's area); see the module docstring for
    the order of preference.

    Args:
        text: the release text.
        d: the draft (its ``clause`` and ``segment`` are read).
        in_sentence: the mentions of its sentence, by start.
        in_previous: the mentions of the sentence before it (or of a list's lead).
        area: the release's area (:func:`release_area`).
        example_cues: phrases after which jurisdictions are examples.
        cues: which named jurisdictions are not areas, and which words are nationwide.
    """
    cues = cues or AreaCues()

    def juris(ms: Sequence[Mention]) -> list[Mention]:
        return non_examples(text, area_mentions(text, ms, cues), example_cues)

    named = juris(in_sentence)
    in_clause = [m for m in named if d.clause[0] <= m.start < d.clause[1]]
    if in_clause:
        return _whole_lists(text, named, in_clause)
    clause = text[d.clause[0] : d.clause[1]]
    if any(p.search(clause) for p in cues.national):
        return (COUNTRY,)
    in_segment = [m for m in named if d.segment[0] <= m.start < d.segment[1]]
    if in_segment:  # the nearest list before the figure, else the first after it
        before = [m for m in in_segment if m.start < d.num.start]
        return _whole_lists(text, named, [before[-1] if before else in_segment[0]])
    # "Nationwide, police cracked ...": a nationwide word earlier in the segment
    if any(p.search(text[d.segment[0] : d.num.start]) for p in cues.national):
        return (COUNTRY,)
    if not named:
        prev = juris(in_previous)
        if len({m.entity for m in prev}) == 1:
            return prev
        # several as one list: a joint account, carried on unless a new operation is named
        new_operation = any(m.scheme == "operations" for m in in_sentence)
        if prev and _one_list(text, prev) and not new_operation:
            return prev
    return (area,)


def _whole_lists(text: str, named: Sequence[Mention], chosen: Sequence[Mention]) -> list[Mention]:
    """``chosen`` with the rest of any list they belong to ("Zhejiang, Jiangsu and Anhui
    jointly ...": a clause boundary after "Zhejiang," does not split the list; "Hunan police,
    together with police from Fujian and Zhejiang, ...": a joint operation is one list)."""
    keep = {id(m) for m in chosen}
    changed = True
    while changed:
        changed = False
        for a, b in pairwise(named):
            gap = text[a.end : b.start]
            linked = any(p.fullmatch(gap) for p in (_SAME_LIST, _JOINT, _POLICE_AND))
            if linked and (id(a) in keep) != (id(b) in keep):
                keep |= {id(a), id(b)}
                changed = True
    return [m for m in named if id(m) in keep]


def _one_list(text: str, ms: Sequence[Mention]) -> bool:
    """Whether ``ms`` name one jurisdiction, or several as one list ("Sichuan, Guizhou and
    Yunnan"): the subject of a joint operation rather than separate places."""
    if len({m.entity for m in ms}) == 1:
        return True
    return all(_SAME_LIST.fullmatch(text[a.end : b.start]) for a, b in pairwise(ms))


def assign_areas(
    text: str,
    drafts: Sequence[Draft],
    in_sentence: Sequence[Mention],
    in_previous: Sequence[Mention],
    area: str,
    example_cues: Sequence[str],
    cues: AreaCues | None = None,
) -> None:
    """Set ``areas`` and ``locality`` on each draft of one sentence (arguments as for
    :func:`area_named`)."""
    for d in drafts:
        named = area_named(text, d, in_sentence, in_previous, area, example_cues, cues)
        d.areas = named if isinstance(named, tuple) else _entities(named)
        d.locality = figure_locality(named)
        joint = (
            not isinstance(named, tuple)
            and named
            and _JOINT_BEFORE.search(text[max(0, named[0].start - 80) : named[0].start])
        )
        if joint and area != COUNTRY and area not in d.areas:  # the release's province joined
            d.areas = (area, *d.areas)
            d.locality = None
