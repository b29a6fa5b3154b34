"""The bad-input matrix, run through the real ``narcokg`` command.

Every case either builds the correct graph or fails with exit 2 and one line on stderr,
``error: <the file>: <the problem>``, and in that case the store and its dumps are exactly
what they were before (every quad compared, dump files compared byte for byte). Fixtures are
written by the tests into temporary folders; the store starts as a real build of the bundled
corpus. The number of cases run goes to tests/.reliability/figures.json for
docs/reliability.md.
"""

from __future__ import annotations

import codecs
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.text.textfile import MAX_RELEASE_BYTES
from tests.conftest import ROOT, narcokg
from tests.reliability_log import record

pytestmark = pytest.mark.slow  # every case runs the real command over a real corpus build

G = "https://w3id.org/narcotics-kg/graph/"
TEXT = (
    "From January to March, Yunnan police cracked 12 drug cases and arrested 15 suspects.\n\n"
    "They seized 3.5 tons of drugs, up 20% year on year.\n"
)
DUMPS = ("void.ttl", ".fragments/manifest.json", "narcotics-kg.context.jsonld")


# ----------------------------------------------------------------------------------------
# helpers


def snapshot(store: Path) -> tuple[list[str], dict[str, bytes]]:
    """Every quad of the store (sorted) and the bytes of the dumps beside it: the description,
    the pieces' manifest and every per-graph Turtle file."""
    quads = sorted(str(q) for q in ox.Store.read_only(str(store)))
    dumps = {n: (store.parent / n).read_bytes() for n in DUMPS if (store.parent / n).exists()}
    for path in sorted((store.parent / "graph").rglob("*.ttl")):
        dumps[path.relative_to(store.parent).as_posix()] = path.read_bytes()
    assert "void.ttl" in dumps and len(dumps) > len(DUMPS)  # there is something to compare
    return quads, dumps


@pytest.fixture
def store(built: Path, tmp_path: Path) -> Path:
    """A private copy of the bundled-corpus store, with its dumps, in ``tmp_path/data``."""
    data = tmp_path / "data"
    shutil.copytree(built.parent, data, ignore=shutil.ignore_patterns(".narcokg-*"))
    return data / "store"


def build(store: Path, *paths: Path) -> subprocess.CompletedProcess[str]:
    return narcokg("build", *map(str, paths), "--store", str(store), check=False)


def figures(store: Path, release: str) -> list[dict[str, str]]:
    out = narcokg("figures", "--release", release, "--format", "json", "--store", str(store))
    rows: list[dict[str, str]] = json.loads(out.stdout)
    return rows


def spans_hold(store: Path, release: str, text: str) -> int:
    """Check every selector of ``release`` against ``text``; return how many were checked."""
    s = ox.Store.read_only(str(store))
    stored = list(
        s.query(
            "PREFIX schema: <https://schema.org/> SELECT ?t WHERE { GRAPH ?g { ?r schema:text ?t"
            f" }} FILTER(?g = <{G}release/{release}>) }}"
        )
    )
    assert [row["t"].value for row in stored] == [text]
    rows = list(
        s.query(
            "PREFIX oa: <http://www.w3.org/ns/oa#> SELECT ?s ?e ?x ?p ?f WHERE { GRAPH ?g {"
            " ?span oa:hasSelector ?pos, ?q . ?pos oa:start ?s ; oa:end ?e ."
            " ?q oa:exact ?x ; oa:prefix ?p ; oa:suffix ?f }"
            f" FILTER(?g = <{G}release/{release}>) }}"
        )
    )
    for row in rows:
        start, end = int(row["s"].value), int(row["e"].value)
        assert text[start:end] == row["x"].value
        assert text[max(0, start - 32) : start] == row["p"].value
        assert text[end : end + 32] == row["f"].value
    return len(rows)


