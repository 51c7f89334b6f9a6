"""Running the analytics queries and turning result rows into plain Python.

The SPARQL text itself — prefixes, :func:`iri`, :func:`literal`, VALUES — comes from
:mod:`alm_ld.sparql_text`, the one module that writes values into queries (re-exported here for
the analytics modules).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from alm_ld.sparql_text import PREFIXES, PROV_NS, XSD_NS, iri, literal, values
from alm_ld.store.base import Store
from alm_ld.store.results import TSV

__all__ = ["PREFIXES", "PROV_NS", "XSD_NS", "iri", "iri_rows", "literal", "plain", "select",
           "select_ids", "short", "values_clause"]


def iri_rows(rows: Sequence[tuple[str, ...]], per_query: int) -> Iterator[str]:
    """The body of a VALUES block for each ``per_query`` rows of IRIs: ``(<a> <b>) …`` for
    rows of several IRIs, ``<a> …`` for rows of one (one query per block: a long VALUES list
    is joined by looking each row up, and a query's text must stay small)."""
    for start in range(0, len(rows), per_query):
        yield " ".join(iri(row[0]) if len(row) == 1 else
                       "(" + " ".join(iri(part) for part in row) + ")"
                       for row in rows[start:start + per_query])


def values_clause(var: str, iris: Iterable[str]) -> str:
    """``VALUES ?var { … }`` (see :func:`alm_ld.sparql_text.values`)."""
    return values(var, iris)


def plain(node: Node | None) -> Any:
    """A result term as Python: IRIs and lexical forms as ``str``, integers as ``int``."""
    if node is None:
        return None
    if isinstance(node, Literal):
        if node.datatype is not None and str(node.datatype) in _INTEGER_TYPES:
            try:
                return int(str(node))
            except ValueError:
                return str(node)
        if node.datatype is not None and str(node.datatype) == XSD_NS + "decimal":
            return float(str(node))
        text = str(node)
        if node.datatype is not None and str(node.datatype) == XSD_NS + "dateTime":
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return text
    if isinstance(node, URIRef):
        return str(node)
    return str(node)


_INTEGER_TYPES = {XSD_NS + t for t in (
    "integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger",
    "unsignedInt", "unsignedLong")}


def select(store: Store, query: str, *, timeout: float | None = None) -> list[dict[str, Any]]:
    """Run a SELECT (with :data:`PREFIXES` prepended) and return rows of plain values."""
    result = store.query(PREFIXES + query, timeout=timeout)
    return [{key: plain(value) for key, value in row.items()} for row in result.rows]


Cell = str | int | None


def select_ids(store: Store, query: str, *, timeout: float | None = None
               ) -> Iterator[tuple[Cell, ...]]:
    """The rows of a SELECT (with :data:`PREFIXES` prepended) whose answers are IRIs and
    integers only, as tuples in the query's variable order (IRIs as ``str``, integers as
    ``int``, unbound as None), read from the store's TSV answer as it streams.

    Why: :func:`select` turns every cell into an rdflib term and back, ~15 µs a row; the
    large reads (the whole current-value view, the series of every feed a catch-up folds)
    return millions of rows of IRIs and counts, which TSV gives as ``<iri>`` and bare digits
    on every backend (:mod:`alm_ld.store.results` writes it alike): ~5 µs a row, measured.
    A cell of another kind is a :class:`ValueError` (a literal needs :func:`select`)."""
    _, chunks = store.query_serialized(PREFIXES + query, TSV, timeout=timeout)
    rest = b""
    header = True
    for chunk in chunks:
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        for line in lines:
            if header:
                header = False
            elif line:
                yield tuple(_id_cell(cell) for cell in line.decode("utf-8").split("\t"))
    if rest and not header:
        yield tuple(_id_cell(cell) for cell in rest.decode("utf-8").split("\t"))


_TYPED_INTEGER = re.compile(r'"([+-]?[0-9]+)"\^\^<(.*)>')


def _id_cell(cell: str) -> Cell:
    if cell.startswith("<") and cell.endswith(">"):
        return cell[1:-1]
    if not cell:
        return None
    if cell.lstrip("+-").isdigit():
        return int(cell)
    typed = _TYPED_INTEGER.fullmatch(cell)
    if typed and typed.group(2) in _INTEGER_TYPES:
        return int(typed.group(1))
    raise ValueError(f"select_ids reads IRIs and integers only, not {cell[:80]!r}")


def short(value: str | None, namespace: str) -> str | None:
    """``almm:citations`` → ``citations`` for concepts of our own schemes; other IRIs unchanged.

    The short form is what the alm-ld context's ``@vocab``-typed terms (``metric``, ``source``,
    ``relation``) expand back to the full IRI, so documents stay valid JSON-LD.
    """
    if value and value.startswith(namespace):
        rest = value[len(namespace):]
        if rest and "/" not in rest and ":" not in rest:
            return rest
    return value
