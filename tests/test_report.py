"""The report's charts (``narcokg report``, kg/publish/report.py and kg/publish/charts.py).

What is checked is what a reader relies on: colours that mean something have a legend, and red
means malformed and nothing else; a decrease is drawn below the zero line (read from the SVG
geometry, not from our data); an implausible figure is hatched and says so; a malformed one is
counted under its chart; a verified correction is drawn beside the stated value; no two bars
of a chart carry the same label; the same store gives the same bytes; the page loads nothing
from anywhere; labels from the data are escaped; and in a real browser no label is cut off or
drawn over another. The expected values come from the figures of the bundled corpus, checked by
hand against the text of release 000 ("down 4.24%" a decrease, "up ... 16.5%" an increase,
"6.7000 tons" and "2022 million subscribers" implausible, "9,26 drug-related crime cases"
malformed) and against mappings/reference/corrections.csv (8.2 tons were 16.5 t in the Chinese
original); counts are counted again in the store with SPARQL, not taken from the report.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from html import unescape
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from kg.publish import charts
from kg.publish.report import measure_charts, render
from kg.store.kept_answers import answers_path
from tests.conftest import INVENTED, narcokg

SVG = "{http://www.w3.org/2000/svg}"
DAY = dt.date(2026, 11, 28)
NKGV = "https://w3id.org/narcotics-kg/id/"
# Okabe & Ito's colour-blind-safe palette (https://jfly.uni-koeln.de/color/), as SVG writes it
OKABE_ITO = {"#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7"}


@pytest.fixture(scope="module")
def page(built: Path) -> str:
    return render(ox.Store.read_only(str(built)), generated=DAY, kept=answers_path(built))


def svgs(html: str) -> dict[str, ET.Element]:
    """Every inline chart of the page, parsed as XML, by its id."""
    found = {}
    for match in re.finditer(r"<svg\b.*?</svg>", html, re.S):
        root = ET.fromstring(match.group(0))
        found[root.attrib["id"]] = root
    return found


def by_id(root: ET.Element, suffix: str) -> ET.Element:
    (element,) = [e for e in root.iter() if e.get("id") == f"{root.get('id')}-{suffix}"]
    return element


def fill(element: ET.Element) -> str:
    """The fill colour of the first shape drawn inside ``element`` (matplotlib leaves out SVG's
    default, black)."""
    for e in element.iter(f"{SVG}path"):
        style = dict(
            part.strip().split(": ", 1) for part in e.get("style", "").split(";") if ": " in part
        )
        return style.get("fill", "#000000")
    raise AssertionError("no path")


def xs(element: ET.Element) -> list[float]:
    """The x coordinates of the paths inside ``element`` (matplotlib writes absolute M/L)."""
    out = []
    for e in element.iter(f"{SVG}path"):
        nums = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", e.get("d", ""))]
        out += nums[0::2]
    return out


def ys(element: ET.Element) -> list[float]:
    """The y coordinates of the paths inside ``element`` (SVG: y grows downwards)."""
    out = []
    for e in element.iter(f"{SVG}path"):
        nums = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", e.get("d", ""))]
        out += nums[1::2]
    return out


def text_of(element: ET.Element) -> str:
    """The text drawn inside ``element``, its lines joined by a space."""
    return " ".join(t.strip() for t in element.itertext() if t.strip())


def title(element: ET.Element) -> str:
    t = element.find(f"{SVG}title")
    return t.text or "" if t is not None else ""


def bars(root: ET.Element) -> list[ET.Element]:
    prefix = f"{root.get('id')}-bar-"
    return [e for e in root.iter(f"{SVG}g") if e.get("id", "").startswith(prefix)]


def measure(charts_: dict[str, ET.Element], slug: str) -> ET.Element:
    """The measure chart whose id ends with ``slug``."""
    (root,) = [c for i, c in charts_.items() if i.startswith("chart-m") and i.endswith(slug)]
    return root


def row(element: ET.Element) -> str:
    """The row number at the end of a bar's id (``…-bar-3`` → ``3``)."""
    return element.get("id", "").rsplit("-", 1)[1]


def sections(html: str) -> list[tuple[str, str]]:
    """(heading, the rest of the section's HTML) for every chart's section of the page."""
    found = re.findall(
        r'<section class="chart" id="[^"]+">\s*<h[23]>(.*?)</h[23]>(.*?)</section>', html, re.S
    )
    return [(unescape(h), body) for h, body in found]