def one_line_error(result: subprocess.CompletedProcess[str], path: Path, problem: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {path}: "), lines[0]
    assert problem in lines[0], lines[0]


# ----------------------------------------------------------------------------------------
# the refusals: (what is built, the file the error must name, the problem it must state)


Maker = Callable[[Path], tuple[list[Path], Path, str]]


@dataclass(frozen=True)
class Case:
    name: str
    make: Maker


def _file(name: str, data: bytes, problem: str | Callable[[bytes], str]) -> Maker:
    def make(d: Path) -> tuple[list[Path], Path, str]:
        path = d / name
        path.write_bytes(data)
        return [path], path, problem(data) if callable(problem) else problem

    return make


def _folder(files: dict[str, bytes | str], named: str, problem: str) -> Maker:
    def make(d: Path) -> tuple[list[Path], Path, str]:
        folder = d / "releases"
        folder.mkdir()
        for name, content in files.items():
            data = content.encode("utf-8") if isinstance(content, str) else content
            (folder / name).write_bytes(data)
        return [folder], folder / named if named else folder, problem

    return make


def _at(marker: bytes, problem: str) -> Callable[[bytes], str]:
    return lambda data: problem.format(data.index(marker))


UTF16_NO_BOM = TEXT.encode("utf-16-le")
UTF16_ODD = codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le") + b"\x41"
UTF16_LONE_SURROGATE = codecs.BOM_UTF16_LE + "ab".encode("utf-16-le") + b"\x00\xd8" + b"c\x00"
HTML_PAGE = (
    "<!DOCTYPE html>\n<html lang='en'><head><title>News</title></head>\n"
    f"<body><article>{TEXT}</article></body></html>\n"
)
HTML_FRAGMENT = "<div><p>Police seized 4 kg.</p>\n<p>They cracked 3 cases.</p>\n<p>Done.</p></div>"
META_OK = "- id: a\n  file: a.txt\n  issued: 2023-09-26\n"

CASES = [
    Case("empty file", _file("empty.txt", b"", "empty release text")),
    Case("whitespace only", _file("blank.txt", b"  \r\n\t \n\n", "empty release text")),
    Case("binary (NUL bytes)", _file("bin.txt", bytes(range(256)) * 4, "binary file")),
    Case(
        "a page of 10,001 numbers (issue #14: 110 KB of them built for minutes)",
        _file(
            "numbers.txt",
            b"1234567890 " * 10_001,
            "more than 10000 numbers in one release text; a press release holds a few hundred"
            " at most (set NARCOKG_MAX_NUMBERS to build it anyway)",
        ),
    ),
    Case("PNG image", _file("img.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a PNG image")),
    Case("PDF document", _file("doc.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a PDF document")),
    Case(
        "invalid UTF-8 (Latin-1)",
        _file(
            "latin1.txt",
            TEXT.replace("tons", "t\xf6ns").encode("latin-1"),
            _at(b"\xf6", "not UTF-8 at byte {}"),
        ),
    ),
    Case(
        "UTF-8 cut inside a character",
        _file(
            "cut.txt",
            TEXT.encode() + "禁毒".encode()[:4],
            lambda d: f"not UTF-8 at byte {len(d) - 1}",
        ),
    ),
    Case("UTF-16 without BOM", _file("u16.txt", UTF16_NO_BOM, "UTF-16 without a byte-order mark")),
    Case(
        "UTF-16 with BOM, odd length",
        _file("u16odd.txt", UTF16_ODD, f"not UTF-16 at byte {len(UTF16_ODD) - 1}"),
    ),
    Case(
        "UTF-16 with BOM, lone surrogate",
        _file("u16sur.txt", UTF16_LONE_SURROGATE, "not UTF-16 at byte 6"),
    ),
    Case("HTML page", _file("page.txt", HTML_PAGE.encode(), "an HTML page, not a release text")),
    Case("HTML fragment", _file("frag.txt", HTML_FRAGMENT.encode(), "an HTML page")),
    Case(
        "unsafe release id from the file name",
        _file("bad id.txt", TEXT.encode(), "release id 'bad id' is not a safe identifier"),
    ),
    Case(
        "releases.yaml: syntax error",
        _folder(
            {"a.txt": TEXT, "releases.yaml": "- id: a\n  file: a.txt\n  title: [unclosed\n"},
            "releases.yaml",
            "line 4:",
        ),
    ),
    Case(
        "releases.yaml: bad indentation",
        _folder(
            {"a.txt": TEXT, "releases.yaml": "- id: a\n  file: a.txt\n issued: 2023-09-26\n"},
            "releases.yaml",
            "line 3:",
        ),
    ),
    Case(
        "releases.yaml: not a list",
        _folder({"a.txt": TEXT, "releases.yaml": "id: a\n"}, "releases.yaml", "expected a list"),
    ),
    Case(
        "releases.yaml: not UTF-8",
        _folder(
            {"a.txt": TEXT, "releases.yaml": b"- id: a\n  title: caf\xe9\n"},
            "releases.yaml",
            "not UTF-8 at byte 20",
        ),
    ),
    Case(
        "metadata: entry without id",
        _folder(
            {"a.txt": TEXT, "releases.yaml": META_OK + "- file: b.txt\n  issued: 2023-01-01\n"},
            "releases.yaml",
            "line 4: each release needs at least an id",
        ),
    ),
    Case(
        "metadata: unknown date format",
        _folder(
            {"a.txt": TEXT, "releases.yaml": "- id: a\n  file: a.txt\n  issued: 26/09/2023\n"},
            "releases.yaml",
            "line 1: release a: issued '26/09/2023' is not an ISO date (YYYY-MM-DD)",
        ),
    ),
    Case(
        "metadata: date in words",
        _folder(
            {"a.txt": TEXT, "releases.yaml": "- id: a\n  issued: September 26, 2023\n"},
            "releases.yaml",
            "line 1: release a: issued 'September 26, 2023' is not an ISO date",
        ),
    ),
    Case(
        "metadata: impossible date",
        _folder(
            {"a.txt": TEXT, "releases.yaml": "- id: a\n  issued: 2023-02-30\n"},
            "releases.yaml",
            "line 1: release a: issued '2023-02-30' is not an ISO date",
        ),
    ),
    Case(
        "metadata: issued in the future",
        _folder(
            {"a.txt": TEXT, "releases.yaml": "- id: a\n  issued: 2999-01-01\n"},
            "releases.yaml",
            "line 1: release a: issued 2999-01-01 is in the future",
        ),
    ),
    Case(
        "metadata: id used twice",
        _folder(
            {
                "a.txt": TEXT,
                "b.txt": TEXT + "x",
                "releases.yaml": META_OK + "- id: a\n  file: b.txt\n",
            },
            "releases.yaml",
            "line 4: release a: id already used on line 1",
        ),
    ),
    Case(
        "metadata: file described twice",
        _folder(
            {"a.txt": TEXT, "releases.yaml": META_OK + "- id: b\n  file: a.txt\n"},
            "releases.yaml",
            "line 4: release b: file a.txt already described on line 1",
        ),
    ),
    Case(
        "metadata: id-only entry and a file entry for the same file",
        _folder(
            {"a.txt": TEXT, "releases.yaml": "- id: a\n- id: other\n  file: a.txt\n"},
            "releases.yaml",
            "line 1: release a: a.txt is also described on line 2",
        ),
    ),
    Case(
        "metadata: names a file the folder lacks",
        _folder(
            {"a.txt": TEXT, "releases.yaml": META_OK + "- id: gone\n  file: gone.txt\n"},
            "releases.yaml",
            "line 4: release gone: no file gone.txt in this folder",
        ),
    ),
    Case(
        "metadata: unsafe id",
        _folder(
            {"a.txt": TEXT, "releases.yaml": "- id: a/../b\n  file: a.txt\n"},
            "releases.yaml",
            "line 1: release a/../b: id is not a safe identifier",
        ),
    ),
    *[
        Case(
            f"metadata: {name}",
            _folder(
                {
                    "a.txt": TEXT,
                    "b.txt": TEXT + "Police seized 2 kg.\n",
                    "releases.yaml": META_OK + "- id: b\n  file: b.txt\n" + entry,
                },
                "releases.yaml",
                problem,
            ),
        )
        for name, entry, problem in [
            (
                "source IRI with <",
                "  sources: [http://example.org/a<b]\n",
                "line 4: release b: source 'http://example.org/a<b' is not an absolute IRI",
            ),
            (
                "source IRI with a space",
                "  sources: http://example.org/a b\n",
                "line 4: release b: source 'http://example.org/a b' is not an absolute IRI",
            ),
            (
                "source without a scheme",
                "  sources: [www.example.org/a]\n",
                "source 'www.example.org/a' is not an absolute IRI",
            ),
            ("sources a number", "  sources: 42\n", "sources must be an IRI or a list of IRIs"),
            ("a source a number", "  sources: [42]\n", "each source must be an IRI, not a number"),
            (
                "title a number",
                "  title: 2023\n",
                "line 4: release b: title must be text, not a number",
            ),
            ("title a list", "  title: [a, b]\n", "title must be text, not a list"),
            (
                "title a lone surrogate",
                '  title: "caf\\udce9"\n',
                "title holds a lone surrogate",
            ),
            ("title with an escape", '  title: "a\\x1b[31mb"\n', "control character U+001B"),
            (
                "unknown key (date: for issued:)",
                "  date: 2023-09-26\n",
                "line 4: release b: unknown key date (allowed: id, file, issued,",
            ),
            ("language not a tag", "  language: English (US)\n", "is not a language tag"),
        ]
    ],
    Case(
        "metadata: id ending in a newline",
        _folder(
            {"a.txt": TEXT, "releases.yaml": '- id: "a\\n"\n  file: a.txt\n'},
            "releases.yaml",
            "line 1: release a\\n: id is not a safe identifier",
        ),
    ),
    Case(
        "two files would get one release id",
        _folder(
            {"a.txt": TEXT, "b.txt": TEXT + "x", "releases.yaml": "- id: b\n  file: a.txt\n"},
            "b.txt",
            "release id b is also the id of",
        ),
    ),
    Case(
        "a good file and a bad one in one folder",
        _folder({"a.txt": TEXT, "b.txt": b"\x80\x81 junk"}, "b.txt", "not UTF-8 at byte 0"),
    ),
    Case("folder without releases", _folder({"notes.md": "x"}, "", "holds no .txt release")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_in_one_line_and_the_store_is_unchanged(
    case: Case, store: Path, tmp_path: Path
) -> None:
    work = tmp_path / "in"
    work.mkdir()
    args, named, problem = case.make(work)
    before = snapshot(store)
    result = build(store, *args)
    one_line_error(result, named, problem)
    assert snapshot(store) == before
    record("bad_input", case.name, "refused: " + result.stderr.strip().split(": ", 2)[-1])


def test_unreadable_files_are_refused(store: Path, tmp_path: Path) -> None:
    """A dangling link, a FIFO (reading it would block forever) and a chmod 000 file.

    Root reads a chmod 000 file anyway, so that part is checked only for other users; the
    dangling link and the FIFO fail the same way for everybody.
    """
    before = snapshot(store)
    folder = tmp_path / "releases"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    (folder / "b.txt").symlink_to(tmp_path / "nowhere.txt")
    one_line_error(build(store, folder), folder / "b.txt", "cannot read: No such file")
    (folder / "b.txt").unlink()
    os.mkfifo(folder / "b.txt")
    one_line_error(build(store, folder), folder / "b.txt", "not a regular file")
    (folder / "b.txt").unlink()
    tried = ["dangling link", "FIFO"]
    (folder / "b.txt").write_text(TEXT + "more", encoding="utf-8")
    (folder / "b.txt").chmod(0)
    try:
        if os.geteuid() != 0:
            one_line_error(build(store, folder), folder / "b.txt", "cannot read: Permission denied")
            tried.append("chmod 000")
    finally:
        (folder / "b.txt").chmod(0o644)
    assert snapshot(store) == before
    for name in tried:
        record("bad_input", f"unreadable: {name}", "refused")
    if os.geteuid() == 0:
        record("bad_input", "unreadable: chmod 000", "not run: tests ran as root")


def test_a_50_mb_release_is_refused_before_it_is_read(store: Path, tmp_path: Path) -> None:
    """Memory and time of the pipeline grow with the text, so a size limit refuses it cheaply."""
    path = tmp_path / "huge.txt"
    block = TEXT.encode("utf-8")
    with path.open("wb") as out:
        for _ in range(50 * 1024 * 1024 // len(block) + 1):
            out.write(block)
    size = path.stat().st_size
    assert size > 50 * 1024 * 1024 > MAX_RELEASE_BYTES
    before = snapshot(store)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "build", str(path), "--store", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read() if process.stderr else ""
    assert os.waitstatus_to_exitcode(status) == 2
    assert stderr.strip() == (
        f"error: {path}: {size} bytes is over the size limit of {MAX_RELEASE_BYTES} bytes for"
        " one release text; split it into its releases"
    )
    assert snapshot(store) == before
    record("bad_input", "50 MB release", "refused: over the size limit")
    record("size_limit", "refusal_seconds", round(elapsed, 2))
    record("size_limit", "refusal_peak_rss_mb", round(usage.ru_maxrss / 1024, 1))
    record("size_limit", "file_bytes", size)


def test_an_operator_sets_the_limit_on_numbers_per_release(store: Path, tmp_path: Path) -> None:
    """NARCOKG_MAX_NUMBERS moves the limit both ways; a value that is not a positive integer is
    one line and exit 2, with nothing written."""
    four = tmp_path / "four.txt"  # four numbers: 5, 6, 7 and 8
    four.write_text("Police seized 5 kg, 6 kg, 7 kg and 8 kg of heroin.\n", encoding="utf-8")
    before = snapshot(store)

    def build_with(limit: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kg.cli", "build", str(four), "--store", str(store)],
            capture_output=True,
            text=True,
            env={**os.environ, "NARCOKG_MAX_NUMBERS": limit},
            timeout=600,
        )

    one_line_error(build_with("3"), four, "more than 3 numbers in one release text")
    assert snapshot(store) == before
    bad = build_with("lots")
    assert bad.returncode == 2
    assert (
        bad.stderr.strip() == "error: NARCOKG_MAX_NUMBERS: must be a positive integer, not 'lots'"
    )
    assert snapshot(store) == before
    built = build_with("4")
    assert built.returncode == 0, built.stderr
    assert [f["value"] for f in figures(store, "four")] == [5, 6, 7, 8]


# ----------------------------------------------------------------------------------------
# the inputs that are read correctly


def _same_figures(a: list[dict[str, str]], b: list[dict[str, str]], *, offsets: bool) -> None:
    keys = ["verbatim", "value", "unit", "measure", "status", "qualifier", "area", "substance"]
    if offsets:
        keys += ["start", "end", "quote", "figure"]
    assert [[r[k] for k in keys] for r in a] == [[r[k] for k in keys] for r in b]


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
    ],
)
@pytest.mark.slow
def test_a_byte_order_mark_names_the_encoding_and_the_figures_are_the_same(
    tmp_path: Path, encoding: str, prefix: bytes
) -> None:
    plain, marked = tmp_path / "plain", tmp_path / "marked"
    plain.mkdir()
    marked.mkdir()
    (plain / "r.txt").write_bytes(TEXT.encode("utf-8"))
    (marked / "r.txt").write_bytes(prefix + TEXT.encode(encoding))
    for folder in (plain, marked):
        result = build(folder / "store", folder / "r.txt")
        assert result.returncode == 0, result.stderr
    expected = figures(plain / "store", "r")
    assert [r["verbatim"] for r in expected] == ["12", "15", "3.5", "20%"]
    _same_figures(figures(marked / "store", "r"), expected, offsets=True)
    assert spans_hold(marked / "store", "r", TEXT) > 0
    record("bad_input", f"{encoding} with byte-order mark", "read: same figures as UTF-8")


@pytest.mark.slow
def test_windows_line_endings_are_kept_and_offsets_point_into_the_stored_text(
    tmp_path: Path,
) -> None:
    """CRLF is not normalised: offsets count the code points of the text as stored."""
    crlf_text = TEXT.replace("\n", "\r\n")
    (tmp_path / "lf").mkdir()
    (tmp_path / "crlf").mkdir()
    (tmp_path / "lf" / "r.txt").write_bytes(TEXT.encode())
    (tmp_path / "crlf" / "r.txt").write_bytes(crlf_text.encode())
    for name in ("lf", "crlf"):
        build(tmp_path / name / "store", tmp_path / name / "r.txt").check_returncode()
    lf, crlf = figures(tmp_path / "lf" / "store", "r"), figures(tmp_path / "crlf" / "store", "r")
    _same_figures(crlf, lf, offsets=False)
    # the second paragraph starts two code points later (one \r per line break before it)
    shift = [int(c["start"]) - int(f["start"]) for c, f in zip(crlf, lf, strict=True)]
    assert shift == [0, 0, 2, 2]
    assert spans_hold(tmp_path / "crlf" / "store", "r", crlf_text) > 0
    record("bad_input", "Windows line endings (CRLF)", "read: CRLF kept, offsets exact")


def test_a_release_without_figures_builds_an_empty_result(store: Path, tmp_path: Path) -> None:
    path = tmp_path / "quiet.txt"
    path.write_text("The commission met in Beijing and discussed the work.\n", encoding="utf-8")
    before = set(snapshot(store)[0])
    result = build(store, path)
    assert result.returncode == 0, result.stderr
    assert "quiet: 0 figures" in result.stderr
    assert figures(store, "quiet") == []
    after = ox.Store.read_only(str(store))
    assert f"{G}release/quiet" in {g.value for g in after.named_graphs()}
    # the other releases are untouched
    others = {q for q in before if f"{G}release/quiet" not in q and f"{G}vocabulary" not in q}
    assert others <= {str(q) for q in after}
    record("bad_input", "release with no figures", "read: graph with 0 figures")


def test_the_same_release_under_two_names_is_one_graph_and_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "releases"
    folder.mkdir()
    (folder / "first.txt").write_text(TEXT, encoding="utf-8")
    (folder / "second.txt").write_text(TEXT, encoding="utf-8")
    result = build(tmp_path / "store", folder)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {folder / 'first.txt'}: no releases.yaml beside it; issued date unknown",
        f"warning: {folder / 'second.txt'}: same bytes as {folder / 'first.txt'} "
        "(release first); second skipped, one graph kept",
    ]
    names = {g.value for g in ox.Store.read_only(str(tmp_path / "store")).named_graphs()}
    assert names == {f"{G}release/first", f"{G}vocabulary"}
    record("bad_input", "same release under two names", "read: one graph, one warning")


def test_a_file_the_metadata_does_not_describe_builds_with_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "releases"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    (folder / "b.txt").write_text(TEXT + "Police seized 2 kg.\n", encoding="utf-8")
    (folder / "releases.yaml").write_text(META_OK, encoding="utf-8")
    result = build(tmp_path / "store", folder)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {folder / 'b.txt'}: not described in {folder / 'releases.yaml'}; "
        "issued date unknown"
    ]
    rows = list(
        ox.Store.read_only(str(tmp_path / "store")).query(
            "PREFIX dct: <http://purl.org/dc/terms/> SELECT ?g ?d WHERE { GRAPH ?g {"
            " ?r dct:issued ?d } }"
        )
    )
    assert [(r["g"].value, r["d"].value) for r in rows] == [(f"{G}release/a", "2023-09-26")]
    record("bad_input", "metadata missing for a file", "read: unknown date, warning")


