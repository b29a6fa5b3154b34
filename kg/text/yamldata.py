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
    return load_with(text, _FAST, yaml.SafeLoader)


def load_with(text: str, fast: type | None, pure: type) -> Any:
    """``text`` loaded by the loader class ``fast`` (libyaml-based; ``None``: not available),
    or, when it refuses the document, by ``pure``, whose error is the one raised (the same
    message and line as before libyaml was used)."""
    if fast is None:
        return yaml.load(text, Loader=pure)
    try:
        return yaml.load(text, Loader=fast)
    except yaml.YAMLError:
        return yaml.load(text, Loader=pure)
