"""A feed sent as RDF: Turtle, N-Triples, RDF/XML or JSON-LD with any context.

Standards groups check RDF with SHACL, not JSON Schema; alm-ld accepts a feed in any of the
usual RDF syntaxes, parses it **offline** and checks the graph against the packaged SHACL shapes
(:mod:`alm_ld.validation.shacl`), answering with the same :class:`Report` as a JSON feed.

Untrusted input, so:

* nothing is ever fetched: JSON-LD goes through :mod:`alm_ld.jsonld` (whose document loader
  serves only the packaged contexts and refuses every other URL: an unknown remote context is a
  ``jsonld`` problem, not a request); Turtle, N-Triples and RDF/XML parsers are given the text,
  never a URL; an RDF/XML document type declaration naming an external entity or DTD
  (``SYSTEM``/``PUBLIC``) is refused before the XML parser sees it;
* size is bounded twice: the bytes by ``ALM_LD_MAX_BODY`` (``too-large``, with the real size) and
  the parsed graph by :data:`MAX_TRIPLES` (SHACL validation time grows with the graph).
"""

from __future__ import annotations

import json
import re
from pathlib import PurePath
from typing import TYPE_CHECKING

from alm_ld.config import Settings
from alm_ld.errors import AlmLdError
from alm_ld.validation.problems import Problem, Report

if TYPE_CHECKING:  # rdflib is imported where an RDF feed is parsed: validating a JSON feed
    from rdflib import Graph  # (alm-ld validate, a whole process) never needs it (issue 15)

# syntax name (CLI --input-format) -> (rdflib parser, media type)
SYNTAXES = {
    "turtle": ("turtle", "text/turtle"),
    "ntriples": ("nt", "application/n-triples"),
    "rdfxml": ("xml", "application/rdf+xml"),
    "jsonld": ("json-ld", "application/ld+json"),
}
MEDIA_TYPES = {media: name for name, (_, media) in SYNTAXES.items()}
EXTENSIONS = {".ttl": "turtle", ".nt": "ntriples", ".rdf": "rdfxml", ".owl": "rdfxml",
              ".xml": "rdfxml", ".jsonld": "jsonld"}

MAX_TRIPLES = 50_000
"""Largest graph checked against the shapes: about 5,000 counts. pySHACL checks roughly a
thousand triples a second on the loaded 2-core dev machine, so this bounds one check to under
a minute; larger feeds: split them, or send them as alm-ld JSON (a fast validator)."""

_EXTERNAL_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)[^>]*\b(SYSTEM|PUBLIC)\b", re.IGNORECASE)


def syntax_for_media_type(media_type: str) -> str | None:
    """The RDF syntax a request body's media type names (``None``: not an RDF media type)."""
    return MEDIA_TYPES.get(media_type.lower())


def syntax_for_path(path: str) -> str | None:
    """The RDF syntax a file name's extension names (``None``: ``.json`` or unknown)."""
    return EXTENSIONS.get(PurePath(path).suffix.lower())


def is_rdf_jsonld(doc: object) -> bool:
    """Whether parsed JSON is JSON-LD to check as RDF rather than an alm-ld JSON feed.

    An alm-ld JSON feed names its context by one URL (a wrong URL is the JSON validator's
    ``schema.pattern`` problem). Any other JSON-LD — an inline or array context, expanded form
    (a top-level array or ``@graph``/``@id``/``@type`` with no context) — is RDF."""
    if isinstance(doc, list):
        return True
    if not isinstance(doc, dict):
        return False
    context = doc.get("@context")
    if context is None:
        return any(key in doc for key in ("@graph", "@id", "@type"))
    return not isinstance(context, str)


