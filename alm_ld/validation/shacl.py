"""Check an RDF feed graph against the packaged SHACL shapes (the only module importing pyshacl).

The shapes (``shapes/feed-<profile>.shapes.ttl``, built by ``tools/build_shapes.py``) name, with
``almsh:rule``, the rule id of the JSON validator each constraint checks, so a feed sent as RDF
is refused with the same rule as its JSON form. Each SHACL validation result becomes one
:class:`~alm_ld.validation.problems.Problem` whose ``path`` reads ``<focus node> <result
path>`` and which carries both as ``focusNode`` and ``resultPath`` (there is no JSON path in a
graph).

pySHACL runs with no inference, no ``owl:imports`` and the shapes graph given explicitly, so
nothing in a submitted graph can make it load more shapes or fetch anything.
"""

from __future__ import annotations

from functools import cache

from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF
from rdflib.paths import Path as RdfPath
from rdflib.term import Node

from alm_ld.resources import shapes_path
from alm_ld.sparql_text import NAMESPACES
from alm_ld.validation.problems import Problem, excerpt
from alm_ld.vocab import ALM_NS

SH = Namespace("http://www.w3.org/ns/shacl#")
ALMSH = Namespace("https://w3id.org/alm-ld/shapes#")

# A constraint with no almsh:rule gets a rule from its SHACL component: the schema.* id of the
# JSON Schema keyword that says the same thing, else ``shacl.<component>``.
_COMPONENT_RULES = {
    "MinCountConstraintComponent": "schema.required",
    "DatatypeConstraintComponent": "schema.type",
    "NodeKindConstraintComponent": "schema.type",
    "ClassConstraintComponent": "schema.type",
    "InConstraintComponent": "schema.enum",
    "HasValueConstraintComponent": "schema.const",
    "MinInclusiveConstraintComponent": "schema.minimum",
    "PatternConstraintComponent": "schema.pattern",
    "MinLengthConstraintComponent": "schema.minLength",
    "ClosedConstraintComponent": "schema.additionalProperties",
}

_PREFIXES = {NAMESPACES[name]: f"{name}:"
             for name in ("alm", "almm", "almr", "prov", "dcterms", "schema", "owl", "rdf")}


@cache
def shapes_graph(profile: str) -> Graph:
    """The parsed shapes of ``profile`` (parsed once per process; callers must not modify)."""
    return Graph().parse(shapes_path(f"feed-{profile}.shapes.ttl"), format="turtle")


def warm_up() -> None:
    """Parse both shapes graphs now (server start), not on the first RDF feed."""
    for profile in ("base", "strict"):
        shapes_graph(profile)


def term_text(node: Node | None) -> str:
    """A term as written in N-Triples (``<iri>``, ``_:label``, ``"lexical"^^<datatype>``)."""
    if node is None:
        return ""
    if isinstance(node, RdfPath):
        return node.n3()
    return node.n3()


def _short(node: Node | None) -> str:
    """The result path as people read it: a prefixed name where alm-ld knows the prefix."""
    if isinstance(node, URIRef):
        for namespace, prefix in _PREFIXES.items():
            if str(node).startswith(namespace):
                return prefix + str(node)[len(namespace):]
    return term_text(node)


def _path_text(results: Graph, node: Node | None) -> str:
    """A SHACL path node as SPARQL property-path text (inverse paths as ``^p``)."""
    if node is None:
        return ""
    if isinstance(node, BNode):
        inverse = results.value(node, SH.inversePath)
        if inverse is not None:
            return "^" + _short(inverse)
    return _short(node)


def _annotation(results: Graph, shapes: Graph, node: Node | None, term: URIRef) -> Node | None:
    """An ``almsh:`` annotation of a shape: pySHACL copies blank-node shapes into the results
    graph, named shapes stay in the shapes graph."""
    if node is None:
        return None
    found = results.value(node, term)
    return found if found is not None else shapes.value(node, term)


def _rule(results: Graph, shapes: Graph, result: Node) -> str:
    for source in (results.value(result, SH.sourceConstraint),
                   results.value(result, SH.sourceShape)):
        rule = _annotation(results, shapes, source, ALMSH.rule)
        if rule is not None:
            return str(rule)
    component = results.value(result, SH.sourceConstraintComponent)
    name = str(component).rsplit("#", 1)[-1] if component is not None else "Constraint"
    return _COMPONENT_RULES.get(name, "shacl." + name.removesuffix("ConstraintComponent"))


def _message(results: Graph, result: Node) -> str:
    messages = [str(m) for m in results.objects(result, SH.resultMessage)]
    message = messages[0] if messages else "The graph does not conform to the shape."
    value = results.value(result, SH.value)
    if value is not None and value != results.value(result, SH.focusNode):
        shown = str(value) if isinstance(value, URIRef | Literal) else term_text(value)
        message += f" (value: {excerpt(shown)})"
    return message


ALM = Namespace(ALM_NS)


def _describe(data: Graph, focus: Node | None) -> str:
    """Where a blank node is, in words (its label is arbitrary): its type and work or feed."""
    if not isinstance(focus, BNode):
        return ""
    feed = data.value(None, ALM.disclosure, focus)
    if feed is not None:
        return f" (in the alm:disclosure of {term_text(feed)})"
    kinds = sorted(_short(kind) for kind in data.objects(focus, RDF.type))
    work = data.value(focus, ALM.work)
    what = " ".join(kinds) or "untyped node"
    return f" (in the {what}" + (f" of work {term_text(work)})" if work is not None else ")")


def shacl_problems(data: Graph, profile: str) -> list[Problem]:
    """Every SHACL result of ``data`` against ``profile``'s shapes, as problems (document order
    is not defined in a graph: sorted by focus node, then path, for a stable report)."""
    shapes = shapes_graph(profile)
    try:
        _, results, _ = shacl_validate(
            data, shacl_graph=shapes, inference="none", abort_on_first=False,
            allow_warnings=True, allow_infos=True, advanced=False, do_owl_imports=False,
            meta_shacl=False)
    except Exception as error:  # the engine's own errors: a report, never a 500
        text = " ".join(str(error).split())[:200]
        return [Problem("$", "shacl", f"The SHACL engine could not check this graph: {text}")]
    assert isinstance(results, Graph)
    problems = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        path_node = results.value(result, SH.resultPath)
        if path_node is None:
            path_node = _annotation(results, shapes, results.value(result, SH.sourceShape),
                                    ALMSH.resultPath)
        path = _path_text(results, path_node)
        severity = results.value(result, SH.resultSeverity)
        focus_text = term_text(focus)
        problems.append(Problem(
            f"{focus_text} {path}".strip(), _rule(results, shapes, result),
            _message(results, result) + _describe(data, focus),
            "error" if severity == SH.Violation else "warning",
            focus_node=focus_text, result_path=path or None))
    problems.sort(key=lambda p: (p.focus_node or "", p.result_path or "", p.rule, p.message))
    return problems
