"""RDF graph → JSON-LD compacted against the alm-ld context, without a JSON-LD processor.

pyld compaction costs milliseconds per document; this builds the same shape in microseconds
from a table derived from the packaged context itself (so it cannot drift from it). Terms are
used only where their coercion matches the value exactly; anything else is written in the
expanded, always-correct form (full IRI keys, ``{"@id"}`` and ``{"@value", "@type"}`` objects).
Tests check that a JSON-LD processor turns the output into a graph isomorphic to the input.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache
from typing import Any

from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from alm_ld.resources import context_document

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@cache
def _term_table() -> tuple[dict[str, tuple[str, str | None]], dict[str, str]]:
    """(predicate IRI → (term, coercion IRI or '@id'/'@vocab'/None), class IRI → term)."""
    ctx = context_document()["@context"]
    prefixes = {k: v for k, v in ctx.items() if isinstance(v, str) and v.endswith(("#", "/"))}

    def expand(value: str) -> str:
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
            iri = expand(definition)
            if term[:1].isupper():
                classes.setdefault(iri, term)
            else:
                predicates.setdefault(iri, (term, None))
        elif isinstance(definition, dict) and "@id" in definition and term[:1].isupper():
            # a class with a type-scoped context (``Work`` aliases ``work`` to ``@id``)
            classes.setdefault(expand(definition["@id"]), term)
        elif isinstance(definition, dict) and "@id" in definition:
            if definition.get("@prefix") or "@container" in definition and \
                    definition["@container"] not in ("@set",):
                continue
            coercion = definition.get("@type")
            if coercion and not coercion.startswith("@"):
                coercion = expand(coercion)
            if coercion == "@vocab":
                scoped = (definition.get("@context") or {}).get("@vocab")
                if not scoped:
                    continue
                coercion = "@vocab " + scoped
            predicates.setdefault(expand(definition["@id"]), (term, coercion))
    return predicates, classes


def _node_id(node: Node) -> str:
    return f"_:{node}" if isinstance(node, BNode) else str(node)


_TOKEN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


@cache
def _terms() -> frozenset[str]:
    return frozenset(context_document()["@context"])


def _value(node: Node, coercion: str | None) -> Any:
    if isinstance(node, (URIRef, BNode)):
        if coercion == "@id":
            return _node_id(node)
        if coercion and coercion.startswith("@vocab ") and isinstance(node, URIRef):
            namespace, text = coercion[len("@vocab "):], str(node)
            rest = text[len(namespace):]
            if text.startswith(namespace) and _TOKEN.match(rest) and rest not in _terms():
                return rest  # e.g. "metric": "citations"
        return {"@id": _node_id(node)}
    assert isinstance(node, Literal)
    lexical = str(node)
    if node.language:
        return {"@value": lexical, "@language": node.language}
    datatype = str(node.datatype) if node.datatype else XSD_STRING
    if coercion is None and datatype == XSD_STRING:
        return lexical
    if coercion == datatype:
        return lexical
    if datatype == XSD_STRING:
        return {"@value": lexical}
    return {"@value": lexical, "@type": datatype}


def _node(graph: Graph, subject: Node) -> dict[str, Any]:
    predicates, classes = _term_table()
    doc: dict[str, Any] = {"id": _node_id(subject)}
    types = sorted(str(t) for t in graph.objects(subject, RDF.type))
    if types:
        doc["type"] = [classes.get(t, t) for t in types]
    values: dict[str, list[Any]] = defaultdict(list)
    for predicate, obj in sorted(graph.predicate_objects(subject)):
        if predicate == RDF.type:
            continue
        term, coercion = predicates.get(str(predicate), (str(predicate), None))
        if term == str(predicate):
            coercion = None
        values[term].append(_value(obj, coercion))
    for key in sorted(values):
        items = values[key]
        doc[key] = items[0] if len(items) == 1 and key != "sameAs" else items
    return doc


def graph_to_jsonld(graph: Graph, context_url: str, first: Node | None = None) -> dict[str, Any]:
    """A ``{"@context": context_url, "@graph": [...]}`` document; ``first`` leads the graph."""
    subjects = sorted(set(graph.subjects()), key=lambda s: (s != first, isinstance(s, BNode),
                                                          str(s)))
    return {"@context": context_url, "@graph": [_node(graph, s) for s in subjects]}
