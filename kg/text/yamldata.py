"""Parse the mapping files' YAML with libyaml when it is there, with PyYAML's messages on errors.

Why: every ``narcokg`` process reads the lexicon and measure files (33 YAML documents) before
its first release; PyYAML's pure-Python parser took about a second of that, a third of adding
one release to a store. libyaml (``yaml.CSafeLoader``) builds the same objects ten times
faster. Its error messages differ from the pure parser's, which the one-line errors quote, so
a document libyaml refuses is parsed again by the pure parser, whose error is the one raised.
"""

from __future__ import annotations

from typing import Any

import yaml

_FAST = getattr(yaml, "CSafeLoader", None)


def safe_load(text: str) -> Any:
    """``yaml.safe_load(text)``, through libyaml when PyYAML was built with it."""
    if _FAST is None:
        return yaml.safe_load(text)
    try:
        return yaml.load(text, Loader=_FAST)  # CSafeLoader: the safe loader, in C
    except yaml.YAMLError:
        return yaml.safe_load(text)  # raises the pure parser's error (same message as before)
