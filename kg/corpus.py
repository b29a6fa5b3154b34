"""Read release texts and their metadata into :class:`Release` records.

Why: every offset in the graph points into ``Release.text``; reading it in one place (strict
UTF-8, BOM dropped, nothing else touched) keeps ``text[start:end] == exact`` true everywhere.
The year of a release is never stated in the machine-translated texts, so ``issued`` comes
from ``releases.yaml`` metadata when there is any; without metadata it stays unknown.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kg.errors import InputError
from kg.resources import corpus_dir

METADATA_FILE = "releases.yaml"
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class Release:
    """One press release: its text exactly as read, and what its metadata says."""

    id: str
    path: Path
    text: str
    sha256: str
    issued: dt.date | None = None
    title: str | None = None
    publisher: str | None = None
    language: str = "en"
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def year(self) -> int | None:
        """The year periods such as "From January to August" fall in, when known."""
        return self.issued.year if self.issued else None


def read_text(path: Path) -> tuple[str, str]:
    """Return ``(text, sha256 of the bytes)``; raise :class:`InputError` on unusable files."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 at byte {exc.start}") from exc
    if "\x00" in text:
        raise InputError(path, "binary file (contains NUL characters), not a release text")
    if not text.strip():
        raise InputError(path, "empty release text")
    return text, digest


def _parse_date(value: Any, path: Path, release_id: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise InputError(
            path, f"release {release_id}: issued {value!r} is not an ISO date (YYYY-MM-DD)"
        ) from exc


def read_metadata(path: Path) -> dict[str, dict[str, Any]]:
    """Read a ``releases.yaml`` into ``{file name or id: entry}``."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise InputError(path, f"line {line}: {exc.problem}") from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(path, f"cannot read metadata: {exc}") from exc
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise InputError(path, "expected a list of releases")
    entries: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or "id" not in entry:
            raise InputError(path, f"entry {i + 1}: each release needs at least an id")
        entries[str(entry["id"])] = entry
        if entry.get("file"):
            entries[str(entry["file"])] = entry
    return entries


def load_release(path: Path, metadata: dict[str, Any] | None = None) -> Release:
    """Read one release file, with its metadata entry if there is one."""
    text, digest = read_text(path)
    meta = metadata or {}
    release_id = str(meta.get("id") or path.stem)
    if not _ID_RE.match(release_id):
        raise InputError(path, f"release id {release_id!r} is not a safe identifier")
    sources = meta.get("sources") or ()
    if isinstance(sources, str):
        sources = (sources,)
    return Release(
        id=release_id,
        path=path,
        text=text,
        sha256=digest,
        issued=_parse_date(meta.get("issued"), path.parent / METADATA_FILE, release_id),
        title=meta.get("title"),
        publisher=meta.get("publisher"),
        language=str(meta.get("language") or "en"),
        sources=tuple(str(s) for s in sources),
    )


def _files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".txt")


def iter_releases(paths: Iterable[Path] | None = None) -> Iterator[Release]:
    """Yield the releases found at ``paths`` (files or folders; default: the bundled corpus).

    A folder's ``releases.yaml`` supplies metadata for the files in it; a file given on its
    own uses the ``releases.yaml`` beside it when that names it.
    """
    targets = list(paths) if paths else [corpus_dir()]
    for target in targets:
        target = Path(target)
        if not target.exists():
            raise InputError(target, "no such file or folder")
        folder = target if target.is_dir() else target.parent
        meta_path = folder / METADATA_FILE
        metadata = read_metadata(meta_path) if meta_path.is_file() else {}
        files = _files_in(target) if target.is_dir() else [target]
        if target.is_dir() and not files:
            raise InputError(target, "folder holds no .txt release files")
        for file in files:
            entry = metadata.get(file.name) or metadata.get(file.stem)
            yield load_release(file, entry)
