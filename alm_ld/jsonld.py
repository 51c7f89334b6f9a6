"""JSON-LD processing with pyld, offline.

This is the only module that imports pyld, and the one home of "graph → compact JSON-LD with
our context" (:func:`compact_nodes`, table-driven, no processor), used by the web's JSON-LD
answers and the dumps' JSON-LD lines. Every call goes through :func:`document_loader`,
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
from collections.abc import Iterable
from functools import cache
from typing import Any

from pyld import jsonld

from alm_ld.errors import EXIT_INVALID, AlmLdError, InvalidFeed, NotFound
from alm_ld.resources import AS2_CONTEXT_URL, CONTEXT_URL, context_document
from alm_ld.vocab import XSD_STRING

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


# -- graph → compact JSON-LD with our own context, without a JSON-LD processor ---------------
#
# pyld compaction costs milliseconds per node (a 10,000-item feed: ~25 s). Our context is our
# own and fixed, so the same shape is built from a table derived from the packaged context
# itself (it cannot drift from it). A term is used only where its coercion matches the value
# exactly; anything else is written in the expanded, always-correct form (full IRI keys,
# ``{"@id"}`` and ``{"@value", "@type"}`` objects). tests/exchange/test_jsonld_lines.py checks
# that pyld reads every line as the same RDF as pyld's own compaction of the same graph.

_TOKEN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
_ALWAYS_ARRAY = frozenset({"sameAs"})
"""Terms written as an array even for one value (the rest: a lone value stands alone)."""


@cache
def _term_table() -> tuple[dict[str, tuple[str, str | None]], dict[str, str], frozenset[str]]:
    """(predicate IRI → (term, coercion IRI or '@id' / '@vocab NS' / None), class IRI → term,
    every term of the context)."""
    ctx = context_document()["@context"]
    prefixes = {k: v for k, v in ctx.items() if isinstance(v, str) and v.endswith(("#", "/"))}

    def expand_term(value: str) -> str:
        prefix, sep, rest = value.partition(":")
        if sep and prefix in prefixes and not rest.startswith("//"):
            return prefixes[prefix] + rest
        return value

    predicates: dict[str, tuple[str, str | None]] = {}
    classes: dict[str, str] = {}
    for term, definition in ctx.items():
        if term.startswith("@") or term in prefixes:
            continue
        if isinstance(definition, str):
            if definition.startswith("@"):
                continue
            iri = expand_term(definition)
            if term[:1].isupper():
                classes.setdefault(iri, term)
            else:
                predicates.setdefault(iri, (term, None))
        elif isinstance(definition, dict) and "@id" in definition and term[:1].isupper():
            # a class with a type-scoped context (``Work`` aliases ``work`` to ``@id``)
            classes.setdefault(expand_term(definition["@id"]), term)
        elif isinstance(definition, dict) and "@id" in definition:
            if definition.get("@prefix") or "@container" in definition and \
                    definition["@container"] not in ("@set",):
                continue
            coercion = definition.get("@type")
            if coercion and not coercion.startswith("@"):
                coercion = expand_term(coercion)
            if coercion == "@vocab":
                scoped = (definition.get("@context") or {}).get("@vocab")
                if not scoped:
                    continue
                coercion = "@vocab " + scoped
            predicates.setdefault(expand_term(definition["@id"]), (term, coercion))
    return predicates, classes, frozenset(ctx)


def _compact_value(value: dict[str, Any], coercion: str | None) -> Any:
    """One expanded value object (``{"@id"}`` or ``{"@value"[, "@type" | "@language"]}``)
    as the term with ``coercion`` writes it."""
    ref = value.get("@id")
    if ref is not None:
        if coercion == "@id":
            return ref
        if coercion and coercion.startswith("@vocab ") and not ref.startswith("_:"):
            namespace = coercion[len("@vocab "):]
            rest = ref[len(namespace):]
            if ref.startswith(namespace) and _TOKEN.match(rest) \
                    and rest not in _term_table()[2]:
                return rest  # e.g. "metric": "citations"
        return {"@id": ref}
    lexical = value["@value"]
    if "@language" in value:
        return {"@value": lexical, "@language": value["@language"]}
    datatype = value.get("@type", XSD_STRING)
    if (coercion is None and datatype == XSD_STRING) or coercion == datatype:
        return lexical
    if datatype == XSD_STRING:
        return {"@value": lexical}
    return {"@value": lexical, "@type": datatype}


def _compact_node(node: dict[str, Any]) -> dict[str, Any]:
    predicates, classes, _ = _term_table()
    doc: dict[str, Any] = {"id": node["@id"]}
    types = node.get("@type")
    if types:
        doc["type"] = [classes.get(t, t) for t in sorted(types)]
    values: dict[str, list[Any]] = {}
    for predicate, objects in node.items():
        if predicate[:1] == "@":
            continue
        term, coercion = predicates.get(predicate, (predicate, None))
        found = values.setdefault(term, [])
        found.extend(_compact_value(value, coercion) for value in objects)
    for key in sorted(values):
        items = values[key]
        doc[key] = items[0] if len(items) == 1 and key not in _ALWAYS_ARRAY else items
    return doc


def compact_nodes(nodes: Iterable[dict[str, Any]], context_url: str = CONTEXT_URL,
                  first: str | None = None) -> dict[str, Any]:
    """Expanded JSON-LD node objects (``{"@id", "@type": [IRIs], IRI: [value objects]}``; blank
    nodes ``_:label``) as ``{"@context": context_url, "@graph": [...]}`` compacted with the
    v1 context's terms: nodes ordered by IRI, blank nodes last, ``first`` leading; the keys of
    each node sorted, the values of a key in the order given. The one home of this shape: the
    web's JSON-LD answers and the dumps' JSON-LD lines both come from here."""
    ordered = sorted(nodes, key=lambda n: (n["@id"] != first, n["@id"].startswith("_:"),
                                           n["@id"]))
    return {"@context": context_url, "@graph": [_compact_node(n) for n in ordered]}
