"""Kept answers (kg/store/kept_answers.py) are the queries' answers, or they are not used.

Why these tests: the build answers every ``#+ scope: release`` query per release in its
workers and keeps the rows in a SQLite file beside the store, so that a whole-corpus table
reads a file instead of decoding hundreds of thousands of terms out of RocksDB. That is only
right if (1) a release's answer really depends on nothing but its graph and the vocabulary, and
(2) a file that no longer matches the store is never read. (1) is checked by comparing, on
two real stores, every kept answer with the query run in the whole store (which also holds the
other releases and the corrections graph), whole-corpus and per release. (2) is checked by
changing the store each way a user can (the vocabulary, a query's text, the set of releases, a
crash between the two writes, a garbage file, a writable server) and asserting that the answer
then comes from the store and shows the change.
"""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg.store.kept_answers as kept_answers
from kg.errors import InputError
from kg.queries.catalogue import load_queries, parse_query
from kg.queries.run import run_query
from kg.store.kept_answers import (
    KeptAnswers,
    Tabulator,
    answer,
    answers_path,
    release_scoped,
)
from kg.store.parallel import map_extraction, process_extractor
from kg.text.corpus import iter_releases
from tests.conftest import INVENTED_COUNT, ROOT, narcokg
from tests.test_query_binding import _release_ids

RELEASES = Path(__file__).parent / "data" / "releases"
VOCABULARY = ox.NamedNode("https://w3id.org/narcotics-kg/graph/vocabulary")
SKOS_NOTATION = ox.NamedNode("http://www.w3.org/2004/02/skos/core#notation")
SCOPED = [
    "figures",
    "figures_by_area",
    "figures_by_offence_and_substance",
    "jurisdictions_per_release",
    "malformed_figures",
    "measures_normalised",
    "mentions",
    "seizures_per_release_tonnes",
    "suspect_figures_per_release",
    "year_on_year_changes",
]


