"""Consistency checks across figures and releases: contradictions a reader should know about.

Why: the releases restate, extend and revise each other. A cumulative count that shrinks, a
year-on-year change that implies a previous-year value an earlier release contradicts, the same
fact stated twice with two numbers, parts that add up to more than their total, a stated figure
that a verified source corrects: each is a reason to distrust a number, and each is found here.

Each check is a SPARQL query over the store that pairs the figures to compare (same measure,
area, period, operation, ... — the shared dimensions are the query's joins, and graphs are
named: release graphs, and ``nkg:corrections`` for revised figures); Python then compares the
numbers exactly (:class:`fractions.Fraction`, units normalised: tonnes → kilograms, mu → hectares
at exactly 1/15), allowing for the rounding of the stated numbers, and says why. A finding is an
``error`` when the stated numbers cannot all be true, a ``warning`` when they only might not be
(a malformed number is involved, a period's cut-off is not stated, or the difference is already
resolved by a verified correction).

Not done here: fixing anything (corrections live in mappings/reference/corrections.csv) or SHACL
and Data Cube well-formedness (kg/checks/shacl.py, kg/checks/datacube.py).
"""

from __future__ import annotations

import enum
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pyoxigraph as ox

from kg.namespaces import CORRECTIONS_GRAPH, NKG

RELEASE_PREFIX = f"{NKG}release/"
NA = "https://w3id.org/narcotics-kg/id/code/not-applicable"
_ID = "https://w3id.org/narcotics-kg/id/"

