"""``narcokg report``: one self-contained HTML file of charts about the graph.

Why: readers would rather look at a chart than a table. The report answers the catalogue's
questions (``queries/figures.rq``, ``queries/jurisdictions_per_release.rq``) over the store,
has matplotlib draw them (kg/publish/charts.py) and writes them as inline SVG into the Jinja2
template ``templates/report.html``: inline CSS, no CDN, no script, opens offline.

What it draws and what it deliberately does not:
- each measure across releases and periods, values normalised to one unit per kind (mass in
  tonnes, area in hectares: kilograms ÷ 1000, mu ÷ 15), coloured by release. Figures of one
  release overlap (a national total and a province's share), so every figure is its own bar:
  nothing is summed. A change stated as a decrease ("down 4.24%", direction ``down``) is drawn
  as a negative value, left of the zero line. Malformed figures have no value and are not
  drawn here; they are counted under data quality.
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
    "HA": ("ha", Decimal(1)),
    "MU": ("ha", Decimal(1) / Decimal(15)),
    "NUM": ("", Decimal(1)),
    "PERCENT": ("%", Decimal(1)),
    "WK": ("weeks", Decimal(1)),
}
TEMPLATES = Path(__file__).resolve().parent / "templates"
# what the quality chart's colours mean, as matplotlib names them
QUALITY = {
    "stated": "tab:blue",
    "malformed": "tab:red",
    "implausible": "tab:olive",
    "corrected": "tab:green",
}


def _short_release(release: str) -> str:
    return release.split("_", 1)[0] if "_" in release else release[:8]


def _label(iri: str) -> str:
    return iri[len(NKGV) :] if iri.startswith(NKGV) else iri.rsplit("/", 1)[-1]


def _period(row: dict[str, str]) -> str:
    start, end = row.get("period_start", ""), row.get("period_end", "")
    if not start and not end:
        return "period n/a"
    return f"{start or '…'} to {end or '…'}"


def normalised(row: dict[str, str]) -> tuple[float, str] | None:
    """(value, unit) in the kind's common unit; None for a figure without a usable value."""
    unit = NORMALISE.get(row.get("unit", ""))
    if unit is None or not row.get("value"):
        return None
    try:
        value = Decimal(row["value"]) * unit[1]
    except InvalidOperation:
        return None
    return float(value), unit[0]


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


def signed(row: dict[str, str], value: float) -> float:
    """The value with its sign: a change whose direction is ``down`` is negative."""
    return -value if row.get("direction") == "down" else value


def measure_charts(figures: list[dict[str, str]], labels: dict[str, str]) -> list[tuple[str, str]]:
    """(heading, SVG) per measure (and normalised unit): each figure across releases/periods,
    coloured by release."""
    groups: dict[tuple[str, str], list[charts.Bar]] = defaultdict(list)
    releases = sorted({f["release"] for f in figures})
    legend = [f"release {_short_release(r)}" for r in releases]
    for f in figures:
        norm = normalised(f)
        if norm is None:
            continue
        value, unit = signed(f, norm[0]), norm[1]
        measure = labels.get(f["measure"], _label(f["measure"]))
        area = f.get("area") or "?"
        label = f"{_short_release(f['release'])} · {_period(f)} · {area}"
        direction = f" ({f['direction']})" if f.get("direction") else ""
        tip = (
            f"{measure}: “{f['verbatim']}”{direction} = {value:g} {unit} ({f['status']})"
            f" in {f['release']}"
        )
        release = f"release {_short_release(f['release'])}"
        groups[(measure, unit)].append(charts.Bar(label, value, tip, group=release))
    out = []
    for k, ((measure, unit), bars) in enumerate(sorted(groups.items())):
        bars.sort(key=lambda b: b.label)
        heading = f"{measure} ({unit})" if unit else measure
        slug = re.sub(r"[^a-z0-9]+", "-", measure.lower()).strip("-")
        chart = charts.bar_chart(
            bars, chart_id=f"chart-m{k}-{slug}", unit=unit, axis_label=heading, groups=legend
        )
        out.append((heading, chart))
    return out


def seizure_chart(figures: list[dict[str, str]], labels: dict[str, str]) -> str | None:
    """Seizures in tonnes by substance, one bar per stated figure (never summed), coloured by
    substance; None when there is none."""
    substances = sorted({f.get("substance", "") for f in figures})
    names = [labels.get(s) or (_label(s) if s else "substance not stated") for s in substances]
    bars = []
    for f in figures:
        norm = normalised(f)
        if norm is None or norm[1] != "t" or not f["measure"].endswith("-seized"):
            continue
        if f.get("change_of"):
            continue
        sub = names[substances.index(f.get("substance", ""))]
        label = f"{sub} · {_short_release(f['release'])} · {_period(f)} · {f.get('area', '')}"
        tip = f"{sub}: “{f['verbatim']}” = {norm[0]:g} t ({f['status']}) in {f['release']}"
        bars.append(charts.Bar(label, norm[0], tip, group=sub))
    bars.sort(key=lambda b: (names.index(b.group), b.label))
    if not bars:
        return None
    return charts.bar_chart(
        bars, chart_id="chart-seizures", unit="t", axis_label="seized (t)", groups=names
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


def quality_chart(figures: list[dict[str, str]], corrected: dict[str, int]) -> str:
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
            rows.append(("of which corrected", [0.0, 0.0, 0.0, float(per[release]["corrected"])]))
    return charts.stacked_bars(
        rows,
        series,
        chart_id="chart-quality",
        colours=list(QUALITY.values()),
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
    labels = _labels(store)
    corrected = _corrected(store)
    releases = sorted({f["release"] for f in figures})
    seizures = seizure_chart(figures, labels)
    # Markup: each SVG is matplotlib's output, in which matplotlib XML-escaped every text it
    # wrote (labels and numbers from the store, i.e. from press releases); math text is off, and
    # the tooltips charts.py adds are escaped with html.escape. Everything else in the template
    # (headings, release ids, counts) is autoescaped by Jinja2.
    return (
        _environment()
        .get_template("report.html")
        .render(
            day=(generated or dt.date.today()).isoformat(),
            n_figures=len(figures),
            releases=[(_short_release(r), r) for r in releases],
            measures=[(title, Markup(svg)) for title, svg in measure_charts(figures, labels)],
            seizures=Markup(seizures) if seizures else None,
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
