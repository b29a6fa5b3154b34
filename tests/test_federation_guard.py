"""The federation guard (kg/queries/federation.py): every SERVICE and LOAD is found, nothing else.

Two kinds of check. Spellings: many ways of writing a SERVICE clause must be found with their
endpoint, and the word SERVICE inside strings, comments, IRIs, variables and prefixed names must
not. Oracle: pyoxigraph (the engine of the Oxigraph server that ``narcokg serve`` runs, same
version) evaluates hundreds of tricky variants against a recording HTTP server on 127.0.0.1;
whenever it contacted the recorder, the guard must have refused that text.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from kg.errors import KgError
from kg.queries.federation import FederationRefused, load_iris, refuse_federation, service_iris
from tests.recorder import Recorder, recording

E = "http://127.0.0.1:9/"  # an address nothing listens on: the unit cases contact nothing


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (f"SELECT * {{ SERVICE <{E}a> {{ ?s ?p ?o }} }}", [f"{E}a"]),
        (f"select * {{ service <{E}a> {{ ?s ?p ?o }} }}", [f"{E}a"]),
        (f"SELECT * {{ sErViCe <{E}a> {{ ?s ?p ?o }} }}", [f"{E}a"]),
        (f"SELECT * {{ SERVICE SILENT <{E}a> {{ ?s ?p ?o }} }}", [f"{E}a"]),
        (f"SELECT * {{ SERVICE<{E}a>{{?s ?p ?o}} }}", [f"{E}a"]),
        (f"SELECT * {{ SERVICESILENT<{E}a>{{?s ?p ?o}} }}", [f"{E}a"]),
        (f"SELECT * {{ SERVICE\n\t<{E}a> {{ }} }}", [f"{E}a"]),
        (f"SELECT * {{ SERVICE # a comment\n <{E}a> {{ }} }}", [f"{E}a"]),
        (f"SELECT * {{ SERVICE#\r<{E}a> {{ }} }}", [f"{E}a"]),
        (f"SELECT * {{ ?s ?p 1.SERVICE <{E}a> {{ }} }}", [f"{E}a"]),
        (f"SELECT * {{ ?s ?p 1SERVICE <{E}a> {{ }} }}", [f"{E}a"]),
        (f"SELECT * {{ ?s ?p 1.0SERVICE <{E}a> {{ }} }}", [f"{E}a"]),
        (f"SELECT * {{ ?s ?p trueSERVICE <{E}a> {{ }} }}", [f"{E}a"]),
        (f"SELECT * {{ ?s ?p ?o.SERVICE <{E}a> {{ }} }}", [f"{E}a"]),
        (f"SELECT * {{ ?s ?p 'x'SERVICE <{E}a> {{ }} }}", [f"{E}a"]),
        (f"SELECT * {{ ?s ?p 'x'@en.SERVICE <{E}a> {{ }} }}", [f"{E}a"]),
        (f"SELECT * {{ ?s ?p 'x'^^<urn:t>.SERVICE <{E}a> {{ }} }}", [f"{E}a"]),
        (f"SELECT * {{ {{?s ?p ?o}}SERVICE<{E}a>{{}} }}", [f"{E}a"]),
        (f"SELECT * {{ ?s ?p ?o FILTER(?o<2)SERVICE <{E}a> {{ }} }}", [f"{E}a"]),
        (f"SELECT * {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{E}a> {{ }} }} }}", [f"{E}a"]),
        (f"ASK {{ SERVICE <{E}a> {{ }} }}", [f"{E}a"]),
        (f"SELECT * {{ SERVICE <{E}a> {{ SELECT * {{ ?s ?p ?o }} }} }}", [f"{E}a"]),
        # codepoint escapes: in the IRI (Oxigraph resolves them) and in the keyword (the spec does)
        (f"SELECT * {{ SERVICE <{E}\\u0061> {{ }} }}", [f"{E}a"]),
        (f"SELECT * {{ \\u0053ERVICE <{E}a> {{ }} }}", [f"{E}a"]),
        (f"SELECT * {{ SERV\\U00000049CE <{E}a> {{ }} }}", [f"{E}a"]),
        # a string that ends where the scanner might not expect it
        (f"SELECT * {{ ?s ?p 'a\\'' . SERVICE <{E}a> {{ }} }}", [f"{E}a"]),
        (f"SELECT * {{ ?s ?p '''x'y''z''' . SERVICE <{E}a> {{ }} }}", [f"{E}a"]),
        (f'SELECT * {{ ?s ?p "\\u0022" . SERVICE <{E}a> {{ }} }}', [f"{E}a"]),
        # "<" read as less-than before a string (an IRI may hold a "'")
        (f"SELECT * {{ ?s ?p ?a FILTER(?a<'>')SERVICE <{E}a> {{ }} ?s ?p 'x' }}", [f"{E}a"]),
        # an escaped "#" in a prefixed name starts no comment
        (f"PREFIX e: <{E}> SELECT * {{ ?s ?p e:a\\# . SERVICE e:b {{ }} }}", [f"{E}b"]),
        # prefixed names, resolved against their declaration
        (f"PREFIX e: <{E}> SELECT * {{ SERVICE e:b {{ }} }}", [f"{E}b"]),
        (f"PREFIX e: <{E}> SELECT * {{ SERVICEe:b {{ }} }}", [f"{E}b"]),
        (f"PREFIXe:<{E}>SELECT * {{ SERVICE e:b {{ }} }}", [f"{E}b"]),
        (f"PREFIX : <{E}> SELECT * {{ SERVICE :b {{ }} }}", [f"{E}b"]),
        (f"PREFIX : <{E}> SELECT * {{ SERVICE:b {{ }} }}", [f"{E}b"]),
        (f"PREFIX : <{E}> SELECT * {{ ?s ?p ?o . service:b {{ }} }}", [f"{E}b"]),
        (f"PREFIX e: <{E}> SELECT * {{ SERVICE e: {{ }} }}", [E]),
        (f"PREFIX e: <{E}> SELECT * {{ SERVICE e:a\\~b {{ }} }}", [f"{E}a~b"]),
        (f"PREFIX e: <{E}> SELECT * {{ SERVICE e:a.b {{ }} }}", [f"{E}a.b"]),
        # unresolvable: reported as written
        ("SELECT * { SERVICE e:b { } }", ["e:b"]),
        (f"PREFIX e: <{E}> PREFIX e: <{E}x/> SELECT * {{ SERVICE e:b {{ }} }}", ["e:b"]),
        ("SELECT * { SERVICE <relative> { } }", ["<relative>"]),
        ("SELECT * { SERVICE <//127.0.0.1:9/h> { } }", ["<//127.0.0.1:9/h>"]),
        (f"BASE <{E}b1/> SELECT * {{ SERVICE <c> {{ }} }}", [f"{E}b1/c"]),
        (f"BASE <{E}b1/> BASE <../b2/> SELECT * {{ SERVICE <c> {{ }} }}", ["<c>"]),
        # variables
        ("SELECT * { SERVICE ?x { } }", ["?x"]),
        ("SELECT * { SERVICE SILENT $x { } }", ["$x"]),
        ("SELECT * { SERVICE?x{ } }", ["?x"]),
        # several, and in updates
        (
            f"SELECT * {{ SERVICE <{E}a> {{ }} SERVICE <{E}b> {{ }} }}",
            [f"{E}a", f"{E}b"],
        ),
        (
            f"INSERT {{ <urn:a> <urn:b> ?x }} WHERE {{ SERVICE <{E}u> {{ ?x ?y ?z }} }}",
            [f"{E}u"],
        ),
        (
            f"INSERT DATA {{ <urn:a> <urn:b> 'c' }} ; DELETE WHERE {{ SERVICE <{E}u> {{ }} }}",
            [f"{E}u"],
        ),
    ],
)
def test_service_clauses_are_found(query: str, expected: list[str]) -> None:
    assert service_iris(query) == expected
    with pytest.raises(FederationRefused):
        refuse_federation(query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * { ?s ?p 'SERVICE <http://127.0.0.1:9/> { }' }",
        'SELECT * { ?s ?p "SERVICE <http://127.0.0.1:9/> { }" }',
        "SELECT * { ?s ?p '''\nSERVICE <http://127.0.0.1:9/> { }\n''' }",
        'SELECT * { ?s ?p """it said "SERVICE" SERVICE <x> {}""" }',
        "SELECT * { ?s ?p 'it\\'s SERVICE <x> {}' }",
        "SELECT * { ?s ?p ?o } # SERVICE <http://127.0.0.1:9/> { }",
        "SELECT * { ?s ?p ?o # SERVICE <http://127.0.0.1:9/> { }\n }",
        "SELECT * { ?s <http://example.org/SERVICE> ?o }",
        "SELECT * { <urn:service:SERVICE> ?p ?o }",
        "SELECT ?service { ?service ?p $SERVICE }",
        "PREFIX ex: <http://example.org/> SELECT * { ?s ex:service ex:SERVICE }",
        "PREFIX ex: <http://example.org/> SELECT * { ?s ex:my.service ?o }",
        "PREFIX ex: <http://example.org/> SELECT * { ?s ex:a.SERVICE ?o }",
        "PREFIX ex: <http://example.org/> SELECT * { ?s ex:web-service ?o }",
        "PREFIX ex: <http://example.org/> SELECT * { ?s ex:%53ERVICE ?o }",
        "PREFIX service: <http://example.org/> SELECT * { service:a ?p service:c }",
        "PREFIX service: <http://example.org/> SELECT * { GRAPH service:g { ?s ?p ?o } }",
        "PREFIX webservice: <http://example.org/> SELECT * { ?s ?p webservice:x }",
        "SELECT * { ?s ?p 'x'@service }",
        "SELECT * { ?s ?p 'x'@en-service }",
        "SELECT * { _:service ?p ?o }",
        "SELECT * { ?s ?p ?o FILTER(CONTAINS(?o, 'SERVICE')) }",
        "SELECT * { ?s ?p ?o } VALUES ?x { 'SERVICE' 'load' }",
        "PREFIX ex: <http://example.org/> SELECT * { ?s ex:load ?download }",
        "INSERT DATA { <urn:a> <urn:b> 'LOAD <http://127.0.0.1:9/> ; SERVICE' }",
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    ],
)
def test_the_word_service_elsewhere_is_not_flagged(query: str) -> None:
    ox.Store().query(query) if not query.startswith("INSERT") else ox.Store().update(query)
    assert service_iris(query) == []
    assert load_iris(query) == []
    refuse_federation(query)  # no error


def test_load_is_found_in_updates() -> None:
    assert load_iris(f"LOAD <{E}data.ttl>") == [f"{E}data.ttl"]
    assert load_iris(f"LOAD SILENT <{E}d> INTO GRAPH <urn:g>") == [f"{E}d"]
    assert load_iris(f"PREFIX e: <{E}> LOAD e:d ; LOAD<{E}x>") == [f"{E}d", f"{E}x"]
    assert load_iris("INSERT DATA { <urn:a> <urn:b> 'c' } ;load <urn:x>") == ["urn:x"]
    with pytest.raises(FederationRefused, match=r"^update refused: LOAD <http://127\.0\.0\.1"):
        refuse_federation(f"LOAD <{E}data.ttl>")


def test_allowed_endpoints_pass_and_others_are_refused_in_one_line() -> None:
    query = f"PREFIX e: <{E}> SELECT * {{ SERVICE e:sparql {{ ?s ?p ?o }} }}"
    refuse_federation(query, allowed=[f"{E}sparql"])  # exact IRI: allowed
    refuse_federation(f"LOAD <{E}sparql>", allowed={f"{E}sparql"})
    with pytest.raises(FederationRefused) as refused:
        refuse_federation(query, allowed=[f"{E}sparql/"])  # not the same IRI
    message = str(refused.value)
    assert message == (
        f"federated query refused: SERVICE <{E}sparql> is not an allowed endpoint "
        "(the operator allows endpoints with --allow-service)"
    )
    assert "\n" not in message
    assert isinstance(refused.value, KgError) and refused.value.exit_code == 2
    assert refused.value.endpoint == f"{E}sparql"
    # a variable cannot be checked: refused whatever is allowed
    with pytest.raises(FederationRefused, match=r"SERVICE \?x names its endpoint with a variable"):
        refuse_federation("SELECT * { SERVICE ?x { } }", allowed=["?x"])
    # an undeclared prefix cannot be resolved: refused even if the text is "allowed"
    with pytest.raises(FederationRefused, match="SERVICE e:x is not an allowed endpoint"):
        refuse_federation("SELECT * { SERVICE e:x { } }", allowed=["e:x"])
    # a second, forbidden endpoint after an allowed one
    with pytest.raises(FederationRefused, match=r"127\.0\.0\.1:9/other"):
        refuse_federation(
            f"SELECT * {{ SERVICE <{E}sparql> {{ }} SERVICE <{E}other> {{ }} }}",
            allowed=[f"{E}sparql"],
        )


def test_a_long_endpoint_is_shortened_and_control_characters_never_split_the_line() -> None:
    with pytest.raises(FederationRefused) as refused:
        refuse_federation("SELECT * { SERVICE <http://x/" + "a" * 5000 + "> { } }")
    assert len(str(refused.value)) < 400
    with pytest.raises(FederationRefused) as refused:
        refuse_federation("SELECT * { SERVICE e:a\\\u2028 { } }")
    assert "\u2028" not in str(refused.value) and "\n" not in str(refused.value)


def test_a_large_update_without_federation_is_let_through() -> None:
    """A 2.6 MB update full of strings, comments and look-alikes names no endpoint (how long the
    scan takes is measured in benchmarks, never asserted here)."""
    triples = "".join(
        f"<urn:s{i}> <urn:p> 'value {i} with a # and a < and \\' quote' .\n" for i in range(40_000)
    )
    update = f"INSERT DATA {{ GRAPH <urn:g> {{ {triples} }} }}"
    refuse_federation(update)
    refuse_federation(update + " # service")  # the full scan, not only the fast way
    assert load_iris(update) == [] and service_iris(update) == []


# --- oracle: pyoxigraph contacts the recorder => the guard refused the text ---------------------


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    with recording() as server:
        yield server


# Pieces that glue a SERVICE clause to what comes before and after it in ways Oxigraph accepts.
BEFORE = [
    "?s ?p ?o .",
    "?s ?p ?o",
    "?s ?p 1.",
    "?s ?p 1",
    "?s ?p 1.0",
    "?s ?p ?o.",
    "?s ?p 'x'.",
    "?s ?p 'x'@en.",
    "?s ?p '''a\n'b'''.",
    '?s ?p "a\\"b".',
    "{?s ?p ?o}",
    "OPTIONAL{?s ?p ?o}",
    "?s ?p ?o FILTER(?o<2)",
    "?s ?p ?o FILTER(?o<'>')",
    "?s ?p ?o #SERVICE\n",
    "?s ?p ?o #\r",
    "?s ?p e:a\\#.",
    "?s ?p e:a\\#",
    "",
]
KEYWORD = ["SERVICE", "service", "SeRvIcE", "SERVICE SILENT", "SERVICESILENT", "\\u0053ERVICE"]
SPACE = ["", " ", "\n", "\t", " #c\n ", "#\r"]
ENDPOINT = ["<{u}x>", "e:x", ":x", "<{u}\\u0078>", "e:\\~x", "<{u}'>"]


def _variants(url: str, count: int) -> list[str]:
    rng = random.Random(14)  # the same variants each run
    prologue = f"PREFIX e: <{url}> PREFIX : <{url}> "
    found = []
    for _ in range(count):
        endpoint = rng.choice(ENDPOINT).format(u=url)
        body = (
            f"{rng.choice(BEFORE)}{rng.choice(SPACE)}{rng.choice(KEYWORD)}{rng.choice(SPACE)}"
            f"{endpoint}{rng.choice(SPACE)}{{ ?a ?b ?c }}"
        )
        found.append(f"{prologue}SELECT * WHERE {{ {body} }}")
    return found


def test_whenever_oxigraph_contacts_an_endpoint_the_guard_refuses(recorder: Recorder) -> None:
    url = f"http://127.0.0.1:{recorder.server_address[1]}/"
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal(1)))
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("x", language="en")))
    contacted = 0
    for query in _variants(url, 600):
        recorder.calls.clear()
        with contextlib.suppress(SyntaxError, OSError, RuntimeError):
            store.query(query)
        if recorder.calls:
            contacted += 1
            assert service_iris(query), query
            with pytest.raises(FederationRefused):
                refuse_federation(query)
    assert contacted > 150  # the variants do reach the recorder: the oracle is not vacuous
