"""Bounds on a SPARQL text, measured before any parser sees it — pure functions.

Both parsers that read public queries recurse: Oxigraph's overflows the C stack (SIGSEGV, no
exception) on ~3,000 nested ``{`` or ~5,000 nested ``(``, and long flat groups crash its
optimiser; rdflib's pyparsing grammar recurses in Python. So size, nesting depth and the number
of triple patterns are bounded on the raw text first (settings ``query_max_bytes``,
``query_max_depth``, ``query_max_patterns``).

Every measure is conservative — it may overestimate, never underestimate:

* ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes are decoded first, because SPARQL expands them before
  parsing (an escaped ``{`` is a real ``{``);
* brackets ``{ ( [`` are counted everywhere, inside strings, IRIs and comments too (a query with
  64 ``(`` inside a string literal is refused: acceptable for a public endpoint);
* every triple pattern but the last of a group ends with ``.``, ``;`` or ``,``, so the number of
  patterns is at most the number of those characters plus the number of ``{`` (decimals and
  punctuation in strings are counted too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alm_ld.errors import QueryRefused

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_OPEN = frozenset("{([")
_BRACKETS = re.compile(r"[{}()\[\]]")


@dataclass(frozen=True)
class Measures:
    """What :func:`measure` found in a query text."""

    size: int
    depth: int
    patterns: int


def unescape(text: str) -> str:
    """``text`` with SPARQL's ``\\u``/``\\U`` code-point escapes expanded (invalid ones kept)."""

    def expand(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group(0)

    return _ESCAPE.sub(expand, text)


def measure(text: str) -> Measures:
    """Size in UTF-8 bytes, deepest bracket nesting and an upper bound of triple patterns."""
    size = len(text.encode("utf-8", "surrogatepass"))
    expanded = unescape(text) if "\\" in text else text
    depth = deepest = 0
    for char in _BRACKETS.findall(expanded):  # only the brackets: a Python step per bracket
        if char in _OPEN:
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(0, depth - 1)
    patterns = sum(expanded.count(c) for c in ".;,{")
    return Measures(size, deepest, patterns)


def check_bounds(text: str, *, max_bytes: int, max_depth: int, max_patterns: int) -> Measures:
    """Raise :class:`QueryRefused` when ``text`` exceeds a bound; else return its measures.

    The size is checked before the text is scanned at all."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise _refuse("size", "bytes", size, max_bytes, "ALM_LD_QUERY_MAX_BYTES")
    found = measure(text)
    if found.depth > max_depth:
        raise _refuse("nesting depth", "nested brackets", found.depth, max_depth,
                      "ALM_LD_QUERY_MAX_DEPTH")
    if found.patterns > max_patterns:
        raise _refuse("number of triple patterns", "patterns (counted as . ; , and {)",
                      found.patterns, max_patterns, "ALM_LD_QUERY_MAX_PATTERNS")
    return found


def _refuse(what: str, unit: str, value: int, limit: int, setting: str) -> QueryRefused:
    return QueryRefused(
        f"The query's {what} is {value} {unit}; this endpoint accepts at most {limit} "
        f"(setting {setting}). Split the query or simplify it.",
        feature="limits", limit=limit, measured=value, setting=setting)
