"""Validate alm-ld feeds: JSON Schema of the chosen profile plus the semantic rules.

``validate_feed`` reports **every** problem at once (a provider should be able to fix a feed in
one round trip) and never raises for bad input: bytes that are not JSON, empty, too large or
nested too deeply become problems too. ``parse_feed_bytes`` is for callers (ingest) that want
an exception instead.

Rule ids are stable and documented in docs/feed-format.md.
"""

from __future__ import annotations

import json
import re
from typing import Any

from alm_ld.config import Settings
from alm_ld.errors import InvalidFeed, UsageError
from alm_ld.validation.problems import Problem, Report, unique
from alm_ld.validation.schema_check import PROFILES, schema_problems, warm_up
from alm_ld.validation.semantic import semantic_problems

# A valid feed nests 4 levels deep (feed → items → item → sameAs); anything far deeper is
# either a mistake or an attempt to exhaust the parser.
MAX_DEPTH = 32

__all__ = ["MAX_DEPTH", "PROFILES", "Problem", "Report", "parse_feed_bytes", "validate_feed",
           "warm_up"]


# Decoded UTF-8 never holds a surrogate: in JSON text one can only come from a \uD800–\uDFFF
# escape. A cheap scan of the raw bytes (conservative: an escaped backslash before "ud8…" also
# matches) spares the semantic check its whole-document scan for the usual feed.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Reject(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def _parse(data: bytes | str, max_body: int) -> Any:
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_body:
        raise _Reject(Problem("$", "too-large",
                              f"The feed is {size} bytes; the limit is {max_body} bytes "
                              "(setting ALM_LD_MAX_BODY). Split it into several feeds."))
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _Reject(Problem("$", "encoding",
                                  f"The feed is not UTF-8 text (invalid byte at offset "
                                  f"{error.start}). Save it as UTF-8 JSON."))
    else:
        text = data
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise _Reject(Problem("$", "empty", "The feed is empty. Send a JSON object with "
                              "@context, type, id, provider, generated and items."))
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise _Reject(Problem("$", "json-parse",
                              f"Not valid JSON: {error.msg} at line {error.lineno}, column "
                              f"{error.colno}. Fix the syntax (a JSON linter shows where)."))
    except ValueError as error:  # NaN / Infinity
        raise _Reject(Problem("$", "json-parse", f"Not valid JSON: {error}."))
    except RecursionError:
        raise _Reject(_too_deep())


def _too_deep() -> Problem:
    return Problem("$", "too-deep", f"The feed nests arrays/objects more than {MAX_DEPTH} levels "
                   "deep; an alm-ld feed needs at most 4. Flatten it.")


_JSON_SCALARS = (str, int, float, bool, type(None))


def _check_shape(doc: object) -> None:
    """Depth limit and JSON-only types, for objects handed in already parsed (iterative)."""
    stack: list[tuple[object, int]] = [(doc, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth >= MAX_DEPTH:
                raise _Reject(_too_deep())
            for key, value in node.items():
                if not isinstance(key, str):
                    raise _Reject(Problem("$", "not-json", f"Object key {key!r} is not a "
                                          "string; pass JSON data."))
                if not isinstance(value, _JSON_SCALARS):
                    stack.append((value, depth + 1))
                elif isinstance(value, float) and value != value:
                    raise _Reject(Problem("$", "not-json", "NaN is not JSON."))
        elif isinstance(node, list):
            if depth >= MAX_DEPTH:
                raise _Reject(_too_deep())
            stack.extend((value, depth + 1) for value in node
                         if not isinstance(value, _JSON_SCALARS))
        elif not isinstance(node, _JSON_SCALARS):
            raise _Reject(Problem("$", "not-json", f"A {type(node).__name__} is not JSON data."))


def parse_feed_bytes(data: bytes, *, settings: Settings | None = None) -> object:
    """Parse a feed body; raise :class:`InvalidFeed` (with a problem) when it cannot be."""
    settings = settings or Settings()
    try:
        doc = _parse(data, settings.max_body)
        _check_shape(doc)
    except _Reject as reject:
        raise InvalidFeed(reject.problem.message, problems=[reject.problem.to_dict()])
    return doc


def validate_feed(doc: object, profile: str = "base", *,
                  settings: Settings | None = None) -> Report:
    """Check a feed (bytes, str or parsed JSON) against ``profile`` (``base``|``strict``)."""
    if profile not in PROFILES:
        raise UsageError(f"Unknown profile {profile!r}; use one of: {', '.join(PROFILES)}.")
    settings = settings or Settings()
    text_checked = False
    try:
        if isinstance(doc, bytes | bytearray | memoryview):
            raw = bytes(doc)
            text_checked = _SURROGATE_ESCAPE.search(raw) is None
            doc = _parse(raw, settings.max_body)
        elif isinstance(doc, str):
            text_checked = (_SURROGATE_ESCAPE.search(doc.encode("utf-8", "surrogatepass"))
                            is None and _SURROGATE.search(doc) is None)
            doc = _parse(doc, settings.max_body)
        _check_shape(doc)
    except _Reject as reject:
        return Report(profile, [reject.problem])
    problems = (schema_problems(doc, profile)
                + semantic_problems(doc, profile, text_checked=text_checked))
    return Report(profile, unique(problems))
