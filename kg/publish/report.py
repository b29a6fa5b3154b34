"""``narcokg report``: one self-contained HTML file of charts about the graph.

Why: readers would rather look at a chart than a table. The report answers the catalogue's
questions (``queries/figures.rq``, ``queries/jurisdictions_per_release.rq``) over the store and
draws them as inline SVG (kg/publish/svg.py): no CDN, no script, opens offline.

What it draws and what it deliberately does not:
- each measure across releases and periods, values normalised to one unit per kind (mass in
  tonnes, area in hectares: kilograms ÷ 1000, mu ÷ 15). Figures of one release overlap (a
  national total and a province's share), so every figure is its own bar: nothing is summed.
  Malformed figures have no value and are not drawn here; they are counted under data quality.
- seizures by substance (in tonnes), again one bar per stated figure.
- jurisdictions by release: mention counts, a heat map.
- data quality per release: stated, malformed, implausible figures, and how many were
  corrected (have a ``prov:wasRevisionOf`` figure in any graph, e.g. a corrections graph).
"""

from __future__ import annotations

import datetime as dt
import html
import os
import tempfile
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from kg.errors import InputError
from kg.publish.svg import Bar, bar_chart, heatmap, stacked_bars
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
CSS = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;
color:#1d232a;line-height:1.4} h2{margin-top:2rem;border-bottom:1px solid #ddd}
h3{margin-bottom:.2rem} .note{color:#555;font-size:.9em} svg{display:block;margin:.3rem 0}
"""


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


def measure_charts(figures: list[dict[str, str]], labels: dict[str, str]) -> str:
    """One bar chart per measure (and normalised unit): each figure across releases/periods."""
    groups: dict[tuple[str, str], list[Bar]] = defaultdict(list)
    releases = sorted({f["release"] for f in figures})
    for f in figures:
        norm = normalised(f)
        if norm is None:
            continue
        value, unit = norm
        measure = labels.get(f["measure"], _label(f["measure"]))
        area = f.get("area") or "?"
        label = f"{_short_release(f['release'])} · {_period(f)} · {area}"
        tip = f"{measure}: “{f['verbatim']}” = {value:g} {unit} ({f['status']}) in {f['release']}"
        groups[(measure, unit)].append(Bar(label, value, tip, colour=releases.index(f["release"])))
    out = []
    for (measure, unit), bars in sorted(groups.items()):
        bars.sort(key=lambda b: b.label)
        out.append(
            f"<h3>{html.escape(measure)}{f' ({html.escape(unit)})' if unit else ''}</h3>"
            + bar_chart(bars, unit=unit)
        )
    return "".join(out)


def seizure_chart(figures: list[dict[str, str]], labels: dict[str, str]) -> str:
    """Seizures in tonnes by substance, one bar per stated figure (never summed)."""
    bars = []
    substances = sorted({f.get("substance", "") for f in figures})
    for f in figures:
        norm = normalised(f)
        if norm is None or norm[1] != "t" or not f["measure"].endswith("-seized"):
            continue
        if f.get("change_of"):
            continue
        sub = labels.get(f.get("substance", ""), "") or "substance not stated"
        label = f"{sub} · {_short_release(f['release'])} · {_period(f)} · {f.get('area', '')}"
        bars.append(Bar(label, norm[0], colour=substances.index(f.get("substance", ""))))
    bars.sort(key=lambda b: (b.colour, b.label))
    return bar_chart(bars, unit="t") if bars else "<p>No seizure figures in tonnes.</p>"


def jurisdiction_chart(rows: list[dict[str, str]]) -> str:
    """Mentions of each jurisdiction in each release."""
    releases = sorted({r["release"] for r in rows})
    codes = sorted({r["code"] for r in rows}, key=lambda c: (c != "CN", c))
    names = {r["code"]: r.get("label") or r["code"] or "unlinked" for r in rows}
    counts = {(r["code"], r["release"]): float(r["mentions"] or 0) for r in rows}
    return heatmap(
        [f"{names[c]} ({c})" if c else "unlinked" for c in codes],
        [_short_release(r) for r in releases],
        [[counts.get((c, r), 0.0) for r in releases] for c in codes],
    )


def quality_chart(figures: list[dict[str, str]], corrected: dict[str, int]) -> str:
    """Per release: figures stated, malformed, implausible; and how many were corrected."""
    series = ("stated", "malformed", "implausible", "corrected")
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
    return stacked_bars(rows, series)


def render(store: ox.Store, *, generated: dt.date | None = None, kept: Path | None = None) -> str:
    """The whole report as one HTML string (tables from the kept answers ``kept`` if fresh)."""
    figures = answer(store, "figures", kept=kept).as_dicts()
    jurisdictions = answer(store, "jurisdictions_per_release", kept=kept).as_dicts()
    labels = _labels(store)
    corrected = _corrected(store)
    releases = sorted({f["release"] for f in figures})
    day = (generated or dt.date.today()).isoformat()
    legend = ", ".join(
        f"<b>{html.escape(_short_release(r))}</b> = {html.escape(r)}" for r in releases
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>narcotics-kg report</title><style>{CSS}</style></head><body>"
        "<h1>narcotics-kg: the figures in charts</h1>"
        f'<p class="note">Generated {day} from the store by <code>narcokg report</code>: '
        f"{len(figures)} figures in {len(releases)} releases ({legend}). Bars are single "
        "stated figures: figures of one release overlap (a national total and a province's "
        "share), so nothing is summed. Malformed figures have no value and appear only under "
        "data quality.</p>"
        '<h2 id="measures">Each measure across releases and periods</h2>'
        '<p class="note">Units normalised: mass in tonnes (kg ÷ 1000), area in hectares '
        "(mu ÷ 15). Label: release · period · area (ISO 3166-2).</p>"
        f"{measure_charts(figures, labels)}"
        '<h2 id="seizures">Seizures by substance (tonnes)</h2>'
        f"{seizure_chart(figures, labels)}"
        '<h2 id="jurisdictions">Jurisdictions mentioned, by release</h2>'
        f"{jurisdiction_chart(jurisdictions)}"
        '<h2 id="quality">Data quality per release</h2>'
        '<p class="note">Malformed: garbled in the source, kept verbatim without a value. '
        "Implausible: readable but suspicious. Corrected: revised by a verified source.</p>"
        f"{quality_chart(figures, corrected)}"
        "</body></html>"
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
