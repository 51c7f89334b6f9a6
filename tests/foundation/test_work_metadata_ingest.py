"""Feed format v1.1 Work items end to end: the RDF model (docs/MODEL.md, Works), 'valid means
ingestible' for Work metadata, the newest description is current, and the work document and
page show it (issue 16)."""

from __future__ import annotations

import copy
import json
import re
import uuid
from typing import Any

import pyoxigraph
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from alm_ld.analytics.work_metadata import current_metadata_graph, work_metadata
from alm_ld.config import Settings
from alm_ld.identifiers import iri_problem, issn_check_digit, orcid_check_digit, ror_checksum
from alm_ld.jsonld import to_rdf_nquads
from alm_ld.mapping import IngestContext, map_feed_ntriples, metadata_base
from alm_ld.pipeline import ingest_feed
from alm_ld.resources import examples_dir
from alm_ld.store import open_store
from alm_ld.validate import validate_feed
from tests.support.rdf_mapping import map_feed

SCHEMA = "http://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")
PONE = "https://doi.org/10.1371/journal.pone.0000001"
EXAMPLE = json.loads((examples_dir() / "valid-base-work-metadata.json").read_text("utf-8"))
CTX = IngestContext(sequence=1, ingested_at="2026-11-24T10:00:01Z", content_hash="abc",
                    ingest_iri="https://w3id.org/alm-ld/id/ingest/test")


def s(term: str) -> URIRef:
    return URIRef(SCHEMA + term)


def test_the_model_of_a_work_item() -> None:
    graph, _ = map_feed(EXAMPLE, CTX)
    work = URIRef(PONE)
    base = metadata_base(EXAMPLE["id"], PONE)
    assert base.startswith("https://w3id.org/alm-ld/id/work-meta/")
    container, author = URIRef(base + "/container"), URIRef(base + "/author/1")
    expected = {
        (work, URIRef(DCTERMS + "title"), Literal(
            "Example article about Brown University research")),
        (work, s("additionalType"), Literal("journal-article")),
        (work, s("publisher"), Literal("Public Library of Science (PLoS)")),
        (work, s("isPartOf"), container),
        (container, RDF_TYPE, s("CreativeWork")),
        (container, URIRef(DCTERMS + "title"), Literal("PLOS ONE")),
        (container, s("issn"), Literal("1932-6203")),
        (container, s("sameAs"), URIRef("https://portal.issn.org/resource/ISSN/1932-6203")),
        (work, s("author"), author),
        (author, RDF_TYPE, s("Person")),
        (author, s("name"), Literal("Josiah Carberry")),
        (author, s("position"), Literal("1", datatype=XSD_INTEGER)),
        (author, s("sameAs"), URIRef("https://orcid.org/0000-0002-1825-0097")),
        (author, s("affiliation"), URIRef("https://ror.org/05gq02987")),
        (URIRef("https://ror.org/05gq02987"), RDF_TYPE, s("Organization")),
        (URIRef("https://ror.org/05gq02987"), s("name"), Literal("Brown University")),
        (work, s("funder"), URIRef("https://doi.org/10.13039/100000001")),
        (URIRef("https://doi.org/10.13039/100000001"), s("name"),
         Literal("National Science Foundation")),
    }
    assert expected <= set(graph)
    assert (URIRef(base + "/author/2"), s("position"), Literal("2", datatype=XSD_INTEGER)) \
        in graph
    named_only = [o for o in graph.objects(author, s("affiliation"))
                  if str(o).startswith(author + "/affiliation/")]
    assert len(named_only) == 1 and (named_only[0], s("name"),
                                     Literal("Department of Psychoceramics")) in graph
    funders = set(graph.objects(work, s("funder")))
    assert any(str(f).startswith(base + "/funder/") for f in funders)
    # the v1 Work item beside it still maps as before
    assert (URIRef("https://doi.org/10.1371/journal.pmed.0020124"), URIRef(DCTERMS + "issued"),
            Literal("2005-08", datatype=URIRef("http://www.w3.org/2001/XMLSchema#gYearMonth"))
            ) in graph


def test_no_blank_nodes_in_work_metadata_and_every_iri_is_storable() -> None:
    graph, _ = map_feed(EXAMPLE, CTX)  # the example has no disclosure (its one blank node)
    assert not any(isinstance(term, BNode) for triple in graph for term in triple)
    for triple in graph:
        for term in triple:
            if isinstance(term, URIRef):
                assert iri_problem(str(term)) is None, term
    data, _ = map_feed_ntriples(EXAMPLE, CTX)
    assert len(list(pyoxigraph.parse(data, pyoxigraph.RdfFormat.N_TRIPLES))) == len(graph)


