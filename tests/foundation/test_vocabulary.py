"""The packaged vocabulary: parses, has the required ids, every concept sits in exactly one of
the five PLOS categories, every kept concept of the researched table is there and mapped."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import SKOS

from alm_ld import vocab
from alm_ld.vocab import (
    ALM,
    CATEGORIES,
    CATEGORIES_NS,
    CORE_METRICS,
    CORE_RELATIONS,
    METRICS_NS,
    RELATIONS_NS,
    category_of,
    metric_concepts,
    relation_concepts,
)

TABLE = Path(__file__).resolve().parents[2] / "tools" / "metric-concepts.csv"
DROPPED = {"access-denied-no-license", "access-denied-limit-exceeded", "references-count"}
MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.relatedMatch, SKOS.broadMatch)


def test_core_ids_exist_exactly() -> None:
    assert set(CORE_METRICS) <= set(metric_concepts())
    assert set(CORE_RELATIONS) <= set(relation_concepts())
    assert metric_concepts()["views"] == URIRef(METRICS_NS + "views")
    assert relation_concepts()["cites"] == URIRef(RELATIONS_NS + "cites")


def test_categories_are_top_concepts_of_both_schemes() -> None:
    graph = vocab.vocab_graph()
    for scheme in (METRICS_NS, RELATIONS_NS):
        tops = {str(o) for o in graph.objects(URIRef(scheme), SKOS.hasTopConcept)}
        assert tops == {CATEGORIES_NS + name for name in CATEGORIES}


@pytest.mark.parametrize("kind", ["metric", "relation"])
def test_every_concept_in_exactly_one_category(kind: str) -> None:
    graph = vocab.vocab_graph()
    concepts = metric_concepts() if kind == "metric" else relation_concepts()
    for cid, iri in concepts.items():
        reached = {str(node) for node in graph.transitive_objects(iri, SKOS.broader)
                   if str(node).startswith(CATEGORIES_NS)}
        assert len(reached) == 1, (cid, reached)
        assert category_of(iri) in CATEGORIES
        assert len(list(graph.objects(iri, SKOS.broader))) == 1, cid


def test_finer_concepts_are_narrower_than_a_core_concept() -> None:
    graph = vocab.vocab_graph()
    core = {metric_concepts()[c] for c in CORE_METRICS}
    for cid, iri in metric_concepts().items():
        if cid in CORE_METRICS:
            continue
        ancestors = set(graph.transitive_objects(iri, SKOS.broader))
        assert ancestors & core, cid


def test_every_concept_has_label_and_definition() -> None:
    graph = vocab.vocab_graph()
    for iri in [*metric_concepts().values(), *relation_concepts().values()]:
        assert graph.value(iri, SKOS.prefLabel), iri
        assert graph.value(iri, SKOS.definition), iri


def test_every_kept_table_row_is_a_mapped_concept() -> None:
    graph = vocab.vocab_graph()
    with TABLE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 59
    for row in rows:
        cid = row["concept_id"]
        if cid in DROPPED:
            assert cid not in metric_concepts()
            continue
        iri = metric_concepts()[cid]
        assert str(graph.value(iri, SKOS.prefLabel)) == row["pref_label"]
        mapped = [o for p in MAPPINGS for o in graph.objects(iri, p)]
        assert mapped, f"{cid} has no mapping"
        if row["counter_metric"]:
            notations = {str(graph.value(o, SKOS.notation))
                         for o in graph.objects(iri, SKOS.exactMatch)}
            assert row["counter_metric"] in notations


def test_model_terms_have_labels_and_comments() -> None:
    graph = vocab.vocab_graph()
    for name in ("Feed", "Count", "Observation", "Event", "Work", "value", "work", "metric",
                 "source", "aggregation", "periodStart", "periodEnd", "subject", "relation",
                 "object", "occurred", "contentHash", "sequence", "ingestedAt", "itemCount",
                 "observationCount", "eventCount", "dataSources", "correctionProcess"):
        term = ALM[name]
        assert graph.value(term, RDFS.label), name
        assert graph.value(term, RDFS.comment), name
        assert (term, RDF.type, None) in graph


def test_closed_namespace_rejects_typos() -> None:
    with pytest.raises(AttributeError):
        ALM.vaule  # noqa: B018


def test_disclosure_keys_agree_across_vocabulary_and_schema() -> None:
    """One list of NISO keys (``vocab.DISCLOSURE_KEYS``): the Turtle defines each as a property
    of ``alm:Disclosure``, and both schemas describe exactly these keys."""
    from alm_ld.validation.schema_check import schema_document

    graph = vocab.vocab_graph()
    defined = {str(term)[len(vocab.ALM_NS):]
               for term in graph.subjects(RDFS.domain, ALM.Disclosure)}
    assert defined == set(vocab.DISCLOSURE_KEYS)
    for profile in ("base", "strict"):
        properties = schema_document(profile)["properties"]["disclosure"]["properties"]
        assert list(properties) == list(vocab.DISCLOSURE_KEYS), profile
