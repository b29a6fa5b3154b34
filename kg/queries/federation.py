"""Find the addresses a SPARQL query or update would make its server contact, to refuse them.

Why: ``SERVICE <iri> { … }`` makes the server that evaluates a query send it to ``<iri>`` and
return the answer, and ``LOAD <iri>`` makes it fetch ``<iri>``: anyone who may query our endpoint
could then reach any address the server can, such as other services on the same machine (server
side request forgery). Neither the Oxigraph server nor pyoxigraph can turn federation off, so
the served endpoints (``narcokg serve``, ``narcokg web``) look at every query before passing it
on, and refuse those that name an endpoint the operator has not allowed.

How: not a parser, but a scan faithful to the SPARQL 1.1 terminals that can hide a keyword:
strings (four quotings, with escapes), IRIs, ``#`` comments and the escapes of prefixed names
(``ex:a\\#b`` holds no comment). Oxigraph's parser needs no space around a keyword
(``SERVICE<…>``, ``1.SERVICE``, ``SERVICEex:x``, ``service:x {`` are all SERVICE clauses for it),
so a ``service`` is taken as the keyword unless it is part of a variable, language tag or prefixed
name. Where the text can be read two ways the scan reads it both ways and reports the union:

* codepoint escapes (``\\u0053ERVICE``): the SPARQL specification replaces them before parsing,
  Oxigraph only inside IRIs and strings;
* ``<`` before a ``'``: an IRI (``<a'b>``) or the less-than operator before a string
  (``?a<'>'``), which Oxigraph reads as the latter.

An endpoint is reported as an IRI when it can be resolved exactly (an absolute ``<iri>``, a
prefixed name whose prefix is declared once, a relative IRI under a single absolute ``BASE``),
else as it is written; a variable (``SERVICE ?x``) is reported as ``?x``. Only resolved IRIs can
be allowed: anything the scan cannot pin down is refused. Standard library only: the web app and
the server proxy both use it, below the store and publish layers.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Collection
from dataclasses import dataclass

from kg.errors import KgError

# SPARQL 1.1 terminals (https://www.w3.org/TR/sparql11-query/#grammar), with "\\." accepting any
# escape: a string Oxigraph refuses is refused by it whatever the scan thinks, so a wider string
# costs nothing, while a narrower one could expose its content as code.
_IRI = re.compile(r"<((?:[^<>\"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*)>")
_STRINGS = {
    "'''": re.compile(r"'''(?:(?:''?)?(?:[^'\\]|\\.))*'''", re.DOTALL),
    '"""': re.compile(r'"""(?:(?:""?)?(?:[^"\\]|\\.))*"""', re.DOTALL),
    "'": re.compile(r"'(?:[^'\\\n\r]|\\.)*'"),
    '"': re.compile(r'"(?:[^"\\\n\r]|\\.)*"'),
}
_SPECIAL = re.compile(r"[\\#<'\"]")
_LINE_END = re.compile(r"[\r\n]")
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_KEYWORDS = re.compile(r"service|load", re.IGNORECASE)
_DECLARATIONS = re.compile(r"prefix|base", re.IGNORECASE)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_WHITESPACE = " \t\r\n"
# keywords after which a prefixed name followed by "{" is a graph name, not a SERVICE endpoint
_NAME_BEFORE_GROUP = {"graph", "from", "named", "with", "using", "prefix"}
_SHOWN = 200  # characters of an endpoint quoted in a refusal


def _is_name_char(char: str) -> bool:
    """A character of a prefixed name (PN_CHARS, '.', ':', '%' and escapes), or of a number."""
    return char.isalnum() or char in "_-.:%\\" or ord(char) > 0x7F


def _is_var_char(char: str) -> bool:
    return char.isalnum() or char == "_" or ord(char) > 0x7F


class FederationRefused(KgError):
    """A query names an endpoint (SERVICE) or a source (LOAD) that the operator has not allowed;
    ``str()`` is the one-line reason, ``endpoint`` the endpoint as reported."""

    exit_code = 2

    def __init__(self, problem: str, endpoint: str) -> None:
        super().__init__(None, problem)
        self.endpoint = endpoint


@dataclass(frozen=True)
class Endpoint:
    """One SERVICE or LOAD clause: ``iri`` when resolved exactly, else None; ``text`` as shown."""

    keyword: str  # "SERVICE" or "LOAD"
    text: str
    iri: str | None

    @property
    def is_variable(self) -> bool:
        return self.text.startswith(("?", "$"))