def per_measure(store_dir: Path, status: str) -> Counter[str]:
    """Figures with ``status`` in the release graphs, per measure label: counted in the store."""
    store = ox.Store.read_only(str(store_dir))
    result = store.query(
        f"""
        PREFIX nko: <https://w3id.org/narcotics-kg/ontology#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?label (COUNT(DISTINCT ?f) AS ?n) WHERE {{
          GRAPH ?g {{ ?f a nko:Figure ; nko:status <{NKGV}status/{status}> ; nko:indicator ?m }}
          FILTER(STRSTARTS(STR(?g), "https://w3id.org/narcotics-kg/graph/release/"))
          GRAPH <https://w3id.org/narcotics-kg/graph/vocabulary> {{
            ?m skos:prefLabel ?label FILTER(LANGMATCHES(LANG(?label), "en"))
          }}
        }} GROUP BY ?label
        """
    )
    assert isinstance(result, ox.QuerySolutions)
    return Counter({r["label"].value: int(r["n"].value) for r in result})


def legend(root: ET.Element) -> dict[str, str]:
    """Legend label → colour of its key, read from the drawing."""
    box = by_id(root, "legend")
    keys = [e for e in box.iter(f"{SVG}g") if "-legend-key-" in e.get("id", "")]
    labels = [e for e in box.iter(f"{SVG}g") if "-legend-label-" in e.get("id", "")]
    assert keys and len(keys) == len(labels)
    return {"".join(t.itertext()).strip(): fill(k) for k, t in zip(keys, labels, strict=True)}


# --- on the report of the bundled corpus ----------------------------------------------------


def test_colours_that_mean_something_have_a_legend(page: str) -> None:
    charts_ = svgs(page)
    # seizures: colour = substance; every bar has its substance's legend colour
    seizures = charts_["chart-seizures"]
    keys = legend(seizures)
    substances = {"substance not stated", "precursor chemicals"}
    assert substances <= set(keys)
    assert len({keys[s] for s in substances}) == 2
    for bar in bars(seizures):
        substance = title(bar).split(":", 1)[0]
        if "(implausible)" not in title(bar):  # hatched, see below
            assert fill(bar) == keys[substance], title(bar)
    # each measure: colour = release
    drugs = measure(charts_, "-drugs-seized")
    keys = legend(drugs)
    assert {"release 000", "release 003"} <= set(keys)
    for bar in bars(drugs):
        release = title(bar).rsplit(" in ", 1)[1].split("_", 1)[0]
        if "(implausible)" not in title(bar):
            assert fill(bar) == keys[f"release {release}"], title(bar)
    # ... and the styles that mean something else: hatched, black (verified)
    assert keys["verified value"] == charts.VERIFIED
    assert keys["hatched: implausible (value as stated)"].startswith("url(#")
    # data quality: one colour per status, in the legend
    quality = legend(charts_["chart-quality"])
    assert list(quality) == ["stated", "malformed", "implausible", "corrected"]
    assert len(set(quality.values())) == 4
    assert quality["malformed"] == charts.MALFORMED
    # jurisdictions: the shades have a colour bar, labelled
    heat = charts_["chart-jurisdictions"]
    assert "mentions" in "".join(by_id(heat, "colour-bar").itertext())


def test_a_decrease_is_drawn_below_zero(page: str) -> None:
    yoy = measure(svgs(page), "-year-on-year-change")
    zero = set(xs(by_id(yoy, "zero-line")))
    assert len(zero) == 1
    (x0,) = zero
    down = [b for b in bars(yoy) if "“4.24%” (down)" in title(b)]
    up = [b for b in bars(yoy) if "“16.5%” (up)" in title(b)]
    assert len(down) == len(up) == 1
    assert max(xs(down[0])) == pytest.approx(x0) and min(xs(down[0])) < x0 - 10
    assert min(xs(up[0])) == pytest.approx(x0) and max(xs(up[0])) > x0 + 10
    assert "\u22124.24 %" in "".join(yoy.itertext())  # its value label carries the sign


