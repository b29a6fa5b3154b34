"""Reading releases: exact text, metadata from releases.yaml, one-line errors for bad input."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.text.corpus import iter_releases


def test_bundled_corpus_is_read_byte_for_byte_with_its_metadata() -> None:
    releases = {r.id: r for r in iter_releases()}
    assert set(releases) == {"000_a69edf0332bcabe2", "003_fa7d3ae810f620c8"}
    r = releases["000_a69edf0332bcabe2"]
    assert r.issued == dt.date(2023, 9, 26)
    assert r.year == 2023
    assert r.sha256 == hashlib.sha256(r.path.read_bytes()).hexdigest()
    assert r.text == r.path.read_bytes().decode("utf-8")
    assert len(r.sources) == 2
    assert releases["003_fa7d3ae810f620c8"].issued == dt.date(2022, 9, 1)


def test_a_file_without_metadata_has_an_unknown_date(tmp_path: Path) -> None:
    (tmp_path / "r1.txt").write_text("Police seized 4 kilograms of heroin.", encoding="utf-8")
    (r,) = iter_releases([tmp_path / "r1.txt"])
    assert (r.id, r.issued, r.title) == ("r1", None, None)


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbfPolice seized 4 kg.")
    (r,) = iter_releases([tmp_path / "bom.txt"])
    assert r.text == "Police seized 4 kg."


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty release text"),
        (b"  \n\t ", "empty release text"),
        (b"caf\xe9 seized", "not UTF-8 at byte 3"),
        (b"\x00\x01\x02binary", "binary file"),
    ],
)
def test_unusable_files_give_one_line_errors_naming_the_file(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        list(iter_releases([path]))
    assert str(path) in str(info.value)
    assert problem in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_metadata_names_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("Police seized 4 kg.", encoding="utf-8")
    (tmp_path / "releases.yaml").write_text("- id: r\n  issued: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(iter_releases([tmp_path]))
    assert "releases.yaml" in str(info.value)
    assert "line" in str(info.value)


def test_an_unknown_date_format_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("Police seized 4 kg.", encoding="utf-8")
    (tmp_path / "releases.yaml").write_text("- id: r\n  file: r.txt\n  issued: 26/09/2023\n")
    with pytest.raises(InputError, match="not an ISO date"):
        list(iter_releases([tmp_path]))


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        list(iter_releases([tmp_path / "nope.txt"]))
