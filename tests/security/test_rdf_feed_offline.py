"""A feed sent as RDF never makes alm-ld fetch anything (contexts, DTDs, entities, imports).

Every vector points at the ``canary`` listener, which must see no connection; each is answered
with a problem in the report (or checked as plain data), never a request.
"""

from __future__ import annotations

import json

from alm_ld.validation.feed_input import validate_input
from alm_ld.validation.rdf_feed import validate_rdf_feed

FEED = ('<urn:uuid:1> a <https://w3id.org/alm-ld/vocab#Feed> ; '
        '<https://w3id.org/alm-ld/vocab#provider> <https://ror.org/1> ; '
        '<http://www.w3.org/ns/prov#generatedAtTime> '
        '"2026-11-24T10:00:00Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n'
        '<https://ror.org/1> <http://schema.org/name> "P" .\n')


def _rules(report) -> set[str]:
    return {p.rule for p in report.problems}


def test_remote_jsonld_context_is_not_fetched(canary):
    doc = {"@context": canary.url, "@id": "urn:uuid:1", "name": "x"}
    report = validate_input(json.dumps(doc).encode(), "jsonld")
    canary.assert_untouched()
    assert _rules(report) == {"jsonld"}
    assert "does not fetch" in report.problems[0].message


def test_context_import_and_nested_remote_context_are_not_fetched(canary):
    for context in ({"@import": canary.url}, [{"x": "https://x.org/"}, canary.url],
                    {"p": {"@id": "https://x.org/p", "@context": canary.url}}):
        doc = {"@context": context, "@id": "urn:uuid:1", "p": {"@id": "urn:x"}}
        report = validate_input(json.dumps(doc).encode(), None)
        assert not report.valid
    canary.assert_untouched()


def test_rdfxml_external_entity_and_dtd_are_refused_unfetched(canary):
    for doctype in (f'<!DOCTYPE r [<!ENTITY e SYSTEM "{canary.url}">]>',
                    f'<!DOCTYPE rdf:RDF SYSTEM "{canary.url}">',
                    f'<!DOCTYPE r [<!ENTITY % p PUBLIC "x" "{canary.url}"> %p;]>'):
        xml = (f'<?xml version="1.0"?>{doctype}<rdf:RDF xmlns:rdf='
               '"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
               'rdf:about="urn:x"><rdf:value>&e;</rdf:value></rdf:Description></rdf:RDF>')
        report = validate_rdf_feed(xml.encode(), "rdfxml")
        assert _rules(report) == {"rdf-parse"}, report.problems
    canary.assert_untouched()


def test_iris_naming_the_canary_are_data_not_requests(canary):
    turtle = (f"@base <{canary.url}/> .\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
              f"<urn:uuid:1> owl:imports <{canary.url}> ; "
              f"<http://www.w3.org/ns/prov#wasDerivedFrom> <x> .\n" + FEED)
    report = validate_rdf_feed(turtle.encode(), "turtle")
    canary.assert_untouched()
    assert report.valid, [p.to_dict() for p in report.problems]
    shapes_in_data = (f"<urn:s> a <http://www.w3.org/ns/shacl#NodeShape> ; "
                      f"<http://www.w3.org/ns/shacl#shapesGraph> <{canary.url}> .\n" + FEED)
    assert validate_rdf_feed(shapes_in_data.encode(), "turtle").valid
    canary.assert_untouched()
