"""Files a store keeps beside its folder: where they live, and the SQLite ones' common handling.

Why one module: the kept answers, the checked graphs and the graph versions each keep a file
next to the store (beside, not inside: the folder belongs to RocksDB, and these files must not
travel into dumps or backups of the RDF); one definition keeps their places and their
closing the same.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import TracebackType
from typing import TypeVar

_F = TypeVar("_F", bound="SqliteFile")


def beside(store_dir: Path, suffix: str) -> Path:
    """The file ``<store folder name><suffix>`` next to the store at ``store_dir``."""
    resolved = store_dir.resolve()
    return resolved.with_name(resolved.name + suffix)


class SqliteFile:
    """An open SQLite file beside a store, usable as a context manager (closed on exit)."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection

    def close(self) -> None:
        """Close the connection (committing nothing: every write commits itself)."""
        self._db.close()

    def __enter__(self: _F) -> _F:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
