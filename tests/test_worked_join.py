"""A worked join of our figures with another dataset by Wikidata QID.

The local question (queries/figures_per_100000_people.rq) runs on the real build plus the
population extract (mappings/reference/population.ttl, Wikidata's own model); its federated twin
(queries/federated/) is never run here (no network), only compared with it. The expected values
were computed by hand from the census numbers the extract cites:
30 × 100,000 / 50,126,804 = 0.0598482…, 1,000 × 100,000 / 47,209,277 = 2.1182280…,
2.7 × 100,000 / 47,209,277 = 0.0057192….
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, Namespace
from rdflib.plugins.sparql import prepareQuery

from kg.queries.catalogue import parse_query
from kg.queries.run import run_query
from kg.resources import mappings_dir, queries_dir
from tests.conftest import narcokg

EXTRACT = mappings_dir() / "reference" / "population.ttl"
FEDERATED = queries_dir() / "federated" / "figures_per_100000_people_wikidata.rq"
WIKIDATA_ENDPOINT = "https://query.wikidata.org/sparql"
P = Namespace("http://www.wikidata.org/prop/")
PS = Namespace("http://www.wikidata.org/prop/statement/")
PQ = Namespace("http://www.wikidata.org/prop/qualifier/")
PR = Namespace("http://www.wikidata.org/prop/reference/")
PROV = Namespace("http://www.w3.org/ns/prov#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")  # open: rdflib's closed XSD warns
WD = Namespace("http://www.wikidata.org/entity/")
YUNNAN_SOURCE = "https://www.thepaper.cn/newsDetail_forward_12675257"
GUANGXI_SOURCE = (
    "https://govt.chinadaily.com.cn/s/202105/14/WS60cd9133498e74e365cd639a/"
    "hechis-population-passes-34-million.html"
)


@pytest.fixture(scope="module")
def joined(built: Path) -> ox.Store:
    """Our dump and the population extract, each in its own named graph."""
    store = ox.Store()
    store.bulk_load(path=str(built.parent / "narcotics-kg.trig"), format=ox.RdfFormat.TRIG)
    store.load(
        path=str(EXTRACT),
        format=ox.RdfFormat.TURTLE,
        to_graph=ox.NamedNode("https://example.org/graph/wikidata-extract"),
    )
    return store


def test_the_extract_is_in_wikidatas_model_with_a_reference_per_number() -> None:
    g = Graph().parse(EXTRACT, format="turtle")
    stated = {}
    for item, statement in g.subject_objects(P.P1082):
        value = g.value(statement, PS.P1082)
        assert g.value(statement, PQ.P585) == Literal("2020-11-01T00:00:00Z", datatype=XSD.dateTime)
        refs = {str(g.value(r, PR.P854)) for r in g.objects(statement, PROV.wasDerivedFrom)}
        assert refs, item  # every number names where it was checked
        stated[item] = (value, refs)
    # the census numbers, as the cited pages print them
    assert stated[WD.Q43194][0] == Literal("47209277", datatype=XSD.decimal)
    assert stated[WD.Q15176][0] == Literal("50126804", datatype=XSD.decimal)
    assert YUNNAN_SOURCE in stated[WD.Q43194][1]
    assert GUANGXI_SOURCE in stated[WD.Q15176][1]
    assert set(stated) == {WD.Q43194, WD.Q15176}


def test_figures_per_100000_people_joins_by_qid(joined: ox.Store) -> None:
    rows = run_query(joined, "figures_per_100000_people").as_dicts()
    assert rows
    by_figure = {r["figure"].rsplit("/release/", 1)[1]: r for r in rows}
    suspects = by_figure["003_fa7d3ae810f620c8/figure/2231-2233"]  # "30" suspects in Guangxi
    assert (suspects["code"], suspects["measure"], suspects["value"]) == (
        "CN-GX",
        "suspects-arrested",
        "30",
    )
    assert suspects["population"] == "50126804"
    assert suspects["population_date"] == "2020-11-01"
    assert Decimal(suspects["per_100000"]) == Decimal("0.059848")
    assert GUANGXI_SOURCE in suspects["population_sources"].split(";")
    police = by_figure["003_fa7d3ae810f620c8/figure/1916-1921"]  # "1,000" police in Yunnan
    assert (police["code"], police["value"], police["population"]) == ("CN-YN", "1000", "47209277")
    assert Decimal(police["per_100000"]) == Decimal("2.118228")
    assert police["population_sources"] == YUNNAN_SOURCE
    seized = by_figure["000_a69edf0332bcabe2/figure/1935-1938"]  # "2.7" tons in Yunnan
    assert (seized["unit"], Decimal(seized["per_100000"])) == ("TONNE", Decimal("0.005719"))
    for row in rows:  # the one rule, on every row
        per = Decimal(row["value"]) * 100000 / Decimal(row["population"])
        assert Decimal(row["per_100000"]) == per.quantize(Decimal("0.000001")), row
        assert row["code"] in {"CN-YN", "CN-GX"}  # no national figure, no other province
        assert row["measure"] != "year-on-year-change"


def test_figures_for_several_provinces_jointly_are_not_divided_by_one_population(
    joined: ox.Store,
) -> None:
    rows = run_query(joined, "figures_per_100000_people").as_dicts()
    # "four" cases solved by five provinces together (Guangdong, Shanghai, Hainan, Fujian,
    # Guangxi): no one population fits it
    assert not any(r["figure"].endswith("/figure/2243-2247") for r in rows)


def test_without_the_extract_nothing_is_joined(built: Path) -> None:
    store = ox.Store()
    store.bulk_load(path=str(built.parent / "narcotics-kg.trig"), format=ox.RdfFormat.TRIG)
    assert run_query(store, "figures_per_100000_people").rows == ()


def test_the_command_says_why_a_join_without_the_other_data_is_empty(built: Path) -> None:
    result = narcokg("query", "figures_per_100000_people", "--store", str(built))
    assert result.stdout.splitlines()[0].split() == [
        "release", "code", "label", "measure", "value", "unit", "population", "population_date",
        "per_100000", "population_sources", "figure",
    ]  # fmt: skip
    assert len(result.stdout.splitlines()) == 2  # the header and its rule, no row
    assert result.stderr.startswith(
        "note: figures_per_100000_people joins our figures with population statements in"
        " Wikidata's model"
    )
    assert 'docs/model.md, "Joining with other datasets"' in result.stderr


def test_the_federated_twin_differs_only_by_its_service_clause() -> None:
    local = parse_query(queries_dir() / "figures_per_100000_people.rq")
    federated = parse_query(FEDERATED)
    assert federated.returns == local.returns
    # each says which other dataset it needs (the catalogue's `#+ joins` header)
    assert "mappings/reference/population.ttl" in local.joins
    assert WIKIDATA_ENDPOINT in federated.joins
    assert f"SERVICE <{WIKIDATA_ENDPOINT}>" in federated.text

    def body(text: str) -> str:
        return "\n".join(line for line in text.splitlines() if not line.startswith("#"))

    assert body(federated.text).replace(
        f"SERVICE <{WIKIDATA_ENDPOINT}>", "GRAPH ?population_graph"
    ) == body(local.text)
    prepareQuery(body(federated.text))  # parses as SPARQL 1.1 (rdflib), never executed


def test_the_federated_query_is_not_in_the_runnable_catalogue() -> None:
    from kg.queries.catalogue import load_queries

    catalogue = load_queries()
    assert "figures_per_100000_people" in catalogue
    assert not any(re.search(r"\bSERVICE\b", q.text) for q in catalogue.values())
