"""Which validator a submitted feed goes to: the JSON feed validator or SHACL over its RDF.

``alm-ld validate`` and ``POST /validate`` take a feed as alm-ld JSON or as RDF. Over HTTP the
``Content-Type`` decides, on the command line the file extension (or ``--input-format``); JSON
bodies are then told apart by :func:`~alm_ld.validation.rdf_feed.is_rdf_jsonld` (an alm-ld
JSON feed names the alm-ld context by URL; any other JSON-LD is checked as RDF). One place
decides, so the CLI and the API cannot disagree on what a body is.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from alm_ld.config import Settings
from alm_ld.errors import UsageError
from alm_ld.validate import validate_feed
from alm_ld.validation.problems import Problem, Report
from alm_ld.validation.rdf_feed import (
    SYNTAXES,
    is_rdf_jsonld,
    too_large_message,
    validate_rdf_feed,
)
from alm_ld.validation.schema_check import PROFILES

INPUT_FORMATS = ("feed", *SYNTAXES)
"""``feed``: alm-ld JSON; the others: RDF syntaxes checked with SHACL."""


def sniff_syntax(data: bytes) -> str | None:
    """A guess for input with no name or media type (stdin): JSON (``None``), RDF/XML or
    Turtle (which also reads N-Triples)."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head or head[:1] in (b"{", b"["):
        return None
    if head.startswith((b"<?xml", b"<rdf:RDF", b"<!DOCTYPE")):
        return "rdfxml"
    if head.startswith((b"@prefix", b"@base", b"PREFIX", b"BASE", b"prefix", b"base", b"<",
                        b"_:", b"#")):
        return "turtle"
    return None


def _json_is_rdf(data: bytes) -> bool:
    try:
        return is_rdf_jsonld(json.loads(data))
    except (ValueError, RecursionError):  # not JSON: the feed validator reports it
        return False


RdfCheck = Callable[..., Report]
"""How an RDF feed is checked: :func:`validate_rdf_feed` in-process (the CLI) or
:func:`alm_ld.validation.isolated.validate_rdf_isolated` in a child with a deadline (HTTP)."""


def validate_input(data: bytes, syntax: str | None, profile: str = "base", *,
                   settings: Settings | None = None, size: int | None = None,
                   rdf_check: RdfCheck = validate_rdf_feed) -> Report:
    """Validate ``data`` as ``syntax`` (an :data:`INPUT_FORMATS` name, or ``None`` for JSON
    to be told apart by its context). ``size``: the real input size when ``data`` was cut."""
    settings = settings or Settings()
    if syntax in SYNTAXES and syntax != "jsonld":
        return rdf_check(data, syntax, profile, settings=settings, size=size)
    real_size = max(size or 0, len(data))
    if real_size > settings.max_body:
        if profile not in PROFILES:
            raise UsageError(f"Unknown profile {profile!r}; use one of: {', '.join(PROFILES)}.")
        return Report(profile, [Problem("$", "too-large",
                                        too_large_message(real_size, settings.max_body))])
    if syntax == "jsonld" or (syntax is None and _json_is_rdf(data)):
        return rdf_check(data, "jsonld", profile, settings=settings, size=size)
    return validate_feed(data, profile, settings=settings)
