"""The fast paths added for performance give the same answers as the slow ones they bypass.

No timing here (speed is measured by ``python -m benchmarks``): only that each shortcut is
taken when it should be and agrees with the full machinery when it is.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from alm_ld.errors import MalformedQuery, QueryRefused
from alm_ld.mapping import safe_iri
from alm_ld.web.sparql_check import analyse_query, quick_analysis

SAFE = [
    "SELECT * WHERE { ?s ?p ?o }",
    "PREFIX alm: <https://w3id.org/alm-ld/vocab#>\nselect ?v { ?o alm:value ?v } LIMIT 3",
    "BASE <http://example.org/> PREFIX : <http://example.org/v#> DESCRIBE <a>",
    # The words in a variable, a comment, a string or an IRI are no keyword: no parse needed
    # (tests/security/test_sparql_keywords.py checks the tokenizer against Oxigraph itself).
    "SELECT ?from WHERE { ?from ?p ?o }",
    "# a comment that says SERVICE and FROM\nASK { ?s ?p ?o }",
    'CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p "from SERVICE" FILTER(?o < 3 && ?o > 1) }',
    "SELECT * WHERE { ?s <http://example.org/#service> '''long\nfrom''' }",
]
RISKY = [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    "select * { service silent <http://127.0.0.1:9/> { } }",
    "SELECT * FROM <https://example.org/g> WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED <https://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { } }",
    'SELECT * WHERE { ?s ?p "unterminated SERVICE <http://127.0.0.1:9/> { } }',
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "PREFIX ex: <http://e/> SELECT * WHERE { BIND(ex:a\\#b AS ?q) "
    "SERVICE <http://127.0.0.1:9/x> { ?a ?b ?c } }",
]


@pytest.mark.parametrize("query", SAFE)
def test_plainly_safe_queries_skip_the_parser_with_the_same_form(query: str) -> None:
    quick = quick_analysis(query)
    assert quick is not None
    full = analyse_query(query, full=True)
    assert (quick.form, quick.from_graphs, quick.from_named_graphs) == \
        (full.form, full.from_graphs, full.from_named_graphs)


@pytest.mark.parametrize("query", RISKY)
def test_service_from_updates_and_escapes_always_take_the_full_parse(query: str) -> None:
    assert quick_analysis(query) is None


@pytest.mark.parametrize("query", RISKY[:2] + RISKY[4:5] + RISKY[6:8])
def test_refusals_are_unchanged(query: str) -> None:
    with pytest.raises(QueryRefused):
        analyse_query(query)


def test_hash_in_a_local_name_hides_no_service() -> None:
    query = RISKY[-1]
    assert "\\#" in query and quick_analysis(query) is None
    with pytest.raises((QueryRefused, MalformedQuery)):
        analyse_query(query)

def test_safe_iri_only_rewrites_what_needs_escaping() -> None:
    assert safe_iri("https://doi.org/10.1371/journal.pone.0000001") == \
        "https://doi.org/10.1371/journal.pone.0000001"
    assert safe_iri("https://en.wikipedia.org/wiki/A_[b] c") == \
        "https://en.wikipedia.org/wiki/A_%5Bb%5D%20c"


def test_validating_a_valid_feed_never_imports_jsonschema() -> None:
    code = ("import sys, json; from alm_ld.validate import validate_feed; "
            "from alm_ld.resources import examples_dir; "
            "doc = json.loads((examples_dir() / 'valid-base.json').read_text()); "
            "assert validate_feed(doc).valid; print('jsonschema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
