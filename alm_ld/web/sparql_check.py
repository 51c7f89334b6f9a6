"""What a SPARQL request asks for, and whether this endpoint will run it — pure functions.

The text is parsed with rdflib's SPARQL grammar (not regular expressions), so ``SERVICE`` inside
a string literal or a comment is not mistaken for a federated query, and an update disguised with
comments is still recognised. pyparsing is not thread-safe, so parsing is serialised by a lock;
it is fast (milliseconds) next to evaluation.

The public endpoint is read-only and never reaches out of the store:

* updates (INSERT/DELETE/LOAD/CLEAR/…) are refused — ingest goes through ``POST /feeds``;
* ``SERVICE`` is refused — a federated query would make this server fetch arbitrary URLs;
* the dataset (``FROM`` / ``FROM NAMED`` in the query, or ``default-graph-uri`` /
  ``named-graph-uri`` in the request, which win over the query's, SPARQL 1.1 Protocol §2.1.4)
  is resolved here against the graphs the store holds (:func:`resolve_dataset`) and passed to
  the store explicitly: a graph the store does not hold is an empty graph, never fetched from
  the web or read from a file.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pyparsing import ParseBaseException
from rdflib.plugins.sparql.algebra import translatePrologue
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue

from alm_ld.errors import MalformedQuery, QueryRefused

try:  # one lock for every pyparsing use in the process, shared with the memory: backend
    from alm_ld.store.memory import PARSE_LOCK as _PARSER_LOCK
except ImportError:  # pragma: no cover - backend not installed
    _PARSER_LOCK = threading.Lock()

_FORMS = {
    "SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}


@dataclass(frozen=True)
class QueryInfo:
    """The facts about a query that the protocol layer needs."""

    form: str
    from_graphs: tuple[str, ...] = ()
    from_named_graphs: tuple[str, ...] = ()
    uses_service: bool = False
    names: frozenset[str] = field(default_factory=frozenset)

    @property
    def returns_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


def _walk(node: Any) -> Iterator[CompValue]:
    if isinstance(node, CompValue):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, (list, tuple)) or hasattr(node, "asList"):
        for value in node:
            yield from _walk(value)


def _syntax_error(error: ParseBaseException, text: str) -> MalformedQuery:
    line = getattr(error, "lineno", None)
    column = getattr(error, "col", None)
    return MalformedQuery(
        f"The query is not valid SPARQL 1.1: {error.msg} (line {line}, column {column}).",
        line=line, column=column)


def _is_update(text: str) -> bool:
    try:
        with _PARSER_LOCK:
            parseUpdate(text)
    except Exception:  # noqa: BLE001 - any failure just means "not an update either"
        return False
    return True


# Lexical fast path. Parsing with pyparsing costs ~5 ms per query and holds a process-wide lock
# (profiled: 80% of a point query on /sparql, and it serialises concurrent requests), so a query
# that plainly names no dataset and calls no other service is judged from its tokens instead:
#
# * a text with a backslash anywhere takes the full parse: a \u escape can spell any character
#   (SPARQL 1.1 §19.2), and an escaped local name such as ex:a\#b would mislead the tokenizer;
# * strings (short and long), IRIs and comments are blanked where SPARQL's lexical grammar puts
#   them (§19.8). An IRIREF holds no space, brace, quote or "<", so nothing taken for an IRI can
#   hide a SERVICE keyword followed by the group a SERVICE clause needs;
# * what is left is searched for "service" and "from" in any case. Oxigraph reads a keyword
#   without any boundary on either side (tested: ``SERVICEc:x {}``, ``SERVICESILENT``,
#   ``?o 1SERVICE <u> {}``, ``FROMc:g`` all parse), so every occurrence counts except one glued
#   behind a variable's or a prefixed name's own characters (``?from``, ``prov:wasDerivedFrom``):
#   variables and names are maximal tokens, so those letters can never be read as the keyword
#   (tested too: ``?oSERVICE <u> {}`` and ``c:oSERVICE <u> {}`` are syntax errors). Anything
#   less plain (``ex:a-from``, ``ex:.service``, a non-ASCII letter before it) counts.
#
# A keyword that counts means the full parse, which refuses SERVICE and reads the dataset. The
# query form is read past the prologue (it only picks the result formats; the store re-checks
# it). A syntax error slipping through is reported by the store, and the view re-runs the full
# parse for the detailed problem (line, column). This is not the last line against SERVICE:
# the query worker processes have no network at all (alm_ld.store.sandbox).
_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\n\r]*")
_PROLOGUE = re.compile(r"\s*(?:(?:PREFIX\s+[^\s:]*:|BASE)\s*)*", re.IGNORECASE)
_FORM = re.compile(r"(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", re.IGNORECASE)
_RISKY = re.compile(r"service|from", re.IGNORECASE)


_GLUE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_NAME = _GLUE | frozenset(".-:")


def _in_variable_or_name(skeleton: str, start: int) -> bool:
    """True when the word at ``start`` continues a variable or a prefixed name (see above)."""
    j = start - 1
    if j < 0:
        return False
    if skeleton[j] in "?$:":
        return True  # ?from, ex:service, _:from: the word starts a variable's or a local name
    if skeleton[j] not in _GLUE:
        return False
    while j >= 0 and skeleton[j] in _GLUE:
        j -= 1
    if j >= 0 and skeleton[j] in "?$":
        return True  # ?from, $xservice: one VARNAME
    while j >= 0 and skeleton[j] in _NAME:
        if skeleton[j] == ":":  # prov:wasDerivedFrom, _:bfrom: one name, if its local part
            return skeleton[j + 1] in _GLUE or skeleton[j + 1] == ":"  # starts as one can
        j -= 1
    return False


def quick_analysis(text: str) -> QueryInfo | None:
    """The :class:`QueryInfo` of a plainly safe query without parsing it, or None (see above)."""
    if "\\" in text:
        return None
    skeleton = _OPAQUE.sub(" ", text)
    for word in _RISKY.finditer(skeleton):
        if not _in_variable_or_name(skeleton, word.start()):
            return None
    prologue = _PROLOGUE.match(skeleton)
    form = _FORM.match(skeleton, prologue.end() if prologue else 0)
    return QueryInfo(form.group(1).upper()) if form else None


def analyse_query(text: str, *, full: bool = False) -> QueryInfo:
    """Parse ``text``; raise :class:`MalformedQuery` or :class:`QueryRefused`, else describe it.

    Plainly safe queries are judged lexically (:func:`quick_analysis`) unless ``full``."""
    if not text.strip():
        raise MalformedQuery("The query is empty.")
    if not full:
        quick = quick_analysis(text)
        if quick is not None:
            return quick
    try:
        with _PARSER_LOCK:
            parsed = parseQuery(text)
    except ParseBaseException as error:
        if _is_update(text):
            raise refuse_update()
        raise _syntax_error(error, text)
    except Exception as error:  # rdflib raises plain Exception for some grammar checks
        raise MalformedQuery(f"The query is not valid SPARQL 1.1: {error}.")
    prologue_node, query = parsed[0], parsed[1]
    form = _FORMS.get(query.name)
    if form is None:
        raise MalformedQuery(f"Unsupported query form {query.name}.")
    names = frozenset(node.name for node in _walk(parsed))
    uses_service = "ServiceGraphPattern" in names
    if uses_service:
        raise QueryRefused(
            "SERVICE (federated query) is not allowed on this endpoint: it would make the "
            "server fetch other endpoints. Query the other service yourself and join locally.",
            feature="SERVICE")
    from_graphs: list[str] = []
    from_named: list[str] = []
    clauses = query.get("datasetClause") if "datasetClause" in query else None
    if clauses:
        try:
            prologue = translatePrologue(prologue_node, None)
            for clause in clauses:
                if "default" in clause:
                    from_graphs.append(str(prologue.absolutize(clause["default"])))
                else:
                    from_named.append(str(prologue.absolutize(clause["named"])))
        except Exception as error:
            raise MalformedQuery(f"The query's FROM clause is not valid: {error}.")
    return QueryInfo(form, tuple(from_graphs), tuple(from_named), uses_service, names)


def refuse_update() -> QueryRefused:
    return QueryRefused(
        "SPARQL Update (INSERT, DELETE, LOAD, CLEAR, CREATE, DROP, COPY, MOVE, ADD) is not "
        "accepted: this endpoint is read-only. Send data as a feed to POST /feeds instead.",
        feature="update")


EMPTY_GRAPH = "urn:x-alm-ld:empty-graph"
"""Stands for an empty default graph when no graph of a dataset's default graph is held: a URN
nobody can dereference, so even a remote store that might load a graph it lacks (``sparql:``
backends) has nothing to fetch. Never a named graph: ``GRAPH ?g {}`` would bind it."""


def resolve_dataset(info: QueryInfo, protocol_default: tuple[str, ...],
                    protocol_named: tuple[str, ...], held: set[str]
                    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The (default graphs, named graphs) to evaluate with; ``((), ())`` is the service's own
    dataset (default graph = union of all graphs, every graph named).

    A dataset given in the request replaces the query's FROM / FROM NAMED entirely (SPARQL 1.1
    Protocol §2.1.4), so only one is used. Within the chosen dataset, as in SPARQL 1.1 Query
    §13.2, an unspecified default graph is empty and unspecified named graphs are none. A graph
    not in ``held`` holds no triples here and its IRI must never reach an engine that could
    dereference it: it is left out of the named graphs (an empty tuple there means "no named
    graphs" once a default graph is given), and a default graph made of such graphs only is
    :data:`EMPTY_GRAPH`."""
    if protocol_default or protocol_named:
        default, named = protocol_default, protocol_named
    elif info.from_graphs or info.from_named_graphs:
        default, named = info.from_graphs, info.from_named_graphs
    else:
        return (), ()
    kept_default = tuple(dict.fromkeys(g for g in default if g in held))
    kept_named = tuple(dict.fromkeys(g for g in named if g in held))
    return kept_default or (EMPTY_GRAPH,), kept_named
