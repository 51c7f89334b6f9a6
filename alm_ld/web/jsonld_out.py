"""An rdflib graph as JSON-LD compacted against the alm-ld context.

Only the rdflib side lives here (the core may not import rdflib): the graph becomes expanded
node objects, and :func:`alm_ld.jsonld.compact_nodes` — the one table-driven compactor, also
used by the dumps' JSON-LD lines — gives them their compact shape.
"""

from __future__ import annotations

from typing import Any

from rdflib import RDF, BNode, Graph, Literal
from rdflib.term import Node

from alm_ld.jsonld import compact_nodes
from alm_ld.vocab import XSD_STRING


def _node_id(node: Node) -> str:
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def _expanded_value(node: Node) -> dict[str, Any]:
    if not isinstance(node, Literal):
        return {"@id": _node_id(node)}
    if node.language:
        return {"@value": str(node), "@language": node.language}
    if node.datatype and str(node.datatype) != XSD_STRING:
        return {"@value": str(node), "@type": str(node.datatype)}
    return {"@value": str(node)}


def expanded_nodes(graph: Graph) -> list[dict[str, Any]]:
    """Every subject of ``graph`` as an expanded node object; a key's values in rdflib's term
    order (deterministic: the same graph gives the same document)."""
    nodes = []
    for subject in set(graph.subjects()):
        node: dict[str, Any] = {"@id": _node_id(subject)}
        for predicate, obj in sorted(graph.predicate_objects(subject)):
            if predicate == RDF.type and not isinstance(obj, Literal):
                node.setdefault("@type", []).append(_node_id(obj))
            else:
                node.setdefault(str(predicate), []).append(_expanded_value(obj))
        nodes.append(node)
    return nodes


def graph_to_jsonld(graph: Graph, context_url: str, first: Node | None = None) -> dict[str, Any]:
    """A ``{"@context": context_url, "@graph": [...]}`` document; ``first`` leads the graph."""
    return compact_nodes(expanded_nodes(graph), context_url,
                         None if first is None else _node_id(first))