def test_implausible_figures_are_hatched_and_say_so(page: str, built: Path) -> None:
    expected = per_measure(built, "implausible")
    # by hand, release 000: "6.7000 tons" and "8.370 tons" of drugs, "570.179 t" of precursor
    # chemicals, "1 cases of cluster zero", "2022 million subscribers"
    assert expected == {
        "drugs seized": 2,
        "precursor chemicals seized": 1,
        "drug cases solved": 1,
        "subscribers": 1,
    }
    found: Counter[str] = Counter()
    for chart_id, root in svgs(page).items():
        if not chart_id.startswith("chart-m"):
            continue
        for bar in bars(root):
            hatched = fill(bar).startswith("url(#")  # a hatch pattern, not a plain colour
            assert hatched == ("(implausible)" in title(bar)), (chart_id, title(bar))
            if hatched:  # and says so, and says how the figure was written
                assert text_of(by_id(root, f"value-{row(bar)}")).endswith(" (implausible)")
                written = title(bar).split("“")[1].split("”")[0]
                assert f"“{written}”" in text_of(by_id(root, f"label-{row(bar)}"))
                found[title(bar).split(":", 1)[0]] += 1
    assert found == expected
    subscribers = measure(svgs(page), "-subscribers")
    (bar,) = bars(subscribers)
    assert text_of(by_id(subscribers, f"value-{row(bar)}")) == "2,022,000,000 (implausible)"
    assert text_of(by_id(subscribers, f"label-{row(bar)}")) == (
        "000 · 2023-01-01 to 2023-09-26 · CN · “2022 million”"
    )


def test_malformed_figures_are_counted_under_their_chart_and_never_a_bar(
    page: str, built: Path
) -> None:
    expected = per_measure(built, "malformed")
    # by hand, release 000: cases "9,26", "7,11", "2258,9", "8,2", "<>,<>"; suspects
    # "2023,1", "18,1", "1088,2021", "7351,7", "1443,<>"; 18 in all
    assert expected["drug cases solved"] == expected["suspects arrested"] == 5
    assert sum(expected.values()) == 18
    counted: Counter[str] = Counter()
    for heading, body in sections(page):
        said = re.findall(r"(\d+) malformed figures? ha(?:s|ve) no stated value", body)
        if said:
            (n,) = said
            counted[re.sub(r" \([^)]*\)$", "", heading)] += int(n)
    assert counted == expected
    cases = next(body for heading, body in sections(page) if heading == "drug cases solved")
    assert "“9,26”, “2258,9”, “&lt;&gt;,&lt;&gt;”, “7,11”, “8,2”" in cases
    for root in svgs(page).values():
        for bar in bars(root):
            assert "(malformed)" not in title(bar)


def test_a_verified_value_is_drawn_beside_its_stated_value(page: str, built: Path) -> None:
    charts_ = svgs(page)
    drugs = measure(charts_, "-drugs-seized")
    (x0,) = set(xs(by_id(drugs, "zero-line")))
    # "8.2 tons of various drugs" (January to August); the Chinese original says 16.5 t
    (stated,) = [b for b in bars(drugs) if "“8.2”" in title(b)]
    verified = by_id(drugs, f"verified-{row(stated)}")
    ratio = (max(xs(verified)) - x0) / (max(xs(stated)) - x0)
    assert ratio == pytest.approx(16.5 / 8.2, rel=1e-3)
    # beside: right under the stated bar, in its row (nearer than a bar's height)
    top, bottom = min(ys(stated)), max(ys(stated))
    assert bottom <= min(ys(verified)) < bottom + (bottom - top)
    assert text_of(by_id(drugs, f"verified-value-{row(stated)}")) == "verified 16.5 t"
    assert "verified value" in legend(drugs)
    # a decrease corrected: "down 4.24%" was a decrease of 18.1%: both left of zero
    yoy = measure(charts_, "-year-on-year-change")
    (x0,) = set(xs(by_id(yoy, "zero-line")))
    (down,) = [b for b in bars(yoy) if "“4.24%” (down)" in title(b)]
    verified = by_id(yoy, f"verified-{row(down)}")
    assert max(xs(verified)) == pytest.approx(x0)
    assert (x0 - min(xs(verified))) / (x0 - min(xs(down))) == pytest.approx(18.1 / 4.24, rel=1e-3)
    # a malformed figure corrected: "9,26" cases has no bar, but its verified 26,000 has one
    cases = measure(charts_, "-drug-cases-solved")
    (mark,) = [e for e in cases.iter(f"{SVG}g") if text_of(e) == "stated “9,26”: malformed"]
    i = row(mark)
    assert [b for b in bars(cases) if row(b) == i] == []
    assert text_of(by_id(cases, f"verified-value-{i}")) == "verified 26,000"
    # every correction of the corrections graph is drawn, once, in the measure charts
    result = ox.Store.read_only(str(built)).query(
        "PREFIX prov: <http://www.w3.org/ns/prov#> SELECT (COUNT(*) AS ?n) WHERE {"
        " GRAPH <https://w3id.org/narcotics-kg/graph/corrections> { ?r prov:wasRevisionOf ?s } }"
    )
    assert isinstance(result, ox.QuerySolutions)
    (solution,) = list(result)
    drawn = [
        e
        for chart_id, root in charts_.items()
        if chart_id.startswith("chart-m")
        for e in root.iter(f"{SVG}g")
        if re.fullmatch(rf"{chart_id}-verified-\d+", e.get("id", ""))
    ]
    assert len(drawn) == int(solution["n"].value) == 24


