"""Which figures of a release may be added up: each figure's role in a sum.

Why: a release states a national total, then the provinces, the summer campaign inside the
year, "of which" parts, and year-on-year changes, all for the same measure. Summed, release 000
gave 97.2 t of drugs seized against its stated 8.2 t. Every figure therefore says what it is in
a sum (``nko:sumRole``) and, when another figure of the release already counts it, which one
(``nko:within``):

* ``change``: a year-on-year change; never added to counts;
* ``part``: a part of a stated total (``nko:partOf``, "of which", "among them");
* ``covered``: inside the scope of another figure of the same measure in the release: its area
  (a province in the country, a city in its province), its period (a campaign's months inside
  the year), its substance (heroin inside "drugs"), or the same number stated again for the
  same scope;
* ``headline``: a figure that covers others or has parts: the total they add up to;
* ``separate``: a fact of its own; nothing else in the release counts it.

Within one release, the figures whose role is ``headline`` or ``separate`` may be added per
measure and unit without counting anything twice. Across releases they may not: releases
restate each other's periods. The rule compares scopes, never values, and uses no vocabulary.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kg.extract.records import Figure
from kg.namespaces import expand

COUNTRY = expand("nkgv:jurisdiction/CN")
ROLES = ("headline", "part", "covered", "change", "separate")
# units of one dimension compare with each other (a kilogram figure inside a tonne total)
_DIMENSION = {"TONNE": "mass", "KiloGM": "mass", "GM": "mass", "HA": "area", "MU": "area"}
# how many figures of the same measure, on either side in the text, may contain a figure: the
# containing one is stated near it in real releases, and the bound keeps a hostile text of
# thousands of figures linear
WINDOW = 64


@dataclass(frozen=True)
class Role:
    """A figure's role, and the figure (its span) that counts it when it is not added."""

    role: str
    within: tuple[int, int] | None = None


def _is_change(f: Figure) -> bool:
    return f.change_of is not None or f.direction is not None


def _bucket(f: Figure) -> tuple[str, str, str | None]:
    return f.indicator, _DIMENSION.get(f.unit, f.unit), f.agency


def _area_contains(outer: Figure, inner: Figure) -> bool:
    """The outer figure's area holds the inner's (the country holds every province; a
    province holds a city of it; a group of areas holds each of its members)."""
    if outer.locality and outer.locality != inner.locality:
        return False
    if COUNTRY in outer.areas:
        return True
    return bool(inner.areas) and set(inner.areas) <= set(outer.areas)


def _period_contains(outer: Figure, inner: Figure, issued: str | None) -> bool:
    """The outer period holds the inner (ISO dates compare as text); an unknown period holds
    only an unknown one, and an open start ("as of July 31") holds any start.

    A period that ends on the release's date ends there because the text states no cut-off
    ("since June", "this year"): its figures are the latest statistics, as are those of the
    release's dated periods ("January to August"), so its end is taken to be theirs.
    """
    o, i = outer.period, inner.period
    if o.end is None or i.end is None:
        return o.end is None and i.end is None and o.start == i.start
    open_ended = issued is not None and issued in (o.end, i.end)
    if i.end > o.end and not open_ended:
        return False
    if o.start is None:
        return True
    return i.start is not None and i.start >= o.start


def _same_or_general(outer: str | None, inner: str | None, broader: Mapping[str, str]) -> bool:
    """The outer offence or substance holds the inner: none stated (all), the same, one the
    vocabulary places above it (drug-related crime above drug trafficking), or the inner
    states none where the outer does (the text named it once for the whole passage)."""
    if outer is None or inner is None or outer == inner:
        return True
    seen = set()
    while inner in broader and inner not in seen:
        seen.add(inner)
        inner = broader[inner]
        if inner == outer:
            return True
    return False


def _restated(first: Figure, again: Figure) -> bool:
    """Two figures of the same scope state the same number (or one is garbled: no value)."""
    return first.value is None or again.value is None or first.value == again.value


def contains(
    outer: Figure,
    inner: Figure,
    issued: str | None = None,
    broader: Mapping[str, str] | None = None,
) -> bool:
    """Whether ``outer`` counts everything ``inner`` counts (same measure and unit dimension
    assumed): area, period, substance, offence; an operation's figure is inside the figure of
    no operation, never inside another operation's."""
    if outer.operation is not None and outer.operation != inner.operation:
        return False
    return (
        _area_contains(outer, inner)
        and _period_contains(outer, inner, issued)
        and _same_or_general(outer.substance, inner.substance, broader or {})
        and _same_or_general(outer.offence, inner.offence, broader or {})
    )


def roles(
    figures: Sequence[Figure],
    issued: str | None = None,
    broader: Mapping[str, str] | None = None,
) -> dict[tuple[int, int], Role]:
    """The role of every figure of one release (issued on ``issued``, ISO), by span;
    ``broader`` maps a vocabulary IRI to the one above it."""
    spans = [(f.start, f.end) for f in figures]
    by_span = dict(zip(spans, figures, strict=True))
    buckets: dict[tuple[str, str, str | None], list[Figure]] = defaultdict(list)
    for f in sorted(figures, key=lambda f: f.start):
        if not _is_change(f):
            buckets[_bucket(f)].append(f)
    out: dict[tuple[int, int], Role] = {}
    totals: set[tuple[int, int]] = set()
    for f in figures:
        span = (f.start, f.end)
        if _is_change(f):
            out[span] = Role("change")
        elif f.part_of is not None and f.part_of in by_span:
            out[span] = Role("part", f.part_of)
            totals.add(f.part_of)
    for group in buckets.values():
        starts = [f.start for f in group]
        for i, f in enumerate(group):
            span = (f.start, f.end)
            if span in out:
                continue
            # nearest first: the figure just before, then just after, and so on outwards
            at = bisect.bisect_left(starts, f.start)
            near = sorted(
                (j for j in range(max(0, at - WINDOW), min(len(group), at + WINDOW + 1))),
                key=lambda j: (abs(j - i), j),
            )
            for j in near:
                other = group[j]
                if j == i or not contains(other, f, issued, broader):
                    continue
                if contains(f, other, issued, broader) and (j > i or not _restated(other, f)):
                    # the same scope: f is a restatement of an earlier figure of the same
                    # value; with another value the two are told apart by something the
                    # scopes do not hold (two provinces named in one sentence), so neither
                    # counts the other
                    continue
                within = (other.start, other.end)
                out[span] = Role("covered", within)
                totals.add(within)
                break
    for f in figures:
        span = (f.start, f.end)
        if span not in out:
            out[span] = Role("headline" if span in totals else "separate")
    # a covered figure that others are parts of stays covered: its container is the headline
    return out