_PREFIXES = """PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>
PREFIX sdmx-attribute: <http://purl.org/linked-data/sdmx/2009/attribute#>
PREFIX time: <http://www.w3.org/2006/time#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""

# Every figure of a release graph or the corrections graph, with what a finding shows of it.
FIGURES = """
SELECT ?f ?g ?release ?verbatim ?value ?unit ?qualifier ?direction ?status ?start ?measure
       ?area WHERE {
  GRAPH ?g {
    ?f a nko:Figure ; nko:statedIn ?r .
    OPTIONAL { ?f nko:indicator ?measure }
    OPTIONAL {
      SELECT ?f (GROUP_CONCAT(REPLACE(STR(?a), "^.*/", ""); separator=";") AS ?area)
      WHERE {
        # a group of areas shows as its members (one reference area per figure)
        { ?f nko:refArea ?a FILTER NOT EXISTS { ?a nko:memberArea ?member } }
        UNION { ?f nko:refArea/nko:memberArea ?a }
      } GROUP BY ?f
    }
    OPTIONAL { ?f nko:verbatim ?verbatim }
    OPTIONAL { ?f nko:value ?value }
    OPTIONAL { ?f sdmx-attribute:unitMeasure ?unit }
    OPTIONAL { ?f nko:qualifier ?qualifier }
    OPTIONAL { ?f nko:direction ?direction }
    OPTIONAL { ?f nko:status ?status }
  }
  FILTER(STRSTARTS(STR(?g), "https://w3id.org/narcotics-kg/graph/release/")
         || STR(?g) = "https://w3id.org/narcotics-kg/graph/corrections")
  OPTIONAL { GRAPH ?rg { ?r dcterms:identifier ?release } }
  OPTIONAL {
    GRAPH ?g { ?f nko:statedAt ?span }
    GRAPH ?sg { ?span oa:hasSelector ?pos . ?pos a oa:TextPositionSelector ; oa:start ?start }
  }
}"""

# Two figures of one release about the same fact: same measure, reference areas, locality,
# operation, substance, offence (and, for changes, the measure of the changed figure), and the
# same period start; the same period, or one ending on the release's date (its cut-off
# unstated). Not the same fact: two figures of one sentence (a sentence does not restate its
# own figure), a part and anything (a part is a subset, not a restatement), and figures whose
# measure says nothing about what they count (other-*) or is a share of an unnamed whole.
DUPLICATES = """
SELECT ?f1 ?f2 ?same_period WHERE {
  GRAPH ?g {
    ?f1 a nko:Figure ; nko:statedIn ?rel ; nko:indicator ?m ; nko:refPeriod ?p1 ;
        nko:operation ?op ; nko:substance ?s ; nko:offence ?o .
    ?f2 a nko:Figure ; nko:statedIn ?rel ; nko:indicator ?m ; nko:refPeriod ?p2 ;
        nko:operation ?op ; nko:substance ?s ; nko:offence ?o .
    FILTER(STR(?f1) < STR(?f2))
    FILTER(!STRSTARTS(STR(?m), "https://w3id.org/narcotics-kg/id/indicator/other-")
           && STR(?m) != "https://w3id.org/narcotics-kg/id/indicator/share")
    FILTER NOT EXISTS { ?f1 nko:inSentence ?sentence . ?f2 nko:inSentence ?sentence }
    FILTER NOT EXISTS { ?f1 nko:partOf ?t1 }
    FILTER NOT EXISTS { ?f2 nko:partOf ?t2 }
    OPTIONAL { ?f1 nko:locality ?l1 }
    OPTIONAL { ?f2 nko:locality ?l2 }
    FILTER(COALESCE(?l1 = ?l2, !BOUND(?l1) && !BOUND(?l2)))
    OPTIONAL { ?f1 nko:agency ?ag1 }
    OPTIONAL { ?f2 nko:agency ?ag2 }
    FILTER(COALESCE(?ag1 = ?ag2, !BOUND(?ag1) && !BOUND(?ag2)))
    FILTER EXISTS { ?p1 time:hasBeginning|time:hasEnd ?known }
    FILTER NOT EXISTS { ?f1 nko:refArea ?a
                        FILTER NOT EXISTS { ?f2 nko:refArea ?a } }
    FILTER NOT EXISTS { ?f2 nko:refArea ?b
                        FILTER NOT EXISTS { ?f1 nko:refArea ?b } }
    OPTIONAL { ?f1 nko:changeOf/nko:indicator ?bm1 }
    OPTIONAL { ?f2 nko:changeOf/nko:indicator ?bm2 }
    OPTIONAL { ?p1 time:hasBeginning/time:inXSDDate ?s1 }
    OPTIONAL { ?p2 time:hasBeginning/time:inXSDDate ?s2 }
    OPTIONAL { ?p1 time:hasEnd/time:inXSDDate ?e1 }
    OPTIONAL { ?p2 time:hasEnd/time:inXSDDate ?e2 }
    OPTIONAL { ?rel dcterms:issued ?issued }
  }
  FILTER(STRSTARTS(STR(?g), "https://w3id.org/narcotics-kg/graph/release/"))
  FILTER(COALESCE(?bm1 = ?bm2, !BOUND(?bm1) && !BOUND(?bm2)))
  FILTER(COALESCE(STR(?s1), "") = COALESCE(STR(?s2), ""))
  BIND(?p1 = ?p2 AS ?same_period)
  FILTER(?same_period || COALESCE(STR(?e1) = STR(?issued), false)
         || COALESCE(STR(?e2) = STR(?issued), false))
}"""

# A cumulative figure and a later one for the same measure, areas, locality, agency, operation
# (edition), substance and offence, counted from the same start (an open start only within an
# operation).
CUMULATIVE = """
SELECT ?f1 ?f2 ?op ?g1 ?g2 WHERE {
  GRAPH ?g1 {
    ?f1 a nko:Figure ; nko:indicator ?m ; nko:refPeriod ?p1 ; nko:operation ?op ;
        nko:substance ?s ; nko:offence ?o ; nko:value ?v1 .
    ?p1 time:hasEnd/time:inXSDDate ?e1 .
    OPTIONAL { ?p1 time:hasBeginning/time:inXSDDate ?s1 }
    FILTER NOT EXISTS { ?f1 nko:changeOf ?c1 }
  }
  GRAPH ?g2 {
    ?f2 a nko:Figure ; nko:indicator ?m ; nko:refPeriod ?p2 ; nko:operation ?op ;
        nko:substance ?s ; nko:offence ?o ; nko:value ?v2 .
    ?p2 time:hasEnd/time:inXSDDate ?e2 .
    OPTIONAL { ?p2 time:hasBeginning/time:inXSDDate ?s2 }
    FILTER NOT EXISTS { ?f2 nko:changeOf ?c2 }
  }
  FILTER(STRSTARTS(STR(?g1), "https://w3id.org/narcotics-kg/graph/release/"))
  FILTER(STRSTARTS(STR(?g2), "https://w3id.org/narcotics-kg/graph/release/"))
  FILTER(?e1 < ?e2)
  FILTER(COALESCE(STR(?s1), "") = COALESCE(STR(?s2), ""))
  FILTER(BOUND(?s1) || ?op != <https://w3id.org/narcotics-kg/id/code/not-applicable>)
  OPTIONAL { GRAPH ?g1 { ?f1 nko:locality ?l1 } }
  OPTIONAL { GRAPH ?g2 { ?f2 nko:locality ?l2 } }
  FILTER(COALESCE(?l1 = ?l2, !BOUND(?l1) && !BOUND(?l2)))
  OPTIONAL { GRAPH ?g1 { ?f1 nko:agency ?ag1 } }
  OPTIONAL { GRAPH ?g2 { ?f2 nko:agency ?ag2 } }
  FILTER(COALESCE(?ag1 = ?ag2, !BOUND(?ag1) && !BOUND(?ag2)))
  FILTER NOT EXISTS { GRAPH ?g1 { ?f1 nko:refArea ?a }
                      FILTER NOT EXISTS { GRAPH ?g2 { ?f2 nko:refArea ?a } } }
  FILTER NOT EXISTS { GRAPH ?g2 { ?f2 nko:refArea ?b }
                      FILTER NOT EXISTS { GRAPH ?g1 { ?f1 nko:refArea ?b } } }
}"""

# A year-on-year change (with its base) and a figure of an earlier release for the same
# measure, areas, locality, agency, campaign (editions folded by nko:editionOf), substance and
# offence, whose period is the base's period one year earlier.
YEAR_ON_YEAR = """
SELECT ?change ?base ?earlier WHERE {
  GRAPH ?g1 {
    ?change nko:changeOf ?base ; nko:value ?cv ; nko:direction ?dir .
    ?base nko:value ?bv ; nko:indicator ?m ; nko:refPeriod ?p1 ; nko:operation ?op1 ;
          nko:substance ?s ; nko:offence ?o ; nko:statedIn ?r1 .
    ?p1 time:hasEnd/time:inXSDDate ?e1 .
    OPTIONAL { ?p1 time:hasBeginning/time:inXSDDate ?s1 }
    ?r1 dcterms:issued ?i1 .
  }
  GRAPH ?g2 {
    ?earlier a nko:Figure ; nko:indicator ?m ; nko:value ?ev ; nko:refPeriod ?p2 ;
             nko:operation ?op2 ; nko:substance ?s ; nko:offence ?o ; nko:statedIn ?r2 .
    ?p2 time:hasEnd/time:inXSDDate ?e2 .
    OPTIONAL { ?p2 time:hasBeginning/time:inXSDDate ?s2 }
    FILTER NOT EXISTS { ?earlier nko:changeOf ?x }
    ?r2 dcterms:issued ?i2 .
  }
  FILTER(STRSTARTS(STR(?g1), "https://w3id.org/narcotics-kg/graph/release/"))
  FILTER(STRSTARTS(STR(?g2), "https://w3id.org/narcotics-kg/graph/release/"))
  FILTER(?i2 < ?i1)
  FILTER(STR(?e2) = CONCAT(STR(YEAR(?e1) - 1), SUBSTR(STR(?e1), 5)))
  FILTER(COALESCE(STR(?s2) = CONCAT(STR(YEAR(?s1) - 1), SUBSTR(STR(?s1), 5)),
                  !BOUND(?s1) && !BOUND(?s2)))
  OPTIONAL { GRAPH <https://w3id.org/narcotics-kg/graph/vocabulary> { ?op1 nko:editionOf ?c1 } }
  OPTIONAL { GRAPH <https://w3id.org/narcotics-kg/graph/vocabulary> { ?op2 nko:editionOf ?c2 } }
  FILTER(COALESCE(?c1, ?op1) = COALESCE(?c2, ?op2))
  OPTIONAL { GRAPH ?g1 { ?base nko:locality ?l1 } }
  OPTIONAL { GRAPH ?g2 { ?earlier nko:locality ?l2 } }
  FILTER(COALESCE(?l1 = ?l2, !BOUND(?l1) && !BOUND(?l2)))
  OPTIONAL { GRAPH ?g1 { ?base nko:agency ?ag1 } }
  OPTIONAL { GRAPH ?g2 { ?earlier nko:agency ?ag2 } }
  FILTER(COALESCE(?ag1 = ?ag2, !BOUND(?ag1) && !BOUND(?ag2)))
  FILTER NOT EXISTS { GRAPH ?g1 { ?base nko:refArea ?a }
                      FILTER NOT EXISTS { GRAPH ?g2 { ?earlier nko:refArea ?a } } }
  FILTER NOT EXISTS { GRAPH ?g2 { ?earlier nko:refArea ?b }
                      FILTER NOT EXISTS { GRAPH ?g1 { ?base nko:refArea ?b } } }
}"""

# Parts stated as parts of a total (nko:partOf), in one release graph.
PARTS = """
SELECT ?total ?part WHERE {
  GRAPH ?g { ?part a nko:Figure ; nko:partOf ?total . }
  FILTER(STRSTARTS(STR(?g), "https://w3id.org/narcotics-kg/graph/release/"))
}"""

# Revised figures and the stated figures they revise.
REVISIONS = """
SELECT ?revised ?stated WHERE {
  GRAPH <https://w3id.org/narcotics-kg/graph/corrections> { ?revised prov:wasRevisionOf ?stated }
}"""


class Severity(str, enum.Enum):
    """How bad a finding is: ``error`` when the numbers cannot all be true."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class FigureRef:
    """One figure involved in a finding."""

    figure: str
    graph: str
    release: str
    verbatim: str
    value: str
    unit: str
    status: str
    start: str
    direction: str = ""
    measure: str = ""
    area: str = ""

    def as_text(self) -> str:
        """``000_x@913 "4.24%" = -4.24 PERCENT (stated) drug-users-investigated change, CN``,
        for people: a change that goes down is shown with its minus sign, as the finding's
        reason states it, and the measure and area say what the figures count."""
        where = f"{self.release}@{self.start}" if self.start else self.release
        tag = "revised" if self.graph == CORRECTIONS_GRAPH else self.status
        sign = "-" if self.direction == "down" and not self.value.startswith("-") else ""
        value = f" = {sign}{self.value} {self.unit}" if self.value else ""
        what = ", ".join(x for x in (self.measure, self.area) if x)
        about = f" {what}" if what else ""
        return f'{where} "{self.verbatim}"{value} ({tag}){about} <{self.figure}>'


@dataclass(frozen=True)
class Finding:
    """One inconsistency: which check found it, how bad, why, and the figures involved."""

    check: str
    severity: Severity
    why: str
    figures: tuple[FigureRef, ...]

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "check": self.check,
            "severity": self.severity.value,
            "why": self.why,
            "figures": [f.__dict__ for f in self.figures],
        }


@dataclass(frozen=True)
class CheckReport:
    """All findings, errors first."""

    findings: tuple[Finding, ...]

    @property
    def has_errors(self) -> bool:
        """True iff some finding is an error (``narcokg check`` then exits 1)."""
        return any(f.severity is Severity.ERROR for f in self.findings)

    def by_check(self, check: str) -> tuple[Finding, ...]:
        """The findings of one check."""
        return tuple(f for f in self.findings if f.check == check)

    def text(self) -> str:
        """A readable report: one block per finding, then a count."""
        lines = []
        for f in self.findings:
            lines.append(f"{f.severity.value}: [{f.check}] {f.why}")
            lines += [f"    {ref.as_text()}" for ref in f.figures]
        errors = sum(f.severity is Severity.ERROR for f in self.findings)
        lines.append(f"{errors} errors, {len(self.findings) - errors} warnings")
        return "\n".join(lines) + "\n"

    def json(self) -> str:
        """The findings as a JSON array."""
        return json.dumps([f.as_dict() for f in self.findings], ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True)
class _Fig:
    ref: FigureRef
    value: Fraction | None
    unit: str
    qualifier: str
    direction: str
    half: Fraction
    """Half a unit in the last stated digit, in the figure's unit ("1.12 million": 5,000)."""


_TO_BASE = {"TONNE": ("KiloGM", Fraction(1000)), "MU": ("HA", Fraction(1, 15))}


def _local(iri: str) -> str:
    return iri.rsplit("/", 1)[-1].rsplit("#", 1)[-1] if iri else ""


def _normalised(f: _Fig) -> tuple[Fraction | None, str]:
    """Value in the base unit (kilograms, hectares), signed for changes that go down."""
    if f.value is None:
        return None, f.unit
    unit, factor = _TO_BASE.get(f.unit, (f.unit, Fraction(1)))
    sign = -1 if f.direction == "down" else 1
    return f.value * factor * sign, unit


def _half_unit(f: _Fig) -> Fraction:
    """Half a unit in the last stated digit: how far rounding may have moved the number."""
    return f.half


_SCALES = (("hundred million", 10**8), ("ten thousand", 10**4), ("billion", 10**9),
           ("million", 10**6), ("thousand", 10**3))  # fmt: skip


def _stated_half(value: str, verbatim: str) -> Fraction:
    """Half a unit in the last digit as stated: "1.12 million" is 1,120,000 give or take
    5,000; "6.3%" give or take 0.05; a value stored with more digits keeps its own."""
    digits = len(value.partition(".")[2]) if value else 0
    number, scale = verbatim.rstrip("%").strip(), 1
    for word, factor in _SCALES:
        if number.lower().endswith(word):
            number, scale = number[: -len(word)].strip(), factor
            break
    stated = number.partition(".")[2]
    if stated.isdigit():
        return Fraction(1, 2) * scale / 10 ** len(stated)
    return Fraction(1, 2) * (scale if scale > 1 else 1) / 10**digits


def _select(store: ox.Store, query: str) -> list[dict[str, str]]:
    solutions = store.query(_PREFIXES + query)
    assert isinstance(solutions, ox.QuerySolutions)
    names = [v.value for v in solutions.variables]
    return [
        {n: ("" if s[n] is None else s[n].value) for n in names}  # type: ignore[union-attr]
        for s in solutions
    ]


def _figures(store: ox.Store) -> dict[str, _Fig]:
    out: dict[str, _Fig] = {}
    for row in _select(store, FIGURES):
        value = Fraction(Decimal(row["value"])) if row["value"] else None
        half = _stated_half(row["value"], row["verbatim"])
        ref = FigureRef(
            figure=row["f"],
            graph=row["g"],
            release=row["release"],
            verbatim=row["verbatim"],
            value=row["value"],
            unit=_local(row["unit"]),
            status=_local(row["status"]),
            start=row["start"],
            direction=_local(row["direction"]),
            measure=_local(row["measure"]),
            area=row["area"],
        )
        out[row["f"]] = _Fig(
            ref, value, _local(row["unit"]), _local(row["qualifier"]), _local(row["direction"]),
            half,
        )  # fmt: skip
    return out


def _signed(f: _Fig) -> str:
    """The figure's value as stored, with a minus sign for a change that goes down."""
    return ("-" if f.direction == "down" else "") + f.ref.value


def _fmt(x: Fraction) -> str:
    return f"{float(x):g}"


def check_duplicates(store: ox.Store, figs: dict[str, _Fig]) -> list[Finding]:
    """The same fact stated twice in one release with different numbers."""
    out = []
    for row in _select(store, DUPLICATES):
        a, b = sorted((figs[row["f1"]], figs[row["f2"]]), key=lambda f: int(f.ref.start or 0))
        (va, ua), (vb, ub) = _normalised(a), _normalised(b)
        same_period = row["same_period"] == "true"
        if va is not None and vb is not None:
            if ua != ub or va == vb:
                continue
            exact = {a.qualifier, b.qualifier} <= {"exact"}
            # ten times apart or more, the smaller is likelier a part (12.6 kg of e-cigarette
            # oil within 1.3 tons seized) than the same fact garbled: a warning, not an error
            small, large = sorted((abs(va), abs(vb)))
            tenfold = small == 0 or large / small >= 10
            severity = Severity.ERROR if same_period and exact and not tenfold else Severity.WARNING
            why = (
                "the same fact stated twice in one release with different values "
                f"({_fmt(va)} vs {_fmt(vb)} {ua})"
            )
            if tenfold:
                why += "; ten times apart or more, so one may be a part of the other"
        else:
            if a.ref.verbatim == b.ref.verbatim:
                continue
            severity = Severity.WARNING
            why = (
                "the same fact stated twice in one release, differently, and malformed: "
                "cannot tell whether the values agree"
            )
        if not same_period:
            why += (
                "; one period ends on the release date (cut-off not stated), "
                "so they may be the same period"
            )
        out.append(Finding("duplicate-fact", severity, why, (a.ref, b.ref)))
    return out


def check_cumulative(store: ox.Store, figs: dict[str, _Fig]) -> list[Finding]:
    """A cumulative figure that decreases in a later period."""
    out = []
    for row in _select(store, CUMULATIVE):
        early, late = figs[row["f1"]], figs[row["f2"]]
        (v1, u1), (v2, u2) = _normalised(early), _normalised(late)
        if v1 is None or v2 is None or u1 != u2:
            continue
        if early.qualifier in {"nearly", "about"} or late.qualifier in {
            "more-than",
            "at-least",
            "about",
        }:
            continue  # bounds that cannot contradict
        h1 = _half_unit(early) * _TO_BASE.get(early.unit, ("", Fraction(1)))[1]
        h2 = _half_unit(late) * _TO_BASE.get(late.unit, ("", Fraction(1)))[1]
        if v2 + h2 < v1 - h1:
            why = (
                f"cumulative figure decreases in a later period: {_fmt(v1)} then {_fmt(v2)} {u1} "
                "for the same measure, area and operation counted from the same start"
            )
            # Two releases with no named operation in common may count different things under
            # one measure ("such cases", drug users found at the wheel): only a warning.
            one_series = row["op"] != NA or row["g1"] == row["g2"]
            severity = Severity.ERROR if one_series else Severity.WARNING
            if not one_series:
                why += "; no operation ties the two releases to one series, so they may count "
                why += "different things"
            out.append(Finding("cumulative-decrease", severity, why, (early.ref, late.ref)))
    return out


def check_year_on_year(store: ox.Store, figs: dict[str, _Fig]) -> list[Finding]:
    """A year-on-year change whose implied previous value contradicts an earlier release."""
    out = []
    for row in _select(store, YEAR_ON_YEAR):
        change, base, earlier = figs[row["change"]], figs[row["base"]], figs[row["earlier"]]
        (bv, bu), (ev, eu) = _normalised(base), _normalised(earlier)
        if change.value is None or bv is None or ev is None or bu != eu:
            continue
        sign = -1 if change.direction == "down" else 1
        h_c = _half_unit(change)
        h_b = _half_unit(base) * _TO_BASE.get(base.unit, ("", Fraction(1)))[1]
        bounds = []
        for c in (change.value - h_c, change.value + h_c):
            factor = 1 + sign * c / 100
            if factor <= 0:
                continue
            for b in (bv - h_b, bv + h_b):
                bounds.append(b / factor)
        if not bounds:
            continue
        low, high = min(bounds), max(bounds)
        if earlier.qualifier in {"more-than", "at-least"} and high >= ev:
            continue
        if earlier.qualifier in {"nearly"} and low <= ev:
            continue
        if earlier.qualifier == "about":
            continue
        h_e = _half_unit(earlier) * _TO_BASE.get(earlier.unit, ("", Fraction(1)))[1]
        if ev + h_e < low or ev - h_e > high:
            implied = bv / (1 + sign * change.value / 100)
            why = (
                f"year-on-year change implies a previous-year value of {_fmt(implied)} {bu} "
                f"(between {_fmt(low)} and {_fmt(high)} allowing for rounding), but an earlier "
                f"release states {_fmt(ev)} {eu} for that period"
            )
            refs = (change.ref, base.ref, earlier.ref)
            out.append(Finding("year-on-year-base", Severity.ERROR, why, refs))
    return out


def check_parts(store: ox.Store, figs: dict[str, _Fig]) -> list[Finding]:
    """A total smaller than the sum of its stated parts."""
    parts: dict[str, list[str]] = defaultdict(list)
    for row in _select(store, PARTS):
        parts[row["total"]].append(row["part"])
    out = []
    for total_iri, part_iris in sorted(parts.items()):
        total = figs.get(total_iri)
        if total is None:
            continue
        tv, tu = _normalised(total)
        if tv is None or total.qualifier in {"more-than", "at-least", "about"}:
            continue
        known = [figs[p] for p in sorted(part_iris) if p in figs]
        values = [_normalised(p) for p in known]
        summed = sum((v for v, u in values if v is not None and u == tu), Fraction(0))
        slack = _half_unit(total) * _TO_BASE.get(total.unit, ("", Fraction(1)))[1]
        if summed > tv + slack:
            why = (
                f"total {_fmt(tv)} {tu} is smaller than the sum of its stated parts, "
                f"{_fmt(summed)} {tu}"
            )
            refs = (total.ref, *(p.ref for p in known))
            out.append(Finding("total-below-parts", Severity.ERROR, why, refs))
    return out


def check_revisions(store: ox.Store, figs: dict[str, _Fig]) -> list[Finding]:
    """Stated figures whose verified value (corrections graph) differs."""
    out = []
    for row in _select(store, REVISIONS):
        revised, stated = figs.get(row["revised"]), figs.get(row["stated"])
        if revised is None or stated is None:
            continue
        (rv, ru), (sv, su) = _normalised(revised), _normalised(stated)
        verified = f"{_signed(revised)} {revised.unit}"
        if sv is None:
            why = f'stated as "{stated.ref.verbatim}" (malformed); verified value {verified}'
        elif sv != rv or su != ru:
            why = f"stated {_signed(stated)} {stated.unit}, verified {verified}"
        else:
            continue
        out.append(Finding("stated-vs-verified", Severity.WARNING, why, (stated.ref, revised.ref)))
    return out


CHECKS = (
    ("duplicate-fact", check_duplicates),
    ("cumulative-decrease", check_cumulative),
    ("year-on-year-base", check_year_on_year),
    ("total-below-parts", check_parts),
    ("stated-vs-verified", check_revisions),
)


def check(store: ox.Store) -> CheckReport:
    """Run every check on ``store``; findings ordered by severity, check and first figure."""
    figs = _figures(store)
    findings: list[Finding] = []
    for _, run in CHECKS:
        findings += run(store, figs)
    order = {name: i for i, (name, _) in enumerate(CHECKS)}

    def key(f: Finding) -> tuple[int, int, str, int, str]:
        first = f.figures[0]
        return (
            f.severity is not Severity.ERROR,
            order[f.check],
            first.release,
            int(first.start or 0),
            first.figure,
        )

    return CheckReport(tuple(sorted(findings, key=key)))