def _painted(element: ET.Element) -> set[str]:
    """The colours ``element`` itself fills or strokes with (attributes or style)."""
    style = dict(
        part.strip().split(": ", 1) for part in element.get("style", "").split(";") if ": " in part
    )
    found = {style.get("fill"), style.get("stroke"), element.get("fill"), element.get("stroke")}
    return {c.lower() for c in found if c}


def _within(e: ET.Element, ids: set[str | None], parents: dict[ET.Element, ET.Element]) -> bool:
    """Whether ``e`` or one of its ancestors has one of the ``ids``."""
    node: ET.Element | None = e
    while node is not None:
        if node.get("id") in ids:
            return True
        node = parents.get(node)
    return False


def test_releases_have_a_legend_and_red_means_malformed_only(page: str) -> None:
    charts_ = svgs(page)
    red = legend(charts_["chart-quality"])["malformed"]
    for chart_id, root in charts_.items():
        if not chart_id.startswith("chart-m"):
            continue
        releases = {title(b).rsplit(" in ", 1)[1].split("_", 1)[0] for b in bars(root)}
        releases |= {
            title(e).rsplit(" in ", 1)[1].split("_", 1)[0]
            for e in root.iter(f"{SVG}g")
            if "-verified-" in e.get("id", "") and "-value-" not in e.get("id", "")
        }
        keys = {k: v for k, v in legend(root).items() if k.startswith("release ")}
        assert set(keys) == {f"release {r}" for r in releases}, chart_id
        assert len(set(keys.values())) == len(keys), chart_id
        assert set(keys.values()) <= OKABE_ITO, chart_id  # colour-blind safe
        assert red not in keys.values()
    # every shape or text painted red is a malformed mark, key or count
    for chart_id, root in charts_.items():
        allowed = {
            e.get("id")
            for e in root.iter(f"{SVG}g")
            if re.fullmatch(rf"{chart_id}-(missing-\d+|bar-\d+-1)", e.get("id", ""))
        }
        if chart_id != "chart-jurisdictions":
            labels = [t for t in root.iter(f"{SVG}g") if "-legend-label-" in t.get("id", "")]
            allowed |= {
                t.get("id", "").replace("-legend-label-", "-legend-key-")
                for t in labels
                if text_of(t).startswith("malformed")
            }
        parents = {child: parent for parent in root.iter() for child in parent}
        for e in root.iter():
            if red in _painted(e):
                assert _within(e, allowed, parents), (chart_id, e.tag, text_of(e))


def _figure_row(release: str, indicator: str, value: str, start: int) -> dict[str, str]:
    """A row of queries/figures.rq, as the report reads it."""
    return {
        "release": release,
        "start": str(start),
        "end": str(start + len(value)),
        "verbatim": value,
        "value": value,
        "unit": "NUM",
        "measure": f"{NKGV}indicator/{indicator}",
        "qualifier": "exact",
        "status": "stated",
        "area": "CN",
        "operation": "",
        "period_start": "2023-01-01",
        "period_end": "2023-12-31",
        "change_of": "",
        "direction": "",
        "substance": "",
        "offence": "",
        "quote": value,
        "figure": f"{NKGV}release/{release}/figure/{start}",
    }


