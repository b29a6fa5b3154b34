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

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from kg.extract import window
from kg.extract.cues import ends_with_phrase
from kg.extract.measures import AreaCues
from kg.extract.mentions import run_key
from kg.extract.records import Draft, Mention
from kg.extract.window import WINDOW, Scans
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
            (dropped_end >= 0 and _apposition(text, dropped_end, m.start))
            or any(p.search(before) for p in cues.not_area_before)
            or (cues.dateline_after is not None and _is_dateline(text, m, cues.dateline_after))
        ):
            dropped_end = m.end
            continue
        out.append(m)
    return out


def _apposition(text: str, a: int, b: int) -> bool:
    """Whether ``text[a:b]`` joins two names in apposition ("Kunming, Yunnan province")."""
    return b - a <= WINDOW and _APPOSITION.fullmatch(text, a, b) is not None


def _is_dateline(text: str, m: Mention, after: re.Pattern[str]) -> bool:
    # the line start, looked for only as far back as a dateline place may stand from it
    reach = max(0, m.start - _DATELINE_PREFIX - 1)
    line_start = text.rfind("\n", reach, m.start) + 1
    if line_start == 0 and reach > 0:
        return False  # no line start within reach: too far into its line for a dateline
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
    starts = [m.start for m in usable]
    for para in paras:  # the first paragraph, up to the lead, that names a province decides
        i, j = bisect.bisect_left(starts, para.start), bisect.bisect_left(starts, para.end)
        named = {m.entity for m in usable[i:j] if m.entity != COUNTRY}
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
        if prev_end is not None and _SAME_LIST.fullmatch(text, prev_end, j.start):
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


@dataclass(frozen=True)
class _Named:
    """Mentions that give figures their areas, as much of them as assigning areas reads."""

    areas: tuple[str, ...]
    """Their jurisdictions, in order, each once."""
    locality: str | None
    """:func:`figure_locality` of them."""
    first: Mention
    """The first of them in the text."""


def _named(ms: Sequence[Mention]) -> _Named:
    """``ms`` (not empty) summed up."""
    return _Named(_entities(ms), figure_locality(list(ms)), ms[0])


def _joined(parts: Sequence[_Named]) -> _Named:
    """The summary of several runs of mentions at once, in order: the same as of their union
    (one place named alike throughout, or no locality)."""
    if len(parts) == 1:
        return parts[0]
    localities = {p.locality for p in parts}
    locality = localities.pop() if len(localities) == 1 else None
    areas = tuple(dict.fromkeys(a for p in parts for a in p.areas))
    return _Named(areas, locality, parts[0].first)


def _linked(text: str, a: Mention, b: Mention) -> bool:
    """Whether two consecutive names are one list ("Zhejiang, Jiangsu and Anhui") or one joint
    account ("Hunan police, together with police from Fujian ...")."""
    if b.start - a.end > WINDOW:
        return False
    gap = text[a.end : b.start]
    return any(p.fullmatch(gap) for p in (_SAME_LIST, _JOINT, _POLICE_AND))


class _Lists:
    """The jurisdictions of one sentence that may be areas, cut into lists (runs of names
    :func:`_linked` to the next), each summed up once.

    Why: a figure whose clause names a jurisdiction takes the whole list that name belongs to
    ("Zhejiang, Jiangsu and Anhui jointly ..."); finding the list again for each figure made a
    sentence of many names and many figures quadratic.
    """

    def __init__(self, text: str, named: list[Mention]) -> None:
        self.named = named
        self.starts = [m.start for m in named]
        self._run_of: list[int] = []
        self._runs: list[tuple[int, int]] = []  # [first, last + 1) of each list
        for i, m in enumerate(named):
            if i and _linked(text, named[i - 1], m):
                self._runs[-1] = (self._runs[-1][0], i + 1)
            else:
                self._runs.append((i, i + 1))
            self._run_of.append(len(self._runs) - 1)
        self._summaries: dict[tuple[int, int], _Named] = {}
        self._as_previous: _Named | bool | None = False  # not worked out yet

    def as_previous(self, text: str) -> _Named | None:
        """All of them, when they name one jurisdiction or several as one list (what the next
        sentence may inherit), else None; worked out once."""
        if self._as_previous is False:
            ms = self.named
            self._as_previous = _named(ms) if ms and _one_list(text, ms) else None
        return self._as_previous  # type: ignore[return-value]

    def lists_of(self, i: int, j: int) -> _Named:
        """The whole lists that ``named[i:j]`` (not empty) belong to, summed up."""
        key = (self._run_of[i], self._run_of[j - 1])
        found = self._summaries.get(key)
        if found is None:
            parts = [self._run(r) for r in range(key[0], key[1] + 1)]
            found = self._summaries[key] = _joined(parts)
        return found

    def _run(self, r: int) -> _Named:
        key = (r, r)
        found = self._summaries.get(key)
        if found is None:
            a, b = self._runs[r]
            found = self._summaries[key] = _named(self.named[a:b])
        return found


def _one_list(text: str, ms: Sequence[Mention]) -> bool:
    """Whether ``ms`` name one jurisdiction, or several as one list ("Sichuan, Guizhou and
    Yunnan"): the subject of a joint operation rather than separate places."""
    if len({m.entity for m in ms}) == 1:
        return True
    return all(_SAME_LIST.fullmatch(text, a.end, b.start) for a, b in pairwise(ms))