def test_two_descriptions_of_one_feed_keep_apart() -> None:
    doc = copy.deepcopy(EXAMPLE)
    doc["items"].append({"type": "Work", "work": "doi:10.1371/JOURNAL.PONE.0000001",
                         "authors": [{"name": "Someone Else"}]})
    report = validate_feed(doc, "base")
    assert report.valid
    assert [(p.rule, p.path, p.severity) for p in report.problems] == [
        ("duplicate-work", "$.items[3].work", "warning")]
    graph, _ = map_feed(doc, CTX)
    first = URIRef(metadata_base(doc["id"], PONE) + "/author/1")
    assert list(graph.objects(first, s("name"))) == [Literal("Josiah Carberry")]


def _feed(items: list[dict[str, Any]], provider: str = "https://openalex.org") -> dict[str, Any]:
    return {"@context": "https://w3id.org/alm-ld/context/v1.jsonld", "type": "Feed",
            "id": f"urn:uuid:{uuid.uuid4()}", "provider": {"id": provider, "name": provider},
            "generated": "2026-11-24T10:00:00Z", "items": items}


def test_the_newest_description_is_current_and_whole() -> None:
    store = open_store("memory:")
    config = Settings(store="memory:")
    first = _feed([{"type": "Work", "work": PONE, "title": "Old title",
                    "container": {"title": "PLoS ONE", "issn": ["1932-6203"]},
                    "authors": [{"name": "A", "orcid": "0000-0002-1825-0097"},
                                {"name": "B"}]}], "https://ror.org/02twcfp32")
    second = _feed([{"type": "Work", "work": "10.1371/JOURNAL.PONE.0000001",
                     "title": "New title", "workType": "journal-article",
                     "authors": [{"name": "C", "affiliations": [{"ror": "05gq02987"}]}]}])
    ingest_feed(store, first, settings=config)
    ingest_feed(store, second, settings=config)
    meta = work_metadata(current_metadata_graph(store, PONE), PONE)
    assert meta.title == "New title" and meta.work_type == "journal-article"
    assert [a.name for a in meta.authors] == ["C"]  # never A, B and C mixed
    assert meta.authors[0].affiliations[0].iri == "https://ror.org/05gq02987"
    assert meta.container_title is None  # the current feed gave no container
    assert meta.feed == second["id"] and meta.provider_name == "https://openalex.org"
    # a v1 item naming only counts does not change which description is current
    ingest_feed(store, _feed([{"type": "Count", "work": PONE, "metric": "views", "value": 3,
                               "aggregation": "cumulative", "periodEnd": "2026-11-24"}]),
                settings=config)
    assert work_metadata(current_metadata_graph(store, PONE), PONE).title == "New title"
    third = copy.deepcopy(first)
    third["id"] = f"urn:uuid:{uuid.uuid4()}"
    ingest_feed(store, third, settings=config)
    meta = work_metadata(current_metadata_graph(store, PONE), PONE)
    assert [(a.name, a.orcid) for a in meta.authors] == [
        ("A", "https://orcid.org/0000-0002-1825-0097"), ("B", None)]
    assert meta.issns == ["1932-6203"]


