"""Write the figures the reliability tests measure to ``tests/.reliability/figures.json``.

Why: docs/reliability.md quotes how many bad inputs, kills and fuzz examples the last run tried;
those numbers must come from a run, not from memory. Each test merges its figures into one
JSON file (ignored by git); the file is rewritten atomically so an interrupted run leaves the
previous figures readable, under a lock so that parallel workers (``pytest -n``) do not drop
each other's figures.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from pathlib import Path
from typing import Any

FIGURES = Path(__file__).resolve().parent / ".reliability" / "figures.json"


def record(section: str, key: str, value: Any) -> None:
    """Set ``figures[section][key] = value`` in the figures file."""
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with open(FIGURES.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _merge(section, key, value)


def _merge(section: str, key: str, value: Any) -> None:
    try:
        figures = json.loads(FIGURES.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        figures = {}
    figures.setdefault(section, {})[key] = value
    fd, tmp = tempfile.mkstemp(prefix=".figures.", dir=FIGURES.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(figures, out, indent=2, sort_keys=True)
        out.write("\n")
    os.replace(tmp, FIGURES)