class AreaReader:
    """Assigns areas to the figures of a release's sentences (see the module docstring for the
    order of preference), reading the jurisdictions of each sentence once for all its figures.

    Why a class: a sentence's usable jurisdictions, their lists, and those of the sentence
    before it are the same for each of its figures, and a list's lead sentence is "the sentence
    before" every item of the list; read once, each figure costs a few bisections, so a
    sentence of thousands of names and figures stays linear.

    Args:
        text: the release text.
        area: the release's area (:func:`release_area`).
        example_cues: phrases after which jurisdictions are examples.
        cues: which named jurisdictions are not areas, and which words are nationwide.
        scans: the release's stretch searches (one is made when not given).
    """

    def __init__(
        self,
        text: str,
        area: str,
        example_cues: Sequence[str],
        cues: AreaCues | None = None,
        scans: Scans | None = None,
    ) -> None:
        self.text = text
        self.area = area
        self.example_cues = example_cues
        self.cues = cues or AreaCues()
        self.scans = scans or Scans(text)
        self._read: dict[tuple[int, int, int], _Lists] = {}

    def lists(self, ms: Sequence[Mention]) -> _Lists:
        """The usable jurisdictions of ``ms`` (the mentions of one sentence, by start) in lists;
        read once per sentence (``ms`` is a run of the release's mentions, known by its ends)."""
        key = run_key(ms)
        found = self._read.get(key)
        if found is None:
            usable = area_mentions(self.text, ms, self.cues)
            found = self._read[key] = _Lists(
                self.text, non_examples(self.text, usable, self.example_cues)
            )
        return found

    def assign(
        self,
        drafts: Sequence[Draft],
        in_sentence: Sequence[Mention],
        in_previous: Sequence[Mention],
    ) -> None:
        """Set ``areas`` and ``locality`` on each draft of one sentence.

        Args:
            drafts: the drafts (their ``clause`` and ``segment`` are read).
            in_sentence: the mentions of their sentence, by start.
            in_previous: the mentions of the sentence before it (or of a list's lead).
        """
        here = self.lists(in_sentence)
        previous = self._previous(here, in_sentence, in_previous)
        for d in drafts:
            found = self._named(d, here, previous)
            if isinstance(found, tuple):
                d.areas, d.locality = found, None
                continue
            d.areas, d.locality = found.areas, found.locality
            first = found.first
            joint = _JOINT_BEFORE.search(self.text[max(0, first.start - 80) : first.start])
            if joint and self.area != COUNTRY and self.area not in d.areas:
                d.areas = (self.area, *d.areas)  # the release's province joined in
                d.locality = None

    def _previous(
        self, here: _Lists, in_sentence: Sequence[Mention], in_previous: Sequence[Mention]
    ) -> _Named | None:
        """What the sentence before gives a figure whose own sentence names no jurisdiction:
        one jurisdiction, or several as one list (a joint account) unless a new operation is
        named; else None."""
        if here.named or not in_previous:
            return None
        inherited = self.lists(in_previous).as_previous(self.text)
        if inherited is None or len(inherited.areas) == 1:
            return inherited
        new_operation = any(m.scheme == "operations" for m in in_sentence)
        return None if new_operation else inherited

    def _national(self, lo: int, hi: int) -> bool:
        return any(self.scans.search(p, lo, hi) for p in self.cues.national)

    def _national_before(self, d: Draft) -> bool:
        """Whether a nationwide word stands earlier in the segment than the figure."""
        lo, hi, pos = d.segment[0], d.segment[1], d.num.start
        if pos and (self.text[pos - 1].isalnum() or self.text[pos - 1] == "_"):
            # digits glued to the word before them ("nationwide9"): that word ends the stretch
            stretch = window.before(self.text, lo, pos)
            return any(p.search(stretch) for p in self.cues.national)
        return any(self.scans.ends_by(p, lo, hi, pos) for p in self.cues.national)

    def _named(self, d: Draft, here: _Lists, previous: _Named | None) -> tuple[str, ...] | _Named:
        """The mentions that give one draft its areas, or the areas themselves when no mention
        does (China for a nationwide clause, the release's area)."""
        starts = here.starts
        i, j = bisect.bisect_left(starts, d.clause[0]), bisect.bisect_left(starts, d.clause[1])
        if i < j:  # named in its clause
            return here.lists_of(i, j)
        if self._national(*d.clause):
            return (COUNTRY,)
        i, j = bisect.bisect_left(starts, d.segment[0]), bisect.bisect_left(starts, d.segment[1])
        if i < j:  # the nearest list before the figure in its segment, else the first after it
            k = bisect.bisect_left(starts, d.num.start, i, j)
            nearest = k - 1 if k > i else i
            return here.lists_of(nearest, nearest + 1)
        # "Nationwide, police cracked ...": a nationwide word earlier in the segment
        if self._national_before(d):
            return (COUNTRY,)
        return previous if previous is not None else (self.area,)


def assign_areas(
    text: str,
    drafts: Sequence[Draft],
    in_sentence: Sequence[Mention],
    in_previous: Sequence[Mention],
    area: str,
    example_cues: Sequence[str],
    cues: AreaCues | None = None,
) -> None:
    """Set ``areas`` and ``locality`` on each draft of one sentence (:meth:`AreaReader.assign`;
    the extractor keeps one reader for the whole release)."""
    AreaReader(text, area, example_cues, cues).assign(drafts, in_sentence, in_previous)
