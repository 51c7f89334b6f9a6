"""The SHACL shapes accept every valid example's RDF and refuse each invalid one for its reason.

A feed has two RDF forms (see tools/build_shapes.py): the *exchange* form a JSON-LD processor
reads from the feed (also what a provider writes as Turtle or RDF/XML) and the *stored* form
``alm_ld.mapping`` writes at ingest. Every valid packaged example conforms in both, in every
syntax alm-ld accepts. Every invalid example's exchange form is refused with the validator's
rule, except the rules listed in :data:`NOT_THE_SAME_IN_RDF`, which docs/feed-format.md lists too
(JSON-level problems with no RDF form, and rules RDF cannot state or that JSON-LD erases).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rdflib import Graph

from alm_ld.config import Settings
from alm_ld.jsonld import to_rdf_nquads
from alm_ld.mapping import IngestContext, content_hash
from alm_ld.resources import demo_dir, examples_dir, shapes_path
from alm_ld.validation.feed_input import validate_input
from alm_ld.validation.rdf_feed import validate_rdf_feed
from tests.support.rdf_mapping import map_feed

ROOT = Path(__file__).resolve().parents[2]
INDEX = json.loads((examples_dir() / "index.json").read_text(encoding="utf-8"))
VALID = sorted(name for name, entry in INDEX.items() if entry["valid"])
INVALID = sorted(name for name, entry in INDEX.items() if not entry["valid"])

# rule -> why the RDF form of its example is not refused for that rule (docs/feed-format.md,
# "SHACL shapes", lists the same rules).
NOT_THE_SAME_IN_RDF = {
    "schema.pattern": "the only schema.pattern example names another @context: as RDF any "
                      "context is allowed, but a remote one is never fetched (jsonld)",
    "schema.type": "JSON-LD coerces \"12\" to 12 (xsd:integer) and drops null values",
    "schema.additionalProperties": "JSON-LD drops keys its context does not define",
    "disclosure-unknown-key": "JSON-LD drops keys its context does not define",
    "identifier": "a value that is not an IRI at all (ISBN 978-…) is dropped by JSON-LD, so "
                  "the RDF form misses the work (schema.required); a malformed IRI is refused "
                  "as identifier",
    "date-after-generated": "needs date arithmetic against the feed (semantic only)",
    "duplicate-count": "needs identifier normalisation (semantic only)",
    "json-parse": "no RDF form",
    "empty": "no RDF form",
    # feed v1.1 Work metadata: the shapes check the form of ORCID iDs, ISSNs, ROR and funder
    # ids; the issn and ror examples are well-formed ids with a wrong check digit
    "issn": "the ISSN check digit (MOD 11) is checked by the JSON validator only",
    "ror": "the ROR checksum (ISO 7064 MOD 97-10) is checked by the JSON validator only",
}


def _doc(name: str) -> Any:
    return json.loads((examples_dir() / name).read_text(encoding="utf-8"))


def _exchange_graph(name: str) -> Graph:
    return Graph().parse(data=to_rdf_nquads(_doc(name)), format="nt")


def _errors(report) -> set[str]:
    return {p.rule for p in report.problems if p.severity == "error"}


def test_committed_shapes_are_generated():
    result = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, 'tools'); import build_shapes; "
         "print(build_shapes.render('base') + '\\0' + build_shapes.render('strict'), end='')"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    base, strict = result.stdout.split("\0")
    assert shapes_path("feed-base.shapes.ttl").read_text(encoding="utf-8") == base
    assert shapes_path("feed-strict.shapes.ttl").read_text(encoding="utf-8") == strict


@pytest.mark.parametrize("name", VALID)
@pytest.mark.parametrize("syntax", ["turtle", "ntriples", "rdfxml"])
def test_valid_example_conforms_in_every_syntax(name, syntax):
    fmt = {"turtle": "turtle", "ntriples": "nt", "rdfxml": "xml"}[syntax]
    data = _exchange_graph(name).serialize(format=fmt, encoding="utf-8")
    report = validate_rdf_feed(data, syntax, INDEX[name]["profile"])
    assert report.valid, [p.to_dict() for p in report.problems]


@pytest.mark.parametrize("name", VALID)
def test_valid_example_conforms_as_jsonld_with_another_context(name):
    """JSON-LD with *any* context: the example expanded (no context at all) and the example
    with its context inlined both conform."""
    from alm_ld.jsonld import expand, with_inline_context

    for doc in (expand(_doc(name)), with_inline_context(_doc(name))):
        report = validate_input(json.dumps(doc).encode(), None, INDEX[name]["profile"])
        assert report.valid, [p.to_dict() for p in report.problems]


@pytest.mark.parametrize("name", VALID)
def test_stored_form_of_valid_example_conforms(name):
    doc = _doc(name)
    ctx = IngestContext(sequence=3, ingested_at="2026-12-01T00:00:00Z",
                        content_hash=content_hash(doc),
                        ingest_iri="https://w3id.org/alm-ld/id/ingest/test",
                        previous={})
    graph, _ = map_feed(doc, ctx)
    data = graph.serialize(format="nt", encoding="utf-8")
    report = validate_rdf_feed(data, "ntriples", INDEX[name]["profile"])
    assert report.valid, [p.to_dict() for p in report.problems]


@pytest.mark.parametrize("name", INVALID)
def test_invalid_example_is_refused_in_rdf_for_the_same_reason(name):
    entry = INDEX[name]
    report = validate_input((examples_dir() / name).read_bytes(), "jsonld", entry["profile"])
    if entry["rule"] not in _errors(report) and entry["rule"] in NOT_THE_SAME_IN_RDF:
        pytest.skip(f"{entry['rule']}: {NOT_THE_SAME_IN_RDF[entry['rule']]}")
    assert entry["rule"] in _errors(report), [p.to_dict() for p in report.problems]
    problem = next(p for p in report.problems if p.rule == entry["rule"])
    if problem.focus_node is not None:  # a SHACL result: focus node and path, one line each
        assert problem.path.startswith(problem.focus_node)
        assert "\n" not in problem.message


def test_semantic_only_rules_are_documented():
    doc = (ROOT / "docs" / "feed-format.md").read_text(encoding="utf-8")
    section = doc.split("## SHACL shapes", 1)[1].split("\n## ", 1)[0]
    for rule in NOT_THE_SAME_IN_RDF:
        assert f"`{rule}`" in section, rule


def test_problem_names_focus_node_and_path():
    data = _exchange_graph("valid-base.json").serialize(format="nt", encoding="utf-8")
    broken = data.replace(b'"12"^^', b'"-3"^^')
    assert broken != data
    report = validate_rdf_feed(broken, "ntriples")
    [problem] = report.problems
    assert problem.rule == "schema.minimum" and problem.result_path == "alm:value"
    assert problem.focus_node.startswith("_:")
    assert "work <https://doi.org/10.1371/journal.pone.0000001>" in problem.message
    as_dict = problem.to_dict()
    assert as_dict["focusNode"] == problem.focus_node and as_dict["resultPath"] == "alm:value"


def test_unknown_predicate_and_closed_disclosure():
    data = _exchange_graph("valid-strict.json")
    text = data.serialize(format="nt", encoding="utf-8").decode()
    disclosure = next(line.split()[0] for line in text.splitlines() if "#dataSources>" in line)
    extra = f'{disclosure} <https://w3id.org/alm-ld/vocab#dataSorces> "x" .\n'
    strict = validate_rdf_feed((text + extra).encode(), "ntriples", "strict")
    base = validate_rdf_feed((text + extra).encode(), "ntriples", "base")
    assert _errors(strict) == {"disclosure-unknown-key"}
    assert base.valid and [p.rule for p in base.warnings] == ["disclosure-unknown-key"]


def test_parse_errors_sizes_and_empty_are_problems():
    assert _errors(validate_rdf_feed(b"@prefix x: <y> . x:a x:b", "turtle")) == {"rdf-parse"}
    assert _errors(validate_rdf_feed(b"<a> <b> .\n", "ntriples")) == {"rdf-parse"}
    assert _errors(validate_rdf_feed(b"<rdf:RDF", "rdfxml")) == {"rdf-parse"}
    assert _errors(validate_rdf_feed(b"  \n", "turtle")) == {"empty"}
    assert _errors(validate_rdf_feed(b"\xff\xfe", "turtle")) == {"encoding"}
    small = Settings(max_body=10)
    report = validate_rdf_feed(b"<a:b> <a:c> <a:d> .\n", "ntriples", settings=small, size=5000)
    assert _errors(report) == {"too-large"} and "5000 bytes" in report.problems[0].message
    data = _exchange_graph("valid-base.json").serialize(format="nt", encoding="utf-8")
    report = validate_rdf_feed(data, "ntriples", max_triples=5)
    assert _errors(report) == {"too-large"} and "triples" in report.problems[0].message
    no_feed = b"<https://x.org/a> <https://x.org/b> <https://x.org/c> .\n"
    assert _errors(validate_rdf_feed(no_feed, "ntriples")) == {"rdf-feed"}


def test_alm_ld_json_feed_is_not_taken_for_rdf():
    """A JSON feed naming the alm-ld context goes to the JSON validator (JSON paths)."""
    report = validate_input((examples_dir() / "invalid-period-order.json").read_bytes(), None)
    assert [p.path for p in report.errors] == ["$.items[0].periodStart"]
    report = validate_input((examples_dir() / "invalid-context.json").read_bytes(), None)
    assert "schema.pattern" in _errors(report)


DEMO = sorted(p.name for p in demo_dir().glob("*.json"))


@pytest.mark.parametrize("name", DEMO)
def test_demo_feeds_conform_in_both_forms(name):
    """Real recorded provider data (the demo feeds), as exchange RDF and as stored."""
    doc = json.loads((demo_dir() / name).read_text(encoding="utf-8"))
    exchange = validate_input(json.dumps(doc).encode(), "jsonld", "base")
    assert exchange.valid, [p.to_dict() for p in exchange.problems][:3]
    ctx = IngestContext(sequence=1, ingested_at="2026-12-01T00:00:00Z",
                        content_hash=content_hash(doc),
                        ingest_iri="https://w3id.org/alm-ld/id/ingest/demo")
    graph, _ = map_feed(doc, ctx)
    stored = validate_rdf_feed(graph.serialize(format="nt", encoding="utf-8"), "ntriples")
    assert stored.valid, [p.to_dict() for p in stored.problems][:3]


@pytest.mark.parametrize(("good", "bad", "rule"), [
    (b'"1932-6203"', b'"1932-62"', "issn"),
    (b"<https://ror.org/05gq02987>", b"<https://ror.org/05gq0298>", "ror"),
    (b"<https://doi.org/10.13039/100000001>", b"<https://doi.org/10.5555/100000001>",
     "funder-id"),
    (b"<https://orcid.org/0000-0002-1825-0097>", b"<https://orcid.org/0000-0002-1825>", "orcid"),
])
def test_malformed_work_metadata_ids_are_refused_in_rdf(good, bad, rule):
    """Feed v1.1 Work metadata in RDF: an ISSN, ROR id, funder id or ORCID iD of the wrong form
    is refused with the JSON validator's rule (check digits stay JSON-only)."""
    data = _exchange_graph("valid-base-work-metadata.json").serialize(format="nt",
                                                                      encoding="utf-8")
    assert good in data
    report = validate_rdf_feed(data.replace(good, bad), "ntriples")
    assert rule in _errors(report), [p.to_dict() for p in report.problems]
