"""Generate ``schemas/feed-base.schema.json`` and ``schemas/feed-strict.schema.json``.

Why a script: the two profiles share almost everything, and the strict profile enumerates the
vocabulary's concept ids; generating both from one definition keeps them, the vocabulary and
docs/feed-format.md in step. The generated files are committed and are what the validator and
the service use. Re-run ``python tools/build_schemas.py`` after changing the vocabulary.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from niso_items import NISO_ITEMS  # noqa: E402  (tools/, on sys.path as the script's folder)

from alm_ld.resources import CONTEXT_URL, SCHEMA_BASE_URL  # noqa: E402
from alm_ld.vocab import (  # noqa: E402
    METRICS_NS,
    RELATIONS_NS,
    WORK_TYPES,
    metric_concepts,
    relation_concepts,
)

# Disclosure keys (docs/feed-format.md) -> (NISO RP-25-2016 item number, description).
DISCLOSURE = dict(NISO_ITEMS)
DISCLOSURE["independentVerification"] = (12, NISO_ITEMS["independentVerification"][1]
                                         + " Optional in every profile.")
STRICT_DISCLOSURE = [key for key in DISCLOSURE if key != "independentVerification"]

# ECMA-262 (Unicode mode) patterns, as JSON Schema 2020-12 requires: no identity escapes such
# as \" inside a class (Ajv and check-jsonschema refuse them; Python's re accepts them).
ABSOLUTE_IRI = r'^[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f-\x9f<>"{}|\\^`]+$'
CONCEPT_ID_OR_IRI = r'^(?:[a-z0-9][a-z0-9-]*|[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f-\x9f<>"{}|\\^`]+)$'
SOURCE_ID_OR_IRI = r'^(?:[a-z0-9][a-z0-9_.-]*|[A-Za-z][A-Za-z0-9+.-]*:[^\s\x00-\x1f\x7f-\x9f<>"{}|\\^`]+)$'
DATE_OR_DATETIME_HINT = "a date (2026-11-24) or an RFC 3339 date-time with offset " \
    "(2026-11-24T10:00:00Z)"


def _iri(title: str, description: str) -> dict[str, Any]:
    return {"title": title, "description": description, "type": "string",
            "pattern": ABSOLUTE_IRI}


def _datetime(title: str, description: str) -> dict[str, Any]:
    return {"title": title, "description": description, "type": "string",
            "format": "date-time"}


def _date_or_datetime(title: str, description: str) -> dict[str, Any]:
    return {"title": title, "description": f"{description} Either {DATE_OR_DATETIME_HINT}.",
            "type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]}


def _work_ref(title: str, description: str) -> dict[str, Any]:
    return {"title": title, "description": description + " A DOI (10.1371/journal.pone."
            "0000001, doi:…, https://doi.org/…), pmid:…, pmcid:PMC…, arxiv:… or an absolute "
            "https URL.", "type": "string", "minLength": 1}


def _text(title: str, description: str) -> dict[str, Any]:
    return {"title": title, "description": description, "type": "string", "minLength": 1}


def _source() -> dict[str, Any]:
    return {"title": "Source", "description": "The upstream system the item comes from, when "
            "it is not the provider itself: a short id (crossref, wikipedia, …) or an absolute "
            "IRI.", "type": "string", "pattern": SOURCE_ID_OR_IRI}


def base_schema() -> dict[str, Any]:
    count = {
        "title": "Count",
        "description": "One number about one work.",
        "type": "object",
        "required": ["type", "work", "metric", "value", "aggregation", "periodEnd"],
        "additionalProperties": False,
        "properties": {
            "type": {"title": "Item type", "description": "Always \"Count\".",
                     "const": "Count"},
            "work": _work_ref("Work", "The work the number is about."),
            "metric": {"title": "Metric", "description": "What is counted: a concept id of "
                       f"the alm-ld metric scheme ({METRICS_NS}), e.g. views, citations, or "
                       "the absolute IRI of an extension concept.", "type": "string",
                       "pattern": CONCEPT_ID_OR_IRI},
            "value": {"title": "Value", "description": "The count: a non-negative integer. "
                      "When the number is unknown, omit the whole item (never null, never 0).",
                      "type": "integer", "minimum": 0},
            "aggregation": {"title": "Aggregation", "description": "cumulative (everything up "
                            "to periodEnd) or interval (between periodStart and periodEnd).",
                            "enum": ["cumulative", "interval"]},
            "periodStart": _date_or_datetime("Period start", "Start of the counted period; "
                                             "required for interval counts, ≤ periodEnd."),
            "periodEnd": _date_or_datetime("Period end", "End of the counted period."),
            "source": _source(),
            "retrieved": _datetime("Retrieved", "When the number was read from its source "
                                   "(RFC 3339 date-time with offset)."),
            "evidence": _iri("Evidence", "URL the number was read from."),
        },
        "if": {"type": "object", "properties": {"aggregation": {"const": "interval"}},
               "required": ["aggregation"]},
        "then": {"required": ["periodStart"]},
    }
    event = {
        "title": "Event",
        "description": "One relation between something and a work.",
        "type": "object",
        "required": ["type", "id", "subject", "relation", "object", "occurred"],
        "additionalProperties": False,
        "properties": {
            "type": {"title": "Item type", "description": "Always \"Event\".",
                     "const": "Event"},
            "id": _iri("Event id", "Absolute IRI of the event; unique within the feed and "
                       "stable across feeds."),
            "subject": _iri("Subject", "What relates to the work (a tweet, a citing work, a "
                            "page), as an absolute IRI."),
            "relation": {"title": "Relation", "description": "How the subject relates to the "
                         f"work: a concept id of the alm-ld relation scheme ({RELATIONS_NS}), "
                         "e.g. cites, discusses, or the absolute IRI of an extension concept.",
                         "type": "string", "pattern": CONCEPT_ID_OR_IRI},
            "object": _work_ref("Object", "The work the event is about."),
            "occurred": _datetime("Occurred", "When the event happened (RFC 3339 date-time "
                                  "with offset)."),
            "source": _source(),
            "license": _iri("Licence", "IRI of the licence the event data is under, e.g. "
                            "https://creativecommons.org/publicdomain/zero/1.0/."),
            "evidence": _iri("Evidence", "URL the event was read from."),
        },
    }
    work = {
        "title": "Work",
        "description": "What is known about a work (feed format v1.1; v1 Work items stay "
        "valid): identifier, title, issue date, type, container, publisher, authors with ORCID "
        "and affiliations with ROR, funders. Name the work with 'work' (v1.1) or 'id' (v1), "
        "not both.",
        "type": "object",
        "required": ["type"],
        "additionalProperties": False,
        "anyOf": [{"required": ["work"]}, {"required": ["id"]}],
        "not": {"required": ["work", "id"]},
        "properties": {
            "type": {"title": "Item type", "description": "Always \"Work\".", "const": "Work"},
            "work": _work_ref("Work", "The work described (feed format v1.1)."),
            "id": _work_ref("Work id", "The work described (feed format v1; 'work' is "
                            "preferred)."),
            "title": _text("Title", "The work's title."),
            "issued": {"title": "Issued", "description": "Publication date: YYYY, YYYY-MM or "
                       "YYYY-MM-DD.", "type": "string",
                       "pattern": r"^\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?)?$"},
            "sameAs": {"title": "Same as", "description": "Alternate identifiers of the same "
                       "work (any accepted identifier form).", "type": "array",
                       "items": _work_ref("Alternate identifier", "Another identifier of the "
                                          "work.")},
            "workType": {"title": "Work type", "description": "A Crossref type id "
                         "(journal-article, posted-content, …) or a DataCite "
                         "resourceTypeGeneral (Dataset, Software, …).", "type": "string",
                         "pattern": r"^[A-Za-z][A-Za-z-]*$"},
            "container": {
                "title": "Container", "description": "The journal, book or series the work "
                "appears in.", "type": "object", "additionalProperties": False,
                "minProperties": 1,
                "properties": {
                    "title": _text("Container title", "Its title, e.g. PLOS ONE."),
                    "issn": {"title": "ISSNs", "description": "Its ISSNs (print, electronic), "
                             "checked by their check digit: 1932-6203, urn:issn:1932-6203 or "
                             "https://portal.issn.org/resource/ISSN/1932-6203.",
                             "type": "array", "items": _text("ISSN", "An ISSN.")},
                },
            },
            "publisher": _text("Publisher", "The publisher's name."),
            "authors": {
                "title": "Authors", "description": "The authors in byline order.",
                "type": "array",
                "items": {
                    "title": "Author", "description": "One author as named on this work.",
                    "type": "object", "required": ["name"], "additionalProperties": False,
                    "properties": {
                        "name": _text("Author name", "The name as printed."),
                        "orcid": _text("ORCID iD", "0000-0002-1825-0097 or https://orcid.org/"
                                       "0000-0002-1825-0097, checked by its check digit."),
                        "affiliations": {
                            "title": "Affiliations", "description": "The author's "
                            "affiliations as stated on this work.", "type": "array",
                            "items": {
                                "title": "Affiliation", "description": "An organisation: "
                                "name, ROR id or both.", "type": "object",
                                "additionalProperties": False, "minProperties": 1,
                                "properties": {
                                    "name": _text("Organisation name", "Its name."),
                                    "ror": _text("ROR id", "03vek6s52 or https://ror.org/"
                                                 "03vek6s52, checked by its checksum."),
                                },
                            },
                        },
                    },
                },
            },
            "funders": {
                "title": "Funders", "description": "Who funded the work.", "type": "array",
                "items": {
                    "title": "Funder", "description": "A funder: name, id or both.",
                    "type": "object", "additionalProperties": False, "minProperties": 1,
                    "properties": {
                        "name": _text("Funder name", "Its name."),
                        "id": _text("Funder id", "A Crossref Funder Registry DOI "
                                    "(10.13039/100000001) or a ROR id."),
                    },
                },
            },
        },
    }
    disclosure_props = {
        key: {"title": f"NISO item {number}", "description": f"NISO RP-25-2016 reporting item "
              f"{number}: {text} Text or a URL.", "type": "string"}
        for key, (number, text) in DISCLOSURE.items()
    }
    item = {
        "title": "Item",
        "description": "A Count, an Event or a Work, told apart by \"type\".",
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"title": "Item type", "description": "Count, Event or Work.",
                                "enum": ["Count", "Event", "Work"]}},
        "allOf": [
            {"if": {"type": "object", "properties": {"type": {"const": name}},
                    "required": ["type"]},
             "then": {"$ref": f"#/$defs/{name.lower()}"}}
            for name in ("Count", "Event", "Work")
        ],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_BASE_URL + "feed-base.schema.json",
        "title": "alm-ld feed (base profile)",
        "description": "A batch of article-level metrics (Counts) and Events from one provider. "
        "The base profile checks structure and types; extension metrics and relations are "
        "allowed as absolute IRIs. See docs/feed-format.md.",
        "type": "object",
        "required": ["@context", "type", "id", "provider", "generated", "items"],
        "additionalProperties": False,
        "properties": {
            "@context": {"title": "JSON-LD context", "description": "The alm-ld context URL "
                         f"{CONTEXT_URL} (or the same file served by an alm-ld instance at "
                         "<base>/contexts/v1.jsonld).", "type": "string",
                         "pattern": r"^(?:https://w3id\.org/alm-ld/context/v1\.jsonld|"
                         r"https?://[^\s]+/contexts/v1\.jsonld)$"},
            "type": {"title": "Document type", "description": "Always \"Feed\".",
                     "const": "Feed"},
            "id": _iri("Feed id", "Absolute IRI of the feed (e.g. urn:uuid:…); sending the "
                       "same id again means the same feed."),
            "provider": {
                "title": "Provider", "description": "Who sends the feed.", "type": "object",
                "required": ["id", "name"], "additionalProperties": False,
                "properties": {
                    "id": _iri("Provider id", "Absolute IRI of the provider, e.g. its ROR id."),
                    "name": {"title": "Provider name", "description": "Human-readable name.",
                             "type": "string", "minLength": 1},
                },
            },
            "generated": _datetime("Generated", "When the feed was produced (RFC 3339 "
                                   "date-time with offset); nothing in the feed may be dated "
                                   "later (5 minutes of clock skew allowed)."),
            "disclosure": {"title": "Disclosure", "description": "Answers to the NISO "
                           "RP-25-2016 Altmetrics Data Quality Code of Conduct reporting "
                           "items, as text or URLs.", "type": "object",
                           "properties": disclosure_props,
                           "additionalProperties": {"type": "string"}},
            "items": {"title": "Items", "description": "Counts, Events and Works; may be "
                      "empty.", "type": "array", "items": {"$ref": "#/$defs/item"}},
        },
        "$defs": {"item": item, "count": count, "event": event, "work": work},
    }


def strict_schema() -> dict[str, Any]:
    schema = copy.deepcopy(base_schema())
    schema["$id"] = SCHEMA_BASE_URL + "feed-strict.schema.json"
    schema["title"] = "alm-ld feed (strict profile)"
    schema["description"] = ("The strict profile: the base profile plus every metric and "
                             "relation from the alm-ld vocabulary, a licence on every Event, "
                             "and every NISO RP-25-2016 disclosure item but "
                             "independentVerification, non-empty. See docs/feed-format.md.")
    schema["required"] = [*schema["required"], "disclosure"]
    disclosure = schema["properties"]["disclosure"]
    disclosure["required"] = STRICT_DISCLOSURE
    for key in STRICT_DISCLOSURE:
        disclosure["properties"][key]["pattern"] = r"\S"
    # Unknown keys are an error in strict (they catch typos), a warning in base: the strict
    # schema closes the object so that schema-only validators agree with `alm-ld validate`.
    disclosure["additionalProperties"] = False
    defs = schema["$defs"]
    metrics = metric_concepts()
    relations = relation_concepts()
    metric = defs["count"]["properties"]["metric"]
    metric.pop("pattern")
    metric["description"] = "What is counted: a concept of the alm-ld metric scheme, by id " \
        "(views, citations, …) or by IRI."
    metric["enum"] = [*metrics, *(str(iri) for iri in metrics.values())]
    relation = defs["event"]["properties"]["relation"]
    relation.pop("pattern")
    relation["description"] = "How the subject relates to the work: a concept of the alm-ld " \
        "relation scheme, by id (cites, discusses, …) or by IRI."
    relation["enum"] = [*relations, *(str(iri) for iri in relations.values())]
    defs["event"]["required"] = [*defs["event"]["required"], "license"]
    work_type = defs["work"]["properties"]["workType"]
    work_type.pop("pattern")
    work_type["description"] = "A Crossref type id (journal-article, …) or a DataCite " \
        "resourceTypeGeneral (Dataset, …); the strict profile accepts only these."
    work_type["enum"] = list(WORK_TYPES)
    return schema


def main() -> None:
    out = ROOT / "schemas"
    for name, schema in (("feed-base.schema.json", base_schema()),
                         ("feed-strict.schema.json", strict_schema())):
        (out / name).write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n",
                                encoding="utf-8")
        print(f"wrote schemas/{name}")


if __name__ == "__main__":
    main()
