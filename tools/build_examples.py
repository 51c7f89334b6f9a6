"""Generate the example feeds in ``alm_ld/data/examples/`` and their ``index.json``.

Why a script: each invalid example must differ from a valid feed by exactly one fault, so that
it exercises one rule; deriving them from the valid feeds keeps that true when the format
evolves. The generated files are committed (they ship in the wheel and docs link them).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "alm_ld" / "data" / "examples"
CONTEXT = "https://w3id.org/alm-ld/context/v1.jsonld"
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
PONE = "https://doi.org/10.1371/journal.pone.0000001"
PMED = "https://doi.org/10.1371/journal.pmed.0020124"

DISCLOSURE = {
    "dataSources": "Crossref REST API (is-referenced-by-count) and Wikipedia (references by "
    "DOI); see https://example.org/alm/sources",
    "metricDefinitions": "https://example.org/alm/metrics",
    "collectionMethod": "Daily harvest of the Crossref REST API for every DOI we publish; "
    "Wikipedia events from the public search API.",
    "limitations": "Crossref counts only citations from Crossref-registered works with "
    "deposited references.",
    "changeLog": "https://example.org/alm/changes",
    "aggregationMethod": "Counts are cumulative as reported upstream; no aggregation.",
    "updateFrequency": "P1D",
    "accessMethod": "This feed, pushed to alm-ld; a JSON API at https://example.org/alm/api",
    "consistencyAcrossClients": "All clients receive identical data at the same time.",
    "consistencyAcrossMethods": "The feed and the API are generated from the same table.",
    "qualityMonitoring": "Day-over-day drops and jumps above 500 are reviewed by staff.",
    "correctionProcess": "Report suspected errors to alm@example.org; corrections are sent in "
    "the next feed.",
}


def valid_strict() -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "type": "Feed",
        "id": "urn:uuid:6f1c2d7e-4b0a-4e8e-9a51-2f0c3b7d9e10",
        "provider": {"id": "https://ror.org/008zgvp64", "name": "PLOS"},
        "generated": "2026-11-24T10:00:00Z",
        "disclosure": copy.deepcopy(DISCLOSURE),
        "items": [
            {"type": "Work", "id": PMED,
             "title": "Why Most Published Research Findings Are False", "issued": "2005-08",
             "sameAs": ["pmid:16060722", "pmcid:PMC1182327"]},
            {"type": "Count", "work": PONE, "metric": "citations", "value": 12,
             "aggregation": "cumulative", "periodEnd": "2026-11-24", "source": "crossref",
             "retrieved": "2026-11-24T09:59:31Z",
             "evidence": "https://api.crossref.org/works/10.1371/journal.pone.0000001"},
            {"type": "Count", "work": PMED, "metric": "html-views", "value": 20431,
             "aggregation": "interval", "periodStart": "2026-10-01",
             "periodEnd": "2026-10-31", "source": "counter"},
            {"type": "Count", "work": PMED, "metric": "pdf-downloads", "value": 3120,
             "aggregation": "interval", "periodStart": "2026-10-01",
             "periodEnd": "2026-10-31", "source": "counter"},
            {"type": "Event", "id": "https://example.org/events/wikipedia/1",
             "subject": "https://en.wikipedia.org/wiki/Replication_crisis",
             "relation": "references", "object": PMED,
             "occurred": "2026-11-20T11:00:00Z", "source": "wikipedia", "license": CC0,
             "evidence": "https://en.wikipedia.org/w/index.php?title=Replication_crisis"},
        ],
    }


def valid_base() -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "type": "Feed",
        "id": "urn:uuid:0b0f7c3e-3d3a-4a39-9a4e-8d5d7f0f3a11",
        "provider": {"id": "https://ror.org/02twcfp32", "name": "Crossref"},
        "generated": "2026-11-24T10:00:00Z",
        "disclosure": {"dataSources": "Crossref REST API", "updateFrequency": "P1D"},
        "items": [
            {"type": "Count", "work": PONE, "metric": "citations", "value": 12,
             "aggregation": "cumulative", "periodEnd": "2026-11-24", "source": "crossref",
             "retrieved": "2026-11-24T09:59:31Z",
             "evidence": "https://api.crossref.org/works/10.1371/journal.pone.0000001"},
            {"type": "Count", "work": "doi:10.1371/journal.pmed.0020124",
             "metric": "https://example.org/metrics/figure-embeds", "value": 7,
             "aggregation": "cumulative", "periodEnd": "2026-11-24T09:00:00Z"},
            {"type": "Event", "id": "https://example.org/events/123",
             "subject": "https://en.wikipedia.org/wiki/Example", "relation": "references",
             "object": PONE, "occurred": "2026-11-20T11:00:00Z", "source": "wikipedia"},
        ],
    }


def valid_work_metadata() -> dict[str, Any]:
    """Feed format v1.1: a Work item with every metadata field (identifiers as full IRIs, so
    any JSON-LD processor reads the same RDF), an affiliation and a funder known only by name,
    and a v1 Work item (``id``) beside it."""
    return {
        "@context": CONTEXT,
        "type": "Feed",
        "id": "urn:uuid:3d0f5b8e-8f4e-4c21-b1a9-6c0f4e2d7a55",
        "provider": {"id": "https://ror.org/008zgvp64", "name": "PLOS"},
        "generated": "2026-11-24T10:00:00Z",
        "items": [
            {"type": "Work", "work": PONE,
             "title": "Example article about Brown University research", "issued": "2006-12-20",
             "workType": "journal-article",
             "container": {"title": "PLOS ONE", "issn": ["1932-6203"]},
             "publisher": "Public Library of Science (PLoS)",
             "authors": [
                 {"name": "Josiah Carberry", "orcid": "https://orcid.org/0000-0002-1825-0097",
                  "affiliations": [{"name": "Brown University",
                                    "ror": "https://ror.org/05gq02987"},
                                   {"name": "Department of Psychoceramics"}]},
                 {"name": "A. N. Other"},
             ],
             "funders": [
                 {"name": "National Science Foundation",
                  "id": "https://doi.org/10.13039/100000001"},
                 {"name": "An unregistered foundation"},
             ]},
            {"type": "Work", "id": PMED,
             "title": "Why Most Published Research Findings Are False", "issued": "2005-08"},
            {"type": "Count", "work": PONE, "metric": "citations", "value": 12,
             "aggregation": "cumulative", "periodEnd": "2026-11-24", "source": "crossref"},
        ],
    }


def valid_minimal() -> dict[str, Any]:
    return {"@context": CONTEXT, "type": "Feed",
            "id": "https://example.org/feeds/2026-11-24",
            "provider": {"id": "https://example.org/", "name": "Example provider"},
            "generated": "2026-11-24T10:00:00+01:00", "items": []}


def _mutate(base: dict[str, Any], change: Any) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    change(doc)
    return doc


def _deep(depth: int) -> dict[str, Any]:
    doc = valid_minimal()
    node: Any = []
    for _ in range(depth):
        node = [node]
    doc["items"] = [{"type": "Count", "work": PONE, "metric": "views", "value": node}]
    return doc


def _set(path: list[Any], value: Any):
    def change(doc: dict[str, Any]) -> None:
        target = doc
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    return change


def _delete(path: list[Any]):
    def change(doc: dict[str, Any]) -> None:
        target = doc
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]
    return change


def _append(item: dict[str, Any]):
    return lambda doc: doc["items"].append(item)


def examples() -> dict[str, tuple[Any, dict[str, Any]]]:
    """file name → (content, index entry)."""
    b, s, w = valid_base(), valid_strict(), valid_work_metadata()
    dup_count = dict(b["items"][0], work="https://dx.doi.org/10.1371/JOURNAL.PONE.0000001")
    dup_event = dict(b["items"][2], subject="https://en.wikipedia.org/wiki/Other")
    out: dict[str, tuple[Any, dict[str, Any]]] = {
        "valid-base.json": (b, {"profile": "base", "valid": True}),
        "valid-base-minimal.json": (valid_minimal(), {"profile": "base", "valid": True}),
        "valid-base-disclosure-typo.json": (
            _mutate(b, _set(["disclosure", "updateFrequncy"], "daily")),
            {"profile": "base", "valid": True, "warnings": [
                {"rule": "disclosure-unknown-key", "path": "$.disclosure.updateFrequncy"}]}),
        "valid-strict.json": (s, {"profile": "strict", "valid": True}),
        "valid-base-work-metadata.json": (w, {"profile": "base", "valid": True}),
    }

    def bad(name: str, doc: Any, rule: str, path: str, profile: str = "base") -> None:
        out[name] = (doc, {"profile": profile, "valid": False, "rule": rule, "path": path})

    bad("invalid-missing-provider.json", _mutate(b, _delete(["provider"])),
        "schema.required", "$.provider")
    bad("invalid-context.json", _mutate(b, _set(["@context"], "https://schema.org")),
        "schema.pattern", "$['@context']")
    bad("invalid-generated-format.json", _mutate(b, _set(["generated"], "2026-11-24 10:00")),
        "schema.format", "$.generated")
    bad("invalid-item-type.json", _mutate(b, _set(["items", 0, "type"], "Metric")),
        "schema.enum", "$.items[0].type")
    bad("invalid-missing-value.json", _mutate(b, _delete(["items", 0, "value"])),
        "schema.required", "$.items[0].value")
    bad("invalid-null-value.json", _mutate(b, _set(["items", 0, "value"], None)),
        "schema.type", "$.items[0].value")
    bad("invalid-string-value.json", _mutate(b, _set(["items", 0, "value"], "12")),
        "schema.type", "$.items[0].value")
    bad("invalid-negative-value.json", _mutate(b, _set(["items", 0, "value"], -3)),
        "schema.minimum", "$.items[0].value")
    bad("invalid-unknown-property.json", _mutate(b, _set(["items", 0, "note"], "hi")),
        "schema.additionalProperties", "$.items[0].note")
    bad("invalid-interval-without-start.json",
        _mutate(b, _set(["items", 0, "aggregation"], "interval")),
        "schema.required", "$.items[0].periodStart")
    bad("invalid-period-order.json",
        _mutate(b, lambda d: d["items"][0].update(aggregation="interval",
                                                  periodStart="2026-11-20",
                                                  periodEnd="2026-11-01")),
        "period-order", "$.items[0].periodStart")
    bad("invalid-date-after-generated.json",
        _mutate(b, _set(["items", 2, "occurred"], "2026-11-24T10:06:00Z")),
        "date-after-generated", "$.items[2].occurred")
    bad("invalid-identifier.json", _mutate(b, _set(["items", 0, "work"], "ISBN 978-3-16")),
        "identifier", "$.items[0].work")
    bad("invalid-identifier-host.json",
        _mutate(b, _set(["items", 0, "work"], "https://e[.org/x")),
        "identifier", "$.items[0].work")
    bad("invalid-iri-evidence.json",
        _mutate(b, _set(["items", 0, "evidence"], "https://api.crossref.org/works/%zz")),
        "iri", "$.items[0].evidence")
    bad("invalid-duplicate-count.json", _mutate(b, _append(dup_count)),
        "duplicate-count", "$.items[3]")
    bad("invalid-duplicate-event.json", _mutate(b, _append(dup_event)),
        "duplicate-event", "$.items[3].id")
    bad("invalid-too-deep.json", _deep(40), "too-deep", "$")
    bad("invalid-strict-unknown-metric.json",
        _mutate(s, _set(["items", 1, "metric"], "citation")),
        "unknown-concept", "$.items[1].metric", "strict")
    bad("invalid-strict-unknown-relation.json",
        _mutate(s, _set(["items", 4, "relation"], "https://example.org/relations/embeds")),
        "unknown-concept", "$.items[4].relation", "strict")
    bad("invalid-strict-missing-license.json", _mutate(s, _delete(["items", 4, "license"])),
        "schema.required", "$.items[4].license", "strict")
    bad("invalid-strict-missing-disclosure.json",
        _mutate(s, _delete(["disclosure", "limitations"])),
        "disclosure-missing", "$.disclosure.limitations", "strict")
    bad("invalid-strict-unknown-disclosure-key.json",
        _mutate(s, _set(["disclosure", "dataSorces"], "typo")),
        "disclosure-unknown-key", "$.disclosure.dataSorces", "strict")
    bad("invalid-work-orcid.json",
        _mutate(w, _set(["items", 0, "authors", 0, "orcid"], "0000-0002-1825-0098")),
        "orcid", "$.items[0].authors[0].orcid")
    bad("invalid-work-issn.json",
        _mutate(w, _set(["items", 0, "container", "issn", 0], "1932-6230")),
        "issn", "$.items[0].container.issn[0]")
    bad("invalid-work-ror.json",
        _mutate(w, _set(["items", 0, "authors", 0, "affiliations", 0, "ror"],
                        "https://ror.org/05gq02978")),
        "ror", "$.items[0].authors[0].affiliations[0].ror")
    bad("invalid-work-funder-id.json",
        _mutate(w, _set(["items", 0, "funders", 0, "id"], "https://doi.org/10.1371/x")),
        "funder-id", "$.items[0].funders[0].id")
    return out


TEXT_EXAMPLES = {
    "invalid-empty.json": ("", {"profile": "base", "valid": False, "rule": "empty",
                                "path": "$"}),
    "invalid-json-parse.json": ('{\n  "@context": "https://w3id.org/alm-ld/context/v1.jsonld",'
                                '\n  "type": "Feed",\n  "items": [\n',
                                {"profile": "base", "valid": False, "rule": "json-parse",
                                 "path": "$"}),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    index: dict[str, Any] = {}
    for name, (doc, entry) in examples().items():
        text = json.dumps(doc, indent=2 if "deep" not in name else None, ensure_ascii=False)
        (OUT / name).write_text(text + "\n", encoding="utf-8")
        index[name] = entry
    for name, (text, entry) in TEXT_EXAMPLES.items():
        (OUT / name).write_text(text, encoding="utf-8")
        index[name] = entry
    (OUT / "index.json").write_text(json.dumps(dict(sorted(index.items())), indent=2) + "\n",
                                    encoding="utf-8")
    print(f"wrote {len(index)} examples to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