def test_more_releases_than_colours_never_repeat_a_colour_nor_take_the_red() -> None:
    releases = [f"r{k:02d}_invented" for k in range(12)]
    rows = [_figure_row(r, "cases-solved", str(10 + k), 100) for k, r in enumerate(releases)]
    rows += [
        _figure_row(r, "suspects-arrested", str(20 + k), 200) for k, r in enumerate(releases[:5])
    ]
    cases, suspects = measure_charts(rows, {})
    # 12 releases in one chart: no colour can be told apart from all others, so none is used
    root = ET.fromstring(cases.svg or "")
    assert {fill(b) for b in bars(root)} == {charts.NEUTRAL}
    assert not [e for e in root.iter() if (e.get("id") or "").endswith("-legend")]
    assert any("12 releases" in note for note in cases.notes)
    # 5 of them: five colours of the palette, one legend entry each, no red
    root = ET.fromstring(suspects.svg or "")
    keys = legend(root)
    assert list(keys) == [f"release r{k:02d}" for k in range(5)]
    assert len(set(keys.values())) == 5 and set(keys.values()) <= OKABE_ITO
    assert charts.MALFORMED not in keys.values()
    for bar in bars(root):
        assert fill(bar) == keys[f"release {title(bar).rsplit(' in ', 1)[1].split('_')[0]}"]


def test_a_change_without_a_direction_is_flagged_not_drawn_as_a_rise() -> None:
    base = _figure_row("r01_invented", "cases-solved", "120", 100)
    up = {**_figure_row("r01_invented", "year-on-year-change", "5", 130), "unit": "PERCENT"}
    up |= {"change_of": base["figure"], "direction": "up"}
    unsure = {**up, "start": "150", "end": "152", "figure": f"{NKGV}release/r01/figure/150"}
    unsure |= {"direction": "", "verbatim": "6%", "value": "6"}
    changes = next(c for c in measure_charts([base, up, unsure], {}) if c.heading.endswith("(%)"))
    root = ET.fromstring(changes.svg or "")
    (flagged,) = [b for b in bars(root) if fill(b).startswith("url(#")]
    assert "“6%”" in title(flagged)
    assert text_of(by_id(root, f"value-{row(flagged)}")) == "6 % (direction not stated)"
    assert text_of(by_id(root, f"label-{row(flagged)}")).endswith(" · “6%”")


def test_no_two_bars_of_a_chart_have_the_same_label(page: str) -> None:
    charts_ = svgs(page)
    for chart_id, root in charts_.items():
        if chart_id == "chart-jurisdictions":  # a grid: its colour bar's ticks are ytick too
            continue
        labels = [
            text_of(g)
            for g in root.iter(f"{SVG}g")
            if re.fullmatch(rf"{chart_id}-ytick_\d+", g.get("id", ""))
        ]
        assert labels, chart_id
        assert len(labels) == len(set(labels)), (chart_id, Counter(labels).most_common(2))
    # by hand: of release 000's seizures over 2023-01-01 to 2023-09-26 in CN, 8.370 t are
    # those of the "hunting and scourging" operation and 67.15 t those of "cluster zero"
    drugs = measure(charts_, "-drugs-seized")
    labels = {
        title(b).split("“")[1].split("”")[0]: text_of(by_id(drugs, f"label-{row(b)}"))
        for b in bars(drugs)
    }
    assert labels["8.370"] == (  # implausible: as written, too
        "000 · 2023-01-01 to 2023-09-26 · CN · Hunting and scourging · “8.370”"
    )
    assert labels["67.15"] == "000 · 2023-01-01 to 2023-09-26 · CN · Cluster crackdown"
    # and of the changes up to August, "6%" is the change in cases solved, "3.9%" in suspects
    yoy = measure(charts_, "-year-on-year-change")
    labels = {
        title(b).split("“")[1].split("”")[0]: text_of(by_id(yoy, f"label-{row(b)}"))
        for b in bars(yoy)
    }
    assert labels["6%"].endswith("· change in drug cases solved")
    assert labels["3.9%"].endswith("· change in suspects arrested")


def test_the_page_loads_nothing_and_runs_nothing(page: str) -> None:
    assert "<script" not in page.lower()
    for tag in ("<link", "<img", "<iframe", "<object", "<embed", "@import", "url(http"):
        assert tag not in page.lower()
    for attr, value in re.findall(r"\b((?:xlink:)?href|src)\s*=\s*[\"']([^\"']*)", page):
        assert value.startswith("#"), (attr, value)  # in-page references only
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_ids_are_unique_on_the_page_and_references_resolve(page: str) -> None:
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    refs = re.findall(r'(?:href="#|url\(#)([^")]+)', page)
    assert refs and set(refs) <= set(ids)


