"""Whatever goes wrong outside the program is one line on stderr and exit 2, never a traceback.

The cases are those a user meets: a release id that is not text, a dump folder that cannot be
written, a disk that fills up during the dumps, a timeout of ``inf``, a typo in a mapping file
seen by the vocabulary generator, and file names holding newlines or terminal escapes (printed
escaped, so that one message stays one line and cannot recolour the terminal). Real processes,
real files; the full and read-only disks are small tmpfs mounts where the machine allows them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from tests.conftest import ROOT, narcokg

TEXT = (
    "From January to May, Hubei police cracked 41 drug cases and arrested 57 suspects.\n\n"
    "They seized 6.5 kilograms of drugs.\n"
)


def one_line(result: subprocess.CompletedProcess[str], *parts: str) -> str:
    """The single stderr line of a refused command, after checking exit 2 and no traceback."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    # warnings (no releases.yaml beside a file: date unknown) may come before the error
    lines = [x for x in result.stderr.strip().splitlines() if not x.startswith("warning: ")]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines[0]
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


def _mount_tmpfs(folder: Path, options: str) -> bool:
    """Mount a tmpfs on ``folder``; False where the machine does not allow it (not root)."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True
    )
    return done.returncode == 0


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB file system: the dumps of even one release do not fit."""
    folder = tmp_path / "tiny"
    if not _mount_tmpfs(folder, "size=64k"):
        pytest.skip("cannot mount a tmpfs here (needs root); the full-disk case is not run")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder no write can reach: a read-only tmpfs as root (root ignores chmod), else 0555."""
    folder = tmp_path / "readonly"
    if _mount_tmpfs(folder, "ro,size=64k"):
        try:
            yield folder
        finally:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        return
    folder.chmod(0o555)
    try:
        yield folder
    finally:
        folder.chmod(0o755)


def _release(tmp_path: Path, name: str = "r.txt") -> Path:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(TEXT, encoding="utf-8")
    return path


def _graphs(store: Path) -> set[str]:
    return {g.value.rsplit("/", 1)[-1] for g in ox.Store.read_only(str(store)).named_graphs()}


@pytest.mark.slow
def test_a_release_id_that_is_not_text_is_refused(built: Path) -> None:
    """Bytes that are not UTF-8 reach Python as lone surrogates; they name no release."""
    for command in ("figures", "mentions"):
        done = subprocess.run(
            [sys.executable, "-m", "kg.cli", command, "--release", "\udcff", "--store", str(built)],
            capture_output=True,
            text=True,
            errors="surrogateescape",
        )
        assert one_line(done, "--release \\udcff: not valid UTF-8 text")
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "query", "figures", "--param", "release=\udcfe",
         "--store", str(built)],
        capture_output=True, text=True, errors="surrogateescape",
    )  # fmt: skip
    assert one_line(done, "--param release=\\udcfe: not valid UTF-8 text")


@pytest.mark.slow
def test_a_read_only_dump_folder_is_refused_before_the_store_changes(
    tmp_path: Path, read_only_folder: Path
) -> None:
    store = tmp_path / "store"
    done = narcokg(
        "build", str(_release(tmp_path)), "--store", str(store), "--dump-dir",
        str(read_only_folder / "dumps"), check=False,
    )  # fmt: skip
    one_line(done, f"error: {read_only_folder / 'dumps'}: cannot write the dumps here: ")
    assert not store.exists(), "the store was created although the build was refused"


@pytest.mark.slow
def test_a_full_disk_during_the_dumps_is_one_line_and_the_graphs_are_stored(
    tmp_path: Path, tiny_disk: Path
) -> None:
    store = tmp_path / "store"
    done = narcokg(
        "build", str(_release(tmp_path)), "--store", str(store), "--dump-dir", str(tiny_disk),
        check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]  # after the progress of what was stored
    assert line.startswith("error: "), line
    assert "cannot write: No space left on device; 1 release graphs were stored" in line
    assert "run the build again" in line
    assert _graphs(store) == {"r", "vocabulary"}
    # no temporary file is left on the full disk, and nothing under a real name is partial
    # (the folder .fragments/ is the dumps' cache of per-graph pieces, not a temporary file)
    assert sorted(p.name for p in tiny_disk.rglob(".*") if p.is_file()) == []
    for path in tiny_disk.iterdir():
        if path.suffix in {".trig", ".nq", ".ttl"}:
            assert list(ox.parse(path=str(path)))  # parses to the end


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["web", "--timeout", "inf"], "'--timeout': 'inf': expected at least 0.1 seconds"),
        (["web", "--timeout", "nan"], "'--timeout': 'nan': expected at least 0.1 seconds"),
        (["query", "figures", "--timeout", "inf"], "'inf': expected 0 (no limit) or at least"),
        (["query", "figures", "--timeout", "-1"], "'-1': expected 0 (no limit) or at least"),
        (["build", "--jobs", "0"], "'--jobs': 0 is not in the range x>=1"),
        (["bogus"], "No such command 'bogus'"),
    ],
)
def test_bad_options_are_one_line_naming_the_help(args: list[str], problem: str) -> None:
    line = one_line(narcokg(*args, "--store", "/nonexistent/store", check=False)
                    if args[0] != "bogus" else narcokg(*args, check=False), problem)  # fmt: skip
    assert line.endswith("--help')"), line


def test_a_mapping_typo_seen_by_the_vocabulary_generator_is_one_line(tmp_path: Path) -> None:
    """``python -m kg.rdf.vocab`` reads every mapping file before writing any vocabulary."""
    mappings = tmp_path / "mappings"
    shutil.copytree(ROOT / "mappings", mappings)
    broken = mappings / "lexicon" / "agencies.yaml"
    lines = broken.read_text(encoding="utf-8").splitlines()
    broken.write_text("\n".join([*lines, "  - bad: [unclosed"]) + "\n", encoding="utf-8")
    vocab = tmp_path / "vocab"
    code = (
        "import sys; from pathlib import Path; import kg.resources as r;"
        f"r.mappings_dir = lambda: Path({str(mappings)!r});"
        "import kg.rdf.vocab as v;"
        f"v.ontology_dir = lambda: Path({str(tmp_path)!r});"
        "sys.exit(v.main())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    # the bracket is still open where the stream ends: the line after the last one
    one_line(done, f"error: {broken}: not valid YAML at line {len(lines) + 2}")
    assert not vocab.exists()


@pytest.mark.slow
def test_file_names_with_newlines_and_escapes_are_printed_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    # a refused file (empty) whose name holds a newline and an ANSI colour escape
    name = "bad\nname\x1b[31m.txt"
    (folder / name).write_bytes(b"")
    done = narcokg("build", str(folder / name), "--store", str(tmp_path / "s"), check=False)
    line = one_line(done, "bad\\nname\\x1b[31m.txt: empty release text")
    assert "\x1b" not in done.stderr
    # and a warning about such a file is escaped as well (it has no metadata beside it)
    good = "good\x1b]0;title\x07.txt"
    (folder / name).unlink()
    (folder / good).write_text(TEXT, encoding="utf-8")
    done = narcokg("build", str(folder / good), "--store", str(tmp_path / "s"), "--no-dump",
                   check=False)  # fmt: skip
    assert done.returncode == 2, done.stderr  # its stem is not a safe release id
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr
    assert "good\\x1b]0;title\\x07" in done.stderr
    assert line.count("\n") == 0
