"""The schema.org description embedded in a work page (``<script type="application/ld+json">``).

Search engines and crawlers read schema.org, not the alm-ld vocabulary, so the page repeats the
current numbers as ``InteractionCounter``s. The ``interactionType`` comes from the vocabulary's
``skos:closeMatch``/``exactMatch`` to a schema.org action, looked up along ``skos:broader`` (so
``html-views`` inherits ``views`` → ``schema:ViewAction``); metrics without such an action
(citations) carry only a name. schema.org terms use ``http://schema.org/`` (docs/MODEL.md).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from rdflib import URIRef
from rdflib.namespace import SKOS

from alm_ld.vocab import SCHEMA, concept_label, vocab_graph
from alm_ld.web.pages.links import safe_href
from alm_ld.web.pages.queries import CurrentValue


@cache
def schema_action(metric_iri: str) -> str | None:
    """The schema.org Action matching a metric concept, following ``skos:broader`` upwards."""
    graph = vocab_graph()
    node: URIRef | None = URIRef(metric_iri)
    seen: set[URIRef] = set()
    while node is not None and node not in seen:
        seen.add(node)
        for prop in (SKOS.exactMatch, SKOS.closeMatch):
            for match in graph.objects(node, prop):
                if str(match).startswith(str(SCHEMA)) and str(match).endswith("Action"):
                    return str(match)
        node = next(iter(graph.objects(node, SKOS.broader)), None)  # type: ignore[assignment]
    return None


def metric_label(metric_iri: str) -> str:
    return concept_label(metric_iri) or metric_iri.rstrip("/").rsplit("/", 1)[-1]


def scholarly_article(work_iri: str, page_url: str, titles: list[str], same_as: list[str],
                      values: list[CurrentValue]) -> dict[str, Any]:
    counters = []
    for value in values:
        counter: dict[str, Any] = {
            "@type": "InteractionCounter",
            "name": f"{metric_label(value.metric)} ({value.source_label})",
            "userInteractionCount": value.value,
            "interactionService": {"@type": "WebSite", "name": value.source_label},
        }
        action = schema_action(value.metric)
        if action:
            counter["interactionType"] = {"@id": action}
        counters.append(counter)
    doc: dict[str, Any] = {
        "@context": str(SCHEMA),
        "@type": "ScholarlyArticle",
        "@id": work_iri,
        "url": page_url,
        "identifier": work_iri,
    }
    if titles:
        doc["name"] = titles[0]
    links = [href for href in map(safe_href, same_as) if href]
    if links:  # only http(s) IRIs: a crawler follows sameAs like a link
        doc["sameAs"] = links
    doc["interactionStatistic"] = counters
    return doc


def script_json(doc: dict[str, Any], *, indent: int | None = 1) -> str:
    """JSON safe inside a ``<script>`` data block: nothing in it can end the element.

    ``<``, ``>`` and ``&`` become ``\\u003c``/``\\u003e``/``\\u0026`` (so neither
    ``</script>`` nor ``<!--`` can appear), and U+2028/U+2029 are escaped too (line terminators
    to older JavaScript parsers). The result is still the same JSON value.
    """
    text = json.dumps(doc, ensure_ascii=False, indent=indent)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