def test_an_entry_without_an_issue_date_builds_with_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "releases"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    (folder / "releases.yaml").write_text("- id: a\n  file: a.txt\n  title: T\n")
    result = build(tmp_path / "store", folder)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        f"warning: {folder / 'a.txt'}: line 1 of {folder / 'releases.yaml'} gives no issued "
        "date; date unknown"
    ]
    record("bad_input", "metadata: no issued date", "read: unknown date, warning")


# ----------------------------------------------------------------------------------------
# malformed vocabulary and shape files: through the real command, pointed at a broken copy


def _run_with_data(kind: str, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with ``kg.resources.<kind>`` returning ``folder`` (a broken copy)."""
    code = (
        "import sys; from pathlib import Path; import kg.resources as r, kg.extract.lexicon as l;"
        f"f = lambda: Path({str(folder)!r}); r.{kind} = f; l.{kind} = f\n"
        "from kg.cli import main; main(sys.argv[1:], prog_name='narcokg')"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=600
    )


def test_a_malformed_lexicon_file_names_file_and_line_and_writes_nothing(
    store: Path, tmp_path: Path
) -> None:
    mappings = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", mappings)
    broken = mappings / "lexicon" / "substances.yaml"
    lines = broken.read_text(encoding="utf-8").splitlines()
    lines.insert(5, "  - id: [unclosed")
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = snapshot(store)
    result = _run_with_data("mappings_dir", mappings, "build", "--store", str(store))
    one_line_error(result, broken, "not valid YAML at line")
    assert snapshot(store) == before
    record(
        "bad_input",
        "malformed lexicon YAML",
        "refused: " + result.stderr.strip().split(": ", 2)[-1],
    )


def test_a_malformed_shape_file_names_file_and_line(store: Path, tmp_path: Path) -> None:
    shapes = tmp_path / "shapes"
    shutil.copytree(ROOT / "shapes", shapes)
    broken = shapes / "figure.ttl"
    text = broken.read_text(encoding="utf-8")
    broken.write_text(text + "\nnks:Broken a sh:NodeShape ;\n  sh:targetClass [ .\n")
    line = text.count("\n") + 3
    before = snapshot(store)
    result = _run_with_data("shapes_dir", shapes, "validate", "--store", str(store))
    one_line_error(result, broken, "not valid Turtle: line")
    assert f"line {line}" in result.stderr or f"line {line - 1}" in result.stderr
    assert snapshot(store) == before
    record(
        "bad_input", "malformed shape file", "refused: " + result.stderr.strip().split(": ", 2)[-1]
    )
