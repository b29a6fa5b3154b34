"""Load ``mappings/lexicon/*.yaml`` and find the entities they name in a text.

Why: names are vocabulary, not code. Each YAML file is one SKOS scheme (jurisdictions,
operations, agencies...) whose entries list every surface form a translation has used. The
matcher is deliberately simple and predictable: case-insensitive, whole words only,
leftmost-longest across all schemes, tolerant of curly quotes and of hyphen/space variation
("drug-making" = "drug making"). It does not guess at names it does not know; reporting
unknown names is the extractor's job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from kg.errors import InputError
from kg.namespaces import expand
from kg.resources import mappings_dir
from kg.text import yamldata

_KNOWN_KEYS = {
    "id", "label", "aliases", "definition", "notation", "wikidata", "broader", "annual",
    "editions", "examples", "roles", "members", "part_of", "kind", "places", "own_figures",
}  # fmt: skip


@dataclass(frozen=True)
class Entry:
    """One entity of the vocabulary with every name it goes by."""

    iri: str
    scheme: str
    cls: str
    label: str
    aliases: tuple[str, ...]
    definition: str
    notation: str | None = None
    wikidata: str | None = None
    broader: str | None = None
    annual: bool = False
    examples: tuple[Mapping[str, Any], ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    places: tuple[str, ...] = ()
    """Names of places inside this entity (a province's cities and prefectures). They are
    matched, and a mention of one is linked to this entity, the smallest jurisdiction the graph
    models; they are not names of the entity (no altLabel)."""

    @property
    def names(self) -> tuple[str, ...]:
        """The label and every alias, without duplicates (case-insensitive)."""
        seen: dict[str, str] = {}
        for name in (self.label, *self.aliases):
            seen.setdefault(name.lower(), name)
        return tuple(seen.values())


@dataclass(frozen=True)
class Scheme:
    """One lexicon file: a SKOS concept scheme and the class of its members."""

    name: str
    cls: str
    label: str
    definition: str
    matched: bool
    path: Path


@dataclass(frozen=True)
class Match:
    """A stretch of text naming ``entry``; ``end`` is exclusive (code points)."""

    start: int
    end: int
    text: str
    entry: Entry


GAP = "…"
"""In an alias, up to :data:`GAP_WORDS` words of one clause: a long title is named by its
ends (``circular on … "laughing gas" problem``), whatever its translation puts between."""
GAP_WORDS = 6
_GAP_PATTERN = rf"(?:[\s\-‐–]+[^\s\-‐–.,;:!?\"“”]+){{0,{GAP_WORDS}}}?[\s\-‐–]+"


def _alias_pattern(alias: str) -> str:
    """A regex for ``alias``: spaces/hyphens interchangeable, straight or curly quotes, and
    :data:`GAP` for a few words left unsaid."""
    return _GAP_PATTERN.join(_literal_pattern(piece) for piece in alias.split(GAP))


def _literal_pattern(alias: str) -> str:
    parts: list[str] = []
    for token in re.split(r"([\s\-‐–]+|[\"“”'’])", alias.strip()):
        if not token:
            continue
        if re.fullmatch(r"[\s\-‐–]+", token):
            parts.append(r"[\s\-‐–]+")
        elif token in '"“”':
            parts.append('["“”]')
        elif token in "'’":
            parts.append("['’]")
        else:
            parts.append(re.escape(token))
    return "".join(parts)


def _entry(path: Path, scheme: Scheme, raw: Any, index: int) -> Entry:
    where = f"entry {index + 1}"
    if not isinstance(raw, dict):
        raise InputError(path, f"{where}: expected a mapping, got {type(raw).__name__}")
    unknown = set(raw) - _KNOWN_KEYS
    if unknown:
        raise InputError(path, f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("id", "label", "definition"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise InputError(path, f"{where} ({raw.get('id', '?')}): missing {key}")
    aliases = raw.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
        raise InputError(path, f"{where} ({raw['id']}): aliases must be a list of strings")
    places = raw.get("places") or []
    if not isinstance(places, list) or not all(isinstance(a, str) and a for a in places):
        raise InputError(path, f"{where} ({raw['id']}): places must be a list of strings")
    examples = raw.get("examples") or []
    if not isinstance(examples, list) or not all(
        isinstance(e, dict) and "text" in e and "match" in e for e in examples
    ):
        raise InputError(path, f"{where} ({raw['id']}): examples need text and match")
    kept = {"editions", "roles", "members", "part_of", "kind", "own_figures"}
    data = {k: v for k, v in raw.items() if k in kept}
    return Entry(
        iri=expand(raw["id"]),
        scheme=scheme.name,
        cls=raw.get("kind") or scheme.cls,
        label=raw["label"].strip(),
        aliases=tuple(a.strip() for a in aliases),
        places=tuple(a.strip() for a in places),
        definition=" ".join(raw["definition"].split()),
        notation=str(raw["notation"]) if raw.get("notation") else None,
        wikidata=raw.get("wikidata") or None,
        broader=expand(raw["broader"]) if raw.get("broader") else None,
        annual=bool(raw.get("annual")),
        examples=tuple(examples),
        data=data,
    )


def _read(path: Path) -> tuple[Scheme, list[Entry]]:
    try:
        raw = yamldata.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 at byte {exc.start}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark else ""
        raise InputError(path, f"not valid YAML{line}: {getattr(exc, 'problem', exc)}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("entries"), list):
        raise InputError(path, "expected a mapping with 'scheme', 'class' and 'entries'")
    for key in ("scheme", "class", "label", "definition"):
        if not isinstance(raw.get(key), str):
            raise InputError(path, f"missing top-level {key}")
    scheme = Scheme(
        name=raw["scheme"],
        cls=raw["class"],
        label=raw["label"],
        definition=" ".join(raw["definition"].split()),
        matched=raw.get("match", True) is not False,
        path=path,
    )
    return scheme, [_entry(path, scheme, e, i) for i, e in enumerate(raw["entries"])]


class Lexicon:
    """All vocabulary entries, and a matcher over their names."""

    def __init__(self, schemes: Sequence[Scheme], entries: Sequence[Entry]) -> None:
        self.schemes = tuple(schemes)
        self._entries = tuple(entries)
        self._by_iri: dict[str, Entry] = {}
        for e in entries:
            if e.iri in self._by_iri:
                other = self._by_iri[e.iri]
                raise InputError(None, f"{e.iri} is defined twice ({other.scheme}, {e.scheme})")
            self._by_iri[e.iri] = e
        matched = {s.name for s in schemes if s.matched}
        self._names: dict[str, list[Entry]] = {}
        for e in entries:
            if e.scheme in matched:
                for name in (*e.names, *e.places):
                    self._names.setdefault(name.lower(), []).append(e)

    @classmethod
    def load(cls, directory: Path | None = None) -> Lexicon:
        """Read every ``*.yaml`` of ``mappings/lexicon`` (or ``directory``)."""
        root = directory or mappings_dir() / "lexicon"
        files = sorted(root.glob("*.yaml"))
        if not files:
            raise InputError(root, "no lexicon files (*.yaml) here")
        schemes, entries = [], []
        for path in files:
            scheme, found = _read(path)
            schemes.append(scheme)
            entries.extend(found)
        return cls(schemes, entries)

    def entries(self, scheme: str | None = None) -> tuple[Entry, ...]:
        """Every entry, or those of one scheme, in file order."""
        return tuple(e for e in self._entries if scheme is None or e.scheme == scheme)

    def get(self, iri: str) -> Entry:
        """The entry with this IRI (prefixed names allowed); KeyError when unknown."""
        return self._by_iri[expand(iri)]

    def __contains__(self, iri: object) -> bool:
        return isinstance(iri, str) and expand(iri) in self._by_iri

    def find(self, text: str, schemes: Iterable[str] | None = None) -> list[Match]:
        """Every name in ``text``: leftmost-longest, non-overlapping, whole words only.

        When one name belongs to several entries (a homonym across schemes), the first
        in file order wins; restricting ``schemes`` picks another.
        """
        wanted = frozenset(schemes) if schemes is not None else None
        pattern, table, gaps = self._matcher(wanted)
        if pattern is None:
            return []
        out = []
        for m in pattern.finditer(text):
            entry = table.get(_normalise(m.group(0)))
            if entry is None:  # a name with a gap matches text it does not spell
                entry = next((e for gap, e in gaps if gap.fullmatch(m.group(0))), None)
            if entry is not None:
                out.append(Match(m.start(), m.end(), m.group(0), entry))
        return out

    @cache  # noqa: B019 - a lexicon lives as long as the process; few scheme sets are asked
    def _matcher(
        self, wanted: frozenset[str] | None
    ) -> tuple[re.Pattern[str] | None, dict[str, Entry], list[tuple[re.Pattern[str], Entry]]]:
        table: dict[str, Entry] = {}
        for name, entries in self._names.items():
            chosen = [e for e in entries if wanted is None or e.scheme in wanted]
            if chosen:
                table.setdefault(_normalise(name), chosen[0])
        if not table:
            return None, table, []
        names = sorted(table, key=lambda n: (-len(n), n))
        alternation = _alternation([_alias_pattern(n) for n in names])
        gaps = [(re.compile(_alias_pattern(n), re.IGNORECASE), table[n]) for n in names if GAP in n]
        return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE), table, gaps


_QUOTE_HEADS = ('["“”]', "['’]")
"""The quote classes :func:`_literal_pattern` writes for straight or curly quotes."""


def _head(pattern: str) -> str | None:
    """The piece of ``pattern`` (an :func:`_alias_pattern`) that matches its first character
    and consumes exactly one: one ASCII character other than a quote (as :func:`re.escape`
    writes it) or a quote class. None when the pattern starts otherwise."""
    for quotes in _QUOTE_HEADS:
        if pattern.startswith(quotes):
            return quotes
    first = pattern[:1]
    if first == "\\":
        char = pattern[1:2]
        return pattern[:2] if char.isascii() and re.escape(char) == "\\" + char else None
    if first.isascii() and first not in "\"'" and re.escape(first) == first:
        return first
    return None


def _alternation(patterns: list[str]) -> str:
    """``"|".join(patterns)``, as a regex that matches exactly what that one matches, grouped
    by the first character of each name: ``a(?:lpha|nt)|b(?:eta)``.

    Why: Python's regex engine tries every branch of an alternation at every position of the
    text, and a case-insensitive branch is entered even when its first letter differs; 750
    names made the lexicon most of the cost of extracting a release. Grouped, a position
    enters one branch per first character (about 30), then only the names that start there.

    Why it is the same regex: an alternation picks, at the leftmost position where any branch
    matches, the first branch in order that matches. Two different ASCII characters (letters
    ignoring case, digits, punctuation) or quote classes never match the same character, so
    branches with different heads never compete for a position, and their order does not
    matter; branches with the same head keep their order inside their group, and a head that
    consumes exactly one character can be factored out of them. A name whose first piece is
    anything else (a non-ASCII letter, whose case folding this does not reason about) leaves
    the alternation as it is.
    """
    groups: dict[str, list[str]] = {}
    for pattern in patterns:
        head = _head(pattern)
        if head is None:
            return "|".join(patterns)
        groups.setdefault(head.lower(), []).append(pattern)
    return "|".join(
        f"{group[0][: len(head)]}(?:{'|'.join(p[len(head) :] for p in group)})"
        for head, group in groups.items()
    )


def _normalise(name: str) -> str:
    """The key a name is looked up by: lower case, one space for hyphen/space runs, plain quotes."""
    name = name.lower().replace("“", '"').replace("”", '"').replace("’", "'")
    return re.sub(r"[\s\-‐–]+", " ", name).strip()
