"""``narcokg report``: one self-contained HTML file of charts about the graph.

Why: readers would rather look at a chart than a table, and a chart must not tell them more
than the releases do. The report answers the catalogue's questions (``queries/figures.rq``,
``queries/jurisdictions_per_release.rq``, ``queries/stated_vs_verified.rq``) over the store,
has matplotlib draw them (kg/publish/charts.py) and writes them as inline SVG into the Jinja2
template ``templates/report.html``: inline CSS, no CDN, no script, opens offline.

What it draws and what it deliberately does not:
- each measure across releases and periods, values normalised to one unit per kind (mass in
  tonnes, area in hectares: kilograms ÷ 1000, mu ÷ 15). Figures of one release overlap (a
  national total and a province's share), so every figure is its own bar: nothing is summed.
- a change stated as a decrease ("down 4.24%", direction ``down``) is a negative value, left
  of the zero line; the graph keeps the magnitude and the direction.
- an implausible figure (readable but suspicious: "2022 million subscribers") is drawn, but
  hatched and labelled "implausible": every doubtful figure is shown the same way, in every
  chart. A malformed figure ("9,26") has no value, so it is never a bar: each chart counts its
  malformed figures, and quotes them, under the chart.
- a verified correction (a figure of the corrections graph that is ``prov:wasRevisionOf`` the
  stated one) is drawn as a black bar under the stated one, labelled "verified"; a malformed
  figure that has one gets a row for it, its missing stated value said in red.
- colour stands for the release (one legend entry each), from a colour-blind-safe palette; red
  means "malformed" and nothing else. When a chart holds more releases than the palette has
  colours, its bars are grey and the page says so (the release starts every label).
- a bar's label is its release, period and areas, and then as much as it takes to tell it from
  the other bars of its chart (what the change is of, the substance, the offence, the
  operation, the qualifier, the figure as written, finally its place in the text).
- seizures by substance (in tonnes), again one bar per stated figure, coloured by substance.
- jurisdictions by release: mention counts, a heat map.
- data quality per release: stated, malformed, implausible figures, and how many were
  corrected (have a ``prov:wasRevisionOf`` figure in any graph, e.g. a corrections graph).

The same store gives the same bytes (on the same day: the page says when it was generated).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import jinja2
import pyoxigraph as ox
from markupsafe import Markup

from kg.errors import InputError
from kg.publish import charts
from kg.store.kept_answers import answer, answers_path

NKGV = "https://w3id.org/narcotics-kg/id/"
NORMALISE: dict[str, tuple[str, Decimal]] = {
    "TONNE": ("t", Decimal(1)),
    "KiloGM": ("t", Decimal("0.001")),
    "GM": ("t", Decimal("0.000001")),
    "HA": ("ha", Decimal(1)),
    "MU": ("ha", Decimal(1) / Decimal(15)),
    "NUM": ("", Decimal(1)),
    "PERCENT": ("%", Decimal(1)),
    "WK": ("weeks", Decimal(1)),
    "DAY": ("days", Decimal(1)),
    "MO": ("months", Decimal(1)),
    "L": ("litres", Decimal(1)),
    "CNY": ("yuan", Decimal(1)),
}
"""Unit code → (the kind's common unit, factor). A code not listed is its own unit: its
figures get a chart of their own rather than none."""
TEMPLATES = Path(__file__).resolve().parent / "templates"
# what the quality chart's colours mean: red only for malformed, black for verified (as in the
# measure charts), and implausible hatched as implausible bars are everywhere
QUALITY = {
    "stated": charts.PALETTE[0],
    "malformed": charts.MALFORMED,
    "implausible": charts.NEUTRAL,
    "corrected": charts.VERIFIED,
}
QUALIFIERS = {
    "exact": "exactly",
    "more-than": "more than",
    "at-least": "at least",
    "about": "about",
    "nearly": "nearly",
}


@dataclass(frozen=True)
class Chart:
    """One chart of the page: its heading, the ``id`` of its section, the SVG (None when it has
    nothing to draw), the count of its malformed figures (marked red on the page, as malformed
    is everywhere) and other notes (what it could not draw or colour, and why)."""

    heading: str
    slug: str
    svg: str | None
    malformed: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verified:
    """A verified value of a stated figure (from the corrections graph), signed and normalised."""

    value: float | None
    unit: str
    note: str


def _short_release(release: str) -> str:
    return release.split("_", 1)[0] if "_" in release else release[:8]


def _label(iri: str) -> str:
    return iri[len(NKGV) :] if iri.startswith(NKGV) else iri.rsplit("/", 1)[-1]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _period(row: Mapping[str, str]) -> str:
    start, end = row.get("period_start", ""), row.get("period_end", "")
    if not start and not end:
        return "period n/a"
    return f"{start or '…'} to {end or '…'}"


def _unit(code: str) -> tuple[str, Decimal]:
    return NORMALISE.get(code, (code, Decimal(1)))


def normalised(row: Mapping[str, str]) -> tuple[float, str] | None:
    """(value, unit) in the kind's common unit; None for a figure without a usable value."""
    if not row.get("value"):
        return None
    unit, factor = _unit(row.get("unit", ""))
    try:
        value = Decimal(row["value"]) * factor
    except InvalidOperation:
        return None
    return float(value), unit


def signed(row: Mapping[str, str], value: float) -> float:
    """The value with its sign: a change whose direction is ``down`` is negative."""
    return -value if row.get("direction") == "down" else value


def _labels(store: ox.Store) -> dict[str, str]:
    result = store.query(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "SELECT ?s ?l WHERE { GRAPH <https://w3id.org/narcotics-kg/graph/vocabulary> {"
        " ?s skos:prefLabel ?l FILTER(LANGMATCHES(LANG(?l), 'en')) } }"
    )
    assert isinstance(result, ox.QuerySolutions)
    return {
        row["s"].value: row["l"].value
        for row in result
        if isinstance(row["s"], ox.NamedNode) and isinstance(row["l"], ox.Literal)
    }


def _corrected(store: ox.Store) -> dict[str, int]:
    """Release id → number of its figures that some graph revises (prov:wasRevisionOf)."""
    result = store.query(
        "PREFIX prov: <http://www.w3.org/ns/prov#>\n"
        "PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>\n"
        "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
        "SELECT ?id (COUNT(DISTINCT ?f) AS ?n) WHERE { GRAPH ?c { ?rev prov:wasRevisionOf ?f }"
        " GRAPH ?g { ?f nko:statedIn ?r . ?r dcterms:identifier ?id } } GROUP BY ?id"
    )
    assert isinstance(result, ox.QuerySolutions)
    return {
        row["id"].value: int(row["n"].value)
        for row in result
        if isinstance(row["id"], ox.Literal) and isinstance(row["n"], ox.Literal)
    }


def verified_values(rows: Sequence[Mapping[str, str]]) -> dict[str, Verified]:
    """Stated figure IRI → its verified value, from the rows of ``stated_vs_verified`` (whose
    ``verified_value`` is already signed by the revised figure's direction)."""
    out: dict[str, Verified] = {}
    for row in rows:
        norm = normalised({"value": row.get("verified_value", ""), "unit": row.get("unit", "")})
        unit = _unit(row.get("unit", ""))[0]
        out.setdefault(
            row["stated"], Verified(norm[0] if norm else None, unit, row.get("note", ""))
        )
    return out


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def distinct_labels(bases: Sequence[Sequence[str]], extras: Sequence[Sequence[str]]) -> list[str]:
    """One label per bar, no two alike: each starts with its ``bases`` parts; where labels are
    still equal, the next of its ``extras`` parts (in their order) is added to each of those
    that differ in it, and so on. Why: "000 · 2023-01-01 to 2023-09-26 · CN" three times says
    nothing about which bar is which; a part is added only where it tells bars apart, so the
    labels stay short."""
    parts = [list(b) for b in bases]
    width = max([0, *(len(e) for e in extras)])
    for k in range(width):
        groups: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(parts):
            groups[" · ".join(p)].append(i)
        for members in groups.values():
            if len(members) > 1 and len({extras[i][k] for i in members}) > 1:
                for i in members:
                    parts[i].append(extras[i][k])
    labels = [" · ".join(p) for p in parts]
    seen: dict[str, int] = defaultdict(int)
    for label in labels:
        seen[label] += 1
    count: dict[str, int] = defaultdict(int)
    for i, label in enumerate(labels):  # the same figure twice (no part tells them apart)
        if seen[label] > 1:
            count[label] += 1
            labels[i] = f"{label} · #{count[label]}"
    return labels


def _extras(
    f: Mapping[str, str], labels: Mapping[str, str], by_iri: Mapping[str, Mapping[str, str]]
) -> list[str]:
    """What may tell a figure's bar from others with the same release, period and areas."""

    def name(iri: str, absent: str) -> str:
        return (labels.get(iri) or _label(iri)) if iri else absent

    change = ""
    if f.get("change_of"):
        changed = by_iri.get(f["change_of"])
        what = name(changed["measure"], "") if changed else ""
        change = f"change in {what}" if what else f"change of {_label(f['change_of'])}"
    qualifier = f.get("qualifier", "")
    return [
        change or "change of: not stated",
        name(f.get("substance", ""), "substance not stated"),
        name(f.get("offence", ""), "offence not stated"),
        name(f.get("operation", ""), "no named operation"),
        QUALIFIERS.get(qualifier, qualifier.replace("-", " ")),
        f"“{f.get('verbatim', '')}”",
        f"chars {f.get('start', '?')}–{f.get('end', '?')}",
    ]


def _order(f: Mapping[str, str]) -> tuple[str, str, str, int]:
    start = f.get("start", "")
    return (
        f["release"],
        f.get("period_start", ""),
        f.get("period_end", ""),
        int(start) if start.isdigit() else 0,
    )


def group_colours(
    groups: Sequence[str], present: Sequence[str], *, what: str
) -> tuple[dict[str, str], tuple[str, ...]]:
    """Colours for the ``present`` groups of one chart, and a note when there are none.

    While all ``groups`` fit the palette each keeps one colour on the whole page; otherwise a
    chart whose own groups fit gets its own colours (its legend says which); a chart with more
    groups than colours gets none (grey bars, the group is read from the labels): repeating a
    colour would tell the reader that two releases are one.
    """
    palette = charts.PALETTE
    if len(groups) <= len(palette):
        return {g: palette[groups.index(g)] for g in groups if g in present}, ()
    if len(present) <= len(palette):
        return {g: palette[k] for k, g in enumerate(present)}, ()
    note = (
        f"Colour does not tell the {what}s apart here: {len(present)} {what}s are more than"
        f" the {len(palette)} colours that stay distinct (also to colour-blind readers);"
        f" each label names its {what}."
    )
    return {}, (note,)


def _bars(
    figures: Sequence[Mapping[str, str]],
    *,
    unit: str,
    names: Sequence[str],
    group: Mapping[int, str],
    label_of: Sequence[str],
    verified: Mapping[str, Verified],
) -> tuple[list[charts.Bar], list[str]]:
    """The bars of one chart's figures (``names``: what each is, for its tooltip), then the
    note on its malformed figures ("" if none) and the other notes: a malformed figure has no
    value (counted and quoted; a row only for its verified value), an implausible one is
    flagged (as is a change whose direction is not stated: it cannot be signed), a verified
    value in another unit is counted."""
    bars: list[charts.Bar] = []
    malformed: list[str] = []
    malformed_verified = 0
    other_unit: list[str] = []
    for i, f in enumerate(figures):
        check = verified.get(f.get("figure", ""))
        shown = None
        if check is not None and check.value is not None and check.unit == unit:
            shown = check.value
        elif check is not None:
            other_unit.append(f"“{f['verbatim']}”")
        norm = normalised(f)
        where = f"“{f['verbatim']}” in {f['release']}"
        vtip = (
            f"{names[i]}: verified {charts.fmt(shown)} {unit} (corrections graph"
            f"{': ' + check.note if check and check.note else ''}); stated {where}"
            if shown is not None
            else ""
        )
        if norm is None:
            malformed.append(f"“{f['verbatim']}”")
            if shown is None:
                continue
            malformed_verified += 1
            bars.append(
                charts.Bar(
                    label_of[i],
                    None,
                    group=group[i],
                    verified=shown,
                    verified_tooltip=vtip,
                    missing=f"stated “{f['verbatim']}”: malformed",
                )
            )
            continue
        value = signed(f, norm[0])
        direction = f" ({f['direction']})" if f.get("direction") else ""
        tip = (
            f"{names[i]}: “{f['verbatim']}”{direction} = {value:g} {unit} ({f['status']})"
            f" in {f['release']}"
        )
        flag = f["status"] if f.get("status") not in ("stated", "") else ""
        if not flag and f.get("change_of") and not f.get("direction"):
            flag = "direction not stated"  # drawn as an increase, but nobody said it was one
        label = label_of[i]
        if flag and f"“{f['verbatim']}”" not in label:
            # what makes a figure doubtful is often its writing ("6.7000", "2022 million")
            label += f" · “{f['verbatim']}”"
        bars.append(
            charts.Bar(
                label,
                value,
                tip,
                group=group[i],
                flag=flag,
                verified=shown,
                verified_tooltip=vtip,
            )
        )
    notes = [""]
    if malformed:
        have = "has" if len(malformed) == 1 else "have"
        note = (
            f"{_plural(len(malformed), 'malformed figure')} {have} no stated value"
            f" (kept verbatim: {', '.join(malformed)})."
        )
        rest = len(malformed) - malformed_verified
        if malformed_verified == len(malformed) == 1:
            note += " Its verified value is drawn in black, in a row of its own."
        elif malformed_verified == len(malformed):
            note += " Their verified values are drawn in black, in rows of their own."
        elif malformed_verified:
            note += (
                f" {malformed_verified} of them {'has' if malformed_verified == 1 else 'have'}"
                f" a verified value, drawn in black; the other {_plural(rest, 'is', 'are')}"
                " not drawn."
            )
        else:
            note += " Not drawn."
        notes[0] = note
    if other_unit:
        notes.append(
            f"{_plural(len(other_unit), 'verified value')} in another unit not drawn"
            f" (stated {', '.join(other_unit)})."
        )
    return bars, notes


def measure_charts(
    figures: Sequence[Mapping[str, str]],
    labels: Mapping[str, str],
    verified: Mapping[str, Verified] | None = None,
) -> list[Chart]:
    """One chart per measure (and normalised unit): each figure across releases/periods,
    coloured by release, with its verified value beside it; malformed figures counted under it."""
    verified = verified or {}
    by_iri = {f["figure"]: f for f in figures if f.get("figure")}
    groups: dict[tuple[str, str], list[Mapping[str, str]]] = defaultdict(list)
    for f in figures:
        measure = labels.get(f["measure"]) or _label(f["measure"]) or "measure not stated"
        groups[(measure, _unit(f.get("unit", ""))[0])].append(f)
    releases = [f"release {_short_release(r)}" for r in sorted({f["release"] for f in figures})]
    out = []
    for k, ((measure, unit), rows) in enumerate(sorted(groups.items())):
        rows = sorted(rows, key=_order)
        heading = f"{measure} ({unit})" if unit else measure
        group = {i: f"release {_short_release(f['release'])}" for i, f in enumerate(rows)}
        label_of = distinct_labels(
            [[_short_release(f["release"]), _period(f), f.get("area") or "area n/a"] for f in rows],
            [_extras(f, labels, by_iri) for f in rows],
        )
        bars, notes = _bars(
            rows,
            unit=unit,
            names=[measure] * len(rows),
            group=group,
            label_of=label_of,
            verified=verified,
        )
        present = list(dict.fromkeys(b.group for b in bars))
        colours, colour_notes = group_colours(releases, sorted(present), what="release")
        svg = None
        if bars:
            svg = charts.bar_chart(
                bars,
                chart_id=f"chart-m{k}-{_slug(measure)}",
                unit=unit,
                axis_label=heading,
                colours=colours,
            )
        out.append(
            Chart(heading, f"measure-{_slug(heading)}", svg, notes[0], (*notes[1:], *colour_notes))
        )
    return out


def seizure_chart(
    figures: Sequence[Mapping[str, str]],
    labels: Mapping[str, str],
    verified: Mapping[str, Verified] | None = None,
) -> Chart | None:
    """Seizures in tonnes by substance, one bar per stated figure (never summed), coloured by
    substance, drawn and noted as the measure charts are; None when there is none."""
    verified = verified or {}
    by_iri = {f["figure"]: f for f in figures if f.get("figure")}

    def substance(f: Mapping[str, str]) -> str:
        s = f.get("substance", "")
        return labels.get(s) or (_label(s) if s else "substance not stated")

    rows = [
        f
        for f in figures
        if f["measure"].endswith("-seized")
        and _unit(f.get("unit", ""))[0] == "t"
        and not f.get("change_of")
    ]
    if not rows:
        return None
    # in the order of the substance IRIs ("not stated" first), as the legend lists them
    names = list(dict.fromkeys(substance(f) for f in sorted(rows, key=lambda f: f["substance"])))
    rows.sort(key=lambda f: (names.index(substance(f)), _order(f)))
    label_of = distinct_labels(
        [
            [substance(f), _short_release(f["release"]), _period(f), f.get("area") or "area n/a"]
            for f in rows
        ],
        [
            [labels.get(f["measure"]) or _label(f["measure"]), *_extras(f, labels, by_iri)[2:]]
            for f in rows
        ],
    )
    bars, notes = _bars(
        rows,
        unit="t",
        names=[substance(f) for f in rows],
        group={i: substance(f) for i, f in enumerate(rows)},
        label_of=label_of,
        verified=verified,
    )
    present = list(dict.fromkeys(b.group for b in bars))
    colours, colour_notes = group_colours(names, present, what="substance")
    svg = None
    if bars:
        svg = charts.bar_chart(
            bars, chart_id="chart-seizures", unit="t", axis_label="seized (t)", colours=colours
        )
    return Chart(
        "Seizures by substance (tonnes)", "seizures", svg, notes[0], (*notes[1:], *colour_notes)
    )


def jurisdiction_chart(rows: list[dict[str, str]]) -> str:
    """Mentions of each jurisdiction in each release."""
    releases = sorted({r["release"] for r in rows})
    codes = sorted({r["code"] for r in rows}, key=lambda c: (c != "CN", c))
    names = {r["code"]: r.get("label") or r["code"] or "unlinked" for r in rows}
    counts = {(r["code"], r["release"]): float(r["mentions"] or 0) for r in rows}
    return charts.heatmap(
        [f"{names[c]} ({c})" if c else "unlinked" for c in codes],
        [_short_release(r) for r in releases],
        [[counts.get((c, r), 0.0) for r in releases] for c in codes],
        chart_id="chart-jurisdictions",
        value_label="mentions",
        col_title="release",
    )


def quality_chart(figures: Sequence[Mapping[str, str]], corrected: Mapping[str, int]) -> str:
    """Per release: figures stated, malformed, implausible; and how many were corrected."""
    series = tuple(QUALITY)
    per: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(series, 0))
    for f in figures:
        status = f["status"] if f["status"] in series else "stated"
        per[f["release"]][status] += 1
    for release, n in corrected.items():
        per[release]["corrected"] += n
    rows: list[tuple[str, list[float]]] = []
    for release in sorted(per):
        # corrected figures are also stated/malformed/implausible: their own row, not stacked
        rows.append((release, [float(per[release][s]) for s in series[:3]] + [0.0]))
        if per[release]["corrected"]:
            rows.append(
                (
                    f"of which corrected ({_short_release(release)})",
                    [0.0, 0.0, 0.0, float(per[release]["corrected"])],
                )
            )
    return charts.stacked_bars(
        rows,
        series,
        chart_id="chart-quality",
        colours=list(QUALITY.values()),
        hatched=("implausible",),
        axis_label="figures",
    )


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(store: ox.Store, *, generated: dt.date | None = None, kept: Path | None = None) -> str:
    """The whole report as one HTML string (tables from the kept answers ``kept`` if fresh)."""
    figures = answer(store, "figures", kept=kept).as_dicts()
    jurisdictions = answer(store, "jurisdictions_per_release", kept=kept).as_dicts()
    verified = verified_values(answer(store, "stated_vs_verified", kept=kept).as_dicts())
    labels = _labels(store)
    corrected = _corrected(store)
    releases = sorted({f["release"] for f in figures})
    seizures = seizure_chart(figures, labels, verified)

    def markup(chart: Chart) -> dict[str, object]:
        # Markup: each SVG is matplotlib's output, in which matplotlib XML-escaped every text it
        # wrote (labels and numbers from the store, i.e. from press releases); math text is
        # off, and the tooltips charts.py adds are escaped with html.escape. Everything else in
        # the template (headings, notes, release ids, counts) is autoescaped by Jinja2.
        return {
            "heading": chart.heading,
            "slug": chart.slug,
            "svg": Markup(chart.svg) if chart.svg else None,
            "malformed": chart.malformed,
            "notes": chart.notes,
        }

    return (
        _environment()
        .get_template("report.html")
        .render(
            day=(generated or dt.date.today()).isoformat(),
            malformed_colour=charts.MALFORMED,
            n_figures=len(figures),
            releases=[(_short_release(r), r) for r in releases],
            measures=[markup(c) for c in measure_charts(figures, labels, verified)],
            seizures=markup(seizures) if seizures else None,
            jurisdictions=Markup(jurisdiction_chart(jurisdictions)),
            quality=Markup(quality_chart(figures, corrected)),
        )
    )


def write_report(store_dir: Path, out: Path) -> Path:
    """Render the report of the store at ``store_dir`` into ``out`` (atomically)."""
    if not store_dir.is_dir():
        raise InputError(store_dir, "no store here; run `narcokg build` first or pass --store")
    store = ox.Store.read_only(str(store_dir))
    text = render(store, kept=answers_path(store_dir))
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