@pytest.mark.slow
def test_two_reports_of_one_store_are_byte_identical(built: Path, tmp_path: Path) -> None:
    outs = []
    for seed in ("1", "2"):  # two processes, different hash seeds
        out = tmp_path / f"report-{seed}.html"
        subprocess.run(
            [sys.executable, "-m", "kg.cli", "report", "--store", str(built), "--out", str(out)],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            timeout=600,
        )
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


# --- the chart functions on their own -----------------------------------------------------


def test_bar_chart_negative_bar_extends_left_of_zero() -> None:
    root = ET.fromstring(
        charts.bar_chart([charts.Bar("up", 6.0), charts.Bar("down", -4.24)], chart_id="c", unit="%")
    )
    (x0,) = set(xs(by_id(root, "zero-line")))
    up, down = bars(root)
    assert min(xs(up)) == pytest.approx(x0) and max(xs(up)) > x0 + 10
    assert max(xs(down)) == pytest.approx(x0) and min(xs(down)) < x0 - 10


def test_charts_are_deterministic_and_ids_are_prefixed() -> None:
    def draw(chart_id: str) -> str:
        return charts.stacked_bars([("a", [1, 2]), ("b", [3, 0])], ["x", "y"], chart_id=chart_id)

    assert draw("one") == draw("one")
    one, two = (set(re.findall(r'\bid="([^"]+)"', draw(i))) for i in ("one", "two"))
    assert not one & two
    assert all(i == "one" or i.startswith("one-") for i in one)
    text = draw("one")
    assert not text.startswith("<?xml") and "<!DOCTYPE" not in text and text.startswith("<svg")
    assert "<metadata" not in text and "xlink" not in text


def test_labels_from_the_data_are_escaped_and_not_math() -> None:
    label = "<script>alert(1)</script> costs $5 & $6"
    text = charts.bar_chart([charts.Bar(label, 1.0, tooltip=label)], chart_id="c")
    assert "<script" not in text
    root = ET.fromstring(text)  # still well-formed XML
    shown = "".join(root.itertext())
    assert "<script>alert(1)</script>" in shown and "$5 & $6" in shown
    heat = charts.heatmap(["<b>"], ["$x$"], [[2.0]], chart_id="h")
    assert "<b>" not in heat and "$x$" in "".join(ET.fromstring(heat).itertext())
    # text that looks like an attribute is text: ids are rewritten inside tags only
    text = charts.bar_chart([charts.Bar('id="figure_1"', 1.0)], chart_id="c")
    assert 'id="figure_1"' in "".join(ET.fromstring(text).itertext())
    with pytest.raises(ValueError):
        charts.bar_chart([], chart_id='x" onload="alert(1)')


def test_the_command_line_does_not_import_matplotlib() -> None:
    code = "import sys, kg.cli; print('matplotlib' in sys.modules)"
    got = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert got.stdout.strip() == "False"


# --- in a real browser ----------------------------------------------------------------------

# Every <text> of each chart as its box on screen, with the chart's box.
BOXES = """
return Array.from(document.querySelectorAll('svg')).map(svg => {
  const r = svg.getBoundingClientRect();
  return {id: svg.id, box: [r.left, r.top, r.right, r.bottom],
          texts: Array.from(svg.querySelectorAll('text')).map(t => {
            const b = t.getBoundingClientRect();
            return {text: t.textContent, box: [b.left, b.top, b.right, b.bottom]};
          })};
});
"""


def _overlap(a: list[float], b: list[float], slack: float = 0.5) -> bool:
    return (
        a[0] < b[2] - slack and b[0] < a[2] - slack and a[1] < b[3] - slack and b[1] < a[3] - slack
    )


@pytest.mark.slow
def test_labels_are_inside_their_chart_and_do_not_overlap(
    page: str, tmp_path: Path, browser: Any
) -> None:
    out = tmp_path / "report.html"
    out.write_text(page, encoding="utf-8")
    browser.get(out.as_uri())
    drawn = browser.execute_script(BOXES)
    assert len(drawn) == page.count("<svg") >= 4
    for svg in drawn:
        box, texts = svg["box"], [t for t in svg["texts"] if t["text"].strip()]
        assert texts, svg["id"]
        for t in texts:
            left, top, right, bottom = t["box"]
            assert right > left and bottom > top, (svg["id"], t["text"])
            inside = (
                left >= box[0] - 0.5
                and top >= box[1] - 0.5
                and right <= box[2] + 0.5
                and bottom <= box[3] + 0.5
            )
            assert inside, (svg["id"], t["text"], t["box"], box)
        for i, a in enumerate(texts):
            for b in texts[i + 1 :]:
                assert not _overlap(a["box"], b["box"]), (svg["id"], a["text"], b["text"])


