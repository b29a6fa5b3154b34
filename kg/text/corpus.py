"""Read release texts and their metadata into :class:`Release` records.

Why: every offset in the graph points into ``Release.text``; reading it in one place (strict
UTF-8 or the encoding a byte-order mark names, the mark dropped, line endings kept, nothing else
touched: :mod:`kg.text.textfile`) keeps ``text[start:end] == exact`` true everywhere.
The year of a release is never stated in the machine-translated texts, so ``issued`` comes
from ``releases.yaml`` metadata when there is any; without metadata it stays unknown.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from kg.errors import InputError
from kg.resources import corpus_dir
from kg.text.textfile import read_release_bytes
from kg.text.yamldata import load_with

METADATA_FILE = "releases.yaml"
# \Z, not $: "$" also matches before a final newline, and "a\n" is not a safe id
_ID_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]*\Z")
# What an entry may say. Anything else is refused with this list, so that a typo ("date:" for
# "issued:") is an error rather than a release silently built without its date.
ENTRY_KEYS = (
    "id",
    "file",
    "issued",
    "issued_note",
    "title",
    "publisher",
    "language",
    "original_language",
    "translation_quality",
    "sources",
    "note",
)
# an absolute IRI (RFC 3987): a scheme, then no white space, controls or the characters
# IRIs exclude; it becomes an RDF IRI, which a store refuses when it breaks these rules
_IRI_RE = re.compile(r"\A[A-Za-z][A-Za-z0-9+.-]*:[^\x00-\x20<>\"{}|\\^`\x7f-\x9f]+\Z")
_LANGUAGE_RE = re.compile(r"\A[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*\Z")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


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
    """Return ``(text, sha256 of the bytes)``; raise :class:`InputError` on unusable files.

    The decoding rules (byte-order marks, line endings kept, binary, HTML and size refusals)
    live in :mod:`kg.text.textfile`.
    """
    return read_release_bytes(path)


def _mapping_with_line(
    loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=deep)
    mapping[_LINE] = node.start_mark.line + 1
    return mapping


class _LineLoader(yaml.SafeLoader):
    """A safe YAML loader that records the line of each mapping under ``__line__``."""

    construct_mapping = _mapping_with_line  # type: ignore[assignment]


class _FastLineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """:class:`_LineLoader` on libyaml's parser: the pure-Python one took ~0.4 s for the
    metadata of 1,000 releases, before any worker starts (kg/text/yamldata.py says more)."""

    construct_mapping = _mapping_with_line


_LINE = "__line__"


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """Keep dates as text for :func:`_parse_date`: YAML's own timestamp reader raises a bare
    ValueError (no file, no line) on "2023-02-30"."""
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
_FastLineLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _parse_date(value: Any, path: Path, where: str) -> dt.date | None:
    """An ``issued`` value as a date: ISO 8601 only, and not after today."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value).strip())
        except ValueError as exc:
            raise InputError(
                path, f"{where}: issued {value!r} is not an ISO date (YYYY-MM-DD)"
            ) from exc
    if value > dt.date.today():
        raise InputError(path, f"{where}: issued {value.isoformat()} is in the future")
    return value


