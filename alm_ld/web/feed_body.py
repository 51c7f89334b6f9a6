"""The body of ``POST /validate``: an alm-ld JSON feed, or a feed as RDF.

The ``Content-Type`` decides: ``application/ld+json``/``application/json`` (and ``+json``) are
JSON, told apart from JSON-LD with another context by
:func:`alm_ld.validation.feed_input.validate_input`; ``text/turtle``, ``application/n-triples``
and ``application/rdf+xml`` are RDF, checked against the SHACL shapes in a child process with a
deadline (:mod:`alm_ld.validation.isolated`). Anything else is 415
naming every accepted type. ``POST /feeds`` still takes JSON feeds only (ingest maps JSON).
"""

from __future__ import annotations

from flask import request

from alm_ld.config import Settings
from alm_ld.errors import UnsupportedMediaType
from alm_ld.validation.feed_input import validate_input
from alm_ld.validation.isolated import validate_rdf_isolated
from alm_ld.validation.problems import Report
from alm_ld.validation.rdf_feed import syntax_for_media_type

JSON_TYPES = ("application/ld+json", "application/json")
RDF_TYPES = ("text/turtle", "application/n-triples", "application/rdf+xml")


def validate_body(profile: str, settings: Settings) -> Report:
    mimetype = (request.mimetype or "").lower()
    if mimetype in RDF_TYPES:
        syntax = syntax_for_media_type(mimetype)
    elif mimetype in JSON_TYPES or mimetype.endswith("+json"):
        syntax = None
    else:
        raise UnsupportedMediaType(
            f"Send the feed as alm-ld JSON (application/ld+json, application/json) or as RDF "
            f"({', '.join(RDF_TYPES)}, or JSON-LD with any context); got "
            f"{mimetype or 'no Content-Type'}.", accepted=[*JSON_TYPES, *RDF_TYPES])
    return validate_input(request.get_data(cache=False), syntax, profile, settings=settings,
                          rdf_check=validate_rdf_isolated)