# --- more releases than colours (eight invented releases), and in a real browser ------------


@pytest.fixture(scope="module")
def eight(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of eight invented releases: more than the palette's six colours."""
    work = tmp_path_factory.mktemp("eight")
    files = [str(f) for f in sorted(INVENTED.glob("r0[1-8]_*.txt"))]
    assert len(files) == 8
    narcokg("build", *files, "--store", str(work / "store"), "--no-dump", cwd=work)
    return work / "store"


@pytest.fixture(scope="module")
def eight_page(eight: Path) -> str:
    return render(ox.Store.read_only(str(eight)), generated=DAY, kept=answers_path(eight))


@pytest.mark.slow
def test_with_more_releases_than_colours_no_colour_is_shared(eight_page: str) -> None:
    said = dict(sections(eight_page))
    crowded = 0
    for chart_id, root in svgs(eight_page).items():
        if not chart_id.startswith("chart-m"):
            continue
        releases = {title(b).rsplit(" in ", 1)[1].split("_", 1)[0] for b in bars(root)}
        keys = (
            {k: v for k, v in legend(root).items() if k.startswith("release ")}
            if any((e.get("id") or "").endswith("-legend") for e in root.iter())
            else {}
        )
        if len(releases) > len(charts.PALETTE):
            crowded += 1
            assert not keys, chart_id
            assert {fill(b) for b in bars(root) if "(implausible)" not in title(b)} == {
                charts.NEUTRAL
            }
            heading = next(h for h, body in said.items() if f'id="{chart_id}"' in body)
            assert f"{len(releases)} releases are more than the 6 colours" in said[heading]
        else:
            assert set(keys) == {f"release {r}" for r in releases}, chart_id
            assert len(set(keys.values())) == len(keys) and set(keys.values()) <= OKABE_ITO
    assert crowded >= 2  # drug cases solved, drugs seized, ...


@pytest.mark.slow
@pytest.mark.parametrize("which", ["page", "eight_page"])
def test_in_a_browser_labels_fit_and_tell_the_bars_apart(
    which: str, request: pytest.FixtureRequest, tmp_path: Path, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    html = request.getfixturevalue(which)
    out = tmp_path / "report.html"
    out.write_text(html, encoding="utf-8")
    browser.get(out.as_uri())
    height = browser.execute_script("return document.documentElement.scrollHeight")
    try:  # the whole page in one screenshot, to look at
        browser.set_window_size(1200, min(int(height) + 100, 16000))
        assert browser.save_screenshot(str(tmp_path / "report.png"))
    finally:
        browser.set_window_size(1200, 1600)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    drawn = browser.find_elements(By.CSS_SELECTOR, "svg")
    assert len(drawn) == html.count("<svg") >= 4
    for svg in drawn:
        box = svg.rect
        right, bottom = box["x"] + box["width"], box["y"] + box["height"]
        chart_id = svg.get_attribute("id")
        for text in svg.find_elements(By.CSS_SELECTOR, "text"):
            r = text.rect
            inside = (
                r["x"] >= box["x"] - 0.5
                and r["y"] >= box["y"] - 0.5
                and r["x"] + r["width"] <= right + 0.5
                and r["y"] + r["height"] <= bottom + 0.5
            )
            assert inside, (chart_id, text.get_attribute("textContent"), r, box)
        # the labels of the bars as drawn: no two alike (the grid's colour bar has ticks too)
        labels = [
            g.get_attribute("textContent").strip()
            for g in svg.find_elements(By.CSS_SELECTOR, "g[id*='-ytick_']")
        ]
        if chart_id != "chart-jurisdictions":
            assert len(labels) == len(set(labels)), (chart_id, Counter(labels).most_common(1))
        # a verified bar lies right under its stated bar
        for verified in svg.find_elements(By.CSS_SELECTOR, "g[id*='-verified-']"):
            gid = verified.get_attribute("id")
            if "-value-" in gid:
                continue
            stated = svg.find_elements(By.ID, gid.replace("-verified-", "-bar-"))
            if stated:
                s, v = stated[0].rect, verified.rect
                assert s["y"] + s["height"] - 0.5 <= v["y"] < s["y"] + 2 * s["height"], gid
