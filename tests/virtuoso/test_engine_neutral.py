"""The engine-neutral pieces of the ``sparql:`` backend that need no server: lease ages by
calendar arithmetic (Virtuoso has no date-time minus duration), deterministic skolem IRIs, and
TSV/JSON results written as Oxigraph writes them (byte-identical answers on every backend)."""

from __future__ import annotations

import datetime as dt

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef

from alm_ld.sparql_text import literal
from alm_ld.store.claims import _seconds
from alm_ld.store.results import JSON, TSV, write_boolean, write_rows
from alm_ld.store.sparql import SKOLEM_PREFIX, skolemise

XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.mark.parametrize(("earlier", "later"), [
    ("2026-12-31T23:59:50", "2027-01-01T00:00:20"),    # year boundary
    ("2028-02-28T23:00:00", "2028-03-01T01:00:00"),    # leap day between
    ("2026-01-31T12:00:00.250", "2026-02-01T12:00:00"),  # month boundary, fractions
])
def test_ages_by_calendar_arithmetic_match_python(earlier: str, later: str) -> None:
    store = ox.Store()
    a, b = (literal(t, XSD + "dateTime") for t in (earlier, later))
    result = store.query(f"SELECT (({_seconds(b)} - {_seconds(a)}) AS ?age) WHERE {{}}")
    age = float(next(iter(result))["age"].value)
    expected = (dt.datetime.fromisoformat(later) - dt.datetime.fromisoformat(earlier))
    assert age == pytest.approx(expected.total_seconds())


def test_skolem_iris_are_deterministic_per_graph_and_label() -> None:
    data = b'_:d <http://e/p> "x" .\n<http://e/s> <http://e/q> _:d .\n'
    once, again = skolemise(data, "http://e/g1"), skolemise(data, "http://e/g1")
    other = skolemise(data, "http://e/g2")
    assert once == again and once != other and b"_:" not in once
    nodes = {t.object.value for t in ox.parse(once, format=ox.RdfFormat.N_TRIPLES)
             if isinstance(t.object, ox.NamedNode) and t.object.value.startswith(SKOLEM_PREFIX)}
    subjects = {t.subject.value for t in ox.parse(once, format=ox.RdfFormat.N_TRIPLES)}
    assert len(nodes) == 1 and nodes <= subjects  # one node, the same IRI in both places
    plain = b'<http://e/s> <http://e/p> "_:not a node" .\n'
    assert skolemise(plain, "http://e/g") == plain


def test_results_are_written_as_oxigraph_writes_them() -> None:
    store = ox.Store()
    store.update('INSERT DATA { <http://e/s> <http://e/p> 7, 1.5, true, "x", "y"@en, '
                 '"2026-01-02"^^<http://www.w3.org/2001/XMLSchema#date> }')
    query = "SELECT ?o WHERE { ?s ?p ?o } ORDER BY STR(?o)"
    rows = [[Literal(s.value, lang=s.language, datatype=None if s.language else
                     (None if s.datatype.value == XSD + "string" else URIRef(s.datatype.value)))]
            for s in (solution["o"] for solution in store.query(query))]
    for media, ox_format in ((TSV, ox.QueryResultsFormat.TSV),
                             (JSON, ox.QueryResultsFormat.JSON)):
        ours = b"".join(write_rows(media, ["o"], iter(rows)))
        assert ours == store.query(query).serialize(format=ox_format), media
    assert write_boolean(JSON, True) == store.query("ASK {}").serialize(
        format=ox.QueryResultsFormat.JSON)
