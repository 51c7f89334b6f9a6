"""JSON-LD processing with pyld, offline.

This is the only module that imports pyld. Every call goes through :func:`document_loader`,
which serves the packaged contexts for their URLs and refuses every other URL: processing a feed
never touches the network (a feed naming some other context would otherwise make the server
fetch arbitrary URLs, and results would depend on a third party being up).

Context URLs served (all map to files in ``contexts/``):

* ``https://w3id.org/alm-ld/context/<name>`` — the permanent URLs (``v1.jsonld``, and
  ``analytics-v1.jsonld``, the extra terms of the analytics documents);
* ``http(s)://<any host>/contexts/<name>`` for a packaged ``<name>`` — the same file as an
  alm-ld instance serves it under its own base URL (``<base_url>/contexts/v1.jsonld``,
  ``<base_url>/contexts/analytics-v1.jsonld``);
* ``https://www.w3.org/ns/activitystreams`` (also ``http:`` and ``.jsonld``) — the packaged copy
  of the Activity Streams 2.0 context (``activitystreams.jsonld``) that ``/changes`` pages use.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pyld import jsonld

from alm_ld.errors import EXIT_INVALID, AlmLdError, InvalidFeed, NotFound
from alm_ld.resources import AS2_CONTEXT_URL, CONTEXT_URL, context_document

_W3ID_CONTEXTS = "https://w3id.org/alm-ld/context/"
_INSTANCE_CONTEXT = re.compile(r"^https?://[^/\s]+(?:/[^\s]*)?/contexts/([A-Za-z0-9._-]+)$")
# Third-party contexts alm-ld documents use, served from packaged verbatim copies.
_THIRD_PARTY_CONTEXTS = {
    AS2_CONTEXT_URL: "activitystreams.jsonld",
    "http://www.w3.org/ns/activitystreams": "activitystreams.jsonld",
    AS2_CONTEXT_URL + ".jsonld": "activitystreams.jsonld",
}


class ContextRefused(AlmLdError):
    """A JSON-LD document names a context alm-ld does not ship (nothing is fetched)."""

    status, exit_code, slug, title = 422, EXIT_INVALID, "context-refused", "Unknown JSON-LD context"


def packaged_context_name(url: str) -> str | None:
    """The packaged file a context URL stands for, or None if alm-ld does not ship it."""
    if url in _THIRD_PARTY_CONTEXTS:
        name = _THIRD_PARTY_CONTEXTS[url]
    elif url.startswith(_W3ID_CONTEXTS):
        name = url[len(_W3ID_CONTEXTS):]
    else:
        match = _INSTANCE_CONTEXT.match(url)
        if not match:
            return None
        name = match.group(1)
    try:
        context_document(name)
    except NotFound:
        return None
    return name


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader: packaged contexts only, never a network fetch."""
    name = packaged_context_name(url)
    if name is None:
        raise jsonld.JsonLdError(
            f"alm-ld does not fetch remote JSON-LD documents; {url!r} is not a packaged "
            f"context. Use {CONTEXT_URL}.", "jsonld.LoadDocumentError", {"url": url},
            code="loading document failed")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": copy.deepcopy(context_document(name))}


def _options(**extra: Any) -> dict[str, Any]:
    return {"documentLoader": document_loader, **extra}


def _raise(error: Exception) -> None:
    code = getattr(error, "code", None) or ""
    details = getattr(error, "details", None) or {}
    if "loading" in code and isinstance(details, dict) and details.get("url"):
        url = details["url"]
        if packaged_context_name(str(url)) is None:
            raise ContextRefused(
                f"alm-ld does not fetch remote JSON-LD contexts; {url!r} is not one it ships. "
                f"Use \"@context\": \"{CONTEXT_URL}\".", url=url)
    detail = str(error.args[0] if error.args else error).splitlines()[0]
    raise InvalidFeed(f"The document is not valid JSON-LD: {detail}",
                      problems=[{"path": "$", "rule": "jsonld", "message": detail,
                                 "severity": "error"}])


def expand(doc: Any, *, base: str | None = None) -> list[Any]:
    """Expanded JSON-LD of ``doc`` (a parsed document)."""
    try:
        return jsonld.expand(doc, _options(**({"base": base} if base else {})))
    except jsonld.JsonLdError as error:
        _raise(error)
        raise  # unreachable; keeps type checkers happy


def to_rdf_nquads(doc: Any, *, base: str | None = None) -> str:
    """The RDF of ``doc`` as N-Quads text, as any standard JSON-LD 1.1 processor reads it."""
    options = _options(format="application/n-quads", **({"base": base} if base else {}))
    try:
        return jsonld.to_rdf(doc, options)
    except jsonld.JsonLdError as error:
        _raise(error)
        raise


def compact(doc: Any, context_url: str = CONTEXT_URL) -> dict[str, Any]:
    """Compact ``doc`` (expanded or not) with a packaged context; the result refers to it
    by ``context_url``."""
    try:
        return jsonld.compact(doc, context_url, _options())
    except jsonld.JsonLdError as error:
        _raise(error)
        raise


def with_inline_context(doc: Any) -> Any:
    """A copy of ``doc`` whose packaged context URLs (one, or several in an array) are replaced
    by the contexts themselves, for processors that cannot take a document loader (rdflib would
    fetch the URLs)."""
    if not isinstance(doc, dict):
        return doc
    context = doc.get("@context")
    if isinstance(context, str):
        inlined_context = _inline(context)
    elif isinstance(context, list):
        inlined_context = [_inline(item) if isinstance(item, str) else item for item in context]
    else:
        return doc
    inlined = dict(doc)
    inlined["@context"] = inlined_context
    return inlined


def _inline(url: str) -> Any:
    name = packaged_context_name(url)
    if name is None:
        return url
    return copy.deepcopy(context_document(name)["@context"])