def _unescape_codepoints(text: str) -> str:
    """Replace ``\\uXXXX`` / ``\\UXXXXXXXX`` as the SPARQL specification does before parsing."""

    def replace(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return match.group(0)
        return chr(code)

    return _CODEPOINT.sub(replace, text)


@dataclass
class _Masked:
    """The text with strings and comments blanked and IRIs kept only as ``<  >`` placeholders
    (same length, so positions agree), and the IRI found at each placeholder."""

    code: str
    iris: dict[int, str]


def _mask(text: str, *, quote_in_iri: bool) -> _Masked:
    """Blank what cannot hold a keyword. ``quote_in_iri`` False: an IRI holding ``'`` is read as
    a less-than operator instead (the other reading of ``<``)."""
    out: list[str] = []
    iris: dict[int, str] = {}
    i, n = 0, len(text)
    while i < n:
        special = _SPECIAL.search(text, i)
        if special is None:
            out.append(text[i:])
            break
        out.append(text[i : special.start()])
        i = special.start()
        char = text[i]
        if char == "\\":  # an escape in a prefixed name (PN_LOCAL_ESC): "\#" starts no comment
            out.append(text[i : i + 2])
            i += 2
            continue
        if char == "#":
            end = _LINE_END.search(text, i)
            stop = end.start() if end else n
            out.append(" " * (stop - i))
            i = stop
            continue
        if char == "<":
            iri = _IRI.match(text, i)
            if iri and (quote_in_iri or "'" not in iri.group(1)):
                iris[i] = _unescape_codepoints(iri.group(1))
                out.append("<" + " " * (iri.end() - i - 2) + ">")
                i = iri.end()
                continue
        else:  # a quote
            quoted = None
            for opener, pattern in _STRINGS.items():
                if text.startswith(opener, i):
                    quoted = pattern.match(text, i)
                    if quoted:
                        break
            if quoted:
                out.append(" " * (quoted.end() - i))
                i = quoted.end()
                continue
            # an unterminated string: Oxigraph refuses the query; keep scanning what follows
        out.append(char)
        i += 1
    return _Masked("".join(out), iris)


def _skip_space(code: str, at: int) -> int:
    while at < len(code) and code[at] in _WHITESPACE:
        at += 1
    return at


def _name_end(code: str, at: int) -> int:
    """The end of the prefixed name (or number, keyword) that starts at ``at``."""
    while at < len(code):
        if code[at] == "\\":
            at += 2
        elif _is_name_char(code[at]):
            at += 1
        else:
            break
    return min(at, len(code))


def _name_start(code: str, at: int) -> int:
    """The start of the run of name characters that ends just before ``at``."""
    while at > 0:
        if at >= 2 and code[at - 2] == "\\":
            at -= 2
        elif _is_name_char(code[at - 1]):
            at -= 1
        else:
            break
    return at


def _inside_a_name(code: str, at: int) -> bool:
    """Whether the letters at ``at`` continue a variable, a language tag or the local part of a
    prefixed name (all read greedily by the parser), so that they are not a keyword."""
    k = at
    while k > 0 and _is_var_char(code[k - 1]):
        k -= 1
    if k > 0 and code[k - 1] in "?$":
        return True
    k = at
    while k > 0 and (code[k - 1].isascii() and (code[k - 1].isalnum() or code[k - 1] == "-")):
        k -= 1
    if k > 0 and code[k - 1] == "@":
        return True
    return ":" in code[_name_start(code, at) : at]


def _previous_word(code: str, at: int) -> str:
    """The keyword or name just before ``at`` (lower case), skipping spaces."""
    end = at
    while end > 0 and code[end - 1] in _WHITESPACE:
        end -= 1
    return code[_name_start(code, end) : end].lower()


def _previous_char(code: str, at: int) -> str:
    end = at
    while end > 0 and code[end - 1] in _WHITESPACE:
        end -= 1
    return code[end - 1] if end else ""


class _Names:
    """The PREFIX and BASE declarations of the text, for resolving endpoints exactly."""

    def __init__(self, masked: _Masked) -> None:
        code = masked.code
        declared: dict[str, set[str]] = {}
        bases: list[str] = []
        for found in _DECLARATIONS.finditer(code):
            at = found.start()
            if _inside_a_name(code, at):
                continue
            after = found.end()
            if found.group().lower() == "base":
                iri_at = _skip_space(code, after)
                if iri_at in masked.iris:
                    bases.append(masked.iris[iri_at])
                continue
            colon = _skip_space(code, after)
            name_end = colon
            while name_end < len(code) and code[name_end] != ":" and _is_name_char(code[name_end]):
                name_end += 1
            if name_end >= len(code) or code[name_end] != ":":
                continue
            iri_at = _skip_space(code, name_end + 1)
            if iri_at in masked.iris:
                declared.setdefault(code[colon:name_end], set()).add(masked.iris[iri_at])
        # one absolute BASE: relative IRIs resolve against it; none or several: they stay unknown
        self.base = bases[0] if len(bases) == 1 and _SCHEME.match(bases[0]) else None
        self.prefixes = {
            name: self.absolute(iri)
            for name, iris in declared.items()
            if len(iris) == 1
            for iri in iris
        }

    def absolute(self, iri: str) -> str | None:
        if _SCHEME.match(iri):
            return iri
        if self.base is not None and self.base.lower().startswith(("http://", "https://")):
            return urllib.parse.urljoin(self.base, iri)
        return None

    def expand(self, name: str) -> str | None:
        prefix, _, local = name.partition(":")
        namespace = self.prefixes.get(prefix)
        if namespace is None:
            return None
        return namespace + re.sub(r"\\(.)", r"\1", local)


def _endpoint(keyword: str, masked: _Masked, names: _Names, at: int) -> Endpoint:
    """The endpoint of the SERVICE (or source of the LOAD) whose keyword ends at ``at``."""
    code = masked.code
    at = _skip_space(code, at)
    if code[at : at + 6].lower() == "silent":
        at = _skip_space(code, at + 6)
    if at in masked.iris:
        iri = masked.iris[at]
        return Endpoint(keyword, f"<{iri}>", names.absolute(iri))
    if at < len(code) and code[at] in "?$":
        end = at + 1
        while end < len(code) and _is_var_char(code[end]):
            end += 1
        return Endpoint(keyword, code[at:end], None)
    end = _name_end(code, at)
    name = code[at:end].rstrip(".")
    if ":" in name:
        return Endpoint(keyword, name, names.expand(name))
    end = at
    while end < len(code) and code[end] not in _WHITESPACE:
        end += 1
    return Endpoint(keyword, code[at:end] or "(nothing)", None)


def _is_keyword(code: str, start: int, end: int, keyword: str) -> bool:
    """Whether the letters ``code[start:end]`` are the keyword as the parser reads them."""
    if _inside_a_name(code, start):
        return False
    follows = code[end : _name_end(code, end)]
    if keyword == "load" and start != _name_start(code, start):
        return False  # "download:x": LOAD only ever starts an operation
    if ":" not in follows:
        return True  # "SERVICE <…>", "SERVICE?x", "SERVICESILENT<…>", "1.SERVICE …"
    # "service:x" / "SERVICEex:x": a prefixed name, or the keyword glued to its endpoint
    if keyword == "service":
        after = _skip_space(code, _name_end(code, end))
        before = _name_start(code, start)
        return code[after : after + 1] == "{" and _previous_word(code, before) not in (
            _NAME_BEFORE_GROUP
        )
    return _previous_char(code, start) in ("", ";", ">")


def _scan(text: str, *, quote_in_iri: bool) -> list[Endpoint]:
    masked = _mask(text, quote_in_iri=quote_in_iri)
    names = _Names(masked)
    found = []
    for match in _KEYWORDS.finditer(masked.code):
        keyword = match.group().lower()
        if _is_keyword(masked.code, match.start(), match.end(), keyword):
            found.append(_endpoint(keyword.upper(), masked, names, match.end()))
    return found


def endpoints(text: str) -> list[Endpoint]:
    """Every SERVICE endpoint and LOAD source of a SPARQL query or update, each once, in order
    (the union of every way the text can be read, see the module docstring)."""
    unescaped = _unescape_codepoints(text)
    readings = [text] if unescaped == text else [text, unescaped]
    if not any(_KEYWORDS.search(reading) for reading in readings):
        return []  # the fast way for the usual query (and a large INSERT DATA)
    seen: dict[Endpoint, None] = {}
    for reading in readings:
        for quote_in_iri in (True, False) if "'" in reading else (True,):
            for endpoint in _scan(reading, quote_in_iri=quote_in_iri):
                seen.setdefault(endpoint, None)
    return list(seen)


def service_iris(query: str) -> list[str]:
    """The endpoint of every SERVICE clause of a SPARQL query or update: its IRI when resolved
    (``http://…``), else as written (``ex:x`` with an undeclared prefix, ``<relative>``), or the
    variable (``?x``)."""
    return [e.iri or e.text for e in endpoints(query) if e.keyword == "SERVICE"]


def load_iris(update: str) -> list[str]:
    """The source of every LOAD operation of a SPARQL update, as :func:`service_iris` gives."""
    return [e.iri or e.text for e in endpoints(update) if e.keyword == "LOAD"]


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def refuse_federation(query: str, allowed: Collection[str] = ()) -> None:
    """Raise :class:`FederationRefused` unless every SERVICE endpoint and LOAD source of
    ``query`` (a query or an update) is an IRI in ``allowed`` (exact match).

    A variable endpoint is always refused: what it names is only known while evaluating.
    """
    allowed = set(allowed)
    for endpoint in endpoints(query):
        shown = _shown(f"<{endpoint.iri}>" if endpoint.iri else endpoint.text)
        if endpoint.iri is not None and endpoint.iri in allowed:
            continue
        if endpoint.keyword == "LOAD":
            problem = (
                f"update refused: LOAD {shown} would make the server fetch that address, "
                "which is not an allowed endpoint (the operator allows endpoints with "
                "--allow-service)"
            )
        elif endpoint.is_variable:
            problem = (
                f"federated query refused: SERVICE {shown} names its endpoint with a "
                "variable, which cannot be checked; name an allowed endpoint instead"
            )
        else:
            problem = (
                f"federated query refused: SERVICE {shown} is not an allowed endpoint "
                "(the operator allows endpoints with --allow-service)"
            )
        raise FederationRefused(problem, endpoint.iri or endpoint.text)