class _Refused(Exception):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.problem = Problem("$", rule, message)


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _depth(doc: object) -> int:
    deepest, stack = 0, [(doc, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)
    return deepest


def _jsonld_graph(text: str) -> Graph:
    from rdflib import Dataset, Graph

    from alm_ld.jsonld import ContextRefused, expand, to_rdf_nquads
    from alm_ld.validate import MAX_DEPTH

    too_deep = _Refused("too-deep", f"The JSON-LD nests arrays/objects more than {MAX_DEPTH} "
                        "levels deep; a feed needs far fewer. Flatten it.")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as error:
        raise _Refused("json-parse", f"Not valid JSON: {error.msg} at line {error.lineno}, "
                       f"column {error.colno}.")
    except RecursionError:
        raise too_deep
    if _depth(doc) > MAX_DEPTH:
        raise too_deep
    try:
        # Expanding first names a refused remote context (to_rdf would only say it failed).
        nquads = to_rdf_nquads(expand(doc))
    except ContextRefused as error:
        raise _Refused("jsonld", _one_line(error.detail) + " Or inline the context: "
                       "alm-ld checks JSON-LD with any inline context as RDF.")
    except AlmLdError as error:  # InvalidFeed: not valid JSON-LD
        raise _Refused("jsonld", _one_line(error.detail))
    dataset = Dataset()
    dataset.parse(data=nquads, format="nquads")
    graph = Graph()
    for s, p, o, _ in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


def parse_rdf(data: bytes, syntax: str) -> Graph:
    """The graph of ``data`` in ``syntax`` (offline; see the module docstring)."""
    from rdflib import Graph

    if syntax == "jsonld":
        return _jsonld_graph(data.decode("utf-8"))
    if syntax == "rdfxml" and _EXTERNAL_DTD.search(data):
        raise _Refused("rdf-parse", "The RDF/XML declares an external DTD or entity "
                       "(SYSTEM/PUBLIC); alm-ld never fetches them. Remove the DOCTYPE.")
    parser = SYNTAXES[syntax][0]
    source: bytes | str = data if syntax == "rdfxml" else data.decode("utf-8")
    graph = Graph()
    try:
        # publicID: relative IRIs resolve against a fixed, non-fetchable base.
        graph.parse(data=source, format=parser, publicID="urn:alm-ld:feed:")
    except Exception as error:  # every rdflib parser raises its own exception types
        raise _Refused("rdf-parse", f"Not valid {syntax_label(syntax)}: "
                       f"{_one_line(error, 240)}")
    return graph


def syntax_label(syntax: str) -> str:
    return {"turtle": "Turtle", "ntriples": "N-Triples", "rdfxml": "RDF/XML",
            "jsonld": "JSON-LD"}[syntax]


def too_large_message(size: int, limit: int) -> str:
    """The ``too-large`` message, naming the input's real size (not the bytes read)."""
    return (f"The feed is {size} bytes; the limit is {limit} bytes (setting ALM_LD_MAX_BODY). "
            "Split it into several feeds.")


def validate_rdf_feed(data: bytes, syntax: str, profile: str = "base", *,
                      settings: Settings | None = None, size: int | None = None,
                      max_triples: int = MAX_TRIPLES) -> Report:
    """Check a feed sent as RDF against ``profile``'s SHACL shapes.

    ``size`` is the real size of the input when ``data`` was read only up to the limit (the
    CLI reads ``limit + 1`` bytes but knows a file's size)."""
    from alm_ld.validation.schema_check import PROFILES

    if profile not in PROFILES:
        from alm_ld.errors import UsageError

        raise UsageError(f"Unknown profile {profile!r}; use one of: {', '.join(PROFILES)}.")
    if syntax not in SYNTAXES:
        from alm_ld.errors import UsageError

        raise UsageError(f"Unknown RDF syntax {syntax!r}; use one of: {', '.join(SYNTAXES)}.")
    settings = settings or Settings()
    real_size = max(size or 0, len(data))
    try:
        if real_size > settings.max_body:
            raise _Refused("too-large", too_large_message(real_size, settings.max_body))
        if not data.strip():
            raise _Refused("empty", f"The feed is empty. Send a {syntax_label(syntax)} graph "
                           "with one alm:Feed.")
        try:
            graph = parse_rdf(data, syntax)
        except UnicodeDecodeError as error:
            raise _Refused("encoding", f"The feed is not UTF-8 text (invalid byte at offset "
                           f"{error.start}).")
        except _Refused:
            raise
        except Exception as error:  # a parser's unexpected failure: a problem, never a 500
            raise _Refused("rdf-parse", f"Not readable as {syntax_label(syntax)}: "
                           f"{_one_line(error, 240)}")
        if len(graph) > max_triples:
            raise _Refused("too-large", f"The graph has {len(graph)} triples; SHACL checks at "
                           f"most {max_triples}. Split it into several feeds.")
    except _Refused as refused:
        return Report(profile, [refused.problem])
    from alm_ld.validation.shacl import shacl_problems

    return Report(profile, shacl_problems(graph, profile))