def test_work_document_and_page_show_the_current_metadata() -> None:
    from alm_ld.web import create_app

    store = open_store("memory:")
    config = Settings(store="memory:")
    ingest_feed(store, EXAMPLE, settings=config)
    client = create_app(config, store).test_client()
    answer = client.get("/works/10.1371/journal.pone.0000001",
                        headers={"Accept": "application/n-triples"})
    assert answer.status_code == 200
    graph = Graph().parse(data=answer.get_data(as_text=True), format="nt")
    meta = work_metadata(graph, PONE)
    assert [a.name for a in meta.authors] == ["Josiah Carberry", "A. N. Other"]
    assert meta.issns == ["1932-6203"] and meta.publisher == "Public Library of Science (PLoS)"
    jsonld = client.get("/works/10.1371/journal.pone.0000001",
                        headers={"Accept": "application/ld+json"})
    assert jsonld.status_code == 200
    document = jsonld.get_json()
    work_node = next(n for n in document["@graph"] if n["id"] == PONE)
    assert work_node["type"] == ["Work"]  # the term, although it now has a type-scoped context
    assert work_node["publisher"] == "Public Library of Science (PLoS)"
    # the compacted answer means exactly the N-Triples answer under the served context
    assert isomorphic(Graph().parse(data=to_rdf_nquads(document), format="nquads"), graph)
    page = client.get("/works/10.1371/journal.pone.0000001", headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    shown = re.sub(r"<[^>]+>", "", html)  # the text a reader sees (names are links now)
    assert page.status_code == 200
    assert 'href="https://orcid.org/0000-0002-1825-0097"' in html
    for text in ("Josiah Carberry", "Brown University", "ISSN 1932-6203",
                 "National Science Foundation", "journal-article"):
        assert text in shown, text


# ---------------------------------------------------------------------------------------------
# Valid means ingestible, for Work metadata: whatever the validator accepts, the mapping
# writes and the store (Oxigraph) takes; whatever it refuses is named at its JSON path.

@st.composite
def _orcid(draw: st.DrawFn) -> str:
    digits = draw(st.text("0123456789", min_size=15, max_size=15))
    whole = digits + orcid_check_digit(digits)
    form = draw(st.sampled_from(["{}", "https://orcid.org/{}", "orcid:{}"]))
    return form.format("-".join(whole[i:i + 4] for i in range(0, 16, 4)))


@st.composite
def _issn(draw: st.DrawFn) -> str:
    digits = draw(st.text("0123456789", min_size=7, max_size=7))
    whole = digits + issn_check_digit(digits)
    return draw(st.sampled_from(["{}-{}", "urn:issn:{}-{}"])).format(whole[:4], whole[4:])


@st.composite
def _ror(draw: st.DrawFn) -> str:
    stem = "0" + draw(st.text("0123456789abcdefghjkmnpqrstvwxyz", min_size=6, max_size=6))
    return draw(st.sampled_from(["{}", "https://ror.org/{}"])).format(stem + ror_checksum(stem))


_TEXT = st.one_of(st.text(min_size=1, max_size=12),  # any text: controls, '<', surrogates
                  st.just(""))
_JUNK = st.one_of(_TEXT, st.sampled_from(["0000-0002-1825-0098", "1932-6204", "03vek6s53",
                                          "https://ror.org/%zz", "urn:issn:x", "10.1/x"]))
_AFFILIATION = st.fixed_dictionaries({}, optional={
    "name": _TEXT, "ror": st.one_of(_ror(), _JUNK)})
_AUTHOR = st.fixed_dictionaries({"name": _TEXT}, optional={
    "orcid": st.one_of(_orcid(), _orcid(), _JUNK),
    "affiliations": st.lists(_AFFILIATION, max_size=2)})
_FUNDER = st.fixed_dictionaries({}, optional={
    "name": _TEXT, "id": st.one_of(_ror(), st.just("10.13039/100000001"), _JUNK)})
_WORK = st.fixed_dictionaries({"type": st.just("Work"), "work": st.just(PONE)}, optional={
    "title": _TEXT, "workType": st.sampled_from(["journal-article", "Dataset", "weird", ""]),
    "publisher": _TEXT,
    "container": st.fixed_dictionaries({}, optional={
        "title": _TEXT, "issn": st.lists(st.one_of(_issn(), _JUNK), max_size=2)}),
    "authors": st.lists(_AUTHOR, max_size=3), "funders": st.lists(_FUNDER, max_size=2)})
_RULES = {"orcid", "issn", "ror", "funder-id", "text", "schema.minLength",
          "schema.minProperties", "schema.pattern", "schema.required"}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=_WORK)
def test_whatever_validates_is_ingested_and_the_rest_is_named(item: dict[str, Any]) -> None:
    doc = _feed([item])
    report = validate_feed(doc, "base")
    if report.valid:
        data, _ = map_feed_ntriples(doc, CTX)
        list(pyoxigraph.parse(data, pyoxigraph.RdfFormat.N_TRIPLES))  # Oxigraph takes every triple
        result = ingest_feed(open_store("memory:"), doc, settings=Settings(store="memory:"))
        assert result.items == 1
    else:
        for problem in report.errors:
            assert problem.path.startswith("$.items[0]"), problem
            assert problem.rule in _RULES, problem
            assert problem.message


@pytest.mark.parametrize(("change", "path", "rule"), [
    ({"authors": [{"name": "X", "orcid": "0000-0002-1825-0098"}]},
     "$.items[0].authors[0].orcid", "orcid"),
    ({"container": {"issn": ["1932-6203", "19326204"]}}, "$.items[0].container.issn[1]", "issn"),
    ({"authors": [{"name": "X", "affiliations": [{"ror": "https://ror.org/05gq02988"}]}]},
     "$.items[0].authors[0].affiliations[0].ror", "ror"),
    ({"funders": [{"id": "https://doi.org/10.1371/journal.pone.0000001"}]},
     "$.items[0].funders[0].id", "funder-id"),
])
def test_a_typo_is_refused_by_ingest_with_the_validators_problem(change: dict[str, Any],
                                                                  path: str, rule: str) -> None:
    from alm_ld.errors import InvalidFeed

    doc = _feed([{"type": "Work", "work": PONE, **change}])
    with pytest.raises(InvalidFeed) as caught:
        ingest_feed(open_store("memory:"), doc, settings=Settings(store="memory:"))
    assert {(p["path"], p["rule"]) for p in caught.value.problems} == {(path, rule)}
