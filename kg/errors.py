"""Error types the CLI turns into one line on stderr and an exit code.

Why: users run this on whatever a scraper produced; an error must name the file and the
problem in one line, and the exit code must say whether the input or the data was at fault.
"""

from __future__ import annotations

import re
from pathlib import Path

# What must not reach a terminal raw: C0 and C1 controls (newlines that split one message into
# several lines, ESC sequences that move the cursor or recolour the screen), DEL, the Unicode
# line and paragraph separators, bidirectional overrides (text that reads differently than it
# is), and lone surrogates (file names that are not valid UTF-8 arrive as these).
_UNPRINTABLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def printable(text: str) -> str:
    """``text`` with every character a terminal would act on written as an escape (``\\n``,
    ``\\x1b``, ``\\udcff``), so that a message stays one line and shows what the name holds."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        return repr(char)[1:-1] if ord(char) < 0x100 else f"\\u{ord(char):04x}"

    return _UNPRINTABLE.sub(escape, text)


class KgError(Exception):
    """A problem with a named file or resource; ``str()`` is the one-line message."""

    exit_code = 2

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = str(path) if path is not None else None
        self.problem = problem
        message = f"{self.path}: {problem}" if self.path else problem
        super().__init__(printable(message))


class InputError(KgError):
    """Bad input or usage: a release, metadata, lexicon, shape or query file is unusable."""

    exit_code = 2


class OutputError(KgError):
    """Writing failed part-way (a full disk, a folder made read-only meanwhile): the message
    says what is left and how to finish (exit 2)."""

    exit_code = 2


class NotConformingError(KgError):
    """The graph does not conform to the shapes."""

    exit_code = 1


class InconsistentOntologyError(KgError):
    """The reasoner found the ontology (with its vocabularies) inconsistent."""

    exit_code = 3