def _kind(value: Any) -> str:
    """How a YAML value reads to the person who wrote it, for an error message."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "empty" if value is None else type(value).__name__


def _text_value(value: Any, key: str, path: Path, where: str, *, one_line: bool) -> None:
    """Refuse a metadata value that is not text the graph can hold as a literal."""
    if not isinstance(value, str):
        raise InputError(path, f"{where}: {key} must be text, not {_kind(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(path, f"{where}: {key} holds a lone surrogate (not a character)") from None
    bad = _CONTROL_RE.search(value.replace("\n", "") if not one_line else value)
    if bad is not None:
        raise InputError(
            path, f"{where}: {key} holds the control character U+{ord(bad.group()):04X}"
        )


def _check_entry(entry: dict[str, Any], path: Path, where: str) -> None:
    """Refuse, with its line, an entry whose keys or values the graph could not hold.

    Why here: these values become RDF terms after the store is opened; a bad one found then
    would stop a build half-way, so every value is checked while the metadata is read.
    """
    unknown = sorted(str(k) for k in entry if k not in ENTRY_KEYS and k != _LINE)
    if unknown:
        raise InputError(
            path,
            f"{where}: unknown key {', '.join(unknown)} (allowed: {', '.join(ENTRY_KEYS)})",
        )
    rid = entry["id"]
    if isinstance(rid, bool) or not isinstance(rid, (str, int)):
        raise InputError(path, f"{where}: id must be text, not {_kind(rid)}")
    for key in ("file", "title", "publisher"):
        if entry.get(key) is not None:
            _text_value(entry[key], key, path, where, one_line=True)
    for key in ("issued_note", "translation_quality", "note"):
        if entry.get(key) is not None:
            _text_value(entry[key], key, path, where, one_line=False)
    for key in ("language", "original_language"):
        value = entry.get(key)
        if value is not None and not (isinstance(value, str) and _LANGUAGE_RE.match(value)):
            raise InputError(
                path, f"{where}: {key} {value!r} is not a language tag such as en or zh-Hans"
            )
    sources = entry.get("sources")
    if sources is None:
        return
    listed = [sources] if isinstance(sources, str) else sources
    if not isinstance(listed, list):
        raise InputError(
            path, f"{where}: sources must be an IRI or a list of IRIs, not {_kind(sources)}"
        )
    for source in listed:
        if not isinstance(source, str):
            raise InputError(path, f"{where}: each source must be an IRI, not {_kind(source)}")
        if not _IRI_RE.match(source):
            raise InputError(
                path,
                f"{where}: source {source!r} is not an absolute IRI (a scheme such as https:, "
                'no spaces, no < > " {{ }} | \\ ^ `)',
            )


def read_metadata(path: Path) -> dict[str, dict[str, Any]]:
    """Read a ``releases.yaml`` into ``{file name, or id for entries without one: entry}``.

    Each entry keeps the line it starts on under ``"__line__"`` so that later errors can name
    it. Contradictions are refused here, with the line: an id or a file named twice, an entry
    without an id, a date that is not ISO 8601 or lies in the future, and an id-only entry
    whose implied file ``<id>.txt`` another entry names explicitly.
    """
    try:
        raw = load_with(path.read_text(encoding="utf-8"), _FastLineLoader, _LineLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise InputError(path, f"line {line}: {exc.problem}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not UTF-8 at byte {exc.start}") from exc
    except OSError as exc:
        raise InputError(path, f"cannot read metadata: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise InputError(path, f"cannot read metadata: {' '.join(str(exc).split())}") from exc
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise InputError(path, "expected a list of releases")
    entries: dict[str, dict[str, Any]] = {}
    ids: dict[str, int] = {}
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or not entry.get("id"):
            at = entry.get(_LINE) if isinstance(entry, dict) else None
            where = f"line {at}" if at else f"entry {i + 1}"
            raise InputError(path, f"{where}: each release needs at least an id")
        line, rid = entry[_LINE], str(entry["id"])
        where = f"line {line}: release {rid}"
        if rid in ids:
            raise InputError(path, f"{where}: id already used on line {ids[rid]}")
        ids[rid] = line
        if not _ID_RE.match(rid):
            raise InputError(path, f"{where}: id is not a safe identifier")
        _check_entry(entry, path, where)
        entry["issued"] = _parse_date(entry.get("issued"), path, where)
        key = str(entry["file"]) if entry.get("file") else rid
        if key in entries:
            first = entries[key][_LINE]
            raise InputError(path, f"{where}: file {key} already described on line {first}")
        entries[key] = entry
    for key, entry in entries.items():
        other = entries.get(f"{key}.txt") if not entry.get("file") else None
        if other is not None:
            raise InputError(
                path,
                f"line {entry[_LINE]}: release {key}: {key}.txt is also described on line "
                f"{other[_LINE]}",
            )
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
    where = f"line {meta.get(_LINE, '?')}: release {release_id}"
    return Release(
        id=release_id,
        path=path,
        text=text,
        sha256=digest,
        issued=_parse_date(meta.get("issued"), path.parent / METADATA_FILE, where),
        title=meta.get("title"),
        publisher=meta.get("publisher"),
        language=str(meta.get("language") or "en"),
        sources=tuple(str(s) for s in sources),
    )


def _files_in(folder: Path) -> list[Path]:
    """The ``.txt`` entries of ``folder``: anything but a folder, so that a dangling link or a
    FIFO is reported by :func:`read_text` rather than skipped in silence."""
    try:
        return sorted(p for p in folder.iterdir() if p.suffix.lower() == ".txt" and not p.is_dir())
    except OSError as exc:
        raise InputError(folder, f"cannot list folder: {exc.strerror or exc}") from exc


def _entry_for(file: Path, metadata: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The metadata entry naming ``file``: by file name, else an id-only entry by its stem."""
    entry = metadata.get(file.name)
    if entry is None:
        entry = metadata.get(file.stem)
        if entry is not None and entry.get("file"):
            return None  # that entry describes another file whose name is this stem
    return entry


def _check_entries_have_files(
    meta_path: Path, metadata: dict[str, dict[str, Any]], files: list[Path]
) -> None:
    """Refuse metadata that describes a release the folder does not hold."""
    names = {f.name for f in files}
    stems = {f.stem for f in files}
    for key, entry in metadata.items():
        found = key in names if entry.get("file") else key in stems
        if not found:
            name = key if entry.get("file") else f"{key}.txt"
            raise InputError(
                meta_path,
                f"line {entry[_LINE]}: release {entry['id']}: no file {name} in this folder",
            )


def iter_releases(paths: Iterable[Path] | None = None) -> Iterator[Release]:
    """Yield the releases found at ``paths`` (files or folders; default: the bundled corpus).

    A folder's ``releases.yaml`` supplies metadata for the files in it; a file given on its
    own uses the ``releases.yaml`` beside it when that names it. A release whose issue date is
    unknown (no metadata, or an entry without ``issued``) carries a note saying so: its
    periods without a stated year cannot be dated, and the user should know why. Two files that
    would get the same release id are refused, since one graph would silently replace the other.
    """
    targets = list(paths) if paths else [corpus_dir()]
    ids: dict[str, Path] = {}
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
        if target.is_dir():
            _check_entries_have_files(meta_path, metadata, files)
        for file in files:
            entry = _entry_for(file, metadata)
            release = load_release(file, entry)
            if entry is None and metadata:
                release = replace(
                    release, notes=(f"not described in {meta_path}; issued date unknown",)
                )
            elif entry is None:
                release = replace(
                    release, notes=(f"no {METADATA_FILE} beside it; issued date unknown",)
                )
            elif release.issued is None:
                note = f"line {entry[_LINE]} of {meta_path} gives no issued date; date unknown"
                release = replace(release, notes=(note,))
            if release.id in ids and ids[release.id] != file:
                raise InputError(
                    file, f"release id {release.id} is also the id of {ids[release.id]}"
                )
            ids[release.id] = file
            yield release
