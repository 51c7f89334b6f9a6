"""The one place SPARQL and N-Triples text is made from values: namespaces, prefixes, terms.

Queries are plain strings (oxrdflib runs strings inside Oxigraph but sends prepared queries to
rdflib's slow engine — see PITFALLS.md), so request and feed values have to be written into the
text. They are written only through :func:`iri`, :func:`literal` and :func:`values`:

* :func:`iri` **refuses** (raises :class:`~alm_ld.errors.InvalidIdentifier`) anything that is not
  an absolute RFC 3987 IRI by :func:`alm_ld.identifiers.iri_problem`. It never escapes silently:
  an IRI quietly rewritten would name another resource, and a valid IRI cannot contain any
  character that ends ``<…>`` (``>``, space, controls, ``"{}|\\^```).
* :func:`literal` escapes what a SPARQL / N-Triples ``"…"`` string may not hold raw.

The PREFIX header is defined here once; callers ask for it with :func:`prefixes`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from alm_ld.errors import InvalidIdentifier, UsageError
from alm_ld.identifiers import checked_iri
from alm_ld.vocab import (
    ALM_NS,
    CATEGORIES_NS,
    CITO_NS,
    DCTERMS_NS,
    ID_NS,
    METRICS_NS,
    OWL,
    PROV,
    QB_NS,
    RDF,
    RDFS,
    RELATIONS_NS,
    SCHEMA_NS,
    SKOS,
    SOURCES_NS,
    XSD,
)

# The namespaces as strings, from their one definition (alm_ld/vocab.py, or rdflib for W3C's).
PROV_NS = str(PROV)
XSD_NS = str(XSD)
RDF_NS = str(RDF)
RDFS_NS = str(RDFS)
OWL_NS = str(OWL)
SKOS_NS = str(SKOS)

NAMESPACES: dict[str, str] = {
    "alm": ALM_NS, "almm": METRICS_NS, "almr": RELATIONS_NS, "almsrc": SOURCES_NS,
    "almcat": CATEGORIES_NS, "almid": ID_NS, "prov": PROV_NS, "xsd": XSD_NS, "rdf": RDF_NS,
    "rdfs": RDFS_NS, "dcterms": DCTERMS_NS, "cito": CITO_NS, "schema": SCHEMA_NS,
    "owl": OWL_NS, "skos": SKOS_NS, "qb": QB_NS,
}
"""Prefix → namespace, for every query alm-ld writes (schema.org over http, as stored)."""


def prefixes(*names: str) -> str:
    """The ``PREFIX`` lines for ``names`` (all namespaces when none are named)."""
    chosen = names or tuple(NAMESPACES)
    return "".join(f"PREFIX {name}: <{NAMESPACES[name]}>\n" for name in chosen)


PREFIXES = prefixes()
"""Every prefix of :data:`NAMESPACES`; unused PREFIX lines cost the parser nothing measurable."""

_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LANGUAGE = re.compile(r"[A-Za-z]+(?:-[A-Za-z0-9]+)*")
_LITERAL_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_SURROGATE = re.compile("[\ud800-\udfff]")


def iri(value: str) -> str:
    """``<value>`` for a valid absolute IRI; else :class:`InvalidIdentifier` (never escaped)."""
    return f"<{checked_iri(value, 'IRI')}>"


def literal(value: str | int, datatype: str | None = None, lang: str | None = None) -> str:
    """A literal in SPARQL and N-Triples syntax: ``"text"``, ``"text"^^<dt>``, ``"text"@lang``.

    Integers without a datatype are written bare (SPARQL only; N-Triples writers pass a
    datatype). Text that is not Unicode text (an unpaired surrogate) is refused."""
    if isinstance(value, bool):
        value = "true" if value else "false"
        datatype = datatype or XSD_NS + "boolean"
    elif isinstance(value, int):
        if datatype is None and lang is None:
            return str(value)
        value = str(value)
    if _SURROGATE.search(value):
        raise UsageError(f"{value[:100]!r} is not text (it holds an unpaired surrogate).")
    text = '"' + value.translate(_LITERAL_ESCAPES) + '"'
    if lang is not None:
        if datatype is not None or not _LANGUAGE.fullmatch(lang):
            raise UsageError(f"{lang!r} is not a language tag for a plain literal.")
        return f"{text}@{lang}"
    return f"{text}^^{iri(datatype)}" if datatype else text


def escape_string(value: str) -> str:
    """The inside of a ``"…"`` literal (for writers that build literals in bulk, as mapping)."""
    return value.translate(_LITERAL_ESCAPES)


def variable(name: str) -> str:
    """``?name`` for a variable name made of letters, digits and ``_``."""
    if not _VARIABLE.fullmatch(name):
        raise UsageError(f"{name!r} is not a SPARQL variable name.")
    return f"?{name}"


def values(var: str, iris: Iterable[str]) -> str:
    """``VALUES ?var { <a> <b> }``: each IRI checked by :func:`iri`."""
    return f"VALUES {variable(var)} {{ " + " ".join(iri(v) for v in iris) + " }"


def bind_iri(query: str, var: str, value: str) -> str:
    """``query`` with every ``?var`` (as a whole variable name) replaced by ``<value>``.

    For fixed-shape queries whose variable is better inlined than joined through VALUES."""
    term = iri(value)
    return re.sub(rf"[?$]{re.escape(variable(var)[1:])}(?![A-Za-z0-9_])", lambda _: term, query)


def with_base(query: str, base_iri: str) -> str:
    """``query`` under ``BASE <base_iri>``, so its relative IRIs resolve against the service
    (SPARQL 1.1 Protocol tests resolve ``<s>`` against the endpoint; engines without a base
    refuse relative IRIs). A BASE of the query's own still applies after this one."""
    return f"BASE {iri(base_iri)}\n{query}"


def conditional_write(inserts: Iterable[tuple[str, Iterable[str]]],
                      deletes: Iterable[tuple[str, Iterable[str]]], condition: str) -> str:
    """ONE ``DELETE {…} INSERT {…} WHERE { condition }`` operation writing the ground
    N-Triples lines ``inserts`` and removing ``deletes``, each ``(graph IRI, lines)``.

    One operation, not one per graph: the store evaluates ``condition`` once, so a condition
    the write itself falsifies (a claim's sequence not yet published, the view's mark) holds
    for every graph of it — separate operations of one request would each re-test it."""
    def blocks(parts: Iterable[tuple[str, Iterable[str]]]) -> str:
        out = []
        for name, lines in parts:
            body = "\n".join(line for line in lines if line.strip())
            if body:
                out.append(f"GRAPH {iri(name)} {{\n{body}\n}}")
        return "\n".join(out)

    gone, added = blocks(deletes), blocks(inserts)
    delete = f"DELETE {{\n{gone}\n}}\n" if gone else ""
    return f"{delete}INSERT {{\n{added}\n}}\nWHERE {{ {condition} }}"


__all__ = ["CITO_NS", "DCTERMS_NS", "NAMESPACES", "OWL_NS", "PREFIXES", "PROV_NS", "QB_NS",
           "RDFS_NS", "RDF_NS", "SCHEMA_NS", "SKOS_NS", "XSD_NS", "InvalidIdentifier", "bind_iri",
           "conditional_write", "escape_string", "iri", "literal", "prefixes", "values",
           "variable", "with_base"]