@pytest.fixture(scope="module")
def invented(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store of the six invented, hand-annotated releases (with its kept answers)."""
    work = tmp_path_factory.mktemp("invented")
    narcokg("build", str(RELEASES), "--store", str(work / "store"), "--no-dump", cwd=work)
    return work / "store"


def _copy(store_dir: Path, to: Path) -> Path:
    """A copy of a built store and its kept answers, to change without touching the fixture."""
    copy = to / "store"
    to.mkdir(parents=True, exist_ok=True)
    ox.Store.read_only(str(store_dir)).backup(str(copy))
    shutil.copyfile(answers_path(store_dir), answers_path(copy))
    return copy


def test_the_release_scoped_queries_are_the_per_release_tables() -> None:
    assert [q.name for q in release_scoped()] == SCOPED
    # the ones left out read more than one release graph each (corrections, or aggregates)
    assert "stated_vs_verified" not in SCOPED


# the 30-odd invented releases take half a minute: the fast set runs the corpus only
@pytest.mark.parametrize("which", ["corpus", pytest.param("invented", marks=pytest.mark.slow)])
def test_kept_answers_equal_the_queries_run_in_the_store(
    which: str, built: Path, invented: Path
) -> None:
    store_dir = built if which == "corpus" else invented
    store = ox.Store.read_only(str(store_dir))
    ids = _release_ids(store)
    assert len(ids) == (2 if which == "corpus" else INVENTED_COUNT)
    notes: list[str] = []
    with KeptAnswers.for_reading(answers_path(store_dir)) as kept:  # type: ignore[union-attr]
        for query in release_scoped():
            assert kept.stale(store, query) is None, query.name
            whole = run_query(store, query.name)
            assert kept.table(query) == whole, query.name
            got = answer(store, query.name, kept=answers_path(store_dir), note=notes.append)
            assert got == whole, query.name
            rows = 0
            for rid in ids:
                alone = run_query(store, query.name, {"release": rid})
                assert kept.table(query, rid) == alone, (query.name, rid)
                got = answer(
                    store,
                    query.name,
                    {"release": rid},
                    kept=answers_path(store_dir),
                    note=notes.append,
                )
                assert got == alone, (query.name, rid)
                rows += len(alone.rows)
            assert rows == len(whole.rows), query.name  # the releases' answers make up the whole
            if which == "corpus" or query.name != "suspect_figures_per_release":
                assert whole.rows, f"{query.name} answers nothing on the {which} store"
    assert notes == []


def test_answers_for_an_unknown_release_or_another_parameter_come_from_the_store(
    built: Path,
) -> None:
    store = ox.Store.read_only(str(built))
    notes: list[str] = []
    path = answers_path(built)
    assert answer(store, "figures", {"release": "no-such"}, kept=path, note=notes.append).rows == ()
    only = answer(
        store, "measures_normalised", {"measure": "drug-users"}, kept=path, note=notes.append
    )
    assert only == run_query(store, "measures_normalised", {"measure": "drug-users"})
    assert notes == []  # nothing stale: these are simply not kept


def test_a_changed_vocabulary_is_answered_from_the_store(built: Path, tmp_path: Path) -> None:
    store_dir = _copy(built, tmp_path)
    store = ox.Store(str(store_dir))
    before = run_query(store, "figures")
    column = before.columns.index("area")
    area = next(row[column] for row in before.rows if row[column] and ";" not in row[column])
    subject = next(
        q.subject
        for q in store.quads_for_pattern(None, SKOS_NOTATION, None, VOCABULARY)
        if isinstance(q.object, ox.Literal) and q.object.value == area
    )
    store.remove(ox.Quad(subject, SKOS_NOTATION, ox.Literal(area), VOCABULARY))
    store.add(ox.Quad(subject, SKOS_NOTATION, ox.Literal("XX-RENAMED"), VOCABULARY))
    notes: list[str] = []
    got = answer(store, "figures", kept=answers_path(store_dir), note=notes.append)
    assert any(row[column] == "XX-RENAMED" for row in got.rows)
    assert got == run_query(store, "figures")
    assert len(notes) == 1 and "vocabulary graph changed" in notes[0], notes


def test_a_changed_query_text_is_stale(built: Path) -> None:
    store = ox.Store.read_only(str(built))
    query = load_queries()["figures"]
    edited = replace(query, text=query.text.replace("ORDER BY ?release", "ORDER BY DESC(?release)"))
    with KeptAnswers.for_reading(answers_path(built)) as kept:  # type: ignore[union-attr]
        assert kept.stale(store, query) is None
        assert "query figures changed" in (kept.stale(store, edited) or "")


def test_a_dropped_or_added_release_graph_is_answered_from_the_store(
    built: Path, tmp_path: Path
) -> None:
    store_dir = _copy(built, tmp_path)
    store = ox.Store(str(store_dir))
    first, second = _release_ids(store)
    store.remove_graph(ox.NamedNode(f"https://w3id.org/narcotics-kg/graph/release/{first}"))
    notes: list[str] = []
    got = answer(store, "mentions", kept=answers_path(store_dir), note=notes.append)
    assert {row[got.columns.index("release")] for row in got.rows} == {second}
    assert len(notes) == 1 and "do not cover the store's release graphs" in notes[0]
    # a graph the build did not write (here: someone's extra release graph) is not covered either
    store_dir2 = _copy(built, tmp_path / "other")
    store2 = ox.Store(str(store_dir2))
    extra = ox.NamedNode("https://w3id.org/narcotics-kg/graph/release/extra")
    store2.add(ox.Quad(ox.NamedNode("urn:x"), ox.NamedNode("urn:y"), ox.Literal("z"), extra))
    with KeptAnswers.for_reading(answers_path(store_dir2)) as kept:  # type: ignore[union-attr]
        assert "do not cover" in (kept.stale(store2, load_queries()["mentions"]) or "")


def test_a_crash_between_forget_and_keep_leaves_the_release_missing_not_stale(
    built: Path, tmp_path: Path
) -> None:
    store_dir = _copy(built, tmp_path)
    store = ox.Store(str(store_dir))
    first = _release_ids(store)[0]
    with KeptAnswers.for_build(answers_path(store_dir)) as kept:
        kept.record(None, first)  # forgotten, and the build dies before it keeps it again
    notes: list[str] = []
    got = answer(store, "figures", kept=answers_path(store_dir), note=notes.append)
    assert got == run_query(store, "figures")
    assert notes and "do not cover" in notes[0]
    notes.clear()
    got = answer(
        store, "figures", {"release": first}, kept=answers_path(store_dir), note=notes.append
    )
    assert got == run_query(store, "figures", {"release": first}) and got.rows
    assert notes and "do not cover" in notes[0]


@pytest.mark.slow
def test_a_garbage_file_is_ignored_then_rebuilt(tmp_path: Path) -> None:
    corpus = ROOT / "corpus"
    store_dir = tmp_path / "store"
    narcokg("build", str(corpus), "--store", str(store_dir), "--no-dump")
    path = answers_path(store_dir)
    path.write_bytes(b"this is not a SQLite file\n" * 100)
    result = narcokg("figures", "--store", str(store_dir))
    store = ox.Store.read_only(str(store_dir))
    assert result.stdout.count("\n") == 1 + len(run_query(store, "figures").rows)
    assert "kept answers not used: not a kept-answers file" in result.stderr
    del store
    rebuilt = narcokg("build", str(corpus), "--store", str(store_dir), "--no-dump")
    assert f"warning: {path}: kept answers unusable" in rebuilt.stderr
    store = ox.Store.read_only(str(store_dir))
    with KeptAnswers.for_reading(path) as kept:  # type: ignore[union-attr]
        assert all(kept.stale(store, q) is None for q in release_scoped())
    again = narcokg("figures", "--store", str(store_dir))
    assert again.stdout == result.stdout and again.stderr == ""


def test_a_file_of_another_format_is_started_afresh(tmp_path: Path) -> None:
    path = tmp_path / "store.answers.sqlite"
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);")
    db.execute("INSERT INTO meta VALUES ('format', 'narcokg-kept-answers/0')")
    db.commit()
    db.close()
    warnings: list[str] = []
    with KeptAnswers.for_build(path, warnings.append) as kept:
        assert kept._meta("format") == kept_answers.FORMAT
    assert len(warnings) == 1 and "format 'narcokg-kept-answers/0'" in warnings[0]


@pytest.mark.slow
def test_a_partial_rebuild_keeps_the_other_releases(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    narcokg("build", str(ROOT / "corpus"), "--store", str(store_dir), "--no-dump")
    one = sorted((ROOT / "corpus").glob("*.txt"))[0]
    narcokg("build", str(one), "--store", str(store_dir), "--no-dump")
    store = ox.Store.read_only(str(store_dir))
    assert len(_release_ids(store)) == 2
    notes: list[str] = []
    for name in SCOPED:
        got = answer(store, name, kept=answers_path(store_dir), note=notes.append)
        assert got == run_query(store, name), name
    assert notes == []


def test_the_command_line_reads_kept_answers_and_says_when_it_cannot(
    built: Path, tmp_path: Path
) -> None:
    store_dir = _copy(built, tmp_path)
    kept = narcokg("query", "figures_by_area", "--format", "csv", "--store", str(store_dir))
    assert kept.stderr == ""
    answers_path(store_dir).unlink()  # no file: the store answers, and nothing is said
    plain = narcokg("query", "figures_by_area", "--format", "csv", "--store", str(store_dir))
    assert plain.stdout == kept.stdout and plain.stderr == ""
    assert plain.stdout.count("\n") > 10


@pytest.mark.slow  # tabulates every invented release twice
def test_a_tabulator_answers_the_same_across_scratch_stores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    releases = list(iter_releases([RELEASES]))
    mapped = [map_extraction(process_extractor().extract(r)) for r in releases]
    vocabulary = kept_answers.process_tabulator().vocabulary
    queries = release_scoped()
    reference = [
        Tabulator(vocabulary, queries).answers([(m.id, m.graph, m.ntriples)])[0] for m in mapped
    ]
    assert len(reference) == INVENTED_COUNT and all(set(a) == set(SCOPED) for a in reference)
    # one at a time in a scratch store renewed every two releases, or all six at once
    monkeypatch.setattr(kept_answers, "SCRATCH_RELEASES", 2)
    reused = Tabulator(vocabulary, queries)
    assert [reused.answers([(m.id, m.graph, m.ntriples)])[0] for m in mapped] == reference
    together = Tabulator(vocabulary, queries)
    assert together.answers([(m.id, m.graph, m.ntriples) for m in mapped]) == reference
    assert together.answers([(m.id, m.graph, m.ntriples) for m in mapped[3:]]) == reference[3:]
    assert sum(len(json.loads(a["figures"])) for a in reference) > 20


@pytest.mark.slow
def test_a_writable_server_drops_the_kept_answers(built: Path, tmp_path: Path) -> None:
    from kg.store.remote import Endpoint, update
    from tests.test_stores import _start_serve, _stop

    store_dir = _copy(built, tmp_path)
    before = narcokg("figures", "--store", str(store_dir)).stdout
    proc, urls = _start_serve(store_dir, "--writable")
    try:
        assert not answers_path(store_dir).exists()
        endpoint = Endpoint.from_options(urls["SPARQL endpoint"], update=urls["SPARQL update"])
        # the server changes a quote: the answer must show it, not the answer kept before
        update(
            endpoint,
            "PREFIX oa: <http://www.w3.org/ns/oa#> DELETE { GRAPH ?g { ?q oa:exact ?e } }"
            " INSERT { GRAPH ?g { ?q oa:exact 'CHANGED BY THE SERVER' } }"
            " WHERE { GRAPH ?g { ?q oa:exact ?e } FILTER(STRSTARTS(STR(?g),"
            " 'https://w3id.org/narcotics-kg/graph/release/')) }",
        )
    finally:
        assert _stop(proc, signal.SIGTERM) == 0
    after = narcokg("figures", "--store", str(store_dir)).stdout
    assert "CHANGED BY THE SERVER" in after and "CHANGED BY THE SERVER" not in before


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        ("#+ scope: corpus\n#+ params: [release]\n", "#+ scope: expected one of store, release"),
        ("#+ scope: release\n", "#+ scope: release needs the column and the parameter release"),
    ],
)
def test_a_bad_scope_header_is_one_clear_error(tmp_path: Path, header: str, problem: str) -> None:
    path = tmp_path / "q.rq"
    path.write_text(f"#+ summary: s\n#+ returns: [a]\n{header}SELECT ?a WHERE {{}}\n")
    with pytest.raises(InputError) as error:
        parse_query(path)
    assert problem in str(error.value) and str(path) in str(error.value)
