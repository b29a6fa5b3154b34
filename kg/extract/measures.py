"""Load ``mappings/measures.yaml``: units, qualifiers, change cues and indicator cue patterns
(and ``nonfigures.yaml`` beside it: the shapes of numbers that are not figures).

Why: what a figure counts is decided by phrases, and phrases are vocabulary: they live in a data
file that users extend, with invented examples the tests run, not in extractor code. This
module is the lexicon's sibling for measures (DESIGN.md: ``kg/extract/lexicon.py`` covers entities).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import yaml

from kg.errors import InputError
from kg.namespaces import expand
from kg.resources import mappings_dir
from kg.text import yamldata
from kg.text.prefilter import Prefilter


@dataclass(frozen=True)
class Unit:
    """A unit and the words that name it right after a number."""

    code: str  # the code exports show: the QUDT local name (CNY for yuan) or MU
    kind: str  # count | mass | area | volume | money | percent | duration
    words: tuple[str, ...]
    iri: str = ""
    label: str = ""


@dataclass(frozen=True)
class Indicator:
    """What a figure counts, with the patterns that recognise it."""

    iri: str
    slug: str
    label: str
    definition: str
    kinds: tuple[str, ...]
    tail: tuple[re.Pattern[str], ...]
    context: tuple[re.Pattern[str], ...]
    fallback: bool
    examples: tuple[dict[str, str], ...]
    framed: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = ()
    """(before, tail) pairs: both must match, the first against the clause up to the number
    ("there are 1.2 million drug users": a stock), the second against the tail."""
    requires: tuple[re.Pattern[str], ...] = ()
    """The indicator is considered only when one of these matches the figure's clause
    ("a reward for 10 fugitives": fugitives wanted, not caught)."""
    stock: bool = False
    """A stock, counted at a point in time (registered drug users), not a flow over a period:
    its figures are dated by an instant, the end of the period their sentence states."""


@dataclass(frozen=True)
class Discovery:
    """A pattern that finds a name the lexicon may not know ("Qianxi Province")."""

    cls: str  # nko class local name of what it finds
    scheme: str
    pattern: re.Pattern[str]  # group "name" is the mention


@dataclass(frozen=True)
class NonFigureRules:
    """What ``nonfigures.yaml`` says: the shapes of numbers that state no quantity."""

    spans: tuple[tuple[str, re.Pattern[str]], ...] = ()
    """(kind, pattern): a number inside a match is a date, a time, a page number..."""
    legal: tuple[re.Pattern[str], ...] = ()
    """A sentence matching one states the law, not what happened."""
    duration_figure: tuple[re.Pattern[str], ...] = ()
    """Matched against the clause before a "N days/months/years": the duration is a figure."""
    duration_figure_nouns: re.Pattern[str] | None = None
    """Matched right after a hyphenated duration ("-month campaign"): then it is a figure."""

    @cached_property
    def spans_prefilter(self) -> Prefilter:
        """Which :attr:`spans` patterns a text may hold (kg/text/prefilter.py), worked out
        once: a release holds the words of few of the phone, page or threshold shapes."""
        return Prefilter(pattern for _, pattern in self.spans)


def load_non_figures(path: Path) -> NonFigureRules:
    """Read and compile ``nonfigures.yaml``; no file means no rules (a minimal vocabulary)."""
    if not path.exists():
        return NonFigureRules()
    try:
        raw = yamldata.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise InputError(path, f"line {line}: {exc.problem}") from exc
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(path, f"cannot read: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("spans") or {}, dict):
        raise InputError(path, "expected a mapping with 'spans' (kind: [patterns])")
    spans = tuple(
        (str(kind), pattern)
        for kind, patterns in (raw.get("spans") or {}).items()
        for pattern in _compile(path, f"spans.{kind}", patterns, flags=0)
    )
    return NonFigureRules(
        spans=spans,
        legal=_compile(path, "legal_cues", raw.get("legal_cues"), flags=0),
        duration_figure=_compile(path, "duration_figure_cues", raw.get("duration_figure_cues")),
        duration_figure_nouns=(
            _compile(path, "duration_figure_nouns", [raw["duration_figure_nouns"]], flags=0)[0]
            if raw.get("duration_figure_nouns")
            else None
        ),
    )


@dataclass(frozen=True)
class AreaCues:
    """When a jurisdiction named in the text is not where a figure happened, and when a clause
    is nationwide (``measures.yaml``, ``area_cues``)."""

    not_area_before: tuple[re.Pattern[str], ...] = ()
    dateline_after: re.Pattern[str] | None = None
    national: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class MeasureBook:
    """Everything ``measures.yaml`` says, compiled."""

    path: Path
    units: tuple[Unit, ...]
    qualifiers: tuple[tuple[str, str], ...]  # (phrase, qualifier code), longest phrase first
    up: tuple[str, ...]
    down: tuple[str, ...]
    year_on_year: tuple[str, ...]
    respectively: tuple[str, ...]
    example_cues: tuple[str, ...]
    part_cues: tuple[str, ...]
    province_anaphora: tuple[re.Pattern[str], ...]
    discovery: tuple[Discovery, ...]
    indicators: tuple[Indicator, ...]
    max_fraction_digits: int
    year_window: tuple[int, int]
    non_figures: NonFigureRules = NonFigureRules()
    """From ``nonfigures.yaml`` beside ``measures.yaml``."""
    area_cues: AreaCues = AreaCues()

    def indicator(self, slug: str) -> Indicator:
        """The indicator with this slug (``cases-solved``)."""
        for ind in self.indicators:
            if ind.slug == slug:
                return ind
        raise KeyError(slug)


def _compile(
    path: Path, where: str, patterns: list[str] | None, flags: int = re.IGNORECASE
) -> tuple[re.Pattern[str], ...]:
    out = []
    for p in patterns or []:
        try:
            out.append(re.compile(p, flags))
        except re.error as exc:
            raise InputError(path, f"{where}: bad pattern {p!r}: {exc}") from exc
    return tuple(out)


def _phrases(value: Any) -> tuple[str, ...]:
    return tuple(sorted((str(v) for v in value or []), key=len, reverse=True))


def load_measures(path: Path | None = None) -> MeasureBook:
    """Read and compile ``measures.yaml`` (default: the shipped one)."""
    path = path or mappings_dir() / "measures.yaml"
    try:
        raw = yamldata.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise InputError(path, f"line {line}: {exc.problem}") from exc
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(path, f"cannot read: {exc}") from exc
    try:
        units = tuple(
            Unit(
                str(u["unit"]),
                str(u["kind"]),
                _phrases(u.get("words")),
                expand(str(u["iri"])),
                str(u["label"]),
            )
            for u in raw["units"]
        )
        qualifiers = tuple(
            sorted(
                ((phrase, code) for code, ps in raw["qualifiers"].items() for phrase in ps),
                key=lambda pc: len(pc[0]),
                reverse=True,
            )
        )
        changes = raw["changes"]
        indicators = []
        for i, entry in enumerate(raw["indicators"]):
            iri = expand(entry["id"])
            where = f"indicator {i + 1} ({entry['id']})"
            indicators.append(
                Indicator(
                    iri=iri,
                    slug=iri.rsplit("/", 1)[-1],
                    label=str(entry["label"]),
                    definition=str(entry["definition"]),
                    kinds=tuple(entry["kinds"]),
                    tail=_compile(path, where, entry.get("tail")),
                    context=_compile(path, where, entry.get("context")),
                    fallback=bool(entry.get("fallback")),
                    examples=tuple(entry.get("examples") or ()),
                    framed=tuple(
                        (b, t)
                        for pair in entry.get("framed") or ()
                        for b, t in zip(
                            _compile(path, where, [pair["before"]]),
                            _compile(path, where, [pair["tail"]]),
                            strict=True,
                        )
                    ),
                    requires=_compile(path, where, entry.get("requires")),
                    stock=bool(entry.get("stock")),
                )
            )
        plaus = raw.get("plausibility") or {}
        window = plaus.get("year_window", [-3, 1])
        return MeasureBook(
            path=path,
            units=units,
            qualifiers=qualifiers,
            up=_phrases(changes["up"]),
            down=_phrases(changes["down"]),
            year_on_year=_phrases(changes["year_on_year"]),
            respectively=_phrases(changes["respectively"]),
            example_cues=_phrases(raw.get("example_cues")),
            part_cues=_phrases(raw.get("part_cues")),
            province_anaphora=_compile(path, "province_anaphora", raw.get("province_anaphora")),
            discovery=tuple(
                Discovery(str(d["class"]), str(d["scheme"]), pattern)
                for i, d in enumerate(raw.get("discovery") or [])
                for pattern in _compile(path, f"discovery {i + 1}", [d["pattern"]], flags=0)
            ),
            indicators=tuple(indicators),
            max_fraction_digits=int(plaus.get("max_fraction_digits", 2)),
            year_window=(int(window[0]), int(window[1])),
            non_figures=load_non_figures(path.parent / "nonfigures.yaml"),
            area_cues=_area_cues(path, raw.get("area_cues") or {}),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(path, f"missing or invalid field: {exc}") from exc


def _area_cues(path: Path, raw: dict[str, Any]) -> AreaCues:
    dateline = raw.get("dateline_after")
    return AreaCues(
        not_area_before=_compile(path, "area_cues.not_area_before", raw.get("not_area_before")),
        dateline_after=(
            _compile(path, "area_cues.dateline_after", [dateline], flags=0)[0] if dateline else None
        ),
        national=_compile(path, "area_cues.national", raw.get("national"), flags=0),
    )


@cache
def default_measures() -> MeasureBook:
    """The shipped measures, loaded once per process."""
    return load_measures()
