"""The lexical check finds SERVICE and FROM wherever Oxigraph would read them.

:func:`alm_ld.web.sparql_check.quick_analysis` lets a query skip the full parse when it holds no
SERVICE and no FROM. Oxigraph reads keywords without word boundaries (``SERVICEc:x``,
``1SERVICE``, ``FROMc:g`` all parse), so the check is measured against the engine itself: every
query built here from the awkward neighbours a keyword can have is either declined by the check,
or evaluated by a real (in-memory) Oxigraph store and shown to call no service and read no FROM
graph. The oracle for SERVICE costs no network: Oxigraph refuses port 9 before connecting
("The port 9 is not allowed"), so a SERVICE it evaluates fails with that message.
"""

from __future__ import annotations

import itertools

import pyoxigraph as ox
import pytest

from alm_ld.web.sparql_check import analyse_query, quick_analysis

PREFIXES = "PREFIX c: <http://example.org/> PREFIX nine: <http://127.0.0.1:9/>\n"
BEFORE = ["", " ", "1", "1.5", "1e5", "true", "?o", "?o.", "$o", "c:o", "c:o.", "c:.", "c:.1",
          "c:o-", "c:a.b", "_:b", "'x'", '"x"', "'x'@en", "<urn:x>", ")", ".", "}", "c:é", "é",
          "#c\n", "'''x'''", "?o ", "c:"]
KEYWORDS = ["SERVICE", "service", "sErViCe"]
AFTER = [" <http://127.0.0.1:9/>", "<http://127.0.0.1:9/>", "nine:x", " nine:x",
         " SILENT <http://127.0.0.1:9/>", "SILENT<http://127.0.0.1:9/>", "#c\n<http://127.0.0.1:9/>"]
PLACES = [
    "SELECT * WHERE {{ ?s ?p {b}{k}{a} {{ }} }}",
    "SELECT * WHERE {{ {b}{k}{a} {{ }} }}",
    "SELECT * WHERE {{ ?s ?p ?o FILTER(1){b}{k}{a} {{ }} }}",
    "ASK {{ {{ SELECT * WHERE {{ ?s ?p {b}{k}{a} {{ }} }} }} }}",
]


XSD = "http://www.w3.org/2001/XMLSchema#"
OBJECTS = [  # one triple for each term BEFORE can end in, so no join is empty before SERVICE
    ox.NamedNode("urn:c"), ox.NamedNode("urn:x"), ox.NamedNode("http://example.org/"),
    ox.NamedNode("http://example.org/o"), ox.NamedNode("http://example.org/o-"),
    ox.NamedNode("http://example.org/a.b"), ox.NamedNode("http://example.org/é"),
    ox.Literal("x"), ox.Literal("x", language="en"),
    ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")),
    ox.Literal("1.5", datatype=ox.NamedNode(XSD + "decimal")),
    ox.Literal("1e5", datatype=ox.NamedNode(XSD + "double")),
    ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean")),
]


def _store() -> ox.Store:
    store = ox.Store()
    for term in OBJECTS:
        store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:b"), term))
    return store


def _service_queries() -> list[str]:
    return [PREFIXES + place.format(b=b, k=k, a=a)
            for place, b, k, a in itertools.product(PLACES, BEFORE, KEYWORDS, AFTER)]


def test_no_query_the_check_lets_through_calls_a_service() -> None:
    store, passed, evaluated = _store(), 0, 0
    for query in _service_queries():
        if quick_analysis(query) is None:
            continue
        passed += 1
        try:
            result = store.query(query, use_default_graph_as_union=True)
            if isinstance(result, ox.QuerySolutions):
                list(result)
            evaluated += 1
        except SyntaxError:
            continue
        except OSError as error:
            pytest.fail(f"the check let through a SERVICE call ({error}): {query!r}")
    # The test means something only if the check does let lookalikes through and the engine
    # evaluates some of them (variables and names glued to the word).
    assert passed and evaluated, (passed, evaluated)


FROM_BEFORE = ["", " ", "*", ")", "?x", "1", "c:o", "c:o.", "c:.", "'x'", "<urn:x>", "#c\n", "?x "]
FROM_AFTER = [" <urn:empty>", "<urn:empty>", "c:empty", " c:empty", " NAMED <urn:empty>",
              "NAMED<urn:empty>"]


def test_no_query_the_check_lets_through_reads_a_from_graph() -> None:
    """FROM <urn:empty> makes the default graph empty: the triples must still be found."""
    store, passed = _store(), 0
    for before, keyword, after in itertools.product(FROM_BEFORE, ["FROM", "from", "FrOm"],
                                                    FROM_AFTER):
        for query in (f"{PREFIXES}SELECT ?s {before}{keyword}{after} WHERE {{ ?s ?p ?o }}",
                      f"{PREFIXES}SELECT (1 AS ?x){before}{keyword}{after} {{ ?s ?p ?o }}"):
            if quick_analysis(query) is None:
                continue
            passed += 1
            try:
                rows = list(store.query(query))  # the triples are in the default graph
            except SyntaxError:
                continue
            assert rows, f"the check let through a FROM clause: {query!r}"
    assert passed


INNOCENT = {  # keywords' letters where no keyword is: taken by the check, same form as parsed
    "variable": "SELECT ?from ?service WHERE { ?from ?p ?service }",
    "prefixed names": "PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX s: <http://schema.org/>\n"
                      "SELECT ?a WHERE { ?a prov:wasDerivedFrom ?b ; s:serviceType ?t }",
    "in a string": 'SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1:9/> { }" }',
    "in a long string": "SELECT * WHERE { ?s ?p '''from\nSERVICE <http://127.0.0.1:9/> { }''' }",
    "in a comment": "# SERVICE <http://127.0.0.1:9/> and FROM <urn:g>\nASK { ?s ?p ?o }",
    "in an IRI": "SELECT * WHERE { ?s <http://example.org/service#from> ?o }",
    "blank node label": "SELECT * WHERE { _:from ?p ?o }",
    "nested subquery": "SELECT * WHERE { { SELECT ?from WHERE { ?from ?p ?o } LIMIT 1 } }",
}
DECLINED = {  # the check cannot tell, or it is a real clause: the full parse decides
    "FROM clause": "SELECT * FROM <urn:g> WHERE { ?s ?p ?o }",
    "SERVICE clause": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { } }",
    "glued to the endpoint": "PREFIX c: <http://127.0.0.1:9/> SELECT * WHERE { SERVICEc:x { } }",
    "after a number": "SELECT * WHERE { ?s ?p 1SERVICE <http://127.0.0.1:9/> { } }",
    "after a dot": "SELECT * WHERE { ?s ?p ?o.SERVICE <http://127.0.0.1:9/> { } }",
    "after an empty local name": "PREFIX c: <http://x/> SELECT * WHERE { ?s ?p c:.SERVICE "
                                 "<http://127.0.0.1:9/> { } }",
    "\\u escape": "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { } }",
    "a local name ex:a-service": "PREFIX ex: <http://x/> SELECT * WHERE { ?s ?p ex:a-service }",
}


@pytest.mark.parametrize("name", INNOCENT)
def test_lookalikes_skip_the_parser_with_the_parsed_form(name: str) -> None:
    query = INNOCENT[name]
    quick = quick_analysis(query)
    assert quick is not None
    full = analyse_query(query, full=True)
    assert (quick.form, quick.from_graphs, quick.from_named_graphs) == (full.form, (), ())


@pytest.mark.parametrize("name", DECLINED)
def test_real_or_unclear_keywords_take_the_full_parse(name: str) -> None:
    assert quick_analysis(DECLINED[name]) is None
