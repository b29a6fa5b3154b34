"""Error types the CLI turns into one line on stderr and an exit code.

Why: users run this on whatever a scraper produced; an error must name the file and the
problem in one line, and the exit code must say whether the input or the data was at fault.
"""

from __future__ import annotations

from pathlib import Path


class KgError(Exception):
    """A problem with a named file or resource; ``str()`` is the one-line message."""

    exit_code = 2

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = str(path) if path is not None else None
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


class InputError(KgError):
    """Bad input or usage: a release, metadata, lexicon, shape or query file is unusable."""

    exit_code = 2


class NotConformingError(KgError):
    """The graph does not conform to the shapes."""

    exit_code = 1


class InconsistentOntologyError(KgError):
    """The reasoner found the ontology (with its vocabularies) inconsistent."""

    exit_code = 3
