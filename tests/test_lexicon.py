"""The lexicon: its files, its invented examples, and the matcher's rules."""

from __future__ import annotations

import csv
from pathlib import Path

import pycountry
import pytest

from kg.errors import InputError
from kg.extract.lexicon import Lexicon
from kg.resources import mappings_dir

ID = "https://w3id.org/narcotics-kg/id/"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


def test_every_example_matches_as_written(lexicon: Lexicon) -> None:
    """Each entry's invented examples: `match` is what this entry finds, null = nothing."""
    checked = 0
    for entry in lexicon.entries():
        for example in entry.examples:
            found = [m.text for m in lexicon.find(example["text"]) if m.entry.iri == entry.iri]
            assert found == ([example["match"]] if example["match"] else []), (entry.iri, example)
            checked += 1
    assert checked >= 150


def test_every_matched_entry_has_a_positive_and_a_negative_example(lexicon: Lexicon) -> None:
    matched = {s.name for s in lexicon.schemes if s.matched}
    for entry in lexicon.entries():
        if entry.scheme in matched:
            kinds = {ex["match"] is None for ex in entry.examples}
            assert kinds == {True, False}, entry.iri


def test_all_34_divisions_with_pycountry_codes(lexicon: Lexicon) -> None:
    codes = {e.notation for e in lexicon.entries("jurisdictions")}
    expected = {s.code for s in pycountry.subdivisions.get(country_code="CN")}
    assert len(expected) == 34
    assert codes == expected | {"CN"}
    for e in lexicon.entries("jurisdictions"):
        assert e.iri == f"{ID}jurisdiction/{e.notation}"


def test_wikidata_links_are_only_the_verified_ones(lexicon: Lexicon) -> None:
    """A QID appears only when reference/wikidata.csv lists it for that name or code."""
    rows = list(csv.DictReader((mappings_dir() / "reference" / "wikidata.csv").open()))
    by_code = {r["iso_3166_2"]: r["wikidata"] for r in rows if r["iso_3166_2"]}
    verified = {r["wikidata"] for r in rows}
    linked = [e for e in lexicon.entries() if e.wikidata]
    for e in linked:
        assert e.wikidata in verified, e.iri
        if e.notation:
            assert by_code[e.notation] == e.wikidata
    assert lexicon.get("nkgv:jurisdiction/CN-TW").wikidata is None  # not in the file
    assert lexicon.get("nkgv:substance/methamphetamine").wikidata == "Q191924"
    assert lexicon.get("nkgv:agency/ministry-of-public-security").wikidata is None


def test_translation_variants_resolve_to_one_entity(lexicon: Lexicon) -> None:
    pairs = [
        ("Clean Source and Cut off the Flow", "cleaning the source and cutting off the flow"),
        ("de-icing and drug elimination", "de-icing and anti-drug"),
        ("the summer crackdown", "summer public security crackdown and rectification action"),
    ]
    for a, b in pairs:
        (ma,), (mb,) = lexicon.find(a, ["operations"]), lexicon.find(b, ["operations"])
        assert ma.entry.iri == mb.entry.iri


def test_leftmost_longest_whole_words_case_and_quotes(lexicon: Lexicon) -> None:
    text = "Hubei’s Supreme People’s Court and HUNAN police; Shaanxi, not Shanxi; Hunanese food."
    found = [(m.text, m.entry.iri.rsplit("/", 1)[-1]) for m in lexicon.find(text)]
    assert found == [
        ("Hubei", "CN-HB"),
        ("Supreme People’s Court", "supreme-peoples-court"),
        ("HUNAN", "CN-HN"),
        ("Shaanxi", "CN-SN"),
        ("Shanxi", "CN-SX"),
    ]
    # the longer substance name wins over the offence inside it
    (m,) = lexicon.find("seized 2 tons of drug making materials")
    assert m.entry.iri == f"{ID}substance/precursor-chemicals"
    assert m.text == "drug making materials"


def test_scheme_filter_and_offsets(lexicon: Lexicon) -> None:
    text = "Police in Yunnan seized heroin."
    (m,) = lexicon.find(text, ["substances"])
    assert (m.start, m.end, text[m.start : m.end]) == (24, 30, "heroin")
    assert lexicon.find(text, ["events"]) == []


def test_roles_are_not_matched_in_text(lexicon: Lexicon) -> None:
    assert "nkgv:role/director" in lexicon
    assert lexicon.find("the director said", None) == []


def write(tmp: Path, name: str, body: str) -> Path:
    (tmp / name).write_text(body, encoding="utf-8")
    return tmp


HEAD = "scheme: things\nclass: Substance\nlabel: Things\ndefinition: Test things.\nentries:\n"


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "things.yaml", HEAD + "  - id: nkgv:substance/x\n    aliases: [a, b\n")
    with pytest.raises(InputError, match=r"things\.yaml: not valid YAML at line \d+"):
        Lexicon.load(tmp_path)


def test_missing_definition_and_unknown_key_are_errors(tmp_path: Path) -> None:
    write(tmp_path, "things.yaml", HEAD + "  - {id: nkgv:substance/x, label: X}\n")
    with pytest.raises(InputError, match=r"entry 1 \(nkgv:substance/x\): missing definition"):
        Lexicon.load(tmp_path)
    write(
        tmp_path,
        "things.yaml",
        HEAD + "  - {id: nkgv:substance/x, label: X, definition: d, colour: red}\n",
    )
    with pytest.raises(InputError, match="unknown key"):
        Lexicon.load(tmp_path)


def test_duplicate_ids_are_an_error(tmp_path: Path) -> None:
    entry = "  - {id: nkgv:substance/x, label: X, definition: d}\n"
    write(tmp_path, "things.yaml", HEAD + entry + entry)
    with pytest.raises(InputError, match="defined twice"):
        Lexicon.load(tmp_path)


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no lexicon files"):
        Lexicon.load(tmp_path)
